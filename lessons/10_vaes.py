# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 10 — Variational autoencoders: the ELBO, the reparameterisation trick, a map of digits
#
# **Goal:** derive the evidence lower bound from a latent-variable model, see why $z = \mu + \sigma\varepsilon$ lets
# gradients reach the encoder, train the MLP VAE on MNIST and draw its 2-D latent manifold.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 29 s of CPU time (3.4 min of
# wall-clock time on a machine shared with other jobs); smoke mode 2 s. Uses the GPU when there is one.*

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import optim
from minigen.data import load_dataset
from minigen.data.transforms import Scale
from minigen.models import MLPVAE
from minigen.ops import losses

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

device = pick_device()
print("device:", device, "| smoke mode:", SMOKE)
started = time.perf_counter()

# %% [markdown]
# ## 1. A latent-variable model
#
# Suppose each image $x$ is made from a hidden code $z$: first $z \sim p(z) = \mathcal N(0, I)$, then
# $x \sim p_\theta(x \mid z)$, a distribution whose parameters a **decoder** network computes from $z$. For binary-ish
# MNIST pixels, a Bernoulli per pixel with probabilities $\sigma(\text{decoder}(z))$:
# $$\log p_\theta(x\mid z) = \sum_i x_i \log \hat x_i + (1 - x_i)\log(1 - \hat x_i),\qquad \hat x =
# \sigma(\text{logits}_\theta(z)).$$
# The likelihood of an image integrates over every code that could have made it,
# $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$, which no one can compute for a neural decoder.
#
# ## 2. The ELBO
#
# Bring in an **encoder** $q_\phi(z\mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$, a guess at
# which
# codes made $x$. For any such $q$,
# $$\log p_\theta(x) = \log \mathbb E_{q}\Big[\frac{p_\theta(x\mid z)\,p(z)}{q_\phi(z\mid x)}\Big]
# \;\ge\; \mathbb E_{q}\Big[\log\frac{p_\theta(x\mid z)\,p(z)}{q_\phi(z\mid x)}\Big]
# = \underbrace{\mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big]}_{\text{reconstruction}}
# - \underbrace{\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{regulariser}}$$
# by Jensen's inequality ($\log$ is concave). The gap is exactly $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$,
# so
# maximising this **evidence lower bound** both raises the likelihood and pulls $q$ towards the true posterior.
# We *minimise* the negative ELBO: reconstruction error (binary cross-entropy summed over pixels) plus KL.
#
# ## 3. The KL in closed form
#
# For one dimension, $q = \mathcal N(\mu, \sigma^2)$ against $p = \mathcal N(0, 1)$:
# $\mathrm{KL} = \mathbb E_q[\log q - \log p] = \mathbb E_q\big[-\tfrac12\log\sigma^2 - \tfrac{(z-\mu)^2}{2\sigma^2} +
# \tfrac{z^2}{2}\big]
# = -\tfrac12\log\sigma^2 - \tfrac12 + \tfrac12(\mu^2 + \sigma^2)$, and summing over the $d$ independent dimensions,
# $$\mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0,
# I)\big) = -\frac12\sum_{j=1}^d\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
# The encoder outputs $\log\sigma^2$ (any real number) rather than $\sigma$ (which must be positive). Check it against a
# Monte-Carlo estimate $\frac1S\sum_s \log q(z_s) - \log p(z_s)$:

# %%
rng = np.random.default_rng(0)
mu_example, logvar_example = np.array([0.5, -1.0, 2.0]), np.array([0.3, -1.2, 0.0])
closed_form = losses.gaussian_kl(minigen.tensor(mu_example[None]), minigen.tensor(logvar_example[None])).item()
std_example = np.exp(0.5 * logvar_example)
z_samples = mu_example + std_example * rng.standard_normal((200_000, 3))
log_q = -0.5 * (((z_samples - mu_example) / std_example) ** 2 + logvar_example + math.log(2 * math.pi))
log_p = -0.5 * (z_samples**2 + math.log(2 * math.pi))
monte_carlo = (log_q - log_p).sum(axis=1).mean()
print(f"closed form KL = {closed_form:.4f}, Monte Carlo (200k samples) = {monte_carlo:.4f}")

# %% [markdown]
# ## 4. The reparameterisation trick
#
# The reconstruction term is an expectation over $z \sim q_\phi(z\mid x)$, and we need its gradient with respect to
# $\phi$ — but "draw a sample" is not a differentiable operation. Write the sample as a deterministic function of
# $\phi$ and of noise that does not depend on $\phi$:
# $$z = \mu_\phi(x) + \sigma_\phi(x) \odot \varepsilon,\qquad \varepsilon \sim \mathcal N(0, I),\qquad \sigma =
# \exp(\tfrac12\log\sigma^2).$$
# Now $\nabla_\phi\,\mathbb E_\varepsilon[f(z)] = \mathbb E_\varepsilon[\nabla_\phi f(\mu + \sigma\varepsilon)]$: one
# sample of
# $\varepsilon$ per image gives an unbiased gradient, and backpropagation goes through $\mu$ and $\sigma$ as through any
# other layer ($\partial z/\partial\mu = 1$, $\partial z/\partial\log\sigma^2 = \tfrac12\sigma\varepsilon$). In minigen
# this
# is `VAE.reparameterize` in `minigen/models/base.py` (note the $\tfrac12$: using $\exp(\log\sigma^2)$ as the scale is a
# classic bug). A gradient check of the trick, with $\varepsilon$ held fixed:

# %%
eps_fixed = minigen.tensor(rng.standard_normal((2, 3)), dtype="float64")
mu_t = minigen.tensor(rng.standard_normal((2, 3)), requires_grad=True, dtype="float64")
logvar_t = minigen.tensor(rng.standard_normal((2, 3)), requires_grad=True, dtype="float64")
reparam_ok = minigen.gradcheck(lambda m, lv: ((m + (0.5 * lv).exp() * eps_fixed) ** 2).sum(), mu_t, logvar_t)
print("gradcheck through z = mu + sigma * eps:", reparam_ok)

# %% [markdown]
# ## 5. The MLP VAE on MNIST
#
# `minigen.models.MLPVAE`: encoder $784 \to 128 \to 256 \to 512 \to (\mu, \log\sigma^2)$, decoder
# $z \to 512 \to 256 \to 128 \to 784$ logits (seed 000's shapes). The loss below is written out in full; it is
# what `VAE.loss(x)` returns (we check that), and what `VAETask` in `minigen/train/vae.py` and `minigen train vae` use.

# %%
train_images, _ = load_dataset("mnist-embedded", "train")
test_images, test_labels = load_dataset("mnist-embedded", "test")
train_images = train_images[: smoke(len(train_images), 1024)]
to_unit = Scale(0.0, 1.0)
x_test = minigen.tensor(to_unit(test_images[: smoke(500, 128)]), device=device)


def negative_elbo(model, x):
    """(negative ELBO, reconstruction, KL), each averaged over the images of the batch."""
    mu, logvar = model.encode(x)
    z = model.reparameterize(mu, logvar)  # mu + exp(logvar / 2) * eps
    logits = model.decode_logits(z)
    n = x.shape[0]
    reconstruction = losses.binary_cross_entropy_with_logits(logits, x.reshape(*logits.shape), reduction="sum") / n
    kl = (-0.5 * (1 + logvar - mu * mu - logvar.exp())).sum() / n
    return reconstruction + kl, reconstruction, kl


def train_vae(model, epochs, batch=32, lr=1e-3, seed=0):
    """Adam on the negative ELBO; returns per-epoch test (negative ELBO, reconstruction, KL)."""
    opt = optim.Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order = order_rng.permutation(len(train_images))
        for start in range(0, len(order), batch):
            x = minigen.tensor(to_unit(train_images[order[start : start + batch]]), device=device)
            loss, _, _ = negative_elbo(model, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with minigen.no_grad():
            history.append([t.item() for t in negative_elbo(model, x_test)])
        print(f"epoch {epoch + 1}/{epochs}: test -ELBO {history[-1][0]:.1f} = reconstruction {history[-1][1]:.1f}"
              f" + KL {history[-1][2]:.1f}  (nats per image)")
    return history


minigen.manual_seed(0)
vae = MLPVAE((1, 28, 28), latent_dim=20).to(device)
with minigen.no_grad():
    untrained = negative_elbo(vae, x_test)[0].item()
history = train_vae(vae, epochs=smoke(15, 2))

# The same loss as the model's own VAE.loss, given the same noise.
minigen.manual_seed(1)
with minigen.no_grad():
    ours = negative_elbo(vae, x_test)[0].item()
minigen.manual_seed(1)
with minigen.no_grad():
    theirs = vae.loss(x_test)[0].item()
print(f"untrained -ELBO {untrained:.1f}; trained {history[-1][0]:.1f}; ours vs VAE.loss: {ours:.3f} vs {theirs:.3f}")

# %%
with minigen.no_grad():
    mu_test, _ = vae.encode(x_test[:16])
    reconstructions = vae.decode(mu_test).numpy()  # decode the mean code
    samples = vae.sample(16).numpy()
show_images(np.concatenate([x_test[:16].numpy()[:, None], reconstructions]), nrow=16,
            title="top: test digits; bottom: their reconstructions")
show_images(samples, nrow=16, title="samples: decode(z) with z ~ N(0, I)")
hist = np.array(history)
plt.figure(figsize=(6, 3))
plt.plot(hist[:, 1], label="reconstruction")
plt.plot(hist[:, 2], label="KL")
plt.xlabel("epoch")
plt.ylabel("nats per test image")
plt.legend()
plt.show()

# %% [markdown]
# The reconstructions are sharp where the digit is certain and blurry where it is not: the Bernoulli decoder predicts
# the *mean* of $p(x\mid z)$, and a code holds only so much information — the KL term charges for every nat it carries.
#
# ## 6. The 2-D latent manifold
#
# With $d = 2$ the whole latent space is a plane we can draw. Train a VAE with `latent_dim=2`, then (left) encode the
# test digits and colour each mean $\mu(x)$ by its label, and (right) decode a grid of points. The grid is laid out
# through the inverse CDF of $\mathcal N(0,1)$, so equal areas of the picture hold equal prior mass.

# %%
minigen.manual_seed(0)
vae2 = MLPVAE((1, 28, 28), latent_dim=2).to(device)
history2 = train_vae(vae2, epochs=smoke(20, 2))
with minigen.no_grad():
    codes = vae2.encode(x_test)[0].numpy()
labels_test = test_labels[: len(codes)]

GRID = 15
quantiles = np.linspace(0.05, 0.95, GRID)


def _erfinv(y, steps=60):
    """Inverse error function by bisection (host-side, for the plot only)."""
    low, high = -6.0, 6.0
    for _ in range(steps):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if math.erf(mid) < y else (low, mid)
    return 0.5 * (low + high)


axis_values = np.array([math.sqrt(2) * _erfinv(2 * q - 1) for q in quantiles])  # the N(0, 1) quantiles
grid_z = np.array([[a, b] for b in axis_values[::-1] for a in axis_values], dtype=np.float32)
with minigen.no_grad():
    manifold = vae2.decode(minigen.tensor(grid_z, device=device)).numpy()

fig, axes = plt.subplots(1, 2, figsize=(12, 6))
scatter = axes[0].scatter(codes[:, 0], codes[:, 1], c=labels_test, cmap="tab10", s=6)
axes[0].legend(*scatter.legend_elements(), title="digit", fontsize=7, loc="upper right")
axes[0].set_title("test digits encoded to mu(x) (latent_dim = 2)")
show_images(manifold, nrow=GRID, ax=axes[1], title="decode(z) on a grid of z (inverse-CDF spaced)")
plt.show()

# %% [markdown]
# ## Self-check

# %%
assert abs(closed_form - monte_carlo) < 0.05, "the closed-form KL must match its Monte-Carlo estimate"
assert reparam_ok, "the reparameterised sample must pass a gradient check"
assert abs(ours - theirs) < 1e-3 * abs(theirs), "our loss and VAE.loss must agree given the same noise"
assert history[-1][0] < smoke(0.4, 0.8) * untrained, f"training should cut the -ELBO: {untrained} -> {history[-1][0]}"
assert history[-1][2] > 0, "the KL of a trained encoder is positive"
assert manifold.shape == (GRID * GRID, 1, 28, 28) and 0 <= manifold.min() and manifold.max() <= 1
if not SMOKE:
    assert history[-1][0] < 170, f"a trained MLP VAE reaches a test -ELBO below 170 nats, got {history[-1][0]:.1f}"
print(f"Lesson 10 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the Gaussian KL.** Given NumPy arrays `mu` and `logvar` of shape (N, d), return the KL of each row's
# $\mathcal N(\mu, \operatorname{diag} e^{\log\sigma^2})$ from $\mathcal N(0, I)$: shape (N,).

# %%
def gaussian_kl_numpy(mu, logvar):
    raise NotImplementedError


def check_gaussian_kl_numpy(fn):
    mu, logvar = np.array([[0.0, 0.0], [1.0, -2.0]]), np.array([[0.0, 0.0], [0.5, -1.0]])
    expected = losses.gaussian_kl(minigen.tensor(mu), minigen.tensor(logvar), reduction="none").numpy()
    got = np.asarray(fn(mu, logvar))
    assert got.shape == (2,), f"one KL per row: expected shape (2,), got {got.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert got[0] == 0, "KL(N(0, I) || N(0, I)) = 0"


check_exercise(check_gaussian_kl_numpy, gaussian_kl_numpy)

# %% [markdown]
# **Exercise 2 — the trick, by hand.** Given `mu`, `logvar` and noise `eps` (NumPy arrays of one shape), return
# $(z, \partial z/\partial\mu, \partial z/\partial\log\sigma^2)$, elementwise.

# %%
def reparameterize_with_gradients(mu, logvar, eps):
    raise NotImplementedError


def check_reparameterize_with_gradients(fn):
    mu, logvar, eps = np.array([0.3, -1.0]), np.array([0.4, -2.0]), np.array([1.5, -0.7])
    z, dz_dmu, dz_dlogvar = fn(mu, logvar, eps)
    m = minigen.tensor(mu, requires_grad=True, dtype="float64")
    lv = minigen.tensor(logvar, requires_grad=True, dtype="float64")
    z_ref = m + (0.5 * lv).exp() * minigen.tensor(eps, dtype="float64")
    z_ref.sum().backward()  # elementwise, so each gradient entry is dz_i / d(input)_i
    np.testing.assert_allclose(z, z_ref.numpy(), rtol=1e-12, err_msg="z = mu + exp(logvar / 2) * eps")
    np.testing.assert_allclose(dz_dmu, m.grad.numpy(), rtol=1e-12, err_msg="dz/dmu")
    np.testing.assert_allclose(dz_dlogvar, lv.grad.numpy(), rtol=1e-12, err_msg="dz/dlogvar")


check_exercise(check_reparameterize_with_gradients, reparameterize_with_gradients)

# %% [markdown]
# **Exercise 3 — the Bernoulli log-likelihood from logits.** Return $\log p(x\mid z) = \sum_i x_i\log\sigma(\ell_i) +
# (1-x_i)\log(1-\sigma(\ell_i))$ for one image (arrays `x` in [0, 1] and `logits`), finite even for logits of $\pm 100$.
# Hint: $\log\sigma(\ell) = -\operatorname{softplus}(-\ell)$ and $\operatorname{softplus}(t) = \max(t, 0) + \log(1 +
# e^{-|t|})$.

# %%
def bernoulli_log_likelihood(x, logits):
    raise NotImplementedError


def check_bernoulli_log_likelihood(fn):
    x, logits = np.array([1.0, 0.0, 0.3, 1.0]), np.array([2.0, -1.0, 0.5, -100.0])
    expected = -losses.binary_cross_entropy_with_logits(
        minigen.tensor(logits), minigen.tensor(x), reduction="sum").item()
    got = float(fn(x, logits))
    assert math.isfinite(got), "must stay finite for a logit of -100"
    assert abs(got - expected) < 1e-9 * max(1, abs(expected)), f"got {got}, expected {expected}"


check_exercise(check_bernoulli_log_likelihood, bernoulli_log_likelihood)
