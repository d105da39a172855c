"""Samplers that keep randomness while a batch reads contiguous runs of rows.

Random shuffling makes every batch read scattered rows. Block shuffling permutes blocks
of ``block_size`` consecutive observations instead, then (given the batch size)
shuffles the order within each batch: a batch of 256 with blocks of 64 reads four
contiguous runs. :class:`DistributedBlockShuffleSampler` is its variant for
``torch.distributed``: every rank draws the same block order for an epoch and takes its
own contiguous shard of it, so each observation is read by exactly one rank (as with
``DistributedSampler``, the shards are padded to equal length with repeated
observations unless ``drop_last``).

Examples:
    >>> order = block_order(10, block_size=4, batch_size=None, rng=np.random.default_rng(0))
    >>> sorted(order.tolist()) == list(range(10))
    True
    >>> [len(list(DistributedBlockShuffleSampler(10, num_replicas=2, rank=r))) for r in (0, 1)]
    [5, 5]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

import numpy as np
from torch.utils.data import Sampler

from ...errors import InvalidArgument
from ._elements import range_positions


def _size(data_source: Sized | int) -> int:
    if isinstance(data_source, int | np.integer):
        if data_source < 0:
            msg = f"The number of observations must be >= 0, got {data_source}"
            raise InvalidArgument(msg)
        return int(data_source)
    return len(data_source)


def _positive(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int | np.integer) or value < 1):
        msg = f"{name} must be a positive integer, got {value!r}"
        raise InvalidArgument(msg)


def block_order(
    n: int,
    block_size: int,
    batch_size: int | None,
    rng: np.random.Generator,
    shuffle: bool = True,
) -> np.ndarray:
    """Observation numbers ``0..n-1``: blocks permuted, then shuffled within each batch."""
    n_blocks = math.ceil(n / block_size) if n else 0
    blocks = rng.permutation(n_blocks) if shuffle else np.arange(n_blocks)
    starts = blocks.astype(np.int64) * block_size
    order = range_positions(starts, np.minimum(starts + block_size, n))
    if shuffle and batch_size is not None and batch_size > 1:
        shuffle_within_batches(order, batch_size, rng)
    return order


def shuffle_within_batches(order: np.ndarray, batch_size: int, rng: np.random.Generator) -> None:
    """Shuffle ``order`` in place within each window of ``batch_size``."""
    full = (order.size // batch_size) * batch_size
    if full:
        order[:full] = rng.permuted(order[:full].reshape(-1, batch_size), axis=1).reshape(-1)
    if full < order.size:
        order[full:] = rng.permutation(order[full:])


def _torch_seed(generator: Any = None) -> int:
    import torch

    return int(torch.randint(0, 2**62, (1,), generator=generator).item())


class BlockShuffleSampler(Sampler[int]):
    """Shuffle blocks of consecutive observations, then the order within each batch.

    Use it as a ``DataLoader``'s ``sampler`` (with ``batch_size`` set on both).

    Args:
        data_source: The dataset (or its length).
        block_size: Observations per block (rows read as one contiguous run).
        batch_size: The DataLoader's batch size: the order within each batch is
            shuffled too.
        shuffle: ``False`` gives the observations in order.
        seed: With a seed, the order of an epoch depends only on seed and
            :meth:`set_epoch`; without one, each iteration draws a new order from
            PyTorch's random generator (``torch.manual_seed`` makes it repeatable).
        generator: A ``torch.Generator`` to draw from instead, when ``seed`` is None.

    Examples:
        >>> sampler = BlockShuffleSampler(8, block_size=2, batch_size=4, seed=1)
        >>> order = list(sampler)
        >>> sorted(order) == list(range(8)), len(sampler)
        (True, 8)
        >>> order == list(sampler)  # same seed and epoch, same order
        True
    """

    def __init__(
        self,
        data_source: Sized | int,
        block_size: int = 64,
        batch_size: int | None = None,
        *,
        shuffle: bool = True,
        seed: int | None = None,
        generator: Any = None,
    ):
        _positive("block_size", block_size)
        _positive("batch_size", batch_size)
        self.n = _size(data_source)
        self.block_size = int(block_size)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.generator = generator
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (with a ``seed``)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        seed = self.seed if self.seed is not None else _torch_seed(self.generator)
        rng = np.random.default_rng([seed, self.epoch])
        order = block_order(self.n, self.block_size, self.batch_size, rng, self.shuffle)
        return iter(order.tolist())


class DistributedBlockShuffleSampler(Sampler[int]):
    """:class:`BlockShuffleSampler` for ``torch.distributed``: one shard of blocks per rank.

    Every rank computes the same block order from ``seed`` and the epoch (call
    :meth:`set_epoch` each epoch), pads it to a multiple of ``num_replicas`` (or drops
    the rest with ``drop_last``), and takes its contiguous share.

    Args:
        data_source: The dataset (or its length).
        num_replicas: Number of ranks (default: the world size of the process group).
        rank: This rank (default: the rank in the process group).
        block_size: Observations per block.
        batch_size: The per-rank batch size: the order within each batch is shuffled.
        shuffle: ``False`` shards the observations in order.
        seed: Seed shared by every rank.
        drop_last: Drop the tail that does not divide evenly instead of padding.

    Examples:
        >>> shards = [list(DistributedBlockShuffleSampler(9, 3, r, block_size=2)) for r in range(3)]
        >>> sorted(sum(shards, [])) == list(range(9))
        True
    """

    def __init__(
        self,
        data_source: Sized | int,
        num_replicas: int | None = None,
        rank: int | None = None,
        *,
        block_size: int = 64,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None or rank is None:
            import torch.distributed as dist

            if not (dist.is_available() and dist.is_initialized()):
                msg = (
                    "DistributedBlockShuffleSampler needs num_replicas and rank, or an "
                    "initialized torch.distributed process group"
                )
                raise InvalidArgument(msg)
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        _positive("num_replicas", num_replicas)
        _positive("block_size", block_size)
        _positive("batch_size", batch_size)
        if not 0 <= rank < num_replicas:
            msg = f"Invalid rank {rank}; valid ranks: 0 to {num_replicas - 1}"
            raise InvalidArgument(msg)
        self.n = _size(data_source)
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.block_size, self.batch_size = int(block_size), batch_size
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0
        if drop_last:
            self.num_samples = self.n // self.num_replicas
        else:
            self.num_samples = math.ceil(self.n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (call it on every rank before each epoch)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        order = block_order(self.n, self.block_size, None, rng, self.shuffle)
        if self.total_size > order.size and order.size:
            repeats = math.ceil(self.total_size / order.size)
            order = np.tile(order, repeats)
        order = order[: self.total_size]
        mine = order[self.rank * self.num_samples : (self.rank + 1) * self.num_samples].copy()
        if self.shuffle and self.batch_size is not None and self.batch_size > 1:
            local = np.random.default_rng([self.seed, self.epoch, self.rank])
            shuffle_within_batches(mine, self.batch_size, local)
        return iter(mine.tolist())
