"""Reading a batch: its observations sorted by store and row, and copied from memory maps.

A batch asks for observations in any order. :class:`BatchOrder` sorts them once by
(store, row): that gives the rows of each store (for labels and readers) and the runs of
consecutive rows that block shuffling and sequential reading produce.
:func:`gather_memmaps` then copies a batch out of memory-mapped stores with as few
copies as the batch allows:

- rows in runs (a run averages at least :data:`RUN_BYTES`): one copy per run, straight to
  the run's places in the batch;
- each store's rows filling one stretch of the batch: one gather per store;
- scattered rows: a gather per store into a buffer, in (store, row) order, then one
  gather into the order asked for. :class:`~._copier.RowCopier` picks torch or numpy.

:func:`gather_csr` does the same for CSR stores: neighbouring rows are one range of
values, a few long ranges are sliced from the maps, many are gathered per store, and
one scatter puts the values in place.

Examples:
    >>> order = BatchOrder(np.array([1, 0, 1, 1]), np.array([7, 3, 5, 6]))
    >>> [(store, positions.tolist()) for store, positions in order.groups()]
    [(0, [1]), (1, [2, 3, 0])]
    >>> [(store, first, n) for store, first, n, _ in order.runs(order.sorted_rows, 4)]
    [(0, 3, 1), (1, 5, 3)]
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch

from ._copier import RowCopier, Way, as_tensor, take_rows_into
from ._elements import Layout, range_positions

#: Bytes a run of rows should hold on average for the batch to be copied run by run:
#: below that, a Python step per run costs more than the second copy of a gather.
RUN_BYTES = 32 << 10

Run = tuple[int, int, int, "slice | np.ndarray"]


class BatchOrder:
    """The observations of a batch (``stores[k]``, ``rows[k]``) sorted by store and row."""

    def __init__(self, stores: np.ndarray, rows: np.ndarray):
        self.n = n = int(stores.size)
        self.stores, self.rows = stores, rows
        order: np.ndarray | None = None
        if n > 1:
            key = (stores << 40) | rows  # (store, row), rows below 2**40
            if not bool((key[1:] >= key[:-1]).all()):
                order = np.argsort(key, kind="stable")
        #: Batch positions in (store, row) order; ``None``: the batch is in that order.
        self.order = order
        self.sorted_stores = stores if order is None else stores[order]
        self.sorted_rows = rows if order is None else rows[order]
        cuts = np.flatnonzero(self.sorted_stores[1:] != self.sorted_stores[:-1]) + 1
        self.bounds: list[int] = [0, *cuts.tolist(), n] if n else []

    def positions(self, a: int, b: int) -> slice | np.ndarray:
        """The batch positions of sorted observations ``a:b``."""
        return slice(a, b) if self.order is None else self.order[a:b]

    def groups(self) -> list[tuple[int, slice | np.ndarray]]:
        """Each store of the batch with the positions of its rows, in row order."""
        return [
            (int(self.sorted_stores[a]), self.positions(a, b))
            for a, b in itertools.pairwise(self.bounds)
        ]

    def runs(self, file_rows: np.ndarray, max_runs: int) -> list[Run] | None:
        """Runs of consecutive ``file_rows`` (the sorted rows' places in their files).

        Each run is ``(store, first file row, number of rows, batch positions)``, the
        positions a slice where they follow on too. ``None`` when there are more than
        ``max_runs`` runs.
        """
        n = self.n
        if n == 0:
            return []
        stores = self.sorted_stores
        breaks = (file_rows[1:] - file_rows[:-1] != 1) | (stores[1:] != stores[:-1])
        starts = np.flatnonzero(breaks) + 1
        if starts.size >= max_runs:
            return None
        firsts = np.concatenate(([0], starts))
        ends = np.append(starts, n)
        counts = (ends - firsts).tolist()
        run_stores = stores[firsts].tolist()
        run_rows = file_rows[firsts].tolist()
        if self.order is None:
            return [
                (s, f, c, slice(a, a + c))
                for s, f, c, a in zip(run_stores, run_rows, counts, firsts.tolist(), strict=True)
            ]
        order = self.order
        # A run lands on consecutive batch positions when no step inside it breaks them.
        jumps = np.concatenate(([0], np.cumsum(order[1:] - order[:-1] != 1)))
        follows = (jumps[ends - 1] == jumps[firsts]).tolist()
        places = order[firsts].tolist()
        return [
            (s, f, c, slice(p, p + c) if ok else order[a : a + c])
            for s, f, c, p, ok, a in zip(
                run_stores, run_rows, counts, places, follows, firsts.tolist(), strict=True
            )
        ]


def _file_rows(order: BatchOrder, sources: list[Any]) -> np.ndarray:
    """The sorted observations' rows in their files' mapped regions."""
    parts = []
    for a, b in itertools.pairwise(order.bounds):
        layout = sources[int(order.sorted_stores[a])].layout
        rows = order.sorted_rows[a:b]
        parts.append(rows if layout.chunk_starts is None else layout.file_rows(rows))
    if len(parts) == 1:
        return parts[0]  # type: ignore[no-any-return]
    return np.concatenate(parts) if parts else order.sorted_rows


def _copy_runs(out: np.ndarray, sources: list[Any], runs: list[Run], way: Way) -> int:
    """Copy each run to its places in ``out``: numpy, or torch's threads."""
    target = as_tensor(out) if way == "torch" else None  # None: a dtype torch lacks
    for s, first, count, where in runs:
        source = sources[s]
        if target is None or source.tensor is None:
            out[where] = source.array[first : first + count]
        elif isinstance(where, slice):
            target[where].copy_(source.tensor[first : first + count])
        else:
            target.index_copy_(0, torch.from_numpy(where), source.tensor[first : first + count])
    return out.nbytes


def gather_memmaps(
    out: np.ndarray,
    sources: list[Any],
    order: BatchOrder,
    copier: RowCopier,
    scratch: np.ndarray,
) -> None:
    """Fill ``out`` (the batch, C-contiguous) from memory-mapped ``sources``.

    ``sources[s]``: store ``s``'s :class:`~._elements.MemmapRows` (``array``,
    ``tensor``, ``layout``); ``scratch``: a buffer of ``out``'s shape and dtype, to reuse.
    """
    n = order.n
    if n == 0:
        return
    file_rows = _file_rows(order, sources)
    row_bytes = out.shape[1] * out.dtype.itemsize
    runs = order.runs(file_rows, max_runs=max(1, n * row_bytes // RUN_BYTES))
    if runs is not None:
        copier.copy(lambda way: _copy_runs(out, sources, runs, way))
        return
    bounds = list(itertools.pairwise(order.bounds))
    stretches = []
    for a, b in bounds:
        where = order.positions(a, b)
        if isinstance(where, slice):
            stretches.append(where)
            continue
        low = int(where.min())
        if int(where.max()) - low != b - a - 1:
            break
        stretches.append(slice(low, low + b - a))
    else:  # each store fills one stretch: gather its rows in the order asked for

        def fill_stretches(way: Way) -> int:
            for (a, _), stretch in zip(bounds, stretches, strict=True):
                source = sources[int(order.sorted_stores[a])]
                wanted = source.layout.file_rows(order.rows[stretch])
                take_rows_into(source.array, way, wanted, out[stretch], source.tensor)
            return out.nbytes

        copier.copy(fill_stretches)
        return

    def fill(way: Way) -> int:
        for a, b in bounds:
            source = sources[int(order.sorted_stores[a])]
            take_rows_into(source.array, way, file_rows[a:b], scratch[a:b], source.tensor)
        assert order.order is not None  # (sorted batches copy run by run or by stretch)
        inverse = np.empty(n, dtype=np.int64)
        inverse[order.order] = np.arange(n)
        take_rows_into(scratch, way, inverse, out)
        return 2 * out.nbytes

    copier.copy(fill)


#: Ranges of CSR values a batch reads as slices, one by one; more are gathered per store.
CSR_SLICES = 32


def _csr_ranges(order: BatchOrder, matrices: list[Any]) -> tuple[np.ndarray, ...]:
    """The sorted rows' value ranges, and those ranges merged where rows are neighbours."""
    n = order.n
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    for a, b in itertools.pairwise(order.bounds):
        indptr = matrices[int(order.sorted_stores[a])].indptr
        rows = order.sorted_rows[a:b]
        starts[a:b] = indptr[rows]
        ends[a:b] = indptr[rows + 1]
    stores = order.sorted_stores
    cut = np.flatnonzero((starts[1:] != ends[:-1]) | (stores[1:] != stores[:-1])) + 1
    firsts = np.concatenate(([0], cut))
    lasts = np.append(cut - 1, n - 1)
    return starts, ends, stores[firsts], starts[firsts], ends[lasts]


def _copy_pieces(
    out: np.ndarray,
    matrices: list[Any],
    part: str,
    stores: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    """``out = concat(matrices[s].<part>[a:b] ...)``, slice by slice from the maps."""
    at = 0
    for s, a, b in zip(stores.tolist(), starts.tolist(), ends.tolist(), strict=True):
        rows = getattr(matrices[s], part)
        for first, count in rows.layout.pieces(a, b):
            out[at : at + count] = rows.array[first : first + count]
            at += count


def _joined_layout(arrays: list[Any]) -> tuple[Layout, np.ndarray] | None:
    """One chunk table for the same array of every store, to map ranges of all at once.

    Store ``s``'s range ``[a, b)`` is the joined layout's ``[a + shift[s], b + shift[s])``
    (its chunks numbered after those of the stores before it); the file ranges that come
    back are in store ``s``'s own map. ``None`` when no store is chunked (positions are
    file positions) or when the chunk sizes differ.
    """
    layouts = [rows.layout for rows in arrays]
    chunked = {layout.chunk_rows for layout in layouts if layout.chunk_starts is not None}
    if len(chunked) != 1:
        return None
    c = chunked.pop()
    tables, shifts, chunks = [], [], 0
    for rows, layout in zip(arrays, layouts, strict=True):
        table = layout.chunk_starts
        if table is None:  # a contiguous store: its chunk k at row k * c
            table = np.arange(-(-rows.size // c), dtype=np.int64) * c
        tables.append(np.asarray(table, dtype=np.int64))
        shifts.append(chunks * c)
        chunks += tables[-1].size
    joined = Layout(0, 0, c, np.concatenate(tables))
    return joined, np.array(shifts, dtype=np.int64)


class CsrSources:
    """The memory-mapped CSR stores of an element, as :func:`gather_csr` reads them."""

    def __init__(self, matrices: list[Any]):
        self.matrices = matrices
        self.columns_dtype = np.result_type(*(m.indices.dtype for m in matrices), np.int32)
        self.layouts = {
            part: _joined_layout([getattr(m, part) for m in matrices])
            for part in ("data", "indices")
        }
        self.plain = {
            part: all(getattr(m, part).layout.chunk_starts is None for m in matrices)
            for part in ("data", "indices")
        }

    def file_positions(
        self, part: str, stores: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> np.ndarray | None:
        """Every file position of the ranges, in order; ``None``: map them per store."""
        if self.plain[part]:
            return range_positions(starts, ends)
        joined = self.layouts[part]
        if joined is None:
            return None
        layout, shifts = joined
        shift = shifts[stores]
        return range_positions(*layout.file_ranges(starts + shift, ends + shift))


def _take(out: np.ndarray, source: np.ndarray, where: np.ndarray) -> None:
    if source.dtype == out.dtype:
        np.take(source, where, out=out, mode="clip")
    else:
        out[:] = source[where]


def _gather_elements(
    values: np.ndarray,
    columns: np.ndarray,
    sources: CsrSources,
    stores: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    """Many ranges of values (sorted by store): their file positions worked out for the
    whole batch at once, then one gather per store from ``data`` and one from ``indices``."""
    bounds = np.concatenate(([0], np.cumsum(ends - starts))).tolist()
    cuts = (np.flatnonzero(stores[1:] != stores[:-1]) + 1).tolist()
    groups = list(itertools.pairwise([0, *cuts, stores.size]))
    for part, out in (("data", values), ("indices", columns)):
        where = sources.file_positions(part, stores, starts, ends)
        for a, b in groups:
            rows = getattr(sources.matrices[int(stores[a])], part)
            first, last = bounds[a], bounds[b]
            if where is None:  # chunk sizes differ between stores: map per store
                mine = rows.layout.file_rows(range_positions(starts[a:b], ends[a:b]))
            else:
                mine = where[first:last]
            _take(out[first:last], rows.array, mine)


def gather_csr(out: np.ndarray, sources: CsrSources, order: BatchOrder) -> None:
    """Fill ``out`` (the batch, zeroed, C-contiguous) from memory-mapped CSR ``matrices``.

    ``sources.matrices[s]``: store ``s``'s :class:`~._elements.CsrMatrix`, its ``data``
    and ``indices`` memory-mapped (:class:`~._elements.MemmapRows`). The rows are read in
    file order: neighbouring rows are one range of values (a block of rows, one slice
    of ``data`` and one of ``indices``). Then one scatter puts every value in its place.
    """
    n = order.n
    if n == 0:
        return
    matrices = sources.matrices
    starts, ends, run_stores, run_starts, run_ends = _csr_ranges(order, matrices)
    lengths = ends - starts
    total = int(lengths.sum())
    values = np.empty(total, dtype=out.dtype)  # stores may differ in dtypes
    columns = np.empty(total, dtype=sources.columns_dtype)
    if run_starts.size <= CSR_SLICES:  # a few long ranges: slices, chunk by chunk
        _copy_pieces(values, matrices, "data", run_stores, run_starts, run_ends)
        _copy_pieces(columns, matrices, "indices", run_stores, run_starts, run_ends)
    else:  # scattered rows: one gather per store and array, positions worked out at once
        _gather_elements(values, columns, sources, run_stores, run_starts, run_ends)
    places = np.arange(n, dtype=np.int64) if order.order is None else order.order
    flat = np.repeat(places * out.shape[1], lengths)
    flat += columns
    out.reshape(-1)[flat] = values


__all__ = [
    "CSR_SLICES",
    "RUN_BYTES",
    "BatchOrder",
    "CsrSources",
    "gather_csr",
    "gather_memmaps",
]
