"""conv2d and conv_transpose2d with dilation and groups: groups as independent convolutions, the layers'
PyTorch signatures, layouts, reprs and initialisation, and the errors. The gradient checks and PyTorch
parity over a sampled grid of dilations and groups (depthwise included) are in test_conv.py."""

import math

import numpy as np
import pytest

import minigen as mg
from minigen.nn.conv import Conv2d, ConvTranspose2d
from minigen.ops.conv import conv2d, conv_transpose2d


def test_groups_are_independent_convolutions():
    """Group g's outputs are the plain convolution of group g's input channels by group g's filters."""
    rng = np.random.default_rng(2)
    x, w = mg.tensor(rng.standard_normal((2, 6, 7, 7))), mg.tensor(rng.standard_normal((4, 3, 3, 3)))
    out = conv2d(x, w, stride=2, dilation=2, groups=2).numpy()
    for group in range(2):
        alone = conv2d(x[:, 3 * group : 3 * group + 3], w[2 * group : 2 * group + 2], stride=2, dilation=2)
        np.testing.assert_allclose(out[:, 2 * group : 2 * group + 2], alone.numpy(), rtol=1e-12, atol=1e-12)


# Layers built with every argument by position, in PyTorch's order (note ConvTranspose2d's: output_padding,
# groups, bias, dilation), so that a change of order fails here.
LAYERS = [
    ("Conv2d", (4, 6, 3, 2, 1, 2, 2, True), 9),
    ("Conv2d", (6, 6, (3, 2), 1, (1, 0), (2, 3), 6, False), 8),  # depthwise, no bias
    ("ConvTranspose2d", (4, 6, 3, 2, 1, 1, 2, True, 2), 5),
    ("ConvTranspose2d", (4, 4, 2, 1, 0, 1, 4, False, 3), 4),  # depthwise, output_padding < dilation
]


@pytest.mark.parametrize("kind, args, size", LAYERS, ids=[f"{k}{a}" for k, a, _ in LAYERS])
def test_layers_take_pytorch_positional_arguments(kind, args, size, torch):
    torch_layer = getattr(torch.nn, kind)(*args)
    layer = {"Conv2d": Conv2d, "ConvTranspose2d": ConvTranspose2d}[kind](*args, dtype="float64")
    assert repr(layer) == repr(torch_layer)
    assert layer.weight.shape == tuple(torch_layer.weight.shape)
    assert (layer.bias is None) == (torch_layer.bias is None)
    for name, parameter in torch_layer.named_parameters():
        getattr(layer, name).data = parameter.detach().numpy().copy()
    x_host = np.random.default_rng(3).standard_normal((2, args[0], size, size))
    x, torch_x = mg.tensor(x_host, requires_grad=True), torch.tensor(x_host, requires_grad=True)
    out, expected = layer(x), torch_layer(torch_x)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(layer.weight.grad.numpy(), torch_layer.weight.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_default_initialisation_with_groups_follows_pytorch():
    """fan_in reads the grouped weight's axis 1: in/groups*kh*kw for Conv2d, out/groups*kh*kw for ConvTranspose2d."""
    mg.manual_seed(0)
    for layer, fan_in in ((Conv2d(16, 32, 3, groups=4), 4 * 9), (ConvTranspose2d(16, 32, 3, groups=4), 8 * 9)):
        bound = 1 / math.sqrt(fan_in)
        weight = layer.weight.numpy()
        assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
        assert np.abs(layer.bias.numpy()).max() <= bound
    assert Conv2d(16, 32, 3, groups=4).weight.shape == (32, 4, 3, 3)
    assert ConvTranspose2d(16, 32, 3, groups=4).weight.shape == (16, 8, 3, 3)


def test_errors_for_groups_dilation_and_sizes():
    x = mg.randn(2, 4, 6, 6)
    with pytest.raises(ValueError, match="in_channels=3 must be divisible by groups=2"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels=3 must be divisible by groups=2"):
        ConvTranspose2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive int, got groups=0"):
        Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match=r"weight of shape \(3, 2, 3, 3\): axis 0 must be divisible by groups=2"):
        conv2d(x, mg.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"input has 4 channels.*with groups=2 expects 6"):
        conv2d(x, mg.randn(4, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"weight of shape \(4, 1, 3, 3\): axis 0 must be divisible by groups=3"):
        conv_transpose2d(x, mg.randn(4, 1, 3, 3), groups=3)
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\)"):
        conv_transpose2d(x, mg.randn(4, 3, 3, 3), mg.randn(3), groups=2)
    with pytest.raises(ValueError, match=r"dilation must be >= 1, got \(1, 0\)"):
        conv2d(x, mg.randn(4, 4, 3, 3), dilation=(1, 0))
    with pytest.raises(ValueError, match="dilation must be >= 1, got 0"):
        ConvTranspose2d(4, 4, 3, dilation=0)
    with pytest.raises(ValueError, match=r"output size \(0, 0\) is not positive.*dilation \(3, 3\)"):
        conv2d(x, mg.randn(4, 4, 3, 3), dilation=3)  # a dilated 3x3 kernel spans 7 > 6 pixels
    with pytest.raises(ValueError, match=r"output size \(-1, -1\) is not positive"):
        conv_transpose2d(mg.randn(1, 4, 1, 1), mg.randn(4, 1, 1, 1), padding=1)
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride \(1, 1\) or dilation"):
        conv_transpose2d(x, mg.randn(4, 1, 3, 3), output_padding=2, dilation=2)
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not implemented"):
        Conv2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of .* got 'mirror'"):
        ConvTranspose2d(4, 4, 3, padding_mode="mirror")
