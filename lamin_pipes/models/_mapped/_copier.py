"""Copying a batch's rows: with torch's threads while they pay, else with numpy's one.

On idle cores torch's ``index_select`` gathers rows on all intra-op threads, 1.3-3x
faster than numpy's ``take``; copying runs of rows, torch wins while the pages of a
memory map are touched for the first time and numpy once they are mapped. torch's
threads spin while they wait for each other, though: with the cores busy (other
processes, a training step on the CPU) a copy was seen to take 15x longer than numpy's.
:class:`RowCopier` times every batch, keeps a moving average of the cost per byte of
each way, and now and then tries the way it is not using for a few batches (less often
each time that way loses), so it follows the data's state and the machine's load.

Examples:
    >>> import numpy as np
    >>> copier = RowCopier()
    >>> source, out = np.arange(12.0).reshape(4, 3), np.empty((2, 3))
    >>> def fill(way):
    ...     take_rows_into(source, way, np.array([3, 0]), out)
    ...     return out.nbytes
    >>> copier.copy(fill)
    >>> out[:, 0].tolist()
    [9.0, 0.0]
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch

Way = Literal["torch", "numpy"]

#: Weight of the newest batch in the moving averages.
_ALPHA = 0.2
#: Batches between tries of the other way: at first, and at most.
_PROBE_FIRST, _PROBE_MAX = 32, 256
#: A batch counts for at most this many times the average (see ``_record``).
_SPIKE = 4.0
#: Batches in a try of the other way.
_PROBE_BATCHES = 3

_TORCH_DTYPES = frozenset(
    np.dtype(t)
    for t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8)
)


def as_tensor(array: np.ndarray) -> Any:
    """A torch view of a 2-D C-contiguous ``array`` (read-only too), else ``None``."""
    if array.dtype not in _TORCH_DTYPES or not array.flags.c_contiguous or array.ndim != 2:
        return None
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():  # a read-only memory map: nothing writes through it
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(array)


def take_rows_into(
    source: np.ndarray, way: Way, rows: np.ndarray, out: np.ndarray, tensor: Any = None
) -> None:
    """``out[:] = source[rows]`` in one gather, without a temporary.

    ``tensor``: ``as_tensor(source)`` when the caller keeps one (a memory map's).
    """
    if way == "torch" and out.flags.c_contiguous and out.dtype == source.dtype:
        view = tensor if tensor is not None else as_tensor(source)
        if view is not None:
            index = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64))
            torch.index_select(view, 0, index, out=torch.from_numpy(out))
            return
    np.take(source, rows, axis=0, out=out, mode="clip")


class RowCopier:
    """Chooses, batch by batch, the faster way to copy rows (see the module doc)."""

    def __init__(self) -> None:
        self.cost: dict[Way, float | None] = {"torch": None, "numpy": None}
        self.batches = 0
        self._interval = _PROBE_FIRST
        self._next_probe = _PROBE_FIRST
        self._tries: list[float] = []  # the costs of the other way's try so far

    def best(self) -> Way:
        """The way with the lower average cost so far (torch until both were timed)."""
        torch_cost, numpy_cost = self.cost["torch"], self.cost["numpy"]
        if torch_cost is None or numpy_cost is None:
            return "torch"
        return "torch" if torch_cost <= numpy_cost else "numpy"

    def way(self) -> Way:
        """The way to copy the next batch."""
        if torch.get_num_threads() < 2:  # one thread: numpy's copy is as fast
            return "numpy"
        if self.cost["torch"] is None:
            return "torch"
        best = self.best()
        if self._tries or self.cost["numpy"] is None or self.batches >= self._next_probe:
            return "numpy" if best == "torch" else "torch"
        return best

    def copy(self, fill: Callable[[Way], int]) -> None:
        """Run ``fill(way)`` for one batch, timed; it returns the bytes it copied."""
        way = self.way()
        before = self.best()
        started = time.perf_counter()
        copied = fill(way)
        self._record(way, (time.perf_counter() - started) / max(copied, 1), probe=way != before)

    def _record(self, way: Way, cost: float, *, probe: bool) -> None:
        self.batches += 1
        if probe:
            # A try of the other way runs a few batches and its cheapest counts: torch's
            # first batch after a rest pays for waking its threads. It stands for
            # itself, not averaged into a figure that may be long stale.
            self._tries.append(cost)
            if len(self._tries) < _PROBE_BATCHES:
                return
            self.cost[way] = min(self._tries)
            self._tries = []
            won = self.best() == way
            self._interval = _PROBE_FIRST if won else min(self._interval * 2, _PROBE_MAX)
            self._next_probe = self.batches + self._interval
            return
        old = self.cost[way]
        before = self.best()
        if old is None:
            self.cost[way] = cost
        else:  # one odd batch (a page fault storm, a collection) moves it by at most 60%
            self.cost[way] = old + _ALPHA * (min(cost, _SPIKE * old) - old)
        if self.cost["numpy"] is not None and self.best() != before:
            # The way in use got dearer than the other's last figure: switch, and try the
            # abandoned way again soon, its own figure being from the past too.
            self._interval = _PROBE_FIRST
            self._next_probe = self.batches + self._interval


_process_copier: tuple[int, RowCopier] | None = None


def process_copier() -> RowCopier:
    """The copier of this process: every dataset's batches teach it the machine's load."""
    global _process_copier
    if _process_copier is None or _process_copier[0] != os.getpid():
        _process_copier = (os.getpid(), RowCopier())
    return _process_copier[1]


__all__ = ["RowCopier", "Way", "as_tensor", "process_copier", "take_rows_into"]
