"""``import minigen as torch``: the top-level names match PyTorch's in values, shapes and dtypes.

Factories, dtypes, random numbers, devices, grad mode, threads, ``cuda`` and ``accelerator``; every
top-level math function is the op or the Tensor method itself (one implementation, several faces).
Save/load is in test_serialization.py; the ops' gradients in op_cases.py.
"""

import numpy as np
import pytest

import minigen as mg
from minigen import accelerator, backend, creation, cuda, nn, optim
from minigen import functional as F


@pytest.fixture
def torch32():
    """PyTorch with its own default dtype, float32 (the conftest fixture switches it to float64)."""
    torch = pytest.importorskip("torch")
    assert torch.get_default_dtype() == torch.float32
    return torch


def same_dtype(mine, theirs):
    return np.dtype(mine).name == str(theirs).removeprefix("torch.")


def assert_like_torch(mine, theirs, exact=True, values=True):
    """Same shape, dtype and (unless ``values`` is false) values: bit for bit, or to float32 rounding."""
    assert mine.shape == tuple(theirs.shape)
    assert same_dtype(mine.dtype, theirs.dtype), (mine.dtype, theirs.dtype)
    if not values:
        return
    if exact:
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    else:
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize(
    "name", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
             "float", "double", "half", "long", "int", "short"],
)  # fmt: skip
def test_dtype_names_are_pytorchs(name, torch32):
    assert same_dtype(getattr(mg, name), getattr(torch32, name))


def test_dtypes_compare_with_tensor_dtypes():
    assert mg.tensor([1.0]).dtype == mg.float32 == mg.float and mg.tensor([1]).dtype == mg.long
    assert mg.tensor([True]).dtype == mg.bool and mg.zeros(1, dtype=mg.double).dtype == mg.float64
    assert mg.get_default_dtype() == mg.float32
    assert isinstance(mg.float32, mg.dtype) and mg.finfo(mg.float32).eps == np.finfo(np.float32).eps
    assert mg.is_floating_point(mg.zeros(2)) and not mg.is_floating_point(mg.zeros(2, dtype=mg.int64))
    import builtins

    assert mg.float is not builtins.float and float(2) == 2.0  # shadows the builtin only as an attribute


# ------------------------------------------------------------------ factories
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([4],), (5,), ((),), (0, 2)])
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_constant_factories(name, size, torch32):
    mine, theirs = getattr(mg, name)(*size), getattr(torch32, name)(*size)
    assert_like_torch(mine, theirs, values=name != "empty")
    assert mine.is_leaf and not mine.requires_grad
    typed = getattr(mg, name)(*size, dtype=mg.int64, requires_grad=False)
    assert typed.dtype == np.int64 and typed.shape == tuple(theirs.shape)


def test_factories_take_requires_grad_and_device(device):
    x = mg.zeros(2, 3, requires_grad=True, device=device)
    assert x.requires_grad and x.device == device and x.is_leaf
    assert mg.ones((2,), device=mg.device(device)).device == device
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        mg.zeros(2, dtype=mg.long, requires_grad=True)
    with pytest.raises(ValueError, match="the size must be ints >= 0"):
        mg.zeros(2, -1)
    with pytest.raises(TypeError, match="the size must be ints"):
        mg.ones(2.5)


@pytest.mark.parametrize("fill", [7, 2.5, True, -3, 0.0, np.float32(1.5), np.int32(4)])
def test_full_infers_dtype_like_torch(fill, torch32):
    assert_like_torch(mg.full((2, 3), fill), torch32.full((2, 3), fill))
    assert_like_torch(mg.full([4], fill, dtype=mg.float64), torch32.full([4], fill, dtype=torch32.float64))
    x = mg.zeros(2, 2, dtype=mg.int32)
    assert_like_torch(mg.full_like(x, 3), torch32.full_like(torch32.zeros(2, 2, dtype=torch32.int32), 3))


@pytest.mark.parametrize(
    "args",
    [(5,), (1, 10, 3), (10, 0, -3), (0, 1, 0.1), (-1.5, 2.2, 0.3), (0.0, 5), (1, 2.5), (3.0,), (0, 1, 1 / 3),
     (2, 2), (-4, 4, 2), (1e6, 1e6 + 1, 0.1), (0, 0.9, 0.3)],
)  # fmt: skip
def test_arange_length_dtype_and_values_like_torch(args, torch32):
    mine, theirs = mg.arange(*args), torch32.arange(*args)
    assert_like_torch(mine, theirs, exact=mine.dtype == np.int64)


def test_arange_keywords_and_errors(torch32):
    assert_like_torch(mg.arange(5, dtype=mg.float32), torch32.arange(5, dtype=torch32.float32))
    assert_like_torch(mg.arange(start=2, end=8, step=2), torch32.arange(start=2, end=8, step=2))
    assert mg.arange(4, requires_grad=False, device="cpu").device == "cpu"
    with pytest.raises(ValueError, match="step must be nonzero"):
        mg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="inconsistent with the sign of step"):
        mg.arange(0, 5, -1)


@pytest.mark.parametrize("args", [(0, 1, 11), (-3.3, 7.1, 50), (0, 1, 1), (5, 5, 3), (2, -1, 7), (0, 10, 0), (1, 2, 2)])
def test_linspace_like_torch(args, torch32):
    assert_like_torch(mg.linspace(*args), torch32.linspace(*args), exact=False)
    assert_like_torch(mg.linspace(*args, dtype=mg.float64), torch32.linspace(*args, dtype=torch32.float64), False)
    assert_like_torch(mg.linspace(*args, dtype=mg.int64), torch32.linspace(*args, dtype=torch32.int64))
    mine = mg.linspace(*args)
    if args[2]:
        assert mine.numpy()[0] == np.float32(args[0])  # the ends are exact
    if args[2] > 1:
        assert mine.numpy()[-1] == np.float32(args[1])


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)])
def test_eye_like_torch(args, torch32):
    assert_like_torch(mg.eye(*args), torch32.eye(*args))
    assert_like_torch(mg.eye(*args, dtype=mg.long), torch32.eye(*args, dtype=torch32.long))


def test_like_factories_keep_dtype_and_device(device, torch32):
    x = mg.tensor(np.ones((2, 3), dtype=np.float64), device=device)
    for name in ("zeros_like", "ones_like", "empty_like", "randn_like", "rand_like"):
        made = getattr(mg, name)(x)
        assert made.shape == (2, 3) and made.dtype == np.float64 and made.device == device, name
        assert getattr(mg, name)(x, dtype=mg.float32).dtype == np.float32
    np.testing.assert_array_equal(mg.ones_like(x).numpy(), torch32.ones_like(torch32.ones(2, 3)).numpy())
    assert mg.zeros_like(x, requires_grad=True).requires_grad


def test_tensor_as_tensor_and_from_numpy_share_memory_like_torch():
    array = np.arange(6.0).reshape(2, 3)
    shared = mg.from_numpy(array)
    array[0, 0] = 100.0
    assert shared.numpy()[0, 0] == 100.0  # torch.from_numpy shares memory
    shared.numpy()[1, 2] = -1.0
    assert array[1, 2] == -1.0
    assert shared.dtype == np.float64  # keeps the array's dtype, as torch does
    with pytest.raises(TypeError, match="expected a numpy.ndarray"):
        mg.from_numpy([1.0, 2.0])

    copied = mg.tensor(array)  # torch.tensor always copies
    array[0, 1] = 7.0
    assert copied.numpy()[0, 1] != 7.0
    assert mg.tensor(array, dtype=mg.float32, device=mg.device("cpu"), requires_grad=True).requires_grad

    viewed = mg.as_tensor(array)  # as_tensor shares when dtype and device match
    array[1, 0] = 42.0
    assert viewed.numpy()[1, 0] == 42.0
    cast = mg.as_tensor(array, dtype=mg.float32)
    array[1, 1] = 43.0
    assert cast.dtype == np.float32 and cast.numpy()[1, 1] != 43.0
    assert mg.as_tensor(viewed) is viewed and mg.as_tensor([1, 2]).dtype == np.int64
    assert mg.as_tensor([0.5]).dtype == np.float32


def test_numel_and_is_tensor():
    assert mg.numel(mg.zeros(2, 3, 4)) == 24 and mg.numel(mg.tensor(1.0)) == 1
    assert mg.is_tensor(mg.zeros(1)) and not mg.is_tensor(np.zeros(1))


# ------------------------------------------------------------------ random
def test_random_factories_shapes_dtypes_and_ranges(device):
    mg.manual_seed(0)
    assert mg.randn(2, 3, device=device).dtype == np.float32 and mg.randn((4,)).shape == (4,)
    assert mg.randn(3, dtype=mg.float64).dtype == np.float64 and mg.randn(2, requires_grad=True).requires_grad
    u = mg.rand(1000, device=device).numpy()
    assert u.dtype == np.float32 and 0 <= u.min() and u.max() < 1
    with pytest.raises(TypeError, match="floating-point"):
        mg.randn(3, dtype=mg.int64)


@pytest.mark.parametrize(
    "call, low, high, shape",
    [(lambda: mg.randint(10, (2000,)), 0, 10, (2000,)),
     (lambda: mg.randint(-3, 4, (50, 40)), -3, 4, (50, 40)),
     (lambda: mg.randint(low=5, high=7, size=(300,)), 5, 7, (300,)),
     (lambda: mg.randint(3, size=[10, 10]), 0, 3, (10, 10)),
     (lambda: mg.randint(2, 9, size=(400,), dtype=mg.int32), 2, 9, (400,))],
)  # fmt: skip
def test_randint_forms_range_and_dtype(call, low, high, shape, torch32):
    values = call()
    assert values.shape == shape and values.dtype == (np.int32 if values.dtype == np.int32 else np.int64)
    drawn = set(np.unique(values.numpy()).tolist())
    assert drawn == set(range(low, high))  # every value of [low, high) appears; high never does
    assert same_dtype(mg.randint(0, 5, (3,)).dtype, torch32.randint(0, 5, (3,)).dtype)


def test_randint_and_randperm_refuse_bad_arguments():
    with pytest.raises(ValueError, match="low .* must be less than high"):
        mg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="high and size are required"):
        mg.randint(5)
    with pytest.raises(TypeError, match="only floating-point"):
        mg.randint(0, 2, (2,), requires_grad=True)
    permutation = mg.randperm(50)
    assert permutation.dtype == np.int64 and sorted(permutation.numpy().tolist()) == list(range(50))
    assert mg.randperm(0).shape == (0,)


def test_generator_is_its_own_stream_and_repeats(device):
    first = mg.Generator(device).manual_seed(3)
    a = mg.randn(5, generator=first, device=device).numpy()
    second = mg.Generator(device=device)
    assert second.manual_seed(3) is second and second.initial_seed() == 3
    np.testing.assert_array_equal(mg.randn(5, generator=second, device=device).numpy(), a)
    mg.randn(2, device=device)  # the global generator is another object...
    np.testing.assert_array_equal(mg.randn(5, generator=mg.Generator(device).manual_seed(3), device=device).numpy(), a)
    mg.manual_seed(3)  # ... whose stream for a seed is the same, as in PyTorch
    np.testing.assert_array_equal(mg.randn(5, device=device).numpy(), a)
    assert not np.array_equal(mg.randn(5, generator=mg.Generator(device).manual_seed(4), device=device).numpy(), a)
    g = mg.Generator().manual_seed(1)
    r1 = (mg.rand(3, generator=g).numpy(), mg.randint(0, 100, (4,), generator=g).numpy(), mg.randperm(6, generator=g))
    g.manual_seed(1)
    r2 = (mg.rand(3, generator=g).numpy(), mg.randint(0, 100, (4,), generator=g).numpy(), mg.randperm(6, generator=g))
    np.testing.assert_array_equal(r1[0], r2[0])
    np.testing.assert_array_equal(r1[1], r2[1])
    np.testing.assert_array_equal(r1[2].numpy(), r2[2].numpy())
    with pytest.raises(TypeError, match="generator must be a minigen.Generator"):
        mg.randn(2, generator=42)


def test_manual_seed_repeats_every_random_factory():
    def draw():
        return [mg.randn(3).numpy(), mg.rand(2).numpy(), mg.randint(0, 9, (4,)).numpy(), mg.randperm(5).numpy()]

    mg.manual_seed(11)
    first = draw()
    mg.manual_seed(11)
    for a, b in zip(first, draw()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ math: the ops themselves
def test_top_level_functions_are_the_ops_and_methods():
    for name in ("exp", "log", "sigmoid", "tanh", "matmul", "where", "flatten", "cat", "stack", "relu", "softmax"):
        assert getattr(mg, name) is getattr(F, name), name
    for name in ("sum", "mean", "clamp", "max", "min", "argmax", "squeeze", "unsqueeze"):
        assert getattr(mg, name) is getattr(mg.Tensor, name), name
    assert mg.concat is mg.cat
    assert [name for name in mg.__all__ if not hasattr(mg, name)] == []
    import minigen.backends
    import minigen.utils.data

    assert mg.backends is minigen.backends and mg.utils.data is minigen.utils.data  # torch.backends, torch.utils.data


def test_math_matches_torch(torch32):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    x, tx = mg.tensor(a), torch32.tensor(a)
    close = {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(mg.sum(x, dim=1, keepdim=True).numpy(), torch32.sum(tx, dim=1, keepdim=True), **close)
    np.testing.assert_allclose(mg.mean(x, 0).numpy(), torch32.mean(tx, 0).numpy(), **close)
    np.testing.assert_allclose(mg.clamp(x, -0.5, 0.5).numpy(), torch32.clamp(tx, -0.5, 0.5).numpy())
    np.testing.assert_allclose(mg.clamp(x, min=0.1).numpy(), torch32.clamp(tx, min=0.1).numpy())
    np.testing.assert_allclose(mg.matmul(x, mg.tensor(b)).numpy(), torch32.matmul(tx, torch32.tensor(b)), **close)
    for name in ("exp", "sigmoid", "tanh"):
        np.testing.assert_allclose(getattr(mg, name)(x).numpy(), getattr(torch32, name)(tx).numpy(), **close)
    np.testing.assert_allclose(mg.log(mg.exp(x)).numpy(), a, **close)
    np.testing.assert_array_equal(mg.where(x > 0, x, 0.0).numpy(), torch32.where(tx > 0, tx, 0.0).numpy())
    assert mg.flatten(mg.zeros(2, 3, 4), 1).shape == tuple(torch32.flatten(torch32.zeros(2, 3, 4), 1).shape)
    assert mg.cat([x, x], dim=1).shape == tuple(torch32.cat([tx, tx], dim=1).shape) == (3, 8)
    assert mg.stack([x, x], dim=-1).shape == tuple(torch32.stack([tx, tx], dim=-1).shape) == (3, 4, 2)
    assert mg.cat((x, x)).shape == (6, 4) and mg.cat([x, x], axis=1).shape == (3, 8)
    with pytest.raises(TypeError, match="axis is an alias of dim"):
        mg.stack([x, x], dim=1, axis=2)


@pytest.mark.parametrize(
    "a, b, kwargs",
    [([1.0, 2.0], [1.0, 2.0 + 1e-9], {}), ([1.0, 2.0], [1.0, 2.1], {}), ([1.0, 2.0], [1.0, 2.1], {"atol": 0.2}),
     ([100.0], [100.5], {"rtol": 1e-2}), ([float("nan")], [float("nan")], {}),
     ([float("nan")], [float("nan")], {"equal_nan": True}), ([[1.0, 2.0]], [1.0, 2.0], {})],
)  # fmt: skip
def test_allclose_and_equal_like_torch(a, b, kwargs, torch32):
    mine = mg.allclose(mg.tensor(a), mg.tensor(b), **kwargs)
    assert mine is torch32.allclose(torch32.tensor(a), torch32.tensor(b), **kwargs)
    same_shape = np.shape(a) == np.shape(b)
    assert mg.equal(mg.tensor(a), mg.tensor(b)) is (same_shape and torch32.equal(torch32.tensor(a), torch32.tensor(b)))


# ------------------------------------------------------------------ grad mode
def test_set_grad_enabled_as_function_context_and_decorator():
    w = mg.ones(2, requires_grad=True)
    try:
        mg.set_grad_enabled(False)  # a call switches at once, for good
        assert not mg.is_grad_enabled() and not (w * 2).requires_grad
        mg.set_grad_enabled(True)
        assert mg.is_grad_enabled() and (w * 2).requires_grad
        with mg.set_grad_enabled(False):
            assert not (w * 2).requires_grad
        assert mg.is_grad_enabled()
        with mg.no_grad():
            with mg.set_grad_enabled(True):  # train/eval loops: with torch.set_grad_enabled(phase == "train")
                assert (w * 2).requires_grad
            assert not mg.is_grad_enabled()
        with pytest.raises(KeyError):
            with mg.set_grad_enabled(False):
                raise KeyError("inside")
        assert mg.is_grad_enabled()  # restored on an exception

        @mg.set_grad_enabled(False)
        def evaluate(depth):
            return [mg.is_grad_enabled()] + (evaluate(depth - 1) if depth else [])

        assert mg.is_grad_enabled()  # decorating does not switch
        assert evaluate(2) == [False, False, False] and mg.is_grad_enabled()

        with mg.inference_mode():
            assert not (w * 2).requires_grad
        with mg.inference_mode(False):
            assert (w * 2).requires_grad
        with pytest.raises(TypeError, match="mode must be a bool"):
            mg.set_grad_enabled("no")
    finally:
        mg.set_grad_enabled(True)


# ------------------------------------------------------------------ devices
def test_device_objects_compare_and_go_where_names_go(device):
    cpu = mg.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and cpu.index is None and repr(cpu) == "device(type='cpu')"
    assert mg.device("cuda:0") == mg.device("cuda") == "cuda" and mg.device("cuda:0").index == 0
    assert mg.device("cuda", 0).type == "cuda" and repr(mg.device("cuda:0")) == "device(type='cuda', index=0)"
    assert mg.device(mg.device("cpu")) == cpu and {cpu: 1}["cpu"] == 1 and f"{cpu}" == "cpu"

    here = mg.device(device)
    x = mg.tensor([1.0, 2.0], device=here)
    assert x.device == here and x.device == device and here == x.device
    assert x.device.type == device and x.is_cpu == (device == "cpu") and repr(x.device) == f"device(type='{device}')"
    assert x.to(mg.device("cpu")).device == "cpu" and mg.zeros(1).to(here).device == device
    model = nn.Linear(2, 1).to(here)
    assert all(p.device == here for p in model.parameters())
    assert model(x[None]).device == device


def test_bad_devices_are_refused_in_one_line():
    for spec, error in [("mps", "unknown device type 'mps'"), ("cuda:1", "index 0"), ("cuda:x", "is not a device"),
                        (3, "expected a name")]:  # fmt: skip
        with pytest.raises((ValueError, TypeError), match=error):
            mg.device(spec)
    if not backend.cuda_is_available():
        with pytest.raises(RuntimeError, match="CUDA is not usable"):
            mg.zeros(2, device="cuda:0")  # "cuda:0" means "cuda", which is not usable here
        with pytest.raises(RuntimeError, match="CUDA is not usable"):
            mg.tensor([1.0]).to(mg.device("cuda"))


def test_accelerator_and_cuda_answer_as_the_backend():
    usable = backend.cuda_is_available()
    assert accelerator.is_available() is usable and cuda.is_available() is usable
    assert (accelerator.current_accelerator() == "cuda") if usable else accelerator.current_accelerator() is None
    assert (cuda.device_count() >= 1) if usable else cuda.device_count() == 0
    assert mg.accelerator is accelerator and mg.cuda is cuda


def test_accelerator_and_cuda_without_a_gpu(monkeypatch):
    """As on a machine without CuPy or a GPU: clean answers, no exception, seeding ignored (as in PyTorch)."""
    monkeypatch.setattr(backend, "_devices", {name: d for name, d in backend._devices.items() if name != "cuda"})
    monkeypatch.setattr(backend, "_cuda_error", "ImportError: No module named 'cupy' (simulated)")
    assert accelerator.is_available() is False and accelerator.current_accelerator() is None
    assert accelerator.device_count() == 0 and cuda.is_available() is False and cuda.device_count() == 0
    cuda.manual_seed(0)
    cuda.manual_seed_all(0)
    cuda.empty_cache()
    with pytest.raises(RuntimeError, match=r"CUDA is not usable \(ImportError: No module named 'cupy' \(simulated\)"):
        cuda.synchronize()
    device = mg.device("cuda" if accelerator.is_available() else "cpu")  # the usual line of a PyTorch script
    assert device == "cpu"


@pytest.mark.skipif(not backend.cuda_is_available(), reason="needs CuPy and a GPU")
def test_cuda_manual_seed_restarts_only_the_gpu_stream():
    mg.manual_seed(0)
    host = mg.randn(3).numpy()
    cuda.manual_seed(5)
    a = mg.randn(4, device="cuda").numpy()
    cuda.manual_seed(5)
    np.testing.assert_array_equal(mg.randn(4, device="cuda").numpy(), a)
    mg.manual_seed(0)
    np.testing.assert_array_equal(mg.randn(3).numpy(), host)
    assert isinstance(cuda.get_device_name(), str) and cuda.current_device() >= 0


# ------------------------------------------------------------------ threads
def test_set_num_threads_controls_the_blas():
    before = mg.get_num_threads()
    try:
        mg.set_num_threads(1)
        assert mg.get_num_threads() == 1
        mg.set_num_threads(2)
        assert mg.get_num_threads() == 2
        a = np.ones((64, 64))
        np.testing.assert_allclose(a @ a, 64.0)  # BLAS still works
    finally:
        mg.set_num_threads(before)
    assert mg.get_num_threads() == before
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="expected an int >= 1"):
            mg.set_num_threads(bad)


# ------------------------------------------------------------------ a PyTorch script, unchanged
def test_a_pytorch_style_script_runs(tmp_path):
    torch = mg  # what `import minigen as torch` gives a script
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 32).reshape(-1, 1).to(device)
    y = torch.where(x > 0, torch.ones_like(x), torch.zeros_like(x))
    model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    path = tmp_path / "model.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 60}, path)
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    restored = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).to(device)
    restored.load_state_dict(checkpoint["model"])
    optim.Adam(restored.parameters()).load_state_dict(checkpoint["optimizer"])
    with torch.no_grad():
        assert torch.allclose(restored(x), model(x)) and checkpoint["epoch"] == 60
    assert creation.numel(x) == 32


def test_cudnn_switches_are_accepted_and_say_cudnn_is_not_used():
    """PyTorch scripts set torch.backends.cudnn.benchmark; minigen accepts it and reports that cuDNN is not used."""
    import minigen.backends.cudnn as cudnn

    assert mg.backends.cudnn is cudnn
    before = cudnn.benchmark
    try:
        cudnn.benchmark = True
        assert mg.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = before
    assert cudnn.is_available() is False and cudnn.version() is None
