"""minigen: deep generative models (GANs, VAEs) from scratch, on NumPy or CuPy.

Start with :func:`tensor`, ``backward()`` and :func:`gradcheck`; layers live in
``minigen.nn``, optimizers in ``minigen.optim``.

The top level has PyTorch's names, so that ``import minigen as torch`` runs PyTorch example
scripts: factories (``zeros``, ``full``, ``arange``, ``randn``, ...; ``minigen/creation.py`` and
``minigen/random.py``), dtypes (``float32``, ``long``, ...; ``minigen/dtypes.py``), ``device``,
``save``/``load``, ``no_grad``/``set_grad_enabled``, ``cuda``, ``accelerator``, and the math:
each top-level function *is* an op of ``minigen.functional`` or a Tensor method
(``minigen.sum(x, 1)`` is ``x.sum(1)``), re-exported, never a second implementation.
"""

# tensor_methods attaches Tensor's operators and methods; accelerator, backends, cuda and utils are torch's
# (torch.cuda.is_available(), torch.backends.cudnn.benchmark, torch.utils.data.DataLoader as attributes)
from minigen import accelerator, autograd, backends, cuda, functional, nn, optim, tensor_methods, utils  # noqa: F401
from minigen.backend import DeviceName as device
from minigen.backend import cuda_is_available, get_array_module
from minigen.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    numel,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from minigen.dtypes import (
    bool,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    long,
    short,
    uint8,
)
from minigen.functional import (
    abs,
    add,
    allclose,
    broadcast_to,
    cat,
    concat,
    concatenate,
    div,
    equal,
    exp,
    flatten,
    log,
    log_softmax,
    logsumexp,
    matmul,
    mul,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    stack,
    sub,
    tanh,
    transpose,
    where,
)
from minigen.grad_mode import inference_mode, set_grad_enabled
from minigen.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigen.random import (
    Generator,
    manual_seed,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from minigen.serialization import CheckpointError, load, save
from minigen.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from minigen.threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

# torch.sum(x, dim, keepdim) is x.sum(dim, keepdim): PyTorch's functions that are also Tensor methods are the methods
# (minigen/tensor_methods.py gives them torch's dim=/keepdim= and return types), re-exported here.
sum, mean, prod, var, std = Tensor.sum, Tensor.mean, Tensor.prod, Tensor.var, Tensor.std
max, min, amax, amin, argmax, argmin = Tensor.max, Tensor.min, Tensor.amax, Tensor.amin, Tensor.argmax, Tensor.argmin
maximum, minimum, clamp, clip = Tensor.maximum, Tensor.minimum, Tensor.clamp, Tensor.clip
squeeze, unsqueeze, t = Tensor.squeeze, Tensor.unsqueeze, Tensor.t

__all__ = [
    "abs", "accelerator", "add", "allclose", "autograd", "amax", "amin", "arange", "argmax", "argmin", "as_tensor",
    "backends", "bool", "broadcast_to", "cat", "CheckpointError", "clamp", "clip", "concat", "concatenate", "cuda",
    "cuda_is_available", "device", "div", "double", "dtype", "empty", "empty_like", "enable_grad", "equal", "exp",
    "eye", "finfo", "flatten", "float", "float16", "float32", "float64", "from_numpy", "full", "full_like",
    "Function", "functional", "Generator", "get_array_module", "get_default_dtype", "get_num_threads", "gradcheck",
    "gradgradcheck", "GradcheckError", "half", "iinfo", "inference_mode", "int", "int16", "int32", "int64", "int8",
    "is_floating_point", "is_grad_enabled", "is_tensor", "linspace", "load", "log", "log_softmax", "logsumexp",
    "long", "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "nn", "no_grad",
    "numel", "ones", "ones_like", "optim", "permute", "pow", "prod", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "relu", "reshape", "save", "set_grad_enabled", "set_num_threads", "short", "sigmoid",
    "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "t", "tanh", "Tensor", "tensor", "transpose",
    "uint8", "unsqueeze", "utils", "var", "where", "zeros", "zeros_like",
]  # fmt: skip
