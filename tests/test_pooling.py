"""max_pool2d and avg_pool2d: float64 gradient checks over a grid of configurations, PyTorch parity
for the functions and the MaxPool2d / AvgPool2d layers, and errors."""

import itertools
import random

import numpy as np
import pytest

import minigen as mg
from minigen import backend
from minigen.nn.pooling import AvgPool2d, MaxPool2d
from minigen.ops.pooling import avg_pool2d, max_pool2d

POOLS = {"max": (max_pool2d, MaxPool2d), "avg": (avg_pool2d, AvgPool2d)}

# (batch, channels, height, width, kernel, stride, padding): kernel 1..5 (and non-square), stride 1..3
# (None: PyTorch's default, the kernel size), padding 0..2 (at most half the kernel, as PyTorch requires).
_GRID = [
    (n, c, h, w, k, s, p)
    for n, c, h, w, k, s, p in itertools.product(
        (1, 3), (1, 2), (4, 5, 7), (5, 6), (1, 2, 3, 4, 5, (2, 3)), (None, 1, 2, 3), (0, 1, 2)
    )
    if 2 * p <= min((k, k) if isinstance(k, int) else k) and min(h, w) + 2 * p >= (k if isinstance(k, int) else max(k))
]
CASES = random.Random(0).sample(_GRID, 30) + [
    (2, 3, 6, 7, (2, 3), (1, 2), (1, 1)),  # non-square kernel, stride and padding
    (1, 1, 1, 1, 1, 1, 0),  # a 1x1 input
    (2, 2, 7, 7, 3, 1, 1),  # overlapping windows
    (2, 2, 7, 5, 2, 3, 0),  # a stride larger than the kernel, not dividing the input
]


def _name(case):
    return "n{}-c{}-{}x{}-k{}-s{}-p{}".format(*case).replace(" ", "")


def _input(case, device, rng):
    """Distinct values at least 0.01 apart: no ties in a window, so max pooling is differentiable there."""
    n, c, h, w = case[:4]
    values = rng.permutation(n * c * h * w).reshape(n, c, h, w) * 0.01 + rng.uniform(0, 0.001, (n, c, h, w))
    return mg.Tensor(backend.to_device(values, device), requires_grad=True)


@pytest.mark.parametrize("kind", POOLS)
def test_gradcheck_over_the_grid(kind, device):
    rng = np.random.default_rng(0)
    pool = POOLS[kind][0]
    for case in CASES:
        x = _input(case, device, rng)
        k, s, p = case[4:]
        try:
            mg.gradcheck(lambda t, k=k, s=s, p=p: pool(t, k, s, p), x, max_elements=60)
        except mg.GradcheckError as error:
            raise AssertionError(f"{_name(case)}: {error}") from None


@pytest.mark.parametrize("kind", POOLS)
def test_function_and_layer_match_torch(kind, device, torch):
    rng = np.random.default_rng(1)
    pool, layer_class = POOLS[kind]
    torch_pool = getattr(torch.nn.functional, f"{kind}_pool2d")
    torch_layer_class = getattr(torch.nn, f"{kind.capitalize()}Pool2d")
    for case in CASES:
        k, s, p = case[4:]
        for use_layer in (False, True):
            x = _input(case, device, rng)
            torch_x = torch.tensor(x.numpy(), requires_grad=True)
            if use_layer:
                out, expected = layer_class(k, s, p)(x), torch_layer_class(k, s, p)(torch_x)
            else:
                out, expected = pool(x, k, s, p), torch_pool(torch_x, k, s, p)
            assert out.shape == tuple(expected.shape), _name(case)
            np.testing.assert_allclose(
                out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=_name(case)
            )
            g = rng.standard_normal(out.shape)
            out.backward(backend.to_device(g, device))
            expected.backward(torch.tensor(g))
            np.testing.assert_allclose(
                x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=_name(case)
            )


def test_overlapping_max_windows_add_their_gradients():
    """A pixel that is the maximum of several windows receives the sum of their gradients."""
    x = mg.tensor(np.array([[[[0.0, 0.1, 0.0], [0.2, 9.0, 0.3], [0.0, 0.4, 0.0]]]]), requires_grad=True)
    max_pool2d(x, 2, stride=1).sum().backward()  # the 9 is the maximum of all four 2x2 windows
    expected = np.zeros((3, 3))
    expected[1, 1] = 4.0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_padding_never_wins_a_max_and_counts_as_zero_in_a_mean():
    x = mg.tensor(-np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(max_pool2d(x, 2, 1, 1).numpy(), -np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(avg_pool2d(x, 2, 1, 1).numpy()[0, 0, 0, 0], -0.25)


def test_float32_stays_float32_and_layers_follow_pytorch():
    x = mg.randn(2, 3, 8, 8)
    x.requires_grad = True
    y = avg_pool2d(max_pool2d(x, 2), 3, 1, 1)
    assert y.dtype == np.float32 and y.shape == (2, 3, 4, 4)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert list(MaxPool2d(2).parameters()) == []


def test_errors_name_what_is_wrong():
    x = mg.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"):
        max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) is larger than the padded input"):
        avg_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"must be 4-D.*\(3, 4, 4\)"):
        max_pool2d(mg.randn(3, 4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        avg_pool2d(x, 0)
