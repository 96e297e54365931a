"""Devices: moving tensors, refusing to mix them, scalars, seeds, dtypes, and the strict device itself."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strict_device import StrictArray, strict_xp

import minigen as mg
from minigen import backend
from minigen.tensor import Function

F = mg.functional


# ------------------------------------------------------------------ moving tensors
def test_tensor_lives_on_its_device_and_numpy_returns_a_host_copy(device):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mg.tensor(values, device=device)
    assert x.device == device and x.dtype == np.float32 and x.shape == (2, 3)
    host = x.numpy()
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, values)
    assert x.to(device) is x
    back = x.to("cpu").to(device)
    assert back.device == device
    np.testing.assert_array_equal(back.numpy(), values)
    assert x[1, 2].item() == 5.0 and isinstance(x.sum().item(), float)


def test_to_is_differentiable_across_devices():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, device="strict")
    y = x.to("cpu") * mg.tensor([1.0, 10.0, 100.0])
    assert y.device == "cpu"
    y.sum().backward()
    assert x.grad.device == "strict"
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 10.0, 100.0])


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "Add"),
        (lambda a, b: a * b, "Mul"),
        (lambda a, b: a @ b, "MatMul"),
        (lambda a, b: F.concatenate([a, b]), "Concatenate"),
        (lambda a, b: F.where(a > 0, a, b), "Where"),
    ],
)
def test_mixing_devices_names_the_op_and_both_devices(op, name):
    a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device="strict")
    b = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device="cpu")
    with pytest.raises(RuntimeError, match=rf"{name}: .*strict.*cpu"):
        op(a, b)


def test_a_host_array_is_not_silently_copied_to_the_device():
    x = mg.tensor([1.0, 2.0, 3.0], device="strict")
    with pytest.raises(RuntimeError, match=r"Mul: a cpu array mixed with a tensor on strict"):
        x * np.ones(3, dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"Where: condition on cpu mixed with tensors on strict"):
        F.where(np.array([True, False, True]), x, 0.0)


def test_backward_with_a_gradient_on_another_device_is_an_error():
    x = mg.tensor([1.0, 2.0], requires_grad=True, device="strict")
    with pytest.raises(RuntimeError, match="gradient on cpu for a tensor on strict"):
        (x * 2).backward(mg.tensor([1.0, 1.0]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scalars_and_0d_arrays_take_the_tensor_dtype_and_device(device, dtype):
    x = mg.tensor([1.0, 2.0], dtype=dtype, device=device)
    zero_d_here = backend.to_device(np.array(2.0), device)
    for y in (
        x * 0.5, 0.5 * x, x + 1, 2 - x, x / 3, x**2, 2.0**x, x * np.float64(2.0), x * np.array(2.0),
        x * zero_d_here, zero_d_here - x, F.where(x > 1, x, 0.0), F.clip(x, 0.0, 1.5),
    ):  # fmt: skip
        assert y.dtype == np.dtype(dtype) and y.device == device


def test_new_tensors_never_alias_the_callers_array():
    values = np.zeros(3, dtype=np.float32)
    x = mg.tensor(values)
    values[0] = 1.0
    assert x.numpy()[0] == 0.0


# ------------------------------------------------------------- the strict device
class ExpOnTheHost(Function):
    """A deliberately wrong op: calls NumPy on its input instead of self.xp."""

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, grad):
        return grad * self.y


class AsarrayOnTheHost(Function):
    """Another classic: np.asarray on a device array (a silent GPU -> host copy with CuPy)."""

    def forward(self, x):
        return self.xp.asarray(np.asarray(x) * 2)


def test_a_hidden_host_conversion_passes_on_cpu_but_fails_on_strict():
    values = [0.5, 1.0]
    np.testing.assert_allclose(ExpOnTheHost()(mg.tensor(values)).numpy(), np.exp(values), rtol=1e-6)
    np.testing.assert_allclose(AsarrayOnTheHost()(mg.tensor(values)).numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="numpy.exp called on a strict-device array"):
        ExpOnTheHost()(mg.tensor(values, device="strict"))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        AsarrayOnTheHost()(mg.tensor(values, device="strict"))


def test_strict_arrays_refuse_numpy_but_work_through_xp():
    a = backend.to_device(np.arange(6.0).reshape(2, 3), "strict")
    assert isinstance(a, StrictArray) and not isinstance(a, np.ndarray)
    for bad in (lambda: np.asarray(a), lambda: np.sum(a), lambda: np.exp(a), lambda: a + np.ones(3)):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(TypeError, match="xp.exp got a numpy.ndarray"):
        strict_xp.exp(np.ones(2))
    total = a.sum()
    assert isinstance(total, StrictArray) and total.ndim == 0 and float(total) == 15.0  # 0-d, as in CuPy
    assert isinstance(strict_xp.exp(a), StrictArray) and isinstance(a.T, StrictArray)
    assert strict_xp.zeros(2, dtype=strict_xp.float32).dtype == np.float32
    b = strict_xp.zeros((2, 3))
    b[0] = a[1]
    b += 1
    b[b > 3] = 0
    strict_xp.add.at(b, strict_xp.asarray([1, 1]), a[0])  # repeated rows accumulate
    np.testing.assert_array_equal(backend.to_numpy(b), [[0, 0, 0], [1, 3, 5]])
    windows = strict_xp.lib.stride_tricks.sliding_window_view(a, 2, axis=1)
    assert isinstance(windows, StrictArray) and windows.shape == (2, 2, 2)
    strided = strict_xp.lib.stride_tricks.as_strided(a, shape=(2,), strides=(8,))
    np.testing.assert_array_equal(backend.to_numpy(strided), [0.0, 1.0])
    noise = strict_xp.random.default_rng(0).standard_normal((2, 2), dtype=strict_xp.float32)
    assert isinstance(noise, StrictArray) and noise.dtype == np.float32
    assert [float(row.sum()) for row in a] == [3.0, 12.0]


# -------------------------------------------------------- import, seeds, dtypes
def _run_python(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_minigen_does_not_import_cupy_and_cuda_check_is_a_bool_without_it():
    code = (
        "import sys\n"
        "sys.modules['cupy'] = None  # import cupy now raises ImportError, as where it is not installed\n"
        "import minigen\n"
        "assert 'cupyx' not in sys.modules and sys.modules['cupy'] is None\n"
        "print(minigen.cuda_is_available(), type(minigen.cuda_is_available()).__name__)\n"
    )
    assert _run_python(code) == "False bool"
    assert _run_python("import sys, minigen; print('cupy' in sys.modules)") == "False"
    assert isinstance(mg.cuda_is_available(), bool)


def test_cuda_unavailable_reason_says_why_or_is_none():
    code = (
        "import sys\n"
        "sys.modules['cupy'] = None\n"
        "from minigen import backend\n"
        "print(backend.cuda_unavailable_reason())\n"
    )
    assert _run_python(code).split(": ")[0] in {"ImportError", "ModuleNotFoundError"}
    reason = backend.cuda_unavailable_reason()
    assert (reason is None) == backend.cuda_is_available()
    assert reason is None or ": " in reason


def test_manual_seed_makes_draws_repeat(device):
    draws = []
    for _ in range(2):
        mg.manual_seed(123)
        draws.append((mg.randn(3, 2, device=device).numpy(), mg.rand(4, device=device).numpy()))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])
    mg.manual_seed(124)
    assert not np.array_equal(mg.randn(3, 2, device=device).numpy(), draws[0][0])


def test_host_generator_gives_identical_weights_whatever_the_device():
    weights = []
    for device in ("cpu", "strict"):
        mg.manual_seed(7)
        weights.append(mg.tensor(mg.random.host_generator().standard_normal((3, 3)), device=device).numpy())
    np.testing.assert_array_equal(weights[0], weights[1])


def test_random_numbers_are_float32_by_default(device):
    for draw in (mg.randn(2, 3, device=device), mg.rand(2, 3, device=device)):
        assert draw.dtype == np.float32 and draw.device == device and draw.shape == (2, 3)
    assert mg.randn(2, dtype="float64", device=device).dtype == np.float64
    assert mg.randn((4, 1), device=device).shape == (4, 1) and mg.rand([3], device=device).shape == (3,)
    uniform = mg.rand(1000, device=device).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert mg.tensor([1.0, 2.0]).dtype == np.float32 and mg.tensor(1.5).dtype == np.float32


# -------------------------------------------------------- property-based tests
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), data=st.data())
def test_broadcasting_gradients_sum_back_to_each_input(device, shapes, data):
    (shape_a, shape_b), result_shape = shapes.input_shapes, shapes.result_shape
    a_values = data.draw(hnp.arrays(np.float64, shape_a, elements=st.floats(-2, 2)))
    b_values = data.draw(hnp.arrays(np.float64, shape_b, elements=st.floats(-2, 2)))
    a = mg.tensor(a_values, requires_grad=True, device=device)
    b = mg.tensor(b_values, requires_grad=True, device=device)
    y = a * 2 + b
    assert y.shape == tuple(result_shape)
    y.sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    copies_a = int(np.prod(result_shape)) // max(int(np.prod(shape_a)), 1)
    copies_b = int(np.prod(result_shape)) // max(int(np.prod(shape_b)), 1)
    np.testing.assert_allclose(a.grad.numpy(), np.full(shape_a, 2.0 * copies_a))
    np.testing.assert_allclose(b.grad.numpy(), np.full(shape_b, 1.0 * copies_b))


@PROPERTY
@given(data=st.data(), keepdims=st.booleans())
def test_reductions_match_numpy_over_any_axes(device, data, keepdims):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    some_axes = st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, unique_by=lambda a: a % len(shape))
    axes = data.draw(st.none() | some_axes)
    axis = None if axes is None else tuple(axes)
    values = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    x = mg.tensor(values, requires_grad=True, device=device)
    for ours, reference in ((F.sum, np.sum), (F.mean, np.mean), (F.var, np.var), (F.max, np.max)):
        result = ours(x, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(result.numpy(), reference(values, axis=axis, keepdims=keepdims), atol=1e-12)
    x.grad = None
    F.mean(x, axis=axis, keepdims=keepdims).sum().backward()
    count = values.size // max(int(np.prod(np.mean(values, axis=axis, keepdims=keepdims).shape)), 1)
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 / count))
