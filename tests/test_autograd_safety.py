"""The engine refuses to give a silently wrong answer: owned leaf gradients, a version counter for in-place
changes, PyTorch's dtype promotion for integer inputs, and clear errors for bad constructor arguments."""

from __future__ import annotations

import numpy as np
import pytest

import minigen as mg
import minigen.nn as nn


# ------------------------------------------------------------------ leaf gradients own their memory
def test_leaf_gradients_do_not_alias_and_are_writable():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # both gradients come from one broadcast of the same upstream array
    assert a.grad.data is not b.grad.data and not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[...] = 7.0
    assert b.grad.numpy().tolist() == [1.0, 1.0]


def test_gradient_of_a_sum_is_not_a_read_only_broadcast_view():
    weight = mg.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    weight.sum().backward()  # Sum's backward broadcasts dL/dy: a read-only view with zero strides
    assert weight.grad.data.flags.writeable and weight.grad.data.flags.c_contiguous


def test_zero_grad_without_set_to_none_zeroes_in_place():
    model = nn.Linear(3, 2)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    (model.weight.sum() + model.bias.mean()).backward()  # each gradient a read-only broadcast view, before the fix
    bias_grad = model.bias.grad
    optimizer.zero_grad(set_to_none=False)  # crashed: the bias gradient was a read-only broadcast view
    assert bias_grad is model.bias.grad and not model.bias.grad.numpy().any() and not model.weight.grad.numpy().any()


def test_user_gradient_passed_to_backward_is_not_aliased():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, 1.0], np.float32)
    (w * 1).backward(upstream)
    upstream[0] = 100.0
    assert w.grad.numpy().tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ version counter
def test_optimizer_step_between_forward_and_backward_is_refused():
    model = nn.Linear(2, 1)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    loss = model(mg.tensor([[1.0, 2.0]])).sum()
    model(mg.tensor([[1.0, 2.0]])).sum().backward()
    optimizer.step()  # changes the weight that `loss`'s graph saved
    with pytest.raises(RuntimeError, match=r"input 1 of Linear .* changed in place .*version 2, was 1"):
        loss.backward()


def test_in_place_change_of_a_saved_input_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0])
    y = (w * x).sum()  # Mul saves x to compute dL/dw
    x.mul_(0)
    with pytest.raises(RuntimeError, match=r"input 1 of Mul .*shape \(2,\)"):
        y.backward()


def test_in_place_change_after_backward_is_fine_and_training_steps_work():
    model = nn.Linear(2, 1)
    optimizer = mg.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(3):  # the usual loop never trips the counter
        optimizer.zero_grad()
        model(mg.tensor([[1.0, 2.0]])).sum().backward()
        optimizer.step()
    assert model.weight._version == 3 + 1  # initialisation wrote it once


def test_init_and_load_state_dict_bump_the_version():
    layer = nn.Linear(2, 2)
    before = layer.weight._version
    nn.init.zeros_(layer.weight)
    assert layer.weight._version == before + 1
    loss = layer(mg.tensor([[1.0, 1.0]])).sum()
    nn.init.ones_(layer.weight)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    loss = layer(mg.tensor([[1.0, 1.0]])).sum()
    layer.load_state_dict(nn.Linear(2, 2).state_dict())
    with pytest.raises(RuntimeError, match="input 1 of Linear .* changed in place"):
        loss.backward()


def test_changing_an_input_whose_value_backward_never_reads_is_allowed(torch):
    """As in PyTorch: Sub keeps no input, so changing c after (x - c) leaves the gradient right."""
    x, c = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([0.5, 0.5])
    loss = ((x - c) ** 2).sum()  # Pow saves x - c, which does not change
    with mg.no_grad():
        c.copy_([5.0, 5.0])
    loss.backward()
    assert x.grad.numpy().tolist() == [1.0, 3.0]  # 2 (x - c) with the c of the forward pass


def test_in_place_methods_refuse_a_tensor_in_the_graph_outside_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: an in-place change of a tensor that requires grad"):
        w.add_(1.0)
    with mg.no_grad():
        w.add_(mg.tensor([1.0, 1.0]), alpha=2.0).mul_(0.5)
    assert w.numpy().tolist() == [1.5, 2.0] and w._version == 2
    w.detach().zero_()  # detach shares memory, as in PyTorch
    assert w.numpy().tolist() == [0.0, 0.0]
    with mg.no_grad():
        w.fill_(3.0).copy_([1.0, 4.0])
    assert w.numpy().tolist() == [1.0, 4.0]


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("integer", ["int64", "int32", "uint8", "bool"])
def test_integer_batch_into_float_layers_computes_in_the_layer_dtype(integer):
    conv, linear = nn.Conv2d(1, 2, 3), nn.Linear(4, 2)
    images = mg.tensor(np.ones((2, 1, 5, 5), integer))
    assert conv(images).dtype == np.float32  # was float64: int64 with float32 promotes in NumPy
    assert linear(mg.tensor(np.ones((3, 4), integer))).dtype == np.float32
    expected = conv(mg.tensor(np.ones((2, 1, 5, 5), np.float32)))
    np.testing.assert_array_equal(conv(images).numpy(), expected.numpy())


def test_integer_tensor_with_a_python_float_is_float32():
    assert (mg.tensor([1, 2]) * 0.5).dtype == np.float32
    assert (mg.tensor([1, 2]) * 2).dtype == np.int64  # integers alone stay integers


@pytest.mark.parametrize("bad", [None, "abc", {"a": 1}, [1, None], object()])
def test_tensor_of_non_numbers_is_refused(bad):
    with pytest.raises(TypeError, match="expected numbers"):
        mg.tensor(bad)


# ------------------------------------------------------------------ layers and shapes
def test_linear_with_zero_inputs_works_as_in_pytorch(torch):
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    out = layer(mg.tensor(np.zeros((2, 0), np.float32)))
    assert out.shape == (2, 3) and not out.numpy().any()  # PyTorch: the bias bound 1/sqrt(0) is taken as 0
    assert tuple(torch.nn.Linear(0, 3).weight.shape) == layer.weight.shape


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_linear_with_a_bad_size_names_it(bad):
    with pytest.raises(ValueError, match=rf"Linear: in_features must be an int >= 0, got {bad!r}"):
        nn.Linear(bad, 3)


def test_transpose_and_permute_with_pytorch_and_numpy_spellings(torch):
    array = np.arange(24.0).reshape(2, 3, 4)
    x, t = mg.tensor(array, requires_grad=True), torch.tensor(array)
    assert x.transpose(2, 0, 1).shape == tuple(t.permute(2, 0, 1).shape)  # was a TypeError
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), t.transpose(0, 2).numpy())  # two ints swap
    np.testing.assert_array_equal(x.permute(1, 2, 0).numpy(), t.permute(1, 2, 0).numpy())
    np.testing.assert_array_equal(x.permute((1, 2, 0)).numpy(), t.permute((1, 2, 0)).numpy())
    np.testing.assert_array_equal(x.transpose((2, 1, 0)).numpy(), array.transpose(2, 1, 0))
    assert x.transpose().shape == (4, 3, 2) and x.T.shape == (4, 3, 2)
    x.transpose(2, 0, 1).sum().backward()
    assert x.grad.shape == x.shape
    assert x.flatten(np.int64(1)).shape == (2, 12) and x.transpose(np.array([2, 0, 1])).shape == (4, 2, 3)
    assert nn.Linear(np.int64(3), 2).in_features == 3  # NumPy integers are ints, as in PyTorch
    for bad in [(0, 0, 1), (0, 1), (0, 5)]:
        with pytest.raises(ValueError, match="transpose"):
            x.permute(*bad)


# ----------------------------------------------------------------------------- what a graph keeps, and for how long
def test_an_input_changed_through_a_view_after_forward_is_refused():
    """A view shares its base's version counter (as in PyTorch): conv and BatchNorm keep their input, so a change
    made through another view of the same memory must be seen, not silently give a wrong gradient."""
    weight = mg.tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    buffer = mg.tensor(np.ones(64))
    out = mg.nn.functional.conv2d(buffer.reshape(1, 1, 8, 8), weight)
    with mg.no_grad():
        buffer.mul_(2)
    with pytest.raises(RuntimeError, match="changed in place"):
        out.sum().backward()
    images = mg.tensor(np.random.default_rng(0).standard_normal((4, 3, 2, 2)))
    normed = mg.nn.functional.batch_norm(images.detach(), None, None, mg.ones(3, requires_grad=True), None, True)
    with mg.no_grad():
        images.add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        normed.sum().backward()


def test_requires_grad_switched_on_after_forward_gives_no_gradient_as_in_pytorch():
    """The graph records which inputs wanted a gradient when it was built; a weight unfrozen between forward and
    backward (D.requires_grad_(False); loss = ...; D.requires_grad_(True); loss.backward()) gets none."""
    rng = np.random.default_rng(0)
    for layer in (mg.nn.Conv2d(2, 3, 3, padding=1), mg.nn.ConvTranspose2d(2, 3, 4, 2, 1)):
        x = mg.tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True, dtype="float32")
        layer.requires_grad_(False)
        out = layer(x)
        layer.requires_grad_(True)
        out.sum().backward()
        assert layer.weight.grad is None and layer.bias.grad is None
        assert x.grad is not None and np.abs(x.grad.numpy()).sum() > 0


def test_eval_batchnorm_backward_uses_the_statistics_of_its_forward():
    layer = mg.nn.BatchNorm2d(3).eval()
    x = mg.tensor(np.random.default_rng(1).standard_normal((4, 3, 2, 2)), dtype="float32", requires_grad=True)
    weights = mg.tensor(np.arange(48, dtype=np.float32).reshape(4, 3, 2, 2))
    (layer(x) * weights).sum().backward()
    expected = x.grad.numpy().copy()
    x.grad = None
    loss = (layer(x) * weights).sum()
    layer.train()
    layer(x * 5 + 3)  # a training forward moves the running statistics in place
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


def test_leaky_relu_of_infinities_matches_pytorch_for_every_slope():
    torch = pytest.importorskip("torch")
    values = np.array([np.inf, -np.inf, 0.0, -0.0, 2.0, -2.0], dtype=np.float32)
    for slope in (0.0, 0.2, 1.0, 1.5, -0.5):
        x = mg.tensor(values, requires_grad=True)
        y = mg.nn.functional.leaky_relu(x, slope)
        y.backward(mg.ones(6))
        tx = torch.tensor(values, requires_grad=True)
        ty = torch.nn.functional.leaky_relu(tx, slope)
        ty.backward(torch.ones(6))
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy(), err_msg=f"slope {slope}")
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy(), err_msg=f"slope {slope}")
