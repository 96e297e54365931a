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

``num_classes`` > 0 makes it a conditional GAN, ``cgan``: ``generator(z, labels)`` and
``discriminator(x, labels)``, and D judges whether x is a real image *of that class*.
The generator takes the one-hot label concatenated to z (Mirza & Osindero 2014,
:class:`WithLabels`). The discriminator is a projection discriminator (Miyato & Koyama
2018, :class:`Projection`): with the label merely concatenated to its 784 pixels
(``projection=False``) 61% of the digits were drawn as asked, with the projection 92%
(bench/README.md, three seeds).
"""

from __future__ import annotations

import math
from typing import Any

from minigen import nn
from minigen.ops.indexing import one_hot
from minigen.tensor import Tensor

from .base import AsImages, GenerativeModel, as_labels, check_image_shape, check_num_classes

__all__ = ["CGAN", "MLPGAN"]


def _activation(negative_slope: float) -> nn.Module:
    return nn.LeakyReLU(negative_slope) if negative_slope else nn.ReLU()


class MLPGAN(GenerativeModel):
    """A GAN of two multilayer perceptrons, for images of any ``image_shape`` (C, H, W).

    ``model.generator(z)``: (N, latent_dim) -> images (N, C, H, W) in [-1, 1].
    ``model.discriminator(x)``: images (N, C, H, W), (N, H, W) or (N, C*H*W) -> logits (N, 1).
    With ``num_classes`` > 0 both also take the labels (N,): ``generator(z, labels)``.
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
        num_classes: int = 0,
        projection: bool = True,
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, type(self).__name__)
        self.latent_dim, self.num_classes = int(latent_dim), int(num_classes)
        pixels, labels = math.prod(self.image_shape), self.num_classes  # labels: the one-hot code's width

        layers: list[nn.Module] = []
        for fan_in, fan_out in zip((self.latent_dim + labels, *hidden), hidden):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        layers += [nn.Linear(hidden[-1], pixels), nn.Tanh(), AsImages(self.image_shape)]
        self.generator = self.told_labels(nn.Sequential(*layers))

        widths = tuple(reversed(hidden))  # 512 -> 256 -> 128
        concatenated = labels if self.conditional and not projection else 0
        layers = [nn.Flatten()]
        for fan_in, fan_out in zip((pixels + concatenated, *widths), widths):
            layers += [nn.Linear(fan_in, fan_out), _activation(negative_slope)]
            if dropout:
                layers.append(nn.Dropout(dropout))
        if self.conditional and projection:
            self.discriminator = Projection(nn.Sequential(*layers), widths[-1], self.num_classes)
        else:
            self.discriminator = self.told_labels(nn.Sequential(*layers, nn.Linear(widths[-1], 1)))

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z, *self.condition(labels))

    forward = generate


class Projection(nn.Module):
    """D(x, y) = w . phi(x) + b + e_y . phi(x): a projection discriminator (Miyato & Koyama 2018).

    phi is ``features``; e_y, the class's embedding (a row of a Linear on the one-hot label), is
    dotted with the features, so every class gets its own linear read-out of what D sees.
    """

    def __init__(self, features: nn.Module, width: int, num_classes: int) -> None:
        super().__init__()
        self.features, self.num_classes = features, int(num_classes)
        self.head = nn.Linear(width, 1)
        self.embed = nn.Linear(self.num_classes, width, bias=False)

    def forward(self, x: Tensor, labels: Any) -> Tensor:
        h = self.features(x)
        codes = one_hot(as_labels(labels, x), self.num_classes).to(h.dtype)
        return self.head(h) + (self.embed(codes) * h).sum(dim=1, keepdim=True)


class CGAN(MLPGAN):
    """The conditional MLP GAN: :class:`MLPGAN` told one of ``num_classes`` labels (10 digits by default).

    Its discriminator has no dropout: with the gan's dropout 0.3 (and label smoothing 0.1) 79% of the digits were
    drawn as asked, without them 92% (bench/README.md, three seeds). ``options``: MLPGAN's ``hidden``,
    ``negative_slope``, ``projection``.
    """

    def __init__(self, image_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 100, num_classes: int = 10,
                 dropout: float = 0.0, **options: Any) -> None:  # fmt: skip
        num_classes = check_num_classes(num_classes, "CGAN")
        super().__init__(image_shape, latent_dim, dropout=dropout, num_classes=num_classes, **options)
