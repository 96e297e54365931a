"""Module mechanics: registration, walking, modes, devices, dtypes, state dicts, repr, containers, init."""

import copy
import math

import numpy as np
import pytest

import minigen as mg
import minigen.nn as nn
from minigen.nn import init


def make_block(lib, tensor):
    """The same small model built from minigen.nn or torch.nn: nested Sequential, ModuleList, a bare Parameter."""

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.body = lib.Sequential(lib.Linear(4, 6), lib.BatchNorm1d(6), lib.ReLU())
            self.heads = lib.ModuleList([lib.Linear(6, 2), lib.Linear(6, 1, bias=False)])
            self.scale = lib.Parameter(tensor([2.0]))

        def forward(self, x):
            h = self.body(x) * self.scale
            return self.heads[0](h), self.heads[1](h)

    return Block()


def block():
    return make_block(nn, mg.tensor)


def torch_block(torch):
    return make_block(torch.nn, torch.tensor)


def test_registration_by_attribute_assignment():
    model = block()
    assert [name for name, _ in model.named_children()] == ["body", "heads"]
    assert [name for name, _ in model.named_parameters()] == [
        "scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "heads.0.weight", "heads.0.bias",
        "heads.1.weight",
    ]  # fmt: skip
    assert [name for name, _ in model.named_buffers()] == [
        "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked"
    ]  # fmt: skip
    assert len(list(model.parameters())) == 8 and len(list(model.buffers())) == 3
    assert len(list(model.modules())) == 8  # Block, Sequential, Linear, BatchNorm1d, ReLU, ModuleList, 2 Linear
    assert all(p.requires_grad for p in model.parameters())
    assert isinstance(model.body[0].weight, nn.Parameter)


def test_parameter_names_and_order_match_torch(torch):
    ours, theirs = block(), torch_block(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert a.shape == tuple(b.shape), name


def test_reassigning_and_deleting_attributes():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = mg.tensor(np.zeros((3, 2), dtype=np.float32))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert "bias" not in layer.state_dict()
    layer.extra = nn.ReLU()
    assert "extra" in dict(layer.named_children())
    del layer.extra
    assert not list(layer.children())
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nothing'"):
        layer.nothing  # noqa: B018


def test_a_shared_parameter_is_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_train_and_eval_reach_every_submodule():
    model = block()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.heads.train(False)
    assert model.training and not model.heads[1].training


def test_zero_grad_sets_gradients_to_none():
    model = block()
    out_a, out_b = model(mg.randn(5, 4))
    (out_a.sum() + out_b.sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_switch_freezes_parameters():
    model = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert not model(mg.randn(3, 2)).requires_grad


def test_to_device_moves_parameters_and_buffers_in_place(device):
    model = block()
    params_before = list(model.parameters())
    out_a, out_b = model(mg.randn(5, 4))
    (out_a.sum() + out_b.sum()).backward()
    assert model.to(device) is model
    assert all(
        a is b for a, b in zip(model.parameters(), params_before)
    )  # same Parameter objects: optimizers keep working
    for tensor in list(model.parameters()) + list(model.buffers()):
        assert tensor.device == device
    assert all(p.grad.device == device for p in model.parameters())
    out_a, _ = model(mg.randn(5, 4, device=device))
    assert out_a.device == device
    assert model.cpu() is model and model.body[0].weight.device == "cpu"


def test_double_and_float_cast_floating_tensors_only():
    model = block().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.body[1].running_var.dtype == np.float64
    assert model.body[1].num_batches_tracked.dtype == np.int64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.to("float64").body[0].bias.dtype == np.float64


def test_state_dict_shares_memory_and_is_detached():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert not state["weight"].requires_grad and state["weight"].data is layer.weight.data
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_load_state_dict_copies_values_in_place_from_tensors_and_numpy(device):
    source = block()
    source.body[1].running_mean.data[...] = 0.5
    target = block().double().to(device)
    weight = target.body[0].weight
    host_state = {name: value.numpy() for name, value in source.state_dict().items()}  # float32 numpy arrays
    result = target.load_state_dict(host_state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.body[0].weight is weight  # copied into, not replaced
    assert weight.dtype == np.float64 and weight.device == device
    for name, value in target.state_dict().items():
        np.testing.assert_allclose(value.numpy(), host_state[name], rtol=1e-7)
    target.load_state_dict(block().state_dict())  # minigen Tensors work too


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    state = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(4)).state_dict()
    del state["1.running_var"]
    state["2.weight"] = np.zeros(2)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Sequential" in message
    assert 'Missing key(s) in state_dict: "1.running_var"' in message
    assert 'Unexpected key(s) in state_dict: "2.weight"' in message
    assert "size mismatch for 0.weight: copying a value of shape (3, 4)" in message
    assert "the shape in the current model is (4, 3)" in message
    assert "size mismatch for 0.bias" in message


def test_load_state_dict_not_strict_returns_the_mismatched_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    state = model.state_dict()
    del state["1.running_var"]
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["1.running_var"] and result.unexpected_keys == ["extra"]
    state["0.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):  # shapes are checked even when not strict
        model.load_state_dict(state, strict=False)


def test_non_persistent_buffers_stay_out_of_the_state_dict():
    layer = nn.Linear(2, 2)
    layer.register_buffer("cache", mg.tensor([1.0]), persistent=False)
    layer.register_buffer("kept", mg.tensor([1.0]))
    assert list(layer.state_dict()) == ["weight", "bias", "kept"]
    assert len(list(layer.buffers())) == 2


def test_repr_matches_torch_for_nested_models(torch):
    ours, expected = repr(block()), repr(torch_block(torch))
    if "bias=" not in repr(torch.nn.BatchNorm1d(1)):  # PyTorch before 2.6 does not show BatchNorm's bias
        ours = ours.replace(", bias=True, track", ", track")
    assert ours == expected
    assert repr(nn.Linear(784, 512)) == "Linear(in_features=784, out_features=512, bias=True)"
    text = repr(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU())))
    assert text == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "  (1): Sequential(\n    (0): ReLU()\n  )\n)"
    )


def test_parameter_wraps_without_copying():
    data = mg.tensor([1.0, 2.0])
    param = nn.Parameter(data)
    assert param.data is data.data and param.requires_grad and param.is_leaf
    assert repr(param).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(data, requires_grad=False).requires_grad


def test_deepcopy_gives_an_independent_model():
    model = block()
    twin = copy.deepcopy(model)
    twin.body[0].weight.data[...] = 0
    assert model.body[0].weight.numpy().any()
    assert isinstance(twin.body[0].weight, nn.Parameter)


def test_module_walks_match_torch(torch):
    ours, theirs = block(), torch_block(torch)

    def names_and_types(walk):
        return [(name, type(module).__name__) for name, module in walk]

    assert names_and_types(ours.named_modules()) == names_and_types(theirs.named_modules())
    assert names_and_types(ours.named_children()) == names_and_types(theirs.named_children())
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    our_order, their_order = [], []
    assert ours.apply(lambda m: our_order.append(type(m).__name__)) is ours
    theirs.apply(lambda m: their_order.append(type(m).__name__))
    assert our_order == their_order
    assert ours.eval() is ours and not any(m.training for m in ours.modules())
    assert ours.train() is ours and all(m.training for m in ours.modules())


def test_apply_visits_every_module_children_first():
    seen = []
    nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU())).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


# -------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert model(mg.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="index 3 is out of range for 3"):
        model[3]  # noqa: B018
    model.append(nn.Sigmoid())
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"] and len(model) == 4


def test_sequential_from_an_ordered_dict_uses_its_names():
    from collections import OrderedDict

    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(model.state_dict()) == ["fc.weight", "fc.bias"]
    assert model.act is model[1]


def test_module_list_registers_its_modules():
    blocks = nn.ModuleList([nn.Linear(2, 2)])
    blocks.append(nn.Linear(2, 3))
    blocks += [nn.ReLU()]
    blocks.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in blocks] == ["Tanh", "Linear", "Linear", "ReLU"]
    assert list(blocks.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    assert len(blocks[1:]) == 3


# ---------------------------------------------------------------------------- init
def test_default_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for param in (layer.weight, layer.bias):
        values = param.numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound  # really spread over the whole range
    assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.01 * bound


def test_initial_weights_repeat_with_the_seed_on_every_device_and_dtype(device):
    mg.manual_seed(7)
    reference = nn.Linear(5, 3).weight.numpy()
    mg.manual_seed(7)
    on_device = nn.Linear(5, 3, device=device, dtype="float64")
    assert on_device.weight.device == device and on_device.weight.dtype == np.float64
    np.testing.assert_array_equal(on_device.weight.numpy(), reference.astype(np.float64))


INITIALISERS = {  # name: (arguments after the tensor)
    "uniform_": (-0.5, 1.5),
    "normal_": (1.0, 0.02),
    "xavier_uniform_": (2.0,),
    "xavier_normal_": (),
    "kaiming_uniform_": (0.2,),
    "kaiming_normal_": (0.0, "fan_out", "relu"),
}


@pytest.mark.parametrize("name", INITIALISERS)
def test_initialiser_distributions_match_torch(name, torch):
    """Same shape, same arguments: the same mean, spread and bounds as torch.nn.init's (400,000 draws each)."""
    shape, args = (400, 250, 2, 2), INITIALISERS[name]
    ours = getattr(init, name)(nn.Parameter(mg.zeros(shape)), *args).numpy()
    theirs = getattr(torch.nn.init, name)(torch.zeros(shape), *args).numpy()
    assert ours.dtype == np.float32 and ours.shape == shape
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01 * theirs.std())
    assert ours.std() == pytest.approx(theirs.std(), rel=0.01)
    if "uniform" in name:
        assert ours.min() == pytest.approx(theirs.min(), rel=0.01)
        assert ours.max() == pytest.approx(theirs.max(), rel=0.01)


def test_fan_in_and_fan_out_and_gain_match_torch(torch):
    for shape in [(3, 5), (8, 4, 3, 3), (4, 8, 4, 2)]:
        ours = init.calculate_fan_in_and_fan_out(mg.tensor(np.zeros(shape)))
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    for name, param in [("relu", None), ("leaky_relu", 0.2), ("tanh", None), ("leaky_relu", math.sqrt(5))]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.calculate_fan_in_and_fan_out(mg.tensor([1.0]))


def test_initialisers_fill_in_place(device):
    weight = nn.Parameter(mg.tensor(np.zeros((200, 100), dtype=np.float32), device=device))
    assert init.normal_(weight, 1.0, 0.02) is weight
    assert weight.device == device and weight.dtype == np.float32
    values = weight.numpy()
    assert abs(values.mean() - 1.0) < 0.001 and abs(values.std() - 0.02) < 0.001
    init.uniform_(weight, -2.0, 3.0)
    assert -2.0 <= weight.numpy().min() < -1.9 and 2.9 < weight.numpy().max() < 3.0
    init.xavier_uniform_(weight)
    assert np.abs(weight.numpy()).max() <= math.sqrt(6 / 300)
    init.constant_(weight, 0.5)
    assert (weight.numpy() == 0.5).all()
    assert not init.zeros_(weight).numpy().any() and (init.ones_(weight).numpy() == 1).all()


def test_dcgan_init_sets_conv_and_batch_norm_parameters():
    class Conv2dLike(nn.Module):  # dcgan_init_ recognises conv layers by name
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(mg.tensor(np.zeros((64, 32, 4, 4), dtype=np.float32)))

    model = nn.Sequential(Conv2dLike(), nn.BatchNorm2d(512), nn.Linear(2, 2))
    linear_before = model[2].weight.numpy().copy()
    model[1].bias.data[...] = 3.0
    assert init.dcgan_init_(model) is model
    conv, bn = model[0].weight.numpy(), model[1]
    assert abs(conv.mean()) < 0.002 and abs(conv.std() - 0.02) < 0.002
    assert abs(bn.weight.numpy().mean() - 1) < 0.005 and abs(bn.weight.numpy().std() - 0.02) < 0.005
    assert not bn.bias.numpy().any()
    np.testing.assert_array_equal(model[2].weight.numpy(), linear_before)


def test_deleting_attributes_plain_registered_and_missing():
    model = nn.Linear(2, 3)
    model.note = "hello"
    del model.note
    assert not hasattr(model, "note")
    del model.bias
    assert "bias" not in dict(model.named_parameters())
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        del model.missing
