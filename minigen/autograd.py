"""``minigen.autograd.grad``: gradients returned instead of accumulated, and gradients of gradients.

``grad(outputs, inputs)`` runs the same backward walk as ``loss.backward()`` but hands back
d(outputs)/d(inputs) and leaves every ``.grad`` alone. With ``create_graph=True`` the walk is
recorded (each function's ``backward_graph``), so the result can be differentiated again: a
gradient penalty (WGAN-GP), a Hessian-vector product, ``grad(grad(f(x), x).sum(), x)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigen import backend
from minigen.tensor import Tensor, _as_tensors, _differentiable, _root_gradient, backpropagate

__all__ = ["backward", "grad"]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
) -> tuple[Tensor | None, ...]:
    """The sum over ``outputs`` of d(output)/d(input) weighted by ``grad_outputs``, one per input, as torch's.

    ``grad_outputs`` defaults to ones for one-element outputs; ``retain_graph`` defaults to ``create_graph``.
    An input that no output depends on is an error unless ``allow_unused=True`` (then its entry is None).
    """
    outputs = _as_tensors(outputs, "grad(outputs=...)")
    inputs = _differentiable(_as_tensors(inputs, "grad(inputs=...)"), "grad")
    grad_outputs = _per_output(grad_outputs, len(outputs), "grad: grad_outputs")
    _differentiable(outputs, "grad", role="output")
    root_grads = [_root_gradient(output, gradient, create_graph, f"grad: output {position}")
                  for position, (output, gradient) in enumerate(zip(outputs, grad_outputs))]  # fmt: skip
    found = backpropagate(outputs, root_grads, retain_graph, create_graph, inputs, accumulate=False)
    results: list[Tensor | None] = []
    for position, value in enumerate(inputs):
        result = found.get(id(value))
        if result is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {position} (shape {value.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if result is not None and not isinstance(result, Tensor):  # a plain walk: arrays (views, NumPy scalars)
            array = backend.get_array_module(value.data).asarray(result, dtype=value.dtype)
            result = Tensor(array.copy() if array.base is not None else array)
        results.append(result)
    return tuple(results)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """``tensors[i].backward(grad_tensors[i])`` for all i in one walk (shared parts visited once), as torch's."""
    tensors = _differentiable(_as_tensors(tensors, "backward(tensors=...)"), "backward", role="tensor")
    grad_tensors = _per_output(grad_tensors, len(tensors), "backward: grad_tensors")
    root_grads = [_root_gradient(t, g, create_graph, "backward()") for t, g in zip(tensors, grad_tensors)]
    targets = None if inputs is None else _differentiable(_as_tensors(inputs, "backward(inputs=...)"), "backward")
    backpropagate(tensors, root_grads, retain_graph, create_graph, targets, accumulate=True)


def _per_output(gradients: Any, count: int, what: str) -> list[Any]:
    """One upstream gradient per output: None (ones for one-element outputs), one Tensor or array, or a sequence."""
    if gradients is None:
        return [None] * count
    if isinstance(gradients, Tensor) or backend.device_of(gradients) is not None:
        gradients = [gradients]
    elif not isinstance(gradients, list | tuple):
        raise TypeError(f"{what}: expected a Tensor or a sequence of them, got a {type(gradients).__name__}")
    if len(gradients) != count:
        raise ValueError(f"{what}: {len(gradients)} given for {count} outputs; give one per output")
    return list(gradients)
