"""What the models share: image-shape checks, the reshape to images, and the VAE's ELBO.

* :func:`check_image_shape` turns ``image_shape`` into a ``(C, H, W)`` tuple of
  ints, or says what was expected.
* :class:`AsImages` reshapes a batch to ``(N, C, H, W)``, so a model accepts
  flattened ``(N, C*H*W)`` rows and channel-less ``(N, H, W)`` MNIST batches alike.
* :class:`GenerativeModel` gives every model ``sample(n)`` and the device and dtype
  its parameters live on; a *conditional* model (``num_classes`` > 0) is also told
  each image's class, and :class:`WithLabels` is how its networks receive it.
* :class:`VAE` holds the parts every variational autoencoder shares
  (reparameterisation, decoding, the loss); a subclass writes ``encode`` and
  ``decode_logits``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from minigen import nn
from minigen.backend import get_array_module
from minigen.ops import losses
from minigen.ops.indexing import one_hot
from minigen.ops.shape import concatenate
from minigen.random import randn
from minigen.tensor import Tensor, no_grad

__all__ = ["AsImages", "GenerativeModel", "VAE", "WithLabels", "check_image_shape"]


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


def check_num_classes(num_classes: Any, model: str) -> int:
    """``num_classes`` of a conditional model: a positive int, or a ValueError naming ``model``."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"{model}: num_classes must be a positive int, got {num_classes!r}")
    return int(num_classes)


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
    num_classes = 0  # > 0: a conditional model, ``generate(z, labels)`` draws an image of each label's class

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def condition(self, labels: Any) -> tuple[Any, ...]:
        """``(labels,)`` for a conditional model, ``()`` for another: the extra argument its networks take.

        A conditional model needs labels and an unconditional one refuses them, each in one line.
        """
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"{type(self).__name__} is not conditional: it takes no labels")
            return ()
        if labels is None:
            raise ValueError(f"{type(self).__name__} is conditional: give the labels (ints in [0, {self.num_classes}))")
        return (labels,)

    def told_labels(self, net: nn.Module) -> nn.Module:
        """``net`` itself, or for a conditional model ``net`` given [input, one-hot label] (:class:`WithLabels`)."""
        return WithLabels(net, self.num_classes) if self.conditional else net

    def parameter_device_dtype(self) -> tuple[str, Any]:
        """(device, dtype) of the model's parameters: where noise must be drawn."""
        parameter = next(iter(self.parameters()))
        return parameter.device, parameter.dtype

    def sample(self, n: int, device: str | None = None, batch_size: int = 256, labels: Any = None) -> Tensor:
        """``n`` new images (n, C, H, W) from z ~ N(0, I), without building a graph.

        A conditional model draws image i of class ``labels[i]`` (by default the classes in turn, i mod
        ``num_classes``).

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
            if self.conditional and labels is None:
                labels = Tensor(get_array_module(z.data).arange(n) % self.num_classes)
            condition = self.condition(labels)
            if condition:
                condition = (as_labels(labels, z),)

            def block(start: int, stop: int) -> Tensor:
                return self.generate(z[start:stop], *(given[start:stop] for given in condition))

            if n <= batch_size:
                return block(0, n)
            first = block(0, batch_size).data
            images = get_array_module(first).empty((n, *first.shape[1:]), dtype=first.dtype)
            images[:batch_size] = first
            for start in range(batch_size, n, batch_size):  # a loop over blocks of the batch
                images[start : start + batch_size] = block(start, start + batch_size).data
            return Tensor(images)

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        raise NotImplementedError


def as_labels(labels: Any, batch: Tensor) -> Tensor:
    """``labels`` (a Tensor, array or list) as a Tensor on ``batch``'s device, checked: one per image of the batch."""
    if not isinstance(labels, Tensor):
        array = get_array_module(batch.data).asarray(labels)
        labels = Tensor(array.astype("int64") if array.size == 0 else array)  # an empty list reads as float64
    if labels.shape != (batch.shape[0],):
        n = batch.shape[0]
        raise ValueError(f"labels of shape {labels.shape} for a batch of {n} images (expected ({n},))")
    return labels


class WithLabels(nn.Module):
    """``net`` applied to [x flattened, one_hot(labels)]: a network told each input's class.

    Concatenating the one-hot label to the generator's noise and to the discriminator's (or encoder's)
    input is the conditioning of Mirza & Osindero (2014) and Sohn et al. (2015): for a first Linear
    layer it adds a learned vector per class (a label embedding) to the layer's output.
    """

    def __init__(self, net: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.net, self.num_classes = net, int(num_classes)

    def forward(self, x: Tensor, labels: Any) -> Tensor:
        codes = one_hot(as_labels(labels, x), self.num_classes).to(x.dtype)
        return self.net(concatenate([x.reshape(x.shape[0], math.prod(x.shape[1:])), codes], axis=1))

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}"


class VAE(GenerativeModel):
    """A variational autoencoder: q(z|x) = N(mu, diag(exp(logvar))), p(x|z) from the decoder.

    Subclasses implement ``encode(x) -> (mu, logvar)`` and ``decode_logits(z)``
    (pre-sigmoid pixel values, shape (N, C, H, W)); a conditional one (``num_classes`` > 0)
    takes the labels as their second argument.
    """

    kind = "vae"
    data_range = (0.0, 1.0)

    def encode(self, x: Tensor, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def decode_logits(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
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

    def decode(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Pixel probabilities in [0, 1]: sigmoid(decode_logits(z)) (a conditional VAE's decoder takes labels)."""
        return self.decode_logits(z, *self.condition(labels)).sigmoid()

    generate = decode

    def forward(self, x: Tensor, eps: Tensor | None = None, labels: Tensor | None = None) -> tuple[Tensor, ...]:
        """(reconstruction logits (N, C, H, W), mu, logvar) for a batch x in [0, 1] (and its labels, if conditional)."""
        condition = self.condition(labels)
        mu, logvar = self.encode(x, *condition)
        return self.decode_logits(self.reparameterize(mu, logvar, eps), *condition), mu, logvar

    def loss(
        self, x: Tensor, likelihood: str = "bernoulli", beta: float = 1.0, eps: Tensor | None = None,
        labels: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """(total, reconstruction, kl), each averaged over the images of the batch.

        The negative ELBO per image is ``reconstruction + kl``; ``total`` weighs
        the KL by ``beta`` (beta = 1: the ELBO; beta > 1: a beta-VAE).

        * reconstruction, "bernoulli": -log p(x|z) = BCE(x, sigmoid(logits)) summed
          over pixels, computed from the logits so it stays finite;
          "gaussian": the squared error summed over pixels (a unit-variance
          Gaussian's -log p(x|z) up to a constant, times 2).
        * kl: KL(N(mu, sigma^2) || N(0, I)) summed over the latent dimensions.

        ``eps`` fixes the reparameterisation noise (see :meth:`reparameterize`); ``labels``: a conditional VAE's.
        """
        logits, mu, logvar = self(x, eps, labels)
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
