"""``DataLoader``: cut a dataset into shuffled mini-batches of minigen tensors.

    loader = DataLoader(images, labels, batch_size=64, seed=0,
                        transform=Compose([Pad(2), Scale(-1, 1)]), device="cuda")
    for epoch in range(10):
        for x, y in loader:        # x: float32 tensor (64, 32, 32), y: int64 tensor (64,)
            ...

Shuffling uses the loader's own ``numpy.random.Generator`` seeded from ``seed``:
each epoch draws a new permutation, and the same seed gives the same batches
in every run, whatever else uses NumPy's global random state. Leaving a loop
early (``break``, or ``next(iter(loader))`` to peek at one batch) ends that
epoch: the next loop starts a new one with a new order.

Exact resume. ``state_dict()`` returns the loader's position (epoch, batches
already handed out in it) and its random state as small plain arrays and ints
(safe for ``np.savez`` or JSON). A new loader given that state with
``load_state_dict`` carries on with exactly the batches the first one would
have produced next, even in the middle of an epoch. Save it with the model
after each training step, and the resumed run sees the same data order as an
uninterrupted one.

The batches are gathered and transformed on the host with NumPy; only the
finished batch is moved to the device.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .transforms import Transform

__all__ = ["DataLoader"]

_MASK64 = (1 << 64) - 1


def _to_tensor(array: np.ndarray, device: str) -> Any:
    """The one place the loader touches the core: a host array -> a minigen tensor on ``device``."""
    import minigen  # imported here so that minigen.data never imports minigen at load time

    return minigen.tensor(array, device=device)


def _pack_rng_state(state: dict) -> np.ndarray:
    """A PCG64 ``bit_generator.state`` as a uint64 array of 6 numbers (128-bit ints split in two)."""
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"DataLoader can only save a PCG64 generator, got {state['bit_generator']}")
    numbers = state["state"]["state"], state["state"]["inc"]
    return np.array(
        [numbers[0] >> 64, numbers[0] & _MASK64, numbers[1] >> 64, numbers[1] & _MASK64,
         state["has_uint32"], state["uinteger"]],
        dtype=np.uint64,
    )  # fmt: skip


def _unpack_rng_state(packed: Any) -> dict:
    """The ``bit_generator.state`` dict that :func:`_pack_rng_state` packed."""
    words = [int(word) for word in np.asarray(packed, dtype=np.uint64).reshape(-1)]
    if len(words) != 6:
        raise ValueError(f"rng_state must hold 6 numbers (see DataLoader.state_dict), got {len(words)}")
    return {
        "bit_generator": "PCG64",
        "state": {"state": (words[0] << 64) | words[1], "inc": (words[2] << 64) | words[3]},
        "has_uint32": words[4],
        "uinteger": words[5],
    }


class DataLoader:
    """Iterate over ``(images, labels)`` in mini-batches of minigen tensors.

    images:     NumPy array (N, ...), usually uint8 from :func:`minigen.data.load_dataset`.
    labels:     NumPy array (N,) of class indices.
    batch_size: images per batch; the last batch is smaller unless ``drop_last``.
    shuffle:    draw a new random order every epoch (else keep the data's order).
    seed:       seeds the loader's own random generator: same seed, same batches.
    drop_last:  skip the final incomplete batch, so every batch has ``batch_size`` images.
    transform:  a callable on the NumPy image batch (see :mod:`minigen.data.transforms`),
                applied before the move to the device.
    device:     "cpu" or "cuda": where the yielded tensors live.

    Each batch is ``(images, labels)``: images a float32 tensor, labels an int64 tensor.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        transform: Transform | None = None,
        device: str = "cpu",
    ):
        images, labels = np.asarray(images), np.asarray(labels)
        if len(images) != len(labels):
            raise ValueError(f"images and labels differ in length: {len(images)} images, {len(labels)} labels")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if drop_last and batch_size > len(images):
            raise ValueError(
                f"drop_last with batch_size={batch_size} > {len(images)} images would yield no batch at all"
            )
        self.images, self.labels = images, labels.astype(np.int64, copy=False)
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.transform, self.device, self.seed = transform, device, seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self.epoch = 0  # epochs started so far, counting one in progress
        self._batches_done = 0  # batches handed out in the current epoch
        self._in_epoch = False
        self._epoch_start_rng_state: dict | None = None  # before this epoch's permutation
        self._resume_pending = False  # set by load_state_dict in mid-epoch
        self._iteration = 0  # counts loops started, so a stale loop cannot end a newer one's epoch

    def __len__(self) -> int:
        """Batches per epoch."""
        full, rest = divmod(len(self.images), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def _epoch_order(self) -> np.ndarray:
        if self.shuffle:
            return self._rng.permutation(len(self.images))
        return np.arange(len(self.images))

    def _make_batch(self, indices: np.ndarray) -> tuple[Any, Any]:
        images = self.images[indices]
        if self.transform is not None:
            images = self.transform(images)
        images = np.ascontiguousarray(images, dtype=np.float32)
        labels = np.ascontiguousarray(self.labels[indices])
        return _to_tensor(images, self.device), _to_tensor(labels, self.device)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        """One epoch of batches (or the rest of one, after a mid-epoch ``load_state_dict``)."""
        if self._resume_pending:
            self._resume_pending = False
            self._rng.bit_generator.state = self._epoch_start_rng_state
            first_batch = self._batches_done
        else:
            if self._in_epoch:  # an earlier loop over this loader is still open: abandon it
                self._end_epoch()
            self._epoch_start_rng_state = self._rng.bit_generator.state
            first_batch = 0
        self._iteration += 1
        iteration = self._iteration
        order = self._epoch_order()
        self._in_epoch = True
        try:
            for batch_index in range(first_batch, len(self)):
                self._batches_done = batch_index + 1  # counted as done once handed out
                start = batch_index * self.batch_size
                yield self._make_batch(order[start : start + self.batch_size])
        finally:  # the epoch ran out, or the loop was left early (break): either way it is over
            if iteration == self._iteration and self._in_epoch:
                self._end_epoch()

    def _end_epoch(self) -> None:
        self._in_epoch, self._batches_done = False, 0
        self.epoch += 1

    def state_dict(self) -> dict[str, Any]:
        """The loader's position and random state, as plain ints and a small uint64 array."""
        rng_state = self._epoch_start_rng_state if self._in_epoch else self._rng.bit_generator.state
        return {
            "epoch": self.epoch,
            "batches_done": self._batches_done if self._in_epoch else 0,
            "rng_state": _pack_rng_state(rng_state),
            **self._settings(),
        }

    def _settings(self) -> dict[str, int]:
        """What must match between a saved loader and the one resuming from it."""
        return {
            "num_samples": len(self.images),
            "batch_size": self.batch_size,
            "shuffle": int(self.shuffle),
            "drop_last": int(self.drop_last),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state`` (from :meth:`state_dict`): the next loop yields the batches due next."""
        for key, expected in self._settings().items():
            if int(state[key]) != expected:
                raise ValueError(f"state_dict was saved with {key}={int(state[key])}, this loader has {expected}")
        self.epoch = int(state["epoch"])
        self._batches_done = int(state["batches_done"])
        rng_state = _unpack_rng_state(state["rng_state"])
        self._rng.bit_generator.state = rng_state
        self._epoch_start_rng_state = rng_state
        self._resume_pending = self._batches_done > 0
        self._in_epoch = self._resume_pending
        self._iteration += 1  # a loop still open over this loader must no longer touch its state
