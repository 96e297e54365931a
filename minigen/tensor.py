"""Tensor and reverse-mode automatic differentiation.

A :class:`Tensor` wraps an array (``.data``, NumPy or CuPy) and remembers the
:class:`Function` that produced it (``._creator``). Calling ``loss.backward()``
walks that graph from the loss back to the leaves in reverse topological order
and applies the chain rule once per function:

    dL/d(input) = backward(dL/d(output))

Functions keep their inputs (to pass gradients on) but never their outputs, so
a graph has no reference cycles and is freed as soon as the loss is dropped.
The math methods of Tensor (``x.exp()``, ``x + y``, ...) are attached in
``minigen/tensor_methods.py`` from the functions of ``minigen.functional``.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from minigen import backend

__all__ = ["Function", "Tensor", "enable_grad", "is_grad_enabled", "no_grad", "tensor"]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """False inside ``with minigen.no_grad():``."""
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) inside which operations record no graph.

    Use it for evaluation and sampling: no Function keeps its inputs, so memory
    is released at once.
    """

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous


class enable_grad(contextlib.ContextDecorator):
    """Record graphs again inside ``no_grad()`` (as torch.enable_grad): e.g. an optimizer's closure."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, True

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous


class Tensor:
    """An array with an optional gradient and a link to the function that made it.

    Leaves (tensors you create, such as parameters) have no creator; with
    ``requires_grad=True`` they receive ``.grad`` after ``backward()``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_creator", "_versions", "__weakref__")
    _is_minigen_tensor = True  # lets the backend unwrap tensors without importing this module
    __array_ufunc__ = None  # numpy_array * tensor calls Tensor.__rmul__ instead of NumPy's loop

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        """Wrap an existing array as it is (no copy). Prefer :func:`minigen.tensor`."""
        if backend.device_of(data) is None:
            raise TypeError(
                f"Tensor wraps an array of a known device, got {type(data).__name__}; use minigen.tensor(data)"
            )
        self.data = data
        self.grad: Tensor | None = None
        self.requires_grad = requires_grad
        self._creator: Function | None = None
        self._versions = [0]  # the version counter, shared with the tensors that view the same memory

    @property
    def _version(self) -> int:
        """How many in-place changes minigen has made to this memory (see bump_version)."""
        return self._versions[0]

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        """The number of dimensions (``ndim``), as torch's ``Tensor.dim()``."""
        return self.data.ndim

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or with ``dim`` the length of that dimension (negative counts from the end), as torch."""
        if dim is None:
            return self.shape
        if self.ndim == 0:
            raise IndexError(f"size: dim={dim!r} given, but a 0-d tensor has no dimensions")
        return self.shape[self._dim_index(dim, "size")]

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def _dim_index(self, dim: Any, method: str) -> int:
        """``dim`` as a non-negative index of this tensor's dimensions, or torch's IndexError naming ``method``."""
        if isinstance(dim, bool) or not hasattr(dim, "__index__"):
            raise TypeError(f"{method}: dim={dim!r} is a {type(dim).__name__}, expected an int")
        rank = max(self.ndim, 1)  # a 0-d tensor has dims 0 and -1, as in torch
        if not -rank <= dim < rank:
            raise IndexError(
                f"{method}: dim={dim} is out of range for a tensor of shape {self.shape} "
                f"(expected in [{-rank}, {rank - 1}])"
            )
        return int(dim) % rank

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def device(self) -> backend.DeviceName:
        """Where the data lives, as ``minigen.device``: equal to "cpu" or "cuda", with ``.type``."""
        return backend.DeviceName(backend.device_of(self.data).name)

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device == "cpu"

    # PyTorch's other accelerators (Intel XPU, Apple MPS): minigen runs on NumPy or CuPy only.
    is_xpu = False
    is_mps = False

    @property
    def is_leaf(self) -> bool:
        return self._creator is None

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    __hash__ = object.__hash__  # == is elementwise, so hash by identity

    def __repr__(self) -> str:
        body = repr(backend.to_numpy(self.data)).removeprefix("array(").removesuffix(")")
        extras = ""
        if self.device != "cpu":
            extras += f", device='{self.device}'"
        if self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    # --------------------------------------------------------- host and device
    def numpy(self) -> Any:
        """The values as a host NumPy array (copied from the GPU if needed)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers; a 0-d tensor gives a number, as torch."""
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no copy); it shares this tensor's version counter, as in torch."""
        result = Tensor(self.data)
        result._versions = self._versions
        return result

    def clone(self) -> Tensor:
        """A copy with its own memory; differentiable (the gradient passes through), as torch.clone."""
        return Copy()(self)

    def contiguous(self) -> Tensor:
        """``self`` when its memory is C-contiguous, else a contiguous copy (differentiable), as torch."""
        return self if self.data.flags.c_contiguous else Copy(order="C")(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor on another device and/or in another dtype, as torch's ``Tensor.to``.

        ``to("cuda")``, ``to(minigen.float64)``, ``to("cpu", "float64")``, ``to(other_tensor)`` (its device and
        dtype), ``to(device=..., dtype=...)``; ``copy=True`` always copies, ``non_blocking`` is accepted and
        ignored. Differentiable, and ``self`` when nothing changes (as in torch).
        """
        device, dtype, copy = _to_arguments(self, args, kwargs)
        result = self
        if dtype is not None and (dtype != self.dtype or copy):
            result = Copy(dtype)(result)
        if device is not None and device is not backend.device_of(self.data):
            result = ToDevice(device)(result)
        elif copy and result is self:
            result = Copy()(result)
        return result

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        """A float32 copy (``self`` when already float32), as torch's ``Tensor.float()``."""
        return self.to("float32")

    def double(self) -> Tensor:
        """A float64 copy (``self`` when already float64)."""
        return self.to("float64")

    def long(self) -> Tensor:
        """An int64 copy (``self`` when already int64); truncates towards zero and carries no gradient."""
        return self.to("int64")

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------------------------------ in place
    def bump_version(self) -> None:
        """Record that ``data`` was changed in place (PyTorch's ``_version``).

        Every function of the graph remembers its inputs' versions; ``backward()`` refuses to use
        a tensor whose version moved since, as its saved values would give wrong gradients.
        Optimizers, ``nn.init`` and ``load_state_dict`` call this; so do the in-place methods below.
        A write through the raw array (``t.data[...] = 0``) cannot be seen: use them instead.
        A view (``x.reshape(...)``, ``x[0]``, ``x.t()``) shares its base's counter, as in PyTorch:
        a change made through either is seen by both.
        """
        self._versions[0] += 1

    def _in_place(self, method: str, value: Any) -> Tensor:
        self._check_in_place(method)
        self.data[...] = value
        self.bump_version()
        return self

    def _check_in_place(self, method: str) -> None:
        """Refuse an in-place change that the graph could not follow (torch refuses it on a leaf that requires grad)."""
        if _grad_enabled and self.requires_grad:
            raise RuntimeError(
                f"{method}: an in-place change of a tensor that requires grad would corrupt its gradient; "
                "do it inside 'with minigen.no_grad():' (as optimizers and nn.init do)"
            )

    def _value(self, other: Any, method: str = "in-place op") -> Any:
        """``other`` as an array for an in-place op: a Tensor's data, or a scalar/array on this tensor's device."""
        if isinstance(other, Tensor):
            if _grad_enabled and other.requires_grad:
                raise RuntimeError(
                    f"{method}: the operand requires grad, and minigen's in-place methods record no graph; "
                    "use the out-of-place form (e.g. x = x + y) or detach() the operand"
                )
            other = other.data
        return backend.as_array(other, dtype=self.dtype, device=self.device)

    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        return self._in_place("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` (a number or a one-element tensor), in place."""
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(f"fill_: value must be a number or a 0-d tensor, got a tensor of shape {value.shape}")
        return self._in_place("fill_", self._value(value, "fill_"))

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source``'s values (broadcast to this shape, from any device and dtype) into this tensor, in place."""
        return self._in_place("copy_", self._value(source, "copy_"))

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place."""
        return self._in_place("add_", self.data + self._value(other, "add_") * self.dtype.type(alpha))

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        return self._in_place("mul_", self.data * self._value(other, "mul_"))

    # ------------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:  # fmt: skip
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (only into ``inputs``' when they are given).

        ``gradient`` is the upstream gradient dL/d(self); it may be omitted for a
        one-element tensor (then dL/d(self) = 1). As in PyTorch, each function
        frees what its forward saved as soon as its backward has run, so the graph
        can be walked once; ``retain_graph=True`` keeps it for another backward.
        ``create_graph=True`` records the backward pass itself, so that the gradients
        can be differentiated again (it implies ``retain_graph``).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no parameter led to it)")
        targets = None if inputs is None else _differentiable(_as_tensors(inputs, "backward(inputs=...)"), "backward")
        root_grad = _root_gradient(self, gradient, create_graph, "backward()")
        backpropagate([self], [root_grad], retain_graph, create_graph, targets, accumulate=True)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (on a leaf only, as in torch) and return self."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use detach() to cut it from the graph")
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only floating-point tensors can require gradients, got {self.dtype}")
        self.requires_grad = requires_grad
        return self


def _as_tensors(values: Any, what: str) -> list[Tensor]:
    """One Tensor or a non-empty sequence of them, as a list; anything else is a one-line error naming ``what``."""
    if isinstance(values, Tensor):
        return [values]
    if not isinstance(values, list | tuple):
        raise TypeError(f"{what}: expected a Tensor or a sequence of Tensors, got a {type(values).__name__}")
    if not values:
        raise RuntimeError(f"{what}: got an empty sequence; expected at least one Tensor")
    for value in values:
        if not isinstance(value, Tensor):
            raise TypeError(f"{what}: expected Tensors, got a {type(value).__name__} in the sequence")
    return list(values)


def _differentiable(tensors: list[Tensor], what: str, role: str = "input") -> list[Tensor]:
    """``tensors``, each checked to require grad (the ones differentiated, or differentiated with respect to)."""
    for position, value in enumerate(tensors):
        if not value.requires_grad:
            raise RuntimeError(f"{what}: {role} {position} (shape {value.shape}) does not require grad")
    return tensors


def _root_gradient(output: Tensor, gradient: Any, create_graph: bool, what: str) -> Any:
    """dL/d(output) to start from: ones for a one-element output, else ``gradient`` checked against its shape.

    An array for a plain backward; a Tensor when the backward is recorded (it may itself require grad).
    """
    xp = backend.get_array_module(output.data)
    if gradient is None:
        if output.numel() != 1:
            raise RuntimeError(f"{what} without a gradient needs a one-element tensor, got shape {output.shape}")
        return Tensor(xp.ones_like(output.data)) if create_graph else xp.ones_like(output.data)
    if isinstance(gradient, Tensor):
        if gradient.device != output.device:
            raise RuntimeError(f"{what}: gradient on {gradient.device} for a tensor on {output.device}")
        if tuple(gradient.shape) != output.shape:
            raise ValueError(f"{what}: gradient of shape {gradient.shape} for a tensor of shape {output.shape}")
        if create_graph:
            return gradient if gradient.dtype == output.dtype else gradient.to(output.dtype)
        gradient = gradient.data
    array = backend.as_array(gradient, dtype=output.dtype, device=output.device)  # host arrays move, dtype matches
    if tuple(array.shape) != output.shape:
        raise ValueError(f"{what}: gradient of shape {tuple(array.shape)} for a tensor of shape {output.shape}")
    return Tensor(array) if create_graph else array


def topological_order(roots: list[Tensor]) -> list[Tensor]:
    """Every tensor that leads to ``roots`` and needs a gradient, inputs before outputs.

    Iterative depth-first search, so a 10,000-deep chain needs no recursion. A function freed by an earlier
    backward has no inputs left: the walk stops there (and the backward that needs it says so).
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node._creator is not None:
            for parent in node._creator.inputs:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backpropagate(roots: list[Tensor], root_grads: list[Any], retain_graph: bool | None, create_graph: bool,
                  targets: list[Tensor] | None, accumulate: bool) -> dict[int, Any]:  # fmt: skip
    """The chain rule over the graph behind ``roots``, outputs first: each function's backward turns
    dL/d(output) into dL/d(inputs), and the gradients reaching a tensor from several uses are added.

    With ``targets``, only the functions on a path to one of them run; their gradients are returned
    by id (and, with ``accumulate``, added to their ``.grad``). Without, every leaf's ``.grad`` gets its
    gradient. With ``create_graph`` the gradients are Tensors and each function's ``backward_graph``
    computes them with differentiable ops, so the whole walk is itself a graph.
    """
    if retain_graph is None:
        retain_graph = create_graph
    order = topological_order(roots)
    freed = next((node._creator for node in order if node._creator is not None and node._creator.released), None)
    target_ids = set() if targets is None else {id(t) for t in targets}
    reaches = None  # ids of the tensors from which a target can be reached (None: every tensor counts)
    leads_on = set()  # ids of the tensors whose creator's inputs reach a target: their creator must run
    if targets is not None:
        reaches = set(target_ids)
        for node in order:  # inputs come first, so each parent is decided before its children
            creator = node._creator
            if creator is not None and any(p is not None and id(p) in reaches for p in creator.inputs):
                leads_on.add(id(node))
            # a function freed by an earlier walk has lost its inputs: whether a target lies behind is unknown
            if id(node) in leads_on or (creator is not None and creator.released):
                reaches.add(id(node))
    grads: dict[int, Any] = {}  # dL/d(node) for nodes not yet processed
    for root, root_grad in zip(roots, root_grads):
        grads[id(root)] = grads[id(root)] + root_grad if id(root) in grads else root_grad
    found: dict[int, Any] = {}
    # A .grad must own its memory. An array a backward made afresh can be kept as it is; one that is a view
    # (a broadcast is read-only), the caller's own, or already handed to another tensor is copied.
    handed_out = {id(g) for g in root_grads}
    with enable_grad() if create_graph else no_grad():
        for node in reversed(order):
            node_grad = grads.pop(id(node), None)
            if node_grad is None:
                continue  # every path from here to the roots had a None gradient
            creator = node._creator
            if creator is not None and creator.released and id(node) not in target_ids:
                raise creator.freed_error()  # its links to its inputs are gone: a target may lie behind it
            if reaches is not None and id(node) not in reaches:
                continue  # no target lies behind
            if id(node) in target_ids:
                found[id(node)] = node_grad
            if accumulate and (node.is_leaf or id(node) in target_ids):
                _accumulate(node, node_grad, handed_out, create_graph)
            if creator is None or (reaches is not None and id(node) not in leads_on):
                continue  # a leaf, or a target with no other target behind it (a freed one has no inputs left)
            # backward_graph reads the inputs themselves, so in-place changes to any of them matter
            reads_inputs = create_graph and type(creator).backward_graph is not type(creator).backward
            creator.check_versions(node, every_input=reads_inputs)
            parents, wants = creator.inputs, creator.wants_grad
            if reaches is not None:  # skip the gradients no target needs (they may cost a whole product)
                creator.wants_grad = tuple(w and p is not None and id(p) in reaches for w, p in zip(wants, parents))
            try:
                input_grads = creator.backward_graph(node_grad) if create_graph else creator.backward(node_grad)
            finally:
                creator.wants_grad = wants
            if not retain_graph:
                creator.release()
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, parent_grad in zip(parents, input_grads):
                if parent is None or parent_grad is None or not parent.requires_grad:
                    continue
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad
    if len(found) < len(target_ids) and freed is not None:  # a target not reached may lie behind a freed function
        raise freed.freed_error()
    return found


def _accumulate(tensor: Tensor, grad: Any, handed_out: set[int], create_graph: bool) -> None:
    """Add ``grad`` to ``tensor.grad`` (a new tensor; recorded when ``create_graph`` or when .grad holds a graph)."""
    if create_graph or (tensor.grad is not None and tensor.grad.requires_grad):
        grad = grad if isinstance(grad, Tensor) else Tensor(grad)
        grad = grad if grad.dtype == tensor.dtype else grad.to(tensor.dtype)
        if tensor.grad is not None:
            tensor.grad = tensor.grad + grad
            return
        if grad.data.base is not None or id(grad) in handed_out:
            grad = grad.clone()  # its own memory, still part of the graph
        handed_out.add(id(grad))
        tensor.grad = grad
        return
    fresh = backend.get_array_module(tensor.data).asarray(grad, dtype=tensor.dtype)
    if tensor.grad is not None:
        tensor.grad = Tensor(tensor.grad.data + fresh)
        return
    if fresh is grad and (getattr(fresh, "base", None) is not None or id(fresh) in handed_out):
        fresh = fresh.copy()
    handed_out.add(id(fresh))
    tensor.grad = Tensor(fresh)


class Function:
    """A differentiable operation: ``forward`` on arrays, ``backward`` on gradients.

    Subclasses implement

    * ``forward(*arrays) -> array``: compute the output with ``self.xp``
      (numpy or cupy) and save what backward needs on ``self``;
    * ``backward(grad_output) -> grad_input or tuple of them``: the chain rule,
      one entry per input (None where no gradient flows), on arrays;
    * ``backward_graph(grad_output)``: the same chain rule on Tensors, with differentiable
      ops, so that ``create_graph=True`` records it (gradients of gradients).

    Options such as an axis go to the constructor: ``Sum(axis=1)(x)``.
    """

    inputs: tuple[Tensor | None, ...] = ()
    input_versions: tuple[int, ...] = ()
    wants_grad: tuple[bool, ...] = ()  # which inputs required a gradient when the graph was recorded
    output_version = 0
    saves_inputs = True  # False where backward never reads an input's values (add, reshape, exp: it keeps y)
    released = False  # set by release(): backward has run and freed what forward saved
    xp: Any = None

    def __call__(self, *inputs: Any) -> Tensor:
        tensors = [value for value in inputs if isinstance(value, Tensor)]
        if not tensors:
            raise TypeError(f"{self.name}: expected at least one Tensor input")
        reference = tensors[0]
        device = backend.device_of(reference.data)
        for other in tensors[1:]:
            other_device = backend.device_of(other.data)
            if other_device is not device:
                raise RuntimeError(
                    f"{self.name}: tensors on different devices, {device.name} and {other_device.name}; "
                    "move one with .to(device)"
                )
        self.xp = device.xp
        arrays = [value.data if isinstance(value, Tensor) else self._operand(value, reference) for value in inputs]
        if any(a.dtype.kind in "biu" for a in arrays):
            arrays = self._promote(arrays, tensors)
        records = _grad_enabled and any(t.requires_grad for t in tensors)
        if records:  # set before forward, so that forward saves only what the wanted gradients need
            self.inputs = tuple(value if isinstance(value, Tensor) else None for value in inputs)
            self.input_versions = tuple(value._version if isinstance(value, Tensor) else 0 for value in inputs)
            self.wants_grad = tuple(isinstance(value, Tensor) and value.requires_grad for value in inputs)
        output = self.forward(*arrays)
        if backend.device_of(output) is None:  # NumPy reductions return scalars, not 0-d arrays
            output = self.xp.asarray(output)

        result = Tensor(output)
        if output.base is not None:  # a view of an input (reshape, slicing, transpose) shares its version counter
            viewed = next((t for t in tensors if self.xp.may_share_memory(output, t.data)), None)
            if viewed is not None:
                result._versions = viewed._versions
        if records:
            result.requires_grad = True
            result._creator = self
            self.output_version = result._version
        return result

    @property
    def name(self) -> str:
        return type(self).__name__

    @staticmethod
    def _promote(arrays: list[Any], tensors: list[Tensor]) -> list[Any]:
        """PyTorch's promotion: integer and boolean operands meeting a float compute in its dtype.

        An int64 batch fed to a float32 layer computes in float32 (NumPy would take float64,
        silently doubling the cost). The float dtype is the first float tensor's, else the first float operand's.
        """
        float_dtype = next((t.dtype for t in tensors if t.dtype.kind == "f"), None)
        if float_dtype is None:
            float_dtype = next((a.dtype for a in arrays if a.dtype.kind == "f"), None)
        if float_dtype is None:  # integers only: they stay integers
            return arrays
        return [a.astype(float_dtype) if a.dtype.kind in "biu" else a for a in arrays]

    def _operand(self, value: Any, reference: Tensor) -> Any:
        """A non-Tensor operand as an array with ``reference``'s device and dtype.

        Python scalars and 0-d arrays take the tensor's dtype (``x * 0.5`` stays
        float32); an array from another device is an error, not a silent copy.
        """
        device = backend.device_of(value)
        reference_device = backend.device_of(reference.data)
        if device is reference_device and value.ndim == 0:  # a 0-d array: no trip through the host
            takes_dtype = value.dtype.kind in "iu" or (value.dtype.kind == "f" and reference.dtype.kind == "f")
            return value.astype(reference.dtype) if takes_dtype else value
        if device is None or value.ndim == 0:  # a scalar, or a 0-d array from another device
            host_value = value if device is None else backend.to_numpy(value)
            keeps_dtype = reference.dtype.kind == "f" or not isinstance(value, float)
            # an integer tensor meeting a Python float computes in float32 (minigen's default), as in PyTorch
            return self.xp.asarray(host_value, dtype=reference.dtype if keeps_dtype else "float32")
        if device is not reference_device:
            raise RuntimeError(
                f"{self.name}: a {device.name} array mixed with a tensor on {reference.device}; "
                "move it with minigen.tensor(array, device=...)"
            )
        if value.dtype != reference.dtype and value.dtype.kind in "fiu" and reference.dtype.kind == "f":
            return value.astype(reference.dtype)
        return value

    def release(self) -> None:
        """Drop everything forward saved and the links to the inputs, once backward has used them."""
        self.__dict__.clear()
        self.released = True

    def check_versions(self, output: Tensor, every_input: bool = False) -> None:
        """Refuse to run backward when a saved input (or the output, which some save) changed in place since forward.

        ``every_input``: check the inputs even of a function that saves none (its ``backward_graph`` reads them).
        """
        if self.released:
            raise self.freed_error()
        pairs = zip(self.inputs, self.input_versions) if self.saves_inputs or every_input else ()
        changed = [(f"input {i}", t, version) for i, (t, version) in enumerate(pairs)
                   if t is not None and t._version != version]  # fmt: skip
        if output._version != self.output_version:
            changed.append(("output", output, self.output_version))
        if changed:
            what, tensor, version = changed[0]
            raise RuntimeError(
                f"backward: the {what} of {self.name} (a tensor of shape {tensor.shape}) was changed in place "
                f"after {self.name} used it (version {tensor._version}, was {version}), so its gradient would be "
                "wrong; call backward() before optimizer.step() or any in-place change, or compute the loss again"
            )

    def freed_error(self) -> RuntimeError:
        return RuntimeError(
            f"backward: {self.name}'s saved values were freed by an earlier backward() through this graph; "
            "pass retain_graph=True to the first backward() to walk the graph again, or compute the loss again"
        )

    def input_needs_grad(self, index: int) -> bool:
        """True when input ``index`` is a Tensor that wants a gradient (backward may skip the others; forward,
        which may ask too, need not save what only their gradients use). False for all under ``no_grad``."""
        return index < len(self.wants_grad) and self.wants_grad[index]

    def forward(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(f"{self.name} is not differentiable")

    def backward_graph(self, grad_output: Tensor) -> Any:
        """``backward``'s chain rule written with differentiable ops on Tensors (the inputs are ``self.inputs``),
        used by ``backward(create_graph=True)``: the gradients it returns are graphs, to be differentiated again."""
        raise NotImplementedError(
            f"{self.name}: its gradient cannot be differentiated again yet (create_graph=True); "
            "compute without create_graph, or build the loss from ops that support it"
        )


class Adjoint(Function):
    """g -> ``op``'s backward of g, recorded: the backward of a *linear* op y = A x (average pooling,
    interpolation, fold), which is g -> A^T g whatever x is. Its own gradient is A again: ``op``'s forward.
    A linear op's ``backward_graph`` is ``Adjoint(self)(grad)``."""

    saves_inputs = False

    def __init__(self, op: Function) -> None:
        self.op = copy.copy(op)  # op frees its state once its backward has run; the copy keeps the settings

    def forward(self, grad: Any) -> Any:
        self.op.xp = self.xp
        return self.op.backward(grad)

    def backward(self, grad: Any) -> Any:
        return copy.copy(self.op).forward(grad)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return copy.copy(self.op)(grad)


def linear_backward_graph(op: Function, grad: Tensor) -> Tensor:
    """``backward_graph`` of a linear op: its backward, recorded as an :class:`Adjoint`."""
    return Adjoint(op)(grad)


class ToDevice(Function):
    """Copy to another device. d/dx: the gradient copied back."""

    def __init__(self, device: str) -> None:
        self.target = backend.get_device(device)

    def __call__(self, x: Tensor) -> Tensor:  # the one op whose output leaves the input's device
        self.source = backend.device_of(x.data)
        result = Tensor(backend.to_device(x.data, self.target), requires_grad=x.requires_grad and _grad_enabled)
        if result.requires_grad:
            result._creator, self.inputs, self.input_versions = self, (x,), (x._version,)
        return result

    def backward(self, grad_output: Any) -> Any:
        return backend.to_device(grad_output, self.source)

    def backward_graph(self, grad_output: Tensor) -> Tensor:
        return ToDevice(self.source)(grad_output)


class Copy(Function):
    """y = x copied, cast to ``dtype`` when one is given. dL/dx = dL/dy cast back to x's dtype.

    An integer or boolean y carries no gradient (as in torch). ``order="C"`` makes the copy contiguous;
    the default keeps x's memory layout, as torch.clone does.
    """

    saves_inputs = False

    def __init__(self, dtype: Any = None, order: str = "K") -> None:
        self.dtype, self.order = dtype, order

    def __call__(self, x: Tensor) -> Tensor:
        result = super().__call__(x)
        if result.dtype.kind != "f":
            result.requires_grad, result._creator = False, None
        return result

    def forward(self, x: Any) -> Any:
        self.input_dtype = x.dtype
        return x.astype(x.dtype if self.dtype is None else self.dtype, order=self.order, copy=True)

    def backward(self, grad: Any) -> Any:
        return grad.astype(self.input_dtype, copy=False)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad if grad.dtype == self.input_dtype else Copy(self.input_dtype)(grad)


def _as_dtype(value: Any) -> Any:
    """``value`` as a dtype ("float32", minigen.float64, a NumPy dtype or type), or None when it is not one."""
    if value is None or isinstance(value, bool | backend.Device):
        return None
    try:
        return backend.as_array(0, dtype=value).dtype
    except TypeError:
        return None


def _as_device(value: Any) -> backend.Device:
    """``value`` as a Device ("cpu", "cuda", "cuda:0", minigen.device(...), a Device), with an error naming to()'s."""
    if not isinstance(value, str | backend.Device):
        raise TypeError(f"to(): got {value!r} ({type(value).__name__}); expected a device, a dtype or a Tensor")
    try:
        return backend.get_device(value)
    except ValueError as error:
        raise ValueError(f"to(): {value!r} is neither a dtype nor a device ({error})") from None


def _to_arguments(tensor: Tensor, args: tuple, kwargs: dict) -> tuple[backend.Device | None, Any, bool]:
    """(device, dtype, copy) from torch's forms of ``Tensor.to``: (device, dtype), (dtype), (other), and keywords."""
    unknown = sorted(set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"})
    if unknown:
        raise TypeError(f"to(): unexpected keyword argument {unknown[0]!r}; expected device=, dtype=, copy=")
    device = None if kwargs.get("device") is None else _as_device(kwargs["device"])
    dtype = None
    if kwargs.get("dtype") is not None:
        dtype = _as_dtype(kwargs["dtype"])
        if dtype is None:
            raise TypeError(f"to(): dtype={kwargs['dtype']!r} is not a dtype (expected e.g. minigen.float32)")
    flags = []  # non_blocking, copy: the trailing positional bools
    for value in args:
        if isinstance(value, Tensor):
            device, dtype = backend.device_of(value.data), value.dtype
        elif isinstance(value, bool):
            flags.append(value)
        elif _as_dtype(value) is not None:
            dtype = _as_dtype(value)
        else:
            device = _as_device(value)
    if len(flags) > 2:
        raise TypeError(f"to(): too many positional flags {flags} (expected non_blocking, copy)")
    copy = bool(kwargs.get("copy", flags[1] if len(flags) == 2 else False))
    return device, dtype, copy


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: str | None = None) -> Tensor:
    """A new leaf tensor from a list, scalar, NumPy/CuPy array or Tensor.

    Python floats become float32; arrays keep their dtype unless ``dtype`` is
    given. ``device`` is "cpu" or "cuda" (default: where ``data`` is, else cpu).
    """
    if isinstance(data, Tensor):
        data = data.data
    array = backend.as_array(data, dtype=dtype, device=device)
    if array is data:
        array = array.copy()  # a new tensor never aliases the caller's array
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)

