"""Example submission for mathml_hw4: imports a module that does not exist (expected: score 0)."""

import mathml_hw4_helpers  # noqa: F401  -- no such module: the import fails at line 3
import numpy as np

W_KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")


def forward(x, W):
    z3 = W["W13"] * x[0] + W["W23"] * x[1]
    z4 = W["W14"] * x[0] + W["W24"] * x[1]
    a3 = 1 / (1 + np.exp(-z3))
    a4 = np.tanh(z4)
    return {"z3": z3, "z4": z4, "a3": a3, "a4": a4, "a5": W["W35"] * a3 + W["W45"] * a4}
