"""Functional forms of the layers (``linear``, ``batch_norm``, ``dropout``, ...), as torch.nn.functional.

Everything in ``minigen.functional`` (relu, leaky_relu, tanh, sigmoid, softmax, ...) is here
too, so ``import minigen.nn.functional as F`` is the one namespace a model needs.
Each function is defined next to its backward in ``minigen/ops/``.
"""

from minigen.functional import *  # noqa: F403
from minigen.functional import __all__ as _core
from minigen.ops.dropout import dropout
from minigen.ops.linear import linear
from minigen.ops.normalization import batch_norm

__all__ = [*_core, "batch_norm", "dropout", "linear"]
