"""No silent host-device traffic in the training loop, checked on the strict device.

On a GPU every number brought to the host makes the CPU wait for the GPU, so the
trainer keeps each step's losses on the device and brings them over together
every ``log_every`` steps. Here a short run trains on the test-only "strict"
device (tests/strict_device.py: NumPy underneath, but a hidden conversion such
as ``np.asarray`` raises) and every device-to-host transfer is counted: the
explicit ones (``Device.to_host``, behind ``backend.to_numpy`` and
``Tensor.numpy()``) and the Python-number ones (``float(x)``, ``bool(x)``,
``x.item()``, ...) that CuPy would also allow, silently, at the cost of a sync.

Transfers made while writing the sample grid, the checkpoint or measuring the
test split (once per epoch) are counted apart: the loop proper may only make
one transfer per ``log_every`` steps.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest
import strict_device
from strict_device import STRICT, StrictArray

import minigen
from minigen import backend
from minigen.models import build_model
from minigen.train import TrainConfig, Trainer
from minigen.train.trainer import TASKS

STEPS, LOG_EVERY, BATCH = 12, 4, 8
SCALAR_CONVERSIONS = ("__bool__", "__float__", "__int__", "__index__")


@pytest.fixture
def transfers(monkeypatch, request):
    """Counts device-to-host transfers from the strict device, under the phase (``counts.phase``) they happen in."""
    counts = Counter()
    counts.phase = "loop"

    def to_host(array):
        counts[counts.phase] += 1
        return STRICT.to_host(array)

    counting = dataclasses.replace(STRICT, to_host=to_host)
    backend.register_device(counting)  # replaces "strict" until the end of the test
    request.addfinalizer(lambda: backend.register_device(STRICT))

    def counted(original):
        def conversion(self):
            counts[counts.phase] += 1
            return original(self)

        return conversion

    for name in SCALAR_CONVERSIONS:  # float(x), bool(x), ...: a transfer too (and a sync on a GPU)
        monkeypatch.setattr(StrictArray, name, counted(getattr(StrictArray, name)))
    original_getattr = StrictArray.__getattr__

    def getattr_counting(self, name):
        if name in ("item", "tolist"):  # x.item(), x.tolist(): host numbers
            counts[counts.phase] += 1
        return original_getattr(self, name)

    monkeypatch.setattr(StrictArray, "__getattr__", getattr_counting)
    return counts


def per_epoch_phase(method, counts, phase):
    """``method`` wrapped so that the transfers it makes are counted under ``phase``."""

    def wrapped(*args, **kwargs):
        counts.phase = phase
        try:
            return method(*args, **kwargs)
        finally:
            counts.phase = "loop"

    return wrapped


@pytest.mark.parametrize("model", ["vae", "gan"])
def test_training_loop_transfers_losses_once_per_log_every_steps(model, transfers, tmp_path):
    config = TrainConfig(model=model, device="strict", epochs=1, batch_size=BATCH, subset=STEPS * BATCH,
                         log_every=LOG_EVERY, out=str(tmp_path))  # fmt: skip
    trainer = Trainer(config, log=lambda message: None, progress=False)
    steps_seen = Counter()
    train_step = trainer.task.train_step

    def counted_step(x, labels=None):
        before = transfers["loop"]
        losses = train_step(x, labels)
        steps_seen["steps"] += 1
        steps_seen["transfers inside steps"] += transfers["loop"] - before
        return losses

    trainer.task.train_step = counted_step
    trainer.task.evaluate = per_epoch_phase(trainer.task.evaluate, transfers, "evaluate")
    trainer._pictures = per_epoch_phase(trainer._pictures, transfers, "pictures")
    trainer._save = per_epoch_phase(trainer._save, transfers, "checkpoint")

    trainer.fit()

    assert steps_seen["steps"] == STEPS
    assert steps_seen["transfers inside steps"] == 0  # a step never waits for the device
    assert transfers["loop"] == STEPS // LOG_EVERY  # one transfer per log_every steps, all losses at once
    assert len(trainer.history["step"]) == STEPS  # ... and yet every step's losses were recorded
    assert transfers["pictures"] >= 1 and transfers["checkpoint"] >= 1  # the counter does see transfers
    assert transfers["evaluate"] <= 1  # the test split's sums stay on the device until the end


@pytest.mark.parametrize("name, shape", [("gan", (1, 28, 28)), ("dcgan", (3, 32, 32)), ("vae", (1, 28, 28)),
                                         ("conv-vae", (1, 28, 28))])  # fmt: skip
def test_float32_training_step_makes_no_float64_array(name, shape, monkeypatch):
    """A stray Python or NumPy number can promote a whole temporary to float64, many times slower on most GPUs.

    Every array the strict device hands back during two float32 training steps is checked, the
    temporaries inside the ops included (where(x > 0, 1, slope) was such a float64 temporary).
    """
    made_float64 = []
    wrap = strict_device._wrap

    def checking_wrap(value):
        result = wrap(value)
        if isinstance(result, StrictArray) and result.dtype == np.float64:
            made_float64.append(result.shape)
        return result

    minigen.manual_seed(0)
    model = build_model(name, shape).to("strict")
    config = TrainConfig(model=name, label_smoothing=0.1).resolved()
    task = TASKS[model.kind](model, config)
    x = minigen.tensor(np.random.default_rng(0).random((4, *shape)).astype(np.float32), device="strict")
    monkeypatch.setattr(strict_device, "_wrap", checking_wrap)
    for _ in range(2):  # the second step also runs the optimizers with state
        task.train_step(x)
    assert wrap(np.zeros(1)).dtype == np.float64  # the check sees float64 arrays when there are some
    assert made_float64 == []
