from solution import *  # noqa: F403 - the entry module for cs189_hw4_backprop
