"""Training a VAE: minimise the negative ELBO, reconstruction + beta * KL, per image.

* reconstruction: -log p(x|z) with z = mu + sigma * eps drawn from the encoder's
  q(z|x); "bernoulli" is the binary cross-entropy summed over the pixels,
  "gaussian" the squared error summed over the pixels;
* KL(q(z|x) || N(0, I)), in closed form, summed over the latent dimensions.

Both are reported separately: the reconstruction falls as the decoder learns,
the KL measures how much information the code carries. After each epoch the
test split's negative ELBO per image (reconstruction + KL, whatever beta is)
is measured with the model in eval mode: a number comparable across runs.
"""

from __future__ import annotations

from typing import Any

from minigen import backend, optim
from minigen.tensor import Tensor, no_grad

from .task import Task

__all__ = ["VAETask"]


class VAETask(Task):
    """One Adam optimizer on all the VAE's parameters."""

    loss_names = ("loss", "recon", "kl")
    panels = (
        ("negative ELBO per image", ("loss", "test_loss")),
        ("reconstruction", ("recon",)),
        ("KL", ("kl",)),
    )

    def __init__(self, model, config) -> None:
        super().__init__(model, config)
        self.optimizers = {"model": optim.Adam(model.parameters(), lr=config.lr)}

    def train_step(self, x: Tensor, labels: Tensor | None = None) -> dict[str, Tensor]:
        labels = labels if self.model.conditional else None  # a CVAE's encoder and decoder are told the digit
        total, reconstruction, kl = self.model.loss(x, likelihood=self.config.likelihood, beta=self.config.beta,
                                                    labels=labels)  # fmt: skip
        optimizer = self.optimizers["model"]
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        return {"loss": total.detach(), "recon": reconstruction.detach(), "kl": kl.detach()}

    def evaluate(self, loader: Any) -> dict[str, float]:
        """Test split: negative ELBO (reconstruction + KL) per image, and its two parts."""
        sums, count = None, 0
        self.model.eval()
        try:
            with no_grad():
                for x, labels in loader:
                    labels = labels if self.model.conditional else None
                    _, reconstruction, kl = self.model.loss(x, likelihood=self.config.likelihood, labels=labels)
                    n = x.shape[0]
                    batch = [reconstruction * n, kl * n]  # the loss is a mean over the batch: weigh by its size
                    sums = batch if sums is None else [s + b for s, b in zip(sums, batch)]
                    count += n
        finally:
            self.model.train()
        if sums is None:
            return {}
        xp = backend.get_array_module(sums[0])
        reconstruction, kl = (float(v) / count for v in backend.to_numpy(xp.stack([s.data for s in sums])))
        return {"test_loss": reconstruction + kl, "test_recon": reconstruction, "test_kl": kl}
