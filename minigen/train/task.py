"""What every kind of model shares while training: its optimizers and the shape of a step.

A *task* knows how to train one kind of model (``model.kind``): :mod:`.gan`,
:mod:`.vae` or :mod:`.regression`. The trainer (:mod:`.trainer`) only calls:

* ``train_step(x, labels)``: one optimisation step on a batch of real images (and
  their class labels, which a conditional model uses), returning the losses as 0-d
  tensors *still on the device* (detached), so that no number crosses to the host each step;
* ``evaluate(loader)``: numbers measured on the test split after each epoch;
* ``optimizer_state()`` / ``load_optimizer_state(state)``: for checkpoints.
"""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen.tensor import Tensor

__all__ = ["Task", "full_like"]


def full_like(reference: Tensor, value: float) -> Tensor:
    """A constant tensor with ``reference``'s shape, dtype and device (e.g. the labels of a GAN's loss)."""
    xp = backend.get_array_module(reference)
    return Tensor(xp.full(reference.shape, value, dtype=reference.dtype))


class Task:
    """Base class: ``optimizers`` maps a name ("model", "generator", ...) to an optimizer."""

    #: names of the losses ``train_step`` returns, in order
    loss_names: tuple[str, ...] = ()
    #: panels of the loss-curve figure: (title, names drawn together)
    panels: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __init__(self, model: Any, config: Any) -> None:
        self.model, self.config = model, config
        self.optimizers: dict[str, Any] = {}

    def train_step(self, x: Tensor, labels: Tensor | None = None) -> dict[str, Tensor]:
        raise NotImplementedError

    def evaluate(self, loader: Any) -> dict[str, float]:
        """Per-epoch numbers on the test split; none by default."""
        return {}

    def optimizer_state(self) -> dict[str, Any]:
        return {name: optimizer.state_dict() for name, optimizer in self.optimizers.items()}

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        if set(state) != set(self.optimizers):
            raise ValueError(f"checkpoint has optimizers {sorted(state)}, this model trains {sorted(self.optimizers)}")
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state[name])
