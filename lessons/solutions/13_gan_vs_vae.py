"""Reference solutions for lesson 13's exercises (the tests run the lesson's checks against them)."""

import math

import numpy as np


def my_judge_score(probs):
    mean = probs.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs / mean), 0.0)  # 0 log 0 = 0
    return math.exp(terms.sum(axis=1).mean())


def classes_covered(labels, num_classes=10, fraction=0.02):
    counts = np.bincount(labels, minlength=num_classes)
    return int((counts >= fraction * len(labels)).sum())


def nearest_distances(a, b):
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared.min(axis=1), 0))


def near_copies(train_unit):
    return train_unit[:500] * 0.98  # each a training digit, 2% fainter: the judge hardly notices
