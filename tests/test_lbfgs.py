"""L-BFGS: PyTorch parity (with and without the strong-Wolfe line search), state dicts, devices, dtypes, bad input."""

import math

import numpy as np
import pytest

import minigen
from minigen import optim

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((20, 5)), RNG.standard_normal(20)
X, Y = RNG.standard_normal((20, 5)), RNG.standard_normal((20, 3))


def rosenbrock(params, constants):
    """sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimum 0 at x = 1 (a curved valley)."""
    (x,) = params
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def least_squares(params, constants):
    """|A w - b|^2."""
    (w,) = params
    a, b = constants
    residual = a @ w - b
    return (residual * residual).sum()


def linear_regression(params, constants):
    """mean |X W + bias - Y|^2 over a weight matrix and a bias; a third parameter (if any) is unused."""
    weight, bias = params[-2:]
    x, y = constants
    residual = x @ weight + bias - y
    return (residual * residual).mean()


def tiny_least_squares(params, constants):
    """1e-6 |A w - b|^2: so little curvature that the first pairs have y.s < 1e-10 and are skipped."""
    return 1e-6 * least_squares(params, constants)


PROBLEMS = {
    "rosenbrock2d": (rosenbrock, [np.array([-1.5, 2.0])], []),
    "rosenbrock10d": (rosenbrock, [np.linspace(-1.2, 1.2, 10)], []),
    "least_squares": (least_squares, [np.zeros(5)], [A, B]),
    "tiny_least_squares": (tiny_least_squares, [np.zeros(5)], [A, B]),
    "weight_and_bias": (linear_regression, [RNG.standard_normal((5, 3)), np.zeros(3)], [X, Y]),
}

# (problem, LBFGS arguments): well-conditioned runs, so that rounding differences do not grow chaotically.
PARITY = [
    ("rosenbrock2d", dict(max_iter=1)),
    ("rosenbrock2d", dict(max_iter=1, max_eval=4, line_search_fn="strong_wolfe")),  # default max_eval 1: no search
    ("rosenbrock2d", dict(lr=0.1, max_iter=20)),
    ("rosenbrock2d", dict(max_iter=20, line_search_fn="strong_wolfe")),
    ("rosenbrock2d", dict(max_iter=20, history_size=3, line_search_fn="strong_wolfe")),
    ("rosenbrock10d", dict(max_iter=1, history_size=3)),
    ("rosenbrock10d", dict(lr=0.2, max_iter=20, history_size=3)),
    ("rosenbrock10d", dict(max_iter=20, line_search_fn="strong_wolfe")),
    ("rosenbrock10d", dict(max_iter=20, history_size=3, line_search_fn="strong_wolfe")),
    ("least_squares", dict(max_iter=1)),
    ("least_squares", dict(max_iter=20, history_size=3)),
    ("least_squares", dict(lr=0.1, max_iter=20)),
    ("least_squares", dict(lr=0.1, max_iter=20, history_size=3, line_search_fn="strong_wolfe")),
    ("least_squares", dict(lr=0.1, max_iter=3, line_search_fn="strong_wolfe")),  # stops before the converged tail
    ("least_squares", dict(max_iter=5, max_eval=7, line_search_fn="strong_wolfe")),  # max_eval cuts line searches
    ("tiny_least_squares", dict(max_iter=20, tolerance_change=1e-12)),
    ("weight_and_bias", dict(lr=0.5, max_iter=4, history_size=3)),
    ("weight_and_bias", dict(max_iter=20, line_search_fn="strong_wolfe")),
]
PARITY_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}" for name, kwargs in PARITY]


class Run:
    """One optimizer on one problem, in minigen or in PyTorch, stepped by the usual closure."""

    def __init__(self, library, problem, kwargs, values=None, device=None, dtype=None):
        function, initial, constants = PROBLEMS[problem]
        values = initial if values is None else values
        self.library = library
        if library == "torch":
            torch = pytest.importorskip("torch")
            self.params = [torch.tensor(v, requires_grad=True) for v in values]
            self.constants = [torch.tensor(c) for c in constants]
            self.optimizer = torch.optim.LBFGS(self.params, **kwargs)
        else:
            self.params = [minigen.tensor(v, requires_grad=True, dtype=dtype, device=device) for v in values]
            self.constants = [minigen.tensor(c, dtype=dtype, device=device) for c in constants]
            self.optimizer = optim.LBFGS(self.params, **kwargs)
        self.function = function

    def closure(self):
        self.optimizer.zero_grad()
        loss = self.function(self.params, self.constants)
        loss.backward()
        return loss

    def step(self):
        """One step call: (the loss it returned, the parameters after it, flattened)."""
        return float(self.optimizer.step(self.closure).item()), self.flat()

    def flat(self):
        arrays = [p.detach().numpy() if self.library == "torch" else p.numpy() for p in self.params]
        return np.concatenate([np.ravel(a) for a in arrays])

    def counters(self):
        state = self.optimizer.state[self.params[0]]
        return state["n_iter"], state["func_evals"]


def as_numpy(value):
    """A state entry (minigen array/Tensor, torch tensor or number) as a NumPy array."""
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return minigen.backend.to_numpy(value.data if isinstance(value, minigen.Tensor) else value)


@pytest.mark.parametrize("problem, kwargs", PARITY, ids=PARITY_IDS)
def test_iterates_match_torch(torch, problem, kwargs):
    ours, theirs = Run("minigen", problem, kwargs), Run("torch", problem, kwargs)
    start = ours.flat()
    for call in range(5):
        (our_loss, our_x), (their_loss, their_x) = ours.step(), theirs.step()
        np.testing.assert_allclose(our_x, their_x, rtol=0, atol=1e-6, err_msg=f"step call {call}")
        assert our_loss == pytest.approx(their_loss, rel=1e-6, abs=1e-9)
        assert ours.counters() == theirs.counters()  # the same iterations and closure calls, across calls
    assert not np.allclose(our_x, start)  # it moved


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("tolerance", [dict(tolerance_grad=1e-3), dict(tolerance_change=1e-2)])
def test_tolerances_stop_early_as_torch(torch, tolerance, line_search_fn):
    kwargs = dict(max_iter=100, line_search_fn=line_search_fn, **tolerance)
    ours, theirs = Run("minigen", "least_squares", kwargs), Run("torch", "least_squares", kwargs)
    (our_loss, our_x), (their_loss, their_x) = ours.step(), theirs.step()
    np.testing.assert_allclose(our_x, their_x, rtol=0, atol=1e-6)
    assert our_loss == pytest.approx(their_loss, rel=1e-12)
    assert ours.counters() == theirs.counters()
    assert ours.counters()[0] < 100  # it stopped before max_iter
    full = Run("minigen", "least_squares", dict(max_iter=100, line_search_fn=line_search_fn))
    full.step()
    assert ours.counters()[0] < full.counters()[0]  # and earlier than with the default tolerances


def test_already_at_the_minimum_returns_at_once(torch):
    exact = np.linalg.lstsq(A, B, rcond=None)[0]
    ours = Run("minigen", "least_squares", dict(tolerance_grad=1e-8), values=[exact])
    theirs = Run("torch", "least_squares", dict(tolerance_grad=1e-8), values=[exact])
    (our_loss, our_x), (their_loss, _) = ours.step(), theirs.step()
    np.testing.assert_array_equal(our_x, exact)
    assert our_loss == pytest.approx(their_loss, rel=1e-12)
    state = ours.optimizer.state[ours.params[0]]
    assert state == {"func_evals": 1, "n_iter": 0} and ours.counters() == theirs.counters()


def test_parameters_are_flattened_in_order_and_those_without_gradient_stay(torch):
    # the first parameter is unused: its gradient is None (zeros in the flat gradient), and it holds the state
    values = [np.array([0.25, -0.5])] + PROBLEMS["weight_and_bias"][1]
    kwargs = dict(max_iter=3, history_size=3, line_search_fn="strong_wolfe")
    ours = Run("minigen", "weight_and_bias", kwargs, values=values)
    theirs = Run("torch", "weight_and_bias", kwargs, values=values)
    for _ in range(3):
        (our_loss, our_x), (their_loss, their_x) = ours.step(), theirs.step()
        np.testing.assert_allclose(our_x, their_x, rtol=0, atol=1e-9)
        assert our_loss == pytest.approx(their_loss, rel=1e-9)
    assert ours.params[0].grad is None
    np.testing.assert_array_equal(ours.params[0].numpy(), values[0])
    our_state, their_state = ours.optimizer.state[ours.params[0]], theirs.optimizer.state[theirs.params[0]]
    for key in ("d", "prev_flat_grad"):  # the flat vectors themselves: the order of the pieces shows here
        np.testing.assert_allclose(as_numpy(our_state[key]), as_numpy(their_state[key]), rtol=1e-9, atol=1e-12)
        assert np.all(as_numpy(our_state[key])[:2] == 0)
    for ours_y, theirs_y in zip(our_state["old_dirs"], their_state["old_dirs"]):
        np.testing.assert_allclose(as_numpy(ours_y), as_numpy(theirs_y), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_resumes_exactly(line_search_fn):
    kwargs = dict(lr=0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    straight = Run("minigen", "rosenbrock10d", kwargs)
    expected = [straight.step() for _ in range(6)]

    first = Run("minigen", "rosenbrock10d", kwargs)
    for _ in range(3):
        first.step()
    saved = first.optimizer.state_dict()
    assert set(saved["state"]) == {0}  # all of it under the first parameter
    assert len(saved["state"][0]["old_dirs"]) == 3  # a full history, which the next steps shift
    copies = {key: [as_numpy(v).copy() for v in value] for key, value in saved["state"][0].items()
              if key in ("old_dirs", "old_stps")}  # fmt: skip
    after_three = [p.numpy().copy() for p in first.params]
    first.step()  # later steps must not change the snapshot
    for key, arrays in copies.items():
        for kept, now in zip(arrays, saved["state"][0][key]):
            np.testing.assert_array_equal(as_numpy(now), kept)

    resumed = Run("minigen", "rosenbrock10d", dict(kwargs, lr=123.0, history_size=50), values=after_three)
    resumed.optimizer.load_state_dict(saved)
    assert resumed.optimizer.param_groups[0]["history_size"] == 3
    for call in range(3, 6):
        loss, x = resumed.step()
        assert loss == expected[call][0]
        np.testing.assert_array_equal(x, expected[call][1])
    assert resumed.counters() == straight.counters()


def test_state_dict_layout_is_torch_and_a_torch_state_dict_resumes(torch):
    kwargs = dict(max_iter=5, history_size=4, line_search_fn="strong_wolfe")
    ours, theirs = Run("minigen", "rosenbrock10d", kwargs), Run("torch", "rosenbrock10d", kwargs)
    for _ in range(2):
        ours.step(), theirs.step()
    mine, reference = ours.optimizer.state_dict(), theirs.optimizer.state_dict()
    expected_keys = {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                     "prev_loss", "al"}  # fmt: skip
    assert set(mine["state"][0]) == set(reference["state"][0]) == expected_keys
    for key in ("lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn"):
        assert mine["param_groups"][0][key] == reference["param_groups"][0][key], key
    assert isinstance(mine["state"][0]["old_dirs"][0], minigen.Tensor)

    # PyTorch's state dict (lists of tensors, 0-d tensors for ro and H_diag) loaded here continues as PyTorch does
    loaded = Run("minigen", "rosenbrock10d", kwargs, values=[theirs.flat()])
    loaded.optimizer.load_state_dict(reference)
    state = loaded.optimizer.state[loaded.params[0]]
    assert isinstance(state["ro"][0], float) and isinstance(state["H_diag"], float)
    for _ in range(2):
        (our_loss, our_x), (their_loss, their_x) = loaded.step(), theirs.step()
        np.testing.assert_allclose(our_x, their_x, rtol=0, atol=1e-9)
        assert our_loss == pytest.approx(their_loss, rel=1e-9)
    assert loaded.counters() == theirs.counters()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_device_gives_the_cpu_results(device, line_search_fn):
    kwargs = dict(lr=0.5, max_iter=5, history_size=3, line_search_fn=line_search_fn)
    values = [np.array([0.25, -0.5])] + PROBLEMS["weight_and_bias"][1]  # with an unused parameter
    cpu = Run("minigen", "weight_and_bias", kwargs, values=values, dtype="float64")
    run = Run("minigen", "weight_and_bias", kwargs, values=values, device=device, dtype="float64")
    arrays = [p.data for p in run.params]
    for _ in range(3):
        (cpu_loss, cpu_x), (loss, x) = cpu.step(), run.step()
        assert loss == cpu_loss
        np.testing.assert_array_equal(x, cpu_x)
    for param, array in zip(run.params, arrays):
        assert param.data is array and param.device == device  # updated in place, where it was
    state = run.optimizer.state[run.params[0]]
    for value in [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["old_stps"]]:
        assert minigen.backend.device_of(value).name == device
    # a state saved on this device loads on the CPU and continues the same
    moved = Run("minigen", "weight_and_bias", kwargs, values=[p.numpy() for p in run.params], dtype="float64")
    moved.optimizer.load_state_dict(run.optimizer.state_dict())
    np.testing.assert_array_equal(moved.step()[1], run.step()[1])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_parameters_stay_float32(device, line_search_fn):
    kwargs = dict(max_iter=10, history_size=5, line_search_fn=line_search_fn)
    run = Run("minigen", "least_squares", kwargs, device=device, dtype="float32")
    first_loss, _ = run.step()
    run.step()
    assert run.params[0].dtype == np.float32
    state = run.optimizer.state[run.params[0]]
    for value in [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["old_stps"]]:
        assert value.dtype == np.float32
    assert float(run.closure().item()) < 0.5 * first_loss


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_step_bumps_versions_and_runs_the_closure_with_grad_inside_no_grad(line_search_fn):
    run = Run("minigen", "least_squares", dict(max_iter=3, line_search_fn=line_search_fn), dtype="float64")
    stale = least_squares(run.params, run.constants)  # a graph built before the step
    version = run.params[0]._version
    with minigen.no_grad():  # PyTorch's step runs its closure with gradients enabled
        run.step()
    assert run.params[0]._version > version
    with pytest.raises(RuntimeError):
        stale.backward()  # the parameters changed in place under it


def wavy(seed):
    """A 1-D line problem with several minima (a bowl plus Gaussian bumps): f, its gradient, x0, t0."""
    rng = np.random.default_rng(seed)
    centres, widths, heights = rng.uniform(-3, 3, 6), rng.uniform(0.05, 1, 6), rng.uniform(-2, 2, 6)

    def f(x):
        return float(0.05 * x[0] ** 2 + np.sum(heights * np.exp(-((x[0] - centres) ** 2) / widths)))

    def gradient(x):
        bumps = heights * np.exp(-((x[0] - centres) ** 2) / widths) * (-2 * (x[0] - centres) / widths)
        return np.array([0.1 * x[0] + np.sum(bumps)])

    return f, gradient, np.array([rng.uniform(-3, 3)]), 10 ** rng.uniform(-2, 2)


def sextic(seed):
    """A 1-D line problem on a random polynomial of degree 6: f, its gradient, x0, t0."""
    rng = np.random.default_rng(seed)
    coefficients = rng.standard_normal(7)[::-1]
    coefficients[0] = abs(coefficients[0]) + 0.1
    return (lambda x: float(np.polyval(coefficients, x[0])), lambda x: np.polyval(np.polyder(coefficients), x),
            np.array([rng.uniform(-2, 2)]), 10 ** rng.uniform(-3, 1))  # fmt: skip


def wall(seed):
    """A 1-D line problem, -x + exp(s (x - 1)), whose first trial point overflows to an infinite loss."""
    rng = np.random.default_rng(seed)
    steepness, t0 = rng.uniform(20, 200), 10 ** rng.uniform(0.5, 2)

    def f(x):
        with np.errstate(over="ignore"):
            return float(-x[0] + np.exp(steepness * (x[0] - 1)))

    def gradient(x):
        with np.errstate(over="ignore"):
            return np.array([-1 + steepness * np.exp(steepness * (x[0] - 1))])

    return f, gradient, np.array([0.0]), t0


# Seeds whose searches zoom, move t off a bracket's end after too little progress, swap the bracket's
# ends, stop on a small bracket (tolerance_change), run out of evaluations (max_ls) or meet an infinite loss.
LINE_SEARCHES = [(wavy, seed, {}) for seed in (9, 19, 72, 126, 151)] + [
    (sextic, 80, dict(tolerance_change=1e-3)), (sextic, 209, dict(tolerance_change=1e-3)), (wavy, 6, dict(max_ls=1)),
    (wall, 0, dict(max_ls=1)), (wall, 1, dict(max_ls=3)),
]  # fmt: skip


@pytest.mark.parametrize("family, seed, kwargs", LINE_SEARCHES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_strong_wolfe_line_search_matches_torch(torch, family, seed, kwargs):
    from minigen.optim.lbfgs import _strong_wolfe

    reference = getattr(pytest.importorskip("torch.optim.lbfgs"), "_strong_wolfe", None)
    if reference is None:
        pytest.skip("this PyTorch has no torch.optim.lbfgs._strong_wolfe")
    f, gradient, x0, t0 = family(seed)
    d = -gradient(x0)  # downhill

    def evaluate(t):
        return f(x0 + t * d), gradient(x0 + t * d)

    def their_evaluate(x, t, direction):
        return f(x0 + float(t) * d), torch.tensor(gradient(x0 + float(t) * d))

    loss, grad, t, evaluations = _strong_wolfe(evaluate, t0, d, f(x0), gradient(x0), float(gradient(x0) @ d), **kwargs)
    g0 = torch.tensor(gradient(x0))
    their_loss, their_grad, their_t, their_evaluations = reference(
        their_evaluate, [torch.tensor(x0)], t0, torch.tensor(d), f(x0), g0, g0.dot(torch.tensor(d)), **kwargs
    )
    assert evaluations == their_evaluations
    assert t == pytest.approx(float(their_t), rel=1e-9, abs=1e-12)
    assert loss == pytest.approx(float(their_loss), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(grad, their_grad.numpy(), rtol=1e-9, atol=1e-12)
    assert math.isfinite(t) and loss <= f(x0)


def test_bad_arguments_are_refused():
    a, b = minigen.tensor([1.0], requires_grad=True), minigen.tensor([2.0], requires_grad=True)
    optimizer = optim.LBFGS([a])
    cases = [
        (ValueError, "params has 2 parameter groups", lambda: optim.LBFGS([{"params": [a]}, {"params": [b]}])),
        (ValueError, "one group only", lambda: optimizer.add_param_group({"params": [b]})),
        (
            ValueError,
            "unknown line_search_fn='wolfe' \\(expected None or 'strong_wolfe'\\)",
            lambda: optim.LBFGS([a], line_search_fn="wolfe"),
        ),
        (ValueError, "invalid tolerance_grad=-1", lambda: optim.LBFGS([a], tolerance_grad=-1)),
        (TypeError, "LBFGS.step: closure=None \\(expected a callable", optimizer.step),
        (TypeError, "LBFGS.step: closure=3 ", lambda: optimizer.step(3)),
    ]
    for lr in (0, -1.0, math.nan, math.inf):
        message = rf"invalid learning rate lr={lr!r} \(expected a finite number > 0\)"
        cases.append((ValueError, message, lambda lr=lr: optim.LBFGS([a], lr=lr)))
    for name in ("history_size", "max_iter", "max_eval"):
        message = rf"invalid {name}=0 \(expected an integer >= 1\)"
        cases.append((ValueError, message, lambda name=name: optim.LBFGS([a], **{name: 0})))
    for error, message, call in cases:
        with pytest.raises(error, match=message) as caught:
            call()
        assert "\n" not in str(caught.value)  # one line
