"""Functional forms of the layers and losses, as torch.nn.functional.

Everything in ``minigen.functional`` (relu, leaky_relu, tanh, sigmoid, softmax, ...) is here
too, so ``import minigen.nn.functional as F`` is the one namespace a model needs.
Each function is defined next to its backward in ``minigen/ops/`` (the losses in
``minigen/ops/losses.py``); this module only gathers them under PyTorch's names.
"""

from minigen.functional import *  # noqa: F403
from minigen.functional import __all__ as _core
from minigen.ops import elementwise as _elementwise
from minigen.ops.conv import conv2d, conv_transpose2d
from minigen.ops.dropout import dropout, dropout2d
from minigen.ops.fold import fold, unfold
from minigen.ops.indexing import one_hot
from minigen.ops.interpolate import interpolate
from minigen.ops.linear import linear
from minigen.ops.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_kl,
    mse_loss,
    nll_loss,
)
from minigen.ops.normalization import batch_norm
from minigen.ops.pooling import avg_pool2d, max_pool2d
from minigen.tensor import Tensor

__all__ = [
    *_core, "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
    "conv_transpose2d", "cross_entropy", "dropout", "dropout2d", "fold", "gaussian_kl", "interpolate", "linear",
    "max_pool2d", "mse_loss", "nll_loss", "one_hot", "unfold",
]  # fmt: skip


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(x, 0), as torch.nn.functional.relu. ``inplace`` is accepted; the result is computed out of place
    (same values and gradients as PyTorch's in-place version)."""
    return _elementwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, negative_slope * x otherwise, as torch.nn.functional.leaky_relu; ``inplace`` as in :func:`relu`."""
    return _elementwise.leaky_relu(input, negative_slope)
