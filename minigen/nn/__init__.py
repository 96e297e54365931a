"""Layers and models, with PyTorch's names, weight layouts and default initialisations.

``nn.Module`` (module.py) holds parameters, buffers and submodules; each layer is a
Module whose ``forward`` calls a function of ``minigen.nn.functional``.
"""

from minigen.nn import functional, init
from minigen.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigen.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minigen.nn.containers import ModuleList, Sequential
from minigen.nn.conv import Conv2d, ConvTranspose2d
from minigen.nn.dropout import Dropout, Dropout2d
from minigen.nn.linear import Flatten, Identity, Linear, Unflatten
from minigen.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minigen.nn.module import Module, Parameter
from minigen.nn.pooling import AvgPool2d, MaxPool2d
from minigen.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d",
    "CrossEntropyLoss", "Dropout", "Dropout2d", "Flatten", "Identity", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "Unflatten", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "functional", "init",
]  # fmt: skip
