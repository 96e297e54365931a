"""The differentiable functions of minigen, in one namespace (like ``torch``'s).

Each lives in ``minigen/ops/``, next to its backward; this module only gathers
them. Layers' functions (``linear``, ``conv2d``, losses) are in ``minigen.nn.functional``.
"""

from collections.abc import Sequence
from typing import Any

from minigen import backend
from minigen.ops import shape as _shape
from minigen.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from minigen.ops.broadcasting import broadcast_to
from minigen.ops.elementwise import abs, clip, exp, leaky_relu, log, relu, sigmoid, softplus, sqrt, tanh
from minigen.ops.indexing import getitem, where
from minigen.ops.reduction import log_softmax, logsumexp, max, mean, min, softmax, sum, var
from minigen.ops.shape import concatenate, flatten, pad, permute, reshape, transpose
from minigen.tensor import Tensor

__all__ = [
    "abs", "add", "allclose", "broadcast_to", "cat", "clip", "concat", "concatenate", "div", "equal", "exp", "flatten",
    "getitem", "leaky_relu", "log", "log_softmax", "logsumexp", "matmul", "max", "mean", "min", "mul", "neg",
    "pad", "permute", "pow", "relu", "reshape", "sigmoid", "softmax", "softplus", "sqrt", "stack", "sub",
    "sum", "tanh", "transpose", "var", "where",
]  # fmt: skip


def _dim(function: str, dim: int, axis: int | None) -> int:
    """``dim`` (PyTorch's name) or its alias ``axis`` (NumPy's); giving both, differently, is an error."""
    if axis is None:
        return dim
    if dim not in (0, axis):
        raise TypeError(f"{function}: got dim={dim} and axis={axis}; axis is an alias of dim, give one")
    return axis


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dimension, as torch.cat: :func:`concatenate` under PyTorch's names."""
    return concatenate(tensors, _dim("cat", dim, axis))


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along a new dimension ``dim``, as torch.stack (``axis`` is accepted as an alias)."""
    return _shape.stack(tensors, _dim("stack", dim, axis))


concat = cat  # torch.concat


def _arrays(input: Any, other: Any, function: str) -> tuple[Any, Any]:  # noqa: A002 - PyTorch's name
    """The arrays of two tensors (or of a tensor and an array or number), on one device."""
    a, b = (value.data if isinstance(value, Tensor) else value for value in (input, other))
    device_a, device_b = backend.device_of(a), backend.device_of(b)
    if device_a is not None and device_b is not None and device_a is not device_b:
        raise RuntimeError(f"{function}: tensors on different devices, {device_a.name} and {device_b.name}")
    return a, b


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """True when |input - other| <= atol + rtol * |other| everywhere (broadcasting), as torch.allclose."""
    a, b = _arrays(input, other, "allclose")
    return bool(backend.get_array_module(a, b).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:  # noqa: A002 - PyTorch's name
    """True when both have the same shape and the same values, as torch.equal."""
    a, b = _arrays(input, other, "equal")
    return tuple(a.shape) == tuple(b.shape) and bool((a == b).all())
