# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 2 — From scalars to tensors: broadcasting, summing gradients back, and the array module
#
# **Goal:** move from one number per node to one array per node: the gradient of a tensor has the tensor's shape,
# broadcasting copies values so its backward must *sum*, and one `xp` runs the same code on NumPy or CuPy.
#
# *Time: about 2 s in full, 2 s in smoke mode, on a 2-core CPU (measured here, machine under load).
# Uses the GPU when there is one.*

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen.backend import get_array_module

from lessons_support import check_exercise, pick_device, smoke

device = pick_device()
print("device:", device)

# %% [markdown]
# ## 1. The gradient of a tensor has the tensor's shape
#
# For a scalar loss $L$ and a tensor $X$ of any shape, $\frac{\partial L}{\partial X}$ is a tensor of the same shape:
# entry $(i,j)$ is $\partial L/\partial X_{ij}$. Each operation's backward receives $G = \partial L/\partial Y$
# (shaped like its output $Y$) and returns $\partial L/\partial X$ (shaped like its input). For $Y = AB$:
# $$Y_{ij} = \sum_k A_{ik} B_{kj} \quad\Rightarrow\quad
# \frac{\partial L}{\partial A_{ik}} = \sum_j G_{ij} B_{kj},\qquad
# \frac{\partial L}{\partial A} = G B^\top,\qquad \frac{\partial L}{\partial B} = A^\top G.$$
# A quick sanity check for any such formula: the shapes must work out. With $A$: $n\times m$, $B$: $m\times p$,
# $G$ is $n\times p$, so $GB^\top$ is $(n\times p)(p\times m) = n\times m$, the shape of $A$.

# %%
rng = np.random.default_rng(0)
A = minigen.tensor(rng.standard_normal((4, 3)), requires_grad=True, device=device)
B = minigen.tensor(rng.standard_normal((3, 2)), requires_grad=True, device=device)
G = rng.standard_normal((4, 2))  # any upstream gradient dL/dY
(A @ B).backward(minigen.tensor(G, device=device))
print("dL/dA from backward():\n", A.grad.numpy())
print("G @ B^T:\n", G @ B.numpy().T)

# %% [markdown]
# ## 2. Broadcasting, and why its backward sums
#
# NumPy's rule: align shapes on the **right**; a missing axis counts as size 1; an axis of size 1 is stretched
# (copied) to match. So `(4, 3) + (3,)` adds the same row vector `b` to each of the four rows:
# $$Y_{ij} = X_{ij} + b_j .$$
# Each $b_j$ was *used* four times, once per row, and by the chain rule the contributions of all uses add up:
# $$\frac{\partial L}{\partial b_j} = \sum_i \frac{\partial L}{\partial Y_{ij}}\,\frac{\partial Y_{ij}}{\partial b_j}
# = \sum_i G_{ij}.$$
# In general: **sum the upstream gradient over every axis that broadcasting added or stretched**, then reshape to
# the input's shape. That is the whole of `unbroadcast`:


# %%
def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added (leading) or stretched (size 1 in ``shape``)."""
    extra = grad.ndim - len(shape)  # axes added on the left
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True).reshape(shape)


G = rng.standard_normal((4, 3))
print("gradient for b of shape (3,):   ", unbroadcast(G, (3,)))
print("gradient for c of shape (4, 1):\n", unbroadcast(G, (4, 1)))

# %% [markdown]
# minigen's version is `minigen.ops.broadcasting.unbroadcast` (open `minigen/ops/broadcasting.py`): every binary
# operation in `minigen/ops/arithmetic.py` calls it on its way back, e.g. `Add.backward` returns
# `unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)`. Let us check that backward() agrees.

# %%
X = minigen.tensor(rng.standard_normal((4, 3)), requires_grad=True, device=device)
b = minigen.tensor(rng.standard_normal(3), requires_grad=True, device=device)
c = minigen.tensor(rng.standard_normal((4, 1)), requires_grad=True, device=device)
(X * b + c).backward(minigen.tensor(G, device=device))
print("db:", b.grad.numpy(), " expected:", unbroadcast(G * X.numpy(), (3,)))
print("dc:", c.grad.numpy().ravel(), " expected:", unbroadcast(G, (4, 1)).ravel())

fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), gridspec_kw={"width_ratios": [3, 3, 1]})
for ax, image, title in [
    (axes[0], G, "upstream G, shape (4, 3)"),
    (axes[1], np.broadcast_to(unbroadcast(G, (3,)), (1, 3)), "dL/db = G summed over rows"),
    (axes[2], unbroadcast(G, (4, 1)), "dL/dc (4, 1)"),
]:
    ax.imshow(image, cmap="coolwarm", vmin=-3, vmax=3)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# ## 3. The array module: one code path for NumPy and CuPy
#
# CuPy copies NumPy's API onto NVIDIA GPUs. If compute code writes `xp.exp(x)` instead of `np.exp(x)`, where `xp` is
# the module that owns `x`'s data, the same line runs on either. `minigen.backend.get_array_module(*values)` is the one
# place that decides: it unwraps tensors and returns `numpy` or `cupy`. Inside a `Function`, minigen sets `self.xp`.
#
# A stable softplus $\log(1 + e^x) = \max(x, 0) + \log(1 + e^{-|x|})$ written once, device-agnostic:


# %%
def softplus(x):
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


x = minigen.tensor(np.linspace(-800, 800, 5), device=device)
print("array module:", get_array_module(x).__name__)
print("softplus:", minigen.backend.to_numpy(softplus(x.data)))
print("the same through minigen:", minigen.functional.softplus(x).numpy())

# %% [markdown]
# Three habits keep such code fast and correct on a GPU (lesson 12 measures them):
# - never call `np.something` on an array that came from a tensor: on the GPU that forces a copy to the host (or fails);
#   use `xp`, and `tensor.numpy()` / `backend.to_numpy` only when you *want* the values on the host;
# - keep **float32**: a stray float64 makes most GPUs many times slower. `minigen.tensor([0.5])` is float32, and
#   `x * 0.5` keeps `x`'s dtype;
# - create data on the device it will be used on: `minigen.tensor(..., device=device)`,
#   `minigen.randn(..., device=device)`.

# %%
print(minigen.tensor([0.5, 1.0]).dtype, (minigen.tensor([0.5, 1.0]) * 0.5).dtype)

# %% [markdown]
# ## 4. A vectorised model: linear regression on a batch
#
# With tensors, one expression handles a whole batch. For $\hat y = Xw + b$ ($X$: $N\times d$, $w$: $d$, $b$: scalar
# broadcast over the batch) and $L = \frac{1}{N}\lVert \hat y - y\rVert^2$, backward gives
# $\frac{\partial L}{\partial w} = \frac{2}{N} X^\top(\hat y - y)$ and
# $\frac{\partial L}{\partial b} = \frac{2}{N}\sum_i(\hat y_i - y_i)$
# — the sum over the batch is exactly broadcasting's backward.

# %%
n, d = smoke(2048, 256), 5
true_w = rng.standard_normal(d)
X_data = rng.standard_normal((n, d))
y_data = X_data @ true_w + 0.7 + 0.1 * rng.standard_normal(n)
Xt = minigen.tensor(X_data, dtype="float32", device=device)  # NumPy arrays keep float64 unless we ask
yt = minigen.tensor(y_data, dtype="float32", device=device)
w = minigen.tensor(np.zeros(d), dtype="float32", requires_grad=True, device=device)
bias = minigen.tensor(0.0, requires_grad=True, device=device)

losses = []
for _ in range(smoke(200, 60)):
    loss = ((Xt @ w + bias - yt) ** 2).mean()
    w.grad = bias.grad = None
    loss.backward()
    w.data -= 0.1 * w.grad.data  # plain gradient descent on the arrays
    bias.data -= 0.1 * bias.grad.data
    losses.append(loss.item())
w_error = np.abs(w.numpy() - true_w).max()
print(f"loss {losses[0]:.3f} -> {losses[-1]:.4f};  |w - true_w| = {w_error:.3f}, b = {bias.item():.3f}")
plt.semilogy(losses)
plt.xlabel("step")
plt.ylabel("MSE")
plt.title("Linear regression, one batched expression per step")
plt.show()

# %% [markdown]
# ## Self-check

# %%
assert A.grad.shape == A.shape and B.grad.shape == B.shape, "a gradient has its tensor's shape"
for shape in [(3,), (4, 1), (1, 3), (1, 1), (4, 3), ()]:
    assert np.allclose(unbroadcast(G, shape), minigen.ops.broadcasting.unbroadcast(G, shape)), shape
assert np.allclose(b.grad.numpy(), (G * X.numpy()).sum(0), atol=1e-5), "broadcast backward must sum over rows"
assert np.all(np.isfinite(minigen.backend.to_numpy(softplus(x.data)))), "softplus overflowed"
assert losses[-1] < 0.02, f"linear regression did not converge: {losses[-1]}"
print("Lesson 2 self-check passed.")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the backward of matmul.** Given NumPy arrays `a` ($n\times m$), `b` ($m \times p$) and the upstream
# gradient `g` ($n\times p$) of $Y = ab$, return `(dL/da, dL/db)`. The check compares with minigen's backward.


# %%
def matmul_backward(a, b, g):
    raise NotImplementedError


def check_matmul_backward(fn):
    a, b, g = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    ta, tb = minigen.tensor(a, requires_grad=True), minigen.tensor(b, requires_grad=True)
    (ta @ tb).backward(minigen.tensor(g))
    ga, gb = fn(a, b, g)
    assert np.shape(ga) == a.shape and np.shape(gb) == b.shape, "each gradient must have its input's shape"
    assert np.allclose(ga, ta.grad.numpy()) and np.allclose(gb, tb.grad.numpy()), "wrong values"


check_exercise(check_matmul_backward, matmul_backward)

# %% [markdown]
# **Exercise 2 — an outer sum.** For $Z_{ij} = a_i + b_j$ (in NumPy: `a[:, None] + b[None, :]`), given the upstream
# gradient `g` of shape `(len(a), len(b))`, return `(dL/da, dL/db)`.


# %%
def outer_sum_backward(g):
    raise NotImplementedError


def check_outer_sum_backward(fn):
    g = rng.standard_normal((3, 5))
    ta = minigen.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    tb = minigen.tensor(rng.standard_normal((1, 5)), requires_grad=True)
    (ta + tb).backward(minigen.tensor(g))
    ga, gb = fn(g)
    assert np.allclose(np.ravel(ga), ta.grad.numpy().ravel()) and np.shape(ga) == (3,), "dL/da: shape (3,)"
    assert np.allclose(np.ravel(gb), tb.grad.numpy().ravel()) and np.shape(gb) == (5,), "dL/db: shape (5,)"


check_exercise(check_outer_sum_backward, outer_sum_backward)

# %% [markdown]
# **Exercise 3 — device-agnostic code.** Write a numerically stable `logsumexp(x)` over the last axis,
# $\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m}$ with $m = \max_j x_j$, for a NumPy **or** CuPy array, using
# `get_array_module`. The check uses values around 1000, where the naive formula overflows.


# %%
def logsumexp(x):
    raise NotImplementedError


def check_logsumexp(fn):
    data = rng.standard_normal((4, 6)) * 3 + 1000
    array = minigen.tensor(data, device=device).data  # a CuPy array when on the GPU
    result = minigen.backend.to_numpy(fn(array))
    expected = minigen.functional.logsumexp(minigen.tensor(data), axis=-1).numpy()
    assert result.shape == (4,), f"expected shape (4,), got {result.shape}"
    assert np.allclose(result, expected), "wrong values (or overflow)"


check_exercise(check_logsumexp, logsumexp)
