# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 11 — The convolutional VAE, and beta: trading reconstruction for a tidy latent space
#
# **Goal:** swap the VAE's dense layers for convolutions, then weigh the KL by $\beta$ and *measure* what it buys and
# costs: reconstruction error, KL (the bits the code carries), active latent dimensions, and the samples.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 110 s of CPU time (9 min of
# wall-clock time on a machine shared with other jobs), smoke mode 4 s. Uses the GPU when there is one.*

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import nn, optim
from minigen.data import load_dataset
from minigen.data.transforms import Scale
from minigen.models import MLPVAE, ConvVAE

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

device = pick_device()
print("device:", device, "| smoke mode:", SMOKE)
started = time.perf_counter()

# %% [markdown]
# ## 1. Convolutions in the encoder, transposed convolutions in the decoder
#
# `minigen/models/conv_vae.py`: two stride-2 convolutions (kernel 4, padding 1) halve 28×28 to 14×14 to 7×7, a dense
# layer maps the $64\cdot7\cdot7$ features to 256 and then to $(\mu, \log\sigma^2)$; the decoder mirrors it with two
# transposed convolutions that double 7 → 14 → 28. A convolution reuses one small kernel at every position, so
# the model knows from the start that a stroke is a stroke wherever it appears, with far fewer weights per layer.

# %%
CHANNELS = smoke((32, 64), (8, 16))
conv_vae = ConvVAE((1, 28, 28), latent_dim=20, channels=CHANNELS)
count = lambda module: sum(p.data.size for p in module.parameters())  # noqa: E731
print(conv_vae.encoder)
print(f"parameters: ConvVAE {count(conv_vae):,}  (its first conv layer: {count(conv_vae.encoder[1]):,}); "
      f"MLPVAE {count(MLPVAE((1, 28, 28))):,} (its first layer: {784 * 128 + 128:,})")

# %% [markdown]
# ## 2. The beta-VAE objective
#
# Lesson 10's loss, with the KL weighed by $\beta$ (Higgins et al., 2017):
# $$\mathcal L_\beta(x) = \underbrace{\mathbb E_{q(z\mid x)}\big[-\log p(x\mid z)\big]}_{\text{distortion } D} +
# \beta\,\underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)}_{\text{rate } R}.$$
# $\beta = 1$ is the ELBO. The KL is the **rate**: the average number of nats the code $z$ carries about $x$ beyond what
# the prior already says. The reconstruction term is the **distortion**. Minimising $D + \beta R$ picks a point on the
# rate–distortion curve: large $\beta$ makes information expensive, so the encoder sends less (smaller KL, blurrier
# reconstructions, codes that stay close to the prior, so decoded prior samples look like the training data); small
# $\beta$ buys sharp reconstructions with codes that wander far from $\mathcal N(0, I)$, leaving holes where prior
# samples
# decode to nonsense. Whatever $\beta$ was used in training, we report the true $-\text{ELBO} = D + R$ to compare
# models.
#
# We also count **active units**: latent dimensions whose mean $\mu_j(x)$ actually varies across images,
# $\operatorname{Var}_x[\mu_j(x)] > 0.01$. A dimension the encoder ignores has $q(z_j\mid x) = p(z_j)$ and costs no KL.

# %%
train_images, _ = load_dataset("mnist-embedded", "train")
test_images, _ = load_dataset("mnist-embedded", "test")
train_images = train_images[: smoke(len(train_images), 1024)]
to_unit = Scale(0.0, 1.0)
x_test = minigen.tensor(to_unit(test_images[: smoke(500, 128)]), device=device)


def train_beta_vae(beta, epochs, batch=32, lr=1e-3, seed=0):
    """Train a ConvVAE with the KL weighed by ``beta``; returns the model and its test measurements."""
    minigen.manual_seed(seed)
    model = ConvVAE((1, 28, 28), latent_dim=20, channels=CHANNELS).to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = order_rng.permutation(len(train_images))
        for start in range(0, len(order), batch):
            x = minigen.tensor(to_unit(train_images[order[start : start + batch]]), device=device)
            total, _, _ = model.loss(x, beta=beta)  # reconstruction + beta * KL, per image (minigen/models/base.py)
            opt.zero_grad()
            total.backward()
            opt.step()
    with minigen.no_grad():
        _, reconstruction, kl = model.loss(x_test)
        mu, _ = model.encode(x_test)
    variance = mu.numpy().var(axis=0)
    return model, {"reconstruction": reconstruction.item(), "kl": kl.item(),
                   "neg_elbo": reconstruction.item() + kl.item(), "active": int((variance > 0.01).sum())}


EPOCHS = smoke(6, 2)
BETAS = [0.25, 1.0, 4.0, 16.0]
results, models = {}, {}
for beta in BETAS:
    beta_start = time.perf_counter()
    models[beta], results[beta] = train_beta_vae(beta, EPOCHS)
    r = results[beta]
    print(f"beta {beta:5}: reconstruction {r['reconstruction']:6.1f}  KL {r['kl']:5.1f}  -ELBO {r['neg_elbo']:6.1f}  "
          f"active units {r['active']:2d}/20  ({time.perf_counter() - beta_start:.0f} s)")

# %% [markdown]
# ## 3. What beta does, measured

# %%
print("| beta | reconstruction (nats) | KL (nats) | -ELBO = sum | active units |")
print("|---:|---:|---:|---:|---:|")
for beta, r in results.items():
    print(f"| {beta} | {r['reconstruction']:.1f} | {r['kl']:.1f} | {r['neg_elbo']:.1f} | {r['active']} |")

fig, ax = plt.subplots(figsize=(5, 4))
rates = [results[b]["kl"] for b in BETAS]
distortions = [results[b]["reconstruction"] for b in BETAS]
ax.plot(rates, distortions, "o-")
for beta, rate, distortion in zip(BETAS, rates, distortions):
    ax.annotate(f"beta={beta}", (rate, distortion), textcoords="offset points", xytext=(5, 5))
ax.set_xlabel("rate: KL (nats per image)")
ax.set_ylabel("distortion: reconstruction (nats per image)")
ax.set_title("The rate-distortion trade-off")
plt.show()

fig, axes = plt.subplots(len(BETAS) + 1, 2, figsize=(12, 1.3 * (len(BETAS) + 1)))
show_images(x_test[:12].numpy(), nrow=12, ax=axes[0, 0], title="test digits")
axes[0, 1].axis("off")
for row, beta in enumerate(BETAS, start=1):
    model = models[beta]
    with minigen.no_grad():
        reconstruction = model.decode(model.encode(x_test[:12])[0]).numpy()
        samples = model.sample(12).numpy()
    show_images(reconstruction, nrow=12, ax=axes[row, 0], title=f"beta={beta}: reconstructions")
    show_images(samples, nrow=12, ax=axes[row, 1], title=f"beta={beta}: samples from the prior")
plt.show()

# %% [markdown]
# Read the table from top to bottom: as $\beta$ grows, the KL (rate) falls, the reconstruction error (distortion)
# rises, and fewer latent dimensions stay active; the encoder sends less and less. The $-$ELBO (the likelihood bound)
# is best near $\beta = 1$, the only setting that optimises it. Which $\beta$ is "best" depends on what you want:
# reconstructions (small $\beta$), a smooth and disentangled code or prior samples that look like data (larger $\beta$),
# or likelihood ($\beta = 1$).
#
# ## Self-check

# %%
low, high = results[BETAS[0]], results[BETAS[-1]]
assert low["kl"] > high["kl"], "a larger beta must leave a smaller KL"
assert low["reconstruction"] < high["reconstruction"], "a larger beta must cost reconstruction"
assert all(np.isfinite([r["neg_elbo"] for r in results.values()])), "a loss became NaN or Inf"
if not SMOKE:
    kls = [results[b]["kl"] for b in BETAS]
    assert all(a > b for a, b in zip(kls, kls[1:])), f"KL should fall as beta grows: {kls}"
    assert results[1.0]["neg_elbo"] < results[BETAS[-1]]["neg_elbo"], "beta = 1 should beat beta = 16 on the ELBO"
    assert low["active"] >= high["active"], "a larger beta should not activate more units"
print(f"Lesson 11 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — active units.** Given a NumPy array `mu` of encoder means, shape (N, d), return how many of the $d$
# dimensions have a variance across the $N$ images above `threshold`.

# %%
def active_units(mu, threshold=0.01):
    raise NotImplementedError


def check_active_units(fn):
    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.normal(0, 1, (500, 3)), rng.normal(5, 0.01, (500, 2))], axis=1)
    assert fn(mu) == 3, f"3 dimensions vary, 2 are constant (their mean does not matter); got {fn(mu)}"
    assert fn(mu, threshold=2.0) == 0, "with a threshold above every variance, no unit is active"


check_exercise(check_active_units, active_units)

# %% [markdown]
# **Exercise 2 — the encoder's sizes.** Return the output size of `Conv2d` along one axis, for input size `n`,
# kernel `k`, stride `s`, padding `p`: $\lfloor (n + 2p - k)/s \rfloor + 1$. The check follows 28 and 32 through the
# ConvVAE's encoder and compares a few odd cases with `nn.Conv2d`.

# %%
def conv_output_size(n, k, s, p):
    raise NotImplementedError


def check_conv_output_size(fn):
    assert [fn(28, 4, 2, 1), fn(14, 4, 2, 1), fn(32, 4, 2, 1), fn(16, 4, 2, 1)] == [14, 7, 16, 8]
    for n, k, s, p in [(7, 3, 2, 0), (9, 5, 3, 2), (5, 1, 1, 0)]:
        with minigen.no_grad():
            out = nn.Conv2d(1, 1, k, s, p)(minigen.randn(1, 1, n, n))
        assert fn(n, k, s, p) == out.shape[-1], f"n={n}, k={k}, s={s}, p={p}: layer gives {out.shape[-1]}"


check_exercise(check_conv_output_size, conv_output_size)

# %% [markdown]
# **Exercise 3 — a Gaussian decoder.** Instead of Bernoulli pixels, a decoder may output the mean $\hat x$ of
# $p(x\mid z) = \mathcal N(\hat x, \sigma^2 I)$. Return $-\log p(x\mid z)$ summed over the pixels of one image, for
# arrays
# `x`, `x_hat` and a scalar `sigma`. Notice that for a fixed $\sigma$ it is the squared error times $1/(2\sigma^2)$
# plus a constant: choosing $\sigma$ is choosing $\beta$ (`VAE.loss(x, likelihood="gaussian")` uses the squared error).

# %%
def gaussian_negative_log_likelihood(x, x_hat, sigma):
    raise NotImplementedError


def check_gaussian_negative_log_likelihood(fn):
    rng = np.random.default_rng(0)
    x, x_hat = rng.random(10), rng.random(10)
    for sigma in [0.1, 1.0]:
        expected = -np.sum(np.log(np.exp(-((x - x_hat) ** 2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)))
        got = float(fn(x, x_hat, sigma))
        assert abs(got - expected) < 1e-9 * max(1, abs(expected)), f"sigma={sigma}: got {got}, expected {expected}"


check_exercise(check_gaussian_negative_log_likelihood, gaussian_negative_log_likelihood)
