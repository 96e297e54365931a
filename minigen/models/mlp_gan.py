"""``MLPGAN``: a fully connected GAN.

    generator      z (100) -> 128 -> 256 -> 512 -> C*H*W, ReLU between layers, Tanh at the end
    discriminator  C*H*W -> 512 -> 256 -> 128 -> 1, ReLU (then Dropout 0.3) between layers, no sigmoid

The discriminator returns logits: the GAN losses apply the sigmoid inside a
stable ``binary_cross_entropy_with_logits`` (log(1 + e^-x) via softplus)
instead of taking the log of a probability that may round to 0.

The discriminator uses ReLU. Many GAN recipes use LeakyReLU(0.2) there instead,
so that fake images that land where a unit is off still receive a gradient;
``negative_slope=0.2`` switches to it.

Dropout(0.3) after each of the discriminator's ReLUs (``dropout=0.0`` removes
it) is part of the default recipe of ``minigen train gan``, with Adam lr 1e-3
and label smoothing 0.1 (its spec in ``minigen.models.MODELS``): dropout and
smoothing keep D from overpowering G. In a short run the learning rate is what
decides between varied digits and mode collapse (one image for every z); the
recipes compared are in bench/README.md.
"""

from __future__ import annotations

import math

from minigen import nn
from minigen.tensor import Tensor

from .base import AsImages, GenerativeModel, check_image_shape

__all__ = ["MLPGAN"]


def _activation(negative_slope: float) -> nn.Module:
    return nn.LeakyReLU(negative_slope) if negative_slope else nn.ReLU()


class MLPGAN(GenerativeModel):
    """A GAN of two multilayer perceptrons, for images of any ``image_shape`` (C, H, W).

    ``model.generator(z)``: (N, latent_dim) -> images (N, C, H, W) in [-1, 1].
    ``model.discriminator(x)``: images (N, C, H, W), (N, H, W) or (N, C*H*W) -> logits (N, 1).
    """

    kind = "gan"
    data_range = (-1.0, 1.0)

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        latent_dim: int = 100,
        hidden: tuple[int, ...] = (128, 256, 512),
        negative_slope: float = 0.0,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, "MLPGAN")
        self.latent_dim = int(latent_dim)
        pixels = math.prod(self.image_shape)

        layers: list[nn.Module] = []
        for fan_in, fan_out in zip((self.latent_dim, *hidden), hidden):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        layers += [nn.Linear(hidden[-1], pixels), nn.Tanh(), AsImages(self.image_shape)]
        self.generator = nn.Sequential(*layers)

        widths = tuple(reversed(hidden))  # 512 -> 256 -> 128
        layers = [nn.Flatten()]
        for fan_in, fan_out in zip((pixels, *widths), widths):
            layers += [nn.Linear(fan_in, fan_out), _activation(negative_slope)]
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(widths[-1], 1))
        self.discriminator = nn.Sequential(*layers)

    def generate(self, z: Tensor) -> Tensor:
        return self.generator(z)

    forward = generate
