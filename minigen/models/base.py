"""What the models share: image-shape checks, the reshape to images, and the VAE's ELBO.

* :func:`check_image_shape` turns ``image_shape`` into a ``(C, H, W)`` tuple of
  ints, or says what was expected.
* :class:`AsImages` reshapes a batch to ``(N, C, H, W)``, so a model accepts
  flattened ``(N, C*H*W)`` rows and channel-less ``(N, H, W)`` MNIST batches alike.
* :class:`GenerativeModel` gives every model ``sample(n)`` and the device and dtype
  its parameters live on.
* :class:`VAE` holds the parts every variational autoencoder shares
  (reparameterisation, decoding, the loss); a subclass writes ``encode`` and
  ``decode_logits``.
"""

from __future__ import annotations

import math
from typing import Any

from minigen import nn
from minigen.backend import get_array_module
from minigen.ops import losses
from minigen.random import randn
from minigen.tensor import Tensor, no_grad

__all__ = ["AsImages", "GenerativeModel", "VAE", "check_image_shape"]


def check_image_shape(image_shape: Any, model: str) -> tuple[int, int, int]:
    """``image_shape`` as a (C, H, W) tuple of positive ints; a ValueError naming ``model`` otherwise."""
    try:
        shape = tuple(int(size) for size in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{model}: image_shape must be (channels, height, width), e.g. (1, 28, 28), got {image_shape!r}"
        )
    return shape  # type: ignore[return-value]


def check_halves_twice(image_shape: tuple[int, int, int], model: str, layers: str) -> None:
    """Two stride-2 layers halve H and W twice, so both must be divisible by 4."""
    _, height, width = image_shape
    if height % 4 or width % 4:
        raise ValueError(
            f"{model}: image height and width must be divisible by 4 ({layers}), "
            f"got image_shape {image_shape}; 28x28 and 32x32 work"
        )


class AsImages(nn.Module):
    """Reshape a batch to (N, C, H, W): accepts (N, C*H*W), (N, H, W) when C = 1, or (N, C, H, W)."""

    def __init__(self, image_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or math.prod(x.shape[1:]) != math.prod(self.image_shape):
            raise ValueError(
                f"expected a batch of images of shape (N, {', '.join(map(str, self.image_shape))}) "
                f"or (N, {math.prod(self.image_shape)}), got {x.shape}"
            )
        return x.reshape(x.shape[0], *self.image_shape)

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}"


class GenerativeModel(nn.Module):
    """A model that can draw images: ``sample(n)`` under no_grad, in ``data_range``.

    Subclasses set ``kind`` ("gan", "vae" or "regression"), ``data_range`` (the
    interval their samples, and so the training data, live in), ``image_shape``,
    ``latent_dim``, and implement ``generate(z)``: latent codes (N, latent_dim)
    to images (N, C, H, W).
    """

    kind = ""
    data_range: tuple[float, float] = (-1.0, 1.0)
    image_shape: tuple[int, int, int]
    latent_dim: int

    def parameter_device_dtype(self) -> tuple[str, Any]:
        """(device, dtype) of the model's parameters: where noise must be drawn."""
        parameter = next(iter(self.parameters()))
        return parameter.device, parameter.dtype

    def sample(self, n: int, device: str | None = None, batch_size: int = 256) -> Tensor:
        """``n`` new images (n, C, H, W) from z ~ N(0, I), without building a graph.

        The generator runs on ``batch_size`` codes at a time, so memory stays bounded
        whatever ``n`` (10,000 DCGAN samples need the memory of 256). BatchNorm layers
        use the mode the model is in: call ``model.eval()`` first to sample with their
        running statistics (in training mode each batch is normalised by its own, and
        updates the running statistics once per batch).
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"sample: batch_size must be a positive int, got {batch_size!r}")
        own_device, dtype = self.parameter_device_dtype()
        with no_grad():
            z = randn(n, self.latent_dim, dtype=dtype, device=device or own_device)
            if n <= batch_size:
                return self.generate(z)
            first = self.generate(z[:batch_size]).data
            images = get_array_module(first).empty((n, *first.shape[1:]), dtype=first.dtype)
            images[:batch_size] = first
            for start in range(batch_size, n, batch_size):  # a loop over blocks of the batch
                images[start : start + batch_size] = self.generate(z[start : start + batch_size]).data
            return Tensor(images)

    def generate(self, z: Tensor) -> Tensor:
        raise NotImplementedError


class VAE(GenerativeModel):
    """A variational autoencoder: q(z|x) = N(mu, diag(exp(logvar))), p(x|z) from the decoder.

    Subclasses implement ``encode(x) -> (mu, logvar)`` and ``decode_logits(z)``
    (pre-sigmoid pixel values, shape (N, C, H, W)).
    """

    kind = "vae"
    data_range = (0.0, 1.0)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def decode_logits(self, z: Tensor) -> Tensor:
        raise NotImplementedError

    def reparameterize(self, mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
        """z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I) drawn on mu's device.

        Writing the sample this way makes z a differentiable function of mu and
        logvar (the noise is an input, not a sampling step), so the ELBO's
        gradient reaches the encoder. Pass ``eps`` (shape of mu) to fix the
        noise, e.g. for a gradient check or to compare with another library.
        """
        if eps is None:
            eps = randn(*mu.shape, dtype=mu.dtype, device=mu.device)
        elif eps.shape != mu.shape:
            raise ValueError(f"reparameterize: eps has shape {eps.shape}, expected mu's shape {mu.shape}")
        return mu + (0.5 * logvar).exp() * eps

    def decode(self, z: Tensor) -> Tensor:
        """Pixel probabilities in [0, 1]: sigmoid(decode_logits(z))."""
        return self.decode_logits(z).sigmoid()

    generate = decode

    def forward(self, x: Tensor, eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(reconstruction logits (N, C, H, W), mu, logvar) for a batch x in [0, 1]."""
        mu, logvar = self.encode(x)
        return self.decode_logits(self.reparameterize(mu, logvar, eps)), mu, logvar

    def loss(
        self, x: Tensor, likelihood: str = "bernoulli", beta: float = 1.0, eps: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """(total, reconstruction, kl), each averaged over the images of the batch.

        The negative ELBO per image is ``reconstruction + kl``; ``total`` weighs
        the KL by ``beta`` (beta = 1: the ELBO; beta > 1: a beta-VAE).

        * reconstruction, "bernoulli": -log p(x|z) = BCE(x, sigmoid(logits)) summed
          over pixels, computed from the logits so it stays finite;
          "gaussian": the squared error summed over pixels (a unit-variance
          Gaussian's -log p(x|z) up to a constant, times 2).
        * kl: KL(N(mu, sigma^2) || N(0, I)) summed over the latent dimensions.

        ``eps`` fixes the reparameterisation noise (see :meth:`reparameterize`).
        """
        logits, mu, logvar = self(x, eps)
        target = x.reshape(*logits.shape)
        n = logits.shape[0]
        if likelihood == "bernoulli":
            reconstruction = losses.binary_cross_entropy_with_logits(logits, target, reduction="sum") / n
        elif likelihood == "gaussian":
            reconstruction = losses.mse_loss(logits.sigmoid(), target, reduction="sum") / n
        else:
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        kl = losses.gaussian_kl(mu, logvar)  # per image: summed over latent dims, averaged over the batch
        return reconstruction + beta * kl, reconstruction, kl
