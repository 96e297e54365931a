"""minigen.utils.data against torch.utils.data: datasets, samplers, default_collate, random_split and DataLoader
(batch contents, shapes, dtypes, lengths, shuffling under minigen.manual_seed, and the one-line errors)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import minigen
from minigen.tensor import Tensor
from minigen.utils import data

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def plain(value):
    """minigen or torch tensors -> numpy arrays, containers rebuilt as lists/dicts/tuples: comparable structures."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [plain(item) for item in value])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [plain(item) for item in value])
    return value


def assert_same(ours, theirs):
    compare(plain(ours), plain(theirs))


def compare(ours, theirs):
    assert type(ours) is type(theirs), (ours, theirs)
    if isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, (ours, theirs)
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            compare(ours[key], theirs[key])
    elif isinstance(ours, tuple):
        assert ours[0] == theirs[0] and len(ours[1]) == len(theirs[1]), (ours, theirs)
        for mine, yours in zip(ours[1], theirs[1]):
            compare(mine, yours)
    else:
        assert ours == theirs


def pair(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2, 3), dtype=np.float32)
    y = rng.integers(0, 5, n)
    ours = data.TensorDataset(Tensor(x), Tensor(y))
    theirs = tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return ours, theirs


# ----------------------------------------------------------------------------------------------- datasets


def test_tensor_dataset():
    ours, theirs = pair()
    assert len(ours) == len(theirs) == 10
    assert_same(list(ours[3]), list(theirs[3]))
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        data.TensorDataset(Tensor(np.zeros(3)), Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match="expected a minigen Tensor"):
        data.TensorDataset(np.zeros(3))


def test_subset_and_concat():
    ours, theirs = pair()
    subset, their_subset = data.Subset(ours, [7, 2, 2]), tdata.Subset(theirs, [7, 2, 2])
    assert len(subset) == 3
    assert_same(list(subset[0]), list(their_subset[0]))
    both, their_both = ours + data.Subset(ours, range(4)), theirs + tdata.Subset(theirs, range(4))
    assert isinstance(both, data.ConcatDataset) and len(both) == len(their_both) == 14
    assert both.cumulative_sizes == their_both.cumulative_sizes
    for index in (0, 9, 10, 13, -1, -14):
        assert_same(list(both[index]), list(their_both[index]))
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-15]
    with pytest.raises(IndexError):
        both[14]
    with pytest.raises(ValueError, match="empty"):
        data.ConcatDataset([])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.5], [0.34, 0.33, 0.33], [0.1, 0.1, 0.1, 0.7]])
def test_random_split_lengths_are_torchs(lengths):
    ours, theirs = pair(n=11)
    if sum(lengths) == 10:
        lengths = [3, 8]
    parts = data.random_split(ours, lengths, generator=0)
    assert [len(part) for part in parts] == [len(part) for part in tdata.random_split(theirs, lengths)]
    indices = sorted(index for part in parts for index in part.indices)
    assert indices == list(range(11))
    again = data.random_split(ours, lengths, generator=0)
    assert [part.indices for part in again] == [part.indices for part in parts]
    minigen.manual_seed(3)
    first = [part.indices for part in data.random_split(ours, lengths)]
    minigen.manual_seed(3)
    assert [part.indices for part in data.random_split(ours, lengths)] == first
    # torch's idiom: generator=torch.Generator().manual_seed(42)
    seeded = [part.indices for part in data.random_split(ours, lengths, generator=minigen.Generator().manual_seed(4))]
    again = data.random_split(ours, lengths, generator=minigen.Generator().manual_seed(4))
    assert [part.indices for part in again] == seeded


def test_random_split_rejects_lengths_that_do_not_sum():
    ours, theirs = pair()
    for lengths in ([3, 3], [0.5, 0.6]):
        with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
            data.random_split(ours, lengths)
        with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
            tdata.random_split(theirs, lengths)


# ----------------------------------------------------------------------------------------------- samplers


def test_samplers():
    ours, theirs = pair(n=7)
    assert list(data.SequentialSampler(ours)) == list(tdata.SequentialSampler(theirs))
    for drop_last in (False, True):
        mine = data.BatchSampler(data.SequentialSampler(ours), 3, drop_last)
        yours = tdata.BatchSampler(tdata.SequentialSampler(theirs), 3, drop_last)
        assert list(mine) == list(yours) and len(mine) == len(yours)
    minigen.manual_seed(0)
    order = list(data.RandomSampler(ours))
    assert sorted(order) == list(range(7)) and order != list(range(7))
    minigen.manual_seed(0)
    assert list(data.RandomSampler(ours)) == order
    drawn = list(data.RandomSampler(ours, replacement=True, num_samples=20, generator=1))
    assert len(drawn) == 20 and set(drawn) <= set(range(7))
    longer = list(data.RandomSampler(ours, num_samples=10, generator=1))
    assert len(longer) == 10 and sorted(longer[:7]) == list(range(7))
    assert sorted(data.SubsetRandomSampler([5, 1, 3], generator=2)) == [1, 3, 5]
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        data.RandomSampler([])
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        data.BatchSampler(range(3), 0, False)


# ----------------------------------------------------------------------------------------------- collation

Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "batch",
    [
        [(np.arange(3, dtype=np.float32), 1), (np.ones(3, dtype=np.float32), 2)],
        [1.5, 2.0],
        [True, False],
        [np.int32(3), np.int32(4)],
        [np.float64(0.25), np.float64(0.5)],
        ["a", "b"],
        [{"image": np.zeros((2, 2)), "label": 3, "name": "x"}, {"image": np.ones((2, 2)), "label": 4, "name": "y"}],
        [Point(1, 2.0), Point(3, 4.0)],
        [[1, 2.5], [3, 4.5]],
        [(np.zeros(2, np.uint8), {"k": [1, 2]}), (np.ones(2, np.uint8), {"k": [3, 4]})],
    ],
)
def test_default_collate_is_torchs(batch):
    as_torch = [
        tuple(torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in sample)
        if isinstance(sample, tuple) and not hasattr(sample, "_fields")
        else sample
        for sample in batch
    ]
    assert_same(data.default_collate(batch), tdata.default_collate(as_torch))


def test_default_collate_of_tensors_and_errors():
    batch = [Tensor(np.full((2,), i, np.float32)) for i in range(3)]
    out = data.default_collate(batch)
    assert out.shape == (3, 2) and out.dtype == np.float32
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        data.default_collate([Tensor(np.zeros(2)), Tensor(np.zeros(3))])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        data.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        data.default_collate([object(), object()])


def test_default_convert_without_batching():
    assert_same(data.default_convert((np.arange(2), 3)), tdata.default_convert((np.arange(2), 3)))
    assert isinstance(data.default_convert(np.float32(2.0)), Tensor)


# ----------------------------------------------------------------------------------------------- the loader


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (5, True), (20, False)])
def test_loader_batches_are_torchs(batch_size, drop_last):
    ours, theirs = pair()
    mine = data.DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    yours = tdata.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(mine) == len(yours)
    batches = list(mine)
    assert len(batches) == len(yours)
    for (x, y), (tx, ty) in zip(batches, yours, strict=True):
        assert y.dtype == np.int64 and x.dtype == np.float32
        assert_same([x, y], [tx, ty])


def test_loader_over_python_samples_is_torchs():
    samples = [(np.full((2,), i, np.float32), i, float(i) / 2) for i in range(7)]
    mine = list(data.DataLoader(samples, batch_size=3))
    yours = list(tdata.DataLoader([(torch.from_numpy(x), i, f) for x, i, f in samples], batch_size=3))
    for a, b in zip(mine, yours, strict=True):
        assert_same(a, b)
    unbatched = list(data.DataLoader(samples, batch_size=None))
    assert len(unbatched) == 7 and isinstance(unbatched[2][0], Tensor) and unbatched[2][1] == 2


def test_vectorised_tensor_dataset_batches_equal_the_collated_samples():
    ours, _ = pair(n=23)
    for dataset in (ours, data.Subset(ours, [22, 0, 5, 5, 9, 13])):
        fast = list(data.DataLoader(dataset, batch_size=4))
        slow = list(data.DataLoader(dataset, batch_size=4, collate_fn=lambda b: data.default_collate(b)))
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow):
            assert_same(a, b)


def test_shuffle_repeats_under_manual_seed_and_changes_each_epoch():
    ours, _ = pair(n=12)

    def labels_order(loader):
        return [tuple(x.numpy()[:, 0, 0].tolist()) for x, _ in loader]

    minigen.manual_seed(7)
    loader = data.DataLoader(ours, batch_size=5, shuffle=True)
    first, second = labels_order(loader), labels_order(loader)
    minigen.manual_seed(7)
    again = data.DataLoader(ours, batch_size=5, shuffle=True)
    assert labels_order(again) == first and labels_order(again) == second
    assert first != second
    seen = sorted(value for batch in first for value in batch)
    assert seen == sorted(ours.tensors[0].numpy()[:, 0, 0].tolist())
    assert [len(batch) for batch in first] == [5, 5, 2]
    seeded = data.DataLoader(ours, batch_size=5, shuffle=True, generator=np.random.default_rng(1))
    assert labels_order(seeded) != labels_order(seeded)
    loaders = [data.DataLoader(ours, batch_size=5, shuffle=True, generator=minigen.Generator().manual_seed(5))
               for _ in range(2)]  # fmt: skip
    orders = [labels_order(loader) for loader in loaders]
    assert orders[0] == orders[1] and orders[0] != first


def test_worker_options_are_accepted_and_change_nothing():
    ours, _ = pair()
    plain_batches = list(data.DataLoader(ours, batch_size=4))
    options = {"num_workers": 2, "pin_memory": True, "persistent_workers": True, "prefetch_factor": 2}
    for a, b in zip(plain_batches, data.DataLoader(ours, batch_size=4, **options), strict=True):
        assert_same(a, b)


class Stream(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset(drop_last):
    mine = data.DataLoader(Stream(7), batch_size=3, drop_last=drop_last)
    yours = tdata.DataLoader(TorchStream(7), batch_size=3, drop_last=drop_last)
    assert len(mine) == len(yours)
    assert [batch.numpy().tolist() for batch in mine] == [batch.tolist() for batch in yours]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        data.DataLoader(Stream(3), shuffle=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"batch_size": -2},
        {"batch_size": 1.5},
        {"num_workers": -1},
        {"shuffle": True, "sampler": [0, 1]},
        {"batch_sampler": [[0, 1]], "batch_size": 2},
        {"batch_sampler": [[0, 1]], "shuffle": True},
        {"batch_size": None, "drop_last": True},
        {"prefetch_factor": 2},
        {"persistent_workers": True},
        {"timeout": -1},
    ],
)
def test_bad_loader_arguments_fail_as_in_torch_in_one_line(kwargs):
    ours, theirs = pair()
    with pytest.raises(ValueError) as error:
        data.DataLoader(ours, **kwargs)
    assert "\n" not in str(error.value)
    with pytest.raises((ValueError, TypeError)):
        tdata.DataLoader(theirs, **kwargs)


def test_loader_rejects_non_datasets_and_frozen_attributes():
    with pytest.raises(TypeError, match="expected a map-style dataset"):
        data.DataLoader(5)
    loader = data.DataLoader(pair()[0], batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 4
    assert loader.batch_size == 2 and len(loader) == 5
