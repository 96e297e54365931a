"""Gradients of gradients: every case of op_cases.py differentiated twice, against finite differences of the
first derivative (gradgradcheck, float64) and against torch.autograd.grad(..., create_graph=True)."""

import numpy as np
import pytest
from op_cases import CASES

import minigen as mg
from minigen import backend

# Ops whose backward is not recorded yet: asking for create_graph through them is a one-line error.
WITHOUT_GRAPH = {"maxpool", "prod"}


def _without_graph(case):
    return any(name in case.name.lower().replace("_", "") for name in WITHOUT_GRAPH)


GRAPH_CASES = [c for c in CASES if not _without_graph(c)]


def leaves(case, device, seed=0):
    return [mg.Tensor(backend.to_device(a, device), requires_grad=True) for a in case.arrays(seed)]


@pytest.mark.parametrize("case", GRAPH_CASES, ids=[c.name for c in GRAPH_CASES])
def test_gradgradcheck(case, device):
    assert mg.gradgradcheck(case.minigen, *leaves(case, device), max_elements=64)


@pytest.mark.parametrize("case", GRAPH_CASES, ids=[c.name for c in GRAPH_CASES])
def test_second_derivative_matches_pytorch(case, device, torch):
    arrays = case.arrays(seed=1)
    ours = [mg.Tensor(backend.to_device(a, device), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    output, expected = case.minigen(*ours), case.torch(*theirs)
    rng = np.random.default_rng(2)
    upstream = rng.standard_normal(expected.shape)
    firsts = mg.autograd.grad(output, ours, mg.tensor(upstream, device=device), create_graph=True, allow_unused=True)
    firsts_t = torch.autograd.grad(expected, theirs, torch.tensor(upstream), create_graph=True, allow_unused=True)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    total = sum((g * mg.tensor(d, device=device)).sum() for g, d in zip(firsts, directions) if g is not None)
    total_t = sum((g * torch.tensor(d)).sum() for g, d in zip(firsts_t, directions) if g is not None)
    # A linear or piecewise-linear op's first derivative may not depend on the inputs at all: then no graph
    # is recorded (minigen) or the recorded one gives zeros or None (PyTorch) -- the same second derivative, 0.
    seconds, seconds_t = _second(total, ours, mg.autograd.grad), _second(total_t, theirs, torch.autograd.grad)
    for position, (mine, reference) in enumerate(zip(seconds, seconds_t)):
        reference = np.zeros(arrays[position].shape) if reference is None else reference.numpy(force=True)
        mine = np.zeros(arrays[position].shape) if mine is None else mine.numpy()
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-10, err_msg=f"input {position}")


@pytest.mark.parametrize("case", [c for c in CASES if _without_graph(c)], ids=lambda c: c.name)
def test_ops_without_a_recorded_backward_say_so(case):
    inputs = leaves(case, "cpu")
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        mg.autograd.grad(case.minigen(*inputs).sum(), inputs, create_graph=True)


# ----------------------------------------------------------------- layers that are not in op_cases.py
POS_WEIGHT = np.linspace(0.5, 2.0, 4)


def _torch_tensor(array):
    import torch  # noqa: PLC0415

    return torch.tensor(array)


def _second(total, inputs, grad):
    """d(total)/d(inputs), or None each where ``total`` holds no graph (a first derivative that is constant)."""
    if not getattr(total, "requires_grad", False):
        return [None] * len(inputs)
    return grad(total, inputs, allow_unused=True)


def _layer_cases():
    """(name, minigen function, torch function, input shapes): the ops the networks are made of."""
    import minigen.nn.functional as F  # noqa: PLC0415
    from minigen.imaging.neural import gram_matrix  # noqa: PLC0415

    def tf():
        import torch.nn.functional  # noqa: PLC0415

        return torch.nn.functional

    def bn(f, training):
        def run(x, w, b):
            mean, var = np.linspace(-0.5, 0.5, x.shape[1]), np.linspace(0.5, 1.5, x.shape[1])
            if f is F:
                return F.batch_norm(x, mg.tensor(mean), mg.tensor(var), w, b, training=training)
            import torch  # noqa: PLC0415

            return tf().batch_norm(x, torch.tensor(mean), torch.tensor(var), w, b, training=training)

        return run

    conv_settings = [((4, 3, 3, 3), 1, 0, 1, 0), ((4, 3, 4, 4), 2, 1, 1, 0), ((4, 3, 3, 3), 2, 1, 2, 0)]
    cases = []
    for w_shape, stride, pad, dil, _ in conv_settings:
        cases.append((f"conv2d w{w_shape} s{stride} p{pad} d{dil}",
                      lambda x, w, b, s=stride, p=pad, d=dil: F.conv2d(x, w, b, s, p, d),
                      lambda x, w, b, s=stride, p=pad, d=dil: tf().conv2d(x, w, b, s, p, d),
                      [(2, 3, 7, 7), w_shape, (4,)]))  # fmt: skip
    for stride, pad, out_pad, dil in [(1, 0, 0, 1), (2, 1, 1, 1), (2, 1, 0, 2)]:
        cases.append((f"conv_transpose2d s{stride} p{pad} op{out_pad} d{dil}",
                      lambda x, w, b, s=stride, p=pad, o=out_pad, d=dil: F.conv_transpose2d(x, w, b, s, p, o, 1, d),
                      lambda x, w, b, s=stride, p=pad, o=out_pad, d=dil: tf().conv_transpose2d(x, w, b, s, p, o, 1, d),
                      [(2, 3, 4, 4), (3, 2, 4, 4), (2,)]))  # fmt: skip
    for training in (True, False):
        shapes = [(4, 3, 2, 3), (3,), (3,)]
        cases.append((f"batch_norm training={training}", bn(F, training), bn(None, training), shapes))
    cases += [
        ("linear", F.linear, lambda x, w, b: tf().linear(x, w, b), [(5, 4), (3, 4), (3,)]),
        ("leaky_relu 0.2", lambda x: F.leaky_relu(x, 0.2), lambda x: tf().leaky_relu(x, 0.2), [(3, 4)]),
        ("bce with logits", lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid()),
         lambda x, t: tf().binary_cross_entropy_with_logits(x, t.sigmoid()), [(3, 4), (3, 4)]),
        # (PyTorch does not differentiate twice with respect to pos_weight: here it is a constant)
        ("bce with logits pos_weight",
         lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=mg.tensor(POS_WEIGHT)),
         lambda x, t: tf().binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=_torch_tensor(POS_WEIGHT)),
         [(3, 4), (3, 4)]),
        ("bce", lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
         lambda x, t: tf().binary_cross_entropy(x.sigmoid(), t.sigmoid()), [(3, 4), (3, 4)]),
        ("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: tf().avg_pool2d(x, 2), [(2, 3, 4, 6)]),
        ("gram_matrix", gram_matrix, lambda x: (lambda f: f @ f.transpose(1, 2) / f[0].numel())(x.flatten(2)),
         [(2, 3, 4, 5)]),
    ]  # fmt: skip
    return cases


LAYER_CASES = _layer_cases()


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layers_gradgradcheck(case):
    _, fn, _, shapes = case
    rng = np.random.default_rng(3)
    inputs = [mg.tensor(rng.standard_normal(s), requires_grad=True, dtype="float64") for s in shapes]
    assert mg.gradgradcheck(fn, *inputs, max_elements=48)


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layers_second_derivative_matches_pytorch(case, torch):
    _, fn, torch_fn, shapes = case
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    upstream = rng.standard_normal(tuple(torch_fn(*theirs).shape))
    firsts = mg.autograd.grad(fn(*ours), ours, mg.tensor(upstream), create_graph=True)
    firsts_t = torch.autograd.grad(torch_fn(*theirs), theirs, torch.tensor(upstream), create_graph=True)
    penalty = sum(((g * g).sum() for g in firsts), mg.tensor(0.0))  # a gradient penalty: ||grad||^2
    penalty_t = sum((g * g).sum() for g in firsts_t)
    np.testing.assert_allclose(penalty.item(), penalty_t.item(), rtol=1e-10)
    seconds, seconds_t = _second(penalty, ours, mg.autograd.grad), _second(penalty_t, theirs, torch.autograd.grad)
    for position, (mine, reference) in enumerate(zip(seconds, seconds_t)):
        reference = np.zeros(shapes[position]) if reference is None else reference.numpy(force=True)
        mine = np.zeros(shapes[position]) if mine is None else mine.numpy()
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-10, err_msg=f"input {position}")


def test_hessian_vector_product_of_an_mlp_matches_pytorch(torch):
    """H v for the weights of a small MLP's loss, by differentiating <grad, v>: equal to PyTorch's."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) * 0.5 for s in [(8, 4), (8,), (3, 8), (3,)]]
    x, target = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    vs = [rng.standard_normal(a.shape) for a in arrays]

    def hvp(lib, tensor, grad):
        params = [tensor(a, requires_grad=True) for a in arrays]
        hidden = (tensor(x) @ params[0].T + params[1]).tanh()
        loss = (((hidden @ params[2].T + params[3]) - tensor(target)) ** 2).mean()
        grads = grad(loss, params, create_graph=True)
        dot = sum((g * tensor(v)).sum() for g, v in zip(grads, vs))
        return [h.detach().numpy() for h in grad(dot, params)]

    ours = hvp(mg, mg.tensor, mg.autograd.grad)
    theirs = hvp(torch, torch.tensor, torch.autograd.grad)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    # and H v is a directional derivative of the gradient: (grad(w + h v) - grad(w - h v)) / 2h
    h = 1e-6

    def gradient_at(sign):
        params = [mg.tensor(a + sign * h * v, requires_grad=True) for a, v in zip(arrays, vs)]
        hidden = (mg.tensor(x) @ params[0].T + params[1]).tanh()
        loss = (((hidden @ params[2].T + params[3]) - mg.tensor(target)) ** 2).mean()
        return [g.numpy() for g in mg.autograd.grad(loss, params)]

    numeric = [(p - m) / (2 * h) for p, m in zip(gradient_at(1), gradient_at(-1))]
    for mine, reference in zip(ours, numeric):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------- the engine's semantics, as torch's
def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = mg.autograd.grad((x**3).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0, 27.0])
    assert x.grad is None and not g.requires_grad


def test_grad_of_a_gradient_is_the_second_derivative():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = mg.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0, 18.0])
    (third,) = mg.autograd.grad(mg.autograd.grad((x**3).sum(), x, create_graph=True)[0].sum(), x, create_graph=True)
    np.testing.assert_allclose(mg.autograd.grad(third.sum(), x)[0].numpy(), [6.0, 6.0, 6.0])


def test_backward_create_graph_makes_dot_grad_differentiable():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    (x.exp().sum()).backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]), rtol=1e-6)


def test_grad_through_a_non_leaf_input_stops_there():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (g,) = mg.autograd.grad((y * y).sum(), y)
    np.testing.assert_allclose(g.numpy(), [6.0, 12.0])
    assert x.grad is None


def test_grad_unused_input_is_an_error_unless_allowed():
    x = mg.tensor([1.0], requires_grad=True)
    unused = mg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* not used .*allow_unused=True"):
        mg.autograd.grad((x * 2).sum(), [x, unused])
    assert mg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None


def test_grad_refuses_inputs_and_outputs_without_grad_and_mismatched_grad_outputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        mg.autograd.grad((x * 2).sum(), mg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="output 0 .* does not require grad"):
        mg.autograd.grad(mg.tensor(1.0), x)
    with pytest.raises(RuntimeError, match="one-element"):
        mg.autograd.grad(x * 2, x)
    with pytest.raises(ValueError, match="grad_outputs: 2 given for 1 outputs"):
        mg.autograd.grad(x * 2, x, [mg.ones(2), mg.ones(2)])
    with pytest.raises(TypeError, match="expected Tensors, got a list in the sequence"):
        mg.autograd.grad((x * 2).sum(), [[x]])
    with pytest.raises(RuntimeError, match="empty sequence"):
        mg.autograd.grad((x * 2).sum(), [])
    with pytest.raises(TypeError, match="expected a Tensor or a sequence of Tensors, got a int"):
        mg.autograd.grad(5, x)
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        (x * 2).sum().backward(inputs=[mg.tensor([1.0])])
    (g,) = mg.autograd.grad(x * 2, x, np.ones(2, dtype=np.float32))  # an array is one grad_output
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0])


def test_create_graph_retains_the_graph_and_plain_grad_frees_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.tanh() * x).sum()
    mg.autograd.grad(y, x, create_graph=True)
    mg.autograd.grad(y, x)  # create_graph kept it: a second walk works, and frees it
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        mg.autograd.grad(y, x)


def test_backward_inputs_may_be_non_leaves_as_in_torch():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0, 12.0])
    assert x.grad is None


def test_a_failed_recorded_backward_leaves_the_graph_usable():
    import minigen.nn.functional as F  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((1, 4, 5, 5)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, None, 1, 1, 1, 2).sum()  # groups=2: no recorded backward
    with pytest.raises(NotImplementedError, match="groups=1 only"):
        mg.autograd.grad(y, [x], create_graph=True)
    y.backward()
    assert w.grad is not None and x.grad is not None


def test_grad_of_a_non_leaf_neither_runs_nor_frees_what_lies_behind_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    mg.autograd.grad((h**2).sum(), h)  # frees Pow's and Sum's saved values, not Exp's
    (h * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0, 2.0]), rtol=1e-6)
    y = x.exp()
    (y * 2).sum().backward()  # frees Exp
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        mg.autograd.grad((y**2).sum() + (x * y).sum(), x)


def test_recorded_gradients_own_their_memory():
    a, b = mg.tensor([1.0, 2.0, 3.0], requires_grad=True), mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (a + b).sum().backward(create_graph=True)  # the same ones flow to both, through broadcasts
    assert a.grad is not b.grad and a.grad.data.base is None and a.grad.data.flags.writeable
    v = mg.tensor([5.0, 6.0])
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.backward(v, create_graph=True)
    with mg.no_grad():
        x.grad.zero_()
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])


def test_backward_inputs_accumulates_only_into_those():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [2.0])


def test_ops_without_a_recorded_backward_name_themselves():
    x = mg.tensor(np.random.default_rng(0).standard_normal((1, 1, 4, 4)), requires_grad=True)
    import minigen.nn.functional as F  # noqa: PLC0415

    with pytest.raises(NotImplementedError, match=r"^MaxPool2d: .*create_graph=True"):
        mg.autograd.grad(F.max_pool2d(x, 2).sum(), x, create_graph=True)


def test_requires_grad_underscore_as_torch():
    x = mg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.tensor([1, 2]).requires_grad_()


def test_create_graph_refuses_an_input_changed_in_place_even_where_backward_keeps_only_the_output():
    x = mg.tensor([0.5, 1.0], requires_grad=True)
    base = x * 1  # a non-leaf: in-place changes through no_grad are allowed on it
    y = base.exp().sum()  # Exp keeps its output, not its input; backward_graph reads the input
    with mg.no_grad():
        base.add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        mg.autograd.grad(y, x, create_graph=True)
