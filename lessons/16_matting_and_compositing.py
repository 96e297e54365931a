# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 16 — Matting and compositing: cutting out and blending real images
#
# **Goal:** cut a soft-edged object out of a photograph (closed-form matting: the colour-line model, the matting
# Laplacian, a preconditioned conjugate gradient) and put it into another picture — with *over*, and by Poisson image
# editing, which pastes gradients instead of colours — deriving each step and measuring it against a known answer.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 8 s, smoke mode 2 s
# (wall-clock). No GPU needed: `minigen.imaging` takes CuPy arrays too, but this lesson runs on the host.*

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from minigen.imaging import (
    closed_form_alpha,
    conjugate_gradient,
    estimate_foreground,
    matting_laplacian_apply,
    matting_laplacian_diagonal,
    matting_scene,
    over,
    over_premultiplied,
    poisson_blend,
    poisson_system,
    premultiply,
    sample_image,
    unpremultiply,
)

from lessons_support import SMOKE, check_exercise, pick_device, show_images, smoke

print("device available:", pick_device(), "| this lesson runs on the CPU | smoke mode:", SMOKE)
started = time.perf_counter()


def cover(image, height, width):
    """``image`` resized (bicubic) to cover height x width, then centre-cropped: a background of the right size."""
    scale = max(height / image.shape[0], width / image.shape[1])
    size = (max(width, round(image.shape[1] * scale)), max(height, round(image.shape[0] * scale)))
    pixels = Image.fromarray(np.round(image * 255).astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
    top, left = (size[1] - height) // 2, (size[0] - width) // 2
    return (np.asarray(pixels, dtype=np.float32) / 255)[top : top + height, left : left + width]


def show_row(images, titles, size=3.2, cmap="gray"):
    """A row of images with titles (grey ones drawn in [0, 1])."""
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size * 0.85))
    for ax, image, title in zip(np.atleast_1d(axes), images, titles):
        ax.imshow(np.clip(image, 0, 1), cmap=None if image.ndim == 3 else cmap, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    plt.show()


# %% [markdown]
# ## 1. The compositing equation, and why matting is hard
#
# Every pixel at the edge of an object — a hair, a blurred outline, smoke — is partly object and partly what lies
# behind. The standard model (Porter & Duff 1984, Smith & Blinn 1996) says that the colour we see is a mix:
# $$I = \alpha F + (1-\alpha) B,$$
# with $F$ the foreground colour, $B$ the background colour and $\alpha \in [0, 1]$ the foreground's **coverage**
# (its opacity, or the fraction of the pixel it covers). **Compositing** runs this forwards: given $F$, $\alpha$ and a
# new $B$, make $I$. **Matting** runs it backwards: given a photograph $I$, find $\alpha$ (and $F$), so that the object
# can be composited elsewhere.
#
# Backwards is hard. Per pixel, $I$ gives 3 equations (R, G, B), and there are 7 unknowns: $F$ (3), $B$ (3) and
# $\alpha$ (1). Nothing in one pixel says how much of its colour is object. To see it we need a photograph whose answer
# we know: `matting_scene` (in `minigen/imaging/scenes.py`) composites the fur of Chelsea the cat over the coffee
# photograph through an alpha it draws itself — a soft-edged ellipse with thin hair-like strands of partial opacity —
# and rounds the result to 8 bits, as a camera would.

# %%
scene = smoke(matting_scene(), matting_scene(72, 96, strands=8, band=4))
H, W = scene.alpha.shape
unknown, known = scene.unknown, ~scene.unknown
show_images(np.stack([scene.foreground, scene.background, scene.image]).transpose(0, 3, 1, 2), nrow=3,
            title="F (chelsea), B (coffee), and the photograph I = αF + (1 − α)B")
plt.show()

p = tuple(int(i) for i in np.unravel_index(np.argmin(np.abs(scene.alpha - 0.5) + 2.0 * known), (H, W)))  # alpha ~ 1/2
alpha_p, F_p, B_p, I_p = float(scene.alpha[p]), scene.foreground[p], scene.background[p], scene.image[p]
print(f"pixel {p}: alpha {alpha_p:.3f}, F {np.round(F_p, 3)}, B {np.round(B_p, 3)}")
print(f"  I = {np.round(I_p, 3)};  alpha F + (1 - alpha) B = {np.round(alpha_p * F_p + (1 - alpha_p) * B_p, 3)}")
valid = []  # keep B, change alpha: F' = B + (I - B) / alpha' reproduces I exactly; is it still a colour?
for alpha_other in np.linspace(0.01, 1, 100):
    F_other = B_p + (I_p - B_p) / alpha_other
    if F_other.min() >= 0 and F_other.max() <= 1:
        valid.append(alpha_other)
alpha_other = min(valid, key=lambda a: abs(a - (alpha_p + 1) / 2))  # one between the true alpha and 1
F_other = B_p + (I_p - B_p) / alpha_other
print(f"another answer: alpha {alpha_other:.3f}, F {np.round(F_other, 3)}, the same B: "
      f"alpha F + (1 - alpha) B = {np.round(alpha_other * F_other + (1 - alpha_other) * B_p, 3)}")
print(f"with this B, every alpha in [{min(valid):.2f}, {max(valid):.2f}] gives a valid F and the same I; "
      f"and alpha = 1, F = I fits any pixel")

# %% [markdown]
# The same colour $I$ is explained just as well by the true mix and by a different $\alpha$ with a different $F$ (the
# printed triples; the composites agree to the 8-bit rounding of $I$). Keeping $B$ and moving $\alpha$ traces a whole
# segment of answers, and $\alpha = 1, F = I$ — "it is all object" — fits every pixel. Matting needs information
# from outside the pixel, in two forms:
#
# * **the user** says where the answer is obvious. A **trimap** marks every pixel as surely foreground
#   ($\alpha = 1$), surely background ($\alpha = 0$) or unknown — a band along the outline; **scribbles** are a few
#   strokes of each, with everything else unknown. Known pixels fix $\alpha$ there, and, as important, show samples
#   of $F$ and of $B$ near the unknown ones.
# * **a prior** ties neighbouring pixels together so that the known values spread into the unknown band. The next
#   section's colour-line model is the prior of closed-form matting.
#
# The scene's trimap is the one a user would draw: the true $\alpha$ eroded and dilated by a few pixels.

# %%
print(f"scene {H}x{W}: {unknown.sum()} unknown pixels ({unknown.mean():.0%}), {(scene.trimap == 1).sum()} "
      f"foreground, {(scene.trimap == 0).sum()} background; {((scene.alpha > 0) & (scene.alpha < 1)).sum()} pixels "
      f"have 0 < alpha < 1")
show_row([scene.image, scene.trimap, scene.alpha], ["the photograph I", "the trimap (grey: unknown)", "the true alpha"])

# %% [markdown]
# ## 2. The colour-line model
#
# Levin, Lischinski & Weiss (2008) look at a small window $w$ — 3×3 pixels — and assume that inside it the foreground
# colours lie on a line in RGB space, $F_i = \beta_i F_1 + (1-\beta_i) F_2$, and so do the background colours,
# $B_i = \gamma_i B_1 + (1-\gamma_i) B_2$ (two shades of fur, two of saucer: in a tiny window a natural image rarely
# holds more). Put both into $I_i = \alpha_i F_i + (1-\alpha_i) B_i$ and subtract $B_2$:
# $$I_i - B_2 = \alpha_i\,(F_2 - B_2) + \alpha_i\beta_i\,(F_1 - F_2) + (1-\alpha_i)\gamma_i\,(B_1 - B_2),$$
# 3 equations linear in the three unknowns $\alpha_i$, $\alpha_i\beta_i$ and $(1-\alpha_i)\gamma_i$, with the same
# $3\times 3$ matrix $[F_2 - B_2,\; F_1 - F_2,\; B_1 - B_2]$ for every pixel of the window (invertible unless its three
# columns lie in one plane). So $\alpha_i$ is the first row of the inverse times $I_i - B_2$:
# $$\alpha_i = a^\top I_i + b \qquad \text{for every pixel } i \text{ of the window, one } (a, b) \text{ per window.}$$
# Alpha is an **affine function of the colour**, locally. On one window of the scene, with the true alpha: fit
# $(a, b)$ by least squares and look at what is left.

# %%
r_demo = 2  # a 5x5 window: 25 pixels against 4 parameters
n_demo = 2 * r_demo + 1
alpha_windows = sliding_window_view(scene.alpha.astype(np.float64), (n_demo, n_demo))
ky, kx = np.unravel_index(np.argmax(alpha_windows.std(axis=(-1, -2))), alpha_windows.shape[:2])  # the most mixed
window_colours = scene.image[ky : ky + n_demo, kx : kx + n_demo].reshape(-1, 3).astype(np.float64)
window_alpha = scene.alpha[ky : ky + n_demo, kx : kx + n_demo].ravel().astype(np.float64)
design = np.column_stack([window_colours, np.ones(n_demo**2)])  # rows (I_i^T, 1)
(a_r, a_g, a_b, b_fit), *_ = np.linalg.lstsq(design, window_alpha, rcond=None)
fitted = design @ [a_r, a_g, a_b, b_fit]
rms = np.sqrt(np.mean((window_alpha - fitted) ** 2))
shuffled = np.random.default_rng(0).permutation(window_alpha)  # the same alphas, no longer tied to the colours
rms_shuffled = np.sqrt(np.mean((shuffled - design @ np.linalg.lstsq(design, shuffled, rcond=None)[0]) ** 2))
print(f"window at ({ky}, {kx}), {n_demo}x{n_demo}: alpha from {window_alpha.min():.2f} to {window_alpha.max():.2f} "
      f"(std {window_alpha.std():.3f})")
print(f"a = ({a_r:.2f}, {a_g:.2f}, {a_b:.2f}), b = {b_fit:.2f}; RMS residual {rms:.4f}; "
      f"the same fit to shuffled alphas leaves {rms_shuffled:.4f}")
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
axes[0].imshow(scene.image[ky : ky + n_demo, kx : kx + n_demo], interpolation="nearest")
axes[0].set_title("the window's colours")
axes[1].imshow(window_alpha.reshape(n_demo, n_demo), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
axes[1].set_title("its true alpha")
axes[2].plot([0, 1], [0, 1], "k:", linewidth=0.8)
axes[2].plot(window_alpha, fitted, "o", markersize=4)
axes[2].set_xlabel("true alpha")
axes[2].set_ylabel("a^T I + b")
axes[2].set_title(f"the affine fit (RMS {rms:.3f})")
for ax in axes[:2]:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# One window could be luck, so fit every window that holds a mix (alpha's spread in the window above 0.1), for three
# window sizes, and compare with the control of shuffled alphas: the fraction of alpha's variance the fit explains
# ($R^2$). A fit with 4 parameters always explains some of the variance of 9 or 25 numbers, even random ones; the
# control says how much.

# %%
def window_r2(colour, alpha, r, shuffle=False, seed=0):
    """Median R^2 of the affine fit alpha_i ~ a^T I_i + b over the windows of radius r whose alpha varies."""
    n = 2 * r + 1
    colours = sliding_window_view(colour, (n, n), axis=(0, 1)).reshape(-1, 3, n * n).transpose(0, 2, 1)
    alphas = sliding_window_view(alpha, (n, n)).reshape(-1, n * n)
    mixed = alphas.std(axis=1) > 0.1
    colours, alphas = colours[mixed], alphas[mixed]
    if shuffle:
        alphas = np.random.default_rng(seed).permuted(alphas, axis=1)
    design = np.concatenate([colours, np.ones((*alphas.shape, 1))], axis=2)  # (windows, n*n, 4)
    gram = design.transpose(0, 2, 1) @ design + np.diag([1e-7, 1e-7, 1e-7, 0])  # a whisker of ridge for flat windows
    coef = np.linalg.solve(gram, design.transpose(0, 2, 1) @ alphas[..., None])
    residual = alphas - (design @ coef)[..., 0]
    return float(np.median(1 - residual.var(axis=1) / alphas.var(axis=1))), int(mixed.sum())


colour64, alpha64 = scene.image.astype(np.float64), scene.alpha.astype(np.float64)
r2 = {}
for r in (1, 2, 3):
    r2[r], count = window_r2(colour64, alpha64, r)
    control, _ = window_r2(colour64, alpha64, r, shuffle=True)
    print(f"{2 * r + 1}x{2 * r + 1} windows: {count:5d} mixed windows, median R^2 {r2[r]:.3f} "
          f"(shuffled alphas: {control:.3f})")

# %% [markdown]
# In 3×3 windows the affine model explains nearly all of alpha's variance, far above the control; it weakens as the
# window grows and holds more than two shades of fur and saucer (the printed medians; smoke mode's scene is a
# downscaled one, with more detail per window, so its numbers are lower). That is why closed-form matting uses the
# smallest window, $r = 1$.
#
# ## 3. The matting Laplacian
#
# ### 3.1 The cost, and eliminating $a$ and $b$
#
# If alpha is affine in each window, a good matte is one that some $(a_k, b_k)$ per window explain well. Levin et al.
# write the cost over all windows $w_k$ (one centred on each pixel $k$ whose window fits in the image):
# $$J(\alpha, a, b) = \sum_k \Big[\sum_{i \in w_k} \big(\alpha_i - a_k^\top I_i - b_k\big)^2 + \varepsilon\,
# \lVert a_k\rVert^2\Big].$$
# The term $\varepsilon \lVert a_k \rVert^2$ prefers flat mattes (small slopes) and keeps the fit defined in a window of
# one colour. For fixed $\alpha$, each window's $(a_k, b_k)$ is a small **ridge regression**, which can be solved in
# closed form and put back — leaving a cost in $\alpha$ alone. In one window, with $|w|$ pixels, mean colour $\mu_k$,
# colour covariance $\Sigma_k = \frac{1}{|w|}\sum_{i}(I_i-\mu_k)(I_i-\mu_k)^\top$, and $\bar\alpha_k$ the mean alpha:
#
# 1. $b_k$ is not penalised, so it makes the residual's mean zero: $b_k = \bar\alpha_k - a_k^\top\mu_k$, and the
#    residual becomes $(\alpha_i - \bar\alpha_k) - a_k^\top (I_i - \mu_k)$ — centred alpha against centred colour.
# 2. With $X$ the $|w|\times 3$ matrix of centred colours and $y$ the centred alphas, ridge regression gives
#    $a_k = (X^\top X + \varepsilon\,\mathrm{Id})^{-1}X^\top y = \Delta_k^{-1}\operatorname{cov}_k(I, \alpha)$ with
#    $\Delta_k = \Sigma_k + \frac{\varepsilon}{|w|}\mathrm{Id}$, and its minimum is
#    $y^\top y - y^\top X (X^\top X + \varepsilon\,\mathrm{Id})^{-1} X^\top y$.
# 3. Both terms are quadratic in $\alpha$:
#    $y^\top y = \alpha^\top(\mathrm{Id} - \frac{1}{|w|}\mathbf 1\mathbf 1^\top)\alpha$ and
#    $X^\top y = X^\top\alpha$ (the columns of $X$ sum to zero). So the window costs
#    $\alpha_{w_k}^\top L^{(k)}\alpha_{w_k}$ with
#    $L^{(k)} = \mathrm{Id} - \frac{1}{|w|}\big(\mathbf 1\mathbf 1^\top + X\Delta_k^{-1}X^\top\big)$.
#
# Summing the windows:
# $$J(\alpha) = \min_{a, b} J(\alpha, a, b) = \alpha^\top L\,\alpha,\qquad
# L_{ij} = \sum_{k\,:\, i, j \in w_k}\Big(\delta_{ij} - \frac{1}{|w_k|}\Big(1 + (I_i - \mu_k)^\top
# \big(\Sigma_k + \tfrac{\varepsilon}{|w_k|}\mathrm{Id}\big)^{-1}(I_j - \mu_k)\Big)\Big).$$
# $L$ is the **matting Laplacian**: $N\times N$ for $N$ pixels, with $L_{ij} \ne 0$ only when $i$ and $j$ share a
# window (within 2 pixels of each other in both directions for $r=1$: 25 non-zeros per row). Below, the formula as a
# loop over the windows of a tiny 12×16 crop of the scene, assembled into a dense matrix.

# %%
def dense_matting_laplacian(image, eps=1e-7, r=1):
    """The matting Laplacian of an (h, w, 3) image as a dense (h*w, h*w) matrix, one window at a time."""
    h, w, c = image.shape
    n = 2 * r + 1
    size = n * n  # |w|
    index = np.arange(h * w).reshape(h, w)
    L = np.zeros((h * w, h * w))
    for y in range(h - 2 * r):  # windows that lie wholly inside the image
        for x in range(w - 2 * r):
            pixels = index[y : y + n, x : x + n].ravel()
            X = image[y : y + n, x : x + n].reshape(size, c)
            X = X - X.mean(axis=0)  # I_i - mu_k
            delta = X.T @ X / size + eps / size * np.eye(c)  # Sigma_k + eps/|w| Id
            L[np.ix_(pixels, pixels)] += np.eye(size) - (1 + X @ np.linalg.solve(delta, X.T)) / size
    return L


def cost_by_regression(image, alpha, eps=1e-7, r=1):
    """J(alpha) straight from its definition: the best (a_k, b_k) of each window by least squares, cost summed."""
    h, w, c = image.shape
    n = 2 * r + 1
    total = 0.0
    for y in range(h - 2 * r):
        for x in range(w - 2 * r):
            colours = image[y : y + n, x : x + n].reshape(n * n, c)
            rows = np.block([[colours, np.ones((n * n, 1))], [np.sqrt(eps) * np.eye(c), np.zeros((c, 1))]])
            target = np.concatenate([alpha[y : y + n, x : x + n].ravel(), np.zeros(c)])  # the ridge rows ask a = 0
            coef = np.linalg.lstsq(rows, target, rcond=None)[0]
            total += ((rows @ coef - target) ** 2).sum()
    return total


edge_row = int(np.argmax(scene.alpha[:, W // 2] >= 0.5))  # where the ellipse's top edge crosses the middle column
tiny = scene.image[edge_row - 6 : edge_row + 6, W // 2 - 8 : W // 2 + 8].astype(np.float64)  # a 12x16 crop across it
th, tw = tiny.shape[:2]
t0 = time.perf_counter()
L_dense = dense_matting_laplacian(tiny)
t_dense = time.perf_counter() - t0
alpha_random = np.random.default_rng(1).random((th, tw))
J_quadratic = alpha_random.ravel() @ L_dense @ alpha_random.ravel()
J_regression = cost_by_regression(tiny, alpha_random)
print(f"tiny crop {th}x{tw}: L is {L_dense.shape[0]}x{L_dense.shape[1]}, assembled in {1e3 * t_dense:.0f} ms")
print(f"random alpha: alpha^T L alpha = {J_quadratic:.6f}; min over (a, b) of J(alpha, a, b) = {J_regression:.6f}")

# %% [markdown]
# The quadratic form and the cost with its best $(a, b)$ agree (the two printed numbers): eliminating $a$ and $b$ lost
# nothing. Now the same matrix from minigen. `matting_laplacian_apply(image)` (in `minigen/imaging/matting.py`,
# class `MattingLaplacian`) never builds $L$: it is the *function* $p \mapsto Lp$. Applying it to each unit vector
# $e_j$ gives $L$'s columns, so we can compare the two entry by entry, and the diagonal with
# `matting_laplacian_diagonal`. We also check what the derivation predicts: $L$ is symmetric; $L\mathbf 1 = 0$
# (a constant alpha is explained by $a = 0$, $b = $ the constant, at no cost); $L$ is positive semi-definite (it is a
# sum of minimum costs, never negative); and alpha equal to one colour channel, affine in the colour everywhere, costs
# almost nothing: $a_k$ = that channel's unit vector, $b_k = 0$, and only
# $\varepsilon\lVert a_k\rVert^2 = \varepsilon$ per window is left.

# %%
apply_tiny = matting_laplacian_apply(tiny)
L_free = np.stack([apply_tiny(unit.reshape(th, tw)).ravel() for unit in np.eye(th * tw)], axis=1)
scale = np.abs(L_dense).max()
eigenvalues = np.linalg.eigvalsh(L_dense)
ones = np.ones((th, tw))
interior_row = L_dense[np.ravel_multi_index((th // 2, tw // 2), (th, tw))]
print(f"largest |L_dense - L_matrix-free| = {np.abs(L_dense - L_free).max() / scale:.1e} of the largest entry "
      f"({scale:.3g})")
print(f"largest |diag(L) - matting_laplacian_diagonal| = "
      f"{np.abs(np.diag(L_dense) - matting_laplacian_diagonal(tiny).ravel()).max() / scale:.1e}")
print(f"symmetry: largest |L - L^T| = {np.abs(L_dense - L_dense.T).max() / scale:.1e};  "
      f"L 1: largest |.| = {np.abs(apply_tiny(ones)).max():.1e}")
print(f"eigenvalues from {eigenvalues.min():.1e} to {eigenvalues.max():.3g}; non-zeros in an interior row: "
      f"{np.count_nonzero(np.abs(interior_row) > 1e-12 * scale)}")
print(f"alpha = the red channel costs {tiny[..., 0].ravel() @ L_dense @ tiny[..., 0].ravel():.2e} "
      f"(eps x the {(th - 2) * (tw - 2)} windows = {1e-7 * (th - 2) * (tw - 2):.2e}); a random alpha {J_quadratic:.3g}")

# %% [markdown]
# ### 3.2 Why matrix-free
#
# The explicit matrix has $N^2$ entries: for the full-size scene ($330\times 400$, $N = 132{,}000$: a full run) that
# is 139 GB of float64, and even stored sparse, 25 non-zeros per row, it is 3.3 million entries to build, index and
# store. minigen's class uses the same algebra in reverse: for a vector $p$, window $k$ contributes
# $p_i - (a_k^\top I_i + b_k)$ with $(a_k, b_k)$ the ridge fit of the colour-line model to $p$ in $w_k$ — so
# $(Lp)_i = n_i p_i - \sum_{k \ni i}(a_k^\top I_i + b_k)$, $n_i$ the number of windows holding $i$. Every ingredient
# is a **window sum**: $\mu_k$ and $\Sigma_k$ (sums of $I$ and $II^\top$), $\bar p_k$ and $\operatorname{cov}_k(I, p)$
# (sums of $p$ and $Ip$), and the sum over the windows that hold pixel $i$. A window sum is a **box filter**, and an
# integral image (a cumulative sum along each axis) makes it four lookups per window whatever its size, so $Lp$ costs
# $O(N)$ — a few box filters and a 3×3 product per pixel. The window means by cumulative sums, against the loop's:

# %%
def box_mean(x, r):
    """The mean of x over every (2r+1)x(2r+1) window inside the image, by an integral image: O(pixels), any r."""
    n = 2 * r + 1
    c = np.pad(x, ((1, 0), (1, 0)) + ((0, 0),) * (x.ndim - 2)).cumsum(axis=0).cumsum(axis=1)
    return (c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]) / n**2


mu_loop = np.array([[tiny[y : y + 3, x : x + 3].reshape(9, 3).mean(axis=0) for x in range(tw - 2)]
                    for y in range(th - 2)])
print(f"window means, integral image vs loop: largest difference {np.abs(box_mean(tiny, 1) - mu_loop).max():.1e}")

apply_scene = matting_laplacian_apply(scene.image)
p_test = np.random.default_rng(2).random((H, W)).astype(np.float32)
apply_scene(p_test)  # a warm-up call, not timed
t0 = time.perf_counter()
repeats = 5
for _ in range(repeats):
    apply_scene(p_test)
t_apply = (time.perf_counter() - t0) / repeats
print(f"scene {H}x{W} (N = {H * W}): one L p takes {1e3 * t_apply:.1f} ms; a dense L would hold "
      f"{(H * W) ** 2 * 8 / 1e9:.3g} GB, a sparse one {25 * H * W} non-zeros")

# %% [markdown]
# ## 4. Solving for alpha: conjugate gradient
#
# The matte minimises the colour-line cost while agreeing with the trimap where it is known:
# $$\alpha = \arg\min_\alpha\; \alpha^\top L\,\alpha + \lambda\,(\alpha - \alpha_\text{known})^\top D\,
# (\alpha - \alpha_\text{known}),$$
# $D$ diagonal with 1 on the known pixels, $\lambda = 100$ a large weight. Setting the gradient to zero gives one
# linear system, $N$ equations:
# $$(L + \lambda D)\,\alpha = \lambda D\,\alpha_\text{known}.$$
# $L + \lambda D$ is **symmetric positive definite**: $L$ is positive semi-definite, the only alphas it does not
# penalise at all are the constants (with $\varepsilon > 0$ a window costs nothing only if $a_k = 0$), and $\lambda D$
# penalises those as soon as one pixel is known. Alphas affine in the colour cost *almost* nothing, though (section
# 3.1's red channel): $L$ has tiny eigenvalues besides large ones, and that spread is what makes the system slow.
#
# **Conjugate gradient (CG)** is the method for exactly this kind of system. Solving $Ax = b$ with $A$ SPD is
# minimising the bowl $\frac12 x^\top A x - b^\top x$. CG walks down it along search directions that are
# *$A$-conjugate* ($p_i^\top A p_j = 0$), so each step's progress is never undone by a later one; after $k$ steps $x_k$
# is the best point of a $k$-dimensional (Krylov) subspace. It needs only $p \mapsto Ap$ — our matrix-free $L$ — and
# four vectors of memory. Its speed depends on the **condition number** $\kappa$ of $A$ (largest over smallest
# eigenvalue): the error shrinks at least like $\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^k$. Information also
# moves about one window per step, so a wide unknown band takes many steps. A **preconditioner** $M \approx A$, cheap
# to invert, makes CG solve the better-conditioned $M^{-1}Ax = M^{-1}b$ instead. The simplest is **Jacobi**:
# $M = \operatorname{diag}(A)$, which evens out the very different scales of the known rows ($\lambda$ added) and the
# unknown ones. A better **start** helps too: minigen's default, **coarse-to-fine**, solves the problem on a 2×
# smaller image first (recursively), fits the colour-line model $(a, b)$ to the coarse matte, and starts the fine CG
# from $a^\top I + b$ evaluated on the fine image's colours.
#
# `conjugate_gradient(apply_a, b, x0, precondition=..., callback=...)` in `minigen/imaging/solver.py` is the solver
# that matting and Poisson blending share. We call it directly, three ways, recording the relative residual
# $\lVert b - A\alpha\rVert / \lVert b\rVert$ after each step, to the tolerance `closed_form_alpha` uses ($10^{-6}$).

# %%
LAMBDA, RTOL = 100.0, 1e-6
alpha_known = (scene.trimap == 1).astype(np.float32)  # 1 on known foreground, 0 elsewhere
weight = LAMBDA * known.astype(np.float32)  # lambda D
rhs = LAMBDA * alpha_known  # lambda D alpha_known


def apply_system(p):
    return apply_scene(p) + weight * p  # (L + lambda D) p, matrix-free


inverse_diagonal = 1 / np.maximum(apply_scene.diagonal() + weight, 1e-6)  # Jacobi: M^-1 = 1 / diag(L + lambda D)


def coarser(image, trimap):
    """The next level down: 2x2 means of the colours; a coarse pixel is known only if its four children agree."""
    h, w = image.shape[:2]
    pad = ((0, h % 2), (0, w % 2))
    image, trimap = np.pad(image, pad + ((0, 0),), mode="edge"), np.pad(trimap, pad, mode="edge")

    def blocks(x):
        return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2, *x.shape[2:])

    foreground, background = blocks(trimap == 1).all(axis=(1, 3)), blocks(trimap == 0).all(axis=(1, 3))
    return blocks(image).mean(axis=(1, 3)), np.where(foreground, 1, np.where(background, 0, 0.5)).astype(trimap.dtype)


def upsample2(x, shape):
    """Bilinear 2x upsampling of (..., h, w) to (..., H, W): fine pixel j sits at coarse j/2 - 1/4."""
    for axis, n in zip((-2, -1), shape):
        j = np.arange(n)
        nearest, neighbour = j // 2, np.clip(j // 2 + 2 * (j % 2) - 1, 0, x.shape[axis] - 1)
        x = 0.75 * np.take(x, nearest, axis=axis) + 0.25 * np.take(x, neighbour, axis=axis)
    return x


x0_flat = np.where(known, alpha_known, 0.5).astype(np.float32)  # unknown pixels start at 1/2
t0 = time.perf_counter()
small_image, small_trimap = coarser(scene.image, scene.trimap)
coarse_alpha = closed_form_alpha(small_image, small_trimap, rtol=10 * RTOL)  # a start only: a looser tolerance
slope, offset = matting_laplacian_apply(small_image).affine_model(coarse_alpha)  # (a, b) per coarse pixel
guess = (upsample2(slope, (H, W)) * scene.image.transpose(2, 0, 1)).sum(axis=0) + upsample2(offset, (H, W))
x0_guided = np.where(known, alpha_known, np.clip(guess, 0, 1)).astype(np.float32)
t_coarse = time.perf_counter() - t0

runs = {}
for name, x0, precondition in [
    ("plain CG", x0_flat, None),
    ("Jacobi PCG", x0_flat, lambda r: r * inverse_diagonal),
    ("coarse-to-fine start + Jacobi", x0_guided, lambda r: r * inverse_diagonal),
]:
    history = []  # the callback is called after each step with (iteration, relative residual)
    t0 = time.perf_counter()
    solution, info = conjugate_gradient(apply_system, rhs, x0, precondition=precondition, rtol=RTOL, max_iter=3000,
                                        callback=lambda k, residual, history=history: history.append(residual))
    seconds = time.perf_counter() - t0 + (t_coarse if "coarse" in name else 0.0)
    alpha_solved = np.where(known, alpha_known, np.clip(solution, 0, 1))
    runs[name] = dict(history=history, info=info, seconds=seconds, alpha=alpha_solved,
                      sad=float(np.abs(alpha_solved - scene.alpha)[unknown].sum()))

t0 = time.perf_counter()
alpha_hat, matting_info = closed_form_alpha(scene.image, scene.trimap, return_info=True)  # minigen's default
t_default = time.perf_counter() - t0
sad_default = float(np.abs(alpha_hat - scene.alpha)[unknown].sum())
sad_half = float(np.abs(scene.trimap - scene.alpha)[unknown].sum())  # the trimap itself: 1/2 on every unknown

plt.figure(figsize=(7, 4))
for name, run in runs.items():
    plt.semilogy(np.arange(1, len(run["history"]) + 1), run["history"], label=f"{name} ({run['info'].iterations})")
plt.axhline(RTOL, color="k", linestyle=":", linewidth=0.8)
plt.xlabel("iteration (at the finest level)")
plt.ylabel("relative residual ||b - A alpha|| / ||b||")
plt.title(f"(L + λD) α = λD α_known on the {H}x{W} scene")
plt.legend()
plt.show()
for name, run in runs.items():
    print(f"{name:30s} {run['info'].iterations:4d} iterations, residual after step 1 {run['history'][0]:.1e}, "
          f"at the end {run['info'].residual:.1e}, {run['seconds']:.2f} s, SAD {run['sad']:.1f}")
levels = zip(matting_info.level_shapes[:-1], matting_info.level_iterations)
coarse_work = sum(n * h * w for (h, w), n in levels) / (H * W)  # the coarser levels' steps, in fine-step units
print(f"{'closed_form_alpha (default)':30s} {matting_info.level_iterations[-1]:4d} iterations at the finest level, "
      f"{t_default:.2f} s, SAD {sad_default:.1f}; its coarser levels cost as much as {coarse_work:.0f} fine steps")
print(f"  {matting_info}")
print(f"SAD = sum of |alpha - true alpha| over the {unknown.sum()} unknown pixels; "
      f"mean {sad_default / unknown.sum():.4f}; the trimap's 1/2 everywhere: SAD {sad_half:.1f}")

# %% [markdown]
# The plain CG needs the most steps; Jacobi cuts them, and the coarse-to-fine start cuts them again — the coarse matte
# is already right in most places, so the fine CG starts from a much smaller residual (the printed residuals after the
# first step, and the curves' first points). The coarser levels cost little: a level with a quarter of the pixels costs
# a quarter per step (the printed fine-step equivalent). (Our one-level rebuild and `closed_form_alpha` differ by an
# iteration or so: minigen solves each coarser level with a looser tolerance of its own.) All three solve the same
# system, so their SADs — the **sum of absolute differences** to the true alpha over the unknown band, the usual matting
# score — agree to within a few percent (each stops at a residual of $10^{-6}$, from a different start, so not at
# exactly the same point), and all are far below the trimap's own 1/2: the matte's remaining error is the colour-line
# model's, not the solver's. (The plain curve zigzags: CG minimises the error measured in $A$'s norm,
# $\sqrt{e^\top A e}$, at every step, not the residual, which need not fall every time.)
#
# Where is it wrong? Below: the estimate, and its error.

# %%
error_map = np.abs(alpha_hat - scene.alpha)
show_row([alpha_hat, scene.alpha, np.clip(4 * error_map, 0, 1)],
         ["closed_form_alpha", "the true alpha", "|error| x 4"])
print(f"largest error {error_map.max():.2f}; pixels with error > 0.1: {(error_map > 0.1).sum()} of {unknown.sum()}; "
      f"alpha equals the trimap on every known pixel: {bool(np.array_equal(alpha_hat[known], scene.trimap[known]))}")

# %% [markdown]
# The errors sit in the thin strands and where the fur and the coffee happen to share a colour: there no colour line
# can tell them apart.
#
# **Scribbles** instead of a trimap: the same solver, with a ring of foreground inside the cat and one of background
# outside it, and every other pixel unknown. Far less input; the colour-line prior must carry alpha much further.

# %%
yy, xx = np.mgrid[0:H, 0:W]
radius = np.hypot((yy - H / 2) / (0.3 * H), (xx - W / 2) / (0.28 * W))  # 1 on the ellipse's outline
scribbles = np.full((H, W), 0.5, dtype=np.float32)
scribbles[np.abs(radius - 0.5) < 0.03] = 1  # a ring inside the cat
scribbles[np.abs(radius - 1.45) < 0.03] = 0  # a ring on the coffee
t0 = time.perf_counter()
alpha_scribbles, scribble_info = closed_form_alpha(scene.image, scribbles, return_info=True)
t_scribbles = time.perf_counter() - t0
sad_scribbles_all = float(np.abs(alpha_scribbles - scene.alpha).sum())
sad_trimap_all = float(np.abs(alpha_hat - scene.alpha).sum())
show_row([scene.image * (0.4 + 0.6 * (scribbles == 0.5)[..., None]), alpha_scribbles, alpha_hat],
         ["scribbles (darkened)", "alpha from scribbles", "alpha from the trimap"])
print(f"scribbles mark {(scribbles != 0.5).sum()} pixels ({(scribbles != 0.5).mean():.0%}), the trimap "
      f"{known.sum()} ({known.mean():.0%})")
print(f"SAD over the whole image: scribbles {sad_scribbles_all:.0f}, trimap {sad_trimap_all:.0f}; "
      f"{scribble_info.level_iterations[-1]} iterations at the finest level, {t_scribbles:.2f} s")

# %% [markdown]
# From two rings, the matte still finds most of the cat, but leaks wherever fur and coffee share colours across a
# long stretch (the printed SADs: several times the trimap's in a full run). A trimap is more work for the user and
# much less guessing for the prior.
#
# ## 5. The cut-out on a new background
#
# To put the cat on another picture $B'$ we need $\alpha F + (1-\alpha)B'$: alpha *and* the foreground colour $F$. In
# a half-covered pixel the photograph $I$ is *not* $F$: it still holds the old background. The tempting shortcut —
# composite $I$ itself with $\alpha$ — gives
# $$\alpha I + (1-\alpha)B' = \underbrace{\alpha F + (1-\alpha)B'}_{\text{wanted}}
# + \underbrace{\alpha(1-\alpha)(B - F)}_{\text{a halo}},$$
# the old background leaking in with weight $\alpha(1-\alpha)$ — the most (1/4) where $\alpha = 1/2$: a fringe of
# coffee around every strand. `estimate_foreground(image, alpha)` (Levin et al., section 7) finds both $F$ and $B$
# per pixel: the composite must match, $\alpha_i F_i + (1-\alpha_i)B_i \approx I_i$, and $F$ and $B$ must be smooth
# except where alpha changes — a sparse least-squares problem, solved with the same CG.

# %%
new_background = cover(sample_image("astronaut"), H, W)
t0 = time.perf_counter()
F_hat, B_hat = estimate_foreground(scene.image, alpha_hat)  # F from our alpha
t_foreground = time.perf_counter() - t0
F_given_truth, _ = estimate_foreground(scene.image, scene.alpha)  # F from the true alpha: the halo on its own
truth = over(scene.foreground, scene.alpha, new_background)  # what a perfect cut-out would give
soft = (scene.alpha > 0.05) & (scene.alpha < 0.95)
halo_identity = over(scene.image, scene.alpha, new_background) - truth
predicted = (scene.alpha * (1 - scene.alpha))[..., None] * (scene.background - scene.foreground)
print(f"estimate_foreground: {t_foreground:.2f} s")
print(f"with the true alpha: largest |(alpha I + (1-alpha) B') - (alpha F + (1-alpha) B') - alpha(1-alpha)(B - F)| "
      f"= {np.abs(halo_identity - predicted).max():.4f} (I is rounded to 8 bits: 1/510 = {1 / 510:.4f})")
composites = {
    ("true alpha", "I as F"): over(scene.image, scene.alpha, new_background),
    ("true alpha", "estimated F"): over(F_given_truth, scene.alpha, new_background),
    ("our alpha", "I as F"): over(scene.image, alpha_hat, new_background),
    ("our alpha", "estimated F"): over(F_hat, alpha_hat, new_background),
}
errors = {}
for (which_alpha, which_f), image in composites.items():
    errors[which_alpha, which_f] = float(np.abs(image - truth)[soft].mean())
    print(f"{which_alpha:10s} with {which_f:11s}: mean |composite - true composite| over the {soft.sum()} soft pixels "
          f"(0.05 < alpha < 0.95) {errors[which_alpha, which_f]:.4f}, over the unknown band "
          f"{np.abs(image - truth)[unknown].mean():.4f}")

halo_map = np.abs(composites["our alpha", "I as F"] - truth).sum(axis=2)
side = max(H, W) // 6
cy, cx = np.unravel_index(np.argmax(box_mean(halo_map, side // 2)), (H - 2 * (side // 2), W - 2 * (side // 2)))
crop = (slice(cy, cy + side), slice(cx, cx + side))  # the square of the image where the shortcut's halo is worst
show_row([composites["our alpha", "I as F"][crop], composites["our alpha", "estimated F"][crop], truth[crop]],
         ["our alpha, I as F: the halo", "our alpha, estimated F", "the truth"])
show_row([composites["our alpha", "estimated F"], np.clip(8 * halo_map / 3, 0, 1)],
         ["the cut-out on the astronaut", "|shortcut - truth| x 8"], size=4)

# %% [markdown]
# Two sources of error, separated by the four printed lines. With the true alpha, the shortcut's error is the halo
# alone, and estimating $F$ removes most of it. With our alpha, the matte's own mistakes (section 4) add an error that
# no $F$ can repair, but estimating $F$ still lowers the error on the soft pixels, where the halo lives. In the crop:
# brownish coffee along the strands and the rim with the shortcut, cleaner edges with the estimated $F$.
#
# ## 6. *Over* with premultiplied colours
#
# Porter & Duff (1984) composite **layers**, each with its own alpha, not just one layer on an opaque background.
# Layer $A$ over layer $B$ covers $\alpha = \alpha_A + (1-\alpha_A)\alpha_B$, and its colour is the coverage-weighted
# mix, $C = \big(\alpha_A C_A + (1-\alpha_A)\alpha_B C_B\big)/\alpha$: a division, awkward where $\alpha = 0$. Store
# instead the **premultiplied** colour $c = \alpha C$ (`premultiply`), and *over* becomes
# $$c = c_A + (1-\alpha_A)\,c_B, \qquad \alpha = \alpha_A + (1-\alpha_A)\,\alpha_B$$
# — the same linear rule for colour and alpha, no division. Composing three layers either way round:
# $$(A \text{ over } B) \text{ over } C:\quad c_A + (1-\alpha_A)c_B + (1-\alpha_A)(1-\alpha_B)\,c_C,$$
# and $A$ over $(B$ over $C)$ expands to the same three terms: **over is associative**. A renderer may composite a
# stack of layers in any grouping (say, flatten a group first), and get the same picture. The tempting mistake is the
# opaque-background formula, $C = \alpha_A C_A + (1-\alpha_A) C_B$, applied to straight colours of translucent layers.

# %%
rng = np.random.default_rng(3)
layers = [(rng.random((6, 7, 3)), rng.random((6, 7))) for _ in range(3)]  # three straight (colour, alpha) layers
(c1, a1), (c2, a2), (c3, a3) = [(premultiply(colour, alpha), alpha) for colour, alpha in layers]
left_first = over_premultiplied(*over_premultiplied(c1, a1, c2, a2), c3, a3)
right_first = over_premultiplied(c1, a1, *over_premultiplied(c2, a2, c3, a3))
print(f"premultiplied over, (A over B) over C vs A over (B over C): "
      f"colour {np.abs(left_first[0] - right_first[0]).max():.1e}, "
      f"alpha {np.abs(left_first[1] - right_first[1]).max():.1e}")


def naive_over(colour_a, alpha_a, colour_b, alpha_b):
    """The opaque-background formula misused on straight colours of translucent layers."""
    return alpha_a[..., None] * colour_a + (1 - alpha_a[..., None]) * colour_b, alpha_a + (1 - alpha_a) * alpha_b


(s1, b1), (s2, b2), (s3, b3) = layers
naive_left = naive_over(*naive_over(s1, b1, s2, b2), s3, b3)
naive_right = naive_over(s1, b1, *naive_over(s2, b2, s3, b3))
print(f"straight colours with the opaque formula: the two groupings differ by up to "
      f"{np.abs(naive_left[0] - naive_right[0]).max():.3f} in colour")
straight = unpremultiply(left_first[0], left_first[1])  # the stack's straight colour: c / alpha
print(f"onto an opaque background, over(alpha F, premultiplied=True) vs over(F): largest difference "
      f"{np.abs(over(c1, a1, s3, premultiplied=True) - over(s1, a1, s3)).max():.1e}; the stack's straight colour "
      f"lies in [{straight.min():.2f}, {straight.max():.2f}]")

# %% [markdown]
# Premultiplied *over* agrees in both groupings to the last bits of float64 (the first printed line); the misused
# straight formula does not (the second); onto an opaque background the two forms are the same formula (the third).
# Premultiplied colours have a second merit: filtering them (blurring, resizing) weighs each colour by its coverage, so
# a fully transparent pixel's meaningless colour never bleeds into its neighbours. Going back to straight colours means
# dividing by alpha, which must be done with care where alpha is 0 (exercise 3).
#
# ## 7. Poisson image editing (Pérez, Gangnet & Blake 2003)
#
# *Over* needs an alpha; a quick paste of a region with a hard mask has none, and its border shows, because the
# source's colours and lighting are not the target's. Pérez et al.'s idea: what we perceive of the pasted object is
# mostly its **gradients** (edges, texture), not its absolute colours. So ask, inside the region $\Omega$, for an
# image $f$ whose gradient is as close as possible to a **guidance field** $v$ — the source's gradient $\nabla g$ —
# while equal to the target $f^*$ on the border $\partial\Omega$:
# $$\min_f \iint_\Omega \lVert\nabla f - v\rVert^2 \quad\text{with}\quad f|_{\partial\Omega} = f^*|_{\partial\Omega}
# \qquad\Longleftrightarrow\qquad \Delta f = \operatorname{div} v \text{ in } \Omega,\quad
# f|_{\partial\Omega} = f^*|_{\partial\Omega}$$
# (the Euler–Lagrange equation of the integral is a Poisson equation). With $v = \nabla g$ it reads
# $\Delta f = \Delta g$: $f - g$ is **harmonic**, the smoothest membrane that takes the boundary mismatch $f^* - g$ on
# $\partial\Omega$ and spreads it across $\Omega$ — a gentle shift of colour and light, with every edge of the source
# kept.
#
# **Discretely** (the paper's equation 7), for each pixel $p \in \Omega$ with 4-neighbours $N_p$ and
# $v_{pq} = g_p - g_q$ (the guidance along the pair $p, q$):
# $$|N_p|\, f_p - \sum_{q \in N_p \cap \Omega} f_q = \sum_{q \in N_p \cap \partial\Omega} f^*_q + \sum_{q \in N_p}
# v_{pq}.$$
# One equation per pixel of $\Omega$, symmetric positive definite again — the same CG, with the 5-point stencil as
# the matrix-free operator (`poisson_blend` / `poisson_system` in `minigen/imaging/compose.py`). **Mixed gradients**
# take, for each pair, whichever of $f^*_p - f^*_q$ and $g_p - g_q$ is larger in magnitude, so that where the source
# is flat the target's own texture shows through.
#
# The source: Chelsea's eye, inside an ellipse. The targets: the coffee's crema, and the brick wall (grey, as RGB).

# %%
chelsea = sample_image("chelsea").astype(np.float64)
coffee = sample_image("coffee").astype(np.float64)
wall = np.repeat(sample_image("brick").astype(np.float64)[..., None], 3, axis=2)
sy, sx = np.mgrid[0 : chelsea.shape[0], 0 : chelsea.shape[1]]
eye = np.hypot((sy - 118) / 26, (sx - 172) / 38) <= 1  # the mask, in the source's coordinates


def paste(source, target, mask, offset):
    """A plain paste: the source's pixels in the mask replace the target's, shifted by offset = (rows, cols)."""
    result = target.copy()
    ys, xs = np.nonzero(mask)
    result[ys + offset[0], xs + offset[1]] = source[ys, xs]
    return result


def laplacian(f):
    """The 5-point discrete Laplacian at the interior pixels: the 4 neighbours' sum minus 4 f_p."""
    return f[:-2, 1:-1] + f[2:, 1:-1] + f[1:-1, :-2] + f[1:-1, 2:] - 4 * f[1:-1, 1:-1]


clones, poisson_seconds = {}, {}
for target_name, target, offset in [("coffee", coffee, (-18, 18)), ("brick wall", wall, (10, -44))]:
    clones[target_name, "paste"] = paste(chelsea, target, eye, offset)
    for mode, mixed in [("Poisson", False), ("mixed gradients", True)]:
        t0 = time.perf_counter()
        clones[target_name, mode], info = poisson_blend(chelsea, target, eye, offset, mixed=mixed, rtol=1e-8,
                                                        return_info=True)
        poisson_seconds[target_name, mode] = (time.perf_counter() - t0, info)
fig, axes = plt.subplots(2, 3, figsize=(12, 6))
for row, (target_name, (r0, r1, c0, c1)) in enumerate([("coffee", (35, 165, 110, 270)),
                                                          ("brick wall", (63, 193, 48, 208))]):
    for col, mode in enumerate(["paste", "Poisson", "mixed gradients"]):
        axes[row, col].imshow(np.clip(clones[target_name, mode][r0:r1, c0:c1], 0, 1))
        axes[row, col].set_title(f"{mode} into the {target_name}", fontsize=9)
        axes[row, col].axis("off")
plt.tight_layout()
plt.show()
for (target_name, mode), (seconds, info) in poisson_seconds.items():
    print(f"{mode:16s} into the {target_name:10s}: {eye.sum()} pixels in Omega, {info}, {seconds:.2f} s")

# %% [markdown]
# The paste shows its ellipse; the Poisson clone takes the colour and light of where it lands — a crema-coloured eye
# in the coffee, a grey-blue one on the wall (the wall's grey, plus the eye's own colour *differences*) — while keeping
# every edge of the eye. On the wall the plain Poisson clone wipes out the bricks inside the ellipse (the cat's smooth
# fur has no mortar lines); mixed gradients keep the stronger of the two gradients, so the mortar runs through the fur
# and the eye looks painted on the wall.
#
# Does the solution satisfy the discrete equation? Inside $\Omega$ the Laplacian of the clone must equal the
# source's, $\Delta f = \Delta g$; outside, nothing may change. We check it on the coffee clone, solved in float64 to a
# relative CG residual of $10^{-8}$.

# %%
offset = (-18, 18)
f = clones["coffee", "Poisson"]
eye_and_margin = np.hypot((sy - 118) / 28, (sx - 172) / 40) <= 1  # the ellipse grown by 2 pixels
g_on_target = paste(chelsea, coffee, eye_and_margin, offset)  # the source where it lands, with Omega's neighbours
omega = np.zeros(coffee.shape[:2], dtype=bool)
omega[np.nonzero(eye)[0] + offset[0], np.nonzero(eye)[1] + offset[1]] = True  # Omega in the target
inner = omega[1:-1, 1:-1]
lap_f, lap_g = laplacian(f)[inner], laplacian(g_on_target)[inner]
poisson_residual = float(np.linalg.norm(lap_f - lap_g) / np.linalg.norm(lap_g))
outside_unchanged = bool(np.array_equal(f[~omega], coffee[~omega]))
print(f"relative residual ||Lap f - Lap g|| / ||Lap g|| over Omega: {poisson_residual:.1e}")
print(f"pixels outside Omega exactly unchanged: {outside_unchanged}")
system = poisson_system(chelsea, coffee, eye, offset)
neighbour_counts = np.unique(system.neighbours[system.inside > 0])
print(f"poisson_system: a {system.inside.shape[0]}x{system.inside.shape[1]} window around Omega, "
      f"{int(system.inside.sum())} unknowns per channel; |N_p| in Omega: {neighbour_counts}")

# %% [markdown]
# ## 8. What we built, and where it stops
#
# * **Matting** is under-determined per pixel; a trimap plus a local prior (alpha affine in colour in each 3×3
#   window) turns it into one sparse SPD system, $(L + \lambda D)\alpha = \lambda D\alpha_\text{known}$, solved by
#   preconditioned CG with $L$ applied through box filters in $O(N)$.
# * Its errors come from the prior: where foreground and background share colours, or where a window holds more than
#   two shades of each. Learned matting networks (deep image matting, Xu et al. 2017, and its successors) replace the
#   hand-made prior by one learned from thousands of composites — made exactly like `matting_scene`.
# * **Compositing** needs $F$ as well as alpha, or the old background haloes every soft edge; premultiplied colours
#   make *over* linear and associative.
# * **Poisson editing** pastes gradients: no alpha, no visible seam, but the colour of the result is the target's,
#   not the source's — good for a patch of texture, wrong for an object that should keep its colour.
#
# ## Self-check

# %%
assert np.abs(L_dense - L_free).max() <= 1e-9 * scale, "the explicit L must equal the matrix-free L p"
assert np.abs(np.diag(L_dense) - matting_laplacian_diagonal(tiny).ravel()).max() <= 1e-9 * scale, "diag(L)"
assert np.abs(L_dense - L_dense.T).max() <= 1e-12 * scale, "L must be symmetric"
assert np.abs(apply_tiny(ones)).max() <= 1e-9 * scale, "L 1 must be 0"
assert eigenvalues.min() >= -1e-9 * scale, "L must be positive semi-definite"
assert np.isclose(J_quadratic, J_regression, rtol=1e-6), "alpha^T L alpha must equal the minimised cost"
assert abs(np.abs(box_mean(tiny, 1) - mu_loop).max()) <= 1e-12, "integral-image means must equal the loop's"
assert all(run["info"].converged for run in runs.values()) and matting_info.converged, "every PCG must converge"
its = {name: run["info"].iterations for name, run in runs.items()}
assert its["Jacobi PCG"] < its["plain CG"] and its["coarse-to-fine start + Jacobi"] < its["Jacobi PCG"], its
assert np.array_equal(alpha_hat[known], scene.trimap[known]), "alpha must equal the trimap where it is known"
assert sad_default <= 0.25 * sad_half and sad_default / unknown.sum() <= 0.1, (sad_default, sad_half)
assert all(abs(run["sad"] - sad_default) <= 0.1 * sad_default for run in runs.values()), "the solvers must agree"
assert np.abs(halo_identity - predicted).max() <= 1 / 255, "the halo is alpha (1 - alpha) (B - F)"
assert errors["true alpha", "estimated F"] < 0.5 * errors["true alpha", "I as F"], "F must remove most of the halo"
assert errors["our alpha", "estimated F"] < 0.9 * errors["our alpha", "I as F"], "F must help with our alpha too"
assert np.abs(left_first[0] - right_first[0]).max() <= 1e-12, "premultiplied over must be associative (colour)"
assert np.abs(left_first[1] - right_first[1]).max() <= 1e-12, "premultiplied over must be associative (alpha)"
assert np.abs(naive_left[0] - naive_right[0]).max() > 1e-2, "the misused straight formula is not associative"
assert poisson_residual <= 1e-4, f"Poisson: Lap f must equal Lap g inside the mask ({poisson_residual:.1e})"
assert outside_unchanged, "pixels outside the mask must be unchanged"
print(f"SAD {sad_default:.1f} over {unknown.sum()} unknown pixels (1/2 everywhere: {sad_half:.1f}); PCG iterations "
      f"{its}; Poisson residual {poisson_residual:.1e}")
print(f"Lesson 16 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the colour-line fit of one window.** Given the colours of a window's pixels, `colours` of shape
# (n, 3), their `alpha` (n,) and ε, return `(a, b)` — `a` of shape (3,), `b` a float — minimising
# $\sum_i (\alpha_i - a^\top I_i - b)^2 + \varepsilon\lVert a\rVert^2$, in closed form (section 3.1:
# $a = \Delta^{-1}\operatorname{cov}(I, \alpha)$, $b = \bar\alpha - a^\top\mu$), without `lstsq`.

# %%
def colour_line_fit(colours, alpha, eps):
    raise NotImplementedError


def check_colour_line_fit(fn):
    rng = np.random.default_rng(4)
    for r, eps in [(1, 1e-7), (1, 1e-2), (2, 1e-5)]:
        n = 2 * r + 1
        image, p = rng.random((n, n, 3)), rng.random((n, n))  # one window exactly
        a, b = fn(image.reshape(-1, 3), p.ravel(), eps)
        a_ref, b_ref = matting_laplacian_apply(image, eps=eps, radius=r).window_fit(p)
        assert np.shape(a) == (3,), f"a has shape (3,), got {np.shape(a)}"
        np.testing.assert_allclose(a, a_ref[:, 0, 0], rtol=1e-6, atol=1e-9, err_msg="a differs from window_fit's")
        np.testing.assert_allclose(b, b_ref[0, 0], rtol=1e-6, atol=1e-9, err_msg="b differs from window_fit's")
    colours = rng.random((9, 3))
    a, b = fn(colours, colours @ [0.5, -1.0, 2.0] + 0.25, 1e-12)
    np.testing.assert_allclose(a, [0.5, -1.0, 2.0], atol=1e-4, err_msg="an exactly affine alpha gives its a back")


check_exercise(check_colour_line_fit, colour_line_fit)

# %% [markdown]
# **Exercise 2 — Jacobi-preconditioned CG.** For a small dense SPD matrix `A` (n, n) and `b` (n,), start from
# $x = 0$ and run preconditioned CG with $M = \operatorname{diag}(A)$ until $\lVert b - Ax\rVert \le$ `rtol`
# $\lVert b\rVert$ (or `max_iter` steps). Return `(x, iterations)`. The recurrences are in the docstring of
# `minigen/imaging/solver.py`; write them yourself.

# %%
def jacobi_pcg(A, b, rtol=1e-10, max_iter=1000):
    raise NotImplementedError


def check_jacobi_pcg(fn):
    rng = np.random.default_rng(5)
    for n in (5, 40, 120):
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        scales = np.exp(rng.uniform(-3, 3, n))  # rows of very different scale: what Jacobi is for
        A = np.sqrt(scales)[:, None] * (q @ np.diag(rng.uniform(1, 10, n)) @ q.T) * np.sqrt(scales)[None, :]
        b = rng.normal(size=n)
        x, iterations = fn(A, b, rtol=1e-10)
        diagonal = np.diag(A)
        x_ref, info = conjugate_gradient(lambda p, A=A: A @ p, b, precondition=lambda r, d=diagonal: r / d, rtol=1e-10)
        assert np.linalg.norm(b - A @ x) <= 1e-9 * np.linalg.norm(b), "x must solve A x = b to rtol"
        assert abs(iterations - info.iterations) <= 1, f"{iterations} iterations; minigen's PCG takes {info.iterations}"
    x, iterations = fn(np.eye(3), np.zeros(3))
    assert np.allclose(x, 0) and iterations == 0, "b = 0: x = 0 at once"


check_exercise(check_jacobi_pcg, jacobi_pcg)

# %% [markdown]
# **Exercise 3 — un-premultiply, safely.** Given premultiplied colours `c` (H, W, 3) and `alpha` (H, W), return the
# straight colours $c/\alpha$, and 0 where $\alpha = 0$ — without a division by zero, so no warning and no NaN, even
# under `np.errstate(all="raise")`.

# %%
def safe_unpremultiply(c, alpha):
    raise NotImplementedError


def check_safe_unpremultiply(fn):
    rng = np.random.default_rng(6)
    colour, alpha = rng.random((5, 6, 3)), rng.random((5, 6))
    alpha[0, :3] = 0.0  # no coverage at all
    alpha[1, :2] = 1e-300  # a tiny but non-zero coverage: still invertible
    c = colour * alpha[..., None]
    with np.errstate(all="raise"):
        got = np.asarray(fn(c, alpha))
    assert got.shape == c.shape, f"expected shape {c.shape}, got {got.shape}"
    assert np.all(got[0, :3] == 0), "colour 0 where alpha = 0"
    covered = alpha > 0
    np.testing.assert_allclose(got[covered], colour[covered], rtol=1e-12, err_msg="c / alpha where alpha > 0")
    np.testing.assert_allclose(got, unpremultiply(c, alpha), rtol=1e-12, err_msg="must agree with unpremultiply")


check_exercise(check_safe_unpremultiply, safe_unpremultiply)

# %% [markdown]
# **Exercise 4 — the right-hand side of Poisson editing.** For a grey `source` $g$ and `target` $f^*$ of the same
# shape (H, W), and a boolean `mask` $\Omega$ that keeps at least one pixel from the image's border, return the
# (H, W) array $b$ with, for $p \in \Omega$,
# $b_p = \sum_{q \in N_p,\, q \notin \Omega} f^*_q + \sum_{q \in N_p}(g_p - g_q)$ — the boundary values plus the
# divergence of the guidance field $v = \nabla g$ — and 0 outside $\Omega$. Use shifted slices, no loop over pixels.

# %%
def poisson_rhs(source, target, mask):
    raise NotImplementedError


def check_poisson_rhs(fn):
    rng = np.random.default_rng(7)
    for h, w in [(9, 11), (20, 16)]:
        source, target = rng.random((h, w)), rng.random((h, w))
        mask = np.zeros((h, w), dtype=bool)
        mask[2 : h - 2, 3 : w - 3] = rng.random((h - 4, w - 6)) < 0.7
        mask[h // 2, w // 2] = True
        got = np.asarray(fn(source, target, mask))
        system = poisson_system(source[..., None], target[..., None], mask)
        expected = np.zeros((h, w))
        expected[system.rows, system.cols] = system.rhs[..., 0]
        assert got.shape == (h, w), f"expected shape {(h, w)}, got {got.shape}"
        assert np.all(got[~mask] == 0), "b is 0 outside the mask"
        np.testing.assert_allclose(got, expected, atol=1e-12, err_msg="b differs from poisson_system's rhs")


check_exercise(check_poisson_rhs, poisson_rhs)
