"""The Dropout and Dropout2d layers: active in training mode, the identity after ``eval()``."""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.dropout import dropout, dropout2d
from minigen.tensor import Tensor

__all__ = ["Dropout", "Dropout2d"]


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


class Dropout2d(Dropout):
    """Zeroes each whole channel (an (n, c) feature map of an (N, C, H, W) input) with probability ``p`` while
    training and scales the rest by 1 / (1 - p): neighbouring pixels are correlated, so dropping single ones
    regularises little (Tompson et al., 2015). A 3-D input is read as (N, C, L), with PyTorch's warning."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)
