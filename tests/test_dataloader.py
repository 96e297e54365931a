"""DataLoader and transforms: batch shapes, shuffling from a seed, exact resume, value ranges."""

import json

import numpy as np
import pytest

import minigen
from minigen.data import Compose, DataLoader, Flatten, Pad, Scale, load_dataset


def toy_data(count=10):
    """Images whose pixels all equal their index, and labels equal to the index: easy to trace."""
    images = np.repeat(np.arange(count, dtype=np.uint8), 4).reshape(count, 2, 2)
    return images, np.arange(count)


def order_of(batches):
    """The sample indices, batch by batch, that a list of (images, labels) batches holds."""
    return [labels.numpy().tolist() for _, labels in batches]


# --------------------------------------------------------------------------- batches


def test_batches_are_float32_and_int64_tensors_on_the_device(device):
    images, labels = toy_data(10)
    loader = DataLoader(images, labels, batch_size=4, device=device)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [x.shape for x, _ in batches] == [(4, 2, 2), (4, 2, 2), (2, 2, 2)]
    for x, y in batches:
        assert isinstance(x, minigen.Tensor) and isinstance(y, minigen.Tensor)
        assert x.device == device and y.device == device
        assert x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_array_equal(x.numpy()[:, 0, 0], y.numpy())  # images stay with their labels
    assert sorted(sum(order_of(batches), [])) == list(range(10))  # every sample exactly once


def test_drop_last():
    images, labels = toy_data(10)
    loader = DataLoader(images, labels, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(y) for _, y in loader] == [4, 4]
    assert [len(y) for _, y in DataLoader(images, labels, batch_size=5, drop_last=True)] == [5, 5]


def test_no_shuffle_keeps_the_data_order():
    images, labels = toy_data(7)
    assert order_of(DataLoader(images, labels, batch_size=3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_same_seed_same_batches_different_seed_different_batches():
    images, labels = toy_data(50)
    first = order_of(DataLoader(images, labels, batch_size=8, seed=3))
    np.random.seed(123)  # NumPy's global random state must not matter
    second = order_of(DataLoader(images, labels, batch_size=8, seed=3))
    other = order_of(DataLoader(images, labels, batch_size=8, seed=4))
    assert first == second
    assert first != other


def test_each_epoch_has_a_new_order():
    images, labels = toy_data(50)
    loader = DataLoader(images, labels, batch_size=50, seed=0)
    epochs = [order_of(loader)[0] for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    assert all(sorted(epoch) == list(range(50)) for epoch in epochs)
    assert loader.epoch == 3


def test_bad_arguments_are_reported():
    images, labels = toy_data(10)
    with pytest.raises(ValueError, match="10 images, 9 labels"):
        DataLoader(images, labels[:9], batch_size=2)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(images, labels, batch_size=0)
    with pytest.raises(ValueError, match="no batch at all"):
        DataLoader(images, labels, batch_size=11, drop_last=True)


# --------------------------------------------------------------------------- exact resume


def run(loader, epochs, stop_after=None):
    """Batches of ``epochs`` epochs as index lists; with stop_after=n also the state after batch n."""
    seen, saved = [], None
    for _ in range(epochs):
        for _, y in loader:
            seen.append(y.numpy().tolist())
            if len(seen) == stop_after:
                saved = loader.state_dict()
    return seen, saved


def plain_round_trip(state):
    """What a checkpoint file gives back: via JSON, so the state must be plain numbers."""
    text = json.dumps({key: np.asarray(value).tolist() for key, value in state.items()})
    return json.loads(text)


# 3 batches per epoch: stop inside the first epoch, right after its last batch, after the
# second epoch's first batch, and inside the second epoch.
@pytest.mark.parametrize("stop_after", [2, 3, 4, 5])
def test_resume_from_state_dict_gives_the_same_batches(stop_after):
    images, labels = toy_data(10)
    make = lambda: DataLoader(images, labels, batch_size=4, seed=7)  # noqa: E731  (3 batches per epoch)
    reference, state = run(make(), epochs=3, stop_after=stop_after)
    resumed = make()
    resumed.load_state_dict(plain_round_trip(state))
    # state["epoch"] is the epoch the run was inside: finish it, then the epochs still to come.
    epochs_left = 3 - state["epoch"]
    rest, _ = run(resumed, epochs=epochs_left)
    assert rest == reference[stop_after:]


def test_state_dict_at_an_epoch_boundary_resumes_with_the_next_epoch():
    images, labels = toy_data(10)
    loader = DataLoader(images, labels, batch_size=4, seed=1)
    run(loader, epochs=2)
    state = loader.state_dict()
    assert state["epoch"] == 2 and state["batches_done"] == 0
    resumed = DataLoader(images, labels, batch_size=4, seed=1)
    resumed.load_state_dict(state)
    assert order_of(resumed) == order_of(loader)


def test_leaving_a_loop_early_ends_the_epoch_consistently():
    images, labels = toy_data(10)
    loader = DataLoader(images, labels, batch_size=4, seed=2)
    next(iter(loader))  # peek at one batch, then drop the loop
    assert loader.epoch == 1
    state = loader.state_dict()
    resumed = DataLoader(images, labels, batch_size=4, seed=2)
    resumed.load_state_dict(state)
    assert order_of(resumed) == order_of(loader)


def test_state_dict_from_another_dataset_is_rejected():
    images, labels = toy_data(10)
    state = DataLoader(images, labels, batch_size=4).state_dict()
    with pytest.raises(ValueError, match="num_samples=10, this loader has 8"):
        DataLoader(images[:8], labels[:8], batch_size=4).load_state_dict(state)
    with pytest.raises(ValueError, match="shuffle=1, this loader has 0"):
        DataLoader(images, labels, batch_size=4, shuffle=False).load_state_dict(state)


# --------------------------------------------------------------------------- transforms


def test_scale_maps_0_255_onto_the_requested_range_in_float32():
    pixels = np.array([[0, 51, 255]], dtype=np.uint8)
    unit, symmetric = Scale(0, 1)(pixels), Scale(-1, 1)(pixels)
    assert unit.dtype == np.float32 and symmetric.dtype == np.float32
    np.testing.assert_array_equal(unit, np.array([[0.0, 0.2, 1.0]], dtype=np.float32))
    assert symmetric.min() == -1.0 and symmetric.max() == 1.0
    with pytest.raises(ValueError, match="high > low"):
        Scale(1, 0)


def test_pad_and_flatten_shapes():
    digits = np.full((2, 28, 28), 7, dtype=np.uint8)
    padded = Pad(2)(digits)
    assert padded.shape == (2, 32, 32) and padded.dtype == np.uint8
    assert padded[:, :2].max() == 0 and padded[:, :, -2:].max() == 0 and padded[:, 2:30, 2:30].min() == 7
    assert Pad(2)(np.zeros((2, 3, 28, 28))).shape == (2, 3, 32, 32)  # channels are not padded
    assert Flatten()(digits).shape == (2, 784)
    with pytest.raises(ValueError, match=r"got shape \(28, 28\)"):
        Pad(2)(digits[0])


def test_loader_with_composed_transforms_on_the_embedded_mnist(device):
    images, labels = load_dataset("mnist-embedded", split="test")
    gan = DataLoader(images, labels, batch_size=100, transform=Compose([Pad(2), Scale(-1, 1)]), device=device)
    x, y = next(iter(gan))
    assert x.shape == (100, 32, 32) and x.dtype == np.float32 and y.shape == (100,)
    values = x.numpy()
    assert values.min() == -1.0 and values.max() == 1.0
    assert (values[:, :2, :] == -1.0).all()  # the padded border is background
    mlp = DataLoader(images, labels, batch_size=100, transform=Compose([Scale(0, 1), Flatten()]), device=device)
    x, _ = next(iter(mlp))
    assert x.shape == (100, 784) and 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
