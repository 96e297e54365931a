"""Inverted dropout: zero each element with probability p and scale the survivors by 1 / (1 - p)."""

from __future__ import annotations

from typing import Any

from minigen import random
from minigen.tensor import Function, Tensor


class Dropout(Function):
    """y = x * mask, mask_i = 1/(1-p) with probability 1-p, else 0. dL/dx = dL/dy * mask."""

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def forward(self, x: Any) -> Any:
        return x * self.mask

    def backward(self, grad: Any) -> Any:
        return grad * self.mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout, as torch.nn.functional.dropout; the identity when not ``training`` or ``p == 0``.

    The mask is drawn on the input's device with minigen.random (no host round trip).
    ``inplace`` is accepted and ignored.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = random.rand(*input.shape, dtype=input.dtype, device=input.device).data >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.astype(input.dtype) * input.dtype.type(scale)
    return Dropout(mask)(input)
