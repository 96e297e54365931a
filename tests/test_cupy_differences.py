"""Where CuPy differs from NumPy in ways the "cpu" device cannot show, checked on the strict device.

* cupy.ndarray lacks ``__index__``, ``__imatmul__`` and a few NumPy methods: the strict device lacks them too;
* ``cupy.clip(x, None, None)`` raises where NumPy 2 copies: minigen's ``clip`` refuses it everywhere, as PyTorch;
* on a GPU, ``float(x)``, ``bool(x)``, ``int(x)``, ``x.item()`` and ``x.tolist()`` make the host wait for the
  device: a training step makes none, and the losses make only the value checks they document.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from strict_device import _NUMPY_ONLY, STRICT, StrictArray

import minigen as mg
from minigen import backend, nn
from minigen.models import build_model
from minigen.ops import losses as L
from minigen.train import TrainConfig
from minigen.train.trainer import TASKS


@pytest.fixture
def host_transfers(monkeypatch):
    """Counts every way a strict-device value reaches the host (each one a sync on a GPU)."""
    count = {"transfers": 0}

    def counted(original):
        def conversion(*args):
            count["transfers"] += 1
            return original(*args)

        return conversion

    counting = dataclasses.replace(STRICT, to_host=counted(STRICT.to_host))
    monkeypatch.setitem(backend._devices, "strict", counting)
    monkeypatch.setitem(backend._device_by_array_type, StrictArray, counting)
    for name in ("__bool__", "__float__", "__int__"):
        monkeypatch.setattr(StrictArray, name, counted(getattr(StrictArray, name)))
    original_getattr = StrictArray.__getattr__

    def getattr_counting(self, name):
        if name in ("item", "tolist"):
            count["transfers"] += 1
        return original_getattr(self, name)

    monkeypatch.setattr(StrictArray, "__getattr__", getattr_counting)
    return count


# ------------------------------------------------------------------ the strict device lacks what CuPy lacks
def test_strict_arrays_are_no_python_index_and_lack_numpy_only_methods():
    n = backend.to_device(np.array(2), "strict")
    assert int(n) == 2  # explicit conversions work, as on CuPy
    for as_index in (lambda: range(n), lambda: [10, 20, 30][n], lambda: (1, 2, 3).index(1, n)):
        with pytest.raises(TypeError, match="not a Python index"):
            as_index()
    a = backend.to_device(np.eye(2), "strict")
    for name in sorted(_NUMPY_ONLY):
        with pytest.raises(AttributeError, match=f"ndarray.{name} has no CuPy counterpart"):
            getattr(a, name)
    b = same = backend.to_device(np.arange(4.0).reshape(2, 2), "strict")
    b @= a  # no __imatmul__ on CuPy: b is rebound to a new array, the old one is unchanged
    assert b is not same
    np.testing.assert_array_equal(backend.to_numpy(b), backend.to_numpy(same))


def test_the_strict_device_lacks_exactly_what_cupy_ndarray_lacks():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (CI installs it for the API checks)")
    missing_in_cupy = set(dir(np.ndarray)) - set(dir(cupy.ndarray))
    assert _NUMPY_ONLY == {name for name in missing_in_cupy if not name.startswith("_")}
    assert {"__index__", "__imatmul__"} <= missing_in_cupy


def test_clip_needs_a_bound_on_every_device(device):
    x = mg.tensor([-2.0, 0.5, 3.0], device=device)
    with pytest.raises(ValueError, match="at least one of min and max"):
        mg.functional.clip(x)
    np.testing.assert_array_equal(mg.functional.clip(x, max=1.0).numpy(), [-2.0, 0.5, 1.0])


# ---------------------------------------------------------------------------- host syncs
@pytest.mark.parametrize(
    "name, shape",
    [("gan", (1, 28, 28)), ("dcgan", (3, 32, 32)), ("vae", (1, 28, 28)), ("conv-vae", (1, 28, 28)),
     ("cnn-mse", (1, 32, 32))],
)  # fmt: skip
def test_a_training_step_of_every_model_never_waits_for_the_device(name, shape, host_transfers):
    mg.manual_seed(0)
    model = build_model(name, shape).to("strict")
    task = TASKS[model.kind](model, TrainConfig(model=name).resolved())
    x = mg.tensor(np.random.default_rng(0).random((4, *shape)).astype(np.float32), device="strict")
    for _ in range(2):  # the second step runs the optimizers with state
        losses = task.train_step(x)
    assert host_transfers["transfers"] == 0
    assert all(backend.device_of(value.data) is backend.get_device("strict") for value in losses.values())


def test_batch_norm_cumulative_average_stays_on_the_device(host_transfers):
    layer = nn.BatchNorm1d(3, momentum=None).to("strict")
    batches = np.random.default_rng(1).standard_normal((3, 5, 3)).astype(np.float32)
    for batch in batches:
        layer(mg.tensor(batch, device="strict"))
    assert host_transfers["transfers"] == 0
    assert layer.running_mean.dtype == np.float32
    # momentum 1/n makes the running mean the plain average of the batch means
    np.testing.assert_allclose(layer.running_mean.numpy(), batches.mean(axis=1).mean(axis=0), rtol=1e-5, atol=1e-7)


def _transfers_of(loss_fn, host_transfers):
    before = host_transfers["transfers"]
    loss_fn()
    return host_transfers["transfers"] - before


def test_losses_wait_for_the_device_only_to_check_their_inputs(host_transfers):
    rng = np.random.default_rng(2)

    def on_strict(values):
        return mg.tensor(values, device="strict")

    scores, probabilities = on_strict(rng.standard_normal((6, 3))), on_strict(rng.uniform(0.1, 0.9, (6, 3)))
    targets, labels = on_strict(rng.uniform(0, 1, (6, 3))), on_strict(np.array([0, 2, 1, -100, 2, 0]))
    weight = on_strict(np.array([1.0, 2.0, 0.5]))
    without_checks = [
        lambda: L.mse_loss(scores, targets),
        lambda: L.binary_cross_entropy_with_logits(scores, targets),
        lambda: L.gaussian_kl(scores, targets),
    ]
    for loss in without_checks:
        assert _transfers_of(loss, host_transfers) == 0
    # one each: probabilities in [0, 1]; labels in range (including those ignored: mean over the rest, no sync)
    with_one_check = [
        lambda: L.binary_cross_entropy(probabilities, targets),
        lambda: L.cross_entropy(scores, labels),
        lambda: L.cross_entropy(scores, labels, weight, label_smoothing=0.1),
        lambda: L.nll_loss(scores, labels, reduction="sum"),
    ]
    for loss in with_one_check:
        assert _transfers_of(loss, host_transfers) == 1
    kept, exps = np.array([0, 1, 2, 4, 5]), np.exp(scores.numpy())
    expected = -np.log(exps / exps.sum(axis=1, keepdims=True))[kept, labels.numpy()[kept]]
    np.testing.assert_allclose(L.cross_entropy(scores, labels).numpy(), expected.mean(), rtol=1e-6)
