"""Neural texture synthesis and style transfer (Gatys, Ecker & Bethge 2015, "Texture Synthesis Using Convolutional
Neural Networks"; 2016, "Image Style Transfer Using Convolutional Neural Networks").

A texture is described by the correlations between a network's feature maps: for layer l with feature maps F_l
(C_l maps of H_l x W_l pixels, one row each), the Gram matrix G_l = F_l F_l^T / (C_l H_l W_l). A new texture is the
image x, found by gradient descent on its pixels from noise, whose Gram matrices match the source's:

    L_style(x) = sum_l w_l ||G_l(x) - G_l(s)||^2          (w_l = 1 / (L ||G_l(s)||^2) unless given: 1 = "as far
                                                            as a blank image", whatever the network's scale)
    L_content(x) = sum_l ||F_l(x) - F_l(c)||^2 / (L_c ||F_l(c)||^2)      (the content layers' maps themselves)
    L_tv(x) = mean (x_(i+1)j - x_ij)^2 + mean (x_i(j+1) - x_ij)^2         (total variation, a smoothness prior)

Style transfer minimises alpha L_content + beta L_style + gamma L_tv from the content image. The network is
:class:`~minigen.imaging.features.RandomMultiScale` unless another is given (``VGG19Features`` with the user's
weights reproduces the papers). The pieces, usable on their own: :func:`gram_matrix` (a Function with its
backward), :func:`style_loss`, :func:`content_loss`, :func:`tv_loss`, :func:`style_distance`,
:func:`content_distance`; and the two recipes, :func:`neural_texture` and :func:`style_transfer`.

Images are float arrays in [0, 1], (H, W) or (H, W, 3), NumPy or CuPy; the result has the input's array module
and float dtype (the computation runs in the network's dtype, float32 by default). A grey image is seen by the
network as three equal channels.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from minigen import backend, nn
from minigen.imaging.features import RandomMultiScale, network_device, network_dtype
from minigen.imaging.io import ImageError, as_float_image, check_size, is_int
from minigen.random import generator_from
from minigen.tensor import Function, Tensor, no_grad

__all__ = [
    "content_distance", "content_loss", "gram_matrix", "neural_texture", "style_distance", "style_loss",
    "style_transfer", "tv_loss",
]  # fmt: skip

DEFAULT_TEXTURE_STEPS = 100
DEFAULT_TRANSFER_STEPS = 100
COARSEST_SIDE = 64  # coarse-to-fine adds levels while the coarsest image keeps at least this many pixels a side
MAX_LEVELS = 3
ADAM_LR = 0.1  # in the logit space of the sigmoid parameterisation
LBFGS_HISTORY = 50


# ------------------------------------------------------------------------------------------ the losses
class GramMatrix(Function):
    """G = F F^T / (C H W) per image, for features (N, C, H, W) -> (N, C, C).

    With F_hw the (H W, C) matrix of one image's features (pixels as rows), G = F_hw^T F_hw / (C H W), and for a
    loss L, dL/dF_hw = F_hw (dL/dG + dL/dG^T) / (C H W). A convolution's output is channels-last in memory, so
    F_hw is a free view of it and both products are single matrix multiplications.
    """

    def forward(self, features: Any) -> Any:
        if features.ndim != 4:
            raise ValueError(f"gram_matrix: features of shape {tuple(features.shape)} (expected (N, C, H, W))")
        n, c, h, w = features.shape
        self.shape, self.scale = features.shape, 1.0 / (c * h * w)
        self.rows = features.transpose(0, 2, 3, 1).reshape(n, h * w, c)  # F_hw, a view for channels-last memory
        return (self.rows.transpose(0, 2, 1) @ self.rows) * self.scale

    def backward(self, grad: Any) -> Any:
        n, c, h, w = self.shape
        symmetric = (grad + grad.transpose(0, 2, 1)) * self.scale  # (dL/dG + dL/dG^T) / (C H W)
        return (self.rows @ symmetric).reshape(n, h, w, c).transpose(0, 3, 1, 2)  # dL/dF, channels-last again

    def backward_graph(self, grad: Tensor) -> Tensor:
        n, c, h, w = self.shape
        rows = self.inputs[0].permute(0, 2, 3, 1).reshape(n, h * w, c)
        symmetric = (grad + grad.transpose(1, 2)) * self.scale
        return (rows @ symmetric).reshape(n, h, w, c).permute(0, 3, 1, 2)


def gram_matrix(features: Tensor) -> Tensor:
    """The Gram matrices G = F F^T / (C H W) of feature maps (N, C, H, W): (N, C, C), differentiable."""
    return GramMatrix()(features)


def style_loss(features: Sequence[Tensor], targets: Sequence[Any], weights: Sequence[float] | None = None) -> Tensor:
    """sum_l w_l ||G_l(features) - targets_l||^2, the targets being Gram matrices (1 or N, C_l, C_l).

    ``weights`` None: w_l = 1 / (L ||targets_l||^2), so that the loss is relative (1 for features of zeros).
    """
    if len(features) != len(targets) or not features:
        raise ValueError(f"style_loss: {len(features)} feature maps and {len(targets)} targets (expected as many)")
    weights = _relative_weights(targets) if weights is None else list(weights)
    total = None
    for feature, target, weight in zip(features, targets, weights):
        difference = gram_matrix(feature) - _array(target)
        term = (difference * difference).sum() * float(weight)
        total = term if total is None else total + term
    return total


def content_loss(features: Sequence[Tensor], targets: Sequence[Any]) -> Tensor:
    """sum_l ||F_l - P_l||^2 / (L ||P_l||^2): the feature maps' squared distance to targets P_l, relative."""
    if len(features) != len(targets) or not features:
        raise ValueError(f"content_loss: {len(features)} feature maps and {len(targets)} targets (expected as many)")
    weights = _relative_weights(targets)
    total = None
    for feature, target, weight in zip(features, targets, weights):
        difference = feature - _array(target)
        term = (difference * difference).sum() * float(weight)
        total = term if total is None else total + term
    return total


def tv_loss(image: Tensor) -> Tensor:
    """Total variation of images (N, C, H, W): mean (x_(i+1)j - x_ij)^2 + mean (x_i(j+1) - x_ij)^2."""
    down = image[:, :, 1:, :] - image[:, :, :-1, :]
    across = image[:, :, :, 1:] - image[:, :, :, :-1]
    return (down * down).mean() + (across * across).mean()


def _array(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _relative_weights(targets: Sequence[Any]) -> list[float]:
    """1 / (L ||T_l||^2) for each target (a zero target counts as 1, so that its term is absolute)."""
    weights = []
    for target in targets:
        array = _array(target)
        energy = float((array * array).sum())
        weights.append(1.0 / (len(targets) * (energy if energy > 0 else 1.0)))
    return weights


# ------------------------------------------------------------------------------------------ distances
def style_distance(image: Any, style: Any, network: nn.Module | None = None) -> float:
    """The relative Gram loss L_style of ``image`` against ``style`` (both images), as the recipes minimise it."""
    image, style = _checked(image, "image"), _checked(style, "style")
    network = _network(network, image)
    with no_grad():
        side = min(*image.shape[:2], *style.shape[:2])
        targets = [gram_matrix(f).data for f in _style_features(network, _batch(style, network), side)]
        return float(style_loss(_style_features(network, _batch(image, network), side), targets).item())


def content_distance(image: Any, content: Any, network: nn.Module | None = None) -> float:
    """The relative content loss L_content of ``image`` against ``content`` (same size), as style transfer has it."""
    image, content = _checked(image, "image"), _checked(content, "content")
    if image.shape[:2] != content.shape[:2]:
        raise ImageError(f"image: shape {tuple(image.shape)} (expected the content's (H, W) {content.shape[:2]})")
    network = _network(network, image)
    with no_grad():
        targets = [f.data for f in _content_features(network, _batch(content, network))]
        return float(content_loss(_content_features(network, _batch(image, network)), targets).item())


# ------------------------------------------------------------------------------------------ the recipes
def neural_texture(
    source: Any,
    size: int | tuple[int, int],
    steps: int = DEFAULT_TEXTURE_STEPS,
    rng: Any = None,
    optimizer: str = "lbfgs",
    network: nn.Module | None = None,
    coarse_to_fine: bool | int = True,
    progress: bool = False,
    callback: Callable[[int, float, Any], Any] | None = None,
) -> Any:
    """A new texture of ``size`` = (H, W) whose Gram matrices match ``source``'s (Gatys, Ecker & Bethge 2015).

    From noise (drawn with ``rng``: None for minigen's host generator, an int seed or a numpy Generator), the
    ``optimizer`` minimises L_style against the source in ``network`` (default :class:`RandomMultiScale`) with
    ``steps`` evaluations of the loss and its gradient per level: "lbfgs" is minigen.optim.LBFGS with a strong-Wolfe
    line search (history 50), "adam" is Adam (lr 0.1); L-BFGS ends lower (bench/RESULTS.md compares them).

    Pixels are x = sigmoid(z) and the optimiser moves z, rather than clamping x to [0, 1] after each step: the
    problem stays smooth and unconstrained, so L-BFGS's curvature pairs and line search see the function they
    model (a clamp moves pixels behind the optimiser's back and flattens the loss where it bites), and every image
    it tries is in range. The price, slow movement of pixels near 0 or 1, is one textures rarely pay.

    ``coarse_to_fine`` (True: as many levels as keep the images' shorter sides >= 64, at most 3; an int: that
    many; False or 1: none) synthesises at 1/2, 1/4 ... of the size first, against the source shrunk as often,
    then upsamples (bilinear) and refines; each level takes ``steps``, a coarser one at a quarter of the cost.
    Structures larger than the filters settle where steps are cheap; a texture whose grain is finer than the
    filters gains least (bench/bench_neural.py measures both ways).

    ``callback(step, loss, image)`` is called at every step (``step`` counted from 1 across the levels, ``loss``
    the loss there, ``image`` the image evaluated, at that level's size, in the source's array module and dtype);
    ``progress`` shows a bar. Returns the best image seen at the last level, (H, W) or (H, W, 3) as the source.
    """
    source = _checked(source, "source")
    height, width = check_size(size, "size")
    steps = _check_steps(steps)
    rng = generator_from(rng)
    network = _network(network, source)
    levels = _levels(coarse_to_fine, (height, width), source.shape[:2], network)
    dtype = network_dtype(network) or source.dtype
    channels = 1 if source.ndim == 2 else source.shape[2]
    noise = rng.standard_normal((1, channels, height >> (levels - 1), width >> (levels - 1))).astype(dtype)
    z = backend.to_device(noise, backend.device_of(source))  # z ~ N(0, 1): pixels sigmoid(z) around mid-grey
    style = _batch(source, network)
    run = _Run(progress, callback, source, "neural_texture")
    for level in reversed(range(levels)):
        shape = (_shrink(height, level), _shrink(width, level))
        if tuple(z.shape[2:]) != shape:
            z = _upsample(z, shape)
        level_style = _shrink_batch(style, level)
        side = min(*shape, *level_style.shape[2:])  # the coarsest branches drop out of small images
        with no_grad():
            targets = [gram_matrix(f).data for f in _style_features(network, level_style, side)]
        weights = _relative_weights(targets)

        def objective(x: Tensor, targets: list[Any] = targets, weights: list[float] = weights,
                      side: int = side) -> Tensor:  # fmt: skip
            return style_loss(_style_features(network, x, side), targets, weights)

        z = run.optimise(z, objective, steps, optimizer)
    return _image(z, source)


def style_transfer(
    content: Any,
    style: Any,
    steps: int = DEFAULT_TRANSFER_STEPS,
    style_weight: float = 1.0,
    content_weight: float = 0.5,
    tv_weight: float = 1.0,
    rng: Any = None,
    optimizer: str = "lbfgs",
    network: nn.Module | None = None,
    coarse_to_fine: bool | int = True,
    progress: bool = False,
    callback: Callable[[int, float, Any], Any] | None = None,
    init: str = "content",
) -> Any:
    """``content`` redrawn in the style of ``style`` (Gatys, Ecker & Bethge 2016).

    Minimises ``content_weight`` L_content (the network's ``content_layers`` against the content image) +
    ``style_weight`` L_style (its ``style_layers`` against the style image, at the style image's own size) +
    ``tv_weight`` L_tv, from ``init``: "content" (the content image, as most implementations do: fewer steps, no
    seed) or "noise" (drawn with ``rng``, as in the paper). Optimiser, pixel parameterisation, coarse-to-fine
    levels (the style image shrinks with the content), ``progress`` and ``callback`` as in :func:`neural_texture`.

    The defaults are the recipe for the default network: with both losses relative (1 = "as far as a blank
    image"), content 0.5 against style 1 keeps the shapes and takes the style's colours and fine texture; the
    total variation (weight 1) removes the fine stripes that the style term alone leaves, at no cost in style
    loss (bench/bench_neural.py compares weights). Other networks may want other weights.

    The result has the content's (H, W) and the style's channels, as ``texture_transfer``: a grey style renders
    a colour content in grey, and a colour style can paint a grey content. Returns the style's array module and
    dtype.
    """
    content, style = _checked(content, "content"), _checked(style, "style")
    if backend.device_of(content) is not backend.device_of(style):
        raise ImageError(
            f"style: on device {backend.device_of(style).name!r} (expected the content's device "
            f"{backend.device_of(content).name!r})"
        )
    steps = _check_steps(steps)
    style_weight, content_weight, tv_weight = (
        _check_weight(style_weight, "style_weight"), _check_weight(content_weight, "content_weight"),
        _check_weight(tv_weight, "tv_weight"),
    )  # fmt: skip
    if init not in ("content", "noise"):
        raise ValueError(f"style_transfer: init {init!r} (expected 'content' or 'noise')")
    rng = generator_from(rng)
    network = _network(network, content)
    height, width = content.shape[:2]
    levels = _levels(coarse_to_fine, (height, width), style.shape[:2], network)
    dtype = network_dtype(network) or style.dtype
    channels = 1 if style.ndim == 2 else style.shape[2]
    content_batch = _batch(_with_channels(content, channels), network)  # (1, channels, H, W) in the compute dtype
    style_batch = _batch(style, network)
    coarsest = _shrink_batch(content_batch, levels - 1)
    if init == "content":
        z = _logit(coarsest)
    else:
        noise = rng.standard_normal(tuple(coarsest.shape)).astype(dtype)
        z = backend.to_device(noise, backend.device_of(style))
    run = _Run(progress, callback, style, "style_transfer")
    for level in reversed(range(levels)):
        shape = (_shrink(height, level), _shrink(width, level))
        if tuple(z.shape[2:]) != shape:
            z = _upsample(z, shape)
        level_style = _shrink_batch(style_batch, level)
        side = min(*shape, *level_style.shape[2:])
        with no_grad():
            style_targets = [gram_matrix(f).data for f in _style_features(network, level_style, side)]
            content_targets = [f.data for f in _content_features(network, _shrink_batch(content_batch, level))]
        style_weights = [style_weight * w for w in _relative_weights(style_targets)]

        def objective(x: Tensor, style_targets: list[Any] = style_targets, content_targets: list[Any] = content_targets,
                      style_weights: list[float] = style_weights, side: int = side) -> Tensor:  # fmt: skip
            features = network(_three_channels(x))
            style_part = [features[i] for i in _style_indices(network, features, side)]
            content_part = [features[i] for i in _content_indices(network, features)]
            loss = style_loss(style_part, style_targets, style_weights)
            if content_weight:
                loss = loss + content_loss(content_part, content_targets) * content_weight
            if tv_weight:
                loss = loss + tv_loss(x) * tv_weight
            return loss

        z = run.optimise(z, objective, steps, optimizer)
    return _image(z, style)


# ------------------------------------------------------------------------------------------ optimisation
class _Run:
    """The optimisation loop shared by the recipes: the optimiser, the best image so far, callback and progress.

    A *step* is one evaluation of the loss and its gradient, the unit of cost: one Adam update, or one point
    tried by L-BFGS (an iteration takes one, or a few when its line search must shorten or lengthen the step).
    The closure counts them, keeps the best z seen and calls the callback, so the callback sees every step.
    """

    def __init__(self, progress: bool, callback: Any, like: Any, name: str) -> None:
        self.progress, self.callback, self.like, self.name = progress, callback, like, name
        self.step = 0

    def optimise(self, z_array: Any, objective: Callable[[Tensor], Tensor], steps: int, optimizer: str) -> Any:
        """``steps`` evaluations on the logits z (1, C, H, W) of the image sigmoid(z); returns the best z seen."""
        from tqdm.auto import tqdm

        z = Tensor(z_array.copy(), requires_grad=True)
        scale = float(z.numel())  # per-pixel gradients of order 1, whatever the image size (L-BFGS's first step)
        state: dict[str, Any] = {"best": math.inf, "best_z": z.data.copy(), "done": 0}
        optim = _optimizer(optimizer, z, steps, self.name)
        bar = tqdm(total=steps, desc=f"{self.name} {tuple(z.shape[2:])}", disable=not self.progress)

        def closure() -> Tensor:
            if state["done"] == steps:  # L-BFGS's last line search wants more: stop it there (z is the best kept)
                raise _OutOfSteps
            optim.zero_grad()
            loss = objective(z.sigmoid())
            value = float(loss.item())
            self.step, state["done"] = self.step + 1, state["done"] + 1
            if not math.isfinite(value):
                raise ValueError(
                    f"{self.name}: the loss is {value} at step {self.step} (expected a finite number; "
                    "are the network's weights finite?)"
                )
            if value < state["best"]:
                state["best"], state["best_z"] = value, z.data.copy()
            bar.update(1)
            bar.set_postfix(loss=f"{value:.4g}")
            if self.callback is not None:
                self.callback(self.step, value, _image(z.data, self.like))
            loss = loss * scale
            loss.backward()
            return loss

        lbfgs = not isinstance(optim, _adam_class())
        with bar:
            while state["done"] < steps:
                before = state["done"]
                if lbfgs:  # the evaluations left, in one call (a call stops early only at a stationary point)
                    optim.param_groups[0]["max_iter"] = optim.param_groups[0]["max_eval"] = steps - before
                try:
                    optim.step(closure)
                except _OutOfSteps:
                    break
                if lbfgs and state["done"] - before <= 1:
                    break  # no descent direction: a stationary point
        with no_grad():  # Adam's last update has not been evaluated yet
            final = float(objective(z.sigmoid()).item())
        return z.data if math.isfinite(final) and final <= state["best"] else state["best_z"]


class _OutOfSteps(Exception):
    """Raised by the closure when the budget of steps is spent in the middle of an L-BFGS line search."""


def _adam_class() -> type:
    from minigen.optim import Adam

    return Adam


def _optimizer(name: str, z: Tensor, steps: int, caller: str) -> Any:
    """minigen.optim.LBFGS (strong-Wolfe line search, history 50, tolerances 0) or Adam (lr 0.1) on ``z``.

    L-BFGS without a line search (PyTorch's default) is fragile here: a step can overshoot so far that pixels
    saturate (sigmoid(z) stuck at 0 or 1) and the loss jumps a hundredfold and stays (bench/bench_neural.py).
    The line search needs several iterations per ``step()`` call (PyTorch's LBFGS gives each call max_eval
    evaluations), so each level is one call whose budget is the steps left. Tolerances are 0: the recipes
    stop after ``steps`` evaluations, not earlier.
    """
    from minigen import optim

    if name == "lbfgs":
        return optim.LBFGS([z], lr=1, max_iter=steps, max_eval=steps, history_size=LBFGS_HISTORY, tolerance_grad=0.0,
                           tolerance_change=0.0, line_search_fn="strong_wolfe")  # fmt: skip
    if name == "adam":
        return optim.Adam([z], lr=ADAM_LR)
    raise ValueError(f"{caller}: optimizer {name!r} (expected 'lbfgs' or 'adam')")


# ------------------------------------------------------------------------------------------ networks and images
def _network(network: nn.Module | None, image: Any) -> nn.Module:
    """``network``, or the default one built on the image's device; checked to be a Module on that device."""
    device = backend.device_of(image)
    if network is None:
        return RandomMultiScale().to(device.name)
    if not isinstance(network, nn.Module):
        raise ValueError(f"network: {type(network).__name__} (expected a minigen.nn.Module or None)")
    where = network_device(network)
    if where is not None and where is not device:
        raise ImageError(f"network: on device {where.name!r} (expected the image's device {device.name!r})")
    return network


def _three_channels(x: Tensor) -> Tensor:
    """(N, 1, H, W) -> (N, 3, H, W) of three equal channels (a broadcast, differentiable); others as they are."""
    return x.broadcast_to((x.shape[0], 3) + x.shape[2:]) if x.shape[1] == 1 else x


def _style_indices(network: nn.Module, features: Sequence[Any], side: int) -> tuple[int, ...]:
    """The network's style outputs for images whose shorter side is ``side`` (``style_layers_for(side)`` if it
    has it, as RandomMultiScale does; else ``style_layers``; else all)."""
    if hasattr(network, "style_layers_for"):
        return tuple(network.style_layers_for(side))
    return tuple(getattr(network, "style_layers", range(len(features))))


def _content_indices(network: nn.Module, features: Sequence[Any]) -> tuple[int, ...]:
    return tuple(getattr(network, "content_layers", (len(features) - 1,)))


def _style_features(network: nn.Module, x: Any, side: int) -> list[Tensor]:
    features = network(_three_channels(x if isinstance(x, Tensor) else Tensor(x)))
    return [features[i] for i in _style_indices(network, features, side)]


def _content_features(network: nn.Module, x: Any) -> list[Tensor]:
    features = network(_three_channels(x if isinstance(x, Tensor) else Tensor(x)))
    return [features[i] for i in _content_indices(network, features)]


def _batch(image: Any, network: nn.Module) -> Any:
    """An (H, W) or (H, W, C) image as a (1, C, H, W) array in the network's dtype."""
    dtype = network_dtype(network) or image.dtype
    array = image[:, :, None] if image.ndim == 2 else image
    return array.transpose(2, 0, 1)[None].astype(dtype)


def _image(z: Any, like: Any) -> Any:
    """sigmoid(z) (1, C, H, W) as an image shaped like ``like`` ((H, W) or (H, W, C)), in its dtype."""
    xp = backend.get_array_module(z)
    image = (1 / (1 + xp.exp(-xp.clip(z, -50, 50))))[0].transpose(1, 2, 0)  # clipped: exp never overflows
    image = image[:, :, 0] if like.ndim == 2 else image
    return xp.ascontiguousarray(image.astype(like.dtype))


def _logit(x: Any) -> Any:
    """z with sigmoid(z) = x, for x clipped into [1/512, 1 - 1/512] (pure black and white have no logit)."""
    xp = backend.get_array_module(x)
    x = xp.clip(x, 1 / 512, 1 - 1 / 512)
    return xp.log(x) - xp.log1p(-x)


def _with_channels(image: Any, channels: int) -> Any:
    """``image`` with ``channels`` (1 or 3) channels: grey repeated, colour to luminance (as texture.luminance)."""
    if channels == 1:
        return image if image.ndim == 2 else 0.299 * image[:, :, 0] + 0.587 * image[:, :, 1] + 0.114 * image[:, :, 2]
    if image.ndim == 2:
        return backend.get_array_module(image).repeat(image[:, :, None], 3, axis=2)
    return image


def _shrink(length: int, level: int) -> int:
    return length >> level


def _shrink_batch(x: Any, level: int) -> Any:
    """(N, C, H, W) averaged over 2 x 2 blocks ``level`` times (an odd last row or column dropped each time)."""
    for _ in range(level):
        h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
        x = x[:, :, :h, :w]
        x = (x[:, :, 0::2, 0::2] + x[:, :, 1::2, 0::2] + x[:, :, 0::2, 1::2] + x[:, :, 1::2, 1::2]) * 0.25
    return x


def _upsample(x: Any, shape: tuple[int, int]) -> Any:
    """(N, C, H, W) resized to ``shape`` by bilinear interpolation (pixel centres aligned, as PyTorch's
    ``interpolate(align_corners=False)``): out_i = (1 - t) x_floor(p) + t x_floor(p)+1, p = (i + 1/2) H / H' - 1/2."""
    xp = backend.get_array_module(x)
    for axis, new in ((2, shape[0]), (3, shape[1])):
        old = x.shape[axis]
        position = xp.clip((xp.arange(new, dtype=x.dtype) + 0.5) * (old / new) - 0.5, 0, old - 1)
        low = xp.floor(position).astype(xp.int64)
        high = xp.minimum(low + 1, old - 1)
        t = (position - low).astype(x.dtype).reshape((-1, 1) if axis == 2 else (1, -1))
        x = xp.take(x, low, axis=axis) * (1 - t) + xp.take(x, high, axis=axis) * t
    return x


def _levels(coarse_to_fine: Any, size: tuple[int, int], source_size: tuple[int, int], network: nn.Module) -> int:
    """How many resolutions to synthesise at: 1 (no coarse-to-fine) up to MAX_LEVELS, or as many as asked."""
    smallest = min(min(size), min(source_size))
    needed = getattr(network, "minimum_size", lambda: 1)()
    if isinstance(coarse_to_fine, bool):
        levels = 1
        while coarse_to_fine and levels < MAX_LEVELS and smallest >> levels >= max(COARSEST_SIDE, needed):
            levels += 1
    elif is_int(coarse_to_fine) and 1 <= coarse_to_fine <= 8:
        levels = int(coarse_to_fine)
    else:
        raise ValueError(f"coarse_to_fine: {coarse_to_fine!r} (expected True, False or a number of levels 1..8)")
    if smallest >> (levels - 1) < needed:
        raise ValueError(
            f"size: the images shrink to {smallest >> (levels - 1)} pixels a side at the coarsest of {levels} "
            f"level(s), smaller than the network's {needed} (expected larger images or fewer levels)"
        )
    return levels


# ------------------------------------------------------------------------------------------ checks
def _checked(image: Any, name: str) -> Any:
    """``image`` as :func:`as_float_image` checks it, grey or RGB, with finite values."""
    image = as_float_image(image, name, channels=(1, 3))
    xp = backend.get_array_module(image)
    if not bool(xp.isfinite(image).all()):
        raise ImageError(f"{name}: contains NaN or infinite values (expected finite values in [0, 1])")
    return image





def _check_steps(steps: Any) -> int:
    if not is_int(steps) or steps < 1:
        raise ValueError(f"steps: {steps!r} (expected an int >= 1)")
    return int(steps)


def _check_weight(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name}: {value!r} (expected a finite number >= 0)")
    return float(value)
