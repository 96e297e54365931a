# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 15 — Texture synthesis: making new images from an example
#
# **Goal:** generate new images with no training at all, by copying cleverly from one example: grow a texture pixel by
# pixel (Efros & Leung 1999), then sew it from blocks along minimum-error seams (image quilting, Efros & Freeman 2001),
# and redraw a photograph in a texture (texture transfer) — each step measured.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 8 s, smoke mode 4 s
# (wall-clock). No GPU needed: `minigen.imaging` takes CuPy arrays too, but this lesson runs on the host.*

# %%
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigen.imaging import luminance, min_error_cut, overlap_errors, quilt, sample_image, texture_transfer

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

print("device available:", pick_device(), "| this lesson runs on the CPU | smoke mode:", SMOKE)
started = time.perf_counter()


def downsample(image, factor):
    """Average factor x factor squares of pixels: a smaller picture of the same scene."""
    h, w = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    return image[:h, :w].reshape(h // factor, factor, w // factor, factor, *image.shape[2:]).mean(axis=(1, 3))


def mean_squared_gradient(image):
    """The mean of (horizontal difference)^2 plus the mean of (vertical difference)^2: how much edge there is."""
    return float((np.diff(image, axis=1) ** 2).mean() + (np.diff(image, axis=0) ** 2).mean())


# %% [markdown]
# ## 1. What a texture is, and what we want from it
#
# A **texture** is an image of "stuff" rather than of a thing: brick, grass, gravel. Two properties make it a texture:
#
# * **stationary** — its statistics do not depend on where you look: any window looks like any other window of the same
#   size (brick here and brick there);
# * **local** — a pixel depends on its neighbourhood, not on the far side of the image: knowing a small window around a
#   pixel tells you nearly all you can know about it. (In the language of probability: a Markov random field.)
#
# The **task**: from one example, make a new, larger image that looks like *the same stuff* but is *not a copy*. Tiling
# the example fails twice: the repetition is obvious, and where the right edge meets the left edge nothing matches.
# minigen ships three grey 256×256 textures; we take a 128×128 corner of each as "the example".

# %%
textures = {name: sample_image(name).astype(np.float64) for name in ("brick", "grass", "gravel")}
examples = {name: image[:128, :128] for name, image in textures.items()}
show_images(np.stack(list(textures.values())), nrow=3, title="the shipped textures: brick, grass, gravel (256x256)")
plt.show()
for name, image in textures.items():
    quarters = [image[:128, :128], image[:128, 128:], image[128:, :128], image[128:, 128:]]
    print(f"{name:6s} mean of each quarter {np.round([q.mean() for q in quarters], 3)}, "
          f"std {np.round([q.std() for q in quarters], 3)}")
tiled = np.tile(examples["brick"], (2, 2))
plt.figure(figsize=(4, 4))
plt.imshow(tiled, cmap="gray")
plt.title("the 128x128 brick example, tiled 2x2")
plt.axis("off")
plt.show()

# %% [markdown]
# Stationarity, measured roughly: each texture's four quarters have nearly the same mean and spread. (The brick is not
# perfectly stationary: photographed at an angle, its bricks lean differently on the left and the right. Keep that in
# mind for section 6.) The tiled brick shows both failures of copying: a repeated pattern, and seams where the edges
# meet.
#
# ## 2. Pixel by pixel: Efros & Leung (1999)
#
# Locality suggests an algorithm. To choose the value of a new pixel $p$, look at the already-synthesised pixels around
# it (its window $\omega(p)$, $w\times w$, partly empty), find the windows of the example that agree best with them,
# and copy the centre pixel of one of those. Agreement is a sum of squared differences over the *known* pixels only,
# weighted by a Gaussian $G$ so that near neighbours count more:
# $$d(p, q) = \frac{\sum_{k} G_k\, K_k\, \big(\omega(p)_k - \omega(q)_k\big)^2}{\sum_k G_k K_k},
# \qquad K_k = 1 \text{ if pixel } k \text{ of } \omega(p) \text{ is already known},$$
# for every window $\omega(q)$ of the example. The paper does not take the single best: it picks at random among the
# candidates with $d \le (1+\varepsilon)\, d_\text{min}$ ($\varepsilon = 0.1$), which keeps the result from copying
# one stretch of the example verbatim. The image grows outwards from a 3×3 seed, the pixels with the most known
# neighbours first (an "onion peel").
#
# The candidate windows are a strided view of the example (lesson 5's `sliding_window_view`), so one line compares a
# template with all of them. The loop over the pixels being synthesised stays: that is the point — it is slow.

# %%
def best_match(windows, centres, template, weights, tolerance, rng):
    """One Efros-Leung step: the centre of a random window among those within (1 + tolerance) of the best."""
    distance = ((windows - template) ** 2) @ weights / weights.sum()  # d for every candidate window at once
    candidates = np.flatnonzero(distance <= (1 + tolerance) * distance.min())
    return centres[rng.choice(candidates)]


def efros_leung(sample, size, window, tolerance=0.1, seed=0):
    """Grow a size x size texture from ``sample``, pixel by pixel (Efros & Leung 1999)."""
    rng = np.random.default_rng(seed)
    r = window // 2
    windows = sliding_window_view(sample, (window, window)).reshape(-1, window * window)  # every candidate window
    centres = windows[:, window * window // 2]
    offsets = np.arange(window) - r
    gauss = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * (window / 6.4) ** 2)).ravel()
    canvas = np.zeros((size + 2 * r, size + 2 * r))  # a margin of r so that every window fits
    known = np.zeros(canvas.shape, dtype=bool)
    inside = np.zeros(canvas.shape, dtype=bool)
    inside[r : r + size, r : r + size] = True
    y0, x0 = rng.integers(0, sample.shape[0] - 3, size=2)
    c = r + size // 2 - 1
    canvas[c : c + 3, c : c + 3], known[c : c + 3, c : c + 3] = sample[y0 : y0 + 3, x0 : x0 + 3], True  # the seed
    while not known[inside].all():
        count = sum(np.roll(known, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1))  # known nbrs
        ys, xs = np.nonzero(inside & ~known & (count > 0))  # the unknown pixels on the boundary
        for k in np.argsort(-count[ys, xs], kind="stable"):  # most known neighbours first
            y, x = ys[k], xs[k]
            template = canvas[y - r : y + r + 1, x - r : x + r + 1].ravel()
            weights = gauss * known[y - r : y + r + 1, x - r : x + r + 1].ravel()
            canvas[y, x] = best_match(windows, centres, template, weights, tolerance, rng)
            known[y, x] = True
    return canvas[r : r + size, r : r + size]


tiny_sample = downsample(textures["brick"], 4)[:24, :24]  # a 24x24 example: brick at a quarter of its size
t0 = time.perf_counter()
grown = efros_leung(tiny_sample, size=40, window=7)
el_seconds = time.perf_counter() - t0
el_per_pixel = el_seconds / (40 * 40 - 9)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
for ax, image, title in zip(axes, [tiny_sample, grown], ["the 24x24 example", "grown to 40x40, pixel by pixel"]):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
plt.show()
print(f"40x40 from a 24x24 example, 7x7 window: {el_seconds:.2f} s, {1e6 * el_per_pixel:.0f} µs per pixel "
      f"({(24 - 6) ** 2} candidate windows of 49 pixels each)")

# %% [markdown]
# It works — the bricks come out as bricks, with mortar lines that join up — and it is slow. How slow at a useful
# size? The work per pixel is one comparison with every candidate window, so it grows with the number of candidates
# times the window's area. A 256×256 result from a 128×128 example of brick at full resolution needs a window about as
# large as a brick's width (27×27, the 7×7 above scaled by four). We time a few pixels of exactly that, with the same
# `best_match`, and multiply.

# %%
full_sample = textures["brick"][:128, :128]
big_window = 27
big_windows = sliding_window_view(full_sample, (big_window, big_window)).reshape(-1, big_window**2)
big_centres = big_windows[:, big_window**2 // 2]
rng = np.random.default_rng(0)
half_known = (rng.random(big_window**2) < 0.5).astype(np.float64)  # a typical half-known neighbourhood
n_timed = smoke(8, 3)
best_match(big_windows, big_centres, rng.random(big_window**2), half_known, 0.1, rng)  # a warm-up call, not timed
t0 = time.perf_counter()
for _ in range(n_timed):
    best_match(big_windows, big_centres, rng.random(big_window**2), half_known, 0.1, rng)
big_per_pixel = (time.perf_counter() - t0) / n_timed
print(f"tiny case, extrapolated to 256x256 pixels: {el_per_pixel * 256**2:.0f} s")
print(f"128x128 example, 27x27 window: {1e3 * big_per_pixel:.0f} ms per pixel ({len(big_windows)} candidates), "
      f"so 256x256 pixels would take about {big_per_pixel * 256**2 / 60:.0f} min")

# %% [markdown]
# Tens of minutes for one small texture (the printed estimate; it varies with the machine), and most of that work is
# wasted: neighbouring pixels ask almost the same question. Efros and Freeman's answer, two years later: copy whole
# **blocks** instead of single pixels. A block carries its own internal structure for free; only its border with what
# is already there has to be chosen well.
#
# ## 3. Image quilting (Efros & Freeman 2001)
#
# Lay square blocks of side $B$ in raster order (left to right, top to bottom). Each new block overlaps the blocks
# already placed by a band of width $o$: on its left, on its top, or both (an L). Three decisions per block:
#
# 1. **the overlap error of every candidate** — every $B\times B$ block of the example, compared with what is already
#    on the canvas, on the overlap only;
# 2. **the tolerance rule** — pick at random among the candidates within $(1+\varepsilon)$ of the least error;
# 3. **the minimum-error boundary cut** — instead of a straight edge, join the new block to the old along the path
#    through the overlap where the two disagree least.
#
# ### 3.1 The overlap error of every candidate at once
#
# With $T$ the template (what the canvas holds where the new block goes), $M$ the mask (1 on the overlap, 0 elsewhere)
# and $S$ the example, the error of the candidate at position $(y, x)$ is a masked sum of squared differences, which
# expands into three terms:
# $$E(y,x) = \sum_{i,j} M_{ij}\big(T_{ij} - S_{y+i,\,x+j}\big)^2
# = \underbrace{\sum_{i,j} M_{ij} T_{ij}^2}_{\text{one number}}
# \;-\; 2\underbrace{\sum_{i,j} (MT)_{ij}\, S_{y+i,\,x+j}}_{\operatorname{corr}(S,\;MT)(y,x)}
# \;+\; \underbrace{\sum_{i,j} M_{ij}\, S^2_{y+i,\,x+j}}_{\operatorname{corr}(S^2,\;M)(y,x)} .$$
# The first term is the same for every candidate. The other two are **cross-correlations** of a whole image ($S$ or
# $S^2$) with a small kernel ($MT$ or $M$): exactly what a convolution layer computes, for every position at once. The
# correlation theorem makes them cheap: the Fourier transform turns a correlation into a product,
# $\mathcal F[\operatorname{corr}(S, K)] = \mathcal F[S]\cdot\overline{\mathcal F[K]}$, so all $(H-B+1)(W-B+1)$
# errors cost a few FFTs of the example's size, $O(HW\log HW)$, instead of $O(HW B^2)$ for the loop. (The FFT's
# correlation wraps around the edges, but not at the positions where the block lies inside the example, the only ones
# kept.) Below: the direct loop over candidates, the expansion with NumPy's FFT in four lines, and minigen's
# `overlap_errors` (in `minigen/imaging/texture.py`, class `_Correlator`), on one L-shaped overlap.

# %%
def correlate(image, kernel):
    """corr(image, kernel)[y, x] = sum_ij kernel_ij image_(y+i)(x+j), for every position inside, by the FFT."""
    (h, w), (kh, kw) = image.shape, kernel.shape
    product = np.fft.rfft2(image) * np.conj(np.fft.rfft2(kernel, s=image.shape))
    return np.fft.irfft2(product, s=image.shape)[: h - kh + 1, : w - kw + 1]


B, OVERLAP = 32, 5  # quilt's defaults for a 128x128 example: B = 128 / 4, overlap = B // 6
source = examples["brick"]
template = textures["brick"][140:172, 150:182]  # stands in for the canvas: a block from outside the example
mask = np.zeros((B, B))
mask[:, :OVERLAP] = 1  # the left overlap ...
mask[:OVERLAP, :] = 1  # ... and the top one: an L

t0 = time.perf_counter()
positions = source.shape[0] - B + 1
direct = np.empty((positions, positions))
for y in range(positions):  # the definition, one candidate at a time
    for x in range(positions):
        direct[y, x] = (mask * (template - source[y : y + B, x : x + B]) ** 2).sum()
t_direct = time.perf_counter() - t0
t0 = time.perf_counter()
by_fft = (mask * template**2).sum() - 2 * correlate(source, mask * template) + correlate(source**2, mask)
t_fft = time.perf_counter() - t0
t0 = time.perf_counter()
errors = overlap_errors(source, template, mask)
t_minigen = time.perf_counter() - t0
scale = direct.max()
print(f"{positions}x{positions} = {positions**2} candidates")
print(f"direct loop {1e3 * t_direct:.0f} ms | FFT expansion {1e3 * t_fft:.1f} ms, largest difference "
      f"{np.abs(by_fft - direct).max() / scale:.1e} of the largest error | overlap_errors {1e3 * t_minigen:.1f} ms, "
      f"{np.abs(errors - direct).max() / scale:.1e}")

# %% [markdown]
# The three agree to rounding (about $10^{-15}$ of the largest error), and the correlations are one to two orders of
# magnitude faster than the loop (the printed times); the gap grows with the block's area $B^2$.
#
# ### 3.2 The tolerance rule
#
# The best candidate alone would make quilting deterministic and repetitive: the same block would win in the same
# situation again and again. As in Efros & Leung, the choice is random among the candidates within
# $(1+\varepsilon)E_\text{min}$; the paper uses $\varepsilon = 0.1$. How many candidates that leaves for the L above:

# %%
best = errors.min()
for tolerance in (0.0, 0.1, 0.3, 1.0):
    print(f"tolerance {tolerance:.1f}: {(errors <= (1 + tolerance) * best).sum():4d} candidates of {errors.size}")
top, left = np.unravel_index(np.argmin(errors), errors.shape)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
axes[0].imshow(np.log(errors + 1e-3), cmap="viridis")
axes[0].plot(left, top, "r+", markersize=12)
axes[0].set_title("log overlap error of every candidate\n(+ the best)")
axes[1].imshow(np.where(mask > 0, template, np.nan), cmap="gray", vmin=0, vmax=1)
axes[1].set_title("the template on its L-shaped overlap")
axes[2].imshow(source[top : top + B, left : left + B], cmap="gray", vmin=0, vmax=1)
axes[2].set_title("the best-matching block")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# For this L, with some 300 overlap pixels to agree on, one candidate is clearly the best and the rule changes little
# (the printed counts). It matters where many blocks fit about equally well: a short overlap at the edge of the image,
# a smooth texture — and the first block, which has no overlap at all, so that every block is a candidate.
#
# ### 3.3 The minimum-error boundary cut, by dynamic programming
#
# Take a vertical overlap between the old block (on the left) and the new one. Let
# $e_{ij} = (\text{old}_{ij} - \text{new}_{ij})^2$ be their disagreement at row $i$, column $j$ of the overlap
# ($n$ rows, $o$ columns). A seam is a path from the top row to the bottom row that moves at most one column per row;
# left of it we keep the old block, right of it we show the new one. We want the seam of least total $e$. There are
# about $o\cdot 3^{\,n-1}$ of them, but the cheapest path to a pixel only depends on the cheapest paths to the three
# pixels above it — **dynamic programming**. With $E_{ij}$ the cost of the cheapest seam from the top row to $(i,j)$:
# $$E_{0j} = e_{0j},\qquad E_{ij} = e_{ij} + \min\big(E_{i-1,\,j-1},\; E_{i-1,\,j},\; E_{i-1,\,j+1}\big),$$
# (a neighbour outside the overlap counts as $+\infty$). The seam ends at the least $E$ of the last row; walking back
# up, each step goes to the cheapest of the three pixels above. One pass down, one back: $O(n\,o)$.

# %%
def dp_cut(e):
    """The minimum-error vertical seam through e (n, o): the column of the seam in each row."""
    E = e.astype(np.float64).copy()
    for i in range(1, len(E)):  # down the overlap, each row at once
        above = np.pad(E[i - 1], 1, constant_values=np.inf)  # E_(i-1)(j-1), E_(i-1)j, E_(i-1)(j+1) side by side
        E[i] += np.minimum(np.minimum(above[:-2], above[1:-1]), above[2:])
    path = [int(np.argmin(E[-1]))]
    for i in range(len(E) - 2, -1, -1):  # back up: the cheapest of the (up to) three pixels above
        low = max(path[-1] - 1, 0)
        path.append(low + int(np.argmin(E[i, low : path[-1] + 2])))
    return np.array(path[::-1])


def brute_force_cut(e):
    """Every seam, tried one by one: the cheapest path (for checking, on tiny overlaps only)."""
    n, o = e.shape
    best_cost, best_path = np.inf, None
    for start in range(o):
        for moves in itertools.product((-1, 0, 1), repeat=n - 1):
            path = start + np.concatenate([[0], np.cumsum(moves)])
            if path.min() >= 0 and path.max() < o and e[np.arange(n), path].sum() < best_cost:
                best_cost, best_path = e[np.arange(n), path].sum(), path
    return best_path


rng = np.random.default_rng(1)
e_random = rng.random((40, 8))
e_tiny = rng.random((7, 4))
print("inline DP == minigen's min_error_cut on a 40x8 overlap:",
      np.array_equal(dp_cut(e_random), min_error_cut(e_random)))
print(f"inline DP == brute force over all {4 * 3**6} start-and-move sequences of a 7x4 overlap:",
      np.array_equal(dp_cut(e_tiny), brute_force_cut(e_tiny)))

# %% [markdown]
# Now on real blocks. The old block comes from the top half of the brick image, the new one is the best match for a
# wide (16-pixel) left overlap found in the bottom half, so that it cannot simply be the old block's own continuation.

# %%
WIDE = 16
old = textures["brick"][20:68, 30:78]  # a 48x48 block already on the canvas
wide_mask = np.zeros((48, 48))
wide_mask[:, :WIDE] = 1
template_wide = np.zeros((48, 48))
template_wide[:, :WIDE] = old[:, -WIDE:]  # the new block's left overlap must match the old block's right edge
lower = textures["brick"][128:]
wide_errors = overlap_errors(lower, template_wide, wide_mask)
y, x = np.unravel_index(np.argmin(wide_errors), wide_errors.shape)
new = lower[y : y + 48, x : x + 48]
e = (old[:, -WIDE:] - new[:, :WIDE]) ** 2
seam = dp_cut(e)
assert np.array_equal(seam, min_error_cut(e))

width = 48 + 48 - WIDE
straight = np.zeros((48, width))
straight[:, :48] = old
straight[:, 48 - WIDE :] = new  # the new block pasted over the overlap: a straight edge
cut = straight.copy()
keep_old = np.arange(WIDE)[None, :] < seam[:, None]  # left of the seam: the old block
cut[:, 48 - WIDE : 48][keep_old] = old[:, -WIDE:][keep_old]
fig, axes = plt.subplots(1, 3, figsize=(12, 4), gridspec_kw={"width_ratios": [1, 2.5, 2.5]})
axes[0].imshow(e, cmap="magma")
axes[0].plot(seam, np.arange(48), "c-", linewidth=2)
axes[0].set_title("e on the overlap,\nand the cut")
axes[1].imshow(straight, cmap="gray", vmin=0, vmax=1)
axes[1].axvline(48 - WIDE - 0.5, color="r", linewidth=0.8)
axes[1].set_title("pasted with a straight edge")
axes[2].imshow(cut, cmap="gray", vmin=0, vmax=1)
axes[2].plot(48 - WIDE + seam, np.arange(48), "c-", linewidth=0.8)
axes[2].set_title("joined along the minimum-error cut")
for ax in axes:
    ax.axis("off")
plt.show()
print(f"error along the straight edge {e[:, 0].sum():.3f}, along the cut {e[np.arange(48), seam].sum():.3f}")

# %% [markdown]
# The cut slips through the overlap where the two blocks agree — typically inside a brick or along the same mortar
# line — instead of slicing across mortar where they do not.
#
# ### 3.4 The three stages, side by side
#
# To see what each idea buys, quilt the 128×128 brick example into 256×256 three ways, with the same blocks
# ($B = 32$, overlap 5): (1) **random blocks** on the same grid; (2) blocks chosen by **overlap error** (and the
# tolerance rule), pasted with straight edges; (3) the same with the **minimum-error cut**, which is minigen's
# `quilt`. Stages 1 and 2 are a dozen lines below, built from `overlap_errors`.
#
# A seam is an edge that the example does not have, so we measure edges: the mean squared image gradient of the output
# divided by the example's, over the whole image and in the overlap bands where the seams lie. A ratio of 1 means "as
# much edge as the texture itself".

# %%
def quilt_stage(source, size, patch, overlap, choose_by_error, seed=0, tolerance=0.1):
    """Stages 1 and 2 of the lesson: blocks in raster order, pasted with straight edges; chosen at random, or by
    overlap error within (1 + tolerance) of the least."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((size, size))
    for y in range(0, size - overlap, patch - overlap):
        for x in range(0, size - overlap, patch - overlap):
            h, w = min(patch, size - y), min(patch, size - x)  # the last row and column are cropped
            errors = np.zeros((source.shape[0] - patch + 1, source.shape[1] - patch + 1))  # stage 1: all alike
            if choose_by_error and (x > 0 or y > 0):
                template, mask = np.zeros((patch, patch)), np.zeros((patch, patch))
                template[:h, :w] = canvas[y : y + h, x : x + w]
                if x > 0:
                    mask[:h, :overlap] = 1  # the left overlap
                if y > 0:
                    mask[:overlap, :w] = 1  # the top overlap (both: an L)
                errors = overlap_errors(source, template, mask)
            candidates = np.flatnonzero(errors <= (1 + tolerance) * errors.min() + 1e-9)
            top, left = np.unravel_index(rng.choice(candidates), errors.shape)
            canvas[y : y + h, x : x + w] = source[top : top + h, left : left + w]
    return canvas


def seam_bands(size, patch, overlap):
    """Booleans over the pixel differences along one axis: True in the overlap bands (and across their edges)."""
    bands = np.zeros(size - 1, dtype=bool)
    for start in range(patch - overlap, size - overlap, patch - overlap):
        bands[start - 1 : start + overlap] = True
    return bands


def gradient_ratios(image, example, patch, overlap):
    """Mean squared gradient of ``image`` over ``example``'s: over the whole image, and in the overlap bands."""
    bands = seam_bands(image.shape[0], patch, overlap)
    in_bands = (np.diff(image, axis=1)[:, bands] ** 2).mean() + (np.diff(image, axis=0)[bands] ** 2).mean()
    return mean_squared_gradient(image) / mean_squared_gradient(example), in_bands / mean_squared_gradient(example)


stages = {
    "random blocks": quilt_stage(source, 256, B, OVERLAP, choose_by_error=False),
    "best overlap, straight seams": quilt_stage(source, 256, B, OVERLAP, choose_by_error=True),
    "best overlap + cut (quilt)": quilt(source, 256, patch=B, overlap=OVERLAP, rng=0),
}
ratios = {name: gradient_ratios(image, source, B, OVERLAP) for name, image in stages.items()}
fig, axes = plt.subplots(1, 3, figsize=(13, 4.6))
for ax, (name, image) in zip(axes, stages.items()):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name}\ngradient ratio {ratios[name][0]:.2f} (seam bands {ratios[name][1]:.2f})")
    ax.axis("off")
plt.show()
for name, (whole, bands) in ratios.items():
    print(f"{name:30s} mean squared gradient / the example's: whole image {whole:.3f}, seam bands {bands:.3f}")

# %% [markdown]
# Read the pictures and the numbers together (the same in smoke and full mode). Random blocks cut bricks in half and
# break mortar lines at every block edge: far more edge in the seam bands than the brick has (a ratio of 1.61).
# Choosing blocks by their overlap error fixes most of it: mortar lines continue across blocks, and the
# ratio falls near 1; what remains are short steps where a straight edge crosses a line at the wrong place. The cut
# removes most of those: its seam follows agreement, so it does not create edges, and the band ratio (1.07) is the
# closest to 1. Over the whole image the differences are smaller (1.15, 1.07, 1.06), because seams are a small part
# of it.
#
# ## 4. `quilt` on each texture
#
# `minigen.imaging.quilt(source, size, patch=None, overlap=None, tolerance=0.1, rng=None)` does all of section 3:
# `overlap_errors` via the FFT (transforms of the example made once), the tolerance rule, and `min_error_cut` along
# the left overlap, the top overlap (on `e.T`), or both, where a pixel shows the new block only if it lies beyond both
# cuts. Defaults: $B$ = a quarter of the example's shorter side (at most 48), overlap $B/6$. Each example is 128×128;
# each result 256×256, four times the area, plus one larger.

# %%
results, seconds = {}, {}
for name, example in examples.items():
    t0 = time.perf_counter()
    results[name] = quilt(example, 256, rng=1)
    seconds[name] = time.perf_counter() - t0
fig, axes = plt.subplots(2, 3, figsize=(12, 8), gridspec_kw={"height_ratios": [1, 2]})
for column, name in enumerate(examples):
    axes[0, column].imshow(examples[name], cmap="gray", vmin=0, vmax=1)
    axes[0, column].set_title(f"{name}: the 128x128 example")
    axes[1, column].imshow(results[name], cmap="gray", vmin=0, vmax=1)
    axes[1, column].set_title(f"quilted to 256x256 in {seconds[name]:.2f} s")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
for name in examples:
    ratio = mean_squared_gradient(results[name]) / mean_squared_gradient(examples[name])
    print(f"{name:6s} 256x256 in {seconds[name]:.2f} s; mean squared gradient / the example's {ratio:.3f}")

print("blocks in a 256x256 result with B = 32, overlap 5:", len(range(0, 256 - 5, 32 - 5)) ** 2)

t0 = time.perf_counter()
large = quilt(textures["brick"], 512, rng=2)  # the whole photograph as the example: B = 48, overlap 8
large_seconds = time.perf_counter() - t0
fig, axes = plt.subplots(1, 2, figsize=(12, 6), gridspec_kw={"width_ratios": [1, 2]})
axes[0].imshow(textures["brick"], cmap="gray", vmin=0, vmax=1)
axes[0].set_title("the whole 256x256 brick photograph")
axes[1].imshow(large, cmap="gray", vmin=0, vmax=1)
axes[1].set_title(f"quilted to 512x512 in {large_seconds:.1f} s")
for ax in axes:
    ax.axis("off")
plt.show()
print(f"brick 512x512 from the 256x256 photograph (B = 48): {large_seconds:.2f} s")

# %% [markdown]
# About a tenth of a second for 256×256 (the printed times), where section 2's pixel-by-pixel growth would take tens
# of minutes. Per block, the work is a handful of FFTs of the example plus one DP over the overlap, and there are
# only $\lceil (H-o)/(B-o)\rceil\cdot\lceil (W-o)/(B-o)\rceil$ blocks (the count printed above). Look closely at
# the large brick, though: we come back to it in section 6.
#
# ## 5. Texture transfer: a photograph redrawn in a texture
#
# Quilting only asks that a block agree with its neighbours. Add a second wish — that it also look like a **target**
# image at that place — and quilting redraws the target in the texture. The correspondence is measured on
# **luminance** $Y = 0.299R + 0.587G + 0.114B$ (`minigen.imaging.luminance`), so a grey texture can render a colour
# photograph. Each candidate's error becomes
# $$\text{error} = \alpha\,\underbrace{E_\text{overlap}}_{\text{agree with the texture around}} +\,(1-\alpha)
# \underbrace{\sum_{\text{block}}\big(Y_\text{block} - Y_\text{target}\big)^2}_{\text{look like the target}},$$
# and the correspondence term is one more correlation, so it costs a few more FFTs. One pass must compromise; the paper
# makes $N$ passes, with blocks a third smaller each time and $\alpha$ rising,
# $$\alpha_i = 0.8\,\frac{i-1}{N-1} + 0.1,\qquad B_i = B\,(2/3)^{i-1},$$
# so the first pass (large blocks, $\alpha = 0.1$) lays out the target's light and dark, and the later ones (small
# blocks, $\alpha$ near 1) make the texture coherent. From the second pass on, the overlap term also compares the whole
# block with the previous pass's result there, so each pass refines the last rather than starting over.
#
# The target: the cat "chelsea", at half size (a crop of it in smoke mode), in grass (also at half size, so that its
# blades are in proportion to the cat).

# %%
cat = downsample(sample_image("chelsea").astype(np.float64), 2)  # (150, 225, 3)
target = smoke(cat, cat[10:74, 50:146])
grass = downsample(textures["grass"], 2)  # 128x128
PATCH, ITERATIONS = smoke(12, 8), 3  # 12 = texture_transfer's default here (1/16 of 150 is 9; at least 12)
for i in range(1, ITERATIONS + 1):  # the schedule, as texture_transfer computes it
    patch_i = max(2, round(PATCH * (2 / 3) ** (i - 1)))
    overlap_i = min(patch_i - 1, max(1, round(max(1, PATCH // 6) * patch_i / PATCH)))
    print(f"pass {i}: block {patch_i}, overlap {overlap_i}, alpha {0.8 * (i - 1) / (ITERATIONS - 1) + 0.1:.1f}")

t0 = time.perf_counter()
transferred = texture_transfer(grass, target, patch=PATCH, iterations=ITERATIONS, rng=0)
transfer_seconds = time.perf_counter() - t0
quilted = quilt(grass, target.shape[:2], patch=PATCH, rng=0)  # the same texture, without the target
target_y = luminance(target)
correlation_transfer = np.corrcoef(transferred.ravel(), target_y.ravel())[0, 1]
correlation_quilt = np.corrcoef(quilted.ravel(), target_y.ravel())[0, 1]
fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
for ax, image, title in zip(axes, [target, target_y, quilted, transferred],
                            ["the target", "its luminance", "quilting alone", "texture transfer"]):
    ax.imshow(image, cmap=None if image.ndim == 3 else "gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
plt.show()
print(f"target {target.shape[0]}x{target.shape[1]}, {ITERATIONS} passes: {transfer_seconds:.1f} s")
print(f"correlation with the target's luminance: texture transfer {correlation_transfer:.3f}, "
      f"quilting alone {correlation_quilt:.3f}")

# %% [markdown]
# Quilting alone knows nothing of the cat (correlation near 0); the transfer follows the cat's light and dark while
# every pixel is still a pixel of grass (a full run prints a correlation of about 0.64, with blocks of 12, 8 and 5
# pixels; smoke mode's crop, with blocks of 8, gives about 0.8: smaller blocks follow the target more). Try `patch`
# smaller for a more faithful cat and less grass, larger for the opposite; or a fixed `alpha`.
#
# ## 6. What quilting does well, and what it cannot do
#
# **Well.** Stochastic textures — gravel, grass — come out indistinguishable from the example at a glance, in a
# fraction of a second, with seams that the cut hides; no training, no model, one example. Structured textures with
# small elements (the bricks) work too, as long as a block holds a whole element.
#
# **Badly.**
#
# * **Global structure.** Quilting is local by construction: a block only sees its neighbours on the left and above.
#   The brick photograph is taken at an angle, so its bricks lean one way on the left and the other way on the right.
#   The 512×512 brick of section 4 mixes the two: patches of left-leaning and right-leaning bricks side by side, and
#   mortar lines that bend or stop where no block could continue them. Anything larger than a block — a perspective, a
#   gradient of lighting, a large-scale arrangement — is lost or scrambled.
# * **Nothing new.** Every pixel is copied from the example; whole blocks appear verbatim, and with a small example
#   the same blocks repeat. It cannot make a brick it has not seen.
# * **A bias toward calm blocks.** The block with the least overlap error is more often a low-contrast one (less to
#   disagree with), so quilted grass and gravel have a little *less* edge than their examples (their gradient ratios
#   in section 4 are below 1).
# * **Choices by hand.** $B$ must match the texture's scale (too small: elements are broken; too large: repetition),
#   and the tolerance trades variety for quality.
#
# Deep generative models learn what is *common* to many images, and can make what no example showed. A middle road
# keeps the single example but replaces "copy pixels that match" by "match statistics": **neural texture synthesis**
# (Gatys, Ecker & Bethge, 2015) describes a texture by the correlations between a pretrained CNN's feature maps (their
# Gram matrices) and optimises an image, starting from noise, until its statistics match. No copying and no seams,
# at the price of an optimisation per image — a later lesson builds it.
#
# ## Self-check

# %%
assert np.abs(errors - direct).max() <= 1e-9 * direct.max(), "overlap_errors must equal the direct computation"
assert np.abs(by_fft - direct).max() <= 1e-9 * direct.max(), "the FFT expansion must equal the direct computation"
assert np.array_equal(dp_cut(e_random), min_error_cut(e_random)), "the inline DP must equal min_error_cut"
assert np.isclose(e_tiny[np.arange(7), dp_cut(e_tiny)].sum(), e_tiny[np.arange(7), brute_force_cut(e_tiny)].sum()), (
    "the DP must find the cheapest seam")
assert e[np.arange(48), seam].sum() <= e[:, 0].sum(), "the cut can only be cheaper than the straight edge"
random_ratio, cut_ratio = ratios["random blocks"], ratios["best overlap + cut (quilt)"]
assert abs(cut_ratio[0] - 1) < abs(random_ratio[0] - 1), "the cut's gradient ratio must be closer to 1 than random's"
assert abs(cut_ratio[1] - 1) < abs(random_ratio[1] - 1), "... and in the seam bands too"
assert big_per_pixel * 256**2 > 10 * max(seconds.values()), "pixel by pixel must be far slower than quilting"
assert correlation_transfer > correlation_quilt + 0.3, "the transfer must follow the target better than quilting"
print(f"gradient ratio, random blocks {random_ratio[0]:.3f} -> with the cut {cut_ratio[0]:.3f}; "
      f"transfer correlation {correlation_transfer:.3f} vs quilting {correlation_quilt:.3f}")
print(f"Lesson 15 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the horizontal cut.** For a top overlap the seam runs left to right. Given `errors` of shape
# (o, n) — o rows of overlap, n columns — return for every column the row of the cheapest seam that moves at most one
# row per column. Write the recurrence along the columns yourself, without transposing and without `min_error_cut`.

# %%
def horizontal_cut(errors):
    raise NotImplementedError


def check_horizontal_cut(fn):
    rng = np.random.default_rng(3)
    for shape in [(5, 30), (1, 7), (6, 1), (3, 3)]:
        e = rng.random(shape)
        path = np.asarray(fn(e))
        assert path.shape == (shape[1],), f"one row per column: expected shape {(shape[1],)}, got {path.shape}"
        assert path.min() >= 0 and path.max() < shape[0], "the seam must stay inside the overlap"
        assert np.all(np.abs(np.diff(path)) <= 1), "the seam moves at most one row per column"
        cost, best = e[path, np.arange(shape[1])].sum(), e.T[np.arange(shape[1]), min_error_cut(e.T)].sum()
        assert np.isclose(cost, best), f"seam cost {cost:.4f}, the cheapest is {best:.4f}"


check_exercise(check_horizontal_cut, horizontal_cut)

# %% [markdown]
# **Exercise 2 — every candidate's error with a window view.** Return the array of shape (H − h + 1, W − w + 1) whose
# entry (y, x) is $\sum_{ij} M_{ij}\lVert T_{ij} - S_{y+i,x+j}\rVert^2$, for a grey (H, W) or colour (H, W, C)
# `source`, a `template` of shape (h, w) or (h, w, C) and a `mask` (h, w) — using `sliding_window_view` and no Python
# loop over positions.

# %%
def overlap_errors_windows(source, template, mask):
    raise NotImplementedError


def check_overlap_errors_windows(fn):
    rng = np.random.default_rng(4)
    for channels in [(), (3,)]:
        source, template = rng.random((20, 17, *channels)), rng.random((6, 5, *channels))
        mask = (rng.random((6, 5)) < 0.5).astype(np.float64)
        got = np.asarray(fn(source, template, mask))
        assert got.shape == (15, 13), f"expected one error per position, (15, 13), got {got.shape}"
        np.testing.assert_allclose(got, overlap_errors(source, template, mask), atol=1e-9)


check_exercise(check_overlap_errors_windows, overlap_errors_windows)

# %% [markdown]
# **Exercise 3 — the L-shaped cut.** A block with both a left and a top overlap. Given the grey `new` block and the
# `old` canvas under it, both (B, B), and the overlap width, return a (B, B) boolean array, True where the new block
# shows. Take $e = (\text{new} - \text{old})^2$; cut the left band `e[:, :overlap]` with `min_error_cut` and keep the
# new block at columns $\ge$ the seam's in each row; cut the top band `e[:overlap, :]` along its transpose and keep it
# at rows $\ge$ the seam's in each column; a pixel shows the new block only if both cuts let it.

# %%
def l_cut_mask(new, old, overlap):
    raise NotImplementedError


def check_l_cut_mask(fn):
    rng = np.random.default_rng(5)
    new, old, overlap = rng.random((12, 12)), rng.random((12, 12)), 4
    shown = np.asarray(fn(new, old, overlap))
    assert shown.shape == (12, 12) and shown.dtype == bool, "a (B, B) boolean array"
    assert shown[overlap:, overlap:].all(), "beyond both overlaps, only the new block shows"
    e = (new - old) ** 2
    left, top = min_error_cut(e[:, :overlap]), min_error_cut(e[:overlap, :].T)
    for i in range(12):
        for j in range(12):
            expected = (j >= overlap or j >= left[i]) and (i >= overlap or i >= top[j])
            assert shown[i, j] == expected, f"pixel ({i}, {j}): expected {expected}"


check_exercise(check_l_cut_mask, l_cut_mask)

# %% [markdown]
# **Exercise 4 — the tolerance rule.** Given an error map (H', W'), a tolerance and a `numpy.random.Generator`, return
# the position `(top, left)` (two ints) of a candidate drawn uniformly among those with error $\le (1 +
# \text{tolerance})$ times the least.

# %%
def choose_within_tolerance(errors, tolerance, rng):
    raise NotImplementedError


def check_choose_within_tolerance(fn):
    errors = np.array([[5.0, 1.0, 1.05], [3.0, 1.09, 2.0]])
    rng = np.random.default_rng(6)
    picks = [tuple(int(v) for v in fn(errors, 0.1, rng)) for _ in range(300)]
    assert set(picks) == {(0, 1), (0, 2), (1, 1)}, f"expected the three candidates within 10%, got {set(picks)}"
    counts = [picks.count(p) for p in [(0, 1), (0, 2), (1, 1)]]
    assert min(counts) > 60, f"the draw should be uniform among the candidates, got counts {counts}"
    assert {tuple(int(v) for v in fn(errors, 0.0, rng)) for _ in range(20)} == {(0, 1)}, "tolerance 0: the best only"


check_exercise(check_choose_within_tolerance, choose_within_tolerance)
