import numpy as np

SCALE = 1 / 0  # a crash at import time, line 3
