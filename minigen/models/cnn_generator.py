"""``CNNGenerator``: a convolutional generator trained with MSE alone.

    z (latent_dim) -> Linear -> 128 x H/4 x W/4, BatchNorm + ReLU
    ConvTranspose2d(128 -> 64, k4 s2 p1) + BatchNorm + ReLU      -> H/2 x W/2
    ConvTranspose2d(64 -> C,   k4 s2 p1) + Tanh                  -> H x W in [-1, 1]

It is the baseline that shows why regression cannot generate. Training pairs a
fresh noise vector z with a random real image x and minimises ||G(z) - x||^2.
Since z and x are independent, no z says anything about which x it is paired
with, and for every z the loss is minimised by the same output:

    argmin_g E_x ||g - x||^2 = E[x]     (the mean image)

Precisely, E||G(z) - x||^2 = E||x - E[x]||^2 + E||G(z) - E[x]||^2: the first
term (the pixels' variance around the mean image, 0.268 per pixel for the
embedded MNIST in [-1, 1]) is out of G's reach, and the second is zero only
when every G(z) is the mean image. So G learns to ignore z and to output one
blurry average of the training set (for MNIST, a grey smudge where digits
usually have ink), whatever z is: its samples have almost no diversity.

The approach to the mean is slow (bench/README.md has a run's figures):
BatchNorm rescales whatever depends on z back to unit variance, so to ignore z
the network must first shrink BatchNorm's scales.

A GAN replaces the fixed distance by a learned critic, and a VAE pairs z with
x through the encoder; both then have a reason to map different z to
different images.
"""

from __future__ import annotations

from minigen import nn
from minigen.ops import losses
from minigen.random import randn
from minigen.tensor import Tensor

from .base import GenerativeModel, check_halves_twice, check_image_shape

__all__ = ["CNNGenerator"]


class CNNGenerator(GenerativeModel):
    """Conv generator z -> image for ``image_shape`` = (C, H, W) with H, W divisible by 4.

    ``kind = "regression"``: trained by :meth:`loss`, the mean squared error
    between G(z) for fresh noise and a batch of real images in [-1, 1]. It
    converges to the mean image (see the module docstring).
    """

    kind = "regression"
    data_range = (-1.0, 1.0)

    def __init__(
        self, image_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 100, features: int = 64
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, "CNNGenerator")
        c, height, width = self.image_shape
        check_halves_twice(self.image_shape, "CNNGenerator", "two stride-2 transposed convolutions")
        self.latent_dim = int(latent_dim)
        f = int(features)
        start = (2 * f, height // 4, width // 4)
        self.generator = nn.Sequential(
            nn.Linear(self.latent_dim, 2 * f * (height // 4) * (width // 4), bias=False),
            nn.Unflatten(1, start),
            nn.BatchNorm2d(2 * f),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * f, f, 4, 2, 1, bias=False),
            nn.BatchNorm2d(f),
            nn.ReLU(),
            nn.ConvTranspose2d(f, c, 4, 2, 1),
            nn.Tanh(),
        )

    def generate(self, z: Tensor) -> Tensor:
        return self.generator(z)

    forward = generate

    def loss(self, x: Tensor) -> Tensor:
        """Mean squared error between G(z) for fresh z ~ N(0, I) and the real images x (N, C, H, W)."""
        z = randn(x.shape[0], self.latent_dim, dtype=x.dtype, device=x.device)
        fake = self(z)
        return losses.mse_loss(fake, x.reshape(*fake.shape))
