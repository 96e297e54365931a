# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 18 — The Wasserstein GAN, the gradient penalty, and gradients of gradients
#
# **Goal:** see why a GAN's discriminator can stop giving the generator any signal, how the Wasserstein distance
# fixes that, why its critic must be 1-Lipschitz, and how the gradient penalty enforces it — which needs the gradient
# of a gradient, so we first teach minigen's autograd to differentiate its own backward pass. Then train a WGAN-GP on
# MNIST. Read after lessons 8-10 (GANs, DCGAN, VAEs).
#
# *Time, measured on a 2-core CPU with `OMP_NUM_THREADS=2 time python lessons/18_wgan_gp_and_double_backward.py`:
# full mode 2.5 min (149 s wall, 289 s of CPU time; the WGAN-GP's 10 epochs take 15 s each); smoke mode 1.3 s.
# Uses the GPU when there is one.*

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import nn, optim
from minigen.autograd import grad
from minigen.data import load_dataset
from minigen.data.transforms import Compose, Pad, Scale
from minigen.models import WGANGP
from minigen.train.wgan import gradient_penalty

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

device = pick_device()
print("device:", device, "| smoke mode:", SMOKE)
started = time.perf_counter()

# %% [markdown]
# ## 1. When the Jensen–Shannon divergence gives no gradient: two parallel lines
#
# Lesson 8 showed that, against the optimal discriminator, the original GAN's generator minimises
# $2\,\mathrm{JS}(p_{data}\,\|\,p_g) - \log 4$. Take the classic example of Arjovsky, Chintala and Bottou (2017): the
# data lie on the vertical segment $\{0\}\times[0,1]$, the generator's samples on the parallel segment
# $\{\theta\}\times[0,1]$. For $\theta \ne 0$ the two distributions have disjoint supports, so
#
# $$\mathrm{JS}(p_0 \,\|\, p_\theta) = \tfrac12\,\mathrm{KL}\big(p_0 \,\|\, \tfrac{p_0 + p_\theta}{2}\big)
#   + \tfrac12\,\mathrm{KL}\big(p_\theta \,\|\, \tfrac{p_0 + p_\theta}{2}\big)
#   = \tfrac12\log 2 + \tfrac12\log 2 = \log 2,$$
#
# whatever $\theta$: each point of $p_0$ has density $p_0$ where the mixture has $p_0/2$. The divergence is flat, its
# gradient with respect to $\theta$ is zero, and a generator following it never moves towards the data. The
# **Wasserstein-1** (earth mover's) distance is the cheapest way to move one distribution's mass onto the other,
#
# $$W(p, q) = \inf_{\gamma \in \Pi(p, q)} \mathbb E_{(x, y)\sim\gamma}\,\|x - y\|,$$
#
# and here every point moves straight across by $|\theta|$: $W(p_0, p_\theta) = |\theta|$, whose gradient points
# the right way wherever the generator is. We check both numerically on samples: JS from the two histograms on a
# fine grid, $W$ from matching sorted samples (in one dimension the optimal plan pairs the $i$-th smallest points).

# %%
def js_divergence(p, q):
    """JS between two histograms (arrays summing to 1), in nats."""
    m = (p + q) / 2

    def kl(a, b):
        inside = a > 0
        return float(np.sum(a[inside] * np.log(a[inside] / b[inside])))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def lines(theta, n, rng):
    """n points on the segment {theta} x [0, 1]."""
    return np.stack([np.full(n, theta), rng.uniform(0, 1, n)], axis=1)


rng = np.random.default_rng(0)
thetas = np.linspace(-1, 1, 41)
edges = np.linspace(-1.5, 1.5, 61)
js_values, w_values = [], []
for theta in thetas:
    a = lines(0.0, 2000, rng)
    b = np.stack([np.full(len(a), theta), rng.permutation(a[:, 1])], axis=1)  # the same heights, shuffled
    p = np.histogram2d(a[:, 0], a[:, 1], [edges, 10])[0].ravel() / len(a)
    q = np.histogram2d(b[:, 0], b[:, 1], [edges, 10])[0].ravel() / len(b)
    js_values.append(js_divergence(p, q))
    # the optimal plan moves each point straight across: pair the points by sorted height
    w_values.append(np.mean(np.linalg.norm(a[np.argsort(a[:, 1])] - b[np.argsort(b[:, 1])], axis=1)))
js_values, w_values = np.array(js_values), np.array(w_values)
far = np.abs(thetas) > 0.1  # beyond the histogram's bin width the supports are disjoint
print(f"JS for |theta| > 0.1: from {js_values[far].min():.4f} to {js_values[far].max():.4f} (log 2 = {np.log(2):.4f})")
print(f"W(p_0, p_theta) - |theta|: at most {np.abs(w_values - np.abs(thetas)).max():.4f}")

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(thetas, js_values, label="JS (flat: no gradient)")
ax.plot(thetas, w_values, label="Wasserstein-1 = |θ|")
ax.set_xlabel("θ, the generator's offset")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. The critic, and why it must be 1-Lipschitz
#
# The infimum over transport plans is intractable in high dimension; the Kantorovich–Rubinstein duality rewrites it
# as a supremum over 1-Lipschitz functions $C$ (functions with $|C(x) - C(y)| \le \|x - y\|$):
#
# $$W(p_{data}, p_g) = \sup_{\|C\|_L \le 1}\; \mathbb E_{x\sim p_{data}}[C(x)] - \mathbb E_{z}[C(G(z))].$$
#
# So the WGAN trains a **critic** $C$ (no sigmoid: a score, not a probability) to maximise that difference, and the
# generator to minimise $-\mathbb E_z[C(G(z))]$. Without the Lipschitz constraint the supremum is infinite: the critic
# could scale its scores up forever. The first WGAN **clipped** every weight to $[-c, c]$; the critic then spends its
# capacity on weights pinned at $\pm c$ and learns overly simple functions. Gulrajani et al. (2017) showed that the
# optimal critic has gradient norm 1 almost everywhere between the two distributions, and **penalised** deviations
# from it on random interpolates $\hat x = \epsilon x + (1 - \epsilon) G(z)$, $\epsilon \sim U(0, 1)$:
#
# $$L_C = \mathbb E_z[C(G(z))] - \mathbb E_x[C(x)]
#   + \lambda\, \mathbb E_{\hat x}\big[(\|\nabla_{\hat x} C(\hat x)\|_2 - 1)^2\big], \qquad \lambda = 10.$$
#
# On the two lines, a small critic trained each way shows the difference: the clipped critic's weights pile up at
# $\pm c$, and its score difference is a poor, scaled estimate of $W = |\theta|$ (the clipped critic is only
# $K$-Lipschitz for some unknown $K$); the penalised critic's slope is 1 and its estimate lands near $|\theta|$.

# %%
def toy_critic():
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)).to(device)


def train_toy_critic(theta, mode, steps, seed=0):
    """Critic between the lines at 0 and theta; mode "clip" (c = 0.01, RMSprop-like small lr) or "gp" (lambda = 10)."""
    minigen.manual_seed(seed)
    rng = np.random.default_rng(seed)
    critic = toy_critic()
    optimizer = optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9) if mode == "gp" else (0.5, 0.999))
    for _ in range(steps):
        real = minigen.tensor(lines(0.0, 64, rng).astype(np.float32), device=device)
        fake = minigen.tensor(lines(theta, 64, rng).astype(np.float32), device=device)
        loss = critic(fake).mean() - critic(real).mean()
        if mode == "gp":
            eps = minigen.rand(64, 1, device=device)
            loss = loss + 10 * gradient_penalty(critic, real, fake, eps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if mode == "clip":
            with minigen.no_grad():
                for p in critic.parameters():
                    p.clamp_(-0.01, 0.01)
    real = minigen.tensor(lines(0.0, 4096, rng).astype(np.float32), device=device)
    fake = minigen.tensor(lines(theta, 4096, rng).astype(np.float32), device=device)
    with minigen.no_grad():
        estimate = (critic(real).mean() - critic(fake).mean()).item()
    return critic, estimate


theta = 0.5
toy_steps = smoke(600, 60)
clipped, clip_estimate = train_toy_critic(theta, "clip", toy_steps)
penalised, gp_estimate = train_toy_critic(theta, "gp", toy_steps)
print(f"W = |theta| = {theta}; critic estimates: clipped {clip_estimate:.4f}, gradient penalty {gp_estimate:.4f}")
weights = np.concatenate([p.numpy().ravel() for p in clipped.parameters()])
at_bounds = np.mean(np.abs(weights) > 0.0099)
print(f"clipped critic: {at_bounds:.0%} of its weights sit at the clipping bound ±0.01")

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].hist(weights, bins=40)
axes[0].set_title("clipped critic's weights")
grid = np.stack(np.meshgrid(np.linspace(-0.5, 1.0, 60), np.linspace(-0.25, 1.25, 60)), -1).reshape(-1, 2)
with minigen.no_grad():
    surface = penalised(minigen.tensor(grid.astype(np.float32), device=device)).numpy().reshape(60, 60)
axes[1].contourf(np.linspace(-0.5, 1.0, 60), np.linspace(-0.25, 1.25, 60), surface, levels=20)
axes[1].axvline(0, color="w")
axes[1].axvline(theta, color="r")
axes[1].set_title("penalised critic C(x): a ramp from the fakes (red) to the data (white)")
plt.show()

# %% [markdown]
# ## 3. Gradients of gradients: backward of backward
#
# The penalty is a function of $\nabla_{\hat x} C$, so training the critic on it needs
# $\partial/\partial w\, \|\nabla_{\hat x} C_w(\hat x)\|$: the derivative of a gradient with respect to the weights.
# minigen's backward pass (lesson 1) runs on raw arrays and records nothing. With `create_graph=True` every function
# runs its `backward_graph` instead — the same chain rule written with minigen's own differentiable ops — so the
# backward pass is itself recorded as a graph, which a second backward can walk. For $f(x) = x^3$:
#
# * forward graph: $x \to$ `Pow` $\to y$;
# * the recorded backward of `Pow`: $g \cdot 3 x^2$ — nodes `Pow`, `Mul`, `Mul`, with $x$ as their input;
# * `grad(y, x, create_graph=True)` returns $3x^2$ *with that graph behind it*; differentiating it gives $6x$, and
#   once more $6$.
#
# The drawing below shows the two graphs: the second (blue) was built by the first one's backward pass.

# %%
x = minigen.tensor([0.5, 2.0], requires_grad=True, device=device)
y = (x**3).sum()
(first,) = grad(y, x, create_graph=True)  # 3 x^2, itself a graph
(second,) = grad(first.sum(), x, create_graph=True)  # 6 x
(third,) = grad(second.sum(), x)  # 6
print("x =", x.numpy(), "| dy/dx =", first.numpy(), "| d2y/dx2 =", second.numpy(), "| d3y/dx3 =", third.numpy())

fig, ax = plt.subplots(figsize=(8, 2.6))
ax.set_axis_off()
nodes = {"x": (0.05, 0.5), "Pow\n(x³)": (0.3, 0.8), "y": (0.55, 0.8), "g = 1": (0.55, 0.2), "Pow\n(x²)": (0.3, 0.2),
         "Mul\n(3·x²·g)": (0.8, 0.2)}  # fmt: skip
for name, (px, py) in nodes.items():
    colour = "tab:blue" if name in ("g = 1", "Pow\n(x²)", "Mul\n(3·x²·g)") else "tab:orange"
    ax.text(px, py, name, ha="center", va="center", bbox={"boxstyle": "round", "fc": colour, "alpha": 0.3})
for start, end in [("x", "Pow\n(x³)"), ("Pow\n(x³)", "y"), ("x", "Pow\n(x²)"), ("Pow\n(x²)", "Mul\n(3·x²·g)"),
                   ("g = 1", "Mul\n(3·x²·g)")]:  # fmt: skip
    ax.annotate("", nodes[end], nodes[start], arrowprops={"arrowstyle": "->", "shrinkA": 18, "shrinkB": 18})
ax.set_title("forward graph (orange) and the graph its backward recorded (blue): dy/dx = 3x²·g")
plt.show()

# %% [markdown]
# `minigen.gradgradcheck` tests this the way lesson 3's `gradcheck` tests a first derivative: it makes the first
# derivative a function of the inputs and compares *its* backward with central differences, in float64. Here it
# checks the penalty of a small critic — through `Linear`, `LeakyReLU`, the norm and the square.

# %%
minigen.manual_seed(1)
small = nn.Sequential(nn.Linear(3, 5), nn.LeakyReLU(0.2), nn.Linear(5, 1)).to(dtype=minigen.float64)
points = minigen.randn(4, 3, dtype=minigen.float64, requires_grad=True)
print("gradgradcheck of the critic's input gradient:", minigen.gradgradcheck(lambda p: small(p), points))

# %% [markdown]
# ## 4. WGAN-GP on MNIST
#
# The networks are the DCGAN's (lesson 9), with BatchNorm removed from the critic: the penalty is taken per image,
# and batch statistics would make each image's score depend on the rest of the batch. The recipe is the paper's:
# $\lambda = 10$, five critic steps per generator step, Adam with lr $10^{-4}$ and $\beta = (0, 0.9)$.
# `minigen train wgan-gp` runs the same loop (`WGANGPTask` in `minigen/train/wgan.py`).
#
# The critic's estimate $\mathbb E[C(x)] - \mathbb E[C(G(z))]$ is the number to watch. It first rises: the critic
# learns to tell the noise blobs from digits faster than the generator, which gets one step for every five of the
# critic's, can improve them. Then, unlike a GAN's losses, it falls as the generated digits improve, and it keeps
# falling over a long run: the WGAN paper (Arjovsky, Chintala and Bottou 2017) plots it against sample quality.
# In `minigen train wgan-gp`'s 40 epochs it went from its peak of 32 (epoch 3) to 17 (epoch 10, still blobs) and
# 3.6 (epoch 40, digit-like strokes) — that full run's numbers are in `bench/README.md`; this cell runs 10 epochs.

# %%
images, _ = load_dataset("mnist-embedded", "train")
images = images[: smoke(len(images), 256)]
transform = Compose([Pad(2), Scale(-1.0, 1.0)])
FEATURES = smoke(64, 8)  # the DCGAN's width, as `minigen train wgan-gp` uses
minigen.manual_seed(0)
wgan = WGANGP((1, 32, 32), features=FEATURES).to(device)
opt_c = optim.Adam(wgan.critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_g = optim.Adam(wgan.generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
fixed_z = minigen.randn(32, wgan.latent_dim, device=device)
order_rng = np.random.default_rng(0)
history = {"wasserstein": [], "penalty": []}
grids = []
batch, n_critic, epochs = 64, 5, smoke(10, 1)
critic_steps = 0
for epoch in range(epochs):
    epoch_start = time.perf_counter()
    order = order_rng.permutation(len(images))
    for start in range(0, len(order) - batch + 1, batch):
        real = minigen.tensor(transform(images[order[start : start + batch]]), device=device).reshape(-1, 1, 32, 32)
        with minigen.no_grad():
            fake = wgan.generator(minigen.randn(batch, wgan.latent_dim, device=device))
        real_score, fake_score = wgan.critic(real).mean(), wgan.critic(fake).mean()
        penalty = gradient_penalty(wgan.critic, real, fake, minigen.rand(batch, 1, 1, 1, device=device))
        loss_c = fake_score - real_score + 10 * penalty
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        critic_steps += 1
        history["wasserstein"].append((real_score - fake_score).item())
        history["penalty"].append(penalty.item())
        if critic_steps % n_critic == 0:
            wgan.critic.requires_grad_(False)  # G's step needs the critic's gradient w.r.t. the images only
            loss_g = -wgan.critic(wgan.generator(minigen.randn(batch, wgan.latent_dim, device=device))).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            wgan.critic.requires_grad_(True)
    with minigen.no_grad():
        grids.append(wgan.generator(fixed_z).numpy())
    print(f"epoch {epoch + 1}/{epochs} ({time.perf_counter() - epoch_start:.0f} s): "
          f"W estimate {np.mean(history['wasserstein'][-20:]):.3f}  penalty {np.mean(history['penalty'][-20:]):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
window = max(1, len(history["wasserstein"]) // 20)
smooth = np.convolve(history["wasserstein"], np.ones(window) / window, mode="valid")
axes[0].plot(history["wasserstein"], alpha=0.3)
axes[0].plot(np.arange(len(smooth)) + window - 1, smooth)
axes[0].set_title("critic's W estimate E[C(x)] - E[C(G(z))]")
axes[0].set_xlabel("critic step")
axes[1].plot(history["penalty"])
axes[1].set_title("gradient penalty")
plt.show()
show_images(grids[-1], title=f"WGAN-GP samples after {epochs} epochs")

# %% [markdown]
# ## Self-check

# %%
assert np.all(np.abs(js_values[far] - np.log(2)) < 1e-9), "JS of disjoint supports is log 2"
assert np.abs(w_values - np.abs(thetas)).max() < 1e-9, "W between the two lines is |theta|"
np.testing.assert_allclose(first.numpy(), 3 * np.array([0.5, 2.0]) ** 2, rtol=1e-6)
np.testing.assert_allclose(second.numpy(), 6 * np.array([0.5, 2.0]), rtol=1e-6)
np.testing.assert_allclose(third.numpy(), [6.0, 6.0], rtol=1e-6)
assert at_bounds > 0.3, "weight clipping pins many weights at the bound"
if not SMOKE:
    assert abs(gp_estimate - theta) < 0.15, f"the penalised critic estimates W = {theta}, got {gp_estimate:.3f}"
    assert clip_estimate < 0.5 * theta, "the clipped critic's estimate is scaled far down"
    assert smooth.argmax() < 0.6 * len(smooth), "the W estimate peaks early (the critic learns faster than G)"
    assert smooth[-1] < 0.9 * smooth.max(), f"then falls as G improves: peak {smooth.max():.2f}, end {smooth[-1]:.2f}"
assert all(np.isfinite(v).all() for v in history.values()), "a loss became NaN or Inf"
print(f"Lesson 18 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the gradient penalty.** Write `my_gradient_penalty(critic, real, fake, eps)`: the mean over the
# batch of $(\|\nabla_{\hat x} C(\hat x)\|_2 - 1)^2$ at $\hat x = \epsilon\,\text{real} + (1 - \epsilon)\,\text{fake}$,
# with the norm over all of an image's pixels. Use `grad(..., create_graph=True)` so the result can be trained on. The
# check compares value and weight gradients with `minigen.train.wgan.gradient_penalty` (which adds $10^{-12}$ under
# the square root; so may you).

# %%
def my_gradient_penalty(critic, real, fake, eps):
    raise NotImplementedError


def check_my_gradient_penalty(fn):
    minigen.manual_seed(3)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.Tanh(), nn.Linear(6, 1)).to(dtype=minigen.float64)
    real, fake = minigen.randn(5, 1, 3, 4, dtype=minigen.float64), minigen.randn(5, 1, 3, 4, dtype=minigen.float64)
    eps = minigen.rand(5, 1, 1, 1, dtype=minigen.float64)
    results = []
    for penalty in (fn, gradient_penalty):
        critic.zero_grad()
        value = penalty(critic, real, fake, eps)
        value.backward()
        # (the last bias moves every score alike, so it has no effect on the slopes: its gradient is None, or 0)
        results.append((value.item(), [0 if p.grad is None else p.grad.numpy().copy() for p in critic.parameters()]))
    assert abs(results[0][0] - results[1][0]) < 1e-9, f"penalty {results[0][0]}, expected {results[1][0]}"
    for mine, reference in zip(results[0][1], results[1][1]):
        assert np.allclose(mine, reference, atol=1e-9), "the penalty's gradient with respect to the weights differs"


check_exercise(check_my_gradient_penalty, my_gradient_penalty)

# %% [markdown]
# **Exercise 2 — a second derivative.** Write `second_derivative(f, x)`: for an elementwise function `f` and a
# tensor `x` (float64), return $f''(x)$ elementwise by calling `grad` twice. (Hint: $\sum_i f(x_i)$ has gradient
# $f'(x_i)$; sum that again.) The check uses $\tanh'' = -2\tanh(1 - \tanh^2)$ and $(x^4)'' = 12x^2$.

# %%
def second_derivative(f, x):
    raise NotImplementedError


def check_second_derivative(fn):
    x = minigen.tensor([-1.5, -0.2, 0.0, 0.7, 2.0], dtype=minigen.float64)
    t = np.tanh(x.numpy())
    assert np.allclose(fn(lambda v: v.tanh(), x).numpy(), -2 * t * (1 - t**2), atol=1e-12), "tanh''"
    assert np.allclose(fn(lambda v: v**4, x).numpy(), 12 * x.numpy() ** 2, atol=1e-12), "(x^4)''"


check_exercise(check_second_derivative, second_derivative)

# %% [markdown]
# **Exercise 3 — Wasserstein-1 in one dimension.** For two samples `a` and `b` of equal size (NumPy arrays), the
# optimal transport plan pairs the $i$-th smallest of one with the $i$-th smallest of the other. Return
# $W_1 = \frac1n \sum_i |a_{(i)} - b_{(i)}|$. The check tries a shift (where $W_1$ is the shift) and two samples
# whose means agree but whose spreads do not (where a mean difference would say 0).

# %%
def wasserstein_1d(a, b):
    raise NotImplementedError


def check_wasserstein_1d(fn):
    sample = np.random.default_rng(4).standard_normal(1000)
    assert abs(fn(sample, sample + 0.75) - 0.75) < 1e-12, "a shift by 0.75 costs 0.75"
    assert abs(fn(np.array([0.0, 3.0, 1.0]), np.array([2.0, 1.0, 0.0])) - 1 / 3) < 1e-12
    narrow, wide = sample * 0.1, sample * 2.0
    expected = np.mean(np.abs(np.sort(narrow) - np.sort(wide)))
    assert abs(fn(narrow, wide) - expected) < 1e-12 and expected > 1, "equal means, different spreads"


check_exercise(check_wasserstein_1d, wasserstein_1d)
