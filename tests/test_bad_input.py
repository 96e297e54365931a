"""Bad input, probed as a newcomer would meet it: every probe must end in one clear error that names the thing,
the value received and what was expected — never a traceback from deep inside NumPy, never silent acceptance.

This module holds the Python API's table (the exception type and a pattern its message must match); the
``minigen`` command's (exit status 2, one line on stderr in ``minigen: error: ...`` form, naming the
argument) is ``test_cli_errors.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigen as mg
import minigen.nn as nn
import minigen.nn.functional as F
from minigen.data import DataLoader, load_dataset
from minigen.models import build_model

ROOT = Path(__file__).resolve().parents[1]


def _images(*shape: int, dtype: str = "float32") -> mg.Tensor:
    return mg.tensor(np.zeros(shape, dtype))


def _params() -> list[mg.Tensor]:
    return list(nn.Linear(2, 2).parameters())


# (probe, what it does, exception, a pattern the message must match)
API_PROBES: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    ("tensor(None)", lambda: mg.tensor(None), TypeError, r"expected numbers .* got NoneType"),
    ("tensor of strings", lambda: mg.tensor(["a", "b"]), TypeError, r"expected numbers .* got list of dtype <U1"),
    ("tensor of a dict", lambda: mg.tensor({"a": 1}), TypeError, r"got dict"),
    ("integer tensor requiring grad", lambda: mg.tensor([1, 2], requires_grad=True), TypeError,
     r"only floating-point tensors can require gradients, got dtype int64"),
    ("backward of a non-scalar", lambda: (mg.tensor([1.0, 2.0], requires_grad=True) * 2).backward(), RuntimeError,
     r"one-element tensor, got shape \(2,\)"),
    ("backward with a wrong-shaped gradient",
     lambda: (mg.tensor([1.0, 2.0], requires_grad=True) * 2).backward(np.ones(3, np.float32)), ValueError,
     r"gradient of shape \(3,\) for a tensor of shape \(2,\)"),
    ("transpose with a repeated axis", lambda: _images(2, 3, 4).transpose(0, 0, 1), ValueError,
     r"transpose: axes \(0, 0, 1\) are not a permutation"),
    ("flatten past the last axis", lambda: F.flatten(_images(2, 2), 5), ValueError, r"flatten: axis 5 is out of range"),
    ("sum over a missing axis", lambda: _images(2, 3).sum(axis=5), ValueError, r"axis 5 is out of range"),
    ("softmax over a missing dim", lambda: _images(2, 3).softmax(dim=4), ValueError, r"softmax: dim=4"),
    ("Linear(-1, 3)", lambda: nn.Linear(-1, 3), ValueError, r"Linear: in_features must be an int >= 0, got -1"),
    ("Linear(2.5, 3)", lambda: nn.Linear(2.5, 3), ValueError, r"in_features must be an int >= 0, got 2.5"),
    ("Linear fed the wrong width", lambda: nn.Linear(3, 2)(_images(4, 5)), ValueError,
     r"input of shape \(4, 5\) has 5 features but weight of shape \(2, 3\) expects 3"),
    ("Conv2d(0, 4, 3)", lambda: nn.Conv2d(0, 4, 3), ValueError, r"channels must be positive, got in_channels=0"),
    ("Conv2d stride -1", lambda: nn.Conv2d(1, 4, 3, stride=-1), ValueError, r"stride must be >= 1, got -1"),
    ("Conv2d fed the wrong channels", lambda: nn.Conv2d(3, 4, 3)(_images(1, 1, 8, 8)), ValueError,
     r"input has 1 channels .* expects 3"),
    ("Conv2d fed a 3-D batch", lambda: nn.Conv2d(1, 4, 3)(_images(1, 8, 8)), ValueError, r"input must be 4-D"),
    ("kernel larger than the image", lambda: nn.Conv2d(1, 4, 5)(_images(1, 1, 3, 3)), ValueError,
     r"output size \(-1, -1\) is not positive"),
    ("BatchNorm2d eps -1", lambda: nn.BatchNorm2d(3, eps=-1), ValueError, r"eps must be a finite number >= 0, got -1"),
    ("BatchNorm2d(0)", lambda: nn.BatchNorm2d(0), ValueError, r"num_features must be an int >= 1, got 0"),
    ("BatchNorm2d momentum 2", lambda: nn.BatchNorm2d(3, momentum=2), ValueError, r"momentum must be in \[0, 1\]"),
    ("BatchNorm2d fed the wrong channels", lambda: nn.BatchNorm2d(3)(_images(2, 4, 5, 5)), ValueError,
     r"has 4 channels"),
    ("Dropout(1.5)", lambda: nn.Dropout(1.5), ValueError, r"between 0 and 1, but got 1.5"),
    ("max_pool2d kernel 0", lambda: F.max_pool2d(_images(1, 1, 4, 4), 0), ValueError, r"kernel_size must be >= 1"),
    ("SGD lr nan", lambda: mg.optim.SGD(_params(), lr=float("nan")), ValueError,
     r"SGD: invalid learning rate lr=nan \(expected a finite number >= 0\)"),
    ("Adam lr -1", lambda: mg.optim.Adam(_params(), lr=-1), ValueError, r"Adam: invalid learning rate lr=-1"),
    ("Adam lr inf", lambda: mg.optim.Adam(_params(), lr=float("inf")), ValueError, r"lr=inf"),
    ("Adam betas (1.5, 0.9)", lambda: mg.optim.Adam(_params(), betas=(1.5, 0.9)), ValueError, r"invalid betas"),
    ("RMSprop alpha -0.1", lambda: mg.optim.RMSprop(_params(), alpha=-0.1), ValueError, r"invalid alpha=-0.1"),
    ("optimizer of no parameters", lambda: mg.optim.SGD([], lr=0.1), ValueError, r"empty parameter list"),
    ("mse_loss reduction 'avg'", lambda: F.mse_loss(mg.tensor([1.0]), mg.tensor([1.0]), reduction="avg"),
     ValueError, r"reduction must be one of .* got 'avg'"),
    ("mse_loss of mismatched shapes", lambda: F.mse_loss(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.0, 3.0])),
     ValueError, r"target of shape \(3,\) for an input of shape \(2,\)"),
    ("binary_cross_entropy of 1.5", lambda: F.binary_cross_entropy(mg.tensor([1.5]), mg.tensor([1.0])), ValueError,
     r"must be a probability in \[0, 1\]"),
    ("binary_cross_entropy of NaN", lambda: F.binary_cross_entropy(mg.tensor([float("nan")]), mg.tensor([1.0])),
     ValueError, r"must be a probability in \[0, 1\]"),
    ("tensor of a complex array", lambda: mg.tensor(np.array([1j])), TypeError, r"got an array of dtype complex128"),
    ("transpose with a float axis", lambda: _images(2, 3).transpose(0.5, 1), TypeError,
     r"transpose: axis 0.5 is a float \(expected an int\)"),
    ("cross_entropy label 5 of 3 classes", lambda: F.cross_entropy(_images(2, 3), np.array([0, 5])), ValueError,
     r"every label must be in \[0, 3\)"),
    ("cross_entropy float labels", lambda: F.cross_entropy(_images(2, 3), np.array([0.5, 1.0])), TypeError,
     r"integer class labels, got dtype float64"),
    ("manual_seed(1.5)", lambda: mg.manual_seed(1.5), ValueError, r"manual_seed: seed must be an int .* got 1.5"),
    ("manual_seed(2**70)", lambda: mg.manual_seed(2**70), ValueError, r"seed must be an int in"),
    ("tensor.to('tpu')", lambda: mg.tensor([1.0]).to("tpu"), ValueError, r"unknown device 'tpu'"),
    ("item() of two elements", lambda: mg.tensor([1.0, 2.0]).item(), ValueError, r"one element, got shape \(2,\)"),
    ("gradcheck in float32", lambda: mg.gradcheck(lambda x: x * 2, mg.tensor([1.0], requires_grad=True)), TypeError,
     r"gradcheck needs float64 inputs"),
    ("DataLoader batch_size 0", lambda: DataLoader(np.zeros((4, 1, 2, 2), np.uint8), np.zeros(4), 0), ValueError,
     r"batch_size must be a positive int, got 0"),
    ("unknown dataset", lambda: load_dataset("svhn", "train"), ValueError, r"unknown dataset 'svhn'; expected one of"),
    ("unknown split", lambda: load_dataset("mnist-embedded", "val"), ValueError, r"unknown split 'val'"),
    ("unknown model", lambda: build_model("transformer", (1, 28, 28)), ValueError, r"unknown model 'transformer'"),
    ("DCGAN on 30x30 images", lambda: build_model("dcgan", (1, 30, 30)), ValueError, r"needs 32x32 or 64x64 images"),
    ("save a function", lambda: mg.save({"a": print}, os.devnull), TypeError, r"obj\['a'\] is a"),
    ("save into a missing folder", lambda: mg.save({"a": 1}, "/nonexistent-minigen/x.npz"), FileNotFoundError,
     r"save: cannot write /nonexistent-minigen/x.npz: the folder /nonexistent-minigen does not exist"),
    ("save onto a folder", lambda: mg.save({"a": 1}, os.path.dirname(__file__)), IsADirectoryError, r"it is a folder"),
    ("load a missing file", lambda: mg.load("/nonexistent-minigen/x.npz"), FileNotFoundError,
     r"/nonexistent-minigen/x.npz"),
    ("load_state_dict of the wrong shape",
     lambda: nn.Linear(2, 2).load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)}), RuntimeError,
     r"size mismatch for weight"),
]


@pytest.mark.parametrize("name, probe, error, pattern", API_PROBES, ids=[p[0] for p in API_PROBES])
def test_api_probe_fails_clearly(name, probe, error, pattern):
    with pytest.raises(error, match=pattern) as caught:
        probe()
    message = str(caught.value)
    assert message.strip(), f"{name}: an empty message"
    assert len(message) < 600, f"{name}: a message of {len(message)} characters"
