"""Every differentiable function passes a float64 finite-difference gradient check on every device.

The cases (shapes, axes, keepdims, broadcasting, 0-d and non-contiguous inputs,
inputs kept away from kinks) are in op_cases.py, shared with the PyTorch parity tests.
"""

import importlib

import numpy as np
import pytest
from op_cases import CASES

import minigen as mg
from minigen import backend
from minigen.tensor import Function

OPS_MODULES = ["arithmetic", "broadcasting", "elementwise", "indexing", "reduction", "shape"]
ABSTRACT = {"BinaryFunction", "Reduction"}


def make_inputs(case, device, seed=0):
    """The case's inputs as float64 leaf tensors on ``device``; transposed inputs stay non-contiguous views."""
    return [mg.Tensor(backend.to_device(a, device), requires_grad=True) for a in case.arrays(seed)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case, device):
    inputs = make_inputs(case, device)
    output = case.minigen(*inputs)
    assert output.device == device and output.dtype == np.float64, f"{case.name}: {output.device}, {output.dtype}"
    assert mg.gradcheck(case.minigen, *inputs)


def test_transposed_inputs_really_are_non_contiguous():
    transposed = [c for c in CASES if any(i.transposed for i in c.inputs)]
    assert len(transposed) >= 8
    for c in transposed:
        for spec, array in zip(c.inputs, c.arrays()):
            if spec.transposed:
                assert not array.flags.c_contiguous, c.name


def _op_classes():
    """Every concrete Function subclass defined in minigen/ops."""
    classes = set()
    for name in OPS_MODULES:
        module = importlib.import_module(f"minigen.ops.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Function) and value.__module__ == module.__name__:
                classes.add(value.__name__)
    return classes - ABSTRACT


def test_the_table_covers_every_differentiable_op(monkeypatch):
    used = set()
    original_call = Function.__call__

    def recording_call(self, *inputs):
        used.add(type(self).__name__)
        return original_call(self, *inputs)

    monkeypatch.setattr(Function, "__call__", recording_call)
    for case in CASES:
        case.minigen(*make_inputs(case, "cpu"))
    missing = _op_classes() - used
    assert not missing, f"ops without a gradcheck case: {sorted(missing)}"
    assert len(_op_classes()) >= 30


def test_large_inputs_are_checked_along_random_directions(monkeypatch):
    """Inputs above max_elements take the directional check: few function evaluations."""
    calls = []
    x = mg.tensor(np.random.default_rng(1).standard_normal((40, 40)), requires_grad=True)

    def fn(t):
        calls.append(1)
        return mg.functional.tanh(t)

    assert mg.gradcheck(fn, x)
    assert len(calls) <= 2 + 2 * 3  # one forward, one for the loss, two per direction
