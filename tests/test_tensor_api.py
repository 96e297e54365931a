"""Tensor's PyTorch-named API beyond the differentiable ops: metadata, conversions, ``to``, comparisons,
``max``/``min`` with a dim, in-place methods and their version counter, and the errors torch raises.

Each behaviour is compared with PyTorch's where it has one. The differentiable methods (view, repeat,
var, prod, max(dim).values, ...) are gradient-checked and compared with torch in op_cases.py.
"""

import numpy as np
import pytest

import minigen as mg
from minigen import backend

RNG = np.random.default_rng(0)


def pair(torch, array, device, requires_grad=False):
    """The same values as a minigen tensor on ``device`` and a torch tensor."""
    return (
        mg.Tensor(backend.to_device(array.copy(), device), requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def same(ours, theirs):
    """Values, shape and dtype of a minigen tensor equal those of a torch tensor."""
    expected = theirs.detach().numpy()
    assert ours.shape == tuple(theirs.shape), (ours.shape, tuple(theirs.shape))
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------- metadata
METADATA = {
    "size()": lambda t: tuple(t.size()),
    "size(0)": lambda t: t.size(0),
    "size(-1)": lambda t: t.size(-1),
    "size(dim=1)": lambda t: t.size(dim=1) if t.ndim > 1 else t.size(dim=0),
    "numel()": lambda t: t.numel(),
    "dim()": lambda t: t.dim(),
    "ndim": lambda t: t.ndim,
    "shape": lambda t: tuple(t.shape),
    "len()": len,
    "tolist()": lambda t: t.tolist(),
    "is_cuda": lambda t: t.is_cuda,
    "is_xpu": lambda t: t.is_xpu,
    "is_mps": lambda t: t.is_mps,
}


@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (1,), (0, 3)], ids=str)
@pytest.mark.parametrize("name", METADATA)
def test_metadata_matches_torch(name, shape, device, torch):
    ours, theirs = pair(torch, RNG.standard_normal(shape).astype(np.float32), device)
    value, expected = METADATA[name](ours), METADATA[name](theirs)
    assert value == expected and type(value) is type(expected), (value, expected)


def test_size_is_a_method_returning_the_shape_and_numel_counts():
    x = mg.tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert callable(x.size) and x.size() == (2, 3, 4) and type(x.size()) is tuple
    assert x.size(1) == 3 and type(x.size(1)) is int and x.size(-3) == 2
    assert x.numel() == 24 and type(x.numel()) is int


def test_0d_metadata_and_len_error_as_torch(torch):
    ours, theirs = mg.tensor(2.5), torch.tensor(2.5)
    assert ours.size() == tuple(theirs.size()) == () and ours.numel() == theirs.numel() == 1
    assert ours.dim() == theirs.dim() == 0 and ours.tolist() == theirs.tolist() == 2.5
    for t in (ours, theirs):
        with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
            len(t)
        with pytest.raises(IndexError):
            t.size(0)


@pytest.mark.parametrize("dim", [3, -4, 10])
def test_size_of_a_dim_out_of_range_is_an_index_error_as_torch(dim, torch):
    with pytest.raises(IndexError):
        torch.zeros(2, 3, 4).size(dim)
    with pytest.raises(IndexError, match=f"size: dim={dim} is out of range for a tensor of shape \\(2, 3, 4\\)"):
        mg.tensor(np.zeros((2, 3, 4))).size(dim)


def test_size_of_a_non_int_dim_names_it():
    with pytest.raises(TypeError, match="size: dim=1.5 is a float"):
        mg.tensor([1.0, 2.0]).size(1.5)


# --------------------------------------------------------------- Python numbers
@pytest.mark.parametrize("value", [2.7, -2.7, 0.0, 3.0])
@pytest.mark.parametrize("convert", [float, int, lambda t: t.item()], ids=["float", "int", "item"])
def test_one_element_tensors_become_python_numbers_as_in_torch(convert, value, torch):
    for shape in [(), (1,), (1, 1)]:
        ours = mg.tensor(np.full(shape, value, dtype=np.float32))
        expected = convert(torch.tensor(np.full(shape, value, dtype=np.float32)))
        assert convert(ours) == expected and type(convert(ours)) is type(expected)


@pytest.mark.parametrize("convert", [float, int, lambda t: t.item()], ids=["float", "int", "item"])
def test_several_elements_do_not_become_a_number(convert):
    with pytest.raises(ValueError, match="one element"):
        convert(mg.tensor([1.0, 2.0]))


def test_tolist_and_numpy_match_torch(device, torch):
    ours, theirs = pair(torch, np.arange(6, dtype=np.int64).reshape(2, 3), device)
    assert ours.tolist() == theirs.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert isinstance(ours.numpy(), np.ndarray) and np.array_equal(ours.numpy(), theirs.numpy())


# ------------------------------------------------------------------ dtype casts
CASTS = ["float", "double", "long"]


@pytest.mark.parametrize("source", ["float32", "float64", "int64"])
@pytest.mark.parametrize("method", CASTS)
def test_casts_match_torch_and_return_self_when_nothing_changes(method, source, device, torch):
    ours, theirs = pair(torch, np.array([[-2.7, 0.5], [2.7, 3.0]]).astype(source), device)
    result, expected = getattr(ours, method)(), getattr(theirs, method)()
    same(result, expected)
    assert result.device == device
    assert (result is ours) == (expected is theirs)


def test_a_float_cast_passes_the_gradient_back_in_the_source_dtype(device):
    x = mg.tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), device=device, requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and np.array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_an_integer_cast_carries_no_gradient_as_in_torch(torch):
    ours = mg.tensor([1.5, -1.5], requires_grad=True).long()
    theirs = torch.tensor([1.5, -1.5], requires_grad=True).long()
    assert ours.requires_grad == theirs.requires_grad is False
    assert ours.tolist() == theirs.tolist() == [1, -1] and ours.dtype == np.int64


# ------------------------------------------------------------------------- to()
TO_FORMS = {
    "dtype string": (lambda t, dev: t.to("float64"), "float64", False),
    "minigen dtype": (lambda t, dev: t.to(mg.float64), "float64", False),
    "numpy type": (lambda t, dev: t.to(np.float64), "float64", False),
    "dtype keyword": (lambda t, dev: t.to(dtype="float64"), "float64", False),
    "same dtype": (lambda t, dev: t.to("float32"), "float32", True),
    "own device": (lambda t, dev: t.to(dev), "float32", True),
    "device and dtype": (lambda t, dev: t.to(dev, "float64"), "float64", False),
    "keywords": (lambda t, dev: t.to(device=dev, dtype=mg.float64), "float64", False),
    "Device object": (lambda t, dev: t.to(backend.get_device(dev)), "float32", True),
    "other tensor": (lambda t, dev: t.to(mg.tensor(np.zeros(1), device=dev)), "float64", False),
    "copy=True": (lambda t, dev: t.to(dev, copy=True), "float32", False),
    "non_blocking": (lambda t, dev: t.to("float64", non_blocking=True), "float64", False),
}


@pytest.mark.parametrize("form", TO_FORMS)
def test_to_accepts_torch_forms(form, device):
    convert, dtype, is_self = TO_FORMS[form]
    x = mg.tensor(np.array([1.5, -2.0], dtype=np.float32), device=device)
    y = convert(x, device)
    assert y.dtype == np.dtype(dtype) and y.device == device and (y is x) == is_self
    assert y.tolist() == [1.5, -2.0]
    if not is_self:
        assert y.data is not x.data


def test_to_another_device_and_dtype_is_differentiable(device):
    x = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.to(device, mg.float64)
    assert y.device == device and y.dtype == np.float64 and not y.is_cuda
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]
    assert y.cpu().device == "cpu"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.to("nowhere"), ValueError, "to\\(\\): 'nowhere' is neither a dtype nor a device"),
        (lambda t: t.to(3), TypeError, "to\\(\\): got 3 \\(int\\); expected a device, a dtype or a Tensor"),
        (lambda t: t.to(dtype="nope"), TypeError, "to\\(\\): dtype='nope' is not a dtype"),
        (lambda t: t.to(place="cpu"), TypeError, "to\\(\\): unexpected keyword argument 'place'"),
    ],
    ids=["unknown name", "number", "bad dtype keyword", "unknown keyword"],
)
def test_to_refuses_what_is_neither_a_device_nor_a_dtype(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.tensor([1.0]))


# ------------------------------------------------------------------ comparisons
COMPARISONS = ["eq", "ne", "lt", "gt", "le", "ge"]


@pytest.mark.parametrize("other", ["tensor", "broadcast", "scalar"])
@pytest.mark.parametrize("method", COMPARISONS)
def test_comparisons_give_bool_tensors_without_gradient(method, other, device, torch):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = {"tensor": a[::-1].copy(), "broadcast": np.array([2.0, 2.0, 1.0], dtype=np.float32), "scalar": 2.0}[other]
    ours, theirs = pair(torch, a, device, requires_grad=True)
    if other == "scalar":
        result, expected = getattr(ours, method)(b), getattr(theirs, method)(b)
    else:
        result = getattr(ours, method)(mg.tensor(b, device=device))
        expected = getattr(theirs, method)(torch.tensor(b))
    same(result, expected)
    assert result.dtype == np.bool_ and not result.requires_grad and result.is_leaf


# -------------------------------------------------------------- argmax / argmin
ARG_CALLS = {
    "all": lambda t, m: getattr(t, m)(),
    "all keepdim": lambda t, m: getattr(t, m)(keepdim=True),
    "dim": lambda t, m: getattr(t, m)(1),
    "negative dim keepdim": lambda t, m: getattr(t, m)(dim=-1, keepdim=True),
    "dim 0": lambda t, m: getattr(t, m)(0),
}


@pytest.mark.parametrize("call", ARG_CALLS)
@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(method, call, device, torch):
    values = RNG.permutation(24).reshape(2, 3, 4).astype(np.float32)
    ours, theirs = pair(torch, values, device, requires_grad=True)
    result, expected = ARG_CALLS[call](ours, method), ARG_CALLS[call](theirs, method)
    same(result, expected)
    assert result.dtype == np.int64 and not result.requires_grad


def test_argmax_of_ties_is_the_first_and_of_0d_is_0(torch):
    ties = np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])
    for dim in (None, 1):
        same(mg.tensor(ties).argmax(dim), torch.tensor(ties).argmax(dim))
        same(mg.tensor(ties).argmin(dim), torch.tensor(ties).argmin(dim))
    same(mg.tensor(2.0).argmax(0), torch.tensor(2.0).argmax(0))


@pytest.mark.parametrize("dim", [2, -3, 1.0])
def test_argmax_refuses_a_dim_that_is_not_one(dim):
    with pytest.raises(IndexError, match=f"argmax: dim={dim!r} is not a dimension of a tensor of shape \\(2, 3\\)"):
        mg.tensor(np.zeros((2, 3))).argmax(dim)


# ------------------------------------------------------- max / min with a dim
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("method", ["max", "min"])
def test_max_min_with_dim_return_values_and_indices_as_torch(method, dim, keepdim, device, torch):
    values = RNG.permutation(12).reshape(3, 4).astype(np.float32)
    ours, theirs = pair(torch, values, device, requires_grad=True)
    result, expected = getattr(ours, method)(dim, keepdim), getattr(theirs, method)(dim, keepdim)
    assert type(result).__name__ == method and result._fields == ("values", "indices")
    values_, indices = result  # a named tuple unpacks
    assert values_ is result.values and indices is result[1]
    same(result.values, expected.values)
    same(result.indices, expected.indices)
    assert result.values.requires_grad and not result.indices.requires_grad
    weights = RNG.standard_normal(expected.values.shape).astype(np.float32)
    result.values.backward(mg.tensor(weights, device=device))
    expected.values.backward(torch.tensor(weights))
    same(ours.grad, theirs.grad)


def test_max_with_dim_gives_a_tie_gradient_to_the_index_and_full_max_shares_it(torch):
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for reduce in (lambda t: t.max(1).values, lambda t: t.max(), lambda t: t.amax(1), lambda t: t.min(0).values):
        ours, theirs = pair(torch, ties, "cpu", requires_grad=True)
        reduce(ours).sum().backward()
        reduce(theirs).sum().backward()
        same(ours.grad, theirs.grad)


@pytest.mark.parametrize("method", ["max", "min", "maximum", "minimum"])
def test_elementwise_max_min_split_a_tie_as_torch(method, torch):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    ours_a, theirs_a = pair(torch, a, "cpu", requires_grad=True)
    ours_b, theirs_b = pair(torch, b, "cpu", requires_grad=True)
    ours, theirs = getattr(ours_a, method)(ours_b), getattr(theirs_a, method)(theirs_b)
    same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    same(ours_a.grad, theirs_a.grad)
    same(ours_b.grad, theirs_b.grad)


def test_max_with_numpy_keywords_still_gives_the_values(torch):
    values = RNG.permutation(12).reshape(3, 4).astype(np.float64)
    same(mg.tensor(values).max(axis=1), torch.tensor(values).amax(1))
    same(mg.tensor(values).min(axis=0, keepdims=True), torch.tensor(values).amin(0, keepdim=True))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.max((0, 1)), TypeError, "max: dim=\\(0, 1\\) is a tuple, expected one int"),
        (lambda t: t.min(2), IndexError, "min: dim=2 is out of range for a tensor of shape \\(3, 4\\)"),
        (lambda t: t[:0].max(0), IndexError, "max: dim=0 of shape \\(0, 4\\) is empty"),
        (lambda t: t.sum(dim=0, axis=1), TypeError, "sum: got dim=0 and axis=1; axis is an alias of dim"),
        (lambda t: t.var(unbiased=True, correction=0), TypeError, "var: got unbiased and correction"),
    ],
    ids=["max tuple dim", "min dim out of range", "max of empty dim", "dim and axis", "unbiased and correction"],
)
def test_reductions_name_the_bad_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.tensor(np.zeros((3, 4))))


# ------------------------------------------------------------- reductions' dtype
REDUCTIONS = {
    "sum": lambda t: t.sum(dim=1),
    "mean": lambda t: t.mean(1, keepdim=True),
    "var": lambda t: t.var(),
    "std": lambda t: t.std(dim=(0, 1)),
    "prod": lambda t: t.prod(0),
    "amax": lambda t: t.amax((0, 1)),
    "amin": lambda t: t.amin(),
    "max values": lambda t: t.max(1).values,
    "clamp": lambda t: t.clamp(-0.5, 0.5),
    "pow": lambda t: t.pow(2),
    "repeat": lambda t: t.repeat(2, 1),
    "expand": lambda t: t[:, :1].expand(-1, 3),
    "clone": lambda t: t.clone(),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_float32_stays_float32_as_in_torch(name, device, torch):
    ours, theirs = pair(torch, RNG.standard_normal((3, 4)).astype(np.float32), device)
    result = REDUCTIONS[name](ours)
    same(result, REDUCTIONS[name](theirs))
    assert result.dtype == np.float32 and result.device == device


def test_var_and_std_use_bessels_correction_by_default_and_numpy_names_keep_numpys(torch):
    values = RNG.standard_normal((3, 5))
    ours, theirs = mg.tensor(values), torch.tensor(values)
    same(ours.var(), theirs.var())
    same(ours.std(1), theirs.std(1))
    same(ours.var(True), theirs.var(True))  # torch's var(unbiased) overload
    same(ours.var(axis=1), theirs.var(1, correction=0))  # NumPy's names: ddof=0, as before
    same(ours.std(axis=0, ddof=1), theirs.std(0))
    same(ours.sum(axis=1, keepdims=True), theirs.sum(1, keepdim=True))
    same(ours.mean(axis=(0, 1)), theirs.mean((0, 1)))
    same(ours.sum(dtype="float32"), theirs.sum(dtype=torch.float32))


# ----------------------------------------------------------------- shape errors
SHAPE_ERRORS = {
    "view bad size": (lambda t: t.view(5, 5), RuntimeError, "view: shape \\[5, 5\\] is invalid for input of size 12"),
    "view two -1": (lambda t: t.view(-1, -1), RuntimeError, "view: shape \\[-1, -1\\] is invalid"),
    "reshape bad size": (lambda t: t.reshape((5, 2)), RuntimeError, "reshape: shape \\[5, 2\\] is invalid"),
    "expand too few": (lambda t: t.expand(4), RuntimeError, "expand: sizes \\[4\\] have fewer entries"),
    "expand non-1": (lambda t: t.expand(3, 5), RuntimeError, "expand: sizes \\[3, 5\\] do not match shape"),
    "repeat too few": (lambda t: t.repeat(2), RuntimeError, "repeat: sizes \\[2\\] must be >= 0 and number"),
    "t() of 3-D": (lambda t: t.reshape(2, 3, 2).t(), RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions"),
    "squeeze out of range": (lambda t: t.squeeze(5), IndexError, "squeeze: dim 5 is out of range"),
    "unsqueeze out of range": (lambda t: t.unsqueeze(3), IndexError, "unsqueeze: dim 3 is out of range"),
}


@pytest.mark.parametrize("name", SHAPE_ERRORS)
def test_shape_methods_raise_torchs_error_with_a_message(name, torch):
    call, error, message = SHAPE_ERRORS[name]
    with pytest.raises(error):
        call(torch.zeros(3, 4))
    with pytest.raises(error, match=message):
        call(mg.tensor(np.zeros((3, 4))))


def test_view_and_reshape_refuse_a_size_that_is_not_an_int():
    with pytest.raises(TypeError, match="view: size 2.0 in \\(2.0, 6\\) is a float, expected an int"):
        mg.tensor(np.zeros((3, 4))).view(2.0, 6)


# --------------------------------------------------------- memory: views, copies
def test_clone_and_contiguous_own_their_memory_detach_and_view_share_it(torch):
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.contiguous() is x and x.clone() is not x
    clone = x.clone()
    clone.fill_(7.0)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    x.detach().zero_()  # detach shares memory, as in torch
    assert not x.numpy().any()
    x.view(6).fill_(1.0)  # a view of a contiguous tensor shares it too
    assert x.numpy().all()
    transposed = x.t()
    contiguous = transposed.contiguous()
    assert contiguous is not transposed and contiguous.data.flags.c_contiguous
    assert not transposed.data.flags.c_contiguous and contiguous.shape == (3, 2)
    assert torch.zeros(2, 3).t().contiguous().is_contiguous()


# ----------------------------------------------------------- in-place methods
IN_PLACE = {
    "fill_": (lambda t: t.fill_(1.5), lambda t: t.fill_(1.5)),
    "fill_ 0-d tensor": (lambda t: t.fill_(mg.tensor(2.0)), None),
    "zero_": (lambda t: t.zero_(), lambda t: t.zero_()),
    "copy_": (lambda t: t.copy_(mg.tensor([1.0, 2.0, 3.0])), None),
    "copy_ list broadcast": (lambda t: t.copy_([4.0, 5.0, 6.0]), None),
    "add_": (lambda t: t.add_(mg.tensor([1.0, 2.0, 3.0], device=t.device)), None),
    "add_ alpha": (lambda t: t.add_(2.0, alpha=-1.5), lambda t: t.add_(2.0, alpha=-1.5)),
    "mul_": (lambda t: t.mul_(3.0), lambda t: t.mul_(3.0)),
    "clamp_": (lambda t: t.clamp_(-0.5, 0.25), lambda t: t.clamp_(-0.5, 0.25)),
    "clamp_ max": (lambda t: t.clamp_(max=0.0), lambda t: t.clamp_(max=0.0)),
    "normal_": (lambda t: t.normal_(), None),
    "uniform_": (lambda t: t.uniform_(-1.0, 2.0), None),
}
TORCH_EQUIVALENT = {
    "fill_ 0-d tensor": lambda torch, t: t.fill_(torch.tensor(2.0)),
    "copy_": lambda torch, t: t.copy_(torch.tensor([1.0, 2.0, 3.0])),
    "copy_ list broadcast": lambda torch, t: t.copy_(torch.tensor([4.0, 5.0, 6.0])),
    "add_": lambda torch, t: t.add_(torch.tensor([1.0, 2.0, 3.0])),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_methods_return_self_bump_the_version_and_match_torch(name, device, torch):
    values = np.array([[-1.0, 0.5, 2.0], [0.1, -0.2, 0.3]], dtype=np.float32)
    ours, theirs = pair(torch, values, device)
    data, version = ours.data, ours._version
    assert IN_PLACE[name][0](ours) is ours
    assert ours._version == version + 1 and ours.data is data and ours.dtype == np.float32 and ours.device == device
    torch_call = IN_PLACE[name][1] or (lambda t: TORCH_EQUIVALENT[name](torch, t))
    if name not in ("normal_", "uniform_"):
        version = theirs._version
        torch_call(theirs)
        assert theirs._version > version
        same(ours, theirs)


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad(name, torch):
    method = name.split()[0]
    ours = mg.tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{method}: an in-place change of a tensor that requires grad"):
        IN_PLACE[name][0](ours)
    assert ours._version == 0 and not ours.numpy().any()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch.zeros(2, 3, requires_grad=True).zero_()
    with mg.no_grad():
        assert IN_PLACE[name][0](ours) is ours
    assert ours._version == 1 and ours.requires_grad


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_change_of_a_saved_tensor_is_caught_by_backward(name, device):
    x = mg.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32), device=device)
    w = mg.tensor(np.ones((2, 3), dtype=np.float32), device=device, requires_grad=True)
    loss = (w * x).sum()  # Mul saves x for dL/dw
    IN_PLACE[name][0](x)
    with pytest.raises(RuntimeError, match="input 1 of Mul .* was changed in place"):
        loss.backward()


def test_in_place_refuses_an_operand_that_requires_grad():
    target, source = mg.tensor([0.0, 0.0]), mg.tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: target.copy_(source), lambda: target.add_(source), lambda: target.mul_(source)):
        with pytest.raises(RuntimeError, match="the operand requires grad, and minigen's in-place methods record"):
            call()
    assert target.copy_(source.detach()).tolist() == [1.0, 2.0]


def test_copy_takes_values_from_another_device_and_dtype(device):
    target = mg.tensor(np.zeros(3, dtype=np.float32), device=device)
    target.copy_(mg.tensor(np.array([1, 2, 3], dtype=np.int64)))
    assert target.device == device and target.dtype == np.float32 and target.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_and_uniform_draw_from_minigens_generator_on_the_device(dtype, device):
    x = mg.tensor(np.zeros((2, 3), dtype=dtype), device=device)
    mg.manual_seed(5)
    x.normal_()
    mg.manual_seed(5)
    expected = mg.randn(2, 3, dtype=dtype, device=device)
    assert x.dtype == np.dtype(dtype) and np.array_equal(x.numpy(), expected.numpy())
    mg.manual_seed(5)
    x.uniform_(2.0, 3.0)
    mg.manual_seed(5)
    expected = mg.rand(2, 3, dtype=dtype, device=device).numpy() * 1.0 + 2.0
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)


def test_normal_and_uniform_statistics_and_bounds(device):
    mg.manual_seed(0)
    x = mg.tensor(np.zeros(20000, dtype=np.float32), device=device).normal_(mean=3.0, std=2.0)
    values = x.numpy()
    assert x.dtype == np.float32 and abs(values.mean() - 3) < 0.05 and abs(values.std() - 2) < 0.05
    values = x.uniform_(-1.0, 3.0).numpy()
    assert values.min() >= -1.0 and values.max() < 3.0 and abs(values.mean() - 1) < 0.05
    assert x.uniform_(**{"from": 5.0, "to": 6.0}).numpy().min() >= 5.0  # torch's keyword names


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.normal_(std=-1.0), ValueError, "normal_: std=-1.0 must be >= 0"),
        (lambda t: t.uniform_(2.0, 1.0), ValueError, "uniform_: expects a <= b, got a=2.0, b=1.0"),
        (lambda t: t.uniform_(low=0.0), TypeError, "uniform_: unexpected keyword argument 'low'"),
        (lambda t: t.long().normal_(), TypeError, "normal_: needs a floating-point tensor, got dtype int64"),
        (lambda t: t.clamp_(), ValueError, "clamp_: at least one of min and max must be given"),
        (lambda t: t.clamp(), ValueError, "clamp: at least one of min and max must be given"),
        (lambda t: t.fill_(mg.tensor([1.0, 2.0])), RuntimeError, "fill_: value must be a number or a 0-d tensor"),
    ],
    ids=["std", "uniform bounds", "uniform keyword", "integer normal_", "clamp_", "clamp", "fill_ vector"],
)
def test_in_place_methods_name_the_bad_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.tensor([1.0, 2.0]))


def test_clamp_with_tensor_bounds_matches_torch(device, torch):
    x, t = pair(torch, np.array([[-2.0, 0.0, 2.0], [1.0, -1.0, 0.5]]), device, requires_grad=True)
    low, t_low = pair(torch, np.array([-1.0, 0.5, 0.0]), device)
    high, t_high = pair(torch, np.array([[1.5], [0.75]]), device)
    ours, theirs = x.clamp(min=low, max=high), t.clamp(min=t_low, max=t_high)
    same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    same(x.grad, t.grad)
    same(x.clamp(min=low, max=1.5), t.clamp(min=t_low, max=torch.tensor(1.5)))  # a number with a tensor: ours only


def test_logsumexp_takes_torchs_dim_and_keepdim(torch):
    values = RNG.normal(size=(2, 3, 4)) * 30
    for call in (lambda t: t.logsumexp(1), lambda t: t.logsumexp(dim=-1, keepdim=True), lambda t: t.logsumexp((0, 2))):
        same(call(mg.tensor(values)), call(torch.tensor(values)))
    same(mg.tensor(values).logsumexp(axis=1, keepdims=True), torch.tensor(values).logsumexp(1, keepdim=True))
    with pytest.raises(TypeError, match="alias"):
        mg.tensor(values).logsumexp(dim=1, axis=1)
