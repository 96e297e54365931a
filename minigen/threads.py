"""``set_num_threads(n)`` / ``get_num_threads()``: how many threads the CPU's BLAS (matmul, conv) may use.

On the CPU minigen's heavy work is NumPy's BLAS (OpenBLAS in NumPy's wheels, or MKL). The count is set
through threadpoolctl when it is installed, else by calling the BLAS library NumPy has loaded (found in
``/proc/self/maps`` on Linux) through ctypes -- what threadpoolctl itself does. Where neither works, the
number is recorded and ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` are set,
which reaches only libraries loaded later and child processes. The GPU needs no such setting.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import re
from typing import Any

__all__ = ["get_num_threads", "set_num_threads"]

_ENVIRONMENT = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# (set, get) symbol pairs of the BLAS libraries NumPy ships with or links to
_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)
_recorded: int | None = None
_blas: list[tuple[Any, Any]] | None = None  # (set, get) functions found, once looked for


def _blas_functions() -> list[tuple[Any, Any]]:
    """The (set, get) thread-count functions of the BLAS libraries loaded in this process (Linux), found once."""
    global _blas
    if _blas is None:
        _blas = []
        with contextlib.suppress(OSError):
            with open("/proc/self/maps") as maps:
                paths = sorted(set(re.findall(r"(/\S*(?:openblas|mkl_rt|blas)\S*\.so[.\d]*)", maps.read())))
            for path in paths:
                with contextlib.suppress(OSError):
                    library = ctypes.CDLL(path)
                    for set_name, get_name in _SYMBOLS:
                        if hasattr(library, set_name) and hasattr(library, get_name):
                            setter, getter = getattr(library, set_name), getattr(library, get_name)
                            setter.restype, getter.restype = None, ctypes.c_int
                            _blas.append((setter, getter))
                            break
    return _blas


def _threadpoolctl() -> Any:
    try:
        return importlib.import_module("threadpoolctl")
    except ImportError:
        return None


def set_num_threads(n: int) -> None:
    """Let the CPU's BLAS use ``n`` threads (n >= 1), as torch.set_num_threads."""
    global _recorded
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected an int >= 1, got {n!r}")
    _recorded = n
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(limits=n, user_api="blas")
        return
    functions = _blas_functions()
    for setter, _ in functions:
        setter(ctypes.c_int(n))
    if not functions:  # nothing to call: reach libraries loaded later and child processes
        for name in _ENVIRONMENT:
            os.environ[name] = str(n)


def get_num_threads() -> int:
    """The number of threads the CPU's BLAS uses, as torch.get_num_threads."""
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is not None:
        counts = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return int(max(counts))
    functions = _blas_functions()
    if functions:
        return max(int(getter()) for _, getter in functions)
    if _recorded is not None:
        return _recorded
    with contextlib.suppress(ValueError):
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    return os.cpu_count() or 1
