# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 12 — On the GPU with CuPy: the same code, honest timing, and the traps
#
# **Goal:** run minigen's models on a GPU without changing a line of model code, know exactly what crosses between
# host and device, time GPU code honestly, and recognise the three classic slow-downs: float64, implicit transfers,
# `.item()` every step.
#
# *Time, measured on a 2-core CPU with one BLAS thread (`OMP_NUM_THREADS=1`): full mode 4 s, smoke mode 2 s. On a
# CPU-only machine the GPU cells print why they are skipped and the tests' strict device shows the transfer errors.
# This lesson has not yet been run on a GPU: its GPU branches are written against CuPy's documented API.*

# %%
import importlib.util
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigen
from minigen import backend, optim
from minigen.models import MLPVAE

from lessons_support import SMOKE, check_exercise, pick_device, smoke

device = pick_device()
GPU = device == "cuda"
print("device:", device, "| smoke mode:", SMOKE)
if not GPU:
    print("No CUDA GPU with CuPy here: the GPU cells below are skipped, each says so; everything else runs on the CPU.")
started = time.perf_counter()

# %% [markdown]
# ## 1. One code path, two array modules
#
# Every op in `minigen/ops/` asks `backend.get_array_module(*inputs)` for `xp` — `numpy` for CPU arrays, `cupy` for GPU
# arrays — and writes `xp.exp(x)`, `xp.matmul(a, b)`. CuPy copies NumPy's API, so the same line runs on either device.
# A model moves with `model.to("cuda")` (every parameter's array is copied to the GPU), data with
# `minigen.tensor(array, device="cuda")` or `t.to("cuda")`; noise is drawn *on* the device (`minigen.randn(...,
# device=)`).
#
# **What crosses the bus** (PCIe: about 10–25 GB/s, and each copy is also a synchronisation):
#
# | call | direction | when |
# |---|---|---|
# | `minigen.tensor(numpy_array, device="cuda")`, `t.to("cuda")` | host → device | each batch, once per step |
# | `model.to("cuda")` | host → device | once |
# | `t.numpy()`, `backend.to_numpy(a)` | device → host | pictures, metrics |
# | `t.item()`, `float(t)` | device → host (one number) **and a sync** | logging |
#
# Nothing else crosses: forward, backward and the optimizer's update all stay on the device.

# %%
def describe(t):
    return f"{type(t.data).__module__}.{type(t.data).__name__} on {t.device}, dtype {t.dtype}"


x_host = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
x = minigen.tensor(x_host, device=device)
print("x:", describe(x))
print("x * 0.5:", describe(x * 0.5), "(a Python scalar takes the tensor's dtype: no float64)")
back = x.numpy()
print("x.numpy():", type(back).__module__, type(back).__name__, "- a host copy")
if GPU:
    import cupy

    print("on the GPU, x.data is a cupy.ndarray:", isinstance(x.data, cupy.ndarray))
else:
    print("GPU skipped: x.data is a numpy.ndarray here; on a GPU it would be a cupy.ndarray.")

# %% [markdown]
# ## 2. Mixing devices is an error, and so is a hidden conversion
#
# An op with one input on the CPU and one on the GPU raises at once, naming the op and both devices; minigen never
# copies silently. The other classic bug is a hidden conversion of a GPU array to NumPy: `np.asarray(t.data)`, a
# plot of `t.data`, a NumPy array mixed into an expression with it. CuPy refuses each of these with a `TypeError`
# (other libraries silently copy to the host, every step). NumPy *functions* are a special case: CuPy implements
# NumPy's dispatch protocols, so `np.exp(cupy_array)` quietly runs `cupy.exp`. It works, but the line no longer says
# which library computes it, so minigen's rule is to write `xp.exp`. A CPU-only machine cannot see any of this...
# unless it has a device that behaves like a GPU. The tests have one: the **strict device**
# (`tests/strict_device.py`), NumPy underneath, refusing implicit conversions exactly as CuPy does, and, stricter
# than CuPy, refusing `np.` functions too, to enforce the `xp.` rule.

# %%
strict_path = Path(minigen.__file__).resolve().parent.parent / "tests" / "strict_device.py"
STRICT = None
if strict_path.exists():
    spec = importlib.util.spec_from_file_location("strict_device", strict_path)
    strict_device = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(strict_device)
    backend.register_device(strict_device.STRICT)
    STRICT = "strict"
    other = STRICT
else:
    print("tests/strict_device.py is not here (minigen installed without its tests): strict-device cells skipped.")
    other = "cuda" if GPU else None

errors = {}
if other is not None:
    a = minigen.tensor(x_host, device="cpu")
    b = minigen.tensor(x_host, device=other)
    try:
        a + b
    except Exception as error:
        errors["mixed"] = error
        print("cpu + other device ->", type(error).__name__, ":", error)
    try:
        np.asarray(b.data)  # the hidden transfer: a TypeError on CuPy and on the strict device
    except TypeError as error:
        errors["implicit"] = error
        print("np.asarray(device array) ->", type(error).__name__, ":", error)
    try:
        np.exp(b.data)  # CuPy would dispatch this to cupy.exp; the strict device enforces xp.exp
    except TypeError as error:
        print("np.exp(device array) ->", type(error).__name__, ":", error)
    xp = backend.get_array_module(b)
    print("xp.exp(device array) works:", describe(minigen.Tensor(xp.exp(b.data))))
    print("the explicit way to the host, b.numpy(), works:", type(b.numpy()).__name__)

# %% [markdown]
# ## 3. The same model, the same numbers, on every device
#
# Parameters are initialised on the host from `minigen.manual_seed`, so a model built on any device starts from
# identical weights. Running one forward pass on the CPU and on the other device (the GPU, or the strict device here)
# must give the same output (to float32 rounding on a GPU, whose kernels sum in another order).

# %%
outputs = {}
for name in ["cpu"] + ([other] if other else []):
    minigen.manual_seed(0)
    vae = MLPVAE((1, 28, 28), latent_dim=8).to(name)
    with minigen.no_grad():
        mu, logvar = vae.encode(minigen.tensor(np.tile(x_host.reshape(-1), 66)[:784].reshape(1, 784), device=name))
    outputs[name] = mu.numpy()
    print(f"{name:7s} mu[:4] = {np.round(outputs[name][0, :4], 5)}")

# %% [markdown]
# ## 4. Honest timing
#
# GPU work is **asynchronous**: `y = a @ b` on CuPy *queues* a kernel and returns at once. A timer read right after it
# measures the queueing, not the work. Synchronise before reading the clock:
#
# ```python
# cupy.cuda.Device().synchronize()          # or cupy.cuda.get_current_stream().synchronize()
# start = time.perf_counter()
# for _ in range(n): step()
# cupy.cuda.Device().synchronize()          # wait until the queued work is done
# elapsed = time.perf_counter() - start
# ```
#
# Also: warm up first (the first calls compile kernels and fill CuPy's memory pool), repeat, and report a median.


# %%
def synchronize(dev):
    """Wait until every queued kernel on ``dev`` has finished (a no-op on the CPU)."""
    if dev == "cuda":
        import cupy

        cupy.cuda.Device().synchronize()


def time_ms(fn, dev, repeats=5, warmup=2, sync=True):
    """Median milliseconds per call of ``fn`` on ``dev``; ``sync=False`` shows the dishonest way."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if sync:
            synchronize(dev)
        start = time.perf_counter()
        fn()
        if sync:
            synchronize(dev)
        times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))


n = smoke(1024, 256)
for dev in ["cpu"] + (["cuda"] if GPU else []):
    a = minigen.randn(n, n, device=dev)
    honest = time_ms(lambda a=a: a @ a, dev)
    line = f"{dev}: {n}x{n} matmul, synchronised: {honest:.3f} ms"
    if dev == "cuda":
        line += f"; without synchronising: {time_ms(lambda a=a: a @ a, dev, sync=False):.3f} ms (only the launch)"
    print(line)
if not GPU:
    print("GPU skipped: on a GPU the unsynchronised number would be a few microseconds, the launch alone.")

# %% [markdown]
# ## 5. Pitfall 1: float64
#
# Consumer and workstation GPUs (GeForce, RTX A-series) compute float64 at 1/32 or 1/64 of their float32 speed;
# only data-centre parts (A100, H100) have fast float64. minigen is float32 by default, random numbers and
# initialisers included, and a float32 tensor times a Python float stays float32. One stray float64 array (a NumPy
# constant, `np.float64` noise) spreads through every op it touches. On the CPU the gap is about 2×:

# %%
float_times = {}
for dev in ["cpu"] + (["cuda"] if GPU else []):
    for dtype in ["float32", "float64"]:
        a = minigen.randn(n, n, device=dev, dtype=dtype)
        float_times[(dev, dtype)] = time_ms(lambda a=a: a @ a, dev)
    print(f"{dev}: float32 {float_times[(dev, 'float32')]:.2f} ms, float64 {float_times[(dev, 'float64')]:.2f} ms "
          f"({float_times[(dev, 'float64')] / float_times[(dev, 'float32')]:.1f}x slower)")

# %% [markdown]
# ## 6. Pitfall 2: `.item()` every step
#
# `loss.item()` copies one number to the host and, on a GPU, **waits for every queued kernel**: the CPU can no longer
# run ahead queueing the next step's work while the GPU computes. Read losses every N steps (minigen's trainer keeps
# them on the device and brings them over every `log_every` steps), or accumulate on the device and read once.
# The loop below trains the same VAE both ways; on the CPU the difference is small (there is no queue), on a GPU it is
# often 10–30% of the step time for small models.


# %%
def train_steps(dev, steps, read_every):
    minigen.manual_seed(0)
    vae = MLPVAE((1, 28, 28), latent_dim=8).to(dev)
    opt = optim.Adam(vae.parameters(), lr=1e-3)
    batch = minigen.rand(64, 784, device=dev)
    running, readings = None, []
    for step in range(steps):
        loss, _, _ = vae.loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = loss.detach() if running is None else running + loss.detach()  # stays on the device
        if (step + 1) % read_every == 0:
            readings.append(running.item() / read_every)  # the only device -> host copy
            running = None
    return readings


STEPS = smoke(100, 20)
for dev in ["cpu"] + (["cuda"] if GPU else []):
    every_step = time_ms(lambda dev=dev: train_steps(dev, STEPS, 1), dev, repeats=1, warmup=0)
    every_20 = time_ms(lambda dev=dev: train_steps(dev, STEPS, 20), dev, repeats=1, warmup=0)
    print(f"{dev}: {STEPS} VAE steps reading the loss every step {every_step:.0f} ms, every 20 steps {every_20:.0f} ms")
readings_1, readings_20 = train_steps("cpu", 20, 1), train_steps("cpu", 20, 20)
print(f"same losses either way: mean of 20 readings {np.mean(readings_1):.4f}, one reading {readings_20[0]:.4f}")

# %% [markdown]
# ## 7. Pitfall 3: implicit transfers in a training loop
#
# The checklist for a loop that stays on the GPU: the model and the optimizer state on the device (`model.to` before
# building the optimizer); each batch moved once (`DataLoader(..., device="cuda")` does it); noise from
# `minigen.randn(..., device=)`; no `np.` function on anything that came from a tensor; pictures and metrics only every
# N steps through `.numpy()`. `tests/test_train_strict.py` runs the training loop on the strict device and counts the
# transfers, so CPU-only CI catches a regression.

# %%
fig, ax = plt.subplots(figsize=(5, 3))
labels = [f"{d}\n{t}" for d, t in float_times]
ax.bar(labels, list(float_times.values()), color=["C0", "C3"] * (len(labels) // 2))
ax.set_ylabel(f"ms per {n}x{n} matmul")
ax.set_title("float32 against float64")
plt.show()

# %% [markdown]
# ## Self-check

# %%
assert x.dtype == "float32" and (x * 0.5).dtype == "float32", "float32 must stay float32"
if STRICT:
    assert "mixed" in errors and "implicit" in errors, "mixing devices and implicit conversions must fail"
    assert "cpu" in str(errors["mixed"]) and STRICT in str(errors["mixed"]), "the error names both devices"
if other:
    tolerance = 1e-4 if other == "cuda" else 0
    assert np.abs(outputs["cpu"] - outputs[other]).max() <= tolerance, "the same model must agree across devices"
assert abs(np.mean(readings_1) - readings_20[0]) < 1e-4, "reading every 20 steps must give the same mean loss"
print(f"Lesson 12 self-check passed ({time.perf_counter() - started:.0f} s).")

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — device-agnostic code.** Write `softmax_rows(a)` for a raw array `a` (NumPy, CuPy, or the strict
# device's), shape (N, K): the softmax of each row, stable (subtract the row max). Use
# `xp = minigen.backend.get_array_module(a)` and only `xp.` functions; the check runs it on the strict device.

# %%
def softmax_rows(a):
    raise NotImplementedError


def check_softmax_rows(fn):
    values = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]])
    expected = np.exp(values - values.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(backend.to_numpy(fn(values)), expected, rtol=1e-12)
    if STRICT:
        on_device = minigen.tensor(values, device=STRICT).data
        np.testing.assert_allclose(backend.to_numpy(fn(on_device)), expected, rtol=1e-12,
                                   err_msg="wrong on the strict device")


check_exercise(check_softmax_rows, softmax_rows)

# %% [markdown]
# **Exercise 2 — a timer that cannot lie.** Write `median_ms(fn, synchronize, repeats)`: call `synchronize()` before
# starting and before stopping the clock around each call of `fn`, and return the median in milliseconds. The check
# uses a fake "GPU" whose work only finishes when you synchronise.

# %%
def median_ms(fn, synchronize, repeats):
    raise NotImplementedError


def check_median_ms(fn):
    pending = []

    def launch():  # queues 20 ms of "work" and returns at once, like a kernel launch
        pending.append(0.02)

    def wait():
        while pending:
            time.sleep(pending.pop())

    measured = fn(launch, wait, 3)
    assert 15 <= measured <= 200, f"the work takes 20 ms per call; measured {measured:.2f} ms (did you synchronise?)"
    assert not pending, "everything queued must have been waited for"


check_exercise(check_median_ms, median_ms)

# %% [markdown]
# **Exercise 3 — what one batch costs to move.** Return the number of bytes a host → device copy of an array of
# `shape` and `dtype` moves (e.g. a DCGAN batch (64, 1, 32, 32) in float32: 262,144 bytes).

# %%
def transfer_bytes(shape, dtype):
    raise NotImplementedError


def check_transfer_bytes(fn):
    assert fn((64, 1, 32, 32), "float32") == 262_144
    assert fn((64, 3, 32, 32), "float64") == 64 * 3 * 32 * 32 * 8
    assert fn((128, 784), "uint8") == 100_352, "sending uint8 and converting on the device moves 4x less"


check_exercise(check_transfer_bytes, transfer_bytes)
