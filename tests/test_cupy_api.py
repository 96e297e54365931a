"""CuPy's API covers everything minigen asks of ``xp``: checked without a GPU.

Compute code reaches NumPy and CuPy only through ``xp`` (``xp.exp``, ``self.xp.lib.stride_tricks...``) and
the device's random generator. This file reads minigen's source, collects every such name, and checks that the
installed CuPy has it, so a function CuPy lacks is caught on a CPU-only machine (CI installs CuPy for this).
Whether the functions *behave* the same is the job of the whole suite on the "cuda" device, on a GPU.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import minigen
from minigen import backend

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (CI installs it to run these checks)")

PACKAGE = Path(minigen.__file__).parent


def _dotted_name(node: ast.AST) -> str | None:
    """'xp.lib.stride_tricks.sliding_window_view' for that attribute chain; a call inside it reads as '()'."""
    parts = []
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        else:
            parts.append(node.attr)
            node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@functools.cache
def _source_trees() -> dict[Path, ast.Module]:
    """minigen's modules, parsed, each node knowing its parent (to keep only whole attribute chains)."""
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        trees[path] = tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                child.parent = node
    return trees


def xp_names_used() -> dict[str, set[str]]:
    """{'exp': {'minigen/ops/elementwise.py', ...}, 'lib.stride_tricks.sliding_window_view': {...}, ...}."""
    used: dict[str, set[str]] = {}
    for path, tree in _source_trees().items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or isinstance(getattr(node, "parent", None), ast.Attribute):
                continue
            name = _dotted_name(node)
            if name is None:
                continue
            parts = name.replace("get_array_module.()", "xp").split(".")  # get_array_module(x).exp is xp.exp
            if "xp" in parts[:-1]:  # xp.exp, self.xp.exp, backend.get_device(name).xp.random.default_rng
                after_xp = ".".join(parts[len(parts) - parts[::-1].index("xp") :])
                if "()" not in after_xp:
                    used.setdefault(after_xp, set()).add(str(path.relative_to(PACKAGE.parent)))
    return used


def generator_methods_used() -> set[str]:
    """Methods called on ``device_generator(...)``: the generator that draws noise on the device."""
    methods = set()
    for tree in _source_trees().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
                if (_dotted_name(node.value.func) or "").endswith("device_generator"):
                    methods.add(node.attr)
    return methods


def test_the_source_scan_finds_what_it_should():
    names = xp_names_used()
    assert {"exp", "matmul", "lib.stride_tricks.sliding_window_view", "random.default_rng"} <= set(names)
    assert "ascontiguousarray" in names, "get_array_module(x).ascontiguousarray counts as an xp. call"
    assert "lib" not in names, "only the full chain is collected"
    assert {"standard_normal", "random"} <= generator_methods_used()


def test_cupy_has_every_function_minigen_calls_through_xp():
    missing = {}
    for name, files in sorted(xp_names_used().items()):
        try:
            functools.reduce(getattr, name.split("."), cupy)
        except AttributeError:
            missing[f"cupy.{name}"] = sorted(files)
    assert not missing, f"CuPy {cupy.__version__} lacks functions minigen uses: {missing}"


def test_cupy_generator_draws_what_minigen_draws_in_float32():
    generator_class = type(cupy.random.default_rng(0)) if cupy.is_available() else cupy.random.Generator
    for method in sorted(generator_methods_used()):
        assert hasattr(generator_class, method), f"cupy.random.Generator has no {method}()"
        signature = getattr(generator_class, method).__doc__.splitlines()[0]
        assert "dtype" in signature, f"cupy.random.Generator.{method} takes no dtype: {signature}"


def test_the_cuda_device_uses_functions_cupy_has():
    import cupyx

    for module, name in [(cupy, "asarray"), (cupy, "asnumpy"), (cupy, "ndarray"), (cupyx, "scatter_add")]:
        assert callable(getattr(module, name, None)), f"{module.__name__}.{name} is missing"
    assert callable(cupy.cuda.runtime.getDeviceCount)


@pytest.mark.skipif(cupy.is_available(), reason="checks the message given when CuPy is installed but no GPU works")
def test_cupy_without_a_gpu_is_reported_not_raised():
    assert backend.cuda_is_available() is False
    with pytest.raises(RuntimeError, match=r"device 'cuda' requested but CUDA is not usable \(.+\)"):
        backend.get_device("cuda")
