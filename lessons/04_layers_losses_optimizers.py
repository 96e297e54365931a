# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4 — Dense layers, activations, losses and optimizers: an MNIST classifier
#
# **Goal:** assemble the parts of every network — the linear layer and its backward, activations, the losses we
# will need (MSE, binary and multi-class cross-entropy), four optimizers compared on one problem — and train a
# classifier.
#
# *Time: about 22 s in full, 5 s in smoke mode, on a 2-core CPU (measured here, machine under load).
# Uses the GPU when there is one.*

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import nn, optim
from minigen.data import Compose, DataLoader, Flatten, Scale, load_dataset
from minigen.nn import functional as F

from lessons_support import check_exercise, pick_device, show_images, smoke

device = pick_device()
minigen.manual_seed(0)
rng = np.random.default_rng(0)
print("device:", device)

# %% [markdown]
# ## 1. The dense (linear) layer
#
# A dense layer maps a batch $x$ ($N \times d_\text{in}$) with a weight $W$ ($d_\text{out}\times d_\text{in}$, PyTorch's
# layout) and a bias $b$: $$y = x W^\top + b .$$
# From lesson 2 (matmul and broadcasting), with $G = \partial L/\partial y$:
# $$\frac{\partial L}{\partial x} = G W, \qquad \frac{\partial L}{\partial W} = G^\top x, \qquad
# \frac{\partial L}{\partial b} = \sum_{n} G_{n,:}.$$
# minigen fuses the three into one op, `minigen/ops/linear.py` (`Linear.backward` is these three lines), and
# `nn.Linear` (`minigen/nn/linear.py`) holds $W$ and $b$ as `Parameter`s, initialised as PyTorch does:
# $\mathcal U(-1/\sqrt{d_\text{in}}, 1/\sqrt{d_\text{in}})$.

# %%
layer = nn.Linear(4, 3).to(dtype="float64")
x = minigen.tensor(rng.standard_normal((5, 4)), requires_grad=True)
print("W:", layer.weight.shape, " b:", layer.bias.shape, " y:", layer(x).shape)
print("gradcheck of F.linear:", minigen.gradcheck(F.linear, x, layer.weight, layer.bias))
print("the same as composed ops:", np.allclose(layer(x).numpy(), (x @ layer.weight.T + layer.bias).numpy()))

# %% [markdown]
# ## 2. Activations
#
# Without a nonlinearity between them, stacked linear layers collapse into one linear map. The usual choices:
#
# | | $f(x)$ | $f'(x)$ |
# |---|---|---|
# | ReLU | $\max(x, 0)$ | $[x > 0]$ |
# | LeakyReLU | $x$ if $x>0$ else $\alpha x$ | $1$ or $\alpha$ |
# | tanh | $\tanh x$ | $1 - \tanh^2 x$ |
# | sigmoid | $1/(1+e^{-x})$ | $\sigma(x)(1-\sigma(x))$ |
#
# Saturating functions (tanh, sigmoid) have derivatives near 0 for large $|x|$: gradients through them vanish.
# ReLU passes gradients unchanged where it is active; LeakyReLU also lets a little through where it is not
# (the DCGAN's discriminator uses it). The derivative curves below come from `backward()` itself.

# %%
xs = minigen.tensor(np.linspace(-4, 4, 401), requires_grad=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for name, fn in [
    ("relu", F.relu),
    ("leaky_relu 0.2", lambda t: F.leaky_relu(t, 0.2)),
    ("tanh", F.tanh),
    ("sigmoid", F.sigmoid),
]:
    xs.grad = None
    ys = fn(xs)
    ys.sum().backward()  # d(sum y)/dx_i = f'(x_i): all derivatives in one backward
    axes[0].plot(xs.numpy(), ys.numpy(), label=name)
    axes[1].plot(xs.numpy(), xs.grad.numpy(), label=name)
axes[0].set_title("f(x)")
axes[1].set_title("f'(x), from backward()")
axes[0].legend()
plt.show()

# %% [markdown]
# ## 3. Losses
#
# All in `minigen/nn/losses.py`, computed stably from **logits** (scores before the sigmoid or softmax):
#
# - **MSE** for regression: $L = \frac1N\sum_n \lVert \hat y_n - y_n\rVert^2$ (averaged over elements).
# - **Binary cross-entropy** for a probability $p = \sigma(\ell)$ and a target $t\in\{0,1\}$:
#   $L = -t\log p - (1-t)\log(1-p) = \operatorname{softplus}(\ell) - t\ell$, finite for any logit
#   (`binary_cross_entropy_with_logits`; the GAN losses are built from it).
# - **Cross-entropy** for $K$ classes: $p = \operatorname{softmax}(\ell)$, $p_k = e^{\ell_k}/\sum_j e^{\ell_j}$, and
#   $$L = -\log p_y = -\ell_y + \log\sum_j e^{\ell_j}, \qquad \frac{\partial L}{\partial \ell_k} = p_k - [k = y].$$
#   The gradient is simply "predicted minus true": the loss pushes the right class's score up and every other down,
#   in proportion to how much probability it wrongly holds.

# %%
logits = minigen.tensor(rng.standard_normal((4, 10)), requires_grad=True)
labels = minigen.tensor(np.array([3, 1, 4, 1]))
loss = F.cross_entropy(logits, labels)
loss.backward()
p = F.softmax(logits, dim=1).numpy()
expected = (p - np.eye(10)[[3, 1, 4, 1]]) / 4  # mean over the batch
print(
    f"cross-entropy {loss.item():.4f}; gradient = (softmax - one_hot) / N: {np.allclose(logits.grad.numpy(), expected)}"
)
print(
    "BCE with logits at logit 100, target 0 (no overflow):",
    F.binary_cross_entropy_with_logits(minigen.tensor([100.0]), minigen.tensor([0.0])).item(),
)

# %% [markdown]
# ## 4. Optimizers
#
# With $g_t = \nabla L(\theta_{t-1})$ and learning rate $\eta$ (PyTorch's update rules, `minigen/optim/`):
#
# | optimizer | update |
# |---|---|
# | SGD | $\theta_t = \theta_{t-1} - \eta g_t$ |
# | momentum | $v_t = \mu v_{t-1} + g_t$, $\ \theta_t = \theta_{t-1} - \eta v_t$ |
# | RMSprop | $s_t = \alpha s_{t-1} + (1-\alpha) g_t^2$, $\theta_t = \theta_{t-1} - \eta g_t/(\sqrt{s_t} + \epsilon)$ |
# | Adam | $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$, then the step below |
#
# where Adam's step uses the bias-corrected averages:
# $$\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t},\quad
# \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}.$$
#
# Momentum averages gradients over steps, so it keeps speed along a long shallow valley and cancels the zig-zag across
# it. RMSprop and Adam divide each coordinate by a running size of its gradient: every parameter moves at a similar
# rate whatever the scale of its gradient. Adam adds momentum and corrects the bias of the zero-initialised averages.
#
# One problem for all four: the Rosenbrock valley $f(a, b) = (1 - a)^2 + 100(b - a^2)^2$, minimum at $(1, 1)$, a
# curved, narrow valley where plain SGD must use a tiny step.


# %%
def rosenbrock(theta):
    a, b = theta[0], theta[1]
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2


settings = {
    "SGD lr=1e-3": lambda ps: optim.SGD(ps, lr=1e-3),
    "momentum 0.9, lr=1e-3": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9),
    "RMSprop lr=3e-3": lambda ps: optim.RMSprop(ps, lr=3e-3),
    "Adam lr=5e-2": lambda ps: optim.Adam(ps, lr=5e-2),
}
steps = smoke(2000, 1000)
paths, curves = {}, {}
for name, make in settings.items():
    theta = nn.Parameter(minigen.tensor([-1.5, 2.0], dtype="float64"))
    optimizer = make([theta])
    path, values = [theta.numpy().copy()], []
    for _ in range(steps):
        optimizer.zero_grad()
        value = rosenbrock(theta)
        value.backward()
        optimizer.step()
        path.append(theta.numpy().copy())
        values.append(value.item())
    paths[name], curves[name] = np.array(path), values
    print(f"{name:24s} f after {steps} steps: {values[-1]:.2e}  at {np.round(path[-1], 3)}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
a_grid, b_grid = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
axes[0].contour(
    a_grid, b_grid, (1 - a_grid) ** 2 + 100 * (b_grid - a_grid**2) ** 2, levels=np.logspace(-1, 3, 15), cmap="Greys"
)
for name in settings:
    axes[0].plot(*paths[name].T, label=name, lw=1)
    axes[1].semilogy(curves[name], label=name)
axes[0].plot(1, 1, "k*", ms=12)
axes[0].set_title("paths from (-1.5, 2) to the minimum (1, 1)")
axes[1].set_title("f along the steps")
axes[1].legend()
plt.show()

# %% [markdown]
# Measured over 2,000 steps: SGD is still crawling along the valley floor ($f \approx 0.2$); momentum gets to
# $10^{-8}$; RMSprop, whose steps have size about $\eta$ whatever the gradient, moves quickly at first and then
# rattles across the valley ($f \approx 10^{-2}$); Adam gets to $10^{-12}$. The learning rates matter as much as the
# method: each was picked from a few tries, and a larger SGD rate diverges here. Adam with $\eta$ around $10^{-3}$
# to $2\times10^{-4}$ is the usual default for the networks of the next lessons.

# %% [markdown]
# ## 5. An MNIST classifier
#
# minigen ships 5,000 MNIST digits (`load_dataset("mnist-embedded")`: 4,500 to train, 500 to test), so this runs
# offline. A two-layer perceptron 784 → 256 → 10 with ReLU, cross-entropy and Adam. `DataLoader`
# (`minigen/data/loader.py`) shuffles, batches, scales pixels to $[0, 1]$, flattens, and puts batches on the device.

# %%
train_images, train_labels = load_dataset("mnist-embedded", "train")
test_images, test_labels = load_dataset("mnist-embedded", "test")
n_train = smoke(len(train_images), 1024)
show_images(train_images[:16], nrow=16, title=f"training digits, labels {train_labels[:16].tolist()}")
plt.show()

to_vectors = Compose([Scale(0.0, 1.0), Flatten()])
loader = DataLoader(
    train_images[:n_train], train_labels[:n_train], batch_size=64, seed=0, transform=to_vectors, device=device
)
x_test = minigen.tensor(to_vectors(test_images), device=device)
y_test = test_labels

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def test_accuracy():
    with minigen.no_grad():
        predictions = model(x_test).numpy().argmax(axis=1)
    return float((predictions == y_test).mean())


epochs = smoke(10, 2)
history = []
start = time.perf_counter()
for epoch in range(epochs):
    running = 0.0
    for images, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        running += loss.item()  # a Python float: no graph kept alive
    history.append((running / len(loader), test_accuracy()))
    print(f"epoch {epoch + 1}/{epochs}: train loss {history[-1][0]:.3f}, test accuracy {history[-1][1]:.1%}")
print(f"trained in {time.perf_counter() - start:.1f} s")

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot([h[0] for h in history], label="train cross-entropy")
ax.plot([1 - h[1] for h in history], label="test error")
ax.set_xlabel("epoch")
ax.legend()
plt.show()

# %% [markdown]
# With the full 4,500 training digits and 10 epochs this reaches about 93% test accuracy (measured: 92.6-93.2%);
# with the whole 60,000-image MNIST (`load_dataset("mnist")`, downloaded once) the same network gets about 98%.

# %% [markdown]
# ## Self-check

# %%
assert np.allclose(logits.grad.numpy(), expected), "cross-entropy gradient is softmax - one_hot"
assert curves["Adam lr=5e-2"][-1] < 1e-2 and curves["momentum 0.9, lr=1e-3"][-1] < curves["SGD lr=1e-3"][-1]
assert history[-1][0] < history[0][0], "the training loss must fall"
assert history[-1][1] > smoke(0.91, 0.75), f"test accuracy {history[-1][1]:.1%} is too low"
print("Lesson 4 self-check passed.")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the backward of a dense layer.** Given NumPy `x` ($N\times d_\text{in}$), `w`
# ($d_\text{out}\times d_\text{in}$) and the upstream gradient `g` ($N\times d_\text{out}$) of $y = xW^\top + b$,
# return `(dx, dw, db)`.


# %%
def linear_backward(x, w, g):
    raise NotImplementedError


def check_linear_backward(fn):
    x, w, g = rng.standard_normal((6, 4)), rng.standard_normal((3, 4)), rng.standard_normal((6, 3))
    tx, tw = minigen.tensor(x, requires_grad=True), minigen.tensor(w, requires_grad=True)
    tb = minigen.tensor(np.zeros(3), requires_grad=True)
    F.linear(tx, tw, tb).backward(minigen.tensor(g))
    for got, want, name in zip(fn(x, w, g), (tx.grad, tw.grad, tb.grad), ("dx", "dw", "db")):
        assert np.allclose(got, want.numpy()), f"{name} is wrong"


check_exercise(check_linear_backward, linear_backward)

# %% [markdown]
# **Exercise 2 — the cross-entropy gradient.** Given logits ($N\times K$, NumPy) and integer labels, return
# $\partial L/\partial\ell$ for the *mean* cross-entropy over the batch, computing the softmax stably.


# %%
def cross_entropy_grad(logits, labels):
    raise NotImplementedError


def check_cross_entropy_grad(fn):
    z = rng.standard_normal((5, 7)) * 30  # large logits: a naive exp overflows in float32, not with the max removed
    y = rng.integers(0, 7, size=5)
    t = minigen.tensor(z, requires_grad=True)
    F.cross_entropy(t, minigen.tensor(y)).backward()
    assert np.allclose(fn(z, y), t.grad.numpy()), "wrong gradient"


check_exercise(check_cross_entropy_grad, cross_entropy_grad)

# %% [markdown]
# **Exercise 3 — Adam by hand.** Run `steps` Adam updates on the NumPy array `theta` (a copy) with the gradient
# function `grad_fn(theta)`, using the table's update with $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$, and
# return the final `theta`. The check compares with `optim.Adam` on the Rosenbrock function.


# %%
def adam_by_hand(theta, grad_fn, lr, steps):
    raise NotImplementedError


def check_adam_by_hand(fn):
    def grad_fn(theta):
        t = minigen.tensor(theta, requires_grad=True)
        rosenbrock(t).backward()
        return t.grad.numpy()

    theta = nn.Parameter(minigen.tensor([-1.0, 1.5], dtype="float64"))
    adam = optim.Adam([theta], lr=0.01)
    for _ in range(20):
        adam.zero_grad()
        rosenbrock(theta).backward()
        adam.step()
    got = fn(np.array([-1.0, 1.5]), grad_fn, 0.01, 20)
    assert np.allclose(got, theta.numpy()), f"got {got}, optim.Adam gives {theta.numpy()}"


check_exercise(check_adam_by_hand, adam_by_hand)
