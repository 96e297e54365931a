"""The differentiable functions of minigen, in one namespace (like ``torch``'s).

Each lives in ``minigen/ops/``, next to its backward; this module only gathers
them. Layers' functions (``linear``, ``conv2d``, losses) are in ``minigen.nn.functional``.
"""

from minigen.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from minigen.ops.broadcasting import broadcast_to
from minigen.ops.elementwise import abs, clip, exp, leaky_relu, log, relu, sigmoid, softplus, sqrt, tanh
from minigen.ops.indexing import getitem, where
from minigen.ops.reduction import log_softmax, logsumexp, max, mean, min, softmax, sum, var
from minigen.ops.shape import concatenate, flatten, pad, permute, reshape, stack, transpose

__all__ = [
    "abs", "add", "broadcast_to", "clip", "concatenate", "div", "exp", "flatten", "getitem",
    "leaky_relu", "log", "log_softmax", "logsumexp", "matmul", "max", "mean", "min", "mul", "neg",
    "pad", "permute", "pow", "relu", "reshape", "sigmoid", "softmax", "softplus", "sqrt", "stack", "sub",
    "sum", "tanh", "transpose", "var", "where",
]  # fmt: skip
