"""Optimizers: PyTorch parity over ten steps, exact resumption from a state dict, dtype and device."""

import numpy as np
import pytest

import minigen
from minigen import optim

SHAPES = [(3, 4), (4,)]

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.999), eps=1e-6)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.5), amsgrad=True)),  # beta2 = 0.5: v falls below its maximum
    ("Adam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, weight_decay=0.05, decoupled_weight_decay=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.02, betas=(0.8, 0.5), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.9, 0.6), weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, alpha=0.95, eps=1e-4, momentum=0.9, centered=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-3)),
    ("Adadelta", dict(lr=2.0, rho=0.95, eps=1e-4, weight_decay=0.1)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}" for name, kwargs in CONFIGS]


def initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def gradient(values, step):
    """A gradient that depends on the current parameters (so any drift between runs would grow), plus noise."""
    rng = np.random.default_rng(100 + step)
    return [v**3 - 0.5 * v + rng.standard_normal(v.shape) for v in values]


def run_minigen(optimizer, params, steps, first_step=0):
    for step in range(first_step, first_step + steps):
        optimizer.zero_grad()
        for param, grad in zip(params, gradient([p.numpy() for p in params], step)):
            param.grad = minigen.tensor(grad, dtype=param.dtype, device=param.device)
        optimizer.step()


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_ten_steps_match_torch(torch, name, kwargs):
    values = initial_values()
    ours = [minigen.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    our_optimizer = getattr(optim, name)(ours, **kwargs)
    their_optimizer = getattr(torch.optim, name)(theirs, **kwargs)
    run_minigen(our_optimizer, ours, 10)
    for step in range(10):
        their_optimizer.zero_grad()
        for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], step)):
            param.grad = torch.tensor(grad)
        their_optimizer.step()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-11, atol=1e-13)
    assert not np.allclose(ours[0].numpy(), values[0])  # they did move


def test_param_groups_have_their_own_learning_rate(torch):
    values = initial_values()
    ours = [minigen.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    our_optimizer = optim.SGD([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.5}], lr=0.01, momentum=0.9)
    their_optimizer = torch.optim.SGD(
        [{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.5}], lr=0.01, momentum=0.9
    )
    assert [g["lr"] for g in our_optimizer.param_groups] == [0.01, 0.5]
    run_minigen(our_optimizer, ours, 3)
    for step in range(3):
        for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], step)):
            param.grad = torch.tensor(grad)
        their_optimizer.step()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_resumes_exactly(name, kwargs):
    values = initial_values()
    straight = [minigen.tensor(v, requires_grad=True) for v in values]
    run_minigen(getattr(optim, name)(straight, **kwargs), straight, 10)

    first = [minigen.tensor(v, requires_grad=True) for v in values]
    first_optimizer = getattr(optim, name)(first, **kwargs)
    run_minigen(first_optimizer, first, 5)
    saved = first_optimizer.state_dict()
    after_five = [p.numpy().copy() for p in first]
    run_minigen(first_optimizer, first, 1, first_step=50)  # later steps must not change the snapshot

    resumed = [minigen.tensor(v, requires_grad=True) for v in after_five]
    resumed_optimizer = getattr(optim, name)(resumed, lr=123.0)  # hyper-parameters come from the state dict
    resumed_optimizer.load_state_dict(saved)
    assert resumed_optimizer.param_groups[0]["lr"] == first_optimizer.param_groups[0]["lr"]
    run_minigen(resumed_optimizer, resumed, 5, first_step=5)
    for mine, reference in zip(resumed, straight):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_state_dict_layout_mirrors_torch(torch):
    values = initial_values()
    ours = [minigen.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    our_optimizer, their_optimizer = optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    run_minigen(our_optimizer, ours, 2)
    for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], 0)):
        param.grad = torch.tensor(grad)
    their_optimizer.step()
    mine, reference = our_optimizer.state_dict(), their_optimizer.state_dict()
    assert set(mine) == set(reference) == {"state", "param_groups"}
    assert list(mine["state"]) == list(reference["state"]) == [0, 1]
    assert set(mine["state"][0]) == set(reference["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert mine["state"][0]["step"] == 2
    assert mine["param_groups"][0]["params"] == reference["param_groups"][0]["params"] == [0, 1]
    for key in ("lr", "betas", "eps", "weight_decay"):
        assert mine["param_groups"][0][key] == reference["param_groups"][0][key]

    # and a PyTorch state dict loads into a minigen optimizer (tensors and the tensor step converted)
    resumed = [minigen.tensor(p.detach().numpy(), requires_grad=True) for p in theirs]
    loaded = optim.Adam(resumed)
    loaded.load_state_dict({"state": reference["state"], "param_groups": [
        {k: reference["param_groups"][0][k] for k in ("lr", "betas", "eps", "weight_decay", "params")}
    ]})  # fmt: skip
    assert loaded.state[resumed[0]]["step"] == 1
    np.testing.assert_array_equal(loaded.state[resumed[1]]["exp_avg"], reference["state"][1]["exp_avg"].numpy())


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_state_keys_and_group_values_match_torch(torch, name, kwargs):
    values = initial_values()
    ours = [minigen.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    our_optimizer = getattr(optim, name)(ours, **kwargs)
    their_optimizer = getattr(torch.optim, name)(theirs, **kwargs)
    run_minigen(our_optimizer, ours, 2)
    for step in range(2):
        for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], step)):
            param.grad = torch.tensor(grad)
        their_optimizer.step()
    mine, reference = our_optimizer.state_dict(), their_optimizer.state_dict()
    ours_1, theirs_1 = mine["state"].get(1, {}), reference["state"].get(1, {})  # plain SGD: torch keeps no entry
    assert set(ours_1) == {key for key, value in theirs_1.items() if value is not None}
    assert ours_1.get("step", 2) == 2  # SGD counts no steps, as PyTorch's
    for key, value in mine["param_groups"][0].items():
        assert value == reference["param_groups"][0][key], key


def test_amsgrad_state_layout_and_a_torch_state_dict_resumes(torch):
    values = initial_values()
    ours = [minigen.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    kwargs = dict(lr=0.02, betas=(0.8, 0.5), weight_decay=0.1, amsgrad=True)
    their_optimizer = torch.optim.AdamW(theirs, **kwargs)
    mine = optim.AdamW(ours, **kwargs)
    run_minigen(mine, ours, 5)
    for step in range(5):
        for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], step)):
            param.grad = torch.tensor(grad)
        their_optimizer.step()
    state, reference = mine.state_dict(), their_optimizer.state_dict()
    assert set(state["state"][0]) == set(reference["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"):
        assert state["param_groups"][0][key] == reference["param_groups"][0][key], key
    # the running maximum is taken: somewhere v has fallen below it
    assert (mine.state[ours[0]]["max_exp_avg_sq"] > mine.state[ours[0]]["exp_avg_sq"]).any()

    # PyTorch's state dict (all of its group keys, tensors, a tensor step) loaded here continues as PyTorch does
    resumed = [minigen.tensor(p.detach().numpy(), requires_grad=True) for p in theirs]
    loaded = optim.AdamW(resumed)
    loaded.load_state_dict(reference)
    assert loaded.param_groups[0]["amsgrad"] and loaded.param_groups[0]["weight_decay"] == 0.1
    run_minigen(loaded, resumed, 5, first_step=5)
    for step in range(5, 10):
        for param, grad in zip(theirs, gradient([p.detach().numpy() for p in theirs], step)):
            param.grad = torch.tensor(grad)
        their_optimizer.step()
    for mine_param, reference_param in zip(resumed, theirs):
        np.testing.assert_allclose(mine_param.numpy(), reference_param.detach().numpy(), rtol=1e-11, atol=1e-13)


def test_adamw_defaults_and_groups_missing_new_options():
    a = minigen.tensor([1.0, -2.0], requires_grad=True, dtype="float64")
    optimizer = optim.AdamW([a])
    group = optimizer.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] and not group["amsgrad"]
    assert not optim.Adam([a]).param_groups[0]["decoupled_weight_decay"]
    with pytest.raises(ValueError, match="AdamW: invalid weight_decay=-1"):
        optim.AdamW([a], weight_decay=-1)
    # a checkpoint from before amsgrad existed (its group lacks the key) keeps this optimizer's setting
    saved = optim.Adam([a]).state_dict()
    del saved["param_groups"][0]["amsgrad"], saved["param_groups"][0]["decoupled_weight_decay"]
    loaded = optim.Adam([a], amsgrad=True)
    loaded.load_state_dict(saved)
    a.grad = minigen.tensor(np.array([0.5, 0.5]))
    loaded.step()
    assert "max_exp_avg_sq" in loaded.state[a]


def test_adamw_decays_weights_without_gradient_scaling():
    # with a zero gradient Adam's step is 0 (m = 0): only the decoupled decay moves the weights
    a = minigen.tensor([1.0, -2.0], requires_grad=True, dtype="float64")
    optimizer = optim.AdamW([a], lr=0.1, weight_decay=0.5)
    a.grad = minigen.tensor(np.zeros(2))
    optimizer.step()
    np.testing.assert_allclose(a.numpy(), [0.95, -1.9], rtol=1e-15)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_updates_stay_float32_on_the_device(device, name, kwargs):
    params = [minigen.tensor(v.astype(np.float32), requires_grad=True, device=device) for v in initial_values()]
    arrays = [p.data for p in params]
    optimizer = getattr(optim, name)(params, **kwargs)
    run_minigen(optimizer, params, 3)
    for param, array in zip(params, arrays):
        assert param.data is array  # updated in place
        assert param.dtype == np.float32 and param.device == device
        for value in optimizer.state[param].values():
            if not isinstance(value, int):
                assert value.dtype == np.float32 and minigen.backend.device_of(value).name == device
    assert np.isfinite(params[0].numpy()).all()


def test_state_dict_loads_across_devices(device):
    values = initial_values()
    cpu_params = [minigen.tensor(v, requires_grad=True) for v in values]
    cpu_optimizer = optim.RMSprop(cpu_params, momentum=0.5, centered=True)
    run_minigen(cpu_optimizer, cpu_params, 2)
    params = [minigen.tensor(p.numpy().astype(np.float32), requires_grad=True, device=device) for p in cpu_params]
    optimizer = optim.RMSprop(params)
    optimizer.load_state_dict(cpu_optimizer.state_dict())
    for key in ("square_avg", "grad_avg", "momentum_buffer"):
        buffer = optimizer.state[params[0]][key]
        assert minigen.backend.device_of(buffer).name == device and buffer.dtype == np.float32
    run_minigen(optimizer, params, 1)


def test_zero_grad_and_parameters_without_gradient():
    a, b = minigen.tensor([1.0, 2.0], requires_grad=True), minigen.tensor([3.0], requires_grad=True)
    optimizer = optim.Adam([a, b], lr=0.1)
    a.grad = minigen.tensor([1.0, -1.0])
    optimizer.step()
    assert b.numpy().tolist() == [3.0] and b not in optimizer.state  # no gradient: untouched, no state
    np.testing.assert_allclose(a.numpy(), [0.9, 2.1], rtol=1e-6)  # Adam's first step moves by lr * sign(g)
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_does_not_change_the_gradient():
    a = minigen.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    a.grad = minigen.tensor(np.array([0.5, 0.5]))
    optim.SGD([a], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.5])


def test_bad_arguments_are_refused():
    a = minigen.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="learning rate lr=-1"):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        optim.SGD([{"params": [a], "learning_rate": 0.1}], lr=0.1)
    b = minigen.tensor([1.0], requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="group 0 has 2 parameter"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter group"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_repr_lists_the_groups():
    text = repr(optim.Adam([minigen.tensor([1.0], requires_grad=True)], lr=0.01))
    assert text.startswith("Adam (\nParameter Group 0\n") and "    lr: 0.01" in text and "betas: (0.9, 0.999)" in text
