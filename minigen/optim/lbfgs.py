"""L-BFGS: a quasi-Newton method that builds a curvature model from its last few steps (PyTorch's formulation).

Unlike SGD or Adam, L-BFGS needs to evaluate the loss several times per step (its line search
tries step lengths), so ``step`` takes a *closure* that recomputes it, as in PyTorch::

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    optimizer.step(closure)   # up to max_iter iterations; returns the first loss

All parameters are handled as one flattened vector x (their gradients concatenated in the
order given), so the algorithm below is written once for a single xp array. The state is
global, but lives under the first parameter (as in PyTorch, so ``state_dict`` works unchanged).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from minigen import backend
from minigen.optim.optimizer import Optimizer, _is_array, check_non_negative
from minigen.tensor import Tensor, enable_grad

__all__ = ["LBFGS"]

# State entries that are Python numbers here (PyTorch may save some of them as 0-d tensors).
_SCALAR_KEYS = frozenset({"t", "H_diag", "prev_loss", "ro"})


def _loss_value(loss: Any) -> float:
    """The closure's loss (a one-element Tensor or a number) as a Python float."""
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def _divide(numerator: float, denominator: float) -> float:
    """numerator / denominator with IEEE results (inf, nan) instead of ZeroDivisionError, as on tensors."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0 or math.isnan(numerator):
        return math.nan
    return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)


def _cubic_interpolate(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to ``bounds``.

    With x2 the farther point (Nocedal & Wright, eq. 3.59):
        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1^2 - g1 g2)
        x  = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)
    When d1^2 < g1 g2 the cubic has no minimum: the middle of the bounds is returned.
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - _divide(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2  # (not d1**2, which raises OverflowError on floats)
    if not d2_square >= 0:  # also when it is NaN (an infinite loss at a trial point)
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * _divide(g2 + d2 - d1, g2 - g1 + 2 * d2)
    else:
        minimum = x1 - (x1 - x2) * _divide(g1 + d2 - d1, g1 - g2 + 2 * d2)
    return min(max(minimum, low), high)


def _strong_wolfe(
    evaluate: Callable[[float], tuple[float, Any]],
    t: float,
    d: Any,
    f: float,
    g: Any,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Any, float, int]:
    """A step length t along d meeting the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6).

    ``evaluate(t)`` returns the loss and flat gradient at x + t d; f, g and gtd = g.d are their values at t = 0.
    The conditions are sufficient decrease (Armijo)  f(t) <= f + c1 t gtd
    and a flat enough slope                        |g(t).d| <= c2 |gtd|.
    First a bracket [t_lo, t_hi] holding such a point is found by growing t (cubic extrapolation,
    at most 10 t); then ``zoom`` shrinks it by cubic interpolation. Returns the loss, flat gradient
    and t of the best point found, and how many evaluations it took.
    """
    xp = backend.get_array_module(d)
    d_norm = float(xp.abs(d).max())
    f_new, g_new = evaluate(t)
    evaluations = 1
    gtd_new = float(g_new.dot(d))

    # Bracketing phase: each point is (t, f, g, g.d).
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):  # too far: the minimum is behind
            bracket = [t_prev, t]
            bracket_f, bracket_g, bracket_gtd = [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:  # both conditions hold: done
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:  # the slope turned upwards: the minimum is in between
            bracket = [t_prev, t]
            bracket_f, bracket_g, bracket_gtd = [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # still going down: extrapolate, between 1.01 t and 10 t
        t_next = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:  # out of evaluations: keep the better of the start and the last point
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until a point meets both conditions.
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:  # the bracket is too small to matter
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # A t close to an end of the bracket makes little progress: after two such tries in a row
        # (or at/outside an end), move it to 0.1 of the bracket's length from the nearer end.
        lo_end, hi_end = min(bracket), max(bracket)
        eps = 0.1 * (hi_end - lo_end)
        if min(hi_end - t, t - lo_end) < eps:
            if insufficient_progress or t >= hi_end or t <= lo_end:
                t = hi_end - eps if abs(t - hi_end) < abs(t - lo_end) else lo_end + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            # no sufficient decrease, or not below the low end: t becomes the high end
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:  # the minimum lies beyond low: old low -> high
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evaluations


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"LBFGS: invalid {name}={value!r} (expected an integer >= 1)")


class LBFGS(Optimizer):
    """L-BFGS (Liu & Nocedal, 1989), as torch.optim.LBFGS (after Schmidt's minFunc).

    Each of up to ``max_iter`` iterations per ``step(closure)``, with x the flattened parameters
    and g the flattened gradient:

        d <- -H g             H: the inverse Hessian modelled by the last ``history_size`` pairs
                              s = x_new - x, y = g_new - g (see :meth:`_direction`); d = -g at first
        t <- lr               (min(1, 1/|g|_1) * lr on the very first iteration)
        t <- a strong-Wolfe step along d from t  (line_search_fn="strong_wolfe"; else t is kept)
        x <- x + t d

    It stops early when max|g| <= tolerance_grad, when the slope g.d > -tolerance_change, when
    max|t d| or the change of the loss falls below tolerance_change, or after ``max_eval``
    evaluations of the closure (default max_iter * 5 // 4). Counters carry over between calls:
    state 'n_iter' (iterations) and 'func_evals' (closure calls). One parameter group only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
            raise ValueError(f"LBFGS: invalid learning rate lr={lr!r} (expected a finite number > 0)")
        _check_count("max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        _check_count("max_eval", max_eval)
        check_non_negative("LBFGS", tolerance_grad=tolerance_grad, tolerance_change=tolerance_change)
        _check_count("history_size", history_size)
        if line_search_fn is not None and line_search_fn != "strong_wolfe":
            raise ValueError(f"LBFGS: unknown line_search_fn={line_search_fn!r} (expected None or 'strong_wolfe')")
        if not isinstance(params, Tensor):
            params = list(params)
            if len(params) > 1 and isinstance(params[0], dict):
                raise ValueError(
                    f"LBFGS: params has {len(params)} parameter groups (expected one: LBFGS has no per-parameter "
                    "options, as in PyTorch)"
                )
        defaults = dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn,
        )  # fmt: skip
        super().__init__(params, defaults)
        devices = sorted({param.device for param in self._params})
        if len(devices) > 1:
            raise ValueError(f"LBFGS: parameters on devices {devices} (expected all on one: they form one vector)")

    def add_param_group(self, group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS: add_param_group called with one group already (expected one group only)")
        super().add_param_group(group)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # --------------------------------------------------- the flattened parameter vector
    def _gather_flat_grad(self) -> Any:
        """All gradients as one new 1-D array, in parameter order; zeros for a parameter without one."""
        xp = backend.get_array_module(self._params[0].data)
        pieces = [
            xp.zeros(param.numel(), dtype=param.dtype) if param.grad is None else param.grad.data.reshape(-1)
            for param in self._params
        ]
        return xp.concatenate(pieces)

    def _add_to_params(self, step: float, direction: Any) -> None:
        """x <- x + step * direction, each parameter taking its slice of the flat vector."""
        offset = 0
        for param in self._params:
            param.data += step * direction[offset : offset + param.numel()].reshape(param.shape)
            param.bump_version()
            offset += param.numel()

    def _copy_params(self) -> list[Any]:
        return [param.data.copy() for param in self._params]

    def _set_params(self, arrays: list[Any]) -> None:
        for param, array in zip(self._params, arrays):
            param.data[...] = array
            param.bump_version()

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float, Any]:
        """Call the closure: its loss as returned and as a float, and the flat gradient it left."""
        with enable_grad():  # the closure must record its graph even inside no_grad()
            loss = closure()
        return loss, _loss_value(loss), self._gather_flat_grad()

    @staticmethod
    def _direction(g: Any, s_history: list[Any], y_history: list[Any], rho: list[float], gamma: float,
                   alpha: list[Any]) -> Any:  # fmt: skip
        """d = -H g by the two-loop recursion (Nocedal & Wright, algorithm 7.4), without forming H.

        With the pairs s_i = x_{i+1} - x_i, y_i = g_{i+1} - g_i (oldest first) and rho_i = 1 / (y_i . s_i),
        L-BFGS's inverse Hessian applies, newest pair last, the BFGS update
            H <- (I - rho_i s_i y_i^T) H (I - rho_i y_i s_i^T) + rho_i s_i s_i^T
        to the start H_0 = gamma I, gamma = (s . y) / (y . y) for the newest pair (state 'H_diag').
        Unrolled, H g needs only dot products and vector sums:
            q <- -g
            for i = newest ... oldest:  alpha_i <- rho_i s_i . q;   q <- q - alpha_i y_i
            r <- gamma q
            for i = oldest ... newest:  beta_i <- rho_i y_i . r;    r <- r + (alpha_i - beta_i) s_i
            d = r
        ``alpha`` is scratch space of length >= len(s_history) (state 'al'). The dot products stay
        device arrays (0-d), so the loops never wait for the GPU.
        """
        q = -g
        for i in reversed(range(len(s_history))):
            alpha[i] = s_history[i].dot(q) * rho[i]
            q -= alpha[i] * y_history[i]
        r = q * gamma
        for i in range(len(s_history)):
            beta = y_history[i].dot(r) * rho[i]
            r += (alpha[i] - beta) * s_history[i]
        return r

    # ------------------------------------------------------------------ stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Up to ``max_iter`` L-BFGS iterations; returns the closure's first loss, as PyTorch does.

        ``closure()`` must zero the gradients, compute the loss, call ``backward()`` and return the loss.
        """
        if closure is None or not callable(closure):
            raise TypeError(
                f"LBFGS.step: closure={closure!r} (expected a callable that zeroes the gradients, computes the "
                "loss, calls backward() and returns the loss)"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        xp = backend.get_array_module(self._params[0].data)

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss, flat_grad = self._evaluate(closure)
        current_evals = 1
        state["func_evals"] += 1
        if float(xp.abs(flat_grad).max()) <= tolerance_grad:  # already at a stationary point
            return orig_loss

        d, t = state.get("d"), state.get("t")
        # PyTorch's names: old_dirs holds the y_i (gradient changes), old_stps the s_i (steps taken).
        y_history, s_history, rho = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        gamma, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                y_history, s_history, rho, gamma = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # curvature y.s > 0 keeps H positive definite; otherwise skip this pair
                    if len(y_history) == history_size:  # limited memory: forget the oldest pair
                        del y_history[0], s_history[0], rho[0]
                    y_history.append(y)
                    s_history.append(s)
                    rho.append(1.0 / ys)
                    gamma = ys / float(y.dot(y))
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = self._direction(flat_grad, s_history, y_history, rho, gamma, state["al"])
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # ---- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))  # the slope along d
            if gtd > -tolerance_change:  # d does not go downhill (enough)
                break

            evaluations = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = self._copy_params()

                def evaluate(step: float, start: list[Any] = start, d: Any = d) -> tuple[float, Any]:
                    """Loss and flat gradient at x + step d; the parameters are put back to x afterwards."""
                    self._add_to_params(step, d)
                    _, value, gradient = self._evaluate(closure)
                    self._set_params(start)
                    return value, gradient

                # PyTorch passes neither tolerance_change nor c1, c2: the line search uses its defaults.
                loss, flat_grad, t, evaluations = _strong_wolfe(
                    evaluate, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_to_params(t, d)
                opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_to_params(t, d)
                opt_cond = False
                if n_iter != max_iter:  # the last iteration's loss is not needed (the next step computes it)
                    _, loss, flat_grad = self._evaluate(closure)
                    opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    evaluations = 1
            current_evals += evaluations
            state["func_evals"] += evaluations

            # ---- stopping
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.abs(d).max()) * abs(t) <= tolerance_change:  # max |t d|: the parameters barely move
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss barely changes
                break

        state.update(
            d=d, t=t, old_dirs=y_history, old_stps=s_history, ro=rho, H_diag=gamma,
            prev_flat_grad=prev_flat_grad, prev_loss=prev_loss,
        )  # fmt: skip
        return orig_loss

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise TypeError("LBFGS updates all parameters together in step(closure), not one at a time")

    # --------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """As :meth:`Optimizer.state_dict`; the history lists (old_dirs, old_stps, ro, al) are copied too."""
        saved = super().state_dict()
        for values in saved["state"].values():
            for key, value in values.items():
                if isinstance(value, list):
                    values[key] = [Tensor(item.copy()) if _is_array(item) else item for item in value]
        return saved

    @staticmethod
    def _restore(key: str, value: Any, param: Tensor) -> Any:
        """A saved entry for ``param``'s device and dtype: lists item by item, t/H_diag/prev_loss/ro as floats."""
        if isinstance(value, list):
            return [None if item is None else LBFGS._restore(key, item, param) for item in value]
        if key in _SCALAR_KEYS:
            return float(value.item()) if hasattr(value, "item") else value
        return Optimizer._restore(key, value, param)
