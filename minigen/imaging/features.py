"""Feature networks for neural texture synthesis and style transfer: what "style" and "content" are measured in.

Two networks, both ordinary :class:`minigen.nn.Module` s that take a batch of images (N, 3, H, W) in [0, 1] and
return a list of feature maps (N, C_l, H_l, W_l):

* :class:`RandomMultiScale` (the default): one layer of random convolutions at several scales, ReLU after each.
  Nothing to download; Ustyuzhaninov, Brendel, Gatys & Bethge ("What does it take to generate natural textures?",
  ICLR 2017) showed that the Gram matrices of such a single random multi-scale layer already synthesise textures
  close to VGG's, and He, Wang & Hopcroft (2016) did style transfer with random weights.
* :class:`VGG19Features`: torchvision's ``vgg19().features`` (Simonyan & Zisserman 2015, configuration "E") with
  the same state-dict keys and layouts, returning chosen ReLU layers, as Gatys, Ecker & Bethge (2015, 2016) use.
  It needs the user's ImageNet weights, converted once to a minigen ``.npz`` (see the class).

A network tells the losses which outputs are for style and which for content by two attributes (tuples of
indices into its output list): ``style_layers`` and ``content_layers``; a network without them has every output
used for style and the last for content. RandomMultiScale also has ``style_layers_for(side)``, which leaves out
the branches whose pyramid level would be too small to match for images ``side`` pixels across.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy  # only to draw the random filters on the host, as minigen.nn.init does

from minigen import backend, nn
from minigen.imaging.io import is_int
from minigen.ops.conv import conv2d
from minigen.ops.pooling import avg_pool2d
from minigen.ops.shape import concatenate
from minigen.tensor import Tensor

__all__ = ["VGG19_CONFIG", "VGG19_LAYERS", "RandomMultiScale", "VGG19Features", "load_vgg19_weights"]

MIN_LEVEL_SIDE = 16  # RandomMultiScale matches a branch's Gram matrix only where its pyramid level is this large
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ------------------------------------------------------------------------------------------ random filters
class RandomMultiScale(nn.Module):
    """One layer of random convolutions at several scales, ReLU after each: a texture descriptor without training.

    Branch b looks at level ``octaves[b]`` of a pyramid of the image (centred, x - 0.5; each level the previous
    one blurred by [1, 3, 3, 1] / 8 in each direction and halved; ``pyramid="box"``, a 2 x 2 average instead,
    leaves a blocky pattern in style transfer), reflected by k // 2 pixels and convolved with ``width`` random
    k x k filters, k = ``kernel_sizes[b]``: maps of the level's size with no border of zeros in the statistics,
    then ReLU. The filters are drawn from N(0, 1) with ``seed`` and scaled to unit L2 norm each (every branch
    answers a contrast change alike); the biases are 0. State-dict keys ``convs.0.weight``, ``convs.0.bias``, ...

    The default, kernels 3, 3, 5, 5, 5 on octaves 0, 1, 1, 2, 3 with 64 filters each (receptive fields of about
    3 to 50 pixels), is the cheapest of the networks bench/bench_neural.py compares that draws bricks as well as
    the best (its figures: bench/RESULTS.md); fewer filters or 3 x 3 kernels only lose the bricks' shapes. A
    step's time is mostly the full-size branch, so there is one, of 3 x 3 filters. The two octave-1 branches are
    style transfer's content layers (the layout without the finest texture).
    """

    def __init__(
        self,
        channels: int = 3,
        kernel_sizes: Sequence[int] = (3, 3, 5, 5, 5),
        octaves: Sequence[int] = (0, 1, 1, 2, 3),
        width: int = 64,
        seed: int = 0,
        pyramid: str = "binomial",
    ) -> None:
        super().__init__()
        if pyramid not in ("binomial", "box"):
            raise ValueError(f"RandomMultiScale: pyramid {pyramid!r} (expected 'binomial' or 'box')")
        self.pyramid = pyramid
        kernel_sizes, octaves = tuple(kernel_sizes), tuple(octaves)
        if not _positive_int(channels):
            raise ValueError(f"RandomMultiScale: channels {channels!r} (expected an int >= 1)")
        if not _positive_int(width):
            raise ValueError(f"RandomMultiScale: width {width!r} (expected an int >= 1, filters per branch)")
        if not kernel_sizes or not all(_positive_int(k) for k in kernel_sizes):
            raise ValueError(f"RandomMultiScale: kernel_sizes {kernel_sizes!r} (expected ints >= 1)")
        if len(octaves) != len(kernel_sizes) or not all(is_int(o) and 0 <= o <= 8 for o in octaves):
            raise ValueError(
                f"RandomMultiScale: octaves {octaves!r} (expected one int in 0..8 per kernel size {kernel_sizes})"
            )
        if not is_int(seed) or seed < 0:
            raise ValueError(f"RandomMultiScale: seed {seed!r} (expected an int >= 0)")
        self.channels, self.kernel_sizes, self.octaves, self.width, self.seed = (
            int(channels), kernel_sizes, octaves, int(width), int(seed)
        )  # fmt: skip
        generator = numpy.random.default_rng(seed)
        self.convs = nn.ModuleList()
        for kernel in kernel_sizes:
            conv = nn.Conv2d(channels, width, kernel)
            filters = generator.standard_normal(conv.weight.shape).astype(numpy.float32)
            filters /= numpy.sqrt((filters * filters).sum(axis=(1, 2, 3), keepdims=True))  # unit L2 norm each
            conv.weight.data[...] = filters
            conv.bias.data[...] = 0
            self.convs.append(conv)
        taps = numpy.array([1, 3, 3, 1], dtype=numpy.float32) / 8
        blur = numpy.broadcast_to(numpy.outer(taps, taps), (channels, 1, 4, 4)).copy()
        self.register_buffer("blur", Tensor(blur), persistent=False)
        self.requires_grad_(False)  # a fixed descriptor: gradients flow to the image only
        self.style_layers = tuple(range(len(kernel_sizes)))
        # content: the branches at half resolution (else the last): the layout and the shapes without the finest
        # texture. The coarsest branch alone leaves the fine scales free, and style transfer fills them with
        # stripes; the finest pins every pixel and leaves no room for the style.
        half = tuple(b for b, octave in enumerate(octaves) if octave == 1)
        self.content_layers = half or (len(octaves) - 1,)

    def style_layers_for(self, side: int) -> tuple[int, ...]:
        """The branches worth matching for images ``side`` pixels across: those whose pyramid level keeps at least
        MIN_LEVEL_SIDE pixels a side (at least the finest branch). A smaller level holds fewer values than its
        Gram matrix (64 x 64 / 2 entries): unmatchable, it would stall the loss for the other branches."""
        kept = tuple(b for b in self.style_layers if side >> self.octaves[b] >= MIN_LEVEL_SIDE)
        return kept or (min(self.style_layers, key=lambda b: self.octaves[b]),)

    def minimum_size(self) -> int:
        """The smallest image side the network can see: each pyramid level must be larger than its padding."""
        return max((k // 2 + 1) * 2**o for k, o in zip(self.kernel_sizes, self.octaves))

    def forward(self, x: Tensor) -> list[Tensor]:
        level, depth, features = x - 0.5, 0, {}
        for branch in sorted(range(len(self.convs)), key=lambda b: self.octaves[b]):
            while depth < self.octaves[branch]:  # the pyramid is built once, coarser as the branches need it
                level, depth = self.downsample(level), depth + 1
            kernel = self.kernel_sizes[branch]
            features[branch] = self.convs[branch](reflect_pad(level, kernel // 2)).relu()
        return [features[b] for b in range(len(self.convs))]

    def downsample(self, x: Tensor) -> Tensor:
        """One pyramid level down: a [1, 3, 3, 1] / 8 binomial blur in each direction, every second pixel kept
        (a depthwise strided convolution of the image reflected by 1 pixel), or a 2 x 2 average (``"box"``)."""
        if self.pyramid == "box":
            return avg_pool2d(x, 2)
        return conv2d(reflect_pad(x, 1), self.blur, None, 2, 0, 1, self.channels)

    def extra_repr(self) -> str:
        return f"kernel_sizes={self.kernel_sizes}, octaves={self.octaves}, width={self.width}, seed={self.seed}"


def reflect_pad(x: Tensor, width: int) -> Tensor:
    """(N, C, H, W) mirrored by ``width`` pixels on every side, the edge pixel not repeated (PyTorch's
    ``pad(mode="reflect")``): rows width..1 above, H-2..H-1-width below, likewise for the columns. So that a
    convolution sees a whole neighbourhood at every pixel and no border of zeros enters the statistics."""
    if width == 0:
        return x
    x = concatenate([x[:, :, width:0:-1], x, x[:, :, -2 : -width - 2 : -1]], axis=2)
    return concatenate([x[:, :, :, width:0:-1], x, x[:, :, :, -2 : -width - 2 : -1]], axis=3)


# ------------------------------------------------------------------------------------------ VGG-19
# torchvision's cfgs["E"]: output channels of each 3 x 3 convolution, "M" a 2 x 2 max-pool
VGG19_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def _vgg19_layer_names() -> dict[str, int]:
    """"relu3_1" -> its index in ``vgg19().features`` (block 3, first ReLU), likewise "conv3_1" and "pool3"."""
    names, index, block, within = {}, 0, 1, 0
    for item in VGG19_CONFIG:
        if item == "M":
            names[f"pool{block}"] = index
            index, block, within = index + 1, block + 1, 0
        else:
            within += 1
            names[f"conv{block}_{within}"], names[f"relu{block}_{within}"] = index, index + 1
            index += 2
    return names


VGG19_LAYERS = _vgg19_layer_names()
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")  # Gatys, Ecker & Bethge 2016
CONTENT_LAYERS = ("relu4_2",)


class VGG19Features(nn.Sequential):
    """torchvision's ``vgg19().features`` built from minigen.nn, returning the activations of chosen layers.

    The modules are numbered as in torchvision (Conv2d(3, 64, 3, padding=1) is "0", its ReLU "1", ..., the
    last max-pool "36"), so the state-dict keys ("0.weight", "0.bias", "2.weight", ..., "34.bias") and their
    layouts are torchvision's. ``forward(x)`` takes images (N, 3, H, W) in [0, 1], normalises them with
    ImageNet's mean and std as torchvision's weights expect, runs the network as far as the deepest layer asked
    for and returns the activations of ``style_layers`` then ``content_layers`` (names from
    :data:`VGG19_LAYERS`: "relu1_1", ..., "relu5_4", "conv4_2", "pool3"), so that ``style_layers`` (attribute)
    are indices 0..S-1 of the output and ``content_layers`` the rest. ``pool="avg"`` replaces the max-pools by
    average pools, which Gatys et al. 2015 found gives slightly better textures (no parameters change).

    Without ``weights`` the network has PyTorch's random initialisation, which is no use for style. The weights
    are the user's, converted once from torchvision's ``.pth`` (a pickle, which minigen never reads) to an ``.npz``
    of plain arrays, in an environment with PyTorch::

        import minigen, torchvision
        model = torchvision.models.vgg19(weights="IMAGENET1K_V1")
        minigen.save({k: v.numpy() for k, v in model.features.state_dict().items()}, "vgg19_features.npz")

    then ``VGG19Features(weights="vgg19_features.npz")`` (or ``load_state_dict(minigen.load(path))``). A file
    saved from the whole model's state dict ("features.0.weight", ..., "classifier...") and a plain
    ``numpy.savez`` archive load too (see :func:`load_vgg19_weights`).
    """

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        style_layers: Sequence[str] = STYLE_LAYERS,
        content_layers: Sequence[str] = CONTENT_LAYERS,
        pool: str = "max",
    ) -> None:
        style_layers, content_layers = tuple(style_layers), tuple(content_layers)
        for name in style_layers + content_layers:
            if name not in VGG19_LAYERS:
                raise ValueError(f"VGG19Features: layer {name!r} (expected one of {', '.join(VGG19_LAYERS)})")
        if pool not in ("max", "avg"):
            raise ValueError(f"VGG19Features: pool {pool!r} (expected 'max' or 'avg')")
        modules: list[nn.Module] = []
        channels = 3
        for item in VGG19_CONFIG:
            if item == "M":
                modules.append(nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))
            else:
                modules += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        super().__init__(*modules)
        self.layer_names = style_layers + content_layers
        self.style_layers = tuple(range(len(style_layers)))
        self.content_layers = tuple(range(len(style_layers), len(self.layer_names)))
        self.pool = pool
        if weights is not None:
            self.load_state_dict(load_vgg19_weights(weights))
        self.requires_grad_(False)

    def forward(self, x: Tensor) -> list[Tensor]:
        indices = [VGG19_LAYERS[name] for name in self.layer_names]
        outputs: list[Any] = [None] * len(indices)
        xp = backend.get_array_module(x)  # the constants in the input's dtype, on its device (no buffer to move)
        mean = xp.asarray(IMAGENET_MEAN, dtype=x.dtype).reshape(1, 3, 1, 1)
        std = xp.asarray(IMAGENET_STD, dtype=x.dtype).reshape(1, 3, 1, 1)
        x = (x - mean) / std
        for index, module in enumerate(self):
            if index > max(indices):
                break
            x = module(x)
            for position, at in enumerate(indices):
                if at == index:
                    outputs[position] = x
        return outputs

    def extra_repr(self) -> str:
        return f"layers={self.layer_names}, pool={self.pool!r}"


def load_vgg19_weights(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The state dict of ``vgg19().features`` in ``path``: a minigen checkpoint (``minigen.save``) or a plain
    ``numpy.savez`` archive, of either the features' keys ("0.weight", ...) or the whole model's
    ("features.0.weight", ...; the classifier's keys are dropped). Never unpickles."""
    from minigen.serialization import CheckpointError, load

    try:
        state = load(path)
    except CheckpointError as error:
        if "not a minigen checkpoint (no" not in str(error):
            raise
        with numpy.load(path, allow_pickle=False) as archive:  # a plain numpy.savez archive
            state = {key: archive[key] for key in archive.files}
    if not isinstance(state, dict):
        raise ValueError(f"{path}: holds a {type(state).__name__}, expected a state dict (key -> array)")
    if any(key.startswith("features.") for key in state):
        state = {key[len("features.") :]: value for key, value in state.items() if key.startswith("features.")}
    return state


# ------------------------------------------------------------------------------------------ checks

def _positive_int(value: Any) -> bool:
    return is_int(value) and value >= 1


def network_device(network: nn.Module) -> backend.Device | None:
    """The device of a network's first parameter or buffer (None for a network without either)."""
    for tensor in list(network.parameters()) + list(network.buffers()):
        return backend.device_of(tensor.data)
    return None


def network_dtype(network: nn.Module) -> Any:
    for tensor in network.parameters():
        return tensor.dtype
    return None

