import numpy as np


def forward(x, W)
    return x
