"""Module and Parameter: how layers hold their weights.

A :class:`Module` is a callable (``module(x)`` runs ``forward(x)``) that
registers what you assign to it:

* a :class:`Parameter` (a trainable tensor) goes to ``_parameters``,
* a Module goes to ``_modules`` (a submodule),
* a tensor given to :meth:`Module.register_buffer` goes to ``_buffers``
  (state that is saved but not trained, such as BatchNorm's running mean).

Everything else -- optimizers, ``state_dict()``, ``to(device)`` -- is a walk
over those three dictionaries, with dotted names (``"0.weight"``,
``"bn.running_mean"``) that are PyTorch's, so state dicts move between the two.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy

from minigen import backend
from minigen.tensor import Tensor

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


class Parameter(Tensor):
    """A tensor that a Module trains: a leaf with ``requires_grad=True``.

    ``Parameter(t)`` shares ``t``'s array (no copy), as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = numpy.empty(0, dtype=numpy.float32)
        elif isinstance(data, Tensor):
            data = data.data
        elif backend.device_of(data) is None:
            data = backend.as_array(data)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns: keys it could not match (empty when strict)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _is_dtype(value: Any) -> bool:
    """True for "float64", numpy.float32 and the like; False for device names such as "cuda"."""
    try:
        numpy.dtype(value)
    except TypeError:
        return False
    return True


def _host_array(value: Any) -> numpy.ndarray | Any:
    """A state-dict value as an array: minigen Tensor, NumPy/CuPy array, Python number, or a torch tensor."""
    if isinstance(value, Tensor):
        return value.data
    if backend.device_of(value) is not None:
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor, without importing torch
        return value.detach().cpu().numpy()
    return numpy.asarray(value)


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign their parameters and
    submodules as attributes, and define ``forward``.
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ because our own __setattr__ needs these dictionaries to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called (call super().__init__())")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} (Parameter or None)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (Module or None)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the three registries
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        was_plain_attribute = name in self.__dict__
        if not self._forget(name) and not was_plain_attribute:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _forget(self, name: str) -> bool:
        """Remove ``name`` from every registry and the instance dict; True if it was registered."""
        self.__dict__.pop(name, None)
        found = False
        for values in (self._parameters, self._buffers, self._modules):
            if name in values:
                del values[name]
                found = True
        self._non_persistent.discard(name)
        return found

    def _check_new_name(self, kind: str, name: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if hasattr(type(self), name):
            raise KeyError(f"{kind} name {name!r} clashes with an attribute of {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent parameter such as ``bias=False``)."""
        self._check_new_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not trained; ``persistent=False`` keeps it out of ``state_dict()``."""
        self._check_new_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name`` (what ``self.name = module`` does)."""
        self._check_new_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ---------------------------------------------------------------- walking
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ("") and every submodule, depth first; each module once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct submodules."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()  # a tensor shared by two modules is listed once, as in PyTorch
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, e.g. ("0.weight", ...)."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, for an optimizer: ``optim.Adam(model.parameters())``."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule and then on self (``model.apply(init_weights)``); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, BatchNorm uses batch statistics) for self and every submodule."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode) expects a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients on or off for every parameter (e.g. freeze a GAN's discriminator)."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None`` (or zeros with ``set_to_none=False``)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = Tensor(backend.get_array_module(param.data).zeros_like(param.grad.data))

    # -------------------------------------------------------- device and dtype
    def _apply_to_arrays(self, convert: Callable[[Any], Any]) -> Module:
        """Replace the array of every parameter, gradient and buffer with ``convert(array)``, in place.

        The Parameter objects stay the same, so an optimizer built earlier still holds them.
        """
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is None:
                    continue
                tensor.data = convert(tensor.data)
                if tensor.grad is not None:
                    tensor.grad = Tensor(convert(tensor.grad.data))
        return self

    def to(self, device: Any = None, dtype: Any = None) -> Module:
        """Move parameters and buffers to ``device`` ("cpu", "cuda") and/or cast floating ones to ``dtype``.

        Works in place and returns self, as ``model.to(device)`` in PyTorch; ``model.to("float64")`` also works.
        """
        if device is not None and dtype is None and _is_dtype(device):
            device, dtype = None, device
        if device is not None:
            target = backend.get_device(device)
            self._apply_to_arrays(lambda array: backend.to_device(array, target))
        if dtype is not None:
            dtype = numpy.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to() only casts to floating-point dtypes, got {dtype}")
            self._apply_to_arrays(lambda array: array.astype(dtype) if array.dtype.kind == "f" else array)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 (integer buffers stay)."""
        return self.to(dtype="float64")

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(dtype="float32")

    # ------------------------------------------------------------ state dicts
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, in registration order.

        Values share memory with the model (no copy) and are detached unless ``keep_vars``.
        """
        state: OrderedDict[str, Tensor] = OrderedDict()
        for module_name, module in self.named_modules(prefix.rstrip(".")):
            entries = list(module._parameters.items())
            entries += [(n, b) for n, b in module._buffers.items() if n not in module._non_persistent]
            for name, value in entries:
                if value is not None:
                    key = f"{module_name}.{name}" if module_name else name
                    state[key] = value if keep_vars else value.detach()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers, in place, on their device and in their dtype.

        Values may be minigen Tensors, NumPy or CuPy arrays, numbers, or torch tensors.
        A shape mismatch, or a value that is not numbers (strings, objects, complex into a
        real tensor, a ragged list), is always an error; missing and unexpected keys are an
        error when ``strict`` (the message lists every kind, as PyTorch's does), else they are
        returned as ``(missing_keys, unexpected_keys)``. Everything is checked before anything
        is copied, so an error leaves the module as it was.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict expects a mapping of names to arrays (a state dict), "
                f"got {type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        arrays, mismatched = {}, []
        for key, target in own.items():
            if key not in state_dict:
                continue
            try:
                array = _host_array(state_dict[key])
            except (TypeError, ValueError) as error:  # a ragged list, a torch dtype NumPy lacks
                mismatched.append(f"cannot read {key}: {' '.join(str(error).split())}")
                continue
            dtype = getattr(array, "dtype", None)
            kind = getattr(dtype, "kind", "O")
            if kind not in "biuf" and not (kind == "c" and numpy.dtype(target.dtype).kind == "c"):
                mismatched.append(
                    f"dtype mismatch for {key}: copying a value of dtype {dtype} from the state dict, "
                    f"the dtype in the current model is {target.dtype}"
                )
            elif tuple(array.shape) != target.shape:
                mismatched.append(
                    f"size mismatch for {key}: copying a value of shape {tuple(array.shape)} from the state dict, "
                    f"the shape in the current model is {target.shape}"
                )
            arrays[key] = array
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        problems += mismatched
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
        for key, array in arrays.items():
            target = own[key]
            target.data[...] = backend.as_array(array, dtype=target.dtype, device=target.device)
            target.bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside ``Name(...)``; layers override it (``in_features=784, ...``)."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")  # indent nested modules by two spaces
            lines.append(f"({name}): {child}")
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
