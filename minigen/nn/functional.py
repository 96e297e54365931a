"""Functional forms of the layers (``linear``, ``batch_norm``, ``dropout``, ...), as torch.nn.functional.

Everything in ``minigen.functional`` (relu, tanh, sigmoid, softmax, ...) is here too, so
``import minigen.nn.functional as F`` is the one namespace a model needs.
"""

from minigen.functional import *  # noqa: F403
from minigen.functional import __all__ as _core
from minigen.ops.linear import linear

__all__ = [*_core, "linear"]
