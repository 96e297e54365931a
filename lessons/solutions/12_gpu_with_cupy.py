"""Reference solutions for lesson 12's exercises (the tests run the lesson's checks against them)."""

import math
import statistics
import time

import numpy as np

from minigen import backend


def softmax_rows(a):
    xp = backend.get_array_module(a)
    shifted = a - xp.max(a, axis=1, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=1, keepdims=True)


def median_ms(fn, synchronize, repeats):
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def transfer_bytes(shape, dtype):
    return math.prod(shape) * np.dtype(dtype).itemsize
