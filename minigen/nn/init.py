"""Weight initialisation, with PyTorch's names and formulas.

Every initialiser draws its numbers on the host (``minigen.random.host_generator()``,
seeded by ``minigen.manual_seed``) in float32, then writes them into the tensor in
place, on its device and in its dtype. So a model built after ``manual_seed(0)``
starts from the same weights on the CPU and on the GPU, in float32 and float64.

PyTorch's default for Linear and Conv layers is ``kaiming_uniform_(w, a=sqrt(5))``,
which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same range for the bias.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy

from minigen import backend
from minigen.random import host_generator
from minigen.tensor import Tensor

__all__ = [
    "calculate_fan_in_and_fan_out", "calculate_gain", "constant_", "dcgan_init_", "default_weight_and_bias_",
    "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "uniform_", "xavier_normal_",
    "xavier_uniform_", "zeros_",
]  # fmt: skip


def _write(tensor: Tensor, host_values: numpy.ndarray) -> Tensor:
    """Copy float32 host values into ``tensor`` in place (its device and dtype); no graph is recorded."""
    tensor.data[...] = backend.to_device(host_values.astype(tensor.dtype, copy=False), backend.device_of(tensor.data))
    tensor.bump_version()
    return tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (in, out) for Linear's (out, in), times kh*kw for a conv kernel.

    As in PyTorch, the formula reads axis 1 as inputs and axis 0 as outputs for every
    weight, including ConvTranspose2d's (in, out, kh, kw) layout.
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {tensor.shape}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out  # PyTorch's private name, used by many scripts


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance stable through ``nonlinearity`` (PyTorch's table)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    values = host_generator().random(tensor.shape, dtype=numpy.float32)
    return _write(tensor, values * numpy.float32(b - a) + numpy.float32(a))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std^2)."""
    values = host_generator().standard_normal(tensor.shape, dtype=numpy.float32)
    return _write(tensor, values * numpy.float32(std) + numpy.float32(mean))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    tensor.data[...] = val
    tensor.bump_version()
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _has_no_elements(tensor: Tensor) -> bool:
    """True (with PyTorch's warning) for a weight with a zero-sized axis, e.g. Linear(0, 3)'s: its fan is 0."""
    if tensor.numel():
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return True


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan): He initialisation. ``a=sqrt(5)`` gives 1/sqrt(fan_in)."""
    if _has_no_elements(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if _has_no_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)): Glorot initialisation."""
    if _has_no_elements(tensor):
        return tensor
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    if _has_no_elements(tensor):
        return tensor
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def default_weight_and_bias_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's reset_parameters() for Linear and Conv: kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)


def dcgan_init_(module: Any) -> Any:
    """DCGAN's initialisation (Radford et al. 2015, as in PyTorch's DCGAN tutorial), on every submodule.

    Conv and ConvTranspose weights ~ N(0, 0.02); BatchNorm scales ~ N(1, 0.02) and
    BatchNorm shifts = 0. Other layers keep their defaults. Returns the module.
    """

    def init_one(m: Any) -> None:
        name = type(m).__name__
        if "Conv" in name and getattr(m, "weight", None) is not None:
            normal_(m.weight, 0.0, 0.02)
        elif "BatchNorm" in name and getattr(m, "weight", None) is not None:
            normal_(m.weight, 1.0, 0.02)
            if m.bias is not None:
                zeros_(m.bias)

    return module.apply(init_one)
