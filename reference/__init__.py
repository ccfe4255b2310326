"""Reference solutions (NumPy) and derivation checks (SymPy). Trusted side only: never shipped."""
