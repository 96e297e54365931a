"""``WGANGP``: the Wasserstein GAN with gradient penalty (Gulrajani et al. 2017) on the DCGAN's networks.

The discriminator becomes a *critic* C: a score with no sigmoid, trained so that
E[C(x)] - E[C(G(z))] estimates the Wasserstein-1 distance between the data and the
generator's distribution, which needs C to be 1-Lipschitz. Instead of clipping C's
weights, the penalty

    lambda * E[(||grad_x C(x_hat)||_2 - 1)^2],   x_hat = eps x + (1 - eps) G(z), eps ~ U(0, 1)

pushes the gradient's norm to 1 on random interpolates between real and generated
images. Its gradient with respect to C's weights is a second derivative (the
gradient of a gradient, ``minigen.autograd.grad(..., create_graph=True)``).

The critic is the DCGAN discriminator without BatchNorm, as the paper recommends:
the penalty is taken per image, and batch statistics would make each image's score
depend on the others. The generator is the DCGAN's. Training: :mod:`minigen.train.wgan`.
"""

from __future__ import annotations

from minigen import nn

from .dcgan import DCGAN

__all__ = ["WGANGP"]


class WGANGP(DCGAN):
    """DCGAN generator and a BatchNorm-free critic for ``image_shape`` = (C, S, S), S = 32 or 64.

    ``model.critic(x)`` (also ``model.discriminator``): images -> scores (N, 1), unbounded.
    """

    kind = "wgan-gp"

    def __init__(
        self, image_shape: tuple[int, int, int] = (1, 32, 32), latent_dim: int = 100, features: int = 64
    ) -> None:
        super().__init__(image_shape, latent_dim, features, critic=True)

    @property
    def critic(self) -> nn.Module:
        return self.discriminator
