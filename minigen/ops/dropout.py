"""Inverted dropout: zero each element (or, for dropout2d, each whole channel) with probability p and
scale the survivors by 1 / (1 - p)."""

from __future__ import annotations

import warnings
from typing import Any

from minigen import random
from minigen.tensor import Function, Tensor


class Dropout(Function):
    """y = x * mask, mask_i = 1/(1-p) with probability 1-p, else 0. dL/dx = dL/dy * mask.

    The mask may broadcast against x (one value per channel for dropout2d)."""

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def forward(self, x: Any) -> Any:
        return x * self.mask

    def backward(self, grad: Any) -> Any:
        return grad * self.mask

    backward_graph = backward  # the mask is a constant


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout, as torch.nn.functional.dropout; the identity when not ``training`` or ``p == 0``.

    The mask is drawn on the input's device with minigen.random (no host round trip).
    ``inplace`` is accepted and ignored.
    """
    return _dropout(input, p, training, input.shape)


def _dropout(input: Tensor, p: float, training: bool, mask_shape: tuple[int, ...]) -> Tensor:
    """x * mask with a mask of ``mask_shape`` (broadcast against x): kept with probability 1 - p, scaled by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = random.rand(*mask_shape, dtype=input.dtype, device=input.device).data >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.astype(input.dtype) * input.dtype.type(scale)
    return Dropout(mask)(input)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout, as torch.nn.functional.dropout2d: each (n, c) feature map of ``input`` (N, C, H, W) is
    zeroed with probability ``p`` and the rest scaled by 1 / (1 - p); the identity when not ``training``.

    As in PyTorch, a 3-D input is read as (N, C, L) (with PyTorch's warning), and ``inplace`` is
    accepted and ignored.
    """
    if input.ndim < 2:
        raise ValueError(f"dropout2d: input must be (N, C, H, W), got shape {input.shape}")
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim.",
            stacklevel=2,
        )
    elif input.ndim != 4:
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated in PyTorch; "
            "use dropout instead (dropout2d expects (N, C, H, W))",
            stacklevel=2,
        )
    return _dropout(input, p, training, input.shape[:2] + (1,) * (input.ndim - 2))
