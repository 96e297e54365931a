"""Reference solutions for lesson 14's exercises (the tests run the lesson's checks against them)."""

import math

import numpy as np

from minigen.ops import losses


def slerp(z0, z1, t):
    cosine = np.clip(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1, 1)
    omega = math.acos(cosine)
    if abs(math.sin(omega)) < 1e-8:  # parallel: the straight line
        return (1 - t) * z0 + t * z1
    return (math.sin((1 - t) * omega) * z0 + math.sin(t * omega) * z1) / math.sin(omega)


def attribute_direction(codes, scores, fraction=0.2):
    order = np.argsort(scores)
    k = max(1, int(round(fraction * len(scores))))
    return codes[order[-k:]].mean(axis=0) - codes[order[:k]].mean(axis=0)


def inpainting_objective(logits, x, mask, z):
    n = logits.shape[0]
    per_pixel = losses.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return (per_pixel * mask).sum() / n + 0.5 * (z * z).sum() / n
