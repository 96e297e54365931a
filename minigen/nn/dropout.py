"""The Dropout layer: active in training mode, the identity after ``eval()``."""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.dropout import dropout
from minigen.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """Zeroes each element with probability ``p`` while training and scales the rest by 1 / (1 - p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
