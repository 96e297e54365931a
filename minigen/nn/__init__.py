"""Layers and models, with PyTorch's names, weight layouts and default initialisations.

``nn.Module`` (module.py) holds parameters, buffers and submodules; each layer is a
Module whose ``forward`` calls a function of ``minigen.nn.functional``.
"""

from minigen.nn import functional, init
from minigen.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from minigen.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minigen.nn.containers import ModuleList, Sequential
from minigen.nn.dropout import Dropout
from minigen.nn.linear import Flatten, Identity, Linear, Unflatten
from minigen.nn.module import Module, Parameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear", "Module",
    "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "Unflatten", "functional", "init",
]  # fmt: skip
