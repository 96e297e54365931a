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
