"""Training the regression baseline (``cnn-mse``): MSE between G(z) and a batch of real images.

z and the real images are drawn independently, so the best G under this loss
outputs the mean image whatever z is (see ``minigen/models/cnn_generator.py``):
watch its sample grids turn into one blurry average. That is the lesson.
"""

from __future__ import annotations

from minigen import optim
from minigen.tensor import Tensor

from .task import Task

__all__ = ["RegressionTask"]


class RegressionTask(Task):
    """One Adam optimizer on the generator; the model's own ``loss(x)`` draws fresh z."""

    loss_names = ("mse",)
    panels = (("MSE between G(z) and real images", ("mse",)),)

    def __init__(self, model, config) -> None:
        super().__init__(model, config)
        self.optimizers = {"model": optim.Adam(model.parameters(), lr=config.lr, betas=(0.5, 0.999))}

    def train_step(self, x: Tensor, labels: Tensor | None = None) -> dict[str, Tensor]:
        loss = self.model.loss(x)
        optimizer = self.optimizers["model"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"mse": loss.detach()}
