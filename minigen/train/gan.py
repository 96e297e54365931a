"""Training a GAN: a discriminator step, then a generator step, on every batch.

With D(x) the discriminator's logit and sigma the sigmoid:

* discriminator: minimise BCE(D(x), 1) + BCE(D(G(z)), 0), i.e. push sigma(D) up on
  real images and down on fakes. The fakes are *detached*: this step must not
  change the generator. With one-sided label smoothing the real target is
  1 - s (0.9 for s = 0.1), which keeps D from becoming over-confident; the fake
  target stays 0.
* generator: minimise BCE(D(G(z)), 1) = -log sigma(D(G(z))), the *non-saturating*
  loss. The original minimax loss log(1 - sigma(D(G(z)))) has almost no gradient
  when D easily rejects the fakes, which is exactly the situation at the start.

Both losses are computed from logits (``binary_cross_entropy_with_logits``),
never from clipped probabilities. Adam's betas (0.5, 0.999) follow the DCGAN
paper; so does its lr 2e-4 for ``dcgan``, while the MLP ``gan`` trains with
lr 1e-3 and label smoothing 0.1 by default (their specs in ``minigen.models.MODELS``).
"""

from __future__ import annotations

from minigen import optim
from minigen.nn.functional import binary_cross_entropy_with_logits as bce_with_logits
from minigen.random import randn
from minigen.tensor import Tensor

from .task import Task, full_like

__all__ = ["GANTask"]


class GANTask(Task):
    """Alternate discriminator and generator steps; reports both losses and D's mean outputs."""

    loss_names = ("d_loss", "g_loss", "d_real", "d_fake")
    panels = (("losses", ("d_loss", "g_loss")), ("D output: sigmoid(D(x)) mean", ("d_real", "d_fake")))

    def __init__(self, model, config) -> None:
        super().__init__(model, config)
        betas = (0.5, 0.999)
        self.optimizers = {
            "generator": optim.Adam(model.generator.parameters(), lr=config.lr, betas=betas),
            "discriminator": optim.Adam(model.discriminator.parameters(), lr=config.lr, betas=betas),
        }
        self.real_label = 1.0 - config.label_smoothing

    def train_step(self, x: Tensor, labels: Tensor | None = None) -> dict[str, Tensor]:
        generator, discriminator = self.model.generator, self.model.discriminator
        opt_g, opt_d = self.optimizers["generator"], self.optimizers["discriminator"]
        # A conditional GAN: each fake is drawn for the label of a real image, and D judges (image, label) pairs.
        condition = self.model.condition(labels if self.model.conditional else None)
        z = randn(x.shape[0], self.model.latent_dim, dtype=x.dtype, device=x.device)
        fake = generator(z, *condition)

        # 1. discriminator: real -> real_label, fake (detached: G is not trained here) -> 0
        real_logits = discriminator(x.reshape(*fake.shape), *condition)
        fake_logits = discriminator(fake.detach(), *condition)
        d_loss = bce_with_logits(real_logits, full_like(real_logits, self.real_label)) + bce_with_logits(
            fake_logits, full_like(fake_logits, 0.0)
        )
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        # 2. generator: non-saturating loss -log sigmoid(D(G(z))), through the updated D.
        # D's weights are frozen for this backward pass: it needs only the gradient w.r.t. the fakes.
        discriminator.requires_grad_(False)
        try:
            logits = discriminator(fake, *condition)
            g_loss = bce_with_logits(logits, full_like(logits, 1.0))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        finally:
            discriminator.requires_grad_(True)
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_real": real_logits.detach().sigmoid().mean(),
            "d_fake": fake_logits.detach().sigmoid().mean(),
        }
