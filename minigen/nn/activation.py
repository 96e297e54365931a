"""Activation layers: thin Modules around the functions of minigen.ops.elementwise (and softmax's, in reduction).

``inplace`` is accepted for PyTorch compatibility and ignored: minigen's ops never
overwrite their input (the backward pass may still need it).
"""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.elementwise import leaky_relu, relu, sigmoid, tanh
from minigen.ops.reduction import log_softmax, softmax
from minigen.tensor import Tensor

__all__ = ["LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh"]


class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (DCGAN's discriminator uses 0.2)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """tanh(x), in (-1, 1): the usual last layer of a GAN generator."""

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class Sigmoid(Module):
    """1 / (1 + e^-x), in (0, 1)."""

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class _AlongDim(Module):
    """A normalisation along one axis ``dim`` (default -1, the last axis)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """exp(x) / sum(exp(x)) along ``dim``, see :func:`minigen.functional.softmax`.

    ``dim`` defaults to -1 (the last axis). PyTorch's ``nn.Softmax()`` without ``dim`` guesses
    one (1 for a 4-D input) and warns: write ``Softmax(dim=1)`` for (N, C, H, W) class maps.
    """

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """log(softmax(x)) along ``dim`` (default -1), computed stably; the input :func:`nll_loss` expects."""

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)
