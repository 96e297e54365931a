"""A VAE's likelihood: the importance-weighted estimate of log p(x) beside the ELBO (Burda et al. 2016).

With K draws z_k ~ q(z|x) and weights w_k = p(x|z_k) p(z_k) / q(z_k|x),

    log p(x) >= log (1/K) sum_k w_k  =: L_K  >=  L_1 = ELBO (in expectation),

and L_K rises towards log p(x) as K grows. The Bernoulli decoder's likelihood is a probability only of
binary pixels, so it is measured on binarised images (:func:`binarize`); a Gaussian decoder's is a density,
reported in bits per dimension of the 8-bit image (:func:`bits_per_dim`).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from minigen import backend
from minigen.models.base import as_labels
from minigen.ops import losses
from minigen.random import fork_rng, manual_seed
from minigen.tensor import Tensor, no_grad

__all__ = ["binarize", "bits_per_dim", "importance_weighted"]

LOG_2PI = math.log(2 * math.pi)


def binarize(images: Any, seed: int = 0) -> Any:
    """Each pixel in [0, 1] set to 1 with its value as probability (one fixed draw per ``seed``).

    This is the binarisation of Salakhutdinov & Murray (2008) and the IWAE paper, drawn once: a model
    trained with the cross-entropy against grey pixels minimised the expected -log p of exactly these draws.
    """
    xp = backend.get_array_module(images)
    if getattr(images, "dtype", None) is None or images.dtype.kind != "f" or images.size == 0:
        raise ValueError(f"binarize: {type(images).__name__} of dtype {getattr(images, 'dtype', None)} (expected a "
                         "non-empty float array of pixels in [0, 1])")  # fmt: skip
    if not (float(images.min()) >= 0 and float(images.max()) <= 1):
        raise ValueError(f"binarize: pixels from {float(images.min()):.3g} to {float(images.max()):.3g} "
                         "(expected [0, 1])")  # fmt: skip
    uniform = xp.asarray(np.random.default_rng(seed).random(images.shape), dtype=images.dtype)
    return (uniform < images).astype(images.dtype)


def _log_normal(x: Tensor, mean: Any, logvar: Any) -> Tensor:
    """log N(x; mean, exp(logvar)) summed over the last axis; ``logvar`` a Tensor or a number."""
    variance = logvar.exp() if isinstance(logvar, Tensor) else math.exp(logvar)
    return -0.5 * (LOG_2PI + logvar + (x - mean) ** 2 / variance).sum(dim=-1)


def importance_weighted(model: Any, images: Any, k: int = 1000, labels: Any = None, likelihood: str = "bernoulli",
                        sigma: float | None = None, batch_size: int | None = None,
                        seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """log p(x) estimated with ``k`` importance samples, and the ELBO, for each image; nats per image.

    ``model``: a :class:`~minigen.models.base.VAE`; ``images``: (N, C, H, W) in [0, 1] (binary for the
    Bernoulli decoder's likelihood to be a probability). ``likelihood`` is the decoder's: "bernoulli" or
    "gaussian" (mean the decoded image, one standard deviation ``sigma`` for every pixel; None fits it to
    the reconstructions' root mean squared error). Returns ``iwae`` (N,), ``elbo`` (N,: the mean of the k
    log-weights, an unbiased estimate of the ELBO) and ``sigma``.
    """
    for name, value in (("k", k), ("batch_size", 1 if batch_size is None else batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name}: {value!r} (expected an int >= 1)")
    if likelihood not in ("bernoulli", "gaussian"):
        raise ValueError(f"likelihood: {likelihood!r} (expected 'bernoulli' or 'gaussian')")
    if sigma is not None and not (isinstance(sigma, numbers.Real) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma: {sigma!r} (expected a finite number > 0, or None to fit it)")
    device, _ = model.parameter_device_dtype()
    data = images.data if isinstance(images, Tensor) else images
    data = backend.to_device(data if backend.device_of(data) else np.asarray(data), device)
    if data.dtype.kind != "f" or data.ndim < 2 or len(data) == 0 or not (float(data.min()) >= 0 and
                                                                         float(data.max()) <= 1):  # fmt: skip
        raise ValueError(f"images: shape {tuple(data.shape)}, dtype {data.dtype} (expected N >= 1 float images with "
                         "pixels in [0, 1])")  # fmt: skip
    x, n, k = Tensor(data), len(data), int(k)
    condition = model.condition(labels)  # (): unconditional; labels given to one is an error
    condition = (as_labels(labels, x),) if condition else ()
    batch_size = int(batch_size or max(1, 4096 // k))  # images per block: about 4,096 decodes at once
    was_training = model.training
    model.eval()
    iwae, elbo = [], []
    try:
        with no_grad(), fork_rng():
            manual_seed(seed)
            if likelihood == "gaussian" and sigma is None:
                mu, _ = model.encode(x, *condition)
                error = model.decode_logits(mu, *condition).sigmoid() - x
                sigma = max(math.sqrt(float((error * error).mean().item())), 1e-3)  # 0 for perfect reconstructions
            for start in range(0, n, batch_size):
                block = x[start : start + batch_size]
                given = [c[start : start + batch_size] for c in condition]
                b = block.shape[0]
                mu, logvar = model.encode(block, *given)
                mu_k, logvar_k = mu.repeat(k, 1), logvar.repeat(k, 1)  # row j * b + i: draw j for image i
                z = model.reparameterize(mu_k, logvar_k)
                logits = model.decode_logits(z, *(c.repeat(k) for c in given)).reshape(k * b, -1)
                target = block.reshape(b, -1).repeat(k, 1)
                if likelihood == "bernoulli":
                    log_px = -losses.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=-1)
                else:
                    log_px = _log_normal(target, logits.sigmoid(), 2 * math.log(sigma))
                log_w = (log_px + _log_normal(z, 0.0, 0.0) - _log_normal(z, mu_k, logvar_k)).reshape(k, b)
                iwae.append((log_w.logsumexp(dim=0) - math.log(k)).data)
                elbo.append(log_w.mean(dim=0).data)
    finally:
        model.train(was_training)
    xp = backend.get_array_module(iwae[0])
    return {"iwae": xp.concatenate(iwae), "elbo": xp.concatenate(elbo), "sigma": sigma}


def bits_per_dim(nll_nats: float, dims: int, levels: int = 256) -> float:
    """A density's -log p(x) (nats, pixels in [0, 1]) as bits per dimension of the ``levels``-level image.

    Each pixel's bin has width 1/levels, so P(bin) ~ p(x) / levels per pixel: -log P = nll + dims log levels.
    """
    for name, value, low in (("dims", dims, 1), ("levels", levels, 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value < 2**62:
            raise ValueError(f"{name}: {value!r} (expected an int >= {low})")
    if isinstance(nll_nats, bool) or not isinstance(nll_nats, numbers.Real):
        raise ValueError(f"nll_nats: {nll_nats!r} (expected a number of nats)")
    return (nll_nats + dims * math.log(levels)) / (dims * math.log(2))
