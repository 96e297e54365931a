# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9 — DCGAN: convolutions for both players
#
# **Goal:** train the seed's deep convolutional GAN on MNIST padded to 32×32 (and on CIFAR-10 when it is on disk or
# downloadable), watching sample grids from a fixed noise batch across epochs and the losses of D and G on one plot.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 105 s of CPU time (12 min
# of wall-clock time on a machine shared with other jobs; MNIST only, CIFAR-10 was not downloadable there); smoke mode
# 1.5 s. Uses the GPU when there is one.*

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import nn, optim
from minigen.data import load_dataset
from minigen.data.transforms import Compose, Pad, Scale
from minigen.functional import softplus
from minigen.models import DCGAN

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

device = pick_device()
print("device:", device, "| smoke mode:", SMOKE)
started = time.perf_counter()

# %% [markdown]
# ## 1. The architecture (Radford, Metz and Chintala, 2016)
#
# `minigen/models/dcgan.py` builds it; `features` $= f$ sets the widths ($f = 64$ is the seed's model).
#
# | generator | shape | discriminator | shape |
# |---|---|---|---|
# | $z \in \mathbb R^{100}$ as a $1\times1$ image | $100\times1\times1$ | image | $C\times32\times32$ |
# | ConvT(k4, s1, p0) + BN + ReLU | $4f\times4\times4$ | Conv(k4, s2, p1) + LeakyReLU(0.2) | $f\times16\times16$ |
# | ConvT(k4, s2, p1) + BN + ReLU | $2f\times8\times8$ | Conv + BN + LeakyReLU | $2f\times8\times8$ |
# | ConvT(k4, s2, p1) + BN + ReLU | $f\times16\times16$ | Conv + BN + LeakyReLU | $4f\times4\times4$ |
# | ConvT(k4, s2, p1) + tanh | $C\times32\times32$ | Conv(k4, s1, p0) | $1$ logit |
#
# The output size of a transposed convolution is $(n - 1)\,s - 2p + k$: $(1-1)\cdot1 - 0 + 4 = 4$, then
# $(4-1)\cdot 2 - 2 + 4 = 8$, 16, 32 — each layer doubles the image, exactly undoing the discriminator's halving
# $\lfloor (n + 2p - k)/s\rfloor + 1$. The DCGAN recipe: no pooling (strided convolutions learn their own
# up- and down-sampling), BatchNorm in both nets except G's output and D's input (lesson 6: it keeps the signal's scale
# steady through depth), ReLU in G and LeakyReLU in D (so fakes always receive a gradient), $\tanh$ output, weights
# from $\mathcal N(0, 0.02)$, Adam with lr $2\cdot10^{-4}$, $\beta_1 = 0.5$.

# %%
minigen.manual_seed(0)
FEATURES = smoke(64, 8)  # 64 is the seed's DCGAN; the smoke run shrinks it 8 times
model = DCGAN((1, 32, 32), features=FEATURES).to(device)
print(model.generator)
x = minigen.randn(2, 100, device=device)
shapes = [tuple(x.shape)]
with minigen.no_grad():
    for layer in model.generator:
        x = layer(x)
        if isinstance(layer, nn.ConvTranspose2d):
            shapes.append(tuple(x.shape))
print("generator shapes:", " -> ".join(str(s[1:]) for s in shapes))
count = lambda module: sum(p.data.size for p in module.parameters())  # noqa: E731
print(f"parameters: generator {count(model.generator):,}, discriminator {count(model.discriminator):,}")

# %% [markdown]
# ## 2. Training
#
# The data: MNIST's 28×28 digits padded by 2 pixels of background to 32×32, then scaled to $[-1, 1]$ (pad *first*, so
# the border is background after scaling). The loop is lesson 8's, unchanged: a D step on real and detached fakes,
# then a G step with the non-saturating loss. `GANTask.train_step` in `minigen/train/gan.py` is the same code, and
# `minigen train dcgan` runs it with checkpoints and per-epoch grids. We also record $\sigma(D)$'s mean on real and fake
# images: at the game's equilibrium both are $\tfrac12$.


# %%
def train_dcgan(model, images, epochs, batch=64, transform=None, seed=0, grids_every=1):
    """Train ``model`` on uint8 ``images``; returns per-step history and one grid per epoch from fixed noise."""
    opt_g = optim.Adam(model.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = optim.Adam(model.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed_z = minigen.randn(32, model.latent_dim, device=device)
    order_rng = np.random.default_rng(seed)
    history = {"loss_d": [], "loss_g": [], "d_real": [], "d_fake": []}
    grids = []
    # As in PyTorch's DCGAN example, grids are drawn in training mode: BatchNorm normalises with the statistics of
    # the 32 fixed codes. (Its running averages lag far behind in a short run, which would show stale pictures.)
    with minigen.no_grad():
        grids.append(model.generator(fixed_z).numpy())  # before training
    for epoch in range(epochs):
        epoch_start = time.perf_counter()
        order = order_rng.permutation(len(images))
        for start in range(0, len(order) - batch + 1, batch):
            real = minigen.tensor(transform(images[order[start : start + batch]]), device=device)
            fake = model.generator(minigen.randn(batch, model.latent_dim, device=device))
            real_logits, fake_logits = model.discriminator(real), model.discriminator(fake.detach())
            loss_d = softplus(-real_logits).mean() + softplus(fake_logits).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = softplus(-model.discriminator(fake)).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            for key, value in [("loss_d", loss_d), ("loss_g", loss_g), ("d_real", real_logits.sigmoid().mean()),
                               ("d_fake", fake_logits.sigmoid().mean())]:
                history[key].append(value.item())
        with minigen.no_grad():
            grids.append(model.generator(fixed_z).numpy())
        print(f"epoch {epoch + 1}/{epochs} ({time.perf_counter() - epoch_start:.0f} s): "
              f"L_D {np.mean(history['loss_d'][-20:]):.3f}  L_G {np.mean(history['loss_g'][-20:]):.3f}  "
              f"D(x) {np.mean(history['d_real'][-20:]):.2f}  D(G(z)) {np.mean(history['d_fake'][-20:]):.2f}")
    return history, grids


def show_progress(history, grids, title):
    rows = sorted({0, 1, len(grids) // 2, len(grids) - 1})
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, 1.6 * len(rows)))
    for ax, epoch in zip(np.atleast_1d(axes), rows):
        show_images(grids[epoch][:16], nrow=16, ax=ax, title=f"{title}: after epoch {epoch} (same z)")
    plt.show()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    smooth = lambda v: np.convolve(v, np.ones(10) / 10, "valid") if len(v) >= 10 else v  # noqa: E731
    axes[0].plot(smooth(history["loss_d"]), label="$L_D$")
    axes[0].plot(smooth(history["loss_g"]), label="$L_G$")
    axes[0].axhline(math.log(4), color="gray", ls=":", label="log 4 (equilibrium $L_D$)")
    axes[0].set_xlabel("step")
    axes[0].legend()
    axes[0].set_title(f"{title}: the two losses together")
    axes[1].plot(smooth(history["d_real"]), label=r"$\sigma(D(x))$")
    axes[1].plot(smooth(history["d_fake"]), label=r"$\sigma(D(G(z)))$")
    axes[1].axhline(0.5, color="gray", ls=":")
    axes[1].set_xlabel("step")
    axes[1].legend()
    plt.show()


mnist, _ = load_dataset("mnist-embedded", "train")
mnist = mnist[: smoke(len(mnist), 512)]
pad_and_scale = Compose([Pad(2), Scale(-1.0, 1.0)])  # (N, 28, 28) uint8 -> (N, 32, 32) in [-1, 1]
mnist_history, mnist_grids = train_dcgan(model, mnist, epochs=smoke(3, 1), batch=smoke(64, 32), transform=pad_and_scale)
show_progress(mnist_history, mnist_grids, "DCGAN on MNIST")

# %% [markdown]
# Reading the curves: $L_D$ hovers below $\log 4$ and $L_G$ above $\log 2$ — the discriminator stays a little ahead,
# as it usually does; what matters is that neither collapses to 0 (lesson 8's "D wins") and that the grids improve
# from blobs to strokes to digits. Losses of a GAN do **not** fall steadily: each player's loss is measured against
# an opponent who is also moving, so the pictures, not the losses, tell you whether it is working.
#
# ## 3. CIFAR-10: the same model with C = 3
#
# Only the number of channels changes. CIFAR-10 is 160 MB; this cell uses it when it is already in the cache
# (`$MINIGEN_DATA` or `~/.cache/minigen`) or can be downloaded, never in smoke mode. Colour images are far harder than
# digits: expect colourful textures after a few epochs on a CPU, and object-like shapes only after ~25 epochs on a GPU.

# %%
cifar = None
if SMOKE:
    print("smoke mode: CIFAR-10 skipped (no downloads in CI); the MNIST run above is the lesson's DCGAN.")
else:
    try:
        cifar, _ = load_dataset("cifar10", "train")  # (N, 3, 32, 32) uint8
    except Exception as error:  # offline, or no space: the lesson goes on with MNIST
        print(f"CIFAR-10 is not available here ({type(error).__name__}: {str(error)[:200]}...);"
              " the DCGAN above on MNIST is this lesson's run. Put the archive in the cache to try it.")
if cifar is not None:
    minigen.manual_seed(0)
    colour_model = DCGAN((3, 32, 32), features=FEATURES).to(device)
    cifar_history, cifar_grids = train_dcgan(colour_model, cifar[: 5000 if device == "cpu" else len(cifar)],
                                             epochs=2 if device == "cpu" else 10, transform=Scale(-1.0, 1.0))
    show_progress(cifar_history, cifar_grids, "DCGAN on CIFAR-10")

# %% [markdown]
# ## Self-check

# %%
assert [s[1:] for s in shapes] == [(100,), (4 * FEATURES, 4, 4), (2 * FEATURES, 8, 8), (FEATURES, 16, 16), (1, 32, 32)]
final = mnist_grids[-1]
assert final.shape == (32, 1, 32, 32) and final.min() >= -1 and final.max() <= 1, "tanh images of 32x32"
assert all(np.isfinite(v).all() for v in mnist_history.values()), "a loss became NaN or Inf"
print("mean change of the fixed-z samples:", np.abs(mnist_grids[-1] - mnist_grids[0]).mean())
assert np.abs(mnist_grids[-1] - mnist_grids[0]).mean() > 0.02, "the generator did not move"
if not SMOKE:
    # The padded border is background (-1) in every real image; a trained generator learns it.
    border = np.concatenate([final[:, 0, :2].ravel(), final[:, 0, -2:].ravel()])
    assert border.mean() < -0.8, f"the generated border should be background, mean {border.mean():.2f}"
    assert np.mean(mnist_history["d_fake"][-20:]) > 0.05, "D should not win outright"
print(f"Lesson 9 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — output sizes.** Return the output size of `ConvTranspose2d` along one axis for input size `n`,
# kernel `k`, stride `s`, padding `p` (no output padding). The check runs the generator's four layers and a few
# odd cases against `nn.ConvTranspose2d`.

# %%
def conv_transpose_output_size(n, k, s, p):
    raise NotImplementedError


def check_conv_transpose_output_size(fn):
    assert [fn(n, 4, s, p) for n, s, p in [(1, 1, 0), (4, 2, 1), (8, 2, 1), (16, 2, 1)]] == [4, 8, 16, 32]
    for n, k, s, p in [(5, 3, 2, 1), (7, 5, 3, 2), (3, 2, 1, 0)]:
        layer = nn.ConvTranspose2d(1, 1, k, s, p)
        with minigen.no_grad():
            out = layer(minigen.randn(1, 1, n, n))
        got = fn(n, k, s, p)
        assert got == out.shape[-1], f"n={n}, k={k}, s={s}, p={p}: got {got}, the layer gives {out.shape[-1]}"


check_exercise(check_conv_transpose_output_size, conv_transpose_output_size)

# %% [markdown]
# **Exercise 2 — counting parameters.** Return the number of parameters of the DCGAN generator for `latent_dim`,
# `features` $f$ and `channels` $C$: the ConvTranspose weights (in × out × 4 × 4, no bias when BatchNorm follows),
# BatchNorm's scale and shift per channel, and the last layer's bias.

# %%
def dcgan_generator_parameters(latent_dim, features, channels):
    raise NotImplementedError


def check_dcgan_generator_parameters(fn):
    for latent_dim, features, channels in [(100, 8, 1), (100, 64, 3), (16, 4, 1)]:
        expected = count(DCGAN((channels, 32, 32), latent_dim=latent_dim, features=features).generator)
        got = fn(latent_dim, features, channels)
        assert got == expected, f"(latent {latent_dim}, f {features}, C {channels}): got {got}, expected {expected}"


check_exercise(check_dcgan_generator_parameters, dcgan_generator_parameters)

# %% [markdown]
# **Exercise 3 — one-sided label smoothing.** A common stabiliser: train D towards $1 - s$ (e.g. 0.9) on real images
# instead of 1, so it cannot become infinitely confident; fakes keep the target 0 (smoothing them too would reward
# fakes D already fools). Return $L_D$ from minigen tensors of logits `real_logits`, `fake_logits` and `smoothing` $s$:
# $\text{mean}\big[(1-s)\operatorname{softplus}(-\ell_r) + s\operatorname{softplus}(\ell_r)\big] +
# \text{mean}\big[\operatorname{softplus}(\ell_f)\big]$,
# the binary cross-entropy with target $1 - s$. `minigen train gan --label-smoothing 0.1` does this.

# %%
def smoothed_discriminator_loss(real_logits, fake_logits, smoothing):
    raise NotImplementedError


def check_smoothed_discriminator_loss(fn):
    from minigen.nn.functional import binary_cross_entropy_with_logits as bce

    real = minigen.tensor([[2.0], [-0.5], [4.0]], requires_grad=True, dtype="float64")
    fake = minigen.tensor([[-1.0], [0.3], [-3.0]], requires_grad=True, dtype="float64")
    for s in [0.0, 0.1, 0.3]:
        expected = bce(real, np.full((3, 1), 1 - s)) + bce(fake, np.zeros((3, 1)))
        got = fn(real, fake, s)
        assert abs(got.item() - expected.item()) < 1e-12, f"smoothing {s}: got {got.item()}, expected {expected.item()}"
    fn(real, fake, 0.1).backward()
    assert real.grad is not None and fake.grad is not None, "the loss must be differentiable in both logits"


check_exercise(check_smoothed_discriminator_loss, smoothed_discriminator_loss)
