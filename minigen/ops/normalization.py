"""Batch normalisation as one fused op over the channel axis (axis 1).

For each channel c, over the N = batch * spatial values x_i of that channel:

    mean = sum(x_i) / N,   var = sum((x_i - mean)^2) / N   (biased),
    xhat_i = (x_i - mean) * invstd,   invstd = 1 / sqrt(var + eps),
    y_i = weight_c * xhat_i + bias_c.

Written as one Function (rather than composed from mean, var, sqrt, ...) so that
forward saves only the mean and invstd per channel (x is the graph's already), and
backward is the closed form below, with xhat made again from x.
"""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen.tensor import Function, Tensor


class BatchNorm(Function):
    """y = weight * (x - mean) * invstd + bias per channel (axis 1).

    With batch statistics (training), writing dxhat = dL/dy * weight:
        dL/dx = invstd / N * (N * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),
    and since sum(dxhat) = weight * dL/dbias and sum(dxhat * xhat) = weight * dL/dweight,
    no extra reduction is needed. With fixed (running) statistics: dL/dx = dxhat * invstd.
    dL/dweight = sum(dL/dy * xhat), dL/dbias = sum(dL/dy), over every axis but 1.
    """

    def __init__(self, training: bool, eps: float, running_mean: Any = None, running_var: Any = None) -> None:
        self.training, self.eps = training, eps
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x: Any, weight: Any, bias: Any) -> Any:
        xp = self.xp
        self.axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
        self.channel_shape = (1, -1) + (1,) * (x.ndim - 2)
        self.count = x.size // x.shape[1]
        # Two full-size arrays only (xhat, y): allocating large temporaries costs more than the arithmetic.
        if self.training:
            mean = x.mean(axis=self.axes, keepdims=True)
            xhat = x - mean
            y = xp.multiply(xhat, xhat)  # (x - mean)^2, in the buffer that later holds the output
            var = y.mean(axis=self.axes, keepdims=True)
            self.batch_mean, self.batch_var = mean.reshape(-1), var.reshape(-1)  # for the running statistics
        else:
            mean = self.running_mean.reshape(self.channel_shape).astype(x.dtype)  # a copy: backward reads it
            xhat = x - mean
            y = xp.empty_like(xhat)
            var = self.running_var.reshape(self.channel_shape).astype(x.dtype, copy=False)
        self.invstd = 1 / xp.sqrt(var + self.eps)
        xhat *= self.invstd
        self.x, self.mean = x, mean  # backward makes xhat again from these: no full-size array kept
        self.weight = weight.reshape(self.channel_shape)
        xp.multiply(xhat, self.weight, out=y)
        y += bias.reshape(self.channel_shape)
        return y

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        xp = self.xp
        xhat = xp.subtract(self.x, self.mean)  # as forward made it, in x's memory order
        xhat *= self.invstd
        grad_bias = grad.sum(axis=self.axes)
        work = xp.multiply(grad, xhat)  # the second full-size temporary, reused for grad_x
        grad_weight = work.sum(axis=self.axes)
        if not self.input_needs_grad(0):
            return None, grad_weight, grad_bias
        scale = self.weight * self.invstd
        if not self.training:
            return xp.multiply(grad, scale, out=work), grad_weight, grad_bias
        # dL/dx = scale * (g - (dL/dbias + xhat * dL/dweight) / N), built in place in ``work``
        shape, n = self.channel_shape, self.count
        xp.multiply(xhat, (grad_weight / n).reshape(shape), out=work)
        xp.subtract(grad, work, out=work)
        work -= (grad_bias / n).reshape(shape)
        work *= scale
        return work, grad_weight, grad_bias

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any, Any]:
        """The same closed form on Tensors; with batch statistics, mean and invstd are made again from x (they
        depend on it); with running statistics they are constants."""
        x, weight, _ = self.inputs
        shape, n = self.channel_shape, self.count
        if self.training:
            centered = x - x.mean(axis=self.axes, keepdims=True)
            invstd = ((centered * centered).mean(axis=self.axes, keepdims=True) + self.eps) ** -0.5
        else:
            centered, invstd = x - self.mean, Tensor(self.invstd)
        xhat = centered * invstd
        grad_bias = grad.sum(axis=self.axes)
        grad_weight = (grad * xhat).sum(axis=self.axes)
        scale = weight.reshape(shape) * invstd
        if not self.training:
            return grad * scale, grad_weight, grad_bias
        grad_x = scale * (grad - (grad_bias / n).reshape(shape) - xhat * (grad_weight / n).reshape(shape))
        return grad_x, grad_weight, grad_bias


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: Any = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over axis 1, with torch.nn.functional.batch_norm's arguments and semantics.

    ``training=True`` normalises with the batch's mean and biased variance and, when running
    statistics are given, updates them in place on their device:
    ``running = (1 - momentum) * running + momentum * batch``, using the UNBIASED batch variance
    for ``running_var``, as PyTorch does. ``training=False`` normalises with the running statistics.
    ``momentum`` is a float, or a 0-d array on the input's device (BatchNorm's cumulative average).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, ...), got {input.shape}")
    channels = input.shape[1]
    count = input.numel() // channels
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input of shape {input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm with training=False needs running_mean and running_var")
    xp = backend.get_array_module(input)
    affine = {}
    for name, value, fill in (("weight", weight, 1), ("bias", bias, 0)):
        if value is None:  # no affine parameter: a constant 1 or 0 per channel, without gradient
            value = Tensor(xp.full(channels, fill, dtype=input.dtype))
        elif value.shape != (channels,):
            raise ValueError(f"batch_norm: {name} of shape {value.shape}, expected ({channels},) for {input.shape}")
        affine[name] = value
    stats = (None, None) if training else (running_mean.data, running_var.data)
    op = BatchNorm(training, eps, *stats)
    output = op(input, affine["weight"], affine["bias"])
    if training and running_mean is not None:
        running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * op.batch_mean
    if training and running_var is not None:
        unbiased = op.batch_var * (count / (count - 1))
        running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    return output
