"""``DCGAN``: the deep convolutional GAN of Radford et al. (2016), for 32x32 or 64x64 images.

    generator (z as a 1x1 image with 100 channels)
      ConvTranspose2d(100 -> 256, k4 s1 p0)  + BatchNorm + ReLU    1x1  -> 4x4
      ConvTranspose2d(256 -> 128, k4 s2 p1)  + BatchNorm + ReLU    4x4  -> 8x8
      ConvTranspose2d(128 -> 64,  k4 s2 p1)  + BatchNorm + ReLU    8x8  -> 16x16
      ConvTranspose2d(64  -> C,   k4 s2 p1)  + Tanh                16x16 -> 32x32
    discriminator
      Conv2d(C   -> 64,  k4 s2 p1)              + LeakyReLU(0.2)   32x32 -> 16x16
      Conv2d(64  -> 128, k4 s2 p1) + BatchNorm  + LeakyReLU(0.2)   16x16 -> 8x8
      Conv2d(128 -> 256, k4 s2 p1) + BatchNorm  + LeakyReLU(0.2)   8x8   -> 4x4
      Conv2d(256 -> 1,   k4 s1 p0)                                 4x4   -> 1x1 logit

C = 1 for MNIST padded to 32x32, C = 3 for CIFAR-10. For 64x64 images each network
gains one stride-2 block at the deep end (widths 8f, 4f, 2f, f): the paper's 64x64
network, as PyTorch's dcgan example builds it. As in the paper:
convolutions followed by BatchNorm have no bias (BatchNorm's shift replaces
it); the three that are not (the generator's output, the discriminator's first
and last layers) keep theirs, which PyTorch's example also drops, a difference
of C + 65 parameters. Every weight starts from N(0, 0.02), every BatchNorm
scale from N(1, 0.02) and every bias at 0 (``nn.init.dcgan_init_``). The
discriminator returns logits: the sigmoid lives in the stable loss.
"""

from __future__ import annotations

from minigen import nn
from minigen.tensor import Tensor

from .base import AsImages, GenerativeModel, check_image_shape

__all__ = ["DCGAN"]


def _zero_conv_biases_(module: nn.Module) -> None:
    """The biases of the convolutions that have one (those not followed by BatchNorm) start at 0."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d) and layer.bias is not None:
            nn.init.zeros_(layer.bias)


class DCGAN(GenerativeModel):
    """Deep convolutional GAN for ``image_shape`` = (C, S, S), S = 32 or 64.

    ``model.generator(z)``: (N, latent_dim) -> images (N, C, S, S) in [-1, 1].
    ``model.discriminator(x)``: images (N, C, S, S) (or (N, S, S) when C = 1) -> logits (N, 1).
    ``features``: the width f of the layers (64 in the paper); the stride-2 blocks have
    f, 2f, 4f (and 8f at 64x64) channels. ``critic=True`` leaves BatchNorm out of the
    discriminator (its convolutions keep their biases instead): a WGAN-GP critic, whose
    gradient penalty is per image, which batch statistics would mix (see ``wgan_gp.py``).
    """

    kind = "gan"
    data_range = (-1.0, 1.0)

    def __init__(
        self, image_shape: tuple[int, int, int] = (1, 32, 32), latent_dim: int = 100, features: int = 64,
        critic: bool = False,
    ) -> None:
        super().__init__()
        self.image_shape = check_image_shape(image_shape, "DCGAN")
        channels, height, width = self.image_shape
        if height != width or height not in (32, 64):
            raise ValueError(
                f"DCGAN: needs 32x32 or 64x64 images (pad MNIST's 28x28 by 2 pixels), got image_shape "
                f"{self.image_shape}"
            )
        self.latent_dim = int(latent_dim)
        f = int(features)

        def up(fan_in: int, fan_out: int, stride: int, padding: int) -> list[nn.Module]:
            return [
                nn.ConvTranspose2d(fan_in, fan_out, 4, stride, padding, bias=False),
                nn.BatchNorm2d(fan_out),
                nn.ReLU(),
            ]

        def down(fan_in: int, fan_out: int) -> list[nn.Module]:
            if critic:
                return [nn.Conv2d(fan_in, fan_out, 4, 2, 1), nn.LeakyReLU(0.2)]
            return [nn.Conv2d(fan_in, fan_out, 4, 2, 1, bias=False), nn.BatchNorm2d(fan_out), nn.LeakyReLU(0.2)]

        widths = [f * 2**i for i in range(height.bit_length() - 3)]  # f, 2f, 4f (, 8f): 4x4 -> S/2 x S/2
        self.generator = nn.Sequential(
            nn.Unflatten(1, (self.latent_dim, 1, 1)),  # z as a 1x1 image with latent_dim channels
            *up(self.latent_dim, widths[-1], 1, 0),  # 1x1 -> 4x4
            *(layer for wide, narrow in zip(widths[:0:-1], widths[-2::-1]) for layer in up(wide, narrow, 2, 1)),
            nn.ConvTranspose2d(f, channels, 4, 2, 1),
            nn.Tanh(),
        )
        self.discriminator = nn.Sequential(
            AsImages(self.image_shape),
            nn.Conv2d(channels, f, 4, 2, 1),
            nn.LeakyReLU(0.2),
            *(layer for narrow, wide in zip(widths, widths[1:]) for layer in down(narrow, wide)),
            nn.Conv2d(widths[-1], 1, 4, 1, 0),
            nn.Flatten(),  # (N, 1, 1, 1) -> (N, 1)
        )
        nn.init.dcgan_init_(self)
        _zero_conv_biases_(self)

    def generate(self, z: Tensor) -> Tensor:
        return self.generator(z)

    forward = generate
