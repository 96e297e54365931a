"""Layers and models, with PyTorch's names, weight layouts and default initialisations.

``nn.Module`` (module.py) holds parameters, buffers and submodules; each layer is a
Module whose ``forward`` calls a function of ``minigen.nn.functional``.
"""

from minigen.nn import functional, init
from minigen.nn.containers import ModuleList, Sequential
from minigen.nn.linear import Flatten, Identity, Linear, Unflatten
from minigen.nn.module import Module, Parameter

__all__ = [
    "Flatten", "Identity", "Linear", "Module", "ModuleList", "Parameter", "Sequential", "Unflatten",
    "functional", "init",
]  # fmt: skip
