"""max_pool2d and avg_pool2d: float64 gradient checks over a grid of configurations, PyTorch parity
for the functions and the MaxPool2d / AvgPool2d layers, and errors."""

import functools
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


def _assert_same_as_torch(torch, out, expected, x, torch_x, rng, device, name):
    """The same output as PyTorch's, and the same input gradient for one random upstream gradient."""
    assert out.shape == tuple(expected.shape), name
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=name)
    g = rng.standard_normal(out.shape)
    out.backward(backend.to_device(g, device))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


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
            _assert_same_as_torch(torch, out, expected, x, torch_x, rng, device, _name(case))


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
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert list(MaxPool2d(2).parameters()) == []


def test_errors_name_what_is_wrong():
    x = mg.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"):
        max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) with dilation \(1, 1\) is larger than the padded"):
        avg_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"must be 4-D.*\(3, 4, 4\)"):
        max_pool2d(mg.randn(3, 4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        avg_pool2d(x, 0)
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        max_pool2d(x, 2, dilation=0)
    with pytest.raises(ValueError, match="divisor_override must be a non-zero int or None, got 0"):
        avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(NotImplementedError, match="return_indices=True is not implemented"):
        max_pool2d(x, 2, return_indices=True)
    with pytest.raises(NotImplementedError, match="return_indices=True is not implemented"):
        MaxPool2d(2, return_indices=True)


# ceil_mode, count_include_pad and max pooling's dilation:
# (batch, channels, height, width, kernel, stride, padding, dilation, ceil_mode, count_include_pad),
# odd and even sizes, strides that do not divide the input (where ceil_mode adds a window), padding up to
# half the kernel. Max pooling ignores count_include_pad; average pooling takes no dilation (1 here).
_MODES_GRID = [
    (n, c, h, w, k, s, p, d, ceil, include)
    for n, c, h, w, k, s, p, d, ceil, include in itertools.product(
        (1, 2), (1, 3), (5, 6, 7), (4, 7), (2, 3, (3, 2)), (None, 2, 3, (2, 1)), (0, 1), (1, 2), (False, True),
        (False, True)
    )
    if 2 * p <= min((k, k) if isinstance(k, int) else k)
]  # fmt: skip


def _fits(case):
    """torch accepts the case (a window fits): checked against its own size rule, not ours."""
    n, c, h, w, k, s, p, d, ceil, _ = case
    return all(size + 2 * p - d * (k_ - 1) - 1 >= 0 for size, k_ in zip((h, w), (k, k) if isinstance(k, int) else k))


def _ceil_may_add_a_window(case):
    """ceil_mode with a stride that does not divide the span the windows slide over (along H or W)."""
    n, c, h, w, k, s, p, d, ceil, _ = case
    kernels = (k, k) if isinstance(k, int) else k
    strides = kernels if s is None else (s, s) if isinstance(s, int) else s
    return ceil and any((size + 2 * p - d * (k_ - 1) - 1) % s_ for size, k_, s_ in zip((h, w), kernels, strides))


_fitting = [c for c in _MODES_GRID if _fits(c)]
_MODES_SAMPLE = [  # interleaved, so that every prefix has both
    case
    for pair in zip(
        random.Random(1).sample([c for c in _fitting if _ceil_may_add_a_window(c)], 20),
        random.Random(2).sample([c for c in _fitting if not _ceil_may_add_a_window(c)], 20),
    )
    for case in pair
]
MODE_CASES = {
    "max": [c for c in _MODES_SAMPLE if not c[9]][:14] + [(1, 2, 5, 7, 3, 2, 1, 2, True, False)],
    "avg": [c[:7] + (1,) + c[8:] for c in _MODES_SAMPLE][:18] + [(2, 1, 5, 5, 2, 2, 1, 1, True, False)],
}


def _modes_name(case):
    return "n{}-c{}-{}x{}-k{}-s{}-p{}-d{}-ceil{}-include{}".format(*case).replace(" ", "")


def _pool_with_modes(kind, case):
    """The minigen function (positional arguments in PyTorch's order), its layer, and torch's keywords."""
    k, s, p, d, ceil, include = case[4:]
    if kind == "max":
        options = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
        return (lambda t: max_pool2d(t, k, s, p, d, ceil)), MaxPool2d(k, s, p, d, False, ceil), options
    options = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=include)
    return (lambda t: avg_pool2d(t, k, s, p, ceil, include)), AvgPool2d(k, s, p, ceil, include), options


@pytest.mark.parametrize("kind", POOLS)
def test_ceil_mode_count_include_pad_and_dilation_gradcheck(kind, device):
    rng = np.random.default_rng(2)
    for case in MODE_CASES[kind]:
        fn, _, _ = _pool_with_modes(kind, case)
        try:
            mg.gradcheck(fn, _input(case, device, rng), max_elements=60)
        except mg.GradcheckError as error:
            raise AssertionError(f"{_modes_name(case)}: {error}") from None


@pytest.mark.parametrize("kind", POOLS)
def test_ceil_mode_count_include_pad_and_dilation_match_torch(kind, device, torch):
    rng = np.random.default_rng(3)
    added_a_window = 0
    for case in MODE_CASES[kind]:
        fn, layer, options = _pool_with_modes(kind, case)
        torch_fn = functools.partial(getattr(torch.nn.functional, f"{kind}_pool2d"), **options)
        torch_layer = getattr(torch.nn, f"{kind.capitalize()}Pool2d")(**options)
        assert repr(layer) == repr(torch_layer)
        for apply, torch_apply in ((fn, torch_fn), (layer, torch_layer)):
            x = _input(case, device, rng)
            torch_x = torch.tensor(x.numpy(), requires_grad=True)
            out, expected = apply(x), torch_apply(torch_x)
            _assert_same_as_torch(torch, out, expected, x, torch_x, rng, device, _modes_name(case))
        added_a_window += torch_fn(torch_x, ceil_mode=False).shape != expected.shape
    assert added_a_window >= 3  # the sample really exercises ceil_mode's extra windows


def test_ceil_mode_keeps_a_window_only_if_it_starts_inside_the_input_or_left_padding(torch):
    """Size 5, kernel 2, stride 2, padding 1: the 4th window would start at 5 (in the right padding)."""
    x = mg.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    assert max_pool2d(x, 2, 2, 1, ceil_mode=True).shape == (1, 1, 3, 3)
    assert tuple(torch.nn.functional.max_pool2d(torch.tensor(x.numpy()), 2, 2, 1, ceil_mode=True).shape) == (
        1, 1, 3, 3,
    )  # fmt: skip
    assert avg_pool2d(x, 2, 2, 0, ceil_mode=True).shape == (1, 1, 3, 3)  # window 3 starts at 4, inside
    # an overhanging window averages only what it covers when padding is not counted: here 1 pixel
    np.testing.assert_allclose(avg_pool2d(x, 2, 2, 0, True, False).numpy()[0, 0, 2, 2], 24.0)


def test_divisor_override_matches_torch(torch):
    x_host = np.random.default_rng(4).standard_normal((2, 3, 7, 6))
    x, torch_x = mg.tensor(x_host, requires_grad=True), torch.tensor(x_host, requires_grad=True)
    out = avg_pool2d(x, 3, 2, 1, True, False, 5)
    expected = torch.nn.functional.avg_pool2d(torch_x, 3, 2, 1, True, False, 5)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-12)
