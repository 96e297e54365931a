"""BatchNorm1d and BatchNorm2d: normalise each channel, learn a scale and shift, track running statistics."""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from minigen import backend
from minigen.nn import init
from minigen.nn.linear import empty_parameter
from minigen.nn.module import Module
from minigen.ops.normalization import batch_norm
from minigen.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; they differ only in the input shapes they accept.

    Parameters ``weight`` (init 1) and ``bias`` (init 0) when ``affine``; buffers
    ``running_mean`` (0), ``running_var`` (1) and ``num_batches_tracked`` (int64) when
    ``track_running_stats``. ``bias=False`` (keyword only, as in PyTorch 2.6+) learns no shift.
    ``momentum=None`` averages all batches seen (cumulative mean).
    """

    expected_ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: str | None = None, dtype: Any = None, *,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, numbers.Integral) or num_features < 1:
            raise ValueError(f"{name}: num_features must be an int >= 1, got {num_features!r}")
        if not 0 <= eps < float("inf"):
            raise ValueError(f"{name}: eps must be a finite number >= 0, got {eps!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = init.ones_(empty_parameter(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = init.zeros_(empty_parameter(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            xp = backend.get_device(device or "cpu").xp
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype or "float32")))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype or "float32")))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=numpy.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.expected_ndims:
            wanted = " or ".join(f"{n}D" for n in self.expected_ndims)
            raise ValueError(f"{type(self).__name__}: expected {wanted} input, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input of shape {input.shape} "
                f"has {input.shape[1]} channels on axis 1"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average, 1 / batches so far: computed on the
                # device, as float(...) here would make the host wait for the GPU at every forward
                momentum = (1.0 / self.num_batches_tracked.data).astype(self.running_mean.dtype)
        # batch statistics while training, and also in eval mode when no running statistics are kept
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C."""

    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C."""

    expected_ndims = (4,)
