"""conv2d and conv_transpose2d: float64 gradient checks over a grid of configurations (dilation and groups
included), PyTorch parity for the functions and the Conv2d / ConvTranspose2d layers (DCGAN shapes included),
and shape errors. More on dilation and groups: test_conv_dilation_groups.py."""

import itertools
import math
import random

import numpy as np
import pytest

import minigen as mg
from minigen import backend
from minigen.nn.conv import Conv2d, ConvTranspose2d
from minigen.ops.conv import conv2d, conv_transpose2d

# (batch, in_channels, out_channels, height, width, kernel, stride, padding, output_padding)
# sampled from kernel 1..5 (and non-square), stride 1..3, padding 0..2, output_padding < stride,
# odd and even sizes, batch 1 and 3, channels 1 and 3.
_GRID = list(
    itertools.product(
        (1, 3), (1, 3), (1, 2), (4, 5, 7), (3, 6), (1, 2, 3, 4, 5, (2, 3)), (1, 2, 3), (0, 1, 2), (0, 1, 2)
    )
)


def _valid(case, transposed):
    n, cin, cout, h, w, k, s, p, op = case
    kh, kw = (k, k) if isinstance(k, int) else k
    if transposed:
        return op < s and (h - 1) * s - 2 * p + kh + op >= 1 and (w - 1) * s - 2 * p + kw + op >= 1
    return op == 0 and h + 2 * p >= kh and w + 2 * p >= kw


def _sample(transposed, count):
    cases = [c for c in _GRID if _valid(c, transposed)]
    return random.Random(0).sample(cases, count)


CONV_CASES = _sample(False, 24)
CONVT_CASES = _sample(True, 24)
# Cases that must be there whatever the sample: 1x1 inputs (the DCGAN generator's first layer),
# strides that do not divide the input, non-square kernels with non-square strides and padding.
CONV_CASES += [(2, 2, 3, 5, 6, (2, 3), (3, 2), (1, 0), 0), (1, 1, 1, 1, 1, 1, 1, 0, 0), (2, 3, 2, 7, 7, 5, 3, 2, 0)]
CONVT_CASES += [
    (2, 4, 3, 1, 1, 4, 1, 0, 0),
    (2, 2, 3, 3, 4, (3, 2), (2, 3), (1, 0), (1, 2)),
    (1, 1, 1, 1, 1, 1, 1, 0, 0),
]

# The plain grid's cases, with dilation 1 and groups 1.
CONV_CASES = [case + (1, 1) for case in CONV_CASES]
CONVT_CASES = [case + (1, 1) for case in CONVT_CASES]

# (batch, in_channels, out_channels, height, width, kernel, stride, padding, output_padding, dilation, groups);
# channels are multiples of groups. Sampled from dilation 1..3, groups 1, 2, 4, kernel 1..3 and non-square,
# stride 1..2, padding 0..2, output_padding below max(stride, dilation) as PyTorch allows.
_DILATED_GROUPED_GRID = [
    (n, groups * a, groups * b, h, w, k, s, p, op, d, groups)
    for n, a, b, h, w, k, s, p, op, d, groups in itertools.product(
        (1, 2), (1, 2), (1, 3), (5, 6), (4, 7), (1, 2, 3, (2, 3)), (1, 2, (2, 1)), (0, 1, 2), (0, 1, 2), (1, 2, 3,
        (2, 1)), (1, 2, 4)
    )
]  # fmt: skip


def _pairs(*values):
    return [(v, v) if isinstance(v, int) else v for v in values]


def _out_size(case, transposed):
    _, _, _, h, w, k, s, p, op, d, _ = case
    sizes = []
    for size, k_, s_, p_, op_, d_ in zip((h, w), *_pairs(k, s, p, op, d)):
        if transposed:
            sizes.append((size - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1)
        else:
            sizes.append((size + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1)
    return sizes


def _valid_dilated_grouped(case, transposed):
    *_, s, p, op, d, _ = case
    if not transposed and op != 0:
        return False
    if transposed and any(op_ >= max(s_, d_) for op_, s_, d_ in zip(*_pairs(op, s, d))):
        return False
    return min(_out_size(case, transposed)) >= 1


def _sample_dilated_grouped(transposed, count, seed):
    rng = random.Random(seed)
    cases = [c for c in _DILATED_GROUPED_GRID if _valid_dilated_grouped(c, transposed)]
    # every dilation x groups pair at least once, then random others
    chosen = [rng.choice([c for c in cases if c[9] == d and c[10] == g]) for d in (1, 2, 3) for g in (1, 2, 4)]
    return chosen + rng.sample(cases, count - len(chosen))


CONV_CASES += _sample_dilated_grouped(False, 14, 0) + [
    (2, 4, 4, 6, 5, 3, 1, 1, 0, 2, 4),  # depthwise: groups = in_channels = out_channels
    (2, 3, 6, 7, 7, (3, 2), (2, 1), (1, 0), 0, (1, 3), 3),  # depthwise with a channel multiplier of 2
]
CONVT_CASES += _sample_dilated_grouped(True, 14, 1) + [
    (2, 4, 4, 3, 4, 3, 1, 1, 0, 2, 4),  # depthwise
    (1, 2, 4, 3, 3, 2, 1, 0, (2, 1), (3, 2), 2),  # output_padding >= stride (allowed below the dilation)
]


def _name(case):
    return "n{}-c{}to{}-{}x{}-k{}-s{}-p{}-op{}-d{}-g{}".format(*case).replace(" ", "")


def _inputs(case, transposed, device, rng):
    """float64 leaves x, weight, bias on ``device`` for a case, in PyTorch's weight layouts."""
    n, cin, cout, h, w, k, *_, groups = case
    kh, kw = _pairs(k)[0]
    weight_shape = (cin, cout // groups, kh, kw) if transposed else (cout, cin // groups, kh, kw)
    arrays = rng.standard_normal((n, cin, h, w)), rng.standard_normal(weight_shape), rng.standard_normal(cout)
    return [mg.Tensor(backend.to_device(a, device), requires_grad=True) for a in arrays]


def _apply(case, transposed):
    """The minigen function of a case (arguments by position, in PyTorch's order), and torch's keywords."""
    *_, s, p, op, d, g = case
    if transposed:
        return (lambda x, w, b: conv_transpose2d(x, w, b, s, p, op, g, d)), (
            "conv_transpose2d",
            dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d),
        )
    return (lambda x, w, b: conv2d(x, w, b, s, p, d, g)), ("conv2d", dict(stride=s, padding=p, dilation=d, groups=g))


@pytest.mark.parametrize("transposed", [False, True], ids=["conv2d", "conv_transpose2d"])
def test_gradcheck_over_the_grid(transposed, device):
    rng = np.random.default_rng(0)
    for case in CONVT_CASES if transposed else CONV_CASES:
        fn, _ = _apply(case, transposed)
        inputs = _inputs(case, transposed, device, rng)
        try:
            # inputs over 40 elements are checked along random directions (Chainer's check_backward)
            mg.gradcheck(fn, *inputs, max_elements=40)
        except mg.GradcheckError as error:
            raise AssertionError(f"{_name(case)}: {error}") from None


@pytest.mark.parametrize("transposed", [False, True], ids=["conv2d", "conv_transpose2d"])
def test_functional_matches_torch_over_the_grid(transposed, device, torch):
    rng = np.random.default_rng(1)
    for case in CONVT_CASES if transposed else CONV_CASES:
        fn, (torch_name, options) = _apply(case, transposed)
        inputs = _inputs(case, transposed, device, rng)
        torch_inputs = [torch.tensor(t.numpy(), requires_grad=True) for t in inputs]
        out = fn(*inputs)
        expected = getattr(torch.nn.functional, torch_name)(*torch_inputs, **options)
        assert out.shape == tuple(expected.shape), _name(case)
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=_name(case))
        g = rng.standard_normal(out.shape)
        out.backward(backend.to_device(g, device))
        expected.backward(torch.tensor(g))
        for mine, theirs, what in zip(inputs, torch_inputs, ("input", "weight", "bias")):
            np.testing.assert_allclose(
                mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=f"{_name(case)} d/d{what}"
            )


# The DCGAN's layers (batch 2 here): discriminator convs 1->64->128->256 at 32->16->8->4,
# generator transposed convs 100->256 at 1->4, then 256->128->64->1 at 4->8->16->32.
DCGAN_LAYERS = [
    ("Conv2d", (1, 64, 4, 2, 1), 32),
    ("Conv2d", (64, 128, 4, 2, 1), 16),
    ("Conv2d", (128, 256, 4, 2, 1), 8),
    ("ConvTranspose2d", (100, 256, 4, 1, 0), 1),
    ("ConvTranspose2d", (256, 128, 4, 2, 1), 4),
    ("ConvTranspose2d", (128, 64, 4, 2, 1), 8),
    ("ConvTranspose2d", (64, 1, 4, 2, 1), 16),
    ("ConvTranspose2d", (3, 2, (3, 2), (2, 3), (1, 0), (1, 2)), 5),  # non-square everything, output_padding
    ("Conv2d", (3, 2, (2, 5), (3, 1), (0, 2)), 7),
]


def _copy_from_torch(layer, torch_layer, device):
    for name, parameter in torch_layer.named_parameters():
        getattr(layer, name).data = backend.to_device(parameter.detach().numpy().copy(), device)


@pytest.mark.parametrize("kind, args, size", DCGAN_LAYERS, ids=[f"{k}{a}-{s}" for k, a, s in DCGAN_LAYERS])
def test_layer_matches_torch(kind, args, size, device, torch):
    layer_class = {"Conv2d": Conv2d, "ConvTranspose2d": ConvTranspose2d}[kind]
    torch_layer = getattr(torch.nn, kind)(*args)
    layer = layer_class(*args, device=device, dtype="float64")
    assert layer.weight.shape == tuple(torch_layer.weight.shape)
    assert layer.bias.shape == tuple(torch_layer.bias.shape)
    _copy_from_torch(layer, torch_layer, device)

    rng = np.random.default_rng(2)
    x_host = rng.standard_normal((2, args[0], size, size))
    x = mg.tensor(x_host, requires_grad=True, device=device)
    torch_x = torch.tensor(x_host, requires_grad=True)
    out, expected = layer(x), torch_layer(torch_x)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(out.shape)
    out.backward(backend.to_device(g, device))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(layer.weight.grad.numpy(), torch_layer.weight.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(layer.bias.grad.numpy(), torch_layer.bias.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_a_chain_of_layers_matches_torch(torch):
    """Outputs are views of channels-last memory: check they feed activations and further convolutions correctly."""
    args = [("Conv2d", (3, 4, 3, 2, 1)), ("Conv2d", (4, 5, (2, 3), 1, (1, 0))), ("ConvTranspose2d", (5, 2, 4, 2, 1, 1))]
    layers, torch_layers = [], []
    for kind, a in args:
        torch_layers.append(getattr(torch.nn, kind)(*a))
        layers.append({"Conv2d": Conv2d, "ConvTranspose2d": ConvTranspose2d}[kind](*a, dtype="float64"))
        _copy_from_torch(layers[-1], torch_layers[-1], "cpu")
    x_host = np.random.default_rng(3).standard_normal((2, 3, 9, 8))
    x, torch_x = mg.tensor(x_host, requires_grad=True), torch.tensor(x_host, requires_grad=True)
    out, expected = x, torch_x
    for layer, torch_layer in zip(layers, torch_layers):
        out, expected = (
            mg.functional.leaky_relu(layer(out), 0.2),
            torch.nn.functional.leaky_relu(torch_layer(expected), 0.2),
        )
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-9, atol=1e-10)
    for layer, torch_layer in zip(layers, torch_layers):
        np.testing.assert_allclose(layer.weight.grad.numpy(), torch_layer.weight.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_no_bias_and_input_without_grad(torch):
    rng = np.random.default_rng(4)
    x_host, w_host = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    w, torch_w = mg.tensor(w_host, requires_grad=True), torch.tensor(w_host, requires_grad=True)
    out = conv2d(mg.tensor(x_host), w, stride=2, padding=1)
    expected = torch.nn.functional.conv2d(torch.tensor(x_host), torch_w, stride=2, padding=1)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), torch_w.grad.numpy(), rtol=1e-10)
    layer = ConvTranspose2d(3, 2, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert "bias=False" in repr(layer)


def test_float32_stays_float32():
    x = mg.randn(2, 3, 8, 8)
    conv, deconv = Conv2d(3, 4, 4, 2, 1), ConvTranspose2d(4, 3, 4, 2, 1)
    x.requires_grad = True
    y = deconv(conv(x))
    assert y.dtype == np.float32 and y.shape == (2, 3, 8, 8)
    y.sum().backward()
    for t in (x, conv.weight, conv.bias, deconv.weight, deconv.bias):
        assert t.grad.dtype == np.float32


def test_default_initialisation_follows_pytorch():
    """kaiming_uniform(a=sqrt(5)) gives U(+-1/sqrt(fan_in)) for the weight, and the bias draws from the same range.

    fan_in reads axis 1 of the weight, so for ConvTranspose2d (in, out, kh, kw) it is out*kh*kw, as in PyTorch."""
    mg.manual_seed(0)
    for layer, fan_in in ((Conv2d(16, 32, 3), 16 * 9), (ConvTranspose2d(16, 32, (3, 2)), 32 * 6)):
        bound = 1 / math.sqrt(fan_in)
        weight, bias = layer.weight.numpy(), layer.bias.numpy()
        assert weight.dtype == np.float32
        assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
        assert abs(weight.std() - bound / math.sqrt(3)) < 0.1 * bound  # the std of U(-b, b) is b/sqrt(3)
        assert np.abs(bias).max() <= bound


def test_layer_repr_and_layouts():
    assert (
        repr(Conv2d(1, 64, 4, 2, 1, bias=False))
        == "Conv2d(1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)"
    )
    assert repr(ConvTranspose2d(100, 256, 4)) == "ConvTranspose2d(100, 256, kernel_size=(4, 4), stride=(1, 1))"
    assert repr(ConvTranspose2d(2, 3, 3, 2, 1, 1)).endswith("padding=(1, 1), output_padding=(1, 1))")
    assert Conv2d(3, 5, (2, 4)).weight.shape == (5, 3, 2, 4)
    assert ConvTranspose2d(3, 5, (2, 4)).weight.shape == (3, 5, 2, 4)


def test_shape_errors_name_what_is_wrong():
    x = mg.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"input has 3 channels.*\(4, 2, 3, 3\) with groups=1 expects 2"):
        conv2d(x, mg.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"input has 3 channels.*\(2, 4, 3, 3\) with groups=1 expects 2"):
        conv_transpose2d(x, mg.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride \(2, 2\)"):
        conv_transpose2d(x, mg.randn(3, 4, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        ConvTranspose2d(3, 4, 3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match=r"output size \(0, 0\) is not positive.*kernel \(9, 9\)"):
        conv2d(x, mg.randn(4, 3, 9, 9))
    with pytest.raises(ValueError, match=r"must be 4-D.*\(3, 8, 8\)"):
        conv2d(mg.randn(3, 8, 8), mg.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        conv2d(x, mg.randn(4, 3, 3, 3), mg.randn(3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv2d(x, mg.randn(4, 3, 3, 3), stride=0)
