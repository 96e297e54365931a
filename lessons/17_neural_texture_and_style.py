# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 17 — Neural texture and style: matching Gram matrices by optimising the pixels
#
# **Goal:** describe a texture by the correlations between a network's feature maps (Gram matrices), then make new
# images by gradient descent on their *pixels* until those statistics match — a new texture from noise (Gatys, Ecker &
# Bethge 2015), or a photograph repainted in a style (2016) — with a fixed network of random filters, L-BFGS, and
# every step measured; and compare the result with lesson 15's quilting.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 58 s, smoke mode 6 s
# (wall-clock). No GPU needed: `minigen.imaging` takes CuPy arrays too, but this lesson runs on the host.*

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigen.imaging import (
    RandomMultiScale,
    VGG19Features,
    content_distance,
    gram_matrix,
    neural_texture,
    quilt,
    sample_image,
    style_distance,
    style_loss,
    style_transfer,
    tv_loss,
)
from minigen.imaging.features import VGG19_CONFIG, VGG19_LAYERS
from minigen.optim import LBFGS, Adam
from minigen.tensor import Tensor, no_grad

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

print("device available:", pick_device(), "| this lesson runs on the CPU | smoke mode:", SMOKE)
started = time.perf_counter()


def downsample(image, factor):
    """Average factor x factor squares of pixels: a smaller picture of the same scene."""
    h, w = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    return image[:h, :w].reshape(h // factor, factor, w // factor, factor, *image.shape[2:]).mean(axis=(1, 3))


def as_batch(image, dtype=np.float32):
    """An (H, W) or (H, W, 3) image as the (1, 3, H, W) batch a network takes (grey: three equal channels)."""
    image = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
    return image.transpose(2, 0, 1)[None].astype(dtype)


def mean_squared_gradient(image):
    """The mean of (horizontal difference)^2 plus the mean of (vertical difference)^2: how much edge there is."""
    return float((np.diff(image, axis=1) ** 2).mean() + (np.diff(image, axis=0) ** 2).mean())


def show_row(images, titles, size=3.2):
    """A row of images with titles (grey ones drawn in [0, 1])."""
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size * 1.05))
    for ax, image, title in zip(np.atleast_1d(axes), images, titles):
        ax.imshow(np.clip(image, 0, 1), cmap=None if image.ndim == 3 else "gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    plt.show()


# %% [markdown]
# ## 1. What a Gram matrix measures, and what it throws away
#
# Lesson 15 described a texture by its pixels and copied them. Here we describe it by **statistics** and make an
# image that has the same statistics. Which statistics? Pass the image through a convolutional network. Layer $l$
# gives $C_l$ feature maps of $H_l \times W_l$ positions; write each map as one row of a matrix
# $F_l \in \mathbb R^{C_l \times H_l W_l}$. Its **Gram matrix** is
# $$G_l = \frac{1}{C_l H_l W_l}\, F_l F_l^\top,\qquad
# (G_l)_{ij} = \frac{1}{C_l}\cdot\frac{1}{H_l W_l}\sum_{p} F_{l,i}(p)\, F_{l,j}(p):$$
# for every pair of channels $(i, j)$, how strongly they fire **at the same place**, averaged over all places $p$.
# "Vertical edge here tends to come with bright on its left" is in $G$; *where* that happens is not. The sum over $p$
# does not care about the order of the positions: **any permutation of the positions leaves $G$ unchanged.**
#
# That is exactly the stationarity of a texture (lesson 15, section 1) written as a formula, and also its limit: a
# Gram matrix cannot tell a picture from a shuffle of it. We measure with the recipes' own yardstick, the relative
# style distance
# $$d_\text{style}(x, s) = \sum_l w_l\, \lVert G_l(x) - G_l(s)\rVert^2,\qquad
# w_l = \frac{1}{L\,\lVert G_l(s)\rVert^2},$$
# (`minigen.imaging.style_distance`), so that $d = 0$ is "the same statistics" and $d = 1$ is "as far as a blank image"
# (a mid-grey image has all features 0 in minigen's random network, whose input is centred, $x - 0.5$).
#
# First $G$ by hand against minigen's `gram_matrix` (in `minigen/imaging/neural.py`, class `GramMatrix`), on the
# default network of section 3 and a crop of the cat. Then three images with (nearly) the same Gram matrices:
#
# * the cat's **pixels randomly permuted**, seen through a network of **1×1 filters**: each feature at $p$ depends
#   on pixel $p$ alone, so permuting pixels permutes the positions of the features, and $G$ is unchanged exactly;
# * the cat cut into **tiles, shuffled**, seen through the default network of 3×3 and 5×5 filters on three scales:
#   the neighbourhoods inside each tile are intact; only the few positions near the tile borders change;
# * for scale, a **different photograph** (the coffee cup) and the **blank** image.

# %%
cat = downsample(sample_image("chelsea"), 2)[:128, 40:168]  # (128, 128, 3): the cat's face
network = RandomMultiScale()  # the default network of style_distance and the recipes
with no_grad():
    features = network(Tensor(as_batch(cat)))
F = features[0].data[0]  # layer 0: (C, H, W)
C, H, W = F.shape
G_by_hand = F.reshape(C, H * W) @ F.reshape(C, H * W).T / (C * H * W)
G_minigen = gram_matrix(features[0]).data[0]
print("feature maps of the network's layers:", [tuple(f.shape) for f in features])
print(f"layer 0: F is {C} x {H * W}, G is {G_minigen.shape}; largest |G_by_hand - gram_matrix| "
      f"{np.abs(G_by_hand - G_minigen).max():.1e} (largest entry {np.abs(G_minigen).max():.1e})")


def shuffle_tiles(image, tile, rng):
    """``image`` cut into tile x tile squares, put back in a random order."""
    n = image.shape[0] // tile
    tiles = [image[i * tile : (i + 1) * tile, j * tile : (j + 1) * tile] for i in range(n) for j in range(n)]
    order = rng.permutation(len(tiles))
    return np.concatenate([np.concatenate([tiles[order[i * n + j]] for j in range(n)], axis=1) for i in range(n)])


rng = np.random.default_rng(0)
scrambled = cat.reshape(-1, 3)[rng.permutation(128 * 128)].reshape(cat.shape)
one_by_one = RandomMultiScale(kernel_sizes=(1,), octaves=(0,))  # 64 random 1x1 filters
d_scrambled_1x1 = style_distance(scrambled, cat, one_by_one)
d_scrambled = style_distance(scrambled, cat)
shuffled = {tile: shuffle_tiles(cat, tile, rng) for tile in (64, 32, 16)}
d_shuffled = {tile: style_distance(image, cat) for tile, image in shuffled.items()}
coffee = downsample(sample_image("coffee"), 2)[:128, 60:188]
d_coffee = style_distance(coffee, cat)
d_blank = style_distance(np.full_like(cat, 0.5), cat)
print(f"pixels permuted:  1x1 network {d_scrambled_1x1:.1e}   default network {d_scrambled:.3f}")
for tile, distance in d_shuffled.items():
    print(f"{tile:2d}x{tile:<2d} tiles shuffled: default network {distance:.4f}")
print(f"another photo (coffee): {d_coffee:.3f}   blank (mid-grey): {d_blank:.3f}")
show_images(np.stack([shuffled[tile] for tile in shuffled]).transpose(0, 3, 1, 2), nrow=3,
            title="tiles of 64, 32 and 16 pixels, shuffled")
plt.show()
show_row([cat, scrambled, shuffled[32], coffee],
         ["the cat", f"pixels permuted\n1x1 net: d = {d_scrambled_1x1:.0e}", f"32x32 tiles shuffled\nd = "
          f"{d_shuffled[32]:.4f}", f"coffee\nd = {d_coffee:.2f}"])

# %% [markdown]
# Read the numbers (they are the same in smoke and full mode). The hand formula is minigen's to the last bit. The
# permuted pixels have the cat's Gram matrix through 1×1 filters to rounding ($10^{-14}$): a Gram matrix of pointwise
# features is a statistic of the colour histogram and nothing else. Through the default network's 3×3 and 5×5 filters
# the same scramble is far away (0.1: every neighbourhood is noise now). The shuffled tiles stay close: shuffling
# 32×32 tiles moves the style distance by 0.002 while the picture is destroyed, and the coffee photograph is about a
# thousand times farther. The smaller the tiles, the more positions sit near a tile border and the larger the
# distance — the Gram matrix "sees" structure only up to its filters' reach. Keep that in mind: it is why
# neural textures lose long-range structure (sections 3 and 7), and why style transfer needs a second, position-bound
# loss (section 5).
#
# ## 2. Optimising the input instead of the weights
#
# Every earlier lesson fixed the data and moved the weights $\theta$ along $-\partial L/\partial\theta$. Now the
# network is **fixed** (its filters have `requires_grad=False`) and the **image is the parameter**. Nothing new is
# needed: the autograd of lessons 1–5 computes $\partial L/\partial x$ as readily as $\partial L/\partial\theta$,
# because the input is just another leaf of the graph. For the style loss the chain is
# $$\frac{\partial L}{\partial G_l} = 2 w_l\,(G_l - G_l(s)),\qquad
# \frac{\partial L}{\partial F_l} = \frac{1}{C_l H_l W_l}\Big(\frac{\partial L}{\partial G_l}
# + \frac{\partial L}{\partial G_l}^{\!\top}\Big) F_l,\qquad
# \frac{\partial L}{\partial x} = \sum_l \Big(\frac{\partial F_l}{\partial x}\Big)^{\!\top}
# \frac{\partial L}{\partial F_l},$$
# the middle one being `GramMatrix.backward`, the last one the ReLU's and the convolution's backward with respect to
# their *input* (lesson 5), then the pyramid's blur and the centring.
#
# The recipes do not move the pixels $x$ directly but logits $z$, with $x = \sigma(z)$: every image tried is then
# inside $(0, 1)$, with no clamping (clamping after a step would change the pixels behind the optimiser's back, which
# breaks L-BFGS's curvature pairs of section 4). The chain rule adds one factor,
# $\partial L/\partial z = \partial L/\partial x \cdot \sigma(z)(1 - \sigma(z))$.
#
# We check one entry of $\partial L/\partial x$ against a central difference (lesson 3), in float64 (a copy of the
# network cast with `.double()`), on a small 32×32 problem: match the Gram matrices of a crop of gravel from random
# pixels.

# %%
network64 = RandomMultiScale().double()
gravel = sample_image("gravel").astype(np.float64)
with no_grad():
    small_targets = [gram_matrix(f).data for f in network64(Tensor(as_batch(gravel[:32, :32], np.float64)))]


def texture_loss(pixels):
    """L_style of a (1, 3, 32, 32) batch against the gravel crop, through the float64 network."""
    return style_loss(network64(pixels), small_targets)


x0 = np.random.default_rng(1).random((1, 3, 32, 32))
x = Tensor(x0.copy(), requires_grad=True)
loss = texture_loss(x)
loss.backward()
print(f"L = {loss.item():.4f}; x.grad has shape {x.grad.shape}; the filters' grads: "
      f"{[p.grad for p in network64.parameters()][:2]} (they are constants)")

entry, h = (0, 1, 10, 17), 1e-5
plus, minus = x0.copy(), x0.copy()
plus[entry] += h
minus[entry] -= h
with no_grad():
    finite_difference = (texture_loss(Tensor(plus)).item() - texture_loss(Tensor(minus)).item()) / (2 * h)
autograd_entry = float(x.grad.data[entry])
gradient_error = abs(autograd_entry - finite_difference) / abs(finite_difference)
print(f"dL/dx{list(entry)}: autograd {autograd_entry:.10f}, central difference {finite_difference:.10f}, "
      f"relative error {gradient_error:.1e}")

z = Tensor(np.log(x0) - np.log1p(-x0), requires_grad=True)  # the logits of the same pixels
texture_loss(z.sigmoid()).backward()
sigmoid_error = np.abs(z.grad.data - x.grad.data * x0 * (1 - x0)).max() / np.abs(z.grad.data).max()
print(f"dL/dz = dL/dx * x (1 - x): largest relative difference {sigmoid_error:.1e}")

# %% [markdown]
# The gradient with respect to one pixel agrees with the central difference to a few parts in $10^9$ (the printed
# relative error), and the filters received no gradient at all. From here on, "training" means moving the pixels.
#
# ## 3. A network of random filters already makes textures
#
# Gatys et al. used the ImageNet-trained VGG-19. Ustyuzhaninov, Brendel, Gatys & Bethge ("What does it take to generate
# natural textures?", 2017) asked how much of that training is needed, and found: for textures, almost none. One
# layer of **random** filters at **several scales**, with a ReLU, gives Gram matrices that synthesise textures close
# to VGG's. minigen's default, `RandomMultiScale` (in `minigen/imaging/features.py`), has a few **branches** of 64
# random filters each (drawn from $\mathcal N(0, 1)$, each scaled to unit norm, no bias): small filters on the image,
# and 5×5 filters on the image blurred and halved once, twice, ... (a binomial pyramid, so a coarse branch sees far for
# the cost of a 5×5 filter). No training, no download; the cell below prints the branches.
#
# Why should random filters work? Take a branch with filters $w_1, \dots, w_C$ and the image patch $P(p)$ around
# position $p$. Its Gram entry is $(G)_{ij} \propto \operatorname{mean}_p\, \operatorname{relu}(w_i\cdot P(p))\,
# \operatorname{relu}(w_j\cdot P(p))$: the average, over the patches of the image, of a fixed nonlinear function of the
# patch. $C(C+1)/2$ such averages per branch ($2080$ for $C = 64$) are that many **moments of the distribution of
# patches** — random,
# but many and nonlinear (the ReLU makes them sensitive to more than the patches' covariance). Two images whose
# patches are distributed alike have equal moments; matching thousands of random moments pins the local patch
# distribution down, which is what a texture is (stationary and local, lesson 15). The idea is the same as testing
# whether two samples come from one distribution by comparing many random features of them. **Several scales**
# matter because a branch only constrains patches as large as its receptive field: structure larger than that is
# free.
#
# The receptive fields, computed from the layers (a 4-tap blur with stride 2 per octave, then the $k\times k$ filter):

# %%
def receptive_field(layers):
    """The side of the input window one output sees, for layers (kernel, stride) applied in order."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field, jump = field + (kernel - 1) * jump, jump * stride
    return field


for branch, (kernel, octave) in enumerate(zip(network.kernel_sizes, network.octaves)):
    layers = [(4, 2)] * octave + [(kernel, 1)]
    print(f"branch {branch}: {kernel}x{kernel} filters on octave {octave} -> receptive field "
          f"{receptive_field(layers)} pixels, {network.width} channels, {network.width * (network.width + 1) // 2} "
          f"distinct Gram entries")
coarsest_field = max(receptive_field([(4, 2)] * o + [(k, 1)]) for k, o in zip(network.kernel_sizes, network.octaves))
print(f"{len(network.kernel_sizes)} branches, {sum(p.numel() for p in network.parameters()):,} fixed numbers; "
      f"the coarsest branch sees {coarsest_field} x {coarsest_field} pixels")

# %% [markdown]
# The brick example is 128×128 (64×64 in smoke mode), with bricks about 20 pixels wide and 60 tall: the coarsest
# branch (printed above) sees a few bricks, the finest a piece of one mortar line. We run
# `neural_texture(example, size, steps)`: from noise $z \sim \mathcal N(0, 1)$, L-BFGS on the logits (section 4) for
# `steps` evaluations of the loss and its gradient at each resolution — first at half resolution against the example
# halved ("coarse-to-fine": a coarse layout is found cheaply, then upsampled and refined), then at full resolution
# (smoke mode's 64×64 is too small for a coarser level, so it has one). The
# `callback(step, loss, image)` lets us watch. The loss it reports is the relative style loss at the current level;
# for the overall drop we compare full-size images: the noise it starts from against the result.
#
# A second run uses a network with the 3×3 branch only: one scale. To judge both fairly we do not use the network
# they were optimised against (that would grade each on its own exam) but a **judge**: another random network, with a
# different seed and other scales (its receptive fields are printed).

# %%
brick = sample_image("brick")
example = smoke(brick[:128, :128], brick[:64, :64])
size, steps = example.shape[0], smoke(100, 40)
judge = RandomMultiScale(kernel_sizes=(3, 7, 7, 7, 7), octaves=(0, 0, 1, 2, 3), seed=1)
print("the judge's receptive fields:", [receptive_field([(4, 2)] * o + [(k, 1)])
                                        for k, o in zip(judge.kernel_sizes, judge.octaves)])
history = []
t0 = time.perf_counter()
texture = neural_texture(example, size, steps=steps, rng=0,
                         callback=lambda step, loss, image: history.append((step, loss, image)))
texture_seconds = time.perf_counter() - t0
noise = 1 / (1 + np.exp(-np.random.default_rng(0).standard_normal(example.shape).astype(np.float32)))
d_noise, d_texture = style_distance(noise, example), style_distance(texture, example)
texture_drop = d_noise / d_texture
print(f"{len(history)} evaluations in {texture_seconds:.1f} s ({1e3 * texture_seconds / len(history):.0f} ms each)")
print(f"style distance to the example: noise {d_noise:.3f} -> result {d_texture:.2e}, {texture_drop:.0f}x lower")

losses = np.array([loss for _, loss, _ in history])
total = len(history)
shown = sorted({0, 4, total // 5, total // 2 - 1, total // 2 + total // 20, total - 1})
levels = len({image.shape for _, _, image in history})
fig, axes = plt.subplots(1, len(shown), figsize=(2.4 * len(shown), 2.8))
for ax, k in zip(axes, shown):
    step, loss, image = history[k]
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"step {step} ({image.shape[0]}px)\nloss {loss:.1e}", fontsize=9)
    ax.axis("off")
plt.show()
plt.figure(figsize=(7, 3))
plt.semilogy(np.arange(1, len(losses) + 1), losses)
plt.xlabel("evaluation of the loss and its gradient")
plt.ylabel("relative style loss")
plt.title(f"neural_texture on brick, {levels} resolution(s)" + (": a jump at the move to full size" * (levels > 1)))
plt.show()
for k in shown:
    print(f"step {history[k][0]:3d}: image {history[k][2].shape}, loss {history[k][1]:.2e}")

one_scale = RandomMultiScale(kernel_sizes=(3,), octaves=(0,))
t0 = time.perf_counter()
texture_one_scale = neural_texture(example, size, steps=steps, rng=0, network=one_scale)
one_scale_seconds = time.perf_counter() - t0
judged = {"multi-scale": style_distance(texture, example, judge),
          "3x3 only": style_distance(texture_one_scale, example, judge)}
print(f"one scale: {one_scale_seconds:.1f} s; its own loss {style_distance(texture_one_scale, example, one_scale):.1e}")
print("judge's style distance to the example: " + ", ".join(f"{k} {v:.2e}" for k, v in judged.items()))
show_row([example, texture, texture_one_scale],
         ["the example", f"{len(network.kernel_sizes)} scales (default)\njudge: {judged['multi-scale']:.1e}",
          f"3x3 filters only\njudge: {judged['3x3 only']:.1e}"])

# %% [markdown]
# Noise becomes brick: within a few dozen evaluations the noise has turned into light lines on a darker ground, which
# then straighten and join (in full mode at half size first, then refined at full size). The style distance falls by
# orders of magnitude (the printed factor; a full run prints about 57000×, smoke mode about 3100×). The curve shows
# every evaluation, including the line search's trial points (section 4): the early spikes are trials that overshot
# and were rejected. In full mode it also jumps where the image is upsampled and the targets become the full-size
# example's.
#
# The 3×3-only network is matched even more closely by its own measure (the printed "own loss"), yet its brick is
# worse: mortar lines start and stop at random, and the shading drifts in large blotches — nothing constrains
# anything wider than 3 pixels. The judge agrees: its distance is tens to hundreds of times larger (the printed pair).
# The multi-scale brick has coherent bricks but not perfect ones: long lines bend or break, and some bricks merge.
# We come back to this with quilting in section 7.
#
# ## 4. L-BFGS, and why not Adam
#
# The loss is a smooth function of a few thousand to a hundred thousand pixels, deterministic (no mini-batches), and
# its gradient costs one backward pass: the setting where a **quasi-Newton** method shines. Newton's step is
# $d = -\nabla^2 L^{-1} g$, but the Hessian is far too large to form. **L-BFGS** (Liu & Nocedal 1989) models its
# inverse $H \approx \nabla^2 L^{-1}$ from the last $m$ steps alone: with $s_i = x_{i+1} - x_i$ (a step taken),
# $y_i = g_{i+1} - g_i$ (how the gradient changed along it) and $\rho_i = 1/(y_i^\top s_i)$, start from
# $H_0 = \gamma I$, $\gamma = s^\top y/(y^\top y)$ for the newest pair, and apply for each pair, oldest first, the BFGS
# update
# $$H \leftarrow (I - \rho_i s_i y_i^\top)\, H\, (I - \rho_i y_i s_i^\top) + \rho_i s_i s_i^\top,$$
# the least change of $H$ (symmetric) that satisfies the **secant condition** $H y_i = s_i$ — "the curvature seen
# along the last step". $H$ is never formed: unrolled, $d = -Hg$ needs only dot products, the **two-loop recursion**
# (Nocedal & Wright, algorithm 7.4):
# $$\begin{aligned}
# &q \leftarrow -g\\
# &\text{for } i = \text{newest} \dots \text{oldest}:\quad \alpha_i \leftarrow \rho_i\, s_i^\top q,\quad
#   q \leftarrow q - \alpha_i y_i\\
# &r \leftarrow \gamma q\\
# &\text{for } i = \text{oldest} \dots \text{newest}:\quad \beta_i \leftarrow \rho_i\, y_i^\top r,\quad
#   r \leftarrow r + (\alpha_i - \beta_i)\, s_i\\
# &d = r
# \end{aligned}$$
# $O(mn)$ work and $2mn$ numbers of memory ($m = 50$ pairs in the recipes). The step length along $d$ comes from a
# **strong-Wolfe line search** (enough decrease, and a slope that has flattened enough), which is why one iteration
# may cost one evaluation of the loss or a few. minigen's `LBFGS` (in `minigen/optim/lbfgs.py`; the two loops are
# `LBFGS._direction`) has PyTorch's interface: `step(closure)`, the closure recomputing the loss and its gradient.
#
# First, the recursion against the dense matrix it stands for, on random pairs from a quadratic ($y_i = A s_i$):

# %%
rng = np.random.default_rng(2)
n, m = 8, 5
A = rng.normal(size=(n, n))
A = A @ A.T + n * np.eye(n)  # a symmetric positive definite Hessian
s_pairs = [rng.normal(size=n) for _ in range(m)]
y_pairs = [A @ s for s in s_pairs]
rho = [1 / (y @ s) for s, y in zip(s_pairs, y_pairs)]
gamma = (s_pairs[-1] @ y_pairs[-1]) / (y_pairs[-1] @ y_pairs[-1])
H_dense = gamma * np.eye(n)
for s, y, r in zip(s_pairs, y_pairs, rho):  # the BFGS updates, oldest pair first
    H_dense = (np.eye(n) - r * np.outer(s, y)) @ H_dense @ (np.eye(n) - r * np.outer(y, s)) + r * np.outer(s, s)
g = rng.normal(size=n)
d_two_loop = LBFGS._direction(g, s_pairs, y_pairs, rho, gamma, [None] * m)
two_loop_error = np.abs(d_two_loop + H_dense @ g).max() / np.abs(H_dense @ g).max()
print(f"two-loop recursion vs -H g with H formed: largest relative difference {two_loop_error:.1e}")
print(f"secant condition for the newest pair, |H y - s| / |s|: "
      f"{np.linalg.norm(H_dense @ y_pairs[-1] - s_pairs[-1]) / np.linalg.norm(s_pairs[-1]):.1e}")

# %% [markdown]
# Now the real problem: brick, a smaller crop, the same noise, the same budget of evaluations of the loss and its
# gradient (the unit of cost: one Adam step is one evaluation; an L-BFGS iteration is one or a few), at one resolution.
# This is the loop `neural_texture` runs inside, written out: logits $z$, pixels $\sigma(z)$, the grey image seen as
# three equal channels. The loss is multiplied by the number of pixels before `backward()`, as the recipe does, so
# that per-pixel gradients are of order 1 whatever the size. Adam gets the recipe's learning rate (0.05 on the logits)
# and two larger ones, so that the comparison is not against a badly tuned Adam.

# %%
crop = smoke(64, 32)
small_example = brick[:crop, :crop]
budget = smoke(150, 30)
with no_grad():
    small_targets = [gram_matrix(f).data for f in network(Tensor(as_batch(small_example)))]
start = np.random.default_rng(0).standard_normal((1, 1, crop, crop)).astype(np.float32)


def optimise(make_optimizer, budget):
    """Minimise the style loss of sigmoid(z) from ``start``: the loss at every evaluation, and the seconds."""
    z = Tensor(start.copy(), requires_grad=True)
    optimizer = make_optimizer(z)
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = style_loss(network(z.sigmoid().broadcast_to((1, 3, crop, crop))), small_targets)
        losses.append(loss.item())
        (loss * z.numel()).backward()
        return loss

    t0 = time.perf_counter()
    while len(losses) < budget:
        optimizer.step(closure)
    return np.array(losses[:budget]), time.perf_counter() - t0


runs = {"L-BFGS (strong Wolfe, m = 50)": optimise(
    lambda z: LBFGS([z], lr=1, max_iter=budget, max_eval=budget, history_size=50, tolerance_grad=0.0,
                    tolerance_change=0.0, line_search_fn="strong_wolfe"), budget)}
for lr in (0.05, 0.1, 0.2):
    runs[f"Adam, lr {lr}"] = optimise(lambda z, lr=lr: Adam([z], lr=lr), budget)
plt.figure(figsize=(7, 3.5))
for name, (curve, _) in runs.items():
    plt.semilogy(np.arange(1, budget + 1), curve, label=name)
plt.xlabel("evaluations of the loss and its gradient")
plt.ylabel("relative style loss")
plt.legend()
plt.title(f"{crop}x{crop} brick from noise")
plt.show()
for name, (curve, seconds) in runs.items():
    print(f"{name:30s} final loss {curve[-1]:.2e}, best {curve.min():.2e}, {seconds:.1f} s")
final = {name: curve.min() for name, (curve, _) in runs.items()}  # the recipes keep the best image seen
lbfgs_final = final["L-BFGS (strong Wolfe, m = 50)"]
best_adam = min(value for name, value in final.items() if name.startswith("Adam"))
print(f"best Adam / L-BFGS: {best_adam / lbfgs_final:.1f}x")

# %% [markdown]
# With the same number of evaluations L-BFGS ends lower than Adam at every learning rate tried (the printed ratio to
# the best Adam: a full run prints about 14×; smoke mode's 30 evaluations about 5×), at about the same cost per
# evaluation (the two loops are cheap next to a forward and backward pass). It is not ahead from the start: in the
# full run's curve, for its first dozen or two evaluations, while its history of pairs is short and its line search
# tries steps that overshoot (the spikes), Adam leads; then the curvature model pays. Adam's learning rate is a
# compromise: large enough to move early, small enough not to rattle late. L-BFGS needs none — the line search
# chooses each step, and the curvature pairs rescale the directions. (On gravel, a stochastic texture, the same
# experiment gives a smaller gap: try it.) PyTorch's L-BFGS without a line search, its default, is fragile here: an
# overshoot can saturate pixels at $\sigma(z) \approx 0$ or $1$, where their gradient vanishes. The recipes always use
# the line search (`neural_texture(..., optimizer="adam")` runs the other one).
#
# ## 5. Style transfer: content from one image, style from another
#
# Gatys, Ecker & Bethge (2016) combine two losses. The **style loss** is section 1's Gram-matrix distance to a style
# image $a$. The **content loss** compares the feature maps *themselves* — positions included — with those of a
# content photograph $c$, at a deep layer (VGG's `relu4_2`; here the coarsest branch of section 3, whose wide window
# sees layout, not fine texture):
# $$L(x) = \alpha\, \underbrace{\frac{\lVert F_l(x) - F_l(c)\rVert^2}{\lVert F_l(c)\rVert^2}}_{L_\text{content}}
# \;+\; \beta\, L_\text{style}(x, a) \;+\; \gamma\, L_\text{tv}(x),$$
# with $L_\text{tv}$ a smoothness term (exercise 2) that we switch off at first ($\gamma = 0$, the paper's loss).
# Section 1 tells why this division of labour works: the Gram matrices throw away *where*, which is what content is;
# the feature maps keep it. `style_transfer(content, style, steps, style_weight=β, content_weight=α, tv_weight=γ)`
# starts from the content image and minimises $L$ like the textures.
#
# The content: the cat (at a third of its size; smaller in smoke mode). The style: the brick, painted with a colour map
# so that colour transfers too. A grid over $(\beta, \alpha)$, with each cell's style distance to the brick and
# content distance to the cat (both as the loss defines them, without the weights).

# %%
factor = smoke(3, 6)
content = downsample(sample_image("chelsea"), factor)
style = plt.cm.magma(downsample(brick, smoke(2, 4)))[:, :, :3].astype(np.float32)  # a colour brick texture
transfer_steps = smoke(60, 15)
style_weights, content_weights = (1.0, 10.0), (0.01, 0.1, 1.0)
grid, distances = {}, {}
t0 = time.perf_counter()
for beta in style_weights:
    for alpha in content_weights:
        grid[beta, alpha] = style_transfer(content, style, steps=transfer_steps, style_weight=beta,
                                           content_weight=alpha, tv_weight=0.0)
        distances[beta, alpha] = (style_distance(grid[beta, alpha], style),
                                  content_distance(grid[beta, alpha], content))
transfer_seconds = time.perf_counter() - t0
content_own_style = style_distance(content, style)
print(f"content {content.shape}, style {style.shape}; {len(grid)} transfers in {transfer_seconds:.1f} s")
print(f"the content image itself: style distance {content_own_style:.3f}, content distance "
      f"{content_distance(content, content):.3f}")
for (beta, alpha), (d_style, d_content) in distances.items():
    print(f"style_weight {beta:4.0f}, content_weight {alpha:4.2f} (ratio {beta / alpha:6.0f}): "
          f"style distance {d_style:.2e}, content distance {d_content:.3f}")

fig, axes = plt.subplots(len(style_weights), len(content_weights) + 1, figsize=(14, 5.2))
axes[0, 0].imshow(content)
axes[0, 0].set_title("content")
axes[1, 0].imshow(style)
axes[1, 0].set_title("style")
for i, beta in enumerate(style_weights):
    for j, alpha in enumerate(content_weights):
        d_style, d_content = distances[beta, alpha]
        axes[i, j + 1].imshow(np.clip(grid[beta, alpha], 0, 1))
        axes[i, j + 1].set_title(f"β {beta:g}, α {alpha:g}: style {d_style:.1e}, content {d_content:.2f}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %% [markdown]
# Along each row, more content weight keeps more of the cat — its colours come back, the content distance falls — and
# the brick pattern fades (the style distance rises). Every cell's style distance is far below the cat's own (the
# printed baseline, about 0.9): even the most faithful cat has taken on the brick's statistics. The cells on a
# diagonal are **the same picture** to rounding, with the same distances: $(\beta, \alpha) = (1, 0.01)$ and
# $(10, 0.1)$, and $(1, 0.1)$ and $(10, 1)$. Only the ratio $\beta/\alpha$ matters: multiplying the whole loss by
# a constant changes neither L-BFGS's directions (the curvature pairs rescale) nor where the line search stops. The
# one real knob is $\beta/\alpha$ (and the number of steps, since we stop long before convergence).
#
# Look closely at the cells with much style: fine stripes and a grid-like grain cover the cat, finer than anything in
# the brick. The Gram matrices of a few small filters leave high frequencies loosely constrained, and the optimiser
# fills them with whatever lowers the loss. The total-variation term penalises exactly that. `style_transfer`'s
# defaults (`style_weight=1, content_weight=0.5, tv_weight=1`) are minigen's recipe for the random network; we run
# them with and without the TV term and measure the grain as gradient energy relative to the cat's.

# %%
recipe = {}
for gamma in (0.0, 1.0):
    image = style_transfer(content, style, steps=transfer_steps, style_weight=1.0, content_weight=0.5,
                           tv_weight=gamma)
    recipe[gamma] = dict(image=image, style=style_distance(image, style), content=content_distance(image, content),
                         grain=mean_squared_gradient(image) / mean_squared_gradient(content))
    print(f"style 1, content 0.5, tv {gamma:g}: style distance {recipe[gamma]['style']:.3f}, content distance "
          f"{recipe[gamma]['content']:.3f}, gradient energy / the cat's {recipe[gamma]['grain']:.2f}")
show_row([content, recipe[0.0]["image"], recipe[1.0]["image"]],
         ["content", f"β 1, α 0.5, γ 0\ngradient energy {recipe[0.0]['grain']:.1f}x the cat's",
          f"β 1, α 0.5, γ 1 (the defaults)\ngradient energy {recipe[1.0]['grain']:.1f}x the cat's"], size=4)

# %% [markdown]
# Without the TV term the result carries many times the cat's gradient energy (a full run prints about 15×; the smaller
# smoke images about 2×): that is the grain. With $\gamma = 1$ it falls below the cat's own, while the style distance
# barely moves (the printed pair): the grain was not what made it brick-like. Too much TV blurs, of course; exercise 2
# builds the term and its gradient.
#
# ## 6. Random filters against trained ones
#
# The random network knows nothing about the world: its filters are directions in patch space, chosen by a seed. It
# matches **local** statistics up to its coarsest window (section 3). An ImageNet-trained VGG-19 (Simonyan &
# Zisserman 2015) adds two things:
#
# * **depth, hence reach**: 16 convolutions and 4 poolings before `relu5_1`; its deep layers see windows far wider
#   than any branch of ours (printed below), so its Gram matrices constrain long mortar lines, the layout of a
#   pattern, the shape of a brushstroke;
# * **meaning**: trained filters respond to edges and colour blobs at first, then to textures, parts and objects.
#   Its Gram matrices describe "fur next to eye" rather than "random projection 17 next to 42", and its content layer
#   `relu4_2` keeps *what* is where while letting the rendering change — why Gatys et al.'s cats stay cats under
#   heavy style.
#
# The price is size and weights to obtain. minigen's `VGG19Features` has torchvision's layout (module indices,
# state-dict keys `"0.weight"`…`"34.bias"`), so torchvision's ImageNet weights load once converted to a plain `.npz`
# in an environment with PyTorch (minigen never unpickles):
#
# ```python
# import minigen, torchvision
# model = torchvision.models.vgg19(weights="IMAGENET1K_V1")
# minigen.save({k: v.numpy() for k, v in model.features.state_dict().items()}, "vgg19_features.npz")
# ```
#
# and then `network = VGG19Features(weights="vgg19_features.npz")`, passed as `network=` to `neural_texture`,
# `style_transfer`, `style_distance` (`style_layers=` and `content_layers=` choose the layers by name). We have no
# weights here, so we only build the network (PyTorch's random initialisation, useless for style) to see its layout
# and time one forward pass against the random network's.

# %%
vgg = VGG19Features()
probe = Tensor(np.random.default_rng(3).random((1, 3, 128, 128)).astype(np.float32))
forward_ms = {}
for name, net in [("VGG19Features", vgg), ("RandomMultiScale", network)]:
    with no_grad():
        net(probe)  # a warm-up call, not timed
        t0 = time.perf_counter()
        outputs = net(probe)
        forward_ms[name] = 1e3 * (time.perf_counter() - t0)
    if name == "VGG19Features":
        vgg_features = outputs
layers, index = [], 0
vgg_fields = {}
for item in VGG19_CONFIG:  # (kernel, stride) of each conv and pool, in order, to read receptive fields off
    layers.append((2, 2) if item == "M" else (3, 1))
    index += 1 if item == "M" else 2
    vgg_fields[index - 1] = receptive_field(layers)
for name, feature in zip(vgg.layer_names, vgg_features):
    role = "content" if name == "relu4_2" else "style"
    print(f"{name:8s} ({role:7s}) module {VGG19_LAYERS[name]:2d}: features {tuple(feature.shape)} of a 128x128 "
          f"image, receptive field {vgg_fields[VGG19_LAYERS[name]]} pixels")
print(f"parameters: VGG19Features {sum(p.numel() for p in vgg.parameters()):,}, RandomMultiScale "
      f"{sum(p.numel() for p in network.parameters()):,}; state-dict keys {list(vgg.state_dict())[:4]} ...")
print(f"one forward pass on 128x128: VGG19Features {forward_ms['VGG19Features']:.0f} ms, RandomMultiScale "
      f"{forward_ms['RandomMultiScale']:.0f} ms ({forward_ms['VGG19Features'] / forward_ms['RandomMultiScale']:.0f}x)")

# %% [markdown]
# VGG's style layers reach from 3 to 156 pixels, against at most the coarsest branch's window for the random network;
# it holds about a thousand times more numbers, and a forward pass costs many times more (the printed ratio; the
# backward pass, twice the forward, scales alike). On a GPU the step costs little either way; on a laptop CPU the
# random network is what makes this lesson run in a minute. For textures it is close to VGG; for style transfer of
# real paintings onto real photographs, use the trained weights.
#
# %% [markdown]
# ## 7. Against quilting (lesson 15)
#
# Both methods take one example and no training. Quilting **copies** blocks and hides the joins; neural synthesis
# **matches statistics** and copies nothing. Same brick example, a larger result, and four measurements:
#
# * **time**;
# * **gradient energy** (lesson 15): mean squared image gradient over the example's — 1 is "as much edge as the brick";
#   in quilting's overlap bands, where its seams are, too;
# * **the judge's style distance** (section 3's held-out random network);
# * **copying**: for 300 random 8×8 patches of the result, the mean squared difference per pixel to the nearest 8×8
#   patch of the example. Zero means "copied". For scale, the same for a part of the brick photograph that is not in
#   the example: real, new brick.

# %%
def nearest_patch_distance(image, example, patch=8, samples=300, seed=0):
    """Mean over random patches of ``image`` of the least mean squared difference to any patch of ``example``."""
    bank = sliding_window_view(example, (patch, patch)).reshape(-1, patch * patch).astype(np.float64)
    rng = np.random.default_rng(seed)
    ys, xs = rng.integers(0, image.shape[0] - patch + 1, samples), rng.integers(0, image.shape[1] - patch + 1, samples)
    queries = np.stack([image[y : y + patch, x : x + patch].ravel() for y, x in zip(ys, xs)]).astype(np.float64)
    squared = (queries**2).sum(1)[:, None] + (bank**2).sum(1)[None, :] - 2 * queries @ bank.T  # |q - b|^2, all pairs
    return float(np.maximum(squared.min(axis=1), 0).mean() / patch**2)


def band_gradient_ratio(image, example, patch, overlap):
    """Mean squared gradient in quilting's overlap bands (where its seams are) over the example's whole-image one."""
    bands = np.zeros(image.shape[0] - 1, dtype=bool)
    for start in range(patch - overlap, image.shape[0] - overlap, patch - overlap):
        bands[start - 1 : start + overlap] = True
    in_bands = (np.diff(image, axis=1)[:, bands] ** 2).mean() + (np.diff(image, axis=0)[bands] ** 2).mean()
    return float(in_bands / mean_squared_gradient(example))


out_size = smoke(192, 96)
patch = min(example.shape[0] // 4, 48)  # quilt's defaults for this example: B, and the overlap B // 6
overlap = max(1, patch // 6)
t0 = time.perf_counter()
quilted = quilt(example, out_size, rng=0)
quilt_seconds = time.perf_counter() - t0
t0 = time.perf_counter()
neural = neural_texture(example, out_size, steps=smoke(100, 30), rng=0)
neural_seconds = time.perf_counter() - t0
unseen = brick[128:, 128:] if not SMOKE else brick[128:192, 128:192]  # brick the example does not contain
compared = {}
for name, image, seconds in [("quilt", quilted, quilt_seconds), ("neural_texture", neural, neural_seconds),
                             ("unseen brick", unseen, None)]:
    compared[name] = dict(
        seconds=seconds,
        gradient=mean_squared_gradient(image) / mean_squared_gradient(example),
        bands=band_gradient_ratio(image, example, patch, overlap),
        judge=style_distance(image, example, judge),
        copy=nearest_patch_distance(image, example),
    )
for name, c in compared.items():
    timing = f"{c['seconds']:6.2f} s" if c["seconds"] is not None else "    --  "
    print(f"{name:15s} {timing} | gradient energy / example's {c['gradient']:.2f} (quilt's seam bands "
          f"{c['bands']:.2f}) | judge {c['judge']:.2e} | nearest 8x8 patch {c['copy']:.1e}")

zoom = slice(0, out_size // 2)
fig, axes = plt.subplots(2, 3, figsize=(12, 8.4))
for column, (image, title) in enumerate([(example, "the example"), (quilted, "quilt"), (neural, "neural_texture")]):
    axes[0, column].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[0, column].set_title(title if column == 0 else f"{title}: {compared[title]['seconds']:.2f} s, judge "
                              f"{compared[title]['judge']:.1e}", fontsize=9)
    axes[1, column].imshow(image[zoom, zoom], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[1, column].set_title("top-left quarter, enlarged", fontsize=9)
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %% [markdown]
# What the numbers and the pictures say together (the figures quoted are a full run's, 192×192 from the 128×128
# example; smoke mode makes 96×96 from a 64×64 example, and its numbers differ):
#
# * **Copying.** Quilting's nearest-patch distance is nearly zero (7e-5): almost every 8×8 patch is in the example
#   verbatim, all but those cut by a seam. The neural texture's patches are new (1e-3), about as far from the example
#   as real brick from elsewhere in the photograph (8e-4). It *makes* brick rather than copying it.
# * **Seams against structure.** Both have the example's amount of edge (gradient ratios 1.02 and 1.00), and in
#   quilting's seam bands too (0.98): its cuts hide well. Quilting's bricks are whole and straight, because each
#   block carries real bricks. The neural brick has no seams anywhere, but look at the enlargement: mortar lines
#   wobble and stop, some bricks merge into smooth blotches, others split. Nothing constrains a line longer than the
#   coarsest window.
# * **Statistics.** The judge prefers the neural texture by a factor of about a hundred (1.4e-4 against 1.6e-2), and
#   puts quilting level with real, unseen brick (1.4e-2). Yet to the eye the quilt is the better brick. A Gram
#   distance is blind to exactly what section 1 showed it throws away — where things are, hence whether a line
#   continues — and a judge of the same family as the objective rewards the image optimised for that family. Measure
#   textures by more than one statistic, and look at them.
# * **Time.** Quilting takes hundredths of a second, the neural texture tens of seconds on this CPU (the printed
#   times): a few hundred forward and backward passes. A GPU narrows the gap; it does not close it.
#
# Which to use? For a texture alone, quilting is cheaper and, for structured ones like brick, better. Neural synthesis
# wins where copying is not allowed or not possible: style transfer (there is no block of brick-shaped cat to copy),
# textures that must be new, or a differentiable objective that other losses can join — and, with trained filters,
# structure at larger scales.
#
# ## Self-check

# %%
assert np.allclose(G_by_hand, G_minigen, rtol=1e-6, atol=1e-9), "gram_matrix must equal F F^T / (C H W)"
assert d_scrambled_1x1 < 1e-8, f"permuted pixels keep a 1x1 network's Gram matrices ({d_scrambled_1x1:.1e})"
assert d_shuffled[32] < 0.01 * d_coffee, "shuffled tiles must be far closer in style than another photograph"
assert gradient_error < 1e-6, f"dL/dx must match the central difference ({gradient_error:.1e})"
assert sigmoid_error < 1e-10, "dL/dz = dL/dx x (1 - x)"
assert two_loop_error < 1e-10, "the two-loop recursion must equal -H g with H formed by the BFGS updates"
assert texture_drop >= 100, f"the style distance must fall at least 100x from noise (fell {texture_drop:.0f}x)"
assert judged["multi-scale"] < judged["3x3 only"], "several scales must beat one by the judge's measure"
assert lbfgs_final < best_adam, f"L-BFGS must end lower than Adam in the same budget ({lbfgs_final}, {best_adam})"
assert all(d_style < content_own_style for d_style, _ in distances.values()), "transfers must move toward the style"
assert recipe[1.0]["grain"] < 0.5 * recipe[0.0]["grain"], "the TV term must remove most of the grain"
assert distances[1.0, 1.0][1] < distances[1.0, 0.01][1], "more content weight must keep more content"
assert compared["quilt"]["copy"] < 0.2 * compared["neural_texture"]["copy"], "quilting copies, the neural one not"
print(f"texture: {texture_drop:.0f}x drop; L-BFGS {lbfgs_final:.1e} vs best Adam {best_adam:.1e}; transfer style "
      f"distances {min(d for d, _ in distances.values()):.1e}..{max(d for d, _ in distances.values()):.2f} "
      f"(content's own {content_own_style:.2f})")
print(f"Lesson 17 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the Gram matrix and its backward.** Given features `F` of shape (N, C, H, W) and the gradient of a
# loss with respect to the Gram matrices, `dG` of shape (N, C, C), return `(G, dF)`: the Gram matrices
# $G = F F^\top/(CHW)$ per image, and $\partial L/\partial F$ (section 2's middle formula), with NumPy only.

# %%
def gram_and_backward(F, dG):
    raise NotImplementedError


def check_gram_and_backward(fn):
    rng = np.random.default_rng(4)
    for shape in [(1, 4, 5, 6), (2, 3, 7, 2)]:
        F, dG = rng.normal(size=shape), rng.normal(size=(shape[0], shape[1], shape[1]))
        G, dF = fn(F, dG)
        features = Tensor(F.copy(), requires_grad=True)
        expected = gram_matrix(features)
        (expected * Tensor(dG)).sum().backward()
        assert np.shape(G) == expected.shape and np.shape(dF) == shape, "G is (N, C, C), dF like F"
        np.testing.assert_allclose(G, expected.data, rtol=1e-10, atol=1e-12, err_msg="G differs from gram_matrix")
        np.testing.assert_allclose(dF, features.grad.data, rtol=1e-10, atol=1e-12, err_msg="dF differs from autograd")


check_exercise(check_gram_and_backward, gram_and_backward)

# %% [markdown]
# **Exercise 2 — the total-variation loss and its gradient.** For images `x` of shape (N, C, H, W) return
# `(value, grad)` with $L_\text{tv} = \operatorname{mean}(x_{i+1,j} - x_{ij})^2 + \operatorname{mean}(x_{i,j+1} -
# x_{ij})^2$ (each mean over all the differences along that axis) and its gradient with respect to `x`, without
# autograd. (Section 5 measured what it does to the grain; try other `tv_weight`s there.)

# %%
def tv_value_and_grad(x):
    raise NotImplementedError


def check_tv_value_and_grad(fn):
    rng = np.random.default_rng(5)
    for shape in [(1, 1, 6, 7), (2, 3, 4, 3), (1, 1, 2, 2)]:
        x = rng.random(shape)
        value, grad = fn(x)
        image = Tensor(x.copy(), requires_grad=True)
        expected = tv_loss(image)
        expected.backward()
        assert np.shape(grad) == shape, f"the gradient has the image's shape {shape}, got {np.shape(grad)}"
        np.testing.assert_allclose(value, expected.item(), rtol=1e-12, err_msg="the value differs from tv_loss")
        np.testing.assert_allclose(grad, image.grad.data, rtol=1e-10, atol=1e-14, err_msg="the gradient differs")


check_exercise(check_tv_value_and_grad, tv_value_and_grad)

# %% [markdown]
# **Exercise 3 — the two-loop recursion.** Given the gradient `g` (n,), the lists `s_history` and `y_history` of
# (n,) arrays (oldest first, at least one pair), return the L-BFGS direction $d = -Hg$ by section 4's two loops, with
# $\rho_i = 1/(y_i^\top s_i)$ and $\gamma = s^\top y / y^\top y$ of the newest pair — without forming $H$.

# %%
def two_loop_direction(g, s_history, y_history):
    raise NotImplementedError


def check_two_loop_direction(fn):
    rng = np.random.default_rng(6)
    for n, m in [(5, 1), (10, 4), (30, 12)]:
        A = rng.normal(size=(n, n))
        A = A @ A.T + n * np.eye(n)
        s_list = [rng.normal(size=n) for _ in range(m)]
        y_list = [A @ s for s in s_list]
        g = rng.normal(size=n)
        d = np.asarray(fn(g, [s.copy() for s in s_list], [y.copy() for y in y_list]))
        rho = [1 / (y @ s) for s, y in zip(s_list, y_list)]
        gamma = (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1])
        H = gamma * np.eye(n)
        for s, y, r in zip(s_list, y_list, rho):
            H = (np.eye(n) - r * np.outer(s, y)) @ H @ (np.eye(n) - r * np.outer(y, s)) + r * np.outer(s, s)
        np.testing.assert_allclose(d, -H @ g, rtol=1e-8, atol=1e-12, err_msg="d differs from -H g")
        np.testing.assert_allclose(d, LBFGS._direction(g, s_list, y_list, rho, gamma, [None] * m), rtol=1e-8,
                                   atol=1e-12, err_msg="d differs from minigen's LBFGS._direction")
    A = np.diag([1.0, 4.0, 9.0])  # a quadratic with n = 3 conjugate steps: the exact Newton direction
    s_list = [np.eye(3)[i] for i in range(3)]
    g = np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(fn(g, s_list, [A @ s for s in s_list]), -np.linalg.solve(A, g), rtol=1e-10,
                               err_msg="with n pairs on a quadratic, d is Newton's -A^{-1} g")


check_exercise(check_two_loop_direction, two_loop_direction)

# %% [markdown]
# **Exercise 4 — a style loss with per-layer weights.** Given a list of feature arrays `features` (each (1, C_l, H_l,
# W_l)), a list of target Gram matrices `targets` (each (1, C_l, C_l)) and `layer_weights` $v_l$, return the float
# $\sum_l v_l\, \lVert G_l - T_l\rVert^2 / (L\,\lVert T_l\rVert^2)$: the relative style loss with each layer's term
# weighted. (Then: give section 3's texture more weight on the coarse branch, `style_loss(..., weights=...)`, and
# look at the bricks.)

# %%
def weighted_style_loss(features, targets, layer_weights):
    raise NotImplementedError


def check_weighted_style_loss(fn):
    rng = np.random.default_rng(7)
    with no_grad():
        maps = [f.data.astype(np.float64) for f in network(Tensor(as_batch(rng.random((24, 24)))))]
        goals = [gram_matrix(f).data.astype(np.float64) for f in network(Tensor(as_batch(rng.random((24, 24)))))]
    for layer_weights in [(1, 1, 1, 1), (0.5, 2.0, 0.0, 3.0)]:
        got = float(fn(maps, goals, layer_weights))
        relative = [w / (len(goals) * (t**2).sum()) for w, t in zip(layer_weights, goals)]
        expected = style_loss([Tensor(f) for f in maps], goals, relative).item()
        assert np.isclose(got, expected, rtol=1e-9), f"got {got}, style_loss with those weights gives {expected}"
    same = float(fn(maps, [gram_matrix(Tensor(f)).data for f in maps], (1, 2, 3, 4)))
    assert abs(same) < 1e-12, "an image's own Gram matrices are at distance 0"


check_exercise(check_weighted_style_loss, weighted_style_loss)
