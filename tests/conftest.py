"""Shared fixtures: every device-aware test runs once per device.

Devices: "cpu" always; "strict" always (a test-only device, see strict_device.py,
that fails on any hidden host/device conversion, so CPU-only CI catches the bug
that would break CUDA); "cuda" when CuPy and a GPU are usable.
"""

import pytest
from strict_device import STRICT

from minigen import backend

backend.register_device(STRICT)


def available_devices():
    """"cpu" and "strict" always; "cuda" when CuPy and a GPU are usable."""
    devices = ["cpu", "strict"]
    if backend.cuda_is_available():
        devices.append("cuda")
    return devices


@pytest.fixture(params=available_devices())
def device(request):
    """The name of a device to run on."""
    return request.param


@pytest.fixture
def torch():
    """PyTorch for parity tests, in float64; the test is skipped where it is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(torch.float32)
