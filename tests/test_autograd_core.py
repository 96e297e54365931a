"""The autograd engine itself: graph walking, accumulation, no_grad, dtypes, devices."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import minigen as mg
from minigen.tensor import Function


def test_reused_node_gets_the_sum_of_its_gradients():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = a + a
    c = b + b  # c = 4a
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])


def test_backward_walks_a_10000_deep_chain_without_recursion():
    x = mg.tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)


def test_gradients_accumulate_across_backward_calls():
    x = mg.tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert x.grad.numpy()[0] == pytest.approx(12.0)


def test_no_grad_builds_no_graph():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf


def test_backward_needs_a_scalar_or_an_explicit_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    y.backward(np.array([1.0, 10.0], dtype=np.float32))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_python_scalars_keep_float32():
    x = mg.tensor([1.0, 2.0])
    assert x.dtype == np.float32
    for y in (x * 0.5, 0.5 * x, x + 1, 2 - x, x / 3, x**2, 2.0**x, x * np.float64(2.0), x * np.array(2.0)):
        assert y.dtype == np.float32


def test_float64_on_request():
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64
    assert mg.tensor(np.zeros(2)).dtype == np.float64  # arrays keep their dtype, as torch.tensor does


def test_numpy_array_on_the_left_defers_to_the_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, mg.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_comparisons_give_boolean_tensors_without_gradient():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.numpy(), [False, True, True])


def test_finished_graphs_are_freed_without_the_garbage_collector():
    """No reference cycle: a graph dies as soon as its loss is dropped, even with gc off."""
    w = mg.tensor(np.ones((4, 4)), requires_grad=True)
    gc.disable()
    try:
        loss = (mg.functional.tanh(mg.tensor(np.ones((2, 4))) @ w) ** 2).mean()
        loss.backward()
        creator = weakref.ref(loss._creator)
        del loss
        assert creator() is None, "the graph outlived its loss: a reference cycle keeps it alive"
    finally:
        gc.enable()


def test_backward_frees_what_forward_saved_unless_retain_graph():
    """As in PyTorch: each function drops its saved arrays once its backward ran; a second walk is refused."""
    a = mg.tensor(np.ones(1000), requires_grad=True)
    loss = a.exp().sum()
    saved = weakref.ref(loss._creator.inputs[0].data)  # exp's output: Exp keeps it for its backward
    gc.collect()
    assert saved() is not None
    loss.backward()
    gc.collect()
    assert saved() is None, "backward kept the intermediate array alive"
    np.testing.assert_allclose(a.grad.numpy(), np.e)
    with pytest.raises(RuntimeError, match=r"freed by an earlier backward\(\).*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 8.0])  # 2a, twice
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_forward_saves_only_what_the_wanted_gradients_need():
    """A convolution whose weight is frozen (a GAN's discriminator during the generator's step) keeps no input."""
    x = mg.randn(2, 3, 8, 8, requires_grad=True)
    weight = mg.randn(4, 3, 3, 3)
    out = mg.nn.functional.conv2d(x, weight, padding=1)
    assert out._creator.x is None
    learnt = mg.nn.functional.conv2d(x, mg.tensor(weight.numpy(), requires_grad=True), padding=1)
    assert learnt._creator.x is not None
    out.sum().backward()
    frozen_grad = x.grad.numpy().copy()
    x.grad = None
    learnt.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), frozen_grad)


def test_memory_stays_flat_over_10000_training_steps():
    w = mg.tensor(np.random.default_rng(0).standard_normal((16, 16)), requires_grad=True, dtype="float32")
    x = mg.tensor(np.ones((4, 16), dtype=np.float32))

    def step():
        loss = (mg.functional.tanh(x @ w) ** 2).mean()
        loss.backward()
        w.grad = None
        return loss.item()

    for _ in range(100):
        step()
    gc.collect()
    gc.disable()  # a cycle would now leak instead of being collected later
    tracemalloc.start()
    try:
        for _ in range(2_000):
            step()
        middle, _ = tracemalloc.get_traced_memory()
        for _ in range(8_000):
            step()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert end - middle < 100_000, f"memory grew by {end - middle} bytes over 8,000 steps"


def test_a_backward_returning_none_for_an_input_leaves_it_without_gradient():
    class HalfBlind(Function):
        """y = a * b, but reports no gradient for b."""

        def forward(self, a, b):
            self.b = b
            return a * b

        def backward(self, grad):
            return grad * self.b, None

    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    c = b * 2  # b's gradient path through c is cut by HalfBlind
    HalfBlind()(a, c).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 8.0])
    assert b.grad is None and c.grad is None


def test_backward_casts_the_upstream_gradient_to_the_tensor_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    (x * 3).backward(mg.tensor([1.0, 1.0]))  # a float32 gradient
    assert x.grad.dtype == np.float64


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.tensor([1.0], device="tpu")
