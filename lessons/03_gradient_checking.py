# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3 — Gradient checking: how to know a backward is right
#
# **Goal:** test any backward against finite differences: why the *central* difference, why *float64*, how to
# compare with a *relative* error, and how `minigen.gradcheck` catches a deliberately wrong backward.
#
# *Time: about 2 s in full, 2 s in smoke mode, on a 2-core CPU (measured here, machine under load).
# No GPU needed.*

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen.tensor import Function

from lessons_support import check_exercise

# %% [markdown]
# ## 1. Two finite differences and their errors
#
# Taylor's theorem gives $f(x \pm h) = f(x) \pm h f'(x) + \frac{h^2}{2} f''(x) \pm \frac{h^3}{6} f'''(x) + \dots$, so
# $$\underbrace{\frac{f(x+h) - f(x)}{h}}_{\text{forward}} = f'(x) + \frac{h}{2}f''(x) + O(h^2), \qquad
# \underbrace{\frac{f(x+h) - f(x-h)}{2h}}_{\text{central}} = f'(x) + \frac{h^2}{6}f'''(x) + O(h^4).$$
# The central difference's *truncation error* is $O(h^2)$ instead of $O(h)$: the even terms cancel.
#
# But $h$ cannot shrink forever: $f$ is computed with a relative rounding error of about the machine epsilon
# $\varepsilon$ ($1.2\times10^{-7}$ in float32, $2.2\times10^{-16}$ in float64), and dividing by $h$ amplifies it to
# about $\varepsilon |f| / h$. The total error is smallest where the two terms balance:
# $$\text{forward: } \tfrac{h}{2}|f''| \approx \tfrac{\varepsilon |f|}{h} \Rightarrow h^\ast \sim \sqrt{\varepsilon},
# \qquad \text{central: }
# \tfrac{h^2}{6}|f'''| \approx \tfrac{\varepsilon |f|}{h} \Rightarrow h^\ast \sim \varepsilon^{1/3}.$$
# Let us measure it for $f(x) = e^{\sin x}$ at $x = 0.7$.


# %%
def f(x):
    return np.exp(np.sin(x))


def f_prime(x):
    return np.cos(x) * np.exp(np.sin(x))


hs = np.logspace(-14, 0, 57)
x0 = 0.7
errors = {}
for dtype in (np.float32, np.float64):
    x = dtype(x0)
    for kind in ("forward", "central"):
        errs = []
        for h in hs:
            h = dtype(h)
            if kind == "forward":
                estimate = (f(x + h) - f(x)) / h
            else:
                estimate = (f(x + h) - f(x - h)) / (dtype(2) * h)
            errs.append(abs(float(estimate) - f_prime(x0)) / abs(f_prime(x0)))
        errors[kind, np.dtype(dtype).name] = np.maximum(errs, 1e-17)

for (kind, dtype), errs in errors.items():
    best = int(np.argmin(errs))
    print(f"{kind:8s} {dtype}: best relative error {errs[best]:.1e} at h = {hs[best]:.0e}")
    plt.loglog(hs, errs, label=f"{kind}, {dtype}", linestyle="-" if dtype == "float64" else "--")
plt.xlabel("h")
plt.ylabel("relative error of the derivative")
plt.title("Finite differences: truncation (right) against rounding (left)")
plt.legend()
plt.show()

# %% [markdown]
# Read the curve: on the right the error falls as $h$ (slope 1, forward) or $h^2$ (slope 2, central); on the left
# rounding takes over and the error grows as $\varepsilon/h$. Only **central differences in float64** get to about
# $10^{-10}$, far below the $10^{-4}$ or so by which a wrong backward differs. In float32 even the best $h$ leaves
# an error near $10^{-5}$, and any other $h$ much more: a float32 check cannot tell a subtle bug from rounding.
# That is why `minigen.gradcheck` insists on float64 inputs and uses $h = 10^{-6}$ (near $\varepsilon^{1/3}$).
#
# ## 2. Relative error
#
# Gradients range over many orders of magnitude, so an absolute tolerance is either too loose for small ones or too
# tight for large ones. Compare with the relative error
# $$\text{rel}(a, n) = \frac{|a - n|}{\max(|a|, |n|)}$$
# (with a tiny floor in the denominator for gradients that are exactly 0). In float64 with central differences a
# correct backward gives about $10^{-8}$ or less; above $10^{-5}$ something is wrong.
#
# ## 3. A gradient check, inline
#
# For a scalar function of an array, perturb one element at a time:


# %%
def numerical_gradient(fn, x, h=1e-6):
    """Central differences of the scalar fn at every element of the float64 array x."""
    grad = np.zeros_like(x)
    for i in range(x.size):  # one element at a time: fine for the small inputs of a test
        step = np.zeros_like(x)
        step.flat[i] = h
        grad.flat[i] = (fn(x + step) - fn(x - step)) / (2 * h)
    return grad


def relative_error(a, n):
    return float(np.max(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)))


rng = np.random.default_rng(0)
w = rng.standard_normal((3, 4))
xb = rng.standard_normal((5, 3))

t = minigen.tensor(w, requires_grad=True)  # float64, since w is a float64 NumPy array
(minigen.tensor(xb) @ t).tanh().sum().backward()
numeric = numerical_gradient(lambda w_: np.tanh(xb @ w_).sum(), w)
inline_error = relative_error(t.grad.numpy(), numeric)
print(f"relative error of minigen's backward for tanh(x @ w): {inline_error:.1e}")

# %% [markdown]
# ## 4. `minigen.gradcheck`
#
# `minigen.gradcheck(fn, *inputs)` (in `minigen/gradcheck.py`) does the same for any function of tensors with any
# output shape: it reduces the output to a scalar with fixed random weights, $L = \sum_k r_k\,\mathrm{fn}(x)_k$,
# so every output element matters, then compares each input's gradient element by element (or, for large inputs,
# along a few random directions: $\frac{L(x + hv) - L(x - hv)}{2h} \approx \nabla L \cdot v$, one check for the cost
# of two forward passes). It returns True or raises `GradcheckError` naming the input, the element and both values.

# %%
x_t = minigen.tensor(rng.standard_normal((5, 3)), requires_grad=True)
w_t = minigen.tensor(w, requires_grad=True)
print(minigen.gradcheck(lambda a, b: (a @ b).tanh(), x_t, w_t))
print(minigen.gradcheck(lambda a: minigen.functional.log_softmax(a, dim=1), x_t))

# %% [markdown]
# ## 5. Catching a wrong backward
#
# A new operation is a `Function` subclass: `forward` on arrays, `backward` on gradients. Here is a sigmoid whose
# backward forgot a factor, $\sigma'(x) = \sigma(x)(1 - \sigma(x))$ written as $\sigma(x)$ alone — a typical slip.
# It trains (the gradient points in a roughly right direction), so only a check reveals it.


# %%
class BadSigmoid(Function):
    """y = 1 / (1 + exp(-x)). The backward below is WRONG on purpose: dy/dx = y (1 - y)."""

    def forward(self, x):
        self.y = 1 / (1 + self.xp.exp(-x))
        return self.y

    def backward(self, grad):
        return grad * self.y  # missing (1 - y)


class GoodSigmoid(BadSigmoid):
    def backward(self, grad):
        return grad * self.y * (1 - self.y)


z = minigen.tensor(rng.standard_normal(6), requires_grad=True)
print("good:", minigen.gradcheck(lambda a: GoodSigmoid()(a), z))
try:
    minigen.gradcheck(lambda a: BadSigmoid()(a), z)
    caught = None
except minigen.GradcheckError as error:
    caught = error
    print("bad: ", error)

# %% [markdown]
# Two more traps, both about the check rather than the op:
# - **kinks**: at a point where the function is not differentiable (relu at 0, `max` with ties) the central
#   difference averages the two one-sided slopes. Keep test inputs away from kinks rather than loosening tolerances.
# - **float32**: `gradcheck` refuses float32 inputs with a TypeError, because (section 1) the check would be noise.

# %%
at_kink = minigen.tensor(np.array([0.0, 1.0]), requires_grad=True)
try:
    minigen.gradcheck(minigen.functional.relu, at_kink)
except minigen.GradcheckError as error:
    print("relu at 0:", error)
try:
    minigen.gradcheck(minigen.functional.relu, minigen.tensor([0.5, 1.0], requires_grad=True))
except TypeError as error:
    print("float32:", error)

# %% [markdown]
# ## Self-check

# %%
assert errors["central", "float64"].min() < 1e-9, "central float64 differences should reach 1e-9"
assert errors["forward", "float64"].min() > 10 * errors["central", "float64"].min(), "central should beat forward"
assert errors["central", "float32"].min() > 1e-8, "float32 cannot reach float64's accuracy"
assert inline_error < 1e-7, f"inline gradient check failed: {inline_error}"
assert isinstance(caught, minigen.GradcheckError), "gradcheck must catch the wrong backward"
print("Lesson 3 self-check passed.")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — a backward of your own.** The softsign $y = x / (1 + |x|)$ has derivative $1/(1+|x|)^2$. Write its
# backward: given the input array `x` and the upstream gradient `grad`, return $\partial L/\partial x$. The check wraps
# it in a `Function` and runs `minigen.gradcheck` (inputs away from the kink at 0).


# %%
def softsign_backward(x, grad):
    raise NotImplementedError


def check_softsign_backward(fn):
    class Softsign(Function):
        def forward(self, x):
            self.x = x
            return x / (1 + self.xp.abs(x))

        def backward(self, grad):
            return fn(self.x, grad)

    x = rng.standard_normal(8)
    x[np.abs(x) < 0.05] = 0.5
    minigen.gradcheck(lambda a: Softsign()(a), minigen.tensor(x, requires_grad=True))


check_exercise(check_softsign_backward, softsign_backward)

# %% [markdown]
# **Exercise 2 — a directional check.** For large inputs, one check along a random direction $v$ is enough:
# return the central-difference estimate of $\nabla f(x)\cdot v$, i.e. $\frac{f(x + hv) - f(x - hv)}{2h}$, for a scalar
# NumPy function `fn`, a float64 array `x` and a direction `v`.


# %%
def directional_derivative(fn, x, v, h=1e-6):
    raise NotImplementedError


def check_directional_derivative(fn):
    a = rng.standard_normal((20, 30))
    x, v = rng.standard_normal(30), rng.standard_normal(30)
    exact = (a.T @ np.cos(a @ x)) @ v  # gradient of sum(sin(a x)), dotted with v
    estimate = fn(lambda x_: np.sin(a @ x_).sum(), x, v)
    assert abs(estimate - exact) < 1e-6 * max(1, abs(exact)), f"got {estimate}, expected {exact}"


check_exercise(check_directional_derivative, directional_derivative)

# %% [markdown]
# **Exercise 3 — predict the best step.** Return the step $h^\ast$ that the error analysis of section 1 predicts,
# for `kind` "forward" or "central" and the machine epsilon `eps` (e.g. `np.finfo(np.float64).eps`), ignoring
# constant factors. The check compares with the minima of the measured curves, within a factor of 30.


# %%
def best_step(kind, eps):
    raise NotImplementedError


def check_best_step(fn):
    for (kind, dtype), errs in errors.items():
        measured = hs[int(np.argmin(errs))]
        predicted = fn(kind, float(np.finfo(dtype).eps))
        message = f"{kind} {dtype}: predicted {predicted:.1e}, measured {measured:.1e}"
        assert measured / 30 < predicted < measured * 30, message


check_exercise(check_best_step, best_step)
