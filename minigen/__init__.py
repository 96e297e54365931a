"""minigen: deep generative models (GANs, VAEs) from scratch, on NumPy or CuPy.

Start with :func:`tensor`, ``backward()`` and :func:`gradcheck`; layers live in
``minigen.nn``, optimizers in ``minigen.optim``.
"""

from minigen import functional, nn, optim, tensor_methods  # noqa: F401  (tensor_methods attaches Tensor's operators)
from minigen.backend import cuda_is_available, get_array_module
from minigen.gradcheck import GradcheckError, gradcheck
from minigen.random import manual_seed, rand, randn
from minigen.serialization import CheckpointError, load, save
from minigen.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor

__version__ = "0.1.0"

float32 = "float32"
float64 = "float64"

__all__ = [
    "CheckpointError", "Function", "GradcheckError", "Tensor", "cuda_is_available", "enable_grad", "float32", "float64",
    "functional", "get_array_module", "gradcheck", "is_grad_enabled", "load", "manual_seed", "nn", "no_grad", "optim",
    "rand", "randn", "save", "tensor",
]  # fmt: skip
