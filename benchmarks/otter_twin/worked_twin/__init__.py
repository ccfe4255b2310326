"""Support package of the Otter-format twin of mathml_hw4's worked network (see checks.py)."""
