"""``ConvVAE``: a variational autoencoder with a convolutional encoder and a transposed-conv decoder.

For H x W images with H and W divisible by 4 (28x28 MNIST, 32x32 CIFAR-10):

    encoder  Conv2d(C -> 32, k4 s2 p1) + ReLU        H x W     -> H/2 x W/2
             Conv2d(32 -> 64, k4 s2 p1) + ReLU       H/2 x W/2 -> H/4 x W/4
             flatten, Linear(64*H/4*W/4 -> 256) + ReLU
             fc_mu, fc_logvar: Linear(256 -> latent_dim)
    decoder  Linear(latent_dim -> 256) + ReLU, Linear(256 -> 64*H/4*W/4) + ReLU, unflatten
             ConvTranspose2d(64 -> 32, k4 s2 p1) + ReLU   -> H/2 x W/2
             ConvTranspose2d(32 -> C, k4 s2 p1)           -> H x W logits (sigmoid in decode)

A stride-2 conv with kernel 4 and padding 1 halves the size exactly, and the
transposed conv with the same settings doubles it back, so the decoder mirrors
the encoder. Convolutions share weights across positions: about 15 times fewer
weights than the MLP VAE's first layer for the same image.
"""

from __future__ import annotations

from minigen import nn
from minigen.tensor import Tensor

from .base import VAE, AsImages, check_halves_twice, check_image_shape

__all__ = ["ConvVAE"]


class ConvVAE(VAE):
    """Convolutional VAE for ``image_shape`` = (C, H, W) with H, W divisible by 4.

    ``channels`` are the two conv widths, ``hidden`` the dense layer between the
    convolutions and the latent code.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        latent_dim: int = 20,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 256,
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, "ConvVAE")
        c, height, width = self.image_shape
        check_halves_twice(self.image_shape, "ConvVAE", "two stride-2 convolutions")
        self.latent_dim = int(latent_dim)
        c1, c2 = channels
        features = (c2, height // 4, width // 4)  # what the convolutions leave
        flat = c2 * (height // 4) * (width // 4)

        self.encoder = nn.Sequential(
            AsImages(self.image_shape),
            nn.Conv2d(c, c1, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 4, 2, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.ReLU(),
        )
        self.fc_mu = nn.Linear(hidden, self.latent_dim)
        self.fc_logvar = nn.Linear(hidden, self.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(self.latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, flat),
            nn.ReLU(),
            nn.Unflatten(1, features),
            nn.ConvTranspose2d(c2, c1, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, 2, 1),
        )

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar), each (N, latent_dim), for images (N, C, H, W) (or (N, H, W) when C = 1)."""
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z: Tensor) -> Tensor:
        """Pre-sigmoid pixels (N, C, H, W) for codes z (N, latent_dim)."""
        return self.decoder(z)
