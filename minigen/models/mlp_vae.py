"""``MLPVAE``: a variational autoencoder of fully connected layers.

    encoder  C*H*W -> 128 -> 256 -> 512 -> (mu, logvar), ReLU between layers
    decoder  z -> 512 -> 256 -> 128 -> C*H*W, ReLU between layers, sigmoid on the output

(``hidden=(128, 256, 512)``, latent size 20, the defaults). The decoder
mirrors the encoder. ``MLPVAE(image_shape, hidden=(400,))`` is the classic
784-400-20 VAE of Kingma and Welling (2014) and of PyTorch's example.

The decoder stops at the logits; ``decode`` applies the sigmoid, and the loss
works on the logits (see :class:`minigen.models.base.VAE`).
"""

from __future__ import annotations

import math

from minigen import nn
from minigen.tensor import Tensor

from .base import VAE, AsImages, check_image_shape

__all__ = ["MLPVAE"]


def _mlp(widths: tuple[int, ...]) -> list[nn.Module]:
    """Linear layers through ``widths``, each followed by ReLU."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return layers


class MLPVAE(VAE):
    """VAE with MLP encoder and decoder for images of shape ``image_shape`` (C, H, W).

    Submodules (their names are the state-dict keys): ``encoder`` (flatten, then
    Linear+ReLU through ``hidden``), ``fc_mu`` and ``fc_logvar`` (the last hidden
    width to ``latent_dim``), ``decoder`` (Linear+ReLU through reversed(hidden),
    then a Linear to the pixels, reshaped to (C, H, W)).
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        latent_dim: int = 20,
        hidden: tuple[int, ...] = (128, 256, 512),
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, "MLPVAE")
        self.latent_dim = int(latent_dim)
        hidden = tuple(int(width) for width in hidden)
        if not hidden:
            raise ValueError("MLPVAE: hidden needs at least one width, e.g. (400,)")
        pixels = math.prod(self.image_shape)
        self.encoder = nn.Sequential(nn.Flatten(), *_mlp((pixels, *hidden)))
        self.fc_mu = nn.Linear(hidden[-1], self.latent_dim)
        self.fc_logvar = nn.Linear(hidden[-1], self.latent_dim)
        widths = (self.latent_dim, *reversed(hidden))
        self.decoder = nn.Sequential(*_mlp(widths), nn.Linear(widths[-1], pixels), AsImages(self.image_shape))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar), each (N, latent_dim), for images (N, C, H, W), (N, H, W) or (N, C*H*W)."""
        if x.ndim < 2 or math.prod(x.shape[1:]) != math.prod(self.image_shape):
            raise ValueError(
                f"MLPVAE.encode: expected images of shape (N, {self.image_shape}) flattened or not, got {x.shape}"
            )
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: Tensor) -> Tensor:
        """Pre-sigmoid pixels (N, C, H, W) for codes z (N, latent_dim)."""
        return self.decoder(z)
