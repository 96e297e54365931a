"""Loss functions (autograd ops), with PyTorch's names and ``reduction='mean' | 'sum' | 'none'``.

Each loss first computes one value per element (or per sample), then reduces:

* ``'none'``: the unreduced values;
* ``'sum'``:  their sum;
* ``'mean'``: their mean (the default).

These are the functional forms (``mse_loss``, ``binary_cross_entropy``, ...), re-exported
by ``minigen.nn.functional``; the Module forms (``MSELoss``, ``BCELoss``, ...) that hold a
``reduction`` and a class weight are in ``minigen/nn/losses.py``, as torch.nn.functional
and torch.nn.modules.loss split them. The two losses that need care with floating point are written as
their own :class:`Function` so that their forward and backward are exact:

* ``binary_cross_entropy`` clamps each log at -100, as PyTorch does, so an output
  of exactly 0 or 1 gives a large finite loss rather than ``inf``;
* ``binary_cross_entropy_with_logits`` never forms ``sigmoid(x)``: it uses
  ``max(x, 0) - x t + log(1 + e^-|x|)``, finite and exact for logits of +-100.
  Prefer it (a final Linear with no Sigmoid) for GAN discriminators.

``cross_entropy`` and ``nll_loss`` share one end (:func:`_nll_rows`): PyTorch's class
``weight``, ``ignore_index`` and (for cross_entropy) ``label_smoothing``, picking one
log-probability per row by integer indexing (no one-hot matrix).
"""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen.ops.arithmetic import maximum
from minigen.ops.broadcasting import unbroadcast
from minigen.ops.elementwise import exp, stable_sigmoid
from minigen.ops.indexing import where
from minigen.ops.reduction import log_softmax
from minigen.ops.shape import reshape, transpose
from minigen.tensor import Function, Tensor

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "check_reduction", "cross_entropy", "gaussian_kl",
    "mse_loss", "nll_loss",
]  # fmt: skip

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` to a tensor of per-element (or per-sample) losses."""
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_tensor(value: Any, input: Tensor) -> Tensor:
    """``value`` (a Tensor, an array or a list) as a Tensor; non-Tensors go to ``input``'s device and dtype."""
    if isinstance(value, Tensor):
        return value
    return Tensor(backend.as_array(value, dtype=input.dtype, device=input.device))


def _as_target(target: Any, input: Tensor, name: str) -> Tensor:
    """``target`` as a Tensor on ``input``'s device, with the same shape (no silent broadcasting).

    A target of shape (N,) against an input of shape (N, 1) would broadcast to (N, N)
    and give a wrong loss without any error, so a shape mismatch is refused.
    """
    target = _as_tensor(target, input)
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

    def _clamped_log(self, x: Any, complement: bool = False) -> Any:
        """max(log x, -100), or with ``complement`` max(log(1 - x), -100) as log1p(-x), exact for tiny x.

        log(0) is never evaluated (it would warn): where the log is -inf the floor is written directly.
        """
        xp = self.xp
        defined = x < 1 if complement else x > 0
        safe = xp.where(defined, x, 0 if complement else 1)
        logs = xp.log1p(-safe) if complement else xp.log(safe)
        return xp.maximum(xp.where(defined, logs, self.LOG_FLOOR), self.LOG_FLOOR)

    def forward(self, x: Any, t: Any) -> Any:
        if not bool(self.xp.all((x >= 0) & (x <= 1))):  # NaN fails this too, as in PyTorch
            raise ValueError(
                "binary_cross_entropy: every input must be a probability in [0, 1]; "
                "for logits use binary_cross_entropy_with_logits"
            )
        self.x, self.t = x, t
        self.log_x, self.log_1mx = self._clamped_log(x), self._clamped_log(x, complement=True)
        return -(t * self.log_x + (1 - t) * self.log_1mx)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, t = self.x, self.t
        grad_x = grad_t = None
        if self.input_needs_grad(0):
            grad_x = grad * (x - t) / self.xp.maximum(x * (1 - x), self.EPSILON)
        if self.input_needs_grad(1):
            grad_t = grad * (self.log_1mx - self.log_x)
        return grad_x, grad_t

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any]:
        x, t = self.inputs[0], _operand(self.inputs[1], self.t)
        grad_x = grad_t = None
        if self.input_needs_grad(0):
            grad_x = grad * (x - t) / maximum(x * (1 - x), self.EPSILON)
        if self.input_needs_grad(1):
            grad_t = grad * (self._clamped_log_graph(x, complement=True) - self._clamped_log_graph(x))
        return grad_x, grad_t

    def _clamped_log_graph(self, x: Tensor, complement: bool = False) -> Tensor:
        """:meth:`_clamped_log` with Tensor ops."""
        defined = x.data < 1 if complement else x.data > 0
        safe = where(defined, 1 - x if complement else x, 1.0)
        return maximum(where(defined, safe.log(), self.LOG_FLOOR), self.LOG_FLOOR)


class BinaryCrossEntropyWithLogits(Function):
    """l = -(p t log s + (1 - t) log(1 - s)) with s = sigmoid(x) and p = pos_weight (1 without it), computed as

        l = (1 - t) max(x, 0) + t max(-x, 0) + log(1 + e^-|x|)  +  (p - 1) t softplus(-x)

    with softplus(-x) = max(-x, 0) + log(1 + e^-|x|); (1 - t) max(x, 0) + t max(-x, 0) is max(x, 0) - x t, written
    so that an infinite logit with the target it agrees with gives 0, not inf - inf = NaN (see forward).

    (-log(1 - s) = softplus(x), -log s = softplus(-x); the first three terms are the p = 1 loss).
    dl/dx = (1 + (p - 1) t) sigmoid(x) - p t,  dl/dt = (p - 1) softplus(-x) - x,  dl/dp = t softplus(-x).
    """

    def forward(self, x: Any, t: Any, pos_weight: Any = None) -> Any:
        xp = self.xp
        self.x, self.t, self.pos_weight = x, t, pos_weight
        zero = x.dtype.type(0)
        log_term = xp.abs(x)  # log(1 + e^-|x|), in (0, log 2]: exact for large |x|; four passes in place
        xp.negative(log_term, out=log_term)
        xp.exp(log_term, out=log_term)
        xp.log1p(log_term, out=log_term)
        # (1 - t) max(x, 0) + t max(-x, 0), then the log term last, so e^-100 stays exact at x = 100, t = 1
        loss = xp.maximum(x, zero)
        loss *= 1 - t
        negative_part = xp.negative(x)
        xp.maximum(negative_part, zero, out=negative_part)
        negative_part *= t
        loss += negative_part
        if pos_weight is not None:
            self.softplus_of_minus_x = xp.maximum(-x, zero) + log_term  # -log sigmoid(x)
            loss += (pos_weight - 1) * t * self.softplus_of_minus_x
        loss += log_term
        # A NaN here can only be 0 * inf at an infinite logit (x = inf with t = 1, x = -inf with t = 0), a term
        # whose true value is 0: the loss there is the log term alone. (A NaN logit keeps its NaN: so is log_term.)
        return xp.where(xp.isnan(loss), log_term, loss)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp, x, t, p = self.xp, self.x, self.t, self.pos_weight
        grad_x = grad_t = grad_p = None
        if p is None:
            if self.input_needs_grad(0):
                grad_x = grad * (stable_sigmoid(xp, x) - t)
            if self.input_needs_grad(1):
                grad_t = -grad * x
            return grad_x, grad_t
        if self.input_needs_grad(0):
            grad_x = grad * ((1 - t + p * t) * stable_sigmoid(xp, x) - p * t)
        if self.input_needs_grad(1):
            grad_t = grad * ((p - 1) * self.softplus_of_minus_x - x)
        if self.input_needs_grad(2):
            grad_p = unbroadcast(grad * t * self.softplus_of_minus_x, p.shape)
        return grad_x, grad_t, grad_p

    def backward_graph(self, grad: Tensor) -> tuple[Any, ...]:
        x, t = self.inputs[0], _operand(self.inputs[1], self.t)
        p = None if self.pos_weight is None else _operand(self.inputs[2], self.pos_weight)
        weight = 1 if p is None else 1 - t + p * t  # dl/dx = weight * sigmoid(x) - p t
        grad_x = grad * (weight * x.sigmoid() - (t if p is None else p * t)) if self.input_needs_grad(0) else None
        grad_t = grad_p = None
        if self.input_needs_grad(1):
            grad_t = -grad * x if p is None else grad * ((p - 1) * (-x).softplus() - x)
        if p is not None and self.input_needs_grad(2):
            grad_p = unbroadcast(grad * t * (-x).softplus(), p.shape)
        return (grad_x, grad_t) if p is None else (grad_x, grad_t, grad_p)


def _operand(tensor: Tensor | None, saved: Any) -> Tensor:
    """An input as a Tensor for backward_graph: the Tensor itself, or a constant wrapping the value forward saved."""
    return Tensor(saved) if tensor is None else tensor


def _check_broadcasts(name: str, argument: str, value: Tensor, input: Tensor) -> Tensor:
    """Refuse a weight that does not broadcast to ``input``'s shape as it is (an (N,) weight on (N, 1) would
    silently make an (N, N) loss)."""
    shape, input_shape = value.shape, input.shape
    trailing = input_shape[len(input_shape) - len(shape) :]
    if len(shape) > len(input_shape) or any(s not in (1, n) for s, n in zip(shape, trailing)):
        raise ValueError(
            f"{name}: {argument} of shape {shape} does not broadcast to the input's shape {input_shape}; "
            "expected a shape whose trailing sizes are 1 or equal to the input's"
        )
    return value


def _weighted(loss: Tensor, weight: Any, name: str) -> Tensor:
    """``loss * weight`` (weight broadcasts against the loss, as PyTorch's ``weight=``, without growing it)."""
    if weight is None:
        return loss
    return loss * _check_broadcasts(name, "weight", _as_tensor(weight, loss), loss)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) on probabilities ``input`` in [0, 1]; logs clamped at -100.

    ``weight`` (optional) rescales each element's loss. For raw scores (logits) use
    :func:`binary_cross_entropy_with_logits`, which is exact where this one saturates.
    """
    check_reduction(reduction)
    target = _as_target(target, input, "binary_cross_entropy")
    return _reduce(_weighted(BinaryCrossEntropy()(input, target), weight, "binary_cross_entropy"), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """Binary cross-entropy of sigmoid(input) and ``target``, computed from the logits ``input``.

    Per element: max(x, 0) - x t + log(1 + e^-|x|), which is finite and exact for any x
    (even +-100, where sigmoid(x) rounds to 0 or 1). Gradient: sigmoid(x) - t.

    ``weight`` rescales each element's loss (it broadcasts against ``input``). ``pos_weight``
    multiplies the positive term only, -(p t log s + (1 - t) log(1 - s)), as in PyTorch: one
    weight per class, shape (C,), broadcast over the last axis of an (N, C) input (any shape
    that broadcasts to the input's works). p > 1 raises recall (positives count more), p < 1
    precision; p = #negatives / #positives balances a skewed class.
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction)
    target = _as_target(target, input, name)
    if pos_weight is None:
        losses = BinaryCrossEntropyWithLogits()(input, target)
    else:
        pos_weight = _check_broadcasts(name, "pos_weight", _as_tensor(pos_weight, input), input)
        losses = BinaryCrossEntropyWithLogits()(input, target, pos_weight)
    return _reduce(_weighted(losses, weight, name), reduction)


# ------------------------------------------------------- multi-class classification
def _as_labels(target: Any, input: Tensor, name: str, ignore_index: int) -> Any:
    """Integer class labels as an array on ``input``'s device, checked against the number of classes."""
    if isinstance(target, Tensor):
        if target.device != input.device:
            raise RuntimeError(f"{name}: labels on {target.device}, input on {input.device}")
        labels = target.data
    else:  # a list or an array from anywhere: put it where the logits are
        labels = backend.as_array(target, device=input.device)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class labels, got dtype {labels.dtype}")
    expected = (input.shape[0],) + input.shape[2:]
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"{name}: target of shape {tuple(labels.shape)} for input of shape "
            f"{input.shape}; expected {expected} (input is (N, C, ...), target (N, ...))"
        )
    classes = input.shape[1]
    if labels.size and bool((((labels < 0) | (labels >= classes)) & (labels != ignore_index)).any()):
        raise ValueError(
            f"{name}: every label must be in [0, {classes}) for {classes} classes, or equal "
            f"ignore_index={ignore_index}; got labels from {int(labels.min())} to {int(labels.max())}"
        )
    return labels


def _class_rows(input: Tensor, target: Any, name: str, ignore_index: int) -> tuple[Tensor, Any]:
    """(N, C, d1, ...) scores and (N, d1, ...) labels as (M, C) rows, one per prediction, and the labels."""
    if input.ndim < 2:
        raise ValueError(f"{name}: input must be (N, C) or (N, C, d1, ...), got shape {input.shape}")
    labels = _as_labels(target, input, name, ignore_index)
    if input.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C): classes last, one row per prediction
        order = (0, *range(2, input.ndim), 1)
        input = reshape(transpose(input, order), (-1, input.shape[1]))
    return input, labels


def _class_weight(weight: Any, input: Tensor, name: str) -> Tensor | None:
    """PyTorch's per-class ``weight``: None, or a Tensor of shape (C,)."""
    if weight is None:
        return None
    weight = _as_tensor(weight, input)
    if weight.shape != (input.shape[1],):
        raise ValueError(
            f"{name}: weight of shape {weight.shape} for {input.shape[1]} classes; "
            f"expected ({input.shape[1]},), one weight per class"
        )
    return weight


def _nll_rows(
    log_probs: Tensor,
    labels: Any,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float = 0.0,
) -> Tensor:
    """The end shared by nll_loss and cross_entropy, on rows of log-probabilities ``log_probs`` (M, C).

    Per row i with label y (w = weight, 1 without one; eps = label_smoothing; C classes):

        l_i = (1 - eps) * w[y] * (-log_probs[i, y]) + eps / C * sum_c w[c] * (-log_probs[i, c])

    and l_i = 0 where y == ignore_index. 'mean' divides the sum of the l_i by sum_i w[y_i] over
    the rows not ignored (PyTorch's weighted mean: the count of rows without a weight), so it
    is nan when every row is ignored, as in PyTorch. The returned losses are (M,) for 'none'.
    """
    xp = backend.get_array_module(labels)
    rows = xp.arange(labels.shape[0])
    # Ignored rows are masked whether or not there are any: asking first (kept.all()) would make the host
    # wait for the GPU at every call.
    kept = labels != ignore_index
    safe_labels = xp.where(kept, labels, 0)  # an ignored row picks class 0, then 0
    picked = where(kept, log_probs[rows, safe_labels], 0.0)  # where, not a product with 0: -inf must not make nan
    row_weight = None if weight is None else where(kept, weight[safe_labels], 0.0)
    losses = -picked if row_weight is None else -(picked * row_weight)
    if label_smoothing > 0:
        classes = log_probs.shape[1]
        spread = log_probs if weight is None else log_probs * weight
        smooth = where(kept, -spread.sum(axis=1), 0.0)
        losses = (1 - label_smoothing) * losses + (label_smoothing / classes) * smooth
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    # the count of rows not ignored, or their summed weights; a 0-d array on the device, not a Python int
    return losses.sum() / (kept.sum() if row_weight is None else row_weight.sum())


def nll_loss(
    input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood -input[target] of log-probabilities ``input`` (N, C) or (N, C, d1, ...)
    and integer labels ``target`` (N,) or (N, d1, ...), as torch.nn.functional.nll_loss.

    ``input`` is usually ``log_softmax(scores, dim=1)``; ``cross_entropy`` does both at once.
    ``weight`` (C,) rescales each class's loss, and 'mean' is then the weighted mean
    sum_i w[y_i] l_i / sum_i w[y_i]. Targets equal to ``ignore_index`` add nothing, to the sum
    nor to the mean's denominator (padding tokens, unlabelled pixels).
    """
    check_reduction(reduction)
    rows, labels = _class_rows(input, target, "nll_loss", ignore_index)
    weight = _class_weight(weight, input, "nll_loss")
    losses = _nll_rows(rows, labels.reshape(-1), weight, ignore_index, reduction)
    return reshape(losses, tuple(labels.shape)) if reduction == "none" else losses


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """-log softmax(input)[target]: logits ``input`` of shape (N, C) or (N, C, d1, ...), integer labels
    ``target`` of shape (N,) or (N, d1, ...), as torch.nn.functional.cross_entropy.

    Computed as log_softmax along the class axis, then one entry picked per sample by
    integer indexing (no one-hot matrix); its gradient is softmax(input) - one_hot(target).

    ``weight`` and ``ignore_index`` are as in :func:`nll_loss` ('mean' divides by the summed
    weights of the targets not ignored). ``label_smoothing`` = eps in [0, 1] mixes the target
    with the uniform distribution over the C classes: the loss of each sample becomes
    (1 - eps) * (-w[y] log p_y) + eps / C * sum_c (-w[c] log p_c), with PyTorch's
    denominator for 'mean' unchanged (sum of w[y] over kept targets). Its gradient is
    softmax(input) - ((1 - eps) one_hot(target) + eps / C) without weights.
    """
    name = "cross_entropy"
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    rows, labels = _class_rows(input, target, name, ignore_index)
    weight = _class_weight(weight, input, name)
    losses = _nll_rows(log_softmax(rows, dim=1), labels.reshape(-1), weight, ignore_index, reduction, label_smoothing)
    return reshape(losses, tuple(labels.shape)) if reduction == "none" else losses


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
    check_reduction(reduction)
    if mu.shape != logvar.shape:
        raise ValueError(f"gaussian_kl: mu has shape {mu.shape} but logvar has shape {logvar.shape}")
    if mu.ndim < 2:
        raise ValueError(f"gaussian_kl: expected (N, D) tensors (a batch of latent vectors), got shape {mu.shape}")
    per_element = -0.5 * (1 + logvar - mu * mu - exp(logvar))
    per_sample = per_element.sum(axis=tuple(range(1, mu.ndim)))
    return _reduce(per_sample, reduction)
