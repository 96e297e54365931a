"""The table of differentiable-op cases shared by the gradient checks and the PyTorch parity tests.

Each :class:`Case` names a minigen function of some tensors, the same function in
PyTorch, and its inputs: a shape, a generator that keeps values away from kinks
(relu and abs at 0, clip bounds, max ties, log of non-positive numbers), and
whether the input is handed over non-contiguous (a transposed view).
Arrays that are not differentiated (indices, masks, operands of reflected
operators) are module constants; minigen functions put them on the input's
device with :func:`on`, as user code must.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigen import backend
from minigen import functional as F
from minigen.nn.activation import LogSoftmax, Softmax
from minigen.ops.indexing import IndexAdd


# ---------------------------------------------------------------- input generators
def normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


def wide(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Large magnitudes too, for the stable formulas (sigmoid, softplus, softmax)."""
    return 4 * rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """In [0.5, 2): safe for log, sqrt, division and fractional powers."""
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """|x| in [0.2, 1.5): no input sits on the kink at 0 of relu, abs and leaky_relu."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def away_from_bounds(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Inside and outside [-0.5, 0.5], at least 0.1 from either bound (for clip)."""
    return rng.choice([-1.0, 1.0], shape) * rng.choice([0.2, 0.3, 0.8, 1.2], shape)


def distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """All values at least 0.1 apart, so max and min have no ties."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 + rng.uniform(0, 0.01, size)).reshape(shape) - 0.05 * size


@dataclass(frozen=True)
class Input:
    shape: tuple[int, ...]
    make: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray] = normal
    transposed: bool = False  # handed over as a non-contiguous transposed view

    def array(self, rng: np.random.Generator) -> np.ndarray:
        """The input values in float64 (a transposed, non-contiguous view when asked)."""
        if self.transposed:
            return self.make(rng, self.shape[::-1]).T
        return self.make(rng, self.shape)


@dataclass(frozen=True)
class Case:
    name: str
    minigen: Callable[..., Any]
    torch: Callable[..., Any]
    inputs: tuple[Input, ...]

    def arrays(self, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [i.array(rng) for i in self.inputs]


def on(like: Any, array: Any) -> Any:
    """A constant array moved to ``like``'s device (what code using minigen does)."""
    return backend.to_device(np.asarray(array), like.device)


def _input(spec: Any) -> Input:
    return spec if isinstance(spec, Input) else Input(tuple(spec))


CASES: list[Case] = []


def case(name: str, minigen: Callable[..., Any], torch: Callable[..., Any], *inputs: Any) -> None:
    CASES.append(Case(name, minigen, torch, tuple(_input(i) for i in inputs)))


def T(shape: tuple[int, ...], make: Callable[..., np.ndarray] = normal) -> Input:
    """A non-contiguous (transposed) input."""
    return Input(shape, make, transposed=True)


def Of(shape: tuple[int, ...], make: Callable[..., np.ndarray]) -> Input:
    return Input(shape, make)


def _torch() -> Any:
    import torch

    return torch


def _tf() -> Any:
    import torch.nn.functional

    return torch.nn.functional


# Constants used by the cases (host arrays; minigen functions move them with on()).
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
ROW_INDEX = np.array([0, 2, 0, 1, 2, 2])  # repeated rows accumulate their gradients
COL_INDEX = np.array([3, 1, 3, 0])
ARRAY_34 = np.linspace(-1.0, 1.5, 12).reshape(3, 4)
POSITIVE_4 = np.array([0.5, 1.0, 1.5, 2.0])

# ----------------------------------------------------------------------- elementwise
case("exp", F.exp, lambda x: x.exp(), (3, 4))
case("exp 0-d", F.exp, lambda x: x.exp(), ())
case("exp transposed", F.exp, lambda x: x.exp(), T((3, 4)))
case("log", F.log, lambda x: x.log(), Of((3, 4), positive))
case("log 0-d", F.log, lambda x: x.log(), Of((), positive))
case("sqrt", F.sqrt, lambda x: x.sqrt(), Of((2, 3, 2), positive))
case("sqrt transposed", F.sqrt, lambda x: x.sqrt(), T((4, 3), positive))
case("abs", F.abs, lambda x: x.abs(), Of((3, 4), away_from_zero))
case("clip", lambda x: F.clip(x, -0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), Of((4, 5), away_from_bounds))
case("clip min only", lambda x: F.clip(x, min=-0.5), lambda x: x.clamp(min=-0.5), Of((4, 5), away_from_bounds))
case("clip max only", lambda x: F.clip(x, max=0.5), lambda x: x.clamp(max=0.5), Of((4, 5), away_from_bounds))
case("tanh", F.tanh, lambda x: x.tanh(), Of((3, 4), wide))
case("sigmoid", F.sigmoid, lambda x: x.sigmoid(), Of((3, 4), wide))
case("sigmoid transposed", F.sigmoid, lambda x: x.sigmoid(), T((3, 4)))
case("relu", F.relu, lambda x: x.relu(), Of((3, 4), away_from_zero))
case("relu strided", lambda x: F.relu(x[:, ::2]), lambda x: x[:, ::2].relu(), Of((3, 6), away_from_zero))
case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: _tf().leaky_relu(x, 0.2), Of((3, 4), away_from_zero))
case("leaky_relu default", F.leaky_relu, lambda x: _tf().leaky_relu(x), Of((5,), away_from_zero))
# slopes outside [0, 1]: forward takes the smaller of x and slope * x (> 1), and backward the saved mask (< 0)
case("leaky_relu slope 1.5", lambda x: F.leaky_relu(x, 1.5), lambda x: _tf().leaky_relu(x, 1.5),
     Of((3, 4), away_from_zero))  # fmt: skip
case("leaky_relu slope -0.3", lambda x: F.leaky_relu(x, -0.3), lambda x: _tf().leaky_relu(x, -0.3),
     Of((3, 4), away_from_zero))  # fmt: skip
case("softplus", F.softplus, lambda x: _tf().softplus(x), Of((3, 4), wide))

# ------------------------------------------------------------------------ reductions
case("sum all", F.sum, lambda x: x.sum(), (3, 4))
case("sum 0-d", F.sum, lambda x: x.sum(), ())
case("sum axis", lambda x: F.sum(x, axis=1), lambda x: x.sum(1), (3, 4))
case("sum negative axis", lambda x: F.sum(x, axis=-1), lambda x: x.sum(-1), (2, 3, 4))
case("sum axes keepdims", lambda x: F.sum(x, (0, 2), True), lambda x: x.sum((0, 2), keepdim=True), (2, 3, 4))
case("sum transposed", lambda x: F.sum(x, axis=0), lambda x: x.sum(0), T((3, 4)))
case("mean all", F.mean, lambda x: x.mean(), (3, 4))
case("mean negative axes", lambda x: F.mean(x, (-1, -3)), lambda x: x.mean((-1, -3)), (2, 3, 4))
case("mean keepdims", lambda x: F.mean(x, 1, keepdims=True), lambda x: x.mean(1, keepdim=True), (3, 4))
case("max all", F.max, lambda x: x.max(), Of((3, 4), distinct))
case("max axis keepdims", lambda x: F.max(x, 1, True), lambda x: x.amax(1, keepdim=True), Of((3, 4), distinct))
case("max negative axis", lambda x: F.max(x, -1), lambda x: x.amax(-1), Of((2, 3, 4), distinct))
case("max axes", lambda x: F.max(x, (0, 2)), lambda x: x.amax((0, 2)), Of((2, 3, 4), distinct))
case("min all", F.min, lambda x: x.min(), Of((3, 4), distinct))
case("min axis", lambda x: F.min(x, 0), lambda x: x.amin(0), Of((3, 4), distinct))
case("min negative axis keepdims", lambda x: F.min(x, -2, True), lambda x: x.amin(-2, True), Of((2, 3, 4), distinct))
case("var all", F.var, lambda x: x.var(correction=0), (3, 4))
case("var axis", lambda x: F.var(x, 1), lambda x: x.var(1, correction=0), (3, 4))
case("var keepdims", lambda x: F.var(x, (0, 2), True), lambda x: x.var((0, 2), False, True), (2, 4, 3))
case("var negative axis ddof", lambda x: F.var(x, -1, ddof=1), lambda x: x.var(-1, correction=1), (2, 3, 4))
case("var transposed", lambda x: F.var(x, 0), lambda x: x.var(0, correction=0), T((3, 4)))
case("logsumexp all", F.logsumexp, lambda x: x.logsumexp((0, 1)), Of((3, 4), wide))
case("logsumexp axis", lambda x: F.logsumexp(x, 1), lambda x: x.logsumexp(1), Of((3, 4), wide))
case("logsumexp keepdims", lambda x: F.logsumexp(x, -1, True), lambda x: x.logsumexp(-1, True), (2, 3, 4))
case("logsumexp axes", lambda x: F.logsumexp(x, (0, 2)), lambda x: x.logsumexp((0, 2)), (2, 3, 4))
case("softmax", F.softmax, lambda x: x.softmax(-1), Of((3, 4), wide))
case("softmax axis 0", lambda x: F.softmax(x, 0), lambda x: x.softmax(0), (3, 4))
case("softmax transposed", lambda x: F.softmax(x, 1), lambda x: x.softmax(1), T((3, 4)))
case("log_softmax", F.log_softmax, lambda x: x.log_softmax(-1), Of((3, 4), wide))
case("log_softmax axis 1", lambda x: F.log_softmax(x, 1), lambda x: x.log_softmax(1), (2, 3, 4))
case("softmax dim=1 of (N, C, H, W)", lambda x: F.softmax(x, dim=1), lambda x: x.softmax(dim=1), Of((2, 3, 2, 2), wide))
case("softmax axis= alias", lambda x: x.softmax(axis=0), lambda x: _torch().softmax(x, axis=0), (3, 4))
case("log_softmax axis= alias", lambda x: x.log_softmax(axis=-2), lambda x: x.log_softmax(axis=-2), (2, 3, 4))
case("nn.Softmax(dim=1)", lambda x: Softmax(dim=1)(x), lambda x: _torch().nn.Softmax(dim=1)(x), (2, 3, 4))
case("nn.LogSoftmax()", lambda x: LogSoftmax()(x), lambda x: _torch().nn.LogSoftmax(dim=-1)(x), Of((3, 4), wide))

# ------------------------------------------------------------------------ shapes
case("reshape", lambda x: F.reshape(x, (3, 4)), lambda x: x.reshape(3, 4), (2, 6))
case("reshape -1", lambda x: F.reshape(x, 4, -1), lambda x: x.reshape(4, -1), (2, 3, 2))
case("reshape 0-d", lambda x: F.reshape(x, (1, 1)), lambda x: x.reshape(1, 1), ())
case("reshape transposed", lambda x: F.reshape(x, -1), lambda x: x.reshape(-1), T((3, 4)))
case("transpose", F.transpose, lambda x: x.permute(1, 0), (3, 4))
case("transpose axes", lambda x: F.transpose(x, (1, 2, 0)), lambda x: x.permute(1, 2, 0), (2, 3, 4))
case("transpose negative axes", lambda x: F.transpose(x, (-1, 0, 1)), lambda x: x.permute(-1, 0, 1), (2, 3, 4))
case(".T", lambda x: x.T, lambda x: x.permute(2, 1, 0), (2, 3, 4))
case("flatten", F.flatten, lambda x: x.flatten(), (2, 3, 2))
case("flatten start", lambda x: F.flatten(x, 1), lambda x: x.flatten(1), (2, 3, 2, 2))
case("flatten middle", lambda x: F.flatten(x, 1, -2), lambda x: x.flatten(1, -2), (2, 3, 2, 2))
case("broadcast_to", lambda x: F.broadcast_to(x, (2, 3, 4)), lambda x: x.broadcast_to(2, 3, 4), (3, 1))
case("broadcast_to 0-d", lambda x: F.broadcast_to(x, (2, 3)), lambda x: x.broadcast_to(2, 3), ())
case("getitem slices", lambda x: x[1:, ::2], lambda x: x[1:, ::2], (3, 5))
case("getitem integer", lambda x: x[1], lambda x: x[1], (3, 4))
case("getitem negative integer", lambda x: x[:, -1], lambda x: x[:, -1], (3, 4))
case("getitem ellipsis newaxis", lambda x: x[..., None, 1], lambda x: x[..., None, 1], (2, 3, 4))
case("getitem repeated rows", lambda x: x[on(x, ROW_INDEX)], lambda x: x[ROW_INDEX], (3, 4))
case("getitem host index list", lambda x: x[[2, 2, 0]], lambda x: x[[2, 2, 0]], (3, 4))
case("getitem repeated columns", lambda x: x[:, on(x, COL_INDEX)], lambda x: x[:, COL_INDEX], (3, 4))
case(
    "getitem paired arrays",
    lambda x: x[on(x, ROW_INDEX[:4]), on(x, COL_INDEX)],
    lambda x: x[ROW_INDEX[:4], COL_INDEX],
    (3, 4),
)
case("getitem host numpy index", lambda x: x[ROW_INDEX], lambda x: x[ROW_INDEX], (3, 4))
# GetItem's backward as an op (recorded by create_graph=True): rows added at repeated indices
case("index_add repeated rows", lambda x: IndexAdd(on(x, ROW_INDEX), (3, 4), x.dtype)(x),
     lambda x: _torch().zeros(3, 4, dtype=x.dtype).index_add(0, _torch().as_tensor(ROW_INDEX), x), (6, 4))  # fmt: skip
case("getitem boolean mask", lambda x: x[on(x, MASK)], lambda x: x[_torch().as_tensor(MASK)], (3, 4))
case("getitem mask from tensor", lambda x: x[x > 0], lambda x: x[x > 0], Of((3, 4), away_from_zero))
case("getitem transposed", lambda x: x[on(x, [1, 1])], lambda x: x[[1, 1]], T((3, 4)))
case("concatenate", lambda a, b: F.concatenate([a, b]), lambda a, b: _torch().cat([a, b]), (2, 3), (1, 3))
case(
    "concatenate negative axis",
    lambda a, b, c: F.concatenate([a, b, c], axis=-1),
    lambda a, b, c: _torch().cat([a, b, c], -1),
    (2, 3, 1),
    (2, 3, 2),
    T((2, 3, 3)),
)
case("stack", lambda a, b: F.stack([a, b]), lambda a, b: _torch().stack([a, b]), (3, 4), (3, 4))
case("stack axis -1", lambda a, b: F.stack([a, b], -1), lambda a, b: _torch().stack([a, b], -1), (3, 4), T((3, 4)))
case("stack 0-d", lambda a, b: F.stack([a, b]), lambda a, b: _torch().stack([a, b]), (), ())
case("pad last axis", lambda x: F.pad(x, (1, 2)), lambda x: _tf().pad(x, (1, 2)), (3, 4))
case("pad two axes", lambda x: F.pad(x, (1, 0, 2, 1)), lambda x: _tf().pad(x, (1, 0, 2, 1)), (2, 3, 4))
case("pad value", lambda x: F.pad(x, (0, 1), 0.5), lambda x: _tf().pad(x, (0, 1), value=0.5), T((3, 4)))
case(
    "where",
    lambda a, b: F.where(on(a, MASK), a, b),
    lambda a, b: _torch().where(_torch().as_tensor(MASK), a, b),
    (3, 4),
    (3, 4),
)
case(
    "where broadcasting",
    lambda a, b: F.where(on(a, MASK), a, b),
    lambda a, b: _torch().where(_torch().as_tensor(MASK), a, b),
    (3, 1),
    (4,),
)
case(
    "where scalar",
    lambda a: F.where(a > 0, a, 2.0),
    lambda a: _torch().where(a > 0, a, 2.0),
    Of((3, 4), away_from_zero),
)
case("matmul", F.matmul, lambda a, b: a @ b, (3, 4), (4, 2))
case("matmul batched", F.matmul, lambda a, b: a @ b, (2, 3, 4), (2, 4, 2))
case("matmul broadcast batch", F.matmul, lambda a, b: a @ b, (2, 1, 3, 4), (3, 4, 2))
case("matmul batch times matrix", F.matmul, lambda a, b: a @ b, (2, 3, 4), (4, 2))
case("matmul vector matrix", F.matmul, lambda a, b: a @ b, (4,), (4, 3))
case("matmul matrix vector", F.matmul, lambda a, b: a @ b, (3, 4), (4,))
case("matmul vector vector", F.matmul, lambda a, b: a @ b, (4,), (4,))
case("matmul batch vector", F.matmul, lambda a, b: a @ b, (2, 3, 4), (4,))
case("matmul transposed", F.matmul, lambda a, b: a @ b, T((4, 3)), T((3, 2)))
case("matmul large (random directions)", F.matmul, lambda a, b: a @ b, (20, 30), (30, 10))
case("tanh large (random directions)", F.tanh, lambda x: x.tanh(), (300,))

# ----------------------------------------------------------------------- operators
case("a + b broadcast", lambda a, b: a + b, lambda a, b: a + b, (3, 4), (4,))
case("a + b both broadcast", lambda a, b: a + b, lambda a, b: a + b, (2, 1, 4), (3, 1))
case("a + b 0-d", lambda a, b: a + b, lambda a, b: a + b, (3, 4), ())
case("a + a reused", lambda a: a + a * a, lambda a: a + a * a, (3,))
case("a - b broadcast", lambda a, b: a - b, lambda a, b: a - b, (3, 1), (2, 1, 4))
case("a * b broadcast", lambda a, b: a * b, lambda a, b: a * b, (3, 4), (3, 1))
case("a * b transposed", lambda a, b: a * b, lambda a, b: a * b, T((3, 4)), (3, 4))
case("a / b broadcast", lambda a, b: a / b, lambda a, b: a / b, (3, 4), Of((4,), positive))
case("a ** b", lambda a, b: a**b, lambda a, b: a**b, Of((3, 4), positive), (3, 4))
case("a ** b broadcast", lambda a, b: a**b, lambda a, b: a**b, Of((3, 4), positive), (4,))
case("a @ b", lambda a, b: a @ b, lambda a, b: a @ b, (2, 3), (3, 4))
case("-x", lambda x: -x, lambda x: -x, (3, 4))
case("x ** 2", lambda x: x**2, lambda x: x**2, (3, 4))
case("x ** 0.5", lambda x: x**0.5, lambda x: x**0.5, Of((3, 4), positive))
case("x ** -1.5", lambda x: x**-1.5, lambda x: x**-1.5, Of((3, 4), positive))
case("x + 1", lambda x: x + 1, lambda x: x + 1, (3, 4))
case("2 - x", lambda x: 2 - x, lambda x: 2 - x, (3, 4))
case("1.5 * x", lambda x: 1.5 * x, lambda x: 1.5 * x, (3, 4))
case("3 / x", lambda x: 3 / x, lambda x: 3 / x, Of((3, 4), positive))
case("x / 3", lambda x: x / 3, lambda x: x / 3, (3, 4))
case("2 ** x", lambda x: 2**x, lambda x: 2**x, (3, 4))
case("x * 0-d array", lambda x: x * on(x, 2.5), lambda x: x * 2.5, (3, 4))
case("array - x", lambda x: on(x, ARRAY_34) - x, lambda x: _torch().as_tensor(ARRAY_34) - x, (3, 4))
case("array / x", lambda x: on(x, POSITIVE_4) / x, lambda x: _torch().as_tensor(POSITIVE_4) / x, Of((3, 4), positive))
case("array ** x", lambda x: on(x, POSITIVE_4) ** x, lambda x: _torch().as_tensor(POSITIVE_4) ** x, (3, 4))
case("x ** array", lambda x: x ** on(x, POSITIVE_4), lambda x: x ** _torch().as_tensor(POSITIVE_4), Of((4,), positive))
case("array @ x", lambda x: on(x, ARRAY_34) @ x, lambda x: _torch().as_tensor(ARRAY_34) @ x, (4, 2))
case("x + array", lambda x: x + on(x, POSITIVE_4), lambda x: x + _torch().as_tensor(POSITIVE_4), (3, 4))
case(
    "composite",
    lambda w, x: F.log_softmax(F.tanh(x @ w) * 2 - 1, dim=-1).mean(axis=0),
    lambda w, x: ((x @ w).tanh() * 2 - 1).log_softmax(-1).mean(0),
    (4, 3),
    (5, 4),
)


# ------------------------------------------- windows, resizing, pooling and losses (unfold, fold, interpolate, ...)
def _nn_f() -> Any:
    """minigen.nn.functional (interpolate, fold, nll_loss, ... are not in minigen.functional)."""
    from minigen.nn import functional

    return functional


def _labels(like: Any, labels: np.ndarray) -> Any:
    """Integer labels (or class weights) on ``like``'s device: a minigen array, or a torch tensor for torch's side."""
    return _torch().as_tensor(labels) if type(like).__module__.startswith("torch") else on(like, labels)


LABELS_5 = np.array([2, 0, 3, 3, 1])
LABELS_IGNORED = np.array([2, -1, 3, 3, -1])  # rows with -1 are ignored (ignore_index=-1)
LABELS_MAPS = np.array([[[0, 2], [1, 1]], [[2, 2], [0, 1]]])  # (N, H, W) targets for (N, C, H, W) scores
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
for _kwargs, _shape in [
    (dict(kernel_size=2), (2, 3, 4, 5)),
    (dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (1, 2, 5, 6)),
    (dict(kernel_size=3, padding=(0, 1), stride=2), (4, 4, 3)),  # unbatched (C, H, W)
]:
    case(
        f"unfold {_kwargs} {_shape}",
        lambda x, k=_kwargs: _nn_f().unfold(x, **k),
        lambda x, k=_kwargs: _tf().unfold(x, **k),
        _shape,
    )
case(
    "unfold transposed",
    lambda x: _nn_f().unfold(x, 2, stride=2),
    lambda x: _tf().unfold(x, 2, stride=2),
    T((1, 2, 4, 4)),
)
for _kwargs, _shape in [
    (dict(output_size=(4, 5), kernel_size=2), (1, 8, 12)),  # overlapping windows add up
    (dict(output_size=5, kernel_size=2, padding=1, stride=2), (2, 4, 9)),  # padding cut off again
    (dict(output_size=(5, 6), kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (2, 12, 12)),
    (dict(output_size=(3, 4), kernel_size=2), (8, 6)),  # unbatched (C*kh*kw, L)
]:
    case(
        f"fold {_kwargs} {_shape}",
        lambda x, k=_kwargs: _nn_f().fold(x, **k),
        lambda x, k=_kwargs: _tf().fold(x, **k),
        _shape,
    )
for _kwargs, _shape in [
    (dict(scale_factor=2), (1, 2, 3, 4)),
    (dict(scale_factor=(1.5, 0.5)), (2, 1, 4, 6)),
    (dict(size=(5, 7)), (1, 2, 3, 4)),  # 3 -> 5 and 4 -> 7: some pixels read once, some twice
    (dict(size=(2, 3)), (1, 1, 5, 7)),  # downsampling: some pixels never read
    (dict(size=(6, 5), mode="nearest-exact"), (1, 2, 4, 3)),
    (dict(scale_factor=2, mode="bilinear"), (1, 2, 3, 4)),
    (dict(scale_factor=2, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    (dict(size=(5, 7), mode="bilinear"), (2, 1, 3, 4)),
    (dict(size=(5, 7), mode="bilinear", align_corners=True), (2, 1, 3, 4)),
    (dict(size=(3, 2), mode="bilinear"), (1, 2, 5, 6)),  # downsampling, align_corners=False
    (dict(size=(3, 4), mode="bilinear", align_corners=True), (1, 2, 6, 4)),  # one axis unchanged
    (dict(scale_factor=1.7, mode="bilinear"), (1, 1, 3, 5)),
    (dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), (1, 1, 3, 5)),
]:
    case(
        f"interpolate {_kwargs} {_shape}",
        lambda x, k=_kwargs: _nn_f().interpolate(x, **k),
        lambda x, k=_kwargs: _tf().interpolate(x, **k),
        _shape,
    )
case(
    "interpolate bilinear transposed",
    lambda x: _nn_f().interpolate(x, scale_factor=2, mode="bilinear"),
    lambda x: _tf().interpolate(x, scale_factor=2, mode="bilinear"),
    T((1, 2, 3, 4)),
)
case(
    "log_softmax dim=1 of (N, C, H, W)",
    lambda x: _nn_f().log_softmax(x, dim=1),
    lambda x: _tf().log_softmax(x, dim=1),
    Of((2, 3, 2, 2), wide),
)
for _kwargs in [
    dict(reduction="mean"),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(reduction="mean", ignore_index=-1),
    dict(reduction="sum", ignore_index=-1),
    dict(reduction="none", ignore_index=-1),
]:
    _targets = LABELS_IGNORED if "ignore_index" in _kwargs else LABELS_5
    case(
        f"nll_loss {_kwargs}",
        lambda x, k=_kwargs, t=_targets: _nn_f().nll_loss(x, _labels(x, t), **k),
        lambda x, k=_kwargs, t=_targets: _tf().nll_loss(x, _labels(x, t), **k),
        (5, 4),
    )
    case(
        f"nll_loss weight {_kwargs}",
        lambda x, k=_kwargs, t=_targets: _nn_f().nll_loss(x, _labels(x, t), _labels(x, CLASS_WEIGHT), **k),
        lambda x, k=_kwargs, t=_targets: _tf().nll_loss(x, _labels(x, t), _labels(x, CLASS_WEIGHT), **k),
        (5, 4),
    )
case(
    "nll_loss (N, C, H, W) weight",
    lambda x: _nn_f().nll_loss(x, _labels(x, LABELS_MAPS), _labels(x, CLASS_WEIGHT[:3])),
    lambda x: _tf().nll_loss(x, _labels(x, LABELS_MAPS), _labels(x, CLASS_WEIGHT[:3])),
    (2, 3, 2, 2),
)
case(
    "nll_loss of log_softmax",
    lambda x: _nn_f().nll_loss(_nn_f().log_softmax(x, dim=1), _labels(x, LABELS_5), reduction="sum"),
    lambda x: _tf().nll_loss(_tf().log_softmax(x, dim=1), _labels(x, LABELS_5), reduction="sum"),
    Of((5, 4), wide),
)
for _args, _kwargs, _shape in [
    ((2,), {}, (2, 3, 4, 6)),
    ((3,), dict(stride=2, padding=1), (1, 2, 5, 5)),
    (((2, 3),), dict(stride=(1, 2), dilation=(2, 1)), (2, 1, 5, 7)),
    ((2,), dict(stride=2, ceil_mode=True), (1, 2, 5, 5)),  # the last window hangs over the edge
]:
    case(
        f"max_pool2d {_args} {_kwargs} {_shape}",
        lambda x, a=_args, k=_kwargs: _nn_f().max_pool2d(x, *a, **k),
        lambda x, a=_args, k=_kwargs: _tf().max_pool2d(x, *a, **k),
        Of(_shape, distinct),
    )
case(
    "max_pool2d transposed",
    lambda x: _nn_f().max_pool2d(x, 2),
    lambda x: _tf().max_pool2d(x, 2),
    T((1, 2, 4, 4), distinct),
)


# ------------------------------------------------- Tensor methods with PyTorch's names
# The same expression runs on a minigen Tensor and on a torch.Tensor: these are the methods' parity cases.
def with_zeros(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values with exact zeros (one in some rows, two in others), for prod's gradient."""
    values = rng.standard_normal(shape)
    flat = values.reshape(-1)
    flat[:: max(flat.size // 3, 1)] = 0.0
    flat[1] = 0.0
    return values


def method(name: str, fn: Callable[..., Any], *inputs: Any) -> None:
    """A case whose minigen and torch forms are the same expression."""
    case(name, fn, fn, *inputs)


method("view varargs", lambda x: x.view(3, 4), (2, 6))
method("view tuple -1", lambda x: x.view((4, -1)), (2, 3, 2))
method("view 0-d", lambda x: x.view(1, 1), ())
method("view_as", lambda x: x.view_as(x.reshape(12)), (3, 4))
method("reshape method varargs", lambda x: x.reshape(4, 3), T((3, 4)))
method("reshape method tuple", lambda x: x.reshape((2, -1)), (2, 3, 2))
method("permute varargs", lambda x: x.permute(2, 0, 1), (2, 3, 4))
method("permute tuple", lambda x: x.permute((1, -1, 0)), (2, 3, 4))
method("transpose(d0, d1)", lambda x: x.transpose(0, 2), (2, 3, 4))
method("transpose negative dims", lambda x: x.transpose(-1, -2), T((3, 4)))
method("t() 2-D", lambda x: x.t(), (3, 4))
method("t() 1-D", lambda x: x.t(), (4,))
method("squeeze all", lambda x: x.squeeze(), (1, 3, 1, 2))
method("squeeze dim", lambda x: x.squeeze(-2), (1, 3, 1, 2))
method("squeeze non-1 dim is a no-op", lambda x: x.squeeze(1), (1, 3, 1, 2))
method("squeeze tuple", lambda x: x.squeeze((0, 1, 2)), (1, 3, 1, 2))
method("unsqueeze 0", lambda x: x.unsqueeze(0), (3, 4))
method("unsqueeze -1", lambda x: x.unsqueeze(-1), (3, 4))
method("unsqueeze 0-d", lambda x: x.unsqueeze(0), ())
method("flatten method", lambda x: x.flatten(1, 2), (2, 3, 2, 2))
method("expand -1", lambda x: x.expand(2, -1, 4), (3, 1))
method("expand tuple", lambda x: x.expand((2, 3, 4)), (4,))
method("expand 0-d", lambda x: x.expand(2, 3), ())
case("expand_as", lambda x: x.expand_as(F.broadcast_to(x, (2, 3, 4))), lambda x: x.expand_as(x.expand(2, 3, 4)), (3, 1))
method("repeat", lambda x: x.repeat(2, 3), (3, 4))
method("repeat new leading dims", lambda x: x.repeat(2, 1, 3), (3, 2))
method("repeat tuple, transposed", lambda x: x.repeat((1, 2)), T((3, 4)))
method("repeat 0-d", lambda x: x.repeat(3, 2), ())
method("clone", lambda x: x.clone() * 2, (3, 4))
method("clone transposed", lambda x: x.clone(), T((3, 4)))
method("contiguous transposed", lambda x: x.contiguous(), T((3, 4)))
method("double on float64", lambda x: x.double() * 1.5, (3, 4))
case("to(dtype) on float64", lambda x: x.to("float64") + 1, lambda x: x.to(_torch().float64) + 1, (3, 4))
method("pow method scalar", lambda x: x.pow(3), (3, 4))
method("pow method tensor", lambda a, b: a.pow(b), Of((3, 4), positive), (4,))
method("exp log sqrt abs methods", lambda x: x.exp().log().sqrt().abs(), Of((3, 4), positive))
method("clamp method", lambda x: x.clamp(-0.5, 0.5), Of((4, 5), away_from_bounds))
method("clamp min=", lambda x: x.clamp(min=-0.5), Of((4, 5), away_from_bounds))
method("clamp max=", lambda x: x.clamp(max=0.5), Of((4, 5), away_from_bounds))
method("clamp tensor bounds", lambda x, low, high: x.clamp(low, high + 2), Of((3, 4), wide), (3, 4), (4,))
method("clip method", lambda x: x.clip(max=0.5), Of((4, 5), away_from_bounds))
method("max(other)", lambda a, b: a.max(b), (3, 4), (3, 4))
method("max(other) broadcast", lambda a, b: a.max(b), (3, 4), (4,))
method("min(other) broadcast", lambda a, b: a.min(b), (2, 1, 4), (3, 1))
method("maximum", lambda a, b: a.maximum(b), (3, 4), (3, 1))
method("minimum", lambda a, b: a.minimum(b), T((3, 4)), (3, 4))
method("max() all", lambda x: x.max(), Of((3, 4), distinct))
method("max(dim).values", lambda x: x.max(1).values, Of((3, 4), distinct))
method("max(dim, keepdim)[0]", lambda x: x.max(0, keepdim=True)[0], Of((3, 4), distinct))
method("max(dim=-1) of 3-D", lambda x: x.max(dim=-1).values, Of((2, 3, 4), distinct))
method("max(dim) transposed", lambda x: x.max(1).values, T((3, 4), distinct))
method("max(dim) of 0-d", lambda x: x.max(0).values, ())
method("min(dim).values", lambda x: x.min(1).values, Of((3, 4), distinct))
method("min(dim, keepdim) 3-D", lambda x: x.min(-2, True).values, Of((2, 3, 4), distinct))
method("min() all", lambda x: x.min(), Of((3, 4), distinct))
method("amax default", lambda x: x.amax(), Of((3, 4), distinct))
method("amax dim tuple keepdim", lambda x: x.amax((0, 2), keepdim=True), Of((2, 3, 4), distinct))
method("amin dim", lambda x: x.amin(dim=1), Of((2, 3, 4), distinct))
method("sum dim=", lambda x: x.sum(dim=1), (3, 4))
method("sum dim tuple keepdim=", lambda x: x.sum(dim=(0, 2), keepdim=True), (2, 3, 4))
method("sum dim list", lambda x: x.sum([0, -1]), (2, 3, 4))
method("mean dim= keepdim=", lambda x: x.mean(dim=-1, keepdim=True), (2, 3, 4))
method("mean dim tuple", lambda x: x.mean((0, 1)), T((3, 4)))
method("var default (unbiased)", lambda x: x.var(), (3, 4))
method("var dim keepdim", lambda x: x.var(1, keepdim=True), (3, 4))
method("var dim tuple unbiased=False", lambda x: x.var((0, 2), unbiased=False), (2, 3, 4))
method("var correction=0", lambda x: x.var(dim=0, correction=0), (3, 4))
method("var correction=2", lambda x: x.var(dim=-1, correction=2), (2, 5))
method("std default (unbiased)", lambda x: x.std(), (3, 4))
method("std dim keepdim", lambda x: x.std(dim=1, keepdim=True), (3, 4))
method("std unbiased=False", lambda x: x.std(0, unbiased=False), T((3, 4)))
method("prod all", lambda x: x.prod(), (3, 4))
method("prod dim", lambda x: x.prod(1), (3, 4))
method("prod dim keepdim negative", lambda x: x.prod(-2, keepdim=True), (2, 3, 4))
method("prod transposed", lambda x: x.prod(0), T((3, 4)))
method("prod with zeros", lambda x: x.prod(1), Of((4, 5), with_zeros))
method("prod all with zeros", lambda x: x.prod(), Of((3, 4), with_zeros))
method("prod 0-d", lambda x: x.prod(), ())

# ------------------------------------------------ torch namespace: minigen.cat / minigen.stack (= F.cat / F.stack)
case("cat dim=1", lambda a, b: F.cat([a, b], dim=1), lambda a, b: _torch().cat([a, b], dim=1), (2, 3), (2, 2))
case(
    "cat dim=-1 of three, one transposed",
    lambda a, b, c: F.cat((a, b, c), dim=-1),
    lambda a, b, c: _torch().cat((a, b, c), dim=-1),
    (2, 3, 1),
    (2, 3, 2),
    T((2, 3, 3)),
)
case("cat default dim", lambda a, b: F.cat([a, b]), lambda a, b: _torch().cat([a, b]), (1, 4), (3, 4))
case("cat a tensor with itself", lambda a: F.cat([a, a * 2], dim=0), lambda a: _torch().cat([a, a * 2], dim=0), (2, 3))
case("concat axis= alias", lambda a, b: F.concat([a, b], axis=1), lambda a, b: _torch().concat([a, b], 1),
     (2, 1), (2, 3))  # fmt: skip
case("stack dim=1", lambda a, b, c: F.stack([a, b, c], dim=1), lambda a, b, c: _torch().stack([a, b, c], dim=1),
     (3, 4), (3, 4), (3, 4))  # fmt: skip
case("stack dim=-1 of 0-d", lambda a, b: F.stack((a, b), dim=-1), lambda a, b: _torch().stack((a, b), dim=-1), (), ())
case("stack dim=2 transposed", lambda a, b: F.stack([a, b], dim=2), lambda a, b: _torch().stack([a, b], dim=2),
     T((2, 3)), (2, 3))  # fmt: skip
