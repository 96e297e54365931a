"""``torch.utils.data`` for minigen: datasets, samplers, ``default_collate`` and ``DataLoader``, PyTorch's names.

    import minigen.utils.data
    from minigen.vision import datasets, transforms

    train = datasets.EmbeddedMNIST("../data", train=True, transform=transforms.ToTensor())
    loader = minigen.utils.data.DataLoader(train, batch_size=128, shuffle=True)
    for images, labels in loader:   # [float32 (128, 1, 28, 28), int64 (128,)], as PyTorch collates them
        ...

Two loaders, two jobs. This ``DataLoader`` takes any map-style dataset (``len(d)`` and ``d[i]``) and
batches its samples exactly as PyTorch's does. ``minigen.data.DataLoader`` is the trainer's loader over
whole (images, labels) arrays, with its own seed and an exact mid-epoch resume.

Loading happens in this process, in order: ``num_workers``, ``pin_memory``, ``persistent_workers``,
``prefetch_factor``, ``timeout``, ``worker_init_fn`` (never called), ``multiprocessing_context``,
``pin_memory_device`` and ``in_order`` are accepted, checked as PyTorch checks them, and change nothing.
Shuffling draws from minigen's host generator, so ``minigen.manual_seed(s)`` repeats the order, or from
``generator`` (a ``numpy.random.Generator`` or an int seed).

Vectorised batches: with the default ``collate_fn``, a ``TensorDataset``, a ``minigen.vision`` array dataset
(MNIST, FashionMNIST, EmbeddedMNIST, CIFAR10) whose transform has a batch form (``ToTensor`` or ``PILToTensor``,
then any of ``Normalize``, ``Pad``, ``CenterCrop``, in ``Compose``; see ``minigen.vision.transforms.batched``) and
no ``target_transform``, or a ``Subset`` of either, is batched by fancy indexing its arrays, not sample by sample
(no PIL image is made). The batches are the per-sample path's, bit for bit. A dataset offers this through a
``_minigen_batch_fetcher()`` method returning ``indices -> batch`` (or None).
"""

from __future__ import annotations

import bisect
import collections.abc
import itertools
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from minigen import backend
from minigen.random import generator_from
from minigen.tensor import Tensor

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "default_collate", "default_convert",
    "random_split",
]  # fmt: skip


def _is_tensor(value: Any) -> bool:
    return getattr(value, "_is_minigen_tensor", False)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


# ----------------------------------------------------------------------------------------------- datasets


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` (and usually ``__len__``)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``; the DataLoader batches it in order."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Sample i is ``tuple(tensor[i] for tensor in tensors)``; all tensors share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        for position, tensor in enumerate(tensors):
            if not _is_tensor(tensor):
                raise TypeError(f"tensors[{position}]: got {type(tensor).__name__} (expected a minigen Tensor)")
        sizes = [tensor.shape[0] if tensor.ndim else None for tensor in tensors]
        if len(set(sizes)) > 1 or None in sizes:
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes} (expected all equal)")
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0

    def _minigen_batch_fetcher(self) -> Callable[[list[int]], list[Tensor]]:
        """Whole batches by fancy indexing: what default_collate makes of the samples, without them."""

        def fetch(indices: list[int]) -> list[Tensor]:
            return [Tensor(tensor.data[backend.as_array(np.asarray(indices, np.int64), device=tensor.device)])
                    for tensor in self.tensors]  # fmt: skip

        return fetch


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index: int | list[int]) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def _minigen_batch_fetcher(self) -> Callable[[list[int]], Any] | None:
        inner = getattr(self.dataset, "_minigen_batch_fetcher", None)
        inner = inner() if inner is not None else None
        if inner is None:
            return None
        return lambda indices: inner([int(self.indices[i]) for i in indices])


class ConcatDataset(Dataset):
    """The samples of each of ``datasets``, one after the other."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets: an empty list (expected at least one dataset)")
        for position, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"datasets[{position}]: ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"index: {index} (absolute value of index should not exceed dataset length {len(self)})"
                )
            index = len(self) + index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        if which >= len(self.datasets):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {len(self)} samples")
        return self.datasets[which][index - start]


def _generator(generator: Any) -> np.random.Generator:
    """None: minigen's host generator (reseeded by minigen.manual_seed); else a CPU minigen.Generator, a numpy
    Generator or an int seed."""
    try:
        return generator_from(generator)
    except ValueError:
        raise ValueError(
            f"generator: {generator!r} (expected None, a CPU minigen.Generator, a numpy.random.Generator or an int "
            "seed >= 0)"
        ) from None


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given ``lengths`` (counts, or fractions
    summing to 1: the floors, then the remainder one by one round-robin, as PyTorch)."""
    total = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"lengths[{position}]: fraction {fraction} is not between 0 and 1")
        counts = [int(math.floor(total * fraction)) for fraction in lengths]
        for position in range(total - sum(counts)):
            counts[position % len(counts)] += 1
        lengths = counts
    if sum(lengths) != total:
        raise ValueError(
            f"lengths: {lengths} sum to {sum(lengths)} (Sum of input lengths does not equal the length of the input "
            f"dataset, {total})"
        )
    order = _generator(generator).permutation(total).tolist()
    return [
        Subset(dataset, order[offset - length : offset])
        for offset, length in zip(itertools.accumulate(lengths), lengths)
    ]


# ----------------------------------------------------------------------------------------------- samplers


class Sampler:
    """Yields dataset indices (or, for a batch sampler, lists of them)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order each epoch (or ``num_samples`` draws ``replacement``), from minigen's host
    generator (``minigen.manual_seed``) or ``generator``."""

    def __init__(
        self, data_source: Any, replacement: bool = False, num_samples: int | None = None, generator: Any = None
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        if num_samples is not None and not _is_positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples!r}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        if not _is_positive_int(self.num_samples):
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples!r}"
            )
        self.generator = generator
        self._rng = None if generator is None else _generator(generator)  # one stream across epochs

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = self._rng if self._rng is not None else _generator(None)  # looked up now: manual_seed replaces it
        size, count = len(self.data_source), self.num_samples
        if self.replacement:
            yield from rng.integers(0, size, size=count).tolist()
            return
        for _ in range(count // size):
            yield from rng.permutation(size).tolist()
        if count % size:
            yield from rng.permutation(size)[: count % size].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices, self.generator = indices, generator
        self._rng = None if generator is None else _generator(generator)

    def __iter__(self) -> Iterator[int]:
        rng = self._rng if self._rng is not None else _generator(None)
        for position in rng.permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last one shorter unless ``drop_last``."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1


# ----------------------------------------------------------------------------------------------- collation

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack(tensors: Sequence[Any]) -> Tensor:
    first = tuple(tensors[0].shape)
    for position, tensor in enumerate(tensors):
        if tuple(tensor.shape) != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                f"{list(tensor.shape)} at entry {position}"
            )
    arrays = [tensor.data if _is_tensor(tensor) else tensor for tensor in tensors]
    return Tensor(backend.get_array_module(arrays[0]).stack(arrays))


def default_collate(batch: Sequence[Any]) -> Any:
    """PyTorch's default collation: tensors and arrays stacked; ints -> int64 tensor; floats -> float64 tensor
    (PyTorch's choice); bools -> bool tensor; strings kept as a list; dicts, named tuples and sequences
    collated field by field (a tuple of fields becomes a list, as in PyTorch)."""
    elem = batch[0]
    if _is_tensor(elem):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSUV":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _stack(batch)
    if isinstance(elem, np.generic) and not isinstance(elem, np.str_ | np.bytes_):
        return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=bool))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    hint = " (a PIL image: add transforms.ToTensor() to the dataset's transform)" if hasattr(elem, "getbands") else ""
    raise TypeError(_COLLATE_ERROR.format(type(elem)) + hint)


def default_convert(data: Any) -> Any:
    """Without batching (``batch_size=None``): NumPy arrays become tensors, containers are converted inside."""
    if isinstance(data, np.ndarray | np.generic) and data.dtype.kind not in "OSUV":
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return [default_convert(value) for value in data]
    return data


# ----------------------------------------------------------------------------------------------- the loader


class DataLoader:
    """Batches of a dataset, PyTorch's ``torch.utils.data.DataLoader``, loaded in this process.

    dataset: map-style (``len``, ``[i]``) or an :class:`IterableDataset`. ``shuffle``: a new order each epoch
    (minigen's random state, or ``generator``). ``len(loader)`` is the number of batches.
    """

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(
                f"num_workers: {num_workers!r} (num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing)"
            )
        if timeout < 0:
            raise ValueError(f"timeout: {timeout!r} (timeout option should be non-negative)")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                f"prefetch_factor: {prefetch_factor!r} (prefetch_factor option could only be specified in "
                "multiprocessing; let num_workers > 0 to enable multiprocessing, otherwise set it to None)"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers: True (persistent_workers option needs num_workers > 0)")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle not in (None, False)), ("sampler", sampler is not None),
                                ("batch_sampler", batch_sampler is not None)):  # fmt: skip
                if value:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option")
        elif not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                f"dataset: {type(dataset).__name__} (expected a map-style dataset with __len__ and __getitem__, "
                "or an IterableDataset)"
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
                )
        elif not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in self._FROZEN:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _fetch(self, indices: list[int]) -> list[Any]:
        get_items = getattr(self.dataset, "__getitems__", None)
        return get_items(indices) if get_items else [self.dataset[index] for index in indices]

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iterate_stream()
            return
        if self.batch_sampler is None:  # batch_size=None: one converted sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        fetcher = getattr(self.dataset, "_minigen_batch_fetcher", None)
        fast = fetcher() if fetcher is not None and self.collate_fn is default_collate else None
        for indices in self.batch_sampler:
            yield fast(list(indices)) if fast is not None else self.collate_fn(self._fetch(indices))

    def _iterate_stream(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        stream = iter(self.dataset)
        while batch := list(itertools.islice(stream, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)
