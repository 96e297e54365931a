# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 8 — GANs: a game between a forger and a detective
#
# **Goal:** derive the GAN objective, the optimal discriminator and the non-saturating generator loss; *watch* the
# classic failures (mode collapse, vanishing gradients, a winning discriminator), then pull MNIST's GAN out of collapse.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 1 min 45 s of wall-clock time
# (95 s of CPU time; the MNIST GAN's 40 epochs take about 65 s of it); smoke mode 5 s. Uses the GPU when there is
# one.*

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import nn, optim
from minigen.data import load_dataset
from minigen.data.transforms import Scale
from minigen.functional import softplus
from minigen.models import MLPGAN

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

device = pick_device()
print("device:", device, "| smoke mode:", SMOKE)
started = time.perf_counter()

# %% [markdown]
# ## 1. The minimax game
#
# A **generator** $G$ turns noise $z \sim p(z) = \mathcal N(0, I)$ into a sample $G(z)$; the samples have some
# distribution $p_g$. A **discriminator** $D(x) \in (0, 1)$ is the probability it gives that $x$ is real.
# $D$ is trained as a binary classifier (real = 1, fake = 0), i.e. it *maximises* the log-likelihood of the right
# labels;
# $G$ *minimises* the same quantity. The value function of the game (Goodfellow et al., 2014):
# $$\min_G \max_D \; V(D, G) = \mathbb E_{x \sim p_\text{data}}\big[\log D(x)\big] + \mathbb E_{z \sim
# p(z)}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# **The optimal discriminator.** For a fixed $G$, write both expectations as integrals over $x$:
# $V = \int p_\text{data}(x)\log D(x) + p_g(x)\log(1 - D(x))\,dx$. Pointwise, $a\log y + b\log(1-y)$ is maximised at
# $y = a/(a+b)$ (set the derivative $a/y - b/(1-y)$ to 0), so
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}.$$
#
# **What $G$ then minimises.** Substituting $D^*$, with $m = \tfrac12(p_\text{data} + p_g)$:
# $$V(D^*, G) = \mathbb E_{p_\text{data}}\Big[\log\frac{p_\text{data}}{2m}\Big] + \mathbb
# E_{p_g}\Big[\log\frac{p_g}{2m}\Big]
# = -\log 4 + \mathrm{KL}(p_\text{data}\,\|\,m) +
# \mathrm{KL}(p_g\,\|\,m) = -\log 4 + 2\,\mathrm{JS}(p_\text{data}\,\|\,p_g).$$
# The Jensen–Shannon divergence is $\ge 0$ and $= 0$ only when $p_g = p_\text{data}$: against a perfect detective the
# forger's best move is to copy the data distribution exactly, where $D^* = \tfrac12$ everywhere.
#
# Let us check this on two 1-D Gaussians, numerically on a grid.

# %%
grid = np.linspace(-8, 8, 20001)
dx = grid[1] - grid[0]


def gaussian(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


p_data, p_g = gaussian(grid, 1.0, 1.0), gaussian(grid, -1.5, 0.7)
d_star = p_data / (p_data + p_g)
one_minus_d_star = p_g / (p_data + p_g)  # not 1 - d_star, which rounds to 0 where p_g is tiny
value_at_d_star = np.sum(p_data * np.log(d_star) + p_g * np.log(one_minus_d_star)) * dx
m = 0.5 * (p_data + p_g)
js = 0.5 * np.sum(p_data * np.log(p_data / m) + p_g * np.log(p_g / m)) * dx
print(f"V(D*, G) = {value_at_d_star:.5f};  -log 4 + 2 JS = {-math.log(4) + 2 * js:.5f}")

# Any other discriminator does worse: e.g. D* pushed a little towards 1/2.
for blend in [0.1, 0.3, 1.0]:
    d, one_minus_d = (1 - blend) * d_star + blend * 0.5, (1 - blend) * one_minus_d_star + blend * 0.5
    value = np.sum(p_data * np.log(d) + p_g * np.log(one_minus_d)) * dx
    print(f"D = {1 - blend:.1f} D* + {blend:.1f} * 1/2: V = {value:.5f}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(grid, p_data, label="$p_{data}$")
ax.plot(grid, p_g, label="$p_g$")
ax.plot(grid, d_star, "k--", label="$D^*$")
ax.set_xlim(-5, 5)
ax.legend()
ax.set_title("The optimal discriminator is the fraction of density that is real")
plt.show()

# %% [markdown]
# ## 2. Both players' losses, on logits
#
# minigen's discriminators return a **logit** $\ell$ with $D = \sigma(\ell)$. Since $-\log\sigma(\ell) =
# \operatorname{softplus}(-\ell)$
# and $-\log(1 - \sigma(\ell)) = \operatorname{softplus}(\ell)$, the discriminator's loss (its negated objective) is
# $$L_D = \mathbb E_x\big[\operatorname{softplus}(-\ell(x))\big] + \mathbb
# E_z\big[\operatorname{softplus}(\ell(G(z)))\big],$$
# finite for any logit — no $\log 0$. This is `binary_cross_entropy_with_logits` with targets 1 and 0
# (`minigen/nn/losses.py`).
#
# **The generator's loss.** The minimax generator minimises $\mathbb E_z[\log(1 - D(G(z)))] = -\mathbb
# E_z[\operatorname{softplus}(\ell)]$,
# the *saturating* loss. Its derivative with respect to the fake's logit is
# $$\frac{\partial}{\partial \ell}\log(1 - \sigma(\ell)) = -\sigma(\ell) \;\to\; 0 \quad\text{as } \ell \to -\infty,$$
# so when $D$ confidently rejects the fakes — exactly the situation at the start of training — the generator
# receives almost no gradient. The **non-saturating** loss flips the labels instead: $G$ maximises $\log D(G(z))$,
# $$L_G = \mathbb E_z\big[-\log D(G(z))\big] = \mathbb E_z\big[\operatorname{softplus}(-\ell)\big],\qquad
# \frac{\partial L_G}{\partial \ell} = \sigma(\ell) - 1 \;\to\; -1 \quad\text{as } \ell \to -\infty.$$
# Same fixed point ($D = \tfrac12$), strong gradients exactly when the generator is worst.

# %%
logits = minigen.tensor(np.linspace(-10, 5, 301), requires_grad=True, dtype="float64")
(-softplus(logits)).sum().backward()
grad_saturating = logits.grad.numpy().copy()
logits.grad = None
softplus(-logits).sum().backward()
grad_non_saturating = logits.grad.numpy()
l_host = logits.numpy()
plt.figure(figsize=(6, 3))
plt.plot(l_host, np.abs(grad_saturating), label=r"saturating $|\partial \log(1-D)/\partial \ell|$")
plt.plot(l_host, np.abs(grad_non_saturating), label=r"non-saturating $|\partial (-\log D)/\partial \ell|$")
plt.yscale("log")
plt.xlabel(r"discriminator logit $\ell$ on a fake (left: D is sure it is fake)")
plt.legend(fontsize=8)
plt.show()
print(f"at logit -8: saturating gradient {grad_saturating[40]:.2e}, non-saturating {grad_non_saturating[40]:.3f}")

# %% [markdown]
# ## 3. A GAN you can see: a ring of 8 Gaussians
#
# Images are hard to judge by eye while training. A 2-D toy makes every failure visible: the data are 8 tight
# Gaussians on a circle, $G$ and $D$ are small MLPs, and we count how many of the 8 **modes** the generator covers.
# One training step is the recipe every GAN uses (the same as `GANTask.train_step` in `minigen/train/gan.py`):
#
# 1. **D step**: real batch with label 1, fake batch (detached: no gradient into $G$) with label 0; minimise $L_D$.
# 2. **G step**: fresh fakes, minimise $L_G$ through the (not updated) discriminator.

# %%
CENTRES = 2.0 * np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1)


def ring_of_gaussians(n, rng, std=0.05):
    return (CENTRES[rng.integers(0, 8, n)] + rng.normal(0, std, (n, 2))).astype(np.float32)


def modes_covered(samples):
    """How many of the 8 modes hold at least 2% of the samples (within 0.2 of the centre)."""
    distance = np.linalg.norm(samples[:, None] - CENTRES[None], axis=2)
    near = distance.min(axis=1) < 0.2
    counts = np.bincount(distance.argmin(axis=1)[near], minlength=8)
    return int((counts > 0.02 * len(samples)).sum())


def small_mlp(fan_in, width, fan_out):
    return nn.Sequential(
        nn.Linear(fan_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, fan_out)
    )


def train_toy_gan(steps, lr_d=2e-3, lr_g=5e-4, g_loss="non-saturating", d_warmup=0, seed=0, batch=256):
    """Train a toy GAN; returns the final samples and per-step history (losses, mean D(fake), G's gradient norm)."""
    minigen.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G, D = small_mlp(2, 128, 2).to(device), small_mlp(2, 128, 1).to(device)
    opt_g = optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
    history = {"loss_d": [], "loss_g": [], "d_fake": [], "grad_g": [], "modes": []}
    for step in range(d_warmup + steps):
        real = minigen.tensor(ring_of_gaussians(batch, rng), device=device)
        fake = G(minigen.randn(batch, 2, device=device))
        loss_d = softplus(-D(real)).mean() + softplus(D(fake.detach())).mean()  # labels 1 and 0
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        if step < d_warmup:  # the discriminator trains alone: it learns to reject the fakes
            continue
        logit = D(G(minigen.randn(batch, 2, device=device)))
        loss_g = softplus(-logit).mean() if g_loss == "non-saturating" else -softplus(logit).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        # For teaching we read everything every step; a real loop reads losses every N steps (lesson 12).
        history["loss_d"].append(loss_d.item())
        history["loss_g"].append(loss_g.item())
        history["d_fake"].append(logit.sigmoid().mean().item())
        history["grad_g"].append(math.sqrt(sum((p.grad * p.grad).sum().item() for p in G.parameters())))
        if (step - d_warmup) % 100 == 99:  # coverage during training, not only at the end
            with minigen.no_grad():
                history["modes"].append(modes_covered(G(minigen.randn(1000, 2, device=device)).numpy()))
    with minigen.no_grad():
        samples = G(minigen.randn(2000, 2, device=device)).numpy()
    return samples, history


TOY_STEPS = smoke(1500, 300)
runs = {}
runs["healthy"] = train_toy_gan(TOY_STEPS)
runs["G too fast (lr_G=5e-3, lr_D=3e-5)"] = train_toy_gan(TOY_STEPS, lr_d=3e-5, lr_g=5e-3)
runs["D wins (lr_D=2e-2)"] = train_toy_gan(TOY_STEPS, lr_d=2e-2)
for name, (samples, history) in runs.items():
    print(f"{name:36s} modes covered: {modes_covered(samples)}/8   mean D(G(z)) over the last 100 steps: "
          f"{np.mean(history['d_fake'][-100:]):.2f}   L_D: {np.mean(history['loss_d'][-100:]):.2f}")

# %%
real_points = ring_of_gaussians(2000, np.random.default_rng(1))
fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 4))
for ax, (name, (samples, _)) in zip(axes, runs.items()):
    ax.scatter(real_points[:, 0], real_points[:, 1], s=2, c="lightgray", label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=2, c="C3", label="G(z)")
    ax.set_title(f"{name}\n{modes_covered(samples)}/8 modes")
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
axes[0].legend(loc="lower left", markerscale=4)
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(15, 3))
for name, (_, history) in runs.items():
    axes[0].plot(np.convolve(history["loss_d"], np.ones(25) / 25, "valid"), label=name)
    axes[1].plot(np.convolve(history["d_fake"], np.ones(25) / 25, "valid"), label=name)
    axes[2].plot(100 * np.arange(1, len(history["modes"]) + 1), history["modes"], "o-", label=name)
axes[0].set_title("$L_D$ (smoothed); log 4 = 1.39 at the equilibrium")
axes[1].set_title("mean D(G(z)); 1/2 at the equilibrium")
axes[2].set_title("modes covered (of 8) during training")
axes[2].set_xlabel("step")
axes[2].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Mode collapse.** When the generator moves much faster than the discriminator, it chases whatever point $D$
# currently likes best and piles all its samples there; $D$ then learns to reject that point and $G$ jumps to the next.
# The samples cover one or two modes at a time instead of eight, and the third panel shows it lasts. Nothing in $L_G$
# rewards *diversity*: each fake is
# judged alone.
#
# **A discriminator that wins.** With a learning rate ten times too high, $D$ separates real from fake almost
# perfectly: $L_D$ falls well below $\log 4$, $D(G(z))$ sinks towards 0, and the generator covers fewer modes — it is
# shoved around by a detective that over-reacts to every move.
#
# **Vanishing gradients with the saturating loss.** Let $D$ train alone first (it wins easily against an untrained
# $G$), then train $G$ with each loss from the same starting point, and look at the norm of $G$'s gradient.

# %%
WARMUP, AFTER = smoke(300, 150), smoke(600, 30)
saturating = train_toy_gan(AFTER, g_loss="saturating", d_warmup=WARMUP)
non_saturating = train_toy_gan(AFTER, g_loss="non-saturating", d_warmup=WARMUP)
first_sat, first_ns = saturating[1]["grad_g"][0], non_saturating[1]["grad_g"][0]
print(f"first generator step after the D warm-up: |grad| saturating = {first_sat:.2e}, "
      f"non-saturating = {first_ns:.2e}  ({first_ns / first_sat:.0f}x larger)")
plt.figure(figsize=(6, 3))
plt.semilogy(saturating[1]["grad_g"], label="saturating: log(1 - D(G(z)))")
plt.semilogy(non_saturating[1]["grad_g"], label="non-saturating: -log D(G(z))")
plt.xlabel("generator step after D's warm-up")
plt.ylabel("|gradient of G|")
plt.legend()
plt.show()

# %% [markdown]
# The saturating generator starts with a gradient thousands of times smaller. Adam divides each step by a running
# gradient scale, which is why it eventually recovers here; with SGD, or a deeper generator, it stays stuck. That is why
# every GAN in minigen (and in practice) uses the non-saturating loss.
#
# ## 4. The MLP GAN on MNIST: a collapse, and the recipe that avoids it
#
# `minigen.models.MLPGAN` is seed 000's model: generator $z(100) \to 128 \to 256 \to 512 \to 784$ with ReLU and a
# $\tanh$ output (so the data are scaled to $[-1, 1]$), discriminator $784 \to 512 \to 256 \to 128 \to 1$ with ReLU,
# each followed by Dropout(0.3), returning a logit. The loop is the same two steps as on the toy, with Adam's
# $\beta_1 = 0.5$ (the DCGAN paper's setting). We train it twice:
#
# * **the DCGAN paper's setting**: lr $2\cdot10^{-4}$, labels 1 and 0, no dropout — the usual starting point;
# * **the recipe of `minigen train gan`** (`minigen/train/config.py`, which runs the same loop with checkpoints,
#   grids and curves): lr $10^{-3}$, one-sided label smoothing $s = 0.1$, dropout 0.3 in $D$.
#
# **One-sided label smoothing.** $D$'s target for a real image becomes $1 - s = 0.9$; the fakes keep target 0:
# $$L_D = \mathbb E_x\big[0.9\,\operatorname{softplus}(-\ell(x)) + 0.1\,\operatorname{softplus}(\ell(x))\big]
# + \mathbb E_z\big[\operatorname{softplus}(\ell(G(z)))\big].$$
# With target 1 the real term keeps falling as $\ell(x) \to \infty$: $D$ is paid for ever more confident logits, and
# the slopes it shows the generator grow steep. With target 0.9 the term is smallest where $\sigma(\ell) = 0.9$, at
# $\ell = \log 9 \approx 2.2$: $D$'s confidence is capped. Only the real side is smoothed: with a fake target
# $\beta > 0$ the optimal discriminator would become $D^* = (0.9\,p_\text{data} + \beta\,p_g)/(p_\text{data} + p_g)$,
# equal to $\beta$ wherever there are no data, so fakes far from every digit would no longer be pushed back
# (Salimans et al., 2016).
#
# **Dropout in $D$.** Each step $D$ zeroes a random 30% of its hidden units (and scales the rest by $1/0.7$), so it is
# a different thinned network at every step: it cannot rely on the few features that happen to separate this
# moment's fakes, and it cannot memorise the 4,500 training digits. A softer, noisier detective — section 3's
# "D wins" in reverse — leaves the generator room to spread out instead of being chased from point to point.
#
# **The learning rate** matters most in this short budget: `MLPGAN`'s docstring (`minigen/models/mlp_gan.py`)
# tabulates the runs behind the recipe, in minigen and in PyTorch: at lr $2\cdot10^{-4}$ even dropout and smoothing
# collapse; lr $10^{-3}$ alone recovers most digits; dropout and smoothing make them cleaner.

# %%
logit_grid = np.linspace(-5.0, 10.0, 15001)
smoothed_real_term = 0.9 * np.logaddexp(0, -logit_grid) + 0.1 * np.logaddexp(0, logit_grid)  # softplus on the host
best_real_logit = logit_grid[smoothed_real_term.argmin()]
print(f"the smoothed real term is smallest at logit {best_real_logit:.3f}; log 9 = {math.log(9):.3f}")

# %% [markdown]
# **Measuring collapse.** A collapsed generator gives (nearly) the same image whatever $z$ is. Draw $n = 64$ samples
# from fixed noise and average the Euclidean distance between every pair, pixels in $[0, 1]$:
# $$\text{diversity} = \frac{1}{n(n-1)}\sum_{i \ne j}\lVert x_i - x_j\rVert_2,$$
# 0 for one repeated image, about 10 for 64 real digits (the figure `MLPGAN`'s docstring uses; lesson 13 adds a judge
# that names the digits).

# %%
images, _ = load_dataset("mnist-embedded", "train")
images = images[: smoke(len(images), 256)]
to_gan_range = Scale(-1.0, 1.0)  # uint8 0..255 -> float32 in [-1, 1], the range of tanh
HIDDEN, BATCH = smoke((128, 256, 512), (32, 64, 128)), 64


def diversity(images_in_gan_range):
    """Mean Euclidean distance between two different images of a batch (pixels mapped from [-1, 1] to [0, 1])."""
    flat = ((np.asarray(images_in_gan_range, np.float64) + 1) / 2).reshape(len(images_in_gan_range), -1)
    squared = (flat * flat).sum(axis=1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * flat @ flat.T, 0))
    np.fill_diagonal(distances, 0)
    return distances.sum() / (len(flat) * (len(flat) - 1))


def train_mlp_gan(epochs, lr, label_smoothing, dropout, seed=0):
    """Train MLPGAN with one recipe; returns per-step losses and, per epoch, samples from fixed noise and diversity."""
    minigen.manual_seed(seed)
    gan = MLPGAN((1, 28, 28), hidden=HIDDEN, dropout=dropout).to(device)
    opt_g = optim.Adam(gan.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    fixed_z = minigen.randn(64, gan.latent_dim, device=device)  # the same noise every epoch: comparable grids
    rng = np.random.default_rng(seed)
    history = {"D": [], "G": [], "grids": [], "diversity": []}
    for epoch in range(epochs):
        order = rng.permutation(len(images))
        for start in range(0, len(order) - BATCH + 1, BATCH):
            real = minigen.tensor(to_gan_range(images[order[start : start + BATCH]]), device=device)
            fake = gan.generator(minigen.randn(BATCH, gan.latent_dim, device=device))
            # D step: real -> target 1 - s, fake (detached) -> 0
            real_logits, fake_logits = gan.discriminator(real), gan.discriminator(fake.detach())
            loss_real = (1 - label_smoothing) * softplus(-real_logits) + label_smoothing * softplus(real_logits)
            loss_d = loss_real.mean() + softplus(fake_logits).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            # G step: non-saturating loss through the updated D
            loss_g = softplus(-gan.discriminator(fake)).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            history["D"].append(loss_d.item())
            history["G"].append(loss_g.item())
        with minigen.no_grad():
            history["grids"].append(gan.generator(fixed_z).numpy())
        history["diversity"].append(diversity(history["grids"][-1]))
        if (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
            print(f"lr {lr:g}, s {label_smoothing}, dropout {dropout}: epoch {epoch + 1}/{epochs}, "
                  f"L_D {np.mean(history['D'][-20:]):.3f}, L_G {np.mean(history['G'][-20:]):.3f}, "
                  f"diversity {history['diversity'][-1]:.2f}")
    return history


real_diversity = diversity(to_gan_range(images[:64]))
OLD_EPOCHS, EPOCHS = smoke(10, 1), smoke(40, 1)
old_run = train_mlp_gan(OLD_EPOCHS, lr=2e-4, label_smoothing=0.0, dropout=0.0)
new_run = train_mlp_gan(EPOCHS, lr=1e-3, label_smoothing=0.1, dropout=0.3)
print(f"diversity of 64 samples: DCGAN setting {old_run['diversity'][-1]:.2f} after {OLD_EPOCHS} epochs, "
      f"recipe {new_run['diversity'][-1]:.2f} after {EPOCHS} epochs; 64 real digits {real_diversity:.2f}")

# %%
plt.figure(figsize=(6, 3))
plt.plot(range(1, OLD_EPOCHS + 1), old_run["diversity"], "o-", label="lr 2e-4, no smoothing, no dropout")
plt.plot(range(1, EPOCHS + 1), new_run["diversity"], "o-", label="lr 1e-3, smoothing 0.1, dropout 0.3")
plt.axhline(real_diversity, color="gray", ls=":", label="real digits")
plt.xlabel("epoch")
plt.ylabel("diversity of 64 samples")
plt.legend(fontsize=8)
plt.show()
show_images(old_run["grids"][-1][:16], nrow=16, title=f"lr 2e-4 (DCGAN setting), epoch {OLD_EPOCHS}")
for epoch in sorted({0, len(new_run["grids"]) // 4, len(new_run["grids"]) // 2, len(new_run["grids"]) - 1}):
    show_images(new_run["grids"][epoch][:16], nrow=16, title=f"the recipe, epoch {epoch + 1} (same z)")
plt.show()
plt.figure(figsize=(6, 3))
plt.plot(new_run["D"], label="$L_D$", alpha=0.7)
plt.plot(new_run["G"], label="$L_G$ (non-saturating)", alpha=0.7)
plt.axhline(math.log(4), color="gray", ls=":", label="log 4")
plt.xlabel("step (the recipe's run)")
plt.legend()
plt.show()

# %% [markdown]
# **What we measured** (full mode, seed 0). With the DCGAN setting the diversity of the 64 samples stays between 0.5
# and 1.0 from the first epoch on (0.93 after 10 epochs; run to 20 epochs once, it never left 0.7–1.0): every $z$ gives
# the same noisy blob. That is mode collapse, total — one image — and the same setting collapses identically in
# PyTorch. $D$ wins meanwhile: $L_D$ 0.1–0.6, far below $\log 4 \approx 1.39$, and $L_G$ about 4.5.
#
# The recipe starts collapsed too (diversity 0.6–1.6 over the first 4 epochs), then spreads: 4.9 after 5 epochs, 5.8
# after 10, 8.4 after 20 and 10.0 after 40, as spread as 64 real digits (10.1). Its samples are varied, recognisable
# digits, though speckled: an MLP knows nothing of neighbouring pixels (lesson 9's DCGAN does). $L_D$ settles near
# 1.26, close to $\log 4$: neither player wins. Diversity alone can be fooled — 64 different noise images would score
# high — so look at the grids too; lesson 13 adds a classifier that names the digits.
#
# ## Self-check

# %%
assert abs(value_at_d_star - (-math.log(4) + 2 * js)) < 1e-6, "V(D*, G) must equal -log 4 + 2 JS"
assert abs(grad_saturating[40] + 1 / (1 + math.exp(8))) < 1e-12, "d log(1 - sigmoid(l)) / dl = -sigmoid(l)"
assert first_ns > 100 * first_sat, "after D's warm-up the saturating loss should give a far smaller gradient"
healthy, dwins = runs["healthy"][1], runs["D wins (lr_D=2e-2)"][1]
assert np.mean(dwins["loss_d"][-100:]) < np.mean(healthy["loss_d"][-100:]), "the over-fast D should have a lower loss"
assert abs(best_real_logit - math.log(9)) < 1e-3, "with real target 0.9 the best real logit is log 9"
assert 8 < real_diversity < 12, f"64 real digits should be about 10 apart, got {real_diversity:.2f}"
if not SMOKE:  # the short smoke runs are too short to separate the mode counts or the recipes reliably
    assert modes_covered(runs["healthy"][0]) >= 6, "the healthy toy GAN should cover most of the 8 modes"
    assert modes_covered(runs["G too fast (lr_G=5e-3, lr_D=3e-5)"][0]) <= 3, "the over-fast G should collapse"
    assert max(old_run["diversity"]) < 0.3 * real_diversity, "lr 2e-4 should collapse onto nearly one image"
    assert new_run["diversity"][-1] > 0.7 * real_diversity, "the recipe should give samples nearly as varied as data"
for run in (old_run, new_run):
    final = run["grids"][-1]
    assert final.shape == (64, 1, 28, 28) and final.min() >= -1 and final.max() <= 1, "samples are tanh images"
    assert all(np.isfinite(run["D"])) and all(np.isfinite(run["G"]))
print(f"Lesson 8 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the optimal discriminator.** Given arrays of densities `p_data` and `p_g` (same shape), return $D^*$.

# %%
def optimal_discriminator(p_data, p_g):
    raise NotImplementedError


def check_optimal_discriminator(fn):
    a, b = np.array([0.1, 0.5, 2.0, 0.0]), np.array([0.3, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(fn(a, b), [0.25, 0.5, 1.0, 0.0], err_msg="D* = p_data / (p_data + p_g)")
    # It must maximise a log(D) + b log(1 - D) pointwise: nudging it either way lowers the value.
    a, b = np.array([0.2, 0.7]), np.array([0.6, 0.1])
    d = fn(a, b)
    value = lambda d_: a * np.log(d_) + b * np.log(1 - d_)  # noqa: E731
    assert np.all(value(d) > value(d + 0.01)) and np.all(value(d) > value(d - 0.01)), "not a maximum"


check_exercise(check_optimal_discriminator, optimal_discriminator)

# %% [markdown]
# **Exercise 2 — Jensen–Shannon.** For two discrete distributions `p`, `q` (non-negative arrays summing to 1, with
# $0 \log 0 = 0$), return $\mathrm{JS}(p\|q) = \tfrac12\mathrm{KL}(p\|m) + \tfrac12\mathrm{KL}(q\|m)$. The check
# verifies
# $V(D^*) = -\log 4 + 2\,\mathrm{JS}$, symmetry, and the bound $\mathrm{JS} \le \log 2$ reached by disjoint supports
# (which is also why a GAN whose fakes share no support with the data gets no useful signal from JS).

# %%
def js_divergence(p, q):
    raise NotImplementedError


def check_js_divergence(fn):
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.1, 0.1, 0.4, 0.4])
    d = p / (p + q)
    with np.errstate(divide="ignore"):
        value = np.sum(np.where(p > 0, p * np.log(np.where(p > 0, d, 1)), 0)) + np.sum(q * np.log(1 - d))
    assert abs(value - (-math.log(4) + 2 * fn(p, q))) < 1e-12, "V(D*) should equal -log 4 + 2 JS"
    assert abs(fn(p, q) - fn(q, p)) < 1e-12, "JS is symmetric"
    assert abs(fn(p, p)) < 1e-12, "JS(p || p) = 0"
    assert abs(fn(np.array([1.0, 0.0]), np.array([0.0, 1.0])) - math.log(2)) < 1e-12, "disjoint supports: log 2"


check_exercise(check_js_divergence, js_divergence)

# %% [markdown]
# **Exercise 3 — the two generator gradients.** Return $\partial L_G / \partial \ell$ for a NumPy array of fake logits,
# for `kind="saturating"` ($L_G = \log(1 - \sigma(\ell))$) and `kind="non-saturating"` ($L_G = -\log\sigma(\ell)$),
# in closed form (no autograd). The check compares with minigen's autograd.

# %%
def generator_loss_gradient(logit, kind):
    raise NotImplementedError


def check_generator_loss_gradient(fn):
    values = np.array([-30.0, -4.0, 0.0, 2.5])
    for kind, loss in [("saturating", lambda l: -softplus(l)), ("non-saturating", lambda l: softplus(-l))]:
        t = minigen.tensor(values, requires_grad=True, dtype="float64")
        loss(t).sum().backward()
        np.testing.assert_allclose(fn(values, kind), t.grad.numpy(), rtol=1e-9, atol=1e-15, err_msg=kind)
    assert abs(fn(np.array([-30.0]), "saturating")[0]) < 1e-12, "the saturating gradient vanishes when D wins"


check_exercise(check_generator_loss_gradient, generator_loss_gradient)
