# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 7 — Why MSE alone cannot generate: the blurry mean
#
# **Goal:** train a convolutional generator $G(z)$ to match real digits with the mean squared error, watch it forget
# $z$ and converge to one blurry average image, and prove that this is the optimum of the loss, not a training failure.
#
# *Time: about 4.5 min in full, 10 s in smoke mode, on a 2-core CPU (measured here, machine under load).
# Uses the GPU when there is one.*

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import optim
from minigen.data import DataLoader, Scale, load_dataset
from minigen.models import CNNGenerator

from lessons_support import check_exercise, pick_device, show_images, smoke

device = pick_device()
minigen.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The naive idea, and what its optimum is
#
# A generator maps noise $z \sim \mathcal N(0, I)$ to an image. The most obvious training signal: draw a fresh $z$,
# draw a real image $x$, and minimise $\lVert G(z) - x\rVert^2$. But $z$ and $x$ are **independent**: nothing tells
# $G$ which digit a given $z$ is paired with. Write $\bar x = \mathbb E[x]$ (the mean image). For any fixed output $g$,
# $$\mathbb E_x\lVert g - x\rVert^2 = \mathbb E_x\lVert (g - \bar x) - (x - \bar x)\rVert^2
# = \lVert g - \bar x\rVert^2 - 2(g - \bar x)^\top\underbrace{\mathbb E[x - \bar x]}_{0}
# + \mathbb E\lVert x - \bar x\rVert^2 ,$$
# so, averaging over $z$ too,
# $$\mathbb E_{z,x}\lVert G(z) - x\rVert^2 =
# \underbrace{\mathbb E\lVert x - \bar x\rVert^2}_{\text{data variance: out of reach}}
# + \underbrace{\mathbb E_z\lVert G(z) - \bar x\rVert^2}_{0 \text{ iff } G(z) = \bar x \text{ for every } z}.$$
# The loss is minimised by a generator that **ignores $z$ and outputs the mean image**. Whatever the architecture, MSE
# against unpaired data asks for the average — a grey smudge — and has no term that rewards diversity or sharpness.
#
# The data: the embedded MNIST in $[-1, 1]$ (the generator ends in tanh), and its mean image.

# %%
images, _ = load_dataset("mnist-embedded", "train")
data = Scale(-1.0, 1.0)(images)[:, None]  # (N, 1, 28, 28) float32 in [-1, 1]
mean_image = data.mean(axis=0)
floor = float(((data - mean_image) ** 2).mean())  # the data variance per pixel: the lowest possible loss
print(f"{len(data)} images; the loss can never go below the data variance, {floor:.3f} per pixel")

# %% [markdown]
# ## 2. Train the CNN generator with MSE
#
# `minigen.models.CNNGenerator` (`minigen/models/cnn_generator.py`): $z$ → Linear → $7\times7$ feature maps →
# two stride-2 transposed convolutions (lesson 5) with BatchNorm and ReLU (lesson 6) → tanh, a $28\times28$ image.
# Its `loss(x)` draws fresh noise and returns `mse_loss(G(z), x)`. Every so often we measure, in eval mode, on 64
# fixed noise vectors: the distance of the samples to the mean image, and their **diversity** (the per-pixel std
# across $z$, against the data's own).

# %%
model = CNNGenerator((1, 28, 28), latent_dim=100, features=smoke(32, 16)).to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(
    images[:, None],
    np.zeros(len(images)),
    batch_size=64,
    seed=0,
    drop_last=True,
    transform=Scale(-1.0, 1.0),
    device=device,
)
fixed_z = minigen.randn(64, 100, device=device)
data_diversity = float(data.std(axis=0).mean())
steps, every = smoke(1200, 60), smoke(100, 20)


def measure():
    model.eval()
    with minigen.no_grad():
        samples = model(fixed_z).numpy()
    model.train()
    distance = float(np.abs(samples - mean_image).mean())
    return samples, distance, float(samples.std(axis=0).mean())


history = {"step": [], "loss": [], "distance": [], "diversity": []}
snapshots = [measure()[0][:8]]
losses, step = [], 0
while step < steps:
    for x, _ in loader:
        optimizer.zero_grad()
        loss = model.loss(x)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        step += 1
        if step % every == 0:
            samples, distance, diversity = measure()
            for key, value in [
                ("step", step),
                ("loss", np.mean(losses[-every:])),
                ("distance", distance),
                ("diversity", diversity),
            ]:
                history[key].append(value)
            print(
                f"step {step}: loss {history['loss'][-1]:.3f}, distance to the mean image {distance:.3f}, "
                f"diversity {diversity:.3f} (data: {data_diversity:.3f})"
            )
        if step in (steps // 4, steps):
            snapshots.append(samples[:8] if step % every == 0 else measure()[0][:8])
        if step >= steps:
            break

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(losses, alpha=0.4, label="MSE per step")
axes[0].axhline(floor, color="k", ls="--", label=f"floor: data variance {floor:.3f}")
axes[0].set_ylim(0, max(1.0, floor * 2))
axes[0].set_xlabel("step")
axes[0].legend()
axes[1].plot(history["step"], history["distance"], label="|G(z) - mean image|")
axes[1].plot(history["step"], history["diversity"], label="diversity of G(z) across z")
axes[1].axhline(data_diversity, color="gray", ls=":", label="diversity of the data")
axes[1].set_xlabel("step")
axes[1].legend()
plt.show()

fig, axes = plt.subplots(4, 1, figsize=(9, 6))
show_images(data[rng.choice(len(data), 8, replace=False)], nrow=8, title="real digits", ax=axes[0])
show_images(snapshots[0], nrow=8, title="G(z) before training", ax=axes[1])
show_images(snapshots[-1], nrow=8, title=f"G(z) after {steps} steps: eight different z", ax=axes[2])
show_images(np.repeat(mean_image[None], 8, axis=0), nrow=8, title="the mean image of the data", ax=axes[3])
plt.tight_layout()
plt.show()

# %% [markdown]
# The samples march towards the mean image and their diversity collapses, exactly as the decomposition predicts; the
# loss approaches the floor from above and can go no lower. (The approach is slow at first because BatchNorm rescales
# whatever depends on $z$ back to unit variance: to ignore $z$ the network must shrink BatchNorm's scales first.)
#
# **What would fix it?** The loss must stop comparing a sample with an *unrelated* image.
# - A **GAN** (lessons 8–9) replaces the fixed distance by a learned critic that asks only whether $G(z)$ looks like
#   *some* real image, so different $z$ can go to different digits.
# - A **VAE** (lessons 10–11) pairs $z$ with $x$ through an encoder: $z$ then carries information about $x$, and the
#   reconstruction loss — still a pixel loss — is no longer minimised by the mean.

# %% [markdown]
# ## Self-check

# %%
final_samples, final_distance, final_diversity = measure()
assert min(history["loss"]) > floor * 0.95, "no generator can beat the data variance (up to batch noise)"
assert history["loss"][-1] < history["loss"][0], "the loss must fall"
assert final_distance < history["distance"][0] or final_distance < 0.25, "samples must approach the mean image"
assert final_diversity < 0.5 * data_diversity, "samples must be far less diverse than the data"
print("Lesson 7 self-check passed.")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the best constant under MSE.** Return the single image $g$ (shape $(1, 28, 28)$) that minimises
# $\frac1N\sum_n \lVert g - x_n\rVert^2$ over the NumPy batch `x` $(N, 1, 28, 28)$.


# %%
def best_constant_mse(x):
    raise NotImplementedError


def check_best_constant_mse(fn):
    x = data[:500]
    g = fn(x)
    best = ((g - x) ** 2).mean()
    for _ in range(3):
        other = g + 0.05 * rng.standard_normal(g.shape).astype(np.float32)
        assert ((other - x) ** 2).mean() > best, "a perturbed image has a lower MSE: not the optimum"
    assert np.allclose(g, x.mean(axis=0), atol=1e-5)


check_exercise(check_best_constant_mse, best_constant_mse)

# %% [markdown]
# **Exercise 2 — the floor.** Return the lowest MSE per pixel any generator can reach on the batch `x` when $z$ and
# $x$ are independent (the first term of the decomposition, per pixel).


# %%
def mse_floor(x):
    raise NotImplementedError


def check_mse_floor(fn):
    x = data[:500]
    assert abs(fn(x) - ((x - x.mean(axis=0)) ** 2).mean()) < 1e-5 and abs(fn(data) - floor) < 1e-5


check_exercise(check_mse_floor, mse_floor)

# %% [markdown]
# **Exercise 3 — L1 does not help.** Under the mean *absolute* error the best constant is the per-pixel **median**.
# Return it for the batch `x`, then look at it: for MNIST most pixels' median is the background, so an L1 generator
# would output an almost empty image — still one image for every $z$.


# %%
def best_constant_l1(x):
    raise NotImplementedError


def check_best_constant_l1(fn):
    x = data[:501]
    g = fn(x)
    assert np.abs(g - x).mean() <= np.abs(x.mean(axis=0) - x).mean() + 1e-6, "the mean beats it under L1"
    assert np.allclose(g, np.median(x, axis=0))


check_exercise(check_best_constant_l1, best_constant_l1)
