# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5 — Convolution: im2col with stride tricks, its backward, and the transposed convolution
#
# **Goal:** build a 2-D convolution from a strided *view* and one matrix product, derive its backward, and see that
# the gradient of a convolution with respect to its input *is* a transposed convolution — the layer GANs upsample with.
# Last, dilation and groups: the same im2col with one more strided slice, and a batched matmul.
#
# *Time: about 3 s in full, 2 s in smoke mode, on a 2-core CPU (measured on a quiet machine).
# No GPU needed.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

import minigen
from minigen import nn, optim
from minigen.data import DataLoader, Scale, load_dataset
from minigen.nn import functional as F
from minigen.tensor import Function

from lessons_support import check_exercise, smoke

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. What a convolution computes
#
# A convolution layer (strictly, a cross-correlation, as in every framework) slides $O$ filters of shape
# $C\times k_h\times k_w$ over an input $x$ of shape $N\times C\times H\times W$ with stride $s$ and zero padding $p$:
# $$y_{n,o,i,j} = b_o + \sum_{c=0}^{C-1}\sum_{u=0}^{k_h-1}\sum_{v=0}^{k_w-1}
# W_{o,c,u,v}\; x^{\text{pad}}_{n,c,\,si+u,\,sj+v},
# \qquad H_\text{out} = \Big\lfloor \frac{H + 2p - k_h}{s} \Big\rfloor + 1 .$$
# Every output pixel is a dot product between one filter and one window of the input. The same filter everywhere:
# few parameters, and a pattern is detected wherever it appears. Here are two hand-made filters on a digit:

# %%
images, _ = load_dataset("mnist-embedded", "test")
digit = images[0].astype(np.float64) / 255
sobel_x = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
edges = F.conv2d(minigen.tensor(digit[None, None]), minigen.tensor(np.stack([sobel_x, sobel_x.T])[:, None]), padding=1)
fig, axes = plt.subplots(1, 3, figsize=(8, 3))
for ax, image, title in zip(axes, [digit, *edges.numpy()[0]], ["digit", "vertical edges", "horizontal edges"]):
    ax.imshow(image, cmap="gray" if title == "digit" else "coolwarm")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. im2col: windows as a strided view, then one matmul
#
# A NumPy array is a block of memory plus *strides*: how many bytes to step along each axis. The windows of $x$ are
# already in memory; a view with two extra axes walks them without copying: window $(i, j)$ starts at row $si$,
# column $sj$, so the window axes $(i, j)$ step by $s$ rows/columns and the in-window axes $(u, v)$ by one.
# Flattening each window into a row ("im2col") turns the whole convolution into one matrix product:
# $$\underbrace{Y}_{(N\,H_o W_o)\times O} = \underbrace{\text{cols}(x)}_{(N\,H_o W_o)\times(C k_h k_w)}\;
# \underbrace{M}_{(C k_h k_w)\times O}, \qquad M = W \text{ reshaped}.$$


# %%
def window_view(x, k, stride):
    """A read-only view (N, C, H_out, W_out, k, k) of the k x k windows of x (N, C, H, W): no copy."""
    n, c, h, w = x.shape
    sn, sc, sh, sw = x.strides
    h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    return as_strided(x, (n, c, h_out, w_out, k, k), (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def conv2d_forward(x, weight, stride=1, padding=0):
    """Cross-correlate x (N, C, H, W) with weight (O, C, k, k): im2col + one matmul."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = window_view(x, weight.shape[-1], stride)  # (N, C, Ho, Wo, k, k)
    n, c, h_out, w_out, k, _ = win.shape
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, c * k * k)  # the one copy
    y = cols @ weight.reshape(len(weight), -1).T  # (N Ho Wo, O)
    return y.reshape(n, h_out, w_out, -1).transpose(0, 3, 1, 2)


x = rng.standard_normal((2, 3, 7, 7))
w = rng.standard_normal((4, 3, 3, 3))
print("a window view shares memory with x:", np.shares_memory(window_view(x, 3, 1), x))
for stride, padding in [(1, 0), (2, 1)]:
    ours = conv2d_forward(x, w, stride, padding)
    theirs = F.conv2d(minigen.tensor(x), minigen.tensor(w), stride=stride, padding=padding).numpy()
    print(f"stride {stride}, padding {padding}: output {ours.shape}, equal to F.conv2d: {np.allclose(ours, theirs)}")

# %% [markdown]
# minigen's version is split in two files: `windows` (the same view, with `sliding_window_view`) and `im2col` are in
# `minigen/ops/windows.py`, and `_correlate` (im2col + matmul) is in `minigen/ops/conv.py`. It works channels-last internally, so that each window's $C$ values are
# contiguous, which makes the one copy fast.
#
# ## 3. The backward of a convolution
#
# With $G = \partial L/\partial Y$ in the matrix form $Y = \text{cols}(x)\,M$, lesson 2's matmul rule gives
# $$\frac{\partial L}{\partial M} = \text{cols}(x)^\top G, \qquad \frac{\partial L}{\partial\,\text{cols}} = G M^\top.$$
# The weight gradient is one more matmul. The input gradient is a gradient for every *window*; since windows
# overlap (a pixel sits in up to $k^2$ of them), the chain rule adds each window's contribution back onto the pixels it
# came from. That operation, the adjoint of im2col, is **col2im**: a loop over the $k\times k$ offsets, each adding one
# strided slice (all windows at once).


# %%
def col2im(cols, x_shape, k, stride, padding):
    """Add the windows' gradients cols (N, C, Ho, Wo, k, k) back onto an (N, C, H, W) array."""
    n, c, h, w = x_shape
    out = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    h_out, w_out = cols.shape[2:4]
    for u in range(k):  # a loop over the kernel's offsets, never over pixels
        for v in range(k):
            out[:, :, u : u + stride * h_out : stride, v : v + stride * w_out : stride] += cols[:, :, :, :, u, v]
    return out[:, :, padding : padding + h, padding : padding + w]


class MyConv2d(Function):
    """y = conv(x, W). dL/dW = cols(x)^T G;  dL/dx = col2im(G M^T)."""

    def __init__(self, stride=1, padding=0):
        self.stride, self.padding = stride, padding

    def forward(self, x, weight):
        self.x_shape, self.weight = x.shape, weight
        padded = np.pad(x, ((0, 0), (0, 0), (self.padding,) * 2, (self.padding,) * 2))
        self.win = window_view(padded, weight.shape[-1], self.stride)
        return conv2d_forward(x, weight, self.stride, self.padding)

    def backward(self, grad):  # grad: (N, O, Ho, Wo)
        k = self.weight.shape[-1]
        grad_weight = np.einsum("nohw,nchwuv->ocuv", grad, self.win)  # sum over windows of G * window
        cols_grad = np.einsum("nohw,ocuv->nchwuv", grad, self.weight)  # each window's gradient, G M^T
        return col2im(cols_grad, self.x_shape, k, self.stride, self.padding), grad_weight


xt = minigen.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
wt = minigen.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
ours_ok = all(minigen.gradcheck(lambda a, b, s=s, p=p: MyConv2d(s, p)(a, b), xt, wt) for s, p in [(1, 0), (2, 1)])
print("our conv's backward passes gradcheck:", ours_ok)
print("minigen's conv2d passes gradcheck:", minigen.gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), xt, wt))

# %% [markdown]
# ## 4. Transposed convolution = the gradient of a convolution
#
# $x \mapsto \text{conv}(x, W)$ is linear: a (huge, sparse) matrix $A$ with $y = A x$. Its input gradient is
# $\partial L/\partial x = A^\top G$ — multiplication by the **transpose**. Applied as a layer in its own right,
# $A^\top$
# maps a small image to a large one: each input pixel *stamps* a copy of the kernel, scaled by its value, onto the
# output, at stride $s$; overlaps add. Its output size inverts the convolution's:
# $$H_\text{out} = (H - 1)\,s - 2p + k \qquad (+\ \text{output\_padding}).$$
# With $k = 4$, $s = 2$, $p = 1$ it exactly doubles the size: the DCGAN generator goes $4 \to 8 \to 16 \to 32$ this way.
# The defining property of a transpose, $\langle A x, y\rangle = \langle x, A^\top y\rangle$, is a test:

# %%
x = minigen.tensor(rng.standard_normal((2, 3, 8, 8)))
weight = minigen.tensor(
    rng.standard_normal((5, 3, 4, 4))
)  # Conv2d layout (out, in, k, k) = ConvTranspose2d's (in, out)
y = minigen.tensor(rng.standard_normal((2, 5, 4, 4)))
lhs = float((F.conv2d(x, weight, stride=2, padding=1) * y).sum().item())
rhs = float((x * F.conv_transpose2d(y, weight, stride=2, padding=1)).sum().item())
print(f"<conv(x), y> = {lhs:.10f}\n<x, conv_T(y)> = {rhs:.10f}")

# The input gradient of conv2d, computed by backward(), is exactly conv_transpose2d of the upstream gradient:
xg = minigen.tensor(x.numpy(), requires_grad=True)
F.conv2d(xg, weight, stride=2, padding=1).backward(y)
print(
    "conv2d's dL/dx == conv_transpose2d(G):",
    np.allclose(xg.grad.numpy(), F.conv_transpose2d(y, weight, stride=2, padding=1).numpy()),
)
print(
    "conv_transpose2d passes gradcheck:",
    minigen.gradcheck(
        lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1),
        minigen.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True),
        minigen.tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True),
    ),
)

# %% [markdown]
# In `minigen/ops/conv.py` the two layers share two helpers: `_correlate` (im2col + matmul) and `_scatter`
# (matmul + col2im). Conv2d's forward is `_correlate` and its input-backward `_scatter`; ConvTranspose2d's forward is
# `_scatter` and its backward `_correlate`. One impulse shows the stamping, and the checkerboard that appears where
# stamps overlap unevenly (kernel size not divisible by the stride):

# %%
impulses = np.zeros((1, 1, 4, 4))
impulses[0, 0, 1, 1] = impulses[0, 0, 2, 3] = 1.0
ones_kernel = minigen.tensor(np.ones((1, 1, 4, 4)))
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].imshow(impulses[0, 0], cmap="gray")
axes[0].set_title("input 4x4: two pixels")
stamped = F.conv_transpose2d(minigen.tensor(impulses), ones_kernel, stride=2, padding=1).numpy()[0, 0]
axes[1].imshow(stamped, cmap="gray")
axes[1].set_title("k4 s2 p1: 8x8, two stamps")
flat = F.conv_transpose2d(
    minigen.tensor(np.ones((1, 1, 4, 4))), minigen.tensor(np.ones((1, 1, 3, 3))), stride=2
).numpy()
axes[2].imshow(flat[0, 0], cmap="gray")
axes[2].set_title("constant input, k3 s2: checkerboard")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 5. A small convolutional classifier
#
# Conv layers learn their filters. A tiny net — two stride-2 convolutions and a linear layer — trained briefly on the
# embedded MNIST; the learned first-layer filters are shown after training.

# %%
minigen.manual_seed(0)
train_images, train_labels = load_dataset("mnist-embedded", "train")
n_train = smoke(len(train_images), 768)
loader = DataLoader(train_images[:n_train, None], train_labels[:n_train], batch_size=32, seed=0, transform=Scale())
net = nn.Sequential(
    nn.Conv2d(1, 8, 3, stride=2, padding=1),
    nn.ReLU(),  # 28 -> 14
    nn.Conv2d(8, 16, 3, stride=2, padding=1),
    nn.ReLU(),  # 14 -> 7
    nn.Flatten(),
    nn.Linear(16 * 7 * 7, 10),
)
optimizer = optim.Adam(net.parameters(), lr=5e-3)
losses = []
for _ in range(smoke(3, 1)):
    for batch, labels in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(net(batch), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
with minigen.no_grad():
    test_x = minigen.tensor(images[:, None] / np.float32(255))
    accuracy = float((net(test_x).numpy().argmax(1) == load_dataset("mnist-embedded", "test")[1]).mean())
print(f"loss {np.mean(losses[:5]):.2f} -> {np.mean(losses[-5:]):.2f}; test accuracy {accuracy:.1%}")
filters = net[0].weight.numpy()[:, 0]
fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, f in zip(axes, filters):
    ax.imshow(f, cmap="coolwarm")
    ax.axis("off")
fig.suptitle("learned 3x3 filters of the first layer")
plt.show()

# %% [markdown]
# ## 6. Dilation and groups
#
# **Dilation** puts $d-1$ holes between a kernel's taps: tap $(u, v)$ reads pixel $(si + du,\ sj + dv)$. A $k\times k$
# kernel then sees a $d(k-1)+1$ wide field with the same $k^2$ weights (WaveNet and DeepLab grow their receptive
# fields this way), and
# $$H_\text{out} = \Big\lfloor \frac{H + 2p - d(k-1) - 1}{s} \Big\rfloor + 1 .$$
# In im2col, a dilated window is every $d$-th pixel of a $d(k-1)+1$ wide window: one more strided slice, still a view.
# The columns and the matmul stay those of section 2 (`windows` in `minigen/ops/windows.py` does exactly this).


# %%
grid = np.arange(49).reshape(7, 7)
print("7x7 grid, its first dilated window (k=3, d=2):\n", sliding_window_view(grid, (5, 5))[0, 0, ::2, ::2])


def dilated_conv2d(x, weight, stride=1, padding=0, dilation=1):
    """conv2d_forward with dilation: windows d(k-1)+1 wide, every d-th pixel kept; then the same im2col matmul."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    span = dilation * (weight.shape[-1] - 1) + 1
    wide = sliding_window_view(x, (span, span), axis=(2, 3))  # (N, C, H', W', span, span)
    win = wide[:, :, ::stride, ::stride, ::dilation, ::dilation]  # (N, C, Ho, Wo, k, k): still a view of x
    n, c, h_out, w_out, k, _ = win.shape
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, c * k * k)
    return (cols @ weight.reshape(len(weight), -1).T).reshape(n, h_out, w_out, -1).transpose(0, 3, 1, 2)


x_d, w_d = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
dilated_ok = []
for stride, padding, dilation in [(1, 0, 2), (2, 1, 2), (1, 2, 3)]:
    ours = dilated_conv2d(x_d, w_d, stride, padding, dilation)
    theirs = F.conv2d(minigen.tensor(x_d), minigen.tensor(w_d), stride=stride, padding=padding, dilation=dilation)
    size = (9 + 2 * padding - dilation * (3 - 1) - 1) // stride + 1  # the formula
    dilated_ok.append(ours.shape == theirs.shape == (2, 4, size, size) and np.allclose(ours, theirs.numpy()))
    print(f"stride {stride}, padding {padding}, dilation {dilation}: {size}x{size}, same as F.conv2d: {dilated_ok[-1]}")
impulse = np.zeros((1, 1, 7, 7))
impulse[0, 0, 3, 3] = 1.0
holes = F.conv2d(minigen.tensor(impulse), minigen.tensor(np.ones((1, 1, 3, 3))), padding=2, dilation=2).numpy()[0, 0]
print("one pixel through a 3x3 kernel with dilation 2 (the kernel, with its holes):\n", holes.astype(int))

# %% [markdown]
# **Groups** split the $C$ input and $O$ output channels into $g$ blocks: output block $i$ sees only input block $i$,
# as $g$ independent convolutions side by side. The weight is $(O,\ C/g,\ k_h,\ k_w)$: $g$ times fewer parameters.
# $g = C$ is a **depthwise** convolution (one filter per channel); followed by a $1\times1$ "pointwise" one it is
# MobileNet's separable convolution, $Ck^2 + CO$ weights instead of $COk^2$. In im2col each group gets its own
# columns $(N H_o W_o)\times(C k^2/g)$ and its own matrix $(C k^2/g)\times(O/g)$, and one *batched* matmul (batch axis
# = group) does them all: `im2col(..., groups)`, `weight_matrix` and `by_group`/`from_groups` in `minigen/ops/conv.py`.


# %%
def grouped_conv2d(x, weight, groups, padding=0):
    """Stride-1 grouped convolution as one batched matmul: (g, N Ho Wo, C/g k k) @ (g, C/g k k, O/g)."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = window_view(x, weight.shape[-1], 1)  # (N, C, Ho, Wo, k, k)
    n, c, h_out, w_out, k, _ = win.shape
    cols = win.reshape(n, groups, c // groups, h_out, w_out, k, k).transpose(1, 0, 3, 4, 2, 5, 6)
    cols = cols.reshape(groups, n * h_out * w_out, c // groups * k * k)
    matrices = weight.reshape(groups, len(weight) // groups, -1).transpose(0, 2, 1)  # (g, C/g k k, O/g)
    y = cols @ matrices  # (g, N Ho Wo, O/g): every group in one call
    return y.reshape(groups, n, h_out, w_out, -1).transpose(1, 0, 4, 2, 3).reshape(n, -1, h_out, w_out)


groups = 4
x_g, w_g = rng.standard_normal((2, 8, 6, 6)), rng.standard_normal((12, 8 // groups, 3, 3))
grouped = F.conv2d(minigen.tensor(x_g), minigen.tensor(w_g), padding=1, groups=groups).numpy()
per_group = np.concatenate(
    [conv2d_forward(xi, wi, 1, 1) for xi, wi in zip(np.split(x_g, groups, axis=1), np.split(w_g, groups, axis=0))],
    axis=1,
)
batched = grouped_conv2d(x_g, w_g, groups, padding=1)
print("F.conv2d(groups=4) == 4 convolutions concatenated:", np.allclose(grouped, per_group))
print("                   == one batched matmul:", np.allclose(grouped, batched))


def n_weights(in_channels, out_channels, k, groups=1):
    return nn.Conv2d(in_channels, out_channels, k, groups=groups).weight.numpy().size


by_groups = {g: n_weights(64, 128, 3, g) for g in (1, 4, 64)}
separable = n_weights(64, 64, 3, groups=64) + n_weights(64, 128, 1)
print("weights of a 3x3 conv, 64 -> 128 channels:", ", ".join(f"groups={g}: {n}" for g, n in by_groups.items()))
print(f"depthwise 3x3 (64 -> 64, groups=64) + pointwise 1x1 (64 -> 128): {separable}")

# %% [markdown]
# ## Self-check

# %%
assert np.allclose(conv2d_forward(x.numpy(), weight.numpy(), 2, 1), F.conv2d(x, weight, stride=2, padding=1).numpy())
assert ours_ok, "our convolution's backward must pass gradcheck"
assert abs(lhs - rhs) < 1e-9 * max(1, abs(lhs)), "conv_transpose2d is the adjoint of conv2d"
assert stamped.shape == (8, 8) and flat.std() > 0.1, "transposed convolution output"
assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), "the conv net must learn"
assert all(dilated_ok), "dilated im2col must equal F.conv2d(dilation=d), at the formula's output size"
tap_rows, tap_cols = np.nonzero(holes)
assert len(tap_rows) == 9 and np.ptp(tap_rows) + 1 == np.ptp(tap_cols) + 1 == 2 * (3 - 1) + 1, "9 taps over 5x5"
assert np.allclose(grouped, per_group) and np.allclose(grouped, batched), "grouped = per-group convs = batched matmul"
assert by_groups[1] == 4 * by_groups[4] == 64 * by_groups[64] == 64 * 128 * 9, "groups divide the weights"
assert separable == 64 * 9 + 64 * 128, "depthwise-separable: C k^2 + C O weights"
print("Lesson 5 self-check passed.")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — output sizes.** Return the output height of a convolution with input size `n`, kernel `k`,
# stride `s`, padding `p`.


# %%
def conv_output_size(n, k, s, p):
    raise NotImplementedError


def check_conv_output_size(fn):
    for n, k, s, p in [(28, 3, 1, 1), (28, 4, 2, 1), (7, 3, 2, 0), (32, 5, 3, 2)]:
        got, want = fn(n, k, s, p), nn.Conv2d(1, 1, k, s, p)(minigen.randn(1, 1, n, n)).shape[-1]
        assert got == want, f"n={n}, k={k}, s={s}, p={p}: got {got}, Conv2d gives {want}"


check_exercise(check_conv_output_size, conv_output_size)

# %% [markdown]
# **Exercise 2 — transposed output sizes.** Return the output height of a transposed convolution (no output padding).
# Which $(k, s, p)$ take 7 to 14 and 14 to 28, as in the generator of lesson 7?


# %%
def conv_transpose_output_size(n, k, s, p):
    raise NotImplementedError


def check_conv_transpose_output_size(fn):
    for n, k, s, p in [(7, 4, 2, 1), (14, 4, 2, 1), (4, 3, 1, 0), (5, 5, 3, 2)]:
        got, want = fn(n, k, s, p), nn.ConvTranspose2d(1, 1, k, s, p)(minigen.randn(1, 1, n, n)).shape[-1]
        assert got == want, f"n={n}, k={k}, s={s}, p={p}: got {got}, ConvTranspose2d gives {want}"


check_exercise(check_conv_transpose_output_size, conv_transpose_output_size)

# %% [markdown]
# **Exercise 3 — the weight gradient.** For stride 1 and no padding, return $\partial L/\partial W$ (shape
# $(O, C, k, k)$) given the NumPy input `x` $(N, C, H, W)$, the upstream gradient `g` $(N, O, H_o, W_o)$ and `k`.
# Hint: `window_view` and one `np.einsum` or `np.tensordot`.


# %%
def conv_weight_grad(x, g, k):
    raise NotImplementedError


def check_conv_weight_grad(fn):
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 4, 4))
    tw = minigen.tensor(w, requires_grad=True)
    F.conv2d(minigen.tensor(x), tw).backward(minigen.tensor(g))
    assert np.allclose(fn(x, g, 3), tw.grad.numpy()), "wrong weight gradient"


check_exercise(check_conv_weight_grad, conv_weight_grad)
