"""Shared fixtures: every device-aware test runs once per available device."""

import pytest

from minigen import backend


def available_devices():
    """"cpu" always; "cuda" when CuPy and a GPU are usable."""
    devices = ["cpu"]
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
