import numpy as np
import sklearn_that_is_not_installed_anywhere  # not in the worker


def relu(s):
    return np.maximum(s, 0)
