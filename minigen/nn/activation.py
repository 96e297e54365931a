"""Activation layers: thin Modules around the functions of minigen.ops.elementwise.

``inplace`` is accepted for PyTorch compatibility and ignored: minigen's ops never
overwrite their input (the backward pass may still need it).
"""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.elementwise import leaky_relu, relu, sigmoid, tanh
from minigen.tensor import Tensor

__all__ = ["LeakyReLU", "ReLU", "Sigmoid", "Tanh"]


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
