"""Reference solutions for lesson 7's exercises (the tests run the lesson's checks against them)."""

import numpy as np


def best_constant_mse(x):
    return x.mean(axis=0)


def mse_floor(x):
    return float(((x - x.mean(axis=0)) ** 2).mean())


def best_constant_l1(x):
    return np.median(x, axis=0)
