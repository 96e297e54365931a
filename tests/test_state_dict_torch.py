"""A minigen model's state dict loads into the equivalent PyTorch model and back, with equal outputs.

The key names and weight layouts are PyTorch's, so no renaming or transposing is needed.
"""

import numpy as np

import minigen as mg
import minigen.nn as nn


def build(lib):
    return lib.Sequential(lib.Linear(5, 8), lib.BatchNorm1d(8), lib.ReLU(), lib.Linear(8, 3))


def train_a_little(model, make_input, steps=3):
    """A few forward/backward passes in training mode, so BatchNorm's running statistics move off 0 and 1."""
    rng = np.random.default_rng(1)
    for _ in range(steps):
        model(make_input(rng.standard_normal((6, 5)) * 2 + 1)).sum().backward()


def assert_same_outputs(model, torch_model, torch):
    x = np.random.default_rng(2).standard_normal((4, 5))
    for training in (True, False):  # batch statistics, then the running statistics
        model.train(training)
        torch_model.train(training)
        np.testing.assert_allclose(model(mg.tensor(x)).numpy(), torch_model(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)  # fmt: skip


def test_minigen_state_dict_loads_into_torch_and_gives_the_same_outputs(torch):
    model = build(nn).double()
    train_a_little(model, mg.tensor)
    state = model.state_dict()
    assert int(state["1.num_batches_tracked"].item()) == 3
    torch_model = build(torch.nn)
    torch_model.load_state_dict({name: torch.from_numpy(value.numpy().copy()) for name, value in state.items()})
    assert torch_model[1].num_batches_tracked.item() == 3
    assert torch_model[1].num_batches_tracked.dtype == torch.int64
    assert_same_outputs(model, torch_model, torch)


def test_torch_state_dict_loads_into_minigen_and_gives_the_same_outputs(torch, device):
    torch_model = build(torch.nn)
    train_a_little(torch_model, torch.tensor)
    model = build(nn).double().to(device)
    model.load_state_dict(torch_model.state_dict())  # torch tensors are accepted as they are
    assert all(t.device == device for t in model.state_dict().values())
    model.cpu()
    assert_same_outputs(model, torch_model, torch)


def test_round_trip_minigen_torch_minigen_preserves_every_value(torch):
    model = build(nn)
    train_a_little(model, mg.tensor)
    torch_model = build(torch.nn).float()
    torch_model.load_state_dict(
        {name: torch.from_numpy(value.numpy().copy()) for name, value in model.state_dict().items()}
    )
    again = build(nn)
    again.load_state_dict({name: value.numpy() for name, value in torch_model.state_dict().items()})
    for (name, a), b in zip(model.state_dict().items(), again.state_dict().values()):
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
