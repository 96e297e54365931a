"""Reference solutions for lesson 2's exercises (the tests run the lesson's checks against them)."""

from minigen.backend import get_array_module


def matmul_backward(a, b, g):
    return g @ b.T, a.T @ g


def outer_sum_backward(g):
    # a was copied along axis 1, b along axis 0: sum over the copies
    return g.sum(axis=1), g.sum(axis=0)


def logsumexp(x):
    xp = get_array_module(x)
    m = x.max(axis=-1, keepdims=True)
    return (m + xp.log(xp.exp(x - m).sum(axis=-1, keepdims=True)))[..., 0]
