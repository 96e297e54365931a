"""Reference solutions for lesson 8's exercises (the tests run the lesson's checks against them)."""

import numpy as np


def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def js_divergence(p, q):
    m = 0.5 * (p + q)

    def kl(a, b):  # 0 log 0 = 0
        mask = a > 0
        return np.sum(a[mask] * np.log(a[mask] / b[mask]))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def generator_loss_gradient(logit, kind):
    sigmoid = 1 / (1 + np.exp(-logit))
    if kind == "saturating":  # d log(1 - s) / dl = -s
        return -sigmoid
    return sigmoid - 1  # d -log(s) / dl = s - 1
