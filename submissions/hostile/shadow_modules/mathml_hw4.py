from solution import *  # noqa: F403 - the entry module for mathml_hw4
