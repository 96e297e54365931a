"""Neural texture synthesis and style transfer (minigen/imaging/neural.py, features.py): the losses' gradients
against finite differences and PyTorch, VGG-19's layout against torchvision's configuration "E", and the recipes."""


import numpy as np
import pytest

import minigen
from minigen import Tensor, backend, gradcheck
from minigen.imaging.features import RandomMultiScale, VGG19Features, load_vgg19_weights
from minigen.imaging.io import ImageError, sample_image
from minigen.imaging.neural import (
    content_distance,
    content_loss,
    gram_matrix,
    neural_texture,
    style_distance,
    style_loss,
    style_transfer,
    tv_loss,
)

# torchvision.models.vgg.cfgs["E"], written out here so that the test does not trust features.py's copy
TORCHVISION_CFG_E = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                     512, 512, 512, 512, "M"]  # fmt: skip
VGG_LAYERS = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu5_1": 29, "relu4_2": 22}


def crop(name, side, top=0, left=0):
    return np.ascontiguousarray(sample_image(name)[top : top + side, left : left + side])


def has_lbfgs():
    import minigen.optim

    return hasattr(minigen.optim, "LBFGS")


# ------------------------------------------------------------------------------------------ the losses
def test_gram_matrix_is_f_ft_over_chw_and_passes_gradcheck():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((2, 3, 4, 5))
    expected = np.einsum("nchw,ndhw->ncd", features, features) / (3 * 4 * 5)
    np.testing.assert_allclose(gram_matrix(Tensor(features)).data, expected, rtol=1e-12)
    gradcheck(gram_matrix, Tensor(features, requires_grad=True))
    # channels-last memory (what a convolution returns): the view path of the forward and the backward
    channels_last = np.ascontiguousarray(features.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    gradcheck(gram_matrix, Tensor(channels_last, requires_grad=True))
    # through the style loss, with the target and relative weights (symmetric and asymmetric upstream gradients)
    target = [gram_matrix(Tensor(rng.standard_normal((1, 3, 4, 5)))).data]
    gradcheck(lambda f: style_loss([f], target), Tensor(features, requires_grad=True))


def test_tv_and_content_losses_pass_gradcheck():
    rng = np.random.default_rng(1)
    image = Tensor(rng.standard_normal((1, 3, 6, 7)), requires_grad=True)
    gradcheck(tv_loss, image)
    down, across = np.diff(image.data, axis=2), np.diff(image.data, axis=3)
    assert tv_loss(image).item() == pytest.approx(np.mean(down**2) + np.mean(across**2), rel=1e-12)
    target = [rng.standard_normal((1, 3, 6, 7))]
    gradcheck(lambda f: content_loss([f], target), image)


def torch_losses(torch, features, style_targets, content_targets, image, content_at):
    """The same objective as neural.py's, written in PyTorch: relative style + 0.5 relative content + 2 TV."""

    def gram(f):
        n, c, h, w = f.shape
        rows = f.permute(0, 2, 3, 1).reshape(n, h * w, c)
        return rows.transpose(1, 2) @ rows / (c * h * w)

    style_part = [features[i] for i in range(len(style_targets))]
    style = sum(((gram(f) - t) ** 2).sum() / (len(style_targets) * (t**2).sum())
                for f, t in zip(style_part, style_targets))  # fmt: skip
    content = sum(((features[i] - t) ** 2).sum() / (len(content_targets) * (t**2).sum())
                  for i, t in zip(content_at, content_targets))  # fmt: skip
    tv = ((image[:, :, 1:] - image[:, :, :-1]) ** 2).mean() + ((image[:, :, :, 1:] - image[:, :, :, :-1]) ** 2).mean()
    return style + 0.5 * content + 2 * tv


def minigen_losses(features, style_targets, content_targets, image, content_at):
    style = style_loss(features[: len(style_targets)], style_targets)
    content = content_loss([features[i] for i in content_at], content_targets)
    return style + content * 0.5 + tv_loss(image) * 2


def assert_same_input_gradient(torch, network, torch_network, shape, content_at, seed=0):
    rng = np.random.default_rng(seed)
    image, style, content = (rng.uniform(0.05, 0.95, shape) for _ in range(3))
    with minigen.no_grad():
        features = network(Tensor(style))
        style_targets = [gram_matrix(features[i]).data for i in network.style_layers]
        content_targets = [network(Tensor(content))[i].data for i in content_at]
    x = Tensor(image.copy(), requires_grad=True)
    loss = minigen_losses(network(x), style_targets, content_targets, x, content_at)
    loss.backward()

    xt = torch.tensor(image, requires_grad=True)
    torch_loss = torch_losses(torch, torch_network(xt), [torch.tensor(t) for t in style_targets],
                              [torch.tensor(t) for t in content_targets], xt, content_at)  # fmt: skip
    torch_loss.backward()
    assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-10)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12 * np.abs(xt.grad.numpy()).max())
    assert np.abs(x.grad.data).max() > 0


def test_random_network_input_gradient_matches_torch(torch):
    network = RandomMultiScale(kernel_sizes=(3, 5, 3), octaves=(0, 1, 2), width=4, seed=3).to("float64")
    assert network.state_dict()["convs.1.weight"].shape == (4, 3, 5, 5)
    norms = np.sqrt((network.convs[1].weight.data ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(norms, 1, rtol=1e-6)  # unit-norm filters
    default = RandomMultiScale()  # kernels 3, 3, 5, 5, 5 on octaves 0, 1, 1, 2, 3; content: the half-size branches
    assert default.content_layers == (1, 2) and default.minimum_size() == 24
    assert default.style_layers_for(256) == (0, 1, 2, 3, 4) and default.style_layers_for(48) == (0, 1, 2)

    class Mirror(torch.nn.Module):  # the same network written in PyTorch
        def __init__(self):
            super().__init__()
            self.convs = torch.nn.ModuleList(torch.nn.Conv2d(3, 4, k) for k in (3, 5, 3))

        def forward(self, x):
            pad = torch.nn.functional.pad
            taps = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8
            blur = torch.outer(taps, taps).expand(3, 1, 4, 4)
            levels = [x - 0.5]
            for _ in range(2):  # binomial blur of the reflected image, every second pixel
                levels.append(torch.nn.functional.conv2d(pad(levels[-1], (1,) * 4, mode="reflect"), blur, stride=2,
                                                         groups=3))  # fmt: skip
            return [torch.relu(conv(pad(levels[o], (k // 2,) * 4, mode="reflect")))
                    for conv, o, k in zip(self.convs, (0, 1, 2), (3, 5, 3))]  # fmt: skip

    mirror = Mirror()
    mirror.load_state_dict({k: torch.tensor(v.data) for k, v in network.state_dict().items()})
    assert_same_input_gradient(torch, network, mirror, (1, 3, 21, 22), content_at=network.content_layers)


def torch_vgg19(torch):
    layers, channels = [], 3
    for item in TORCHVISION_CFG_E:
        if item == "M":
            layers.append(torch.nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [torch.nn.Conv2d(channels, item, kernel_size=3, padding=1), torch.nn.ReLU(inplace=True)]
            channels = item
    return torch.nn.Sequential(*layers)


def test_vgg19_layout_outputs_and_input_gradient_match_torch(torch, tmp_path):
    torch.manual_seed(0)
    reference = torch_vgg19(torch).eval().requires_grad_(False)  # float64 (the fixture's default), random weights
    network = VGG19Features()
    ours, theirs = network.state_dict(), reference.state_dict()
    assert list(ours) == list(theirs) and len(ours) == 32 and list(ours)[-1] == "34.bias"
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]

    # the user's conversion, as the docstring says it: minigen.save of the features' state dict as arrays
    path = tmp_path / "vgg19_features.npz"
    minigen.save({k: v.numpy() for k, v in theirs.items()}, path)
    loaded = VGG19Features(weights=path)  # float32, as minigen's layers are by default
    for key, value in loaded.state_dict().items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value.data, theirs[key].numpy().astype(np.float32))
    network = VGG19Features().to("float64")
    network.load_state_dict(load_vgg19_weights(path))
    for key, value in network.state_dict().items():
        np.testing.assert_array_equal(value.data, theirs[key].numpy())

    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)

    def mirror(x):  # torchvision's normalisation, then the Sequential, keeping the chosen activations
        x, out = (x - mean) / std, {}
        for index, module in enumerate(reference):
            x = module(x)
            out[index] = x
        return [out[VGG_LAYERS[name]] for name in network.layer_names]

    assert network.layer_names == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2")
    image = np.random.default_rng(0).uniform(0, 1, (1, 3, 32, 32))
    with minigen.no_grad():
        for got, want in zip(network(Tensor(image)), mirror(torch.tensor(image))):
            np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-9, atol=1e-12)
    assert_same_input_gradient(torch, network, mirror, (1, 3, 32, 32), content_at=network.content_layers, seed=1)


def test_vgg19_weights_load_from_whole_model_and_plain_npz_files(tmp_path):
    network = VGG19Features()
    state = {k: v.data for k, v in network.state_dict().items()}
    whole = {f"features.{k}": v for k, v in state.items()} | {"classifier.0.weight": np.zeros((2, 2), np.float32)}
    np.savez(tmp_path / "plain.npz", **whole)
    loaded = load_vgg19_weights(tmp_path / "plain.npz")
    assert list(loaded) == list(state) and all(np.array_equal(loaded[k], state[k]) for k in state)
    minigen.save({k: v[:1] if k == "0.weight" else v for k, v in state.items()}, tmp_path / "bad.npz")
    with pytest.raises(Exception, match="size mismatch for 0.weight"):
        VGG19Features(weights=tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="layer 'relu9_1'"):
        VGG19Features(style_layers=("relu9_1",))


# ------------------------------------------------------------------------------------------ the recipes
@pytest.mark.parametrize("optimizer, steps", [("adam", 100), ("lbfgs", 40)])
def test_neural_texture_lowers_the_gram_loss_a_hundredfold(optimizer, steps):
    if optimizer == "lbfgs" and not has_lbfgs():
        pytest.skip("minigen.optim.LBFGS is not there yet (the recipe falls back to Adam, tested below)")
    source = crop("gravel", 48, 100, 100)
    losses = []
    out = neural_texture(source, 48, steps=steps, rng=0, optimizer=optimizer, coarse_to_fine=False,
                         callback=lambda step, loss, image: losses.append(loss))  # fmt: skip
    final = style_distance(out, source)
    assert len(losses) == steps and out.shape == (48, 48) and out.dtype == np.float32
    assert 0 < out.min() and out.max() < 1
    message = f"{optimizer}: Gram loss {losses[0]:.4g} at the noise start, {final:.4g} at the end"
    assert final * 100 <= losses[0], message
    # the texture is the source's, not its copy: the same statistics, different pixels
    assert np.abs(out - source).mean() > 0.05, f"mean |out - source| {np.abs(out - source).mean():.3f}"


def test_coarse_to_fine_levels_callback_and_the_same_seed():
    source = crop("brick", 56)
    sizes = []
    out = neural_texture(source, (50, 54), steps=4, rng=5, optimizer="adam", coarse_to_fine=2,
                         callback=lambda step, loss, image: sizes.append((step, image.shape)))  # fmt: skip
    assert sizes == [(s, (25, 27)) for s in range(1, 5)] + [(s, (50, 54)) for s in range(5, 9)]
    again = neural_texture(source, (50, 54), steps=4, rng=5, optimizer="adam", coarse_to_fine=2)
    other = neural_texture(source, (50, 54), steps=4, rng=6, optimizer="adam", coarse_to_fine=2)
    np.testing.assert_array_equal(out, again)
    assert np.abs(out - other).mean() > 0.01
    with pytest.raises(ValueError, match="size: the images shrink to 12 pixels a side at the coarsest of 3"):
        neural_texture(source, 50, steps=1, coarse_to_fine=3)  # 50 / 4 = 12 pixels: smaller than the network's 24


def test_style_transfer_moves_towards_the_style_and_keeps_the_content():
    content = sample_image("chelsea")[::6, ::6][:40, :56]  # 40 x 56 RGB
    style = np.ascontiguousarray(np.stack([crop("brick", 40 * 2)[::2, ::2]] * 3, axis=2)[:, :40].repeat(2, 1)[:, :56])
    out = style_transfer(content, style, steps=40, rng=0, optimizer="adam", coarse_to_fine=False)
    assert out.shape == content.shape and out.dtype == np.float32
    to_style, content_to_style = style_distance(out, style), style_distance(content, style)
    kept, style_to_content = content_distance(out, content), content_distance(style, content)
    message = (f"Gram distance to the style: result {to_style:.4g}, content image {content_to_style:.4g}; "
               f"content loss: result {kept:.4g}, style image {style_to_content:.4g}")  # fmt: skip
    assert to_style < 0.1 * content_to_style and kept < 0.8 * style_to_content, message


def test_channels_rules_and_dtypes():
    grey, colour = crop("gravel", 32), sample_image("coffee")[:32, :32]
    # texture_transfer's rule: the content's (H, W), the style's channels and dtype
    assert style_transfer(colour, grey, steps=2, optimizer="adam", coarse_to_fine=False).shape == (32, 32)
    painted = style_transfer(grey, colour.astype(np.float64), steps=2, optimizer="adam", coarse_to_fine=False)
    assert painted.shape == (32, 32, 3) and painted.dtype == np.float64
    assert neural_texture(colour, (30, 26), steps=2, optimizer="adam").shape == (30, 26, 3)


def test_runs_on_the_device(device):
    source = backend.to_device(crop("gravel", 32), device)
    out = neural_texture(source, (30, 34), steps=3, rng=0)
    assert backend.device_of(out).name == device and out.dtype == np.float32 and out.shape == (30, 34)
    content = backend.to_device(sample_image("coffee")[:28, :30], device)
    moved = style_transfer(content, source, steps=3, optimizer="adam", init="noise", rng=0, tv_weight=1.0)
    assert backend.device_of(moved).name == device and moved.shape == (28, 30)
    assert 0 < style_distance(moved, source) < 10
    vgg = VGG19Features(style_layers=("relu1_1",), content_layers=("relu2_1",)).to(device)
    features = vgg(Tensor(backend.to_device(np.full((1, 3, 8, 8), 0.5, np.float32), device)))
    assert [f.shape for f in features] == [(1, 64, 8, 8), (1, 128, 4, 4)]
    assert backend.device_of(features[1].data).name == device


# ------------------------------------------------------------------------------------------ bad input
def one_line(error):
    text = str(error.value)
    assert "\n" not in text and len(text) < 300, text
    return text


def test_bad_input_gives_one_line_errors():
    source = crop("gravel", 32)
    cases = [
        (ImageError, "source: shape \\(32, 32, 4\\)", lambda: neural_texture(np.zeros((32, 32, 4), np.float32), 8)),
        (ImageError, "source: dtype uint8", lambda: neural_texture((source * 255).astype(np.uint8), 8)),
        (ImageError, "source: contains NaN", lambda: neural_texture(np.where(source > 0.5, np.nan, source), 8)),
        (ValueError, "size: 0", lambda: neural_texture(source, 0)),
        (ValueError, "size: \\(32, -1\\)", lambda: neural_texture(source, (32, -1))),
        (ValueError, "size: the images shrink to 10 pixels", lambda: neural_texture(source, 10)),
        (ValueError, "size: the images shrink to 20 pixels", lambda: neural_texture(source[:20], 32)),
        (ValueError, "steps: 0", lambda: neural_texture(source, 32, steps=0)),
        (ValueError, "optimizer 'sgd'", lambda: neural_texture(source, 32, steps=1, optimizer="sgd")),
        (ValueError, "rng: -1", lambda: neural_texture(source, 32, rng=-1)),
        (ValueError, "network: str", lambda: neural_texture(source, 32, network="vgg")),
        (ValueError, "style_weight: -1", lambda: style_transfer(source, source, style_weight=-1)),
        (ValueError, "init 'zeros'", lambda: style_transfer(source, source, init="zeros")),
        (ImageError, "style: shape \\(32, 32, 2\\)", lambda: style_transfer(source, np.zeros((32, 32, 2), np.float32))),
    ]
    for kind, pattern, call in cases:
        with pytest.raises(kind, match=pattern) as error:
            call()
        one_line(error)
    broken = RandomMultiScale()
    broken.convs[0].weight.data[0, 0, 0, 0] = np.inf
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match="texture: the loss is nan at step 1") as error:
        neural_texture(source, 32, steps=2, optimizer="adam", network=broken)
    one_line(error)
