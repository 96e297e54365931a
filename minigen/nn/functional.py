"""Functional forms of the layers and losses, as torch.nn.functional.

Everything in ``minigen.functional`` (relu, leaky_relu, tanh, sigmoid, softmax, ...) is here
too, so ``import minigen.nn.functional as F`` is the one namespace a model needs.
Each function is defined next to its backward in ``minigen/ops/`` (losses in ``minigen/nn/losses.py``).
"""

from minigen.functional import *  # noqa: F403
from minigen.functional import __all__ as _core
from minigen.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_kl,
    mse_loss,
    nll_loss,
)
from minigen.ops.conv import conv2d, conv_transpose2d
from minigen.ops.dropout import dropout
from minigen.ops.linear import linear
from minigen.ops.normalization import batch_norm
from minigen.ops.pooling import avg_pool2d, max_pool2d

__all__ = [
    *_core, "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
    "conv_transpose2d", "cross_entropy", "dropout", "gaussian_kl", "linear", "max_pool2d", "mse_loss",
    "nll_loss",
]  # fmt: skip
