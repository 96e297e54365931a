"""Loss functions, with PyTorch's names and ``reduction='mean' | 'sum' | 'none'``.

Each loss first computes one value per element (or per sample), then reduces:

* ``'none'``: the unreduced values;
* ``'sum'``:  their sum;
* ``'mean'``: their mean (the default).

The functional forms (``mse_loss``, ``binary_cross_entropy``, ...) are re-exported
by ``minigen.nn.functional``; the Module forms (``MSELoss``, ``BCELoss``, ...) by
``minigen.nn``. The two losses that need care with floating point are written as
their own :class:`Function` so that their forward and backward are exact:

* ``binary_cross_entropy`` clamps each log at -100, as PyTorch does, so an output
  of exactly 0 or 1 gives a large finite loss rather than ``inf``;
* ``binary_cross_entropy_with_logits`` never forms ``sigmoid(x)``: it uses
  ``max(x, 0) - x t + log(1 + e^-|x|)``, finite and exact for logits of +-100.
  Prefer it (a final Linear with no Sigmoid) for GAN discriminators.
"""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen.nn.module import Module
from minigen.ops.elementwise import exp, stable_sigmoid
from minigen.ops.reduction import log_softmax
from minigen.ops.shape import reshape, transpose
from minigen.tensor import Function, Tensor

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "gaussian_kl", "mse_loss",
]  # fmt: skip

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` to a tensor of per-element (or per-sample) losses."""
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_target(target: Any, input: Tensor, name: str) -> Tensor:
    """``target`` as a Tensor on ``input``'s device, with the same shape (no silent broadcasting).

    A target of shape (N,) against an input of shape (N, 1) would broadcast to (N, N)
    and give a wrong loss without any error, so a shape mismatch is refused.
    """
    if not isinstance(target, Tensor):
        target = Tensor(backend.as_array(target, dtype=input.dtype, device=input.device))
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target of shape {target.shape} for an input of shape {input.shape}; "
            "they must be equal (reshape one of them)"
        )
    return target


# ---------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: (input - target)^2 per element, then reduced."""
    target = _as_target(target, input, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


# ----------------------------------------------------------- binary classification
class BinaryCrossEntropy(Function):
    """l = -(t log x + (1 - t) log(1 - x)), each log clamped at -100 (PyTorch's rule).

    dl/dx = (x - t) / max(x (1 - x), 1e-12)   (PyTorch's backward, finite at 0 and 1)
    dl/dt = log(1 - x) - log(x)               (with the clamped logs)
    """

    LOG_FLOOR = -100.0
    EPSILON = 1e-12

    def _clamped_log(self, values: Any) -> Any:
        """max(log(values), -100), without evaluating log(0) (which would warn)."""
        xp = self.xp
        positive = values > 0
        logs = xp.where(positive, xp.log(xp.where(positive, values, 1)), self.LOG_FLOOR)
        return xp.maximum(logs, self.LOG_FLOOR)

    def forward(self, x: Any, t: Any) -> Any:
        if bool(self.xp.any((x < 0) | (x > 1))):
            raise ValueError(
                "binary_cross_entropy: every input must be a probability in [0, 1]; "
                "for logits use binary_cross_entropy_with_logits"
            )
        self.x, self.t = x, t
        self.log_x, self.log_1mx = self._clamped_log(x), self._clamped_log(1 - x)
        return -(t * self.log_x + (1 - t) * self.log_1mx)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, t = self.x, self.t
        grad_x = grad_t = None
        if self.input_needs_grad(0):
            grad_x = grad * (x - t) / self.xp.maximum(x * (1 - x), self.EPSILON)
        if self.input_needs_grad(1):
            grad_t = grad * (self.log_1mx - self.log_x)
        return grad_x, grad_t


class BinaryCrossEntropyWithLogits(Function):
    """l = max(x, 0) - x t + log(1 + e^-|x|)   (= -(t log s + (1 - t) log(1 - s)) with s = sigmoid(x)).

    dl/dx = sigmoid(x) - t,   dl/dt = -x.
    """

    def forward(self, x: Any, t: Any) -> Any:
        xp = self.xp
        self.x, self.t = x, t
        # Not softplus(x) - x*t: subtracting x*t before adding the small log term keeps e^-100 exact at x = 100.
        return xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad: Any) -> tuple[Any, Any]:
        grad_x = grad_t = None
        if self.input_needs_grad(0):
            grad_x = grad * (stable_sigmoid(self.xp, self.x) - self.t)
        if self.input_needs_grad(1):
            grad_t = -grad * self.x
        return grad_x, grad_t


def _weighted(loss: Tensor, weight: Any) -> Tensor:
    """``loss * weight`` (weight broadcasts against the loss, as PyTorch's ``weight=``)."""
    return loss if weight is None else loss * weight


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) on probabilities ``input`` in [0, 1]; logs clamped at -100.

    ``weight`` (optional) rescales each element's loss. For raw scores (logits) use
    :func:`binary_cross_entropy_with_logits`, which is exact where this one saturates.
    """
    _check_reduction(reduction)
    target = _as_target(target, input, "binary_cross_entropy")
    return _reduce(_weighted(BinaryCrossEntropy()(input, target), weight), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input) and ``target``, computed from the logits ``input``.

    Per element: max(x, 0) - x t + log(1 + e^-|x|), which is finite and exact for any x
    (even +-100, where sigmoid(x) rounds to 0 or 1). Gradient: sigmoid(x) - t.
    """
    _check_reduction(reduction)
    target = _as_target(target, input, "binary_cross_entropy_with_logits")
    return _reduce(_weighted(BinaryCrossEntropyWithLogits()(input, target), weight), reduction)


# ------------------------------------------------------- multi-class classification
def _as_labels(target: Any, input: Tensor) -> Any:
    """Integer class labels as an array on ``input``'s device, checked against the number of classes."""
    if isinstance(target, Tensor):
        if target.device != input.device:
            raise RuntimeError(f"cross_entropy: labels on {target.device}, input on {input.device}")
        labels = target.data
    else:  # a list or an array from anywhere: put it where the logits are
        labels = backend.as_array(target, device=input.device)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class labels, got dtype {labels.dtype}")
    expected = (input.shape[0],) + input.shape[2:]
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"cross_entropy: target of shape {tuple(labels.shape)} for input of shape "
            f"{input.shape}; expected {expected} (input is (N, C, ...), target (N, ...))"
        )
    classes = input.shape[1]
    if labels.size and bool(((labels < 0) | (labels >= classes)).any()):
        raise ValueError(f"cross_entropy: every label must be in [0, {classes}) for {classes} classes")
    return labels


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(input)[target]: logits ``input`` of shape (N, C) or (N, C, d1, ...), integer labels
    ``target`` of shape (N,) or (N, d1, ...), as torch.nn.functional.cross_entropy.

    Computed as log_softmax along the class axis, then one entry picked per sample by
    integer indexing (no one-hot matrix); its gradient is softmax(input) - one_hot(target).
    """
    _check_reduction(reduction)
    if input.ndim < 2:
        raise ValueError(f"cross_entropy: input must be (N, C) or (N, C, d1, ...), got shape {input.shape}")
    labels = _as_labels(target, input)
    if input.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C): classes last, one row per prediction
        order = (0, *range(2, input.ndim), 1)
        input = reshape(transpose(input, order), (-1, input.shape[1]))
    flat_labels = labels.reshape(-1)
    xp = backend.get_array_module(flat_labels)
    rows = xp.arange(flat_labels.shape[0])
    losses = -log_softmax(input, axis=1)[rows, flat_labels]
    if reduction == "none":
        return reshape(losses, tuple(labels.shape))
    return _reduce(losses, reduction)


# ---------------------------------------------------------------- variational autoencoders
def gaussian_kl(mu: Tensor, logvar: Tensor, reduction: str = "mean") -> Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) for a diagonal Gaussian given its mean and log-variance.

    Per sample (a row of the batch), summed over the latent dimensions j:

        KL = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j)),   sigma_j^2 = exp(logvar_j)

    ``mu`` and ``logvar`` have shape (N, D) (or (N, ...): every axis after the first is a
    latent dimension). The result is one KL per sample, shape (N,), then ``reduction`` over
    the batch: ``'mean'`` (average KL per sample, the default), ``'sum'`` (the total, as in
    the original VAE paper's code: ``-0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())``)
    or ``'none'`` (the (N,) vector). It is 0 exactly when mu = 0 and logvar = 0.
    """
    _check_reduction(reduction)
    if mu.shape != logvar.shape:
        raise ValueError(f"gaussian_kl: mu has shape {mu.shape} but logvar has shape {logvar.shape}")
    if mu.ndim < 2:
        raise ValueError(f"gaussian_kl: expected (N, D) tensors (a batch of latent vectors), got shape {mu.shape}")
    per_element = -0.5 * (1 + logvar - mu * mu - exp(logvar))
    per_sample = per_element.sum(axis=tuple(range(1, mu.ndim)))
    return _reduce(per_sample, reduction)


# ----------------------------------------------------------------------- Module forms
class _Loss(Module):
    """A loss as a Module: ``criterion(input, target)``, with ``reduction`` fixed at construction."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with an optional per-element ``weight`` (kept as a buffer, as in PyTorch)."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error, see :func:`mse_loss`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities, see :func:`binary_cross_entropy`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits, see :func:`binary_cross_entropy_with_logits`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits and integer labels, see :func:`cross_entropy`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return cross_entropy(input, target, reduction=self.reduction)
