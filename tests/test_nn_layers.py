"""Layers and their functional ops: gradient checks in float64 and parity with PyTorch.

Parity tests build the PyTorch layer first, copy its state dict into the minigen layer,
and compare the output and every gradient (input and parameters) in float64.
"""

import numpy as np
import pytest

import minigen as mg
import minigen.nn as nn
import minigen.nn.functional as F
from minigen.ops.dropout import Dropout as DropoutOp

RNG = np.random.default_rng(0)


def randn(*shape, requires_grad=True, device="cpu"):
    return mg.tensor(RNG.standard_normal(shape), requires_grad=requires_grad, dtype="float64", device=device)


def assert_close(actual, expected, atol=1e-10):
    expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
    np.testing.assert_allclose(mg.backend.to_numpy(getattr(actual, "data", actual)), expected, rtol=1e-9, atol=atol)


def check_parity(torch, torch_layer, layer, input_shape, device="cpu", load=True):
    """Same output, input gradient and parameter gradients as ``torch_layer`` (float64)."""
    layer.double().to(device)
    if load:
        layer.load_state_dict(torch_layer.state_dict())
    x_np = RNG.standard_normal(input_shape)
    x_t = torch.tensor(x_np, requires_grad=True)
    y_t = torch_layer(x_t)
    upstream = RNG.standard_normal(tuple(y_t.shape))
    y_t.backward(torch.tensor(upstream))
    x = mg.tensor(x_np, requires_grad=True, device=device)
    y = layer(x)
    y.backward(mg.tensor(upstream, device=device))
    assert_close(y, y_t)
    assert_close(x.grad, x_t.grad)
    torch_params = dict(torch_layer.named_parameters())
    names = [name for name, _ in layer.named_parameters()]
    assert names == list(torch_params)
    for name, param in layer.named_parameters():
        assert_close(param.grad, torch_params[name].grad)
    for name, buffer in layer.named_buffers():
        assert_close(buffer, dict(torch_layer.named_buffers())[name])
    return layer


# ----------------------------------------------------------------- gradchecks
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias, device):
    x, w = randn(*shape, device=device), randn(5, 3, device=device)
    b = randn(5, device=device) if bias else None
    mg.gradcheck(lambda x, w, b: F.linear(x, w, b), x, w, b)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, training, device):
    x = randn(*shape, device=device)
    weight, bias = randn(shape[1], device=device), randn(shape[1], device=device)
    mean = randn(shape[1], requires_grad=False, device=device)
    var = mg.tensor(RNG.uniform(0.5, 2.0, shape[1]), dtype="float64", device=device)
    mg.gradcheck(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=training), x, weight, bias)


def test_batch_norm_gradcheck_without_affine_parameters(device):
    x = randn(5, 3, 2, device=device)
    mg.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), x)


def test_dropout_op_gradcheck(device):
    x = randn(4, 5, device=device)
    mask = mg.backend.to_device((RNG.random((4, 5)) > 0.5) * 2.0, device)
    mg.gradcheck(lambda x: DropoutOp(mask)(x), x)


# ---------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(torch, bias, device):
    check_parity(torch, torch.nn.Linear(5, 3, bias=bias), nn.Linear(5, 3, bias=bias), (4, 5), device)


def test_linear_on_3d_input_matches_torch(torch):
    check_parity(torch, torch.nn.Linear(5, 3), nn.Linear(5, 3), (2, 4, 5))


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda t: t.ReLU(), (3, 4)),
        (lambda t: t.LeakyReLU(), (3, 4)),
        (lambda t: t.LeakyReLU(0.2), (3, 4)),
        (lambda t: t.Tanh(), (3, 4)),
        (lambda t: t.Sigmoid(), (3, 4)),
        (lambda t: t.Flatten(), (2, 3, 4, 5)),
        (lambda t: t.Flatten(0, 2), (2, 3, 4, 5)),
        (lambda t: t.Unflatten(1, (2, 3)), (4, 6, 2)),
        (lambda t: t.Unflatten(-1, (-1, 2)), (4, 6)),
        (lambda t: t.Identity(), (3, 4)),
        (lambda t: t.Upsample(scale_factor=2), (2, 3, 4, 5)),
        (lambda t: t.Upsample(size=(5, 7)), (2, 3, 3, 4)),
        (lambda t: t.Upsample(scale_factor=(1.5, 2), mode="nearest-exact"), (1, 2, 4, 3)),
        (lambda t: t.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
        (lambda t: t.Upsample(size=(7, 3), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
        (lambda t: t.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 4)),
        (lambda t: t.UpsamplingNearest2d(size=(6, 5)), (1, 2, 3, 4)),
        (lambda t: t.Dropout2d(0.5).eval(), (2, 3, 4, 5)),
    ],
)
def test_parameter_free_layers_match_torch(torch, make, shape):
    check_parity(torch, make(torch.nn), make(nn), shape)


@pytest.mark.parametrize(
    "make",
    [
        lambda t: t.Sequential(t.Linear(4, 3), t.ReLU(True)),  # PyTorch's positional inplace
        lambda t: t.Sequential(t.Linear(4, 3), t.LeakyReLU(0.2, True)),
        lambda t: t.Sequential(t.Linear(4, 3), t.LeakyReLU(0.2, inplace=True)),
    ],
)
def test_inplace_activations_match_torch(torch, make):
    check_parity(torch, make(torch.nn), make(nn), (5, 4))


def test_layer_reprs_match_torch(torch):
    for make in [
        lambda t: t.Linear(784, 512),
        lambda t: t.Linear(3, 2, bias=False),
        lambda t: t.BatchNorm1d(16),
        lambda t: t.BatchNorm2d(8, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
        lambda t: t.ReLU(),
        lambda t: t.LeakyReLU(0.2, inplace=True),
        lambda t: t.Tanh(),
        lambda t: t.Sigmoid(),
        lambda t: t.Dropout(0.3),
        lambda t: t.Flatten(),
        lambda t: t.Unflatten(1, (1, 28, 28)),
        lambda t: t.Identity(),
        lambda t: t.BatchNorm1d(4, bias=False),
        lambda t: t.ReLU(True),
        lambda t: t.LeakyReLU(0.1, True),
        lambda t: t.Dropout2d(),
        lambda t: t.Dropout2d(0.2, inplace=True),
        lambda t: t.Upsample(scale_factor=2),
        lambda t: t.Upsample(scale_factor=(2, 3), mode="bilinear"),
        lambda t: t.Upsample(size=(4, 5), mode="bilinear", align_corners=True),
        lambda t: t.Upsample(size=7),
        lambda t: t.UpsamplingBilinear2d(scale_factor=2),
        lambda t: t.UpsamplingNearest2d(size=(3, 4)),
    ]:
        expected = repr(make(torch.nn))
        ours = repr(make(nn))
        if "BatchNorm" in expected and "bias=" not in expected:  # PyTorch before 2.6 does not show it
            ours = ours.replace(", bias=True", "")
        assert ours == expected


def batch_norm_pair(torch, kind, **options):
    layer_t = getattr(torch.nn, kind)(3, **options)
    if layer_t.affine:
        with torch.no_grad():  # away from the 1/0 defaults, so a swapped scale and shift would show
            layer_t.weight.uniform_(0.5, 1.5)
            layer_t.bias.uniform_(-0.5, 0.5)
    layer = getattr(nn, kind)(3, **options).double()
    return layer_t, layer


@pytest.mark.parametrize(
    "kind, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 2))]
)
@pytest.mark.parametrize(
    "options",
    [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}, {"eps": 1e-2, "momentum": 0.3}],
)
def test_batch_norm_matches_torch_over_three_steps_then_eval(torch, kind, shape, options, device):
    layer_t, layer = batch_norm_pair(torch, kind, **options)
    layer.load_state_dict(layer_t.state_dict())
    for _ in range(3):  # each step: same output and gradients, same running statistics afterwards
        layer_t.zero_grad()
        layer.zero_grad()
        check_parity(torch, layer_t, layer, shape, device, load=False)
    layer_t.eval()
    layer.eval()
    x = RNG.standard_normal(shape)
    assert_close(layer(mg.tensor(x, device=device)), layer_t(torch.tensor(x)))
    if layer.track_running_stats:
        assert int(layer.num_batches_tracked.item()) == 3
        assert layer.num_batches_tracked.dtype == np.int64


def test_batch_norm_eval_mode_gradients_match_torch(torch, device):
    layer_t, layer = batch_norm_pair(torch, "BatchNorm2d")
    layer_t.train()(torch.randn(4, 3, 2, 2))  # non-trivial running statistics
    layer_t.eval()
    layer.eval()
    check_parity(torch, layer_t, layer, (2, 3, 2, 2), device)


def test_batch_norm_running_var_uses_the_unbiased_variance():
    x = RNG.standard_normal((5, 2))
    layer = nn.BatchNorm1d(2, momentum=1.0).double()
    layer(mg.tensor(x))
    np.testing.assert_allclose(layer.running_var.numpy(), x.var(axis=0, ddof=1))
    np.testing.assert_allclose(layer.running_mean.numpy(), x.mean(axis=0))


def test_batch_norm_rejects_wrong_inputs():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.tensor(np.ones((1, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input, got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(mg.tensor(np.ones((2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match="3 channels"):
        nn.BatchNorm1d(4)(mg.tensor(np.ones((2, 3), dtype=np.float32)))


def test_batch_norm_keeps_float32_and_device(device):
    layer = nn.BatchNorm2d(3).to(device)
    x = mg.randn(4, 3, 2, 2, device=device, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32 and y.device == device
    assert layer.running_mean.dtype == np.float32 and layer.running_mean.device == device
    assert x.grad.dtype == np.float32 and layer.weight.grad.dtype == np.float32


# ----------------------------------------------------------------------- dropout
def test_dropout_drops_a_fraction_p_and_rescales(device):
    mg.manual_seed(0)
    layer = nn.Dropout(0.3)
    x = mg.tensor(np.ones((200, 100), dtype=np.float32), device=device, requires_grad=True)
    y = layer(x)
    values = y.numpy()
    assert y.dtype == np.float32 and y.device == device
    assert abs((values == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(values[values != 0], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # dy/dx is the mask itself


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero(device):
    x = mg.randn(3, 4, device=device)
    assert nn.Dropout(0.5).eval()(x) is x
    assert F.dropout(x, p=0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert not F.dropout(x, p=1.0).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_masks_repeat_with_the_seed():
    x = mg.tensor(np.ones((10, 10), dtype=np.float32))
    mg.manual_seed(3)
    first = F.dropout(x).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x).numpy(), first)


def test_functional_reexports_the_core_functions():
    for name in ("relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "linear", "batch_norm", "dropout"):
        assert callable(getattr(F, name))


# ----------------------------------------------------------------- channel dropout
@pytest.mark.parametrize("drop", [lambda x, p: nn.Dropout2d(p)(x), lambda x, p: F.dropout2d(x, p)], ids=["nn", "F"])
@pytest.mark.parametrize("p", [0.25, 0.6])
def test_dropout2d_zeroes_whole_channels_and_rescales(device, drop, p):
    mg.manual_seed(1)
    x = mg.tensor(RNG.uniform(0.5, 1.5, (64, 32, 3, 4)).astype(np.float32), device=device, requires_grad=True)
    y = drop(x, p)
    assert y.dtype == np.float32 and y.device == device and y.shape == x.shape
    values, inputs = y.numpy().reshape(64, 32, 12), x.numpy().reshape(64, 32, 12)
    kept = (values != 0).any(axis=2)  # per (sample, channel)
    assert not values[~kept].any()  # a dropped channel is zero throughout
    np.testing.assert_allclose(values[kept], inputs[kept] / (1 - p), rtol=1e-6)  # a kept one is scaled throughout
    assert abs((~kept).mean() - p) < 0.03  # 2048 channels: the fraction dropped is p within ~3 sigma
    assert 0 < kept[:, 0].sum() < 64 and 0 < kept[0].sum() < 32  # a mask per sample and per channel
    y.backward(mg.tensor(np.ones(y.shape, dtype=np.float32), device=device))
    mask = np.where(kept[:, :, None], 1 / (1 - p), 0.0) * np.ones(12)
    np.testing.assert_allclose(x.grad.numpy().reshape(64, 32, 12), mask, rtol=1e-6)  # dy/dx is the mask


def test_dropout2d_eval_mode_and_edge_probabilities(device):
    x = mg.randn(2, 3, 4, 4, device=device)
    assert nn.Dropout2d(0.5).eval()(x) is x
    assert F.dropout2d(x, 0.5, training=False) is x
    assert F.dropout2d(x, 0.0) is x
    assert not F.dropout2d(x, 1.0).numpy().any()
    layer = nn.Dropout2d(0.3)
    assert layer.training and layer.p == 0.3 and not list(layer.parameters())
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        F.dropout2d(x, -0.1)


def test_dropout2d_reads_3d_input_as_n_c_l_with_a_warning():
    x = mg.tensor(np.ones((40, 50, 6), dtype=np.float32))
    mg.manual_seed(2)
    with pytest.warns(UserWarning, match=r"interpreted as shape \(N, C, L\)"):
        y = nn.Dropout2d(0.5)(x).numpy()
    assert ((y == 0).all(axis=2) | (y == 2).all(axis=2)).all()  # whole (n, c) rows dropped or doubled
    with pytest.raises(ValueError, match="dropout2d: input must be"):
        F.dropout2d(mg.tensor(np.ones(5, dtype=np.float32)), 0.5)


def test_upsample_checks_its_settings_when_called():
    x = mg.randn(1, 1, 2, 2)
    assert nn.Upsample(scale_factor=2)(x).shape == (1, 1, 4, 4)
    assert nn.Upsample(size=3, mode="bilinear")(x).shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        nn.Upsample()(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        nn.Upsample(size=4, scale_factor=2)(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        nn.Upsample(scale_factor=2, align_corners=True)(x)
    with pytest.raises(ValueError, match="must be 4-D"):
        nn.Upsample(scale_factor=2)(mg.randn(2, 3))
