"""Reference solutions for lesson 11's exercises (the tests run the lesson's checks against them)."""

import numpy as np


def active_units(mu, threshold=0.01):
    return int((mu.var(axis=0) > threshold).sum())


def conv_output_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def gaussian_negative_log_likelihood(x, x_hat, sigma):
    return np.sum((x - x_hat) ** 2) / (2 * sigma**2) + 0.5 * x.size * np.log(2 * np.pi * sigma**2)
