"""Scores of a set of generated images, read through a judge; each a function on arrays (NumPy or CuPy).

- :func:`judge_score`: exp(E_x KL(p(y|x) || p(y))) on the judge's class probabilities — the Inception
  Score's formula (Salimans et al. 2016) with a classifier of the data's own domain in place of ImageNet's
  Inception network, whose classes (dogs, cars) say nothing about digits. From 1 to the number of classes.
- :func:`class_coverage`: the classes the samples land in, and KL(histogram || uniform): mode collapse.
- :func:`frechet_distance`: ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)) between Gaussians
  fitted to two sets of features (Heusel et al. 2017's FID formula). On the judge's features it is *not*
  comparable with published FIDs, which use Inception's.
- :func:`precision_recall`: the share of generated features inside the real k-NN manifold, and of real
  features inside the generated one (Kynkäänniemi et al. 2019, k = 3).
- :func:`memorisation`: each sample's distance to its nearest training image beside a real test image's.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from minigen import backend

__all__ = ["class_coverage", "frechet_distance", "gaussian_fit", "judge_score", "memorisation",
           "nearest_distances", "precision_recall"]  # fmt: skip

BLOCK = 1024  # rows of a distance matrix computed at once: 1024 x 10,000 float32 is 40 MB


def _probabilities(probs: Any) -> Any:
    """``probs`` as a float64 (N, K) array of rows on the simplex; a ValueError naming what is wrong otherwise."""
    xp = backend.get_array_module(probs)
    probs = xp.asarray(probs, dtype=xp.float64)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
        raise ValueError(f"probs: shape {probs.shape} (expected (N, K) class probabilities, N >= 1, K >= 2)")
    if not bool(xp.all(probs >= 0)) or float(xp.abs(probs.sum(axis=1) - 1).max()) > 1e-3:
        raise ValueError("probs: rows that are not probabilities (expected entries >= 0 summing to 1; "
                         "apply softmax to logits first)")  # fmt: skip
    return probs


def _kl_rows(p: Any, q: Any) -> Any:
    """KL(p_i || q) for each row p_i of ``p`` (0 log 0 = 0)."""
    xp = backend.get_array_module(p)
    ratio = xp.where(p > 0, p, 1) / xp.where(p > 0, q, 1)
    return (p * xp.log(ratio)).sum(axis=-1)


def judge_score(probs: Any) -> float:
    """exp(mean_i KL(p_i || p_bar)), p_bar the mean row of the (N, K) class probabilities ``probs``.

    K for confident samples spread evenly over the K classes, 1 for samples all of one class or all unsure.
    """
    probs = _probabilities(probs)
    return math.exp(float(_kl_rows(probs, probs.mean(axis=0)).mean()))


def class_coverage(probs: Any, min_share: float | None = None) -> tuple[int, float, Any]:
    """(classes covered, KL(histogram || uniform) in nats, histogram) of the judge's predicted classes.

    The histogram counts each sample in its most probable class (length K). A class is covered when it
    holds at least ``min_share`` of the samples (default a fifth of a fair share, 0.2 / K: 2% of them for
    10 classes). The KL is 0 for an even spread and log K when every sample is one class.
    """
    probs = _probabilities(probs)
    xp = backend.get_array_module(probs)
    classes = probs.shape[1]
    min_share = 0.2 / classes if min_share is None else min_share
    if not isinstance(min_share, numbers.Real) or not 0 <= min_share <= 1:
        raise ValueError(f"min_share: {min_share} (expected a share in [0, 1])")
    histogram = xp.bincount(probs.argmax(axis=1), minlength=classes)
    shares = histogram / histogram.sum()
    kl = float(_kl_rows(shares[None], xp.full(classes, 1 / classes))[0])
    return int((shares >= min_share - 1e-12).sum()), kl, histogram


def _features(name: str, features: Any, minimum: int = 2) -> Any:
    """``features`` as an (N, D) float array with N >= ``minimum``, every value finite; a ValueError otherwise."""
    xp = backend.get_array_module(features)
    features = xp.asarray(features)
    if features.ndim != 2 or features.shape[0] < minimum or features.dtype.kind != "f":
        raise ValueError(f"{name}: shape {features.shape} and dtype {features.dtype} (expected (N, D) float "
                         f"features with N >= {minimum})")  # fmt: skip
    if not bool(xp.isfinite(features).all()):
        raise ValueError(f"{name}: values that are not finite (NaN or inf; expected finite features)")
    return features


def _gaussian(name: str, given: Any) -> tuple[Any, Any]:
    """A (mean, covariance) pair, given as such or fitted to an (N, D) feature set."""
    if not isinstance(given, tuple):
        return gaussian_fit(_features(name, given))
    if len(given) != 2:
        raise ValueError(f"{name}: a tuple of {len(given)} (expected (mean, covariance) or an (N, D) array)")
    xp = backend.get_array_module(*given)
    mean, covariance = (xp.asarray(part, dtype=xp.float64) for part in given)
    if mean.ndim != 1 or covariance.shape != (len(mean), len(mean)):
        raise ValueError(f"{name}: mean of shape {mean.shape} and covariance of shape {covariance.shape} "
                         "(expected (D,) and (D, D))")  # fmt: skip
    return mean, covariance


def gaussian_fit(features: Any) -> tuple[Any, Any]:
    """(mean, covariance) of the (N, D) ``features`` in float64; the covariance divides by N - 1."""
    features = _features("features", features).astype("float64")
    mean = features.mean(axis=0)
    centred = features - mean
    return mean, centred.T @ centred / (len(features) - 1)


def _psd_sqrt(matrix: Any) -> Any:
    """The symmetric square root of a symmetric positive semi-definite matrix, by eigendecomposition."""
    xp = backend.get_array_module(matrix)
    values, vectors = xp.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * xp.sqrt(xp.clip(values, 0, None))) @ vectors.T


def frechet_distance(real: Any, fake: Any) -> float:
    """The Fréchet distance between Gaussians fitted to two (N, D) feature sets (or given as (mean, cov) pairs).

        d^2 = ||mu_r - mu_f||^2 + tr(S_r) + tr(S_f) - 2 tr((S_r S_f)^(1/2))

    The last trace is computed stably as tr((A S_f A)^(1/2)) with A = S_r^(1/2): A S_f A is symmetric
    positive semi-definite and has the same eigenvalues as S_r S_f, so both roots are eigendecompositions.
    """
    (mu_r, cov_r), (mu_f, cov_f) = _gaussian("real", real), _gaussian("fake", fake)
    xp = backend.get_array_module(mu_r)
    if mu_r.shape != mu_f.shape:
        raise ValueError(f"frechet_distance: means {mu_r.shape} and {mu_f.shape}, covariances {cov_r.shape} and "
                         f"{cov_f.shape} (expected one feature size D: means (D,), covariances (D, D))")
    root = _psd_sqrt(cov_r)
    cross = xp.sqrt(xp.clip(xp.linalg.eigvalsh(root @ cov_f @ root), 0, None)).sum()
    distance = ((mu_r - mu_f) ** 2).sum() + xp.trace(cov_r) + xp.trace(cov_f) - 2 * cross
    return max(float(distance), 0.0)


def _squared_distances(a: Any, b: Any) -> Any:
    """||a_i - b_j||^2 for the rows of ``a`` (n, D) and ``b`` (m, D): one matrix product, clipped at 0."""
    xp = backend.get_array_module(a)
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * (a @ b.T)
    return xp.maximum(squared, 0)


def nearest_distances(a: Any, b: Any) -> Any:
    """For each row of ``a`` (N, D), the Euclidean distance to its nearest row of ``b`` (M, D); (N,) array."""
    a, b = _features("a", a, 1), _features("b", b, 1)
    xp = backend.get_array_module(a)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"nearest_distances: rows of {a.shape[1]} and {b.shape[1]} values (expected the same D)")
    blocks = [_squared_distances(a[i : i + BLOCK], b).min(axis=1) for i in range(0, len(a), BLOCK)]
    return xp.sqrt(xp.concatenate(blocks))


def _knn_radii(features: Any, k: int) -> Any:
    """The distance from each row of ``features`` to its k-th nearest other row."""
    xp = backend.get_array_module(features)
    radii = []
    for i in range(0, len(features), BLOCK):
        squared = _squared_distances(features[i : i + BLOCK], features)
        radii.append(xp.partition(squared, k, axis=1)[:, k])  # column 0 of the sorted row is the row itself
    return xp.sqrt(xp.concatenate(radii))


def _inside(points: Any, centres: Any, radii: Any) -> Any:
    """For each row of ``points``: whether it lies in at least one ball (centre, radius)."""
    xp = backend.get_array_module(points)
    hits = [(_squared_distances(points[i : i + BLOCK], centres) <= (radii**2)[None, :]).any(axis=1)
            for i in range(0, len(points), BLOCK)]  # fmt: skip
    return xp.concatenate(hits)


def precision_recall(real: Any, fake: Any, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of the (N, D) ``fake`` features against the ``real`` ones (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points reaching their k-th nearest neighbour.
    Precision: the share of fake points inside the real manifold (are the samples realistic?); recall: the
    share of real points inside the fake manifold (is all of the data covered?). Both sets are cut to the
    smaller one's size first, as the estimate depends on the sizes.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k: {k!r} (expected an int >= 1)")
    k = int(k)
    real, fake = _features("real", real, k + 1), _features("fake", fake, k + 1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"precision_recall: features of {real.shape[1]} and {fake.shape[1]} values "
                         "(expected the same D)")  # fmt: skip
    n = min(len(real), len(fake))
    real, fake = real[:n].astype("float32"), fake[:n].astype("float32")
    precision = _inside(fake, real, _knn_radii(real, k)).mean()
    recall = _inside(real, fake, _knn_radii(fake, k)).mean()
    return float(precision), float(recall)


def memorisation(samples: Any, train: Any, test: Any, test_distances: Any = None) -> dict[str, Any]:
    """How close the samples come to the training images, beside how close real unseen images come.

    ``samples``, ``train``, ``test``: images as (N, ...) arrays in one range (pixels flattened). Returns the
    distances (``samples``, ``test``: each image's Euclidean distance to its nearest training image), their
    medians, and ``copies``: the share of samples nearer a training image than the nearest 1% of test images
    are — about 0.01 for a model that does not copy, near 1 for one that returns its training set.
    ``test_distances``: the test images' distances from an earlier call, not computed again.
    """
    xp = backend.get_array_module(samples, train, test)
    flat = [_features(name, xp.asarray(images, dtype=xp.float32).reshape(len(images), -1), 1)
            for name, images in (("samples", samples), ("train", train), ("test", test))]  # fmt: skip
    to_samples = nearest_distances(flat[0], flat[1])
    to_test = nearest_distances(flat[2], flat[1]) if test_distances is None else test_distances
    closest_test = xp.quantile(to_test, 0.01)
    return {"samples": to_samples, "test": to_test, "samples_median": float(xp.median(to_samples)),
            "test_median": float(xp.median(to_test)), "copies": float((to_samples < closest_test).mean())}
