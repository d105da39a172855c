"""Readers of the arrays in an AnnData store: rows of a matrix, ranges of a flat array.

A ``MappedCollection`` asks for many rows at once (a batch), so every reader here takes
a whole vector of row numbers and answers in as few reads as the layout allows:

- **Uncompressed HDF5 datasets** (contiguous, or chunked with whole rows per chunk, as
  anndata writes sparse arrays) are read as bytes: the file offsets of the rows (of
  each chunk) are looked up once. A local file is memory-mapped and a batch is one
  numpy gather, with no system call and no HDF5 call; a remote file (``stream=True``)
  is read with one concurrent range request per run of rows (``fs.cat_ranges``).
- **Compressed or scattered HDF5 datasets** are read through h5py: the sorted rows are
  grouped into contiguous runs (or into the runs of chunks they touch), one slice read
  each.
- **zarr arrays** are read with one orthogonal (rows) or coordinate (flat) selection per
  batch; zarr groups the work by chunk.

Readers return rows in the order asked for, duplicates included. They hold open
handles and memory maps, so they live in one process: a store builds them lazily per
process (see :mod:`._stores`).

Examples:
    >>> import numpy as np
    >>> merged = merge_runs(np.array([5, 1, 2, 3, 9]))
    >>> merged[0].tolist(), merged[1].tolist()
    ([1, 5, 9], [4, 6, 10])
    >>> gather_ranges(np.arange(10) * 10, np.array([7, 1]), np.array([9, 2])).tolist()
    [70, 80, 10]
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

#: Row sources whose layout is found to be one run of bytes are checked on a few rows.
_CHECK_ROWS = 3
#: Remote reads merge runs of bytes separated by fewer than this many bytes.
_REMOTE_GAP = 64 * 1024
#: HDF5 chunk cache per dataset when reading through h5py (compressed data).
H5_CHUNK_CACHE = 32 * 1024 * 1024


class RowReader(Protocol):
    """Rows of a 2-D array (dense) in the order asked for."""

    shape: tuple[int, int]
    dtype: np.dtype[Any]

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The rows ``rows`` (any order, repeats allowed) as a ``(len(rows), n_cols)`` array."""
        ...


class FlatReader(Protocol):
    """Ranges of a 1-D array, concatenated in the order asked for."""

    size: int
    dtype: np.dtype[Any]

    def take_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """``concat(a[s:e] for s, e in zip(starts, ends))``."""
        ...


def merge_runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ``rows`` as runs ``[starts[i], ends[i])`` of consecutive numbers."""
    unique = np.unique(rows)
    if unique.size == 0:
        return unique, unique
    breaks = np.flatnonzero(np.diff(unique) != 1)
    starts = unique[np.concatenate(([0], breaks + 1))]
    ends = unique[np.concatenate((breaks, [unique.size - 1]))] + 1
    return starts, ends


def range_positions(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Every position of the ranges ``[starts[i], ends[i])``, concatenated in order."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def gather_ranges(array: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``concat(array[s:e] ...)`` for an in-memory (or memory-mapped) 1-D array."""
    if starts.size == 1:
        return np.array(array[int(starts[0]) : int(ends[0])])
    if 1 < starts.size <= 16:  # a few long ranges: slices copy faster than an index
        return np.concatenate(
            [array[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        )
    return np.asarray(array[range_positions(starts, ends)])


def _merge_spans(
    starts: np.ndarray, ends: np.ndarray, gap: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, merged spans covering ranges given in any order (gaps up to ``gap`` merged)."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    new = np.flatnonzero(starts[1:] > ends[:-1] + gap) + 1
    span_starts = starts[np.concatenate(([0], new))]
    span_ends = ends[np.concatenate((new - 1, [ends.size - 1]))]
    return span_starts, span_ends


def _gather_from_spans(
    buffer: np.ndarray,
    span_starts: np.ndarray,
    span_ends: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Ranges ``[starts, ends)`` cut from ``buffer``, the concatenation of the spans."""
    span_offsets = np.cumsum(span_ends - span_starts) - (span_ends - span_starts)
    which = np.searchsorted(span_starts, starts, side="right") - 1
    which = np.clip(which, 0, max(span_starts.size - 1, 0))
    local = starts - span_starts[which] + span_offsets[which] if starts.size else starts
    return gather_ranges(buffer, local, local + (ends - starts))


# --- where the bytes are -------------------------------------------------------------


class Layout:
    """Where the rows of an uncompressed HDF5 dataset are in its file.

    Rows are ``row_bytes`` each. A contiguous dataset is one run of rows at ``base``;
    a chunked one (chunks of ``chunk_rows`` whole rows) has chunk ``c`` at file row
    ``chunk_starts[c]``, counted in rows from ``base`` (chunks may sit anywhere, with
    other blocks between them).
    """

    def __init__(
        self,
        base: int,
        span_rows: int,
        chunk_rows: int = 0,
        chunk_starts: np.ndarray | None = None,
    ):
        self.base, self.span_rows = base, span_rows
        self.chunk_rows, self.chunk_starts = chunk_rows, chunk_starts

    def file_rows(self, rows: np.ndarray) -> np.ndarray:
        """Row numbers in the file region (from ``base``) of dataset rows ``rows``."""
        if self.chunk_starts is None:
            return rows
        c = self.chunk_rows
        return self.chunk_starts[rows // c] + rows % c  # type: ignore[no-any-return]

    def pieces(self, start: int, stop: int) -> list[tuple[int, int]]:
        """The dataset range ``[start, stop)`` as ``(file row, rows)`` pieces, one per chunk.

        The scalar twin of :meth:`file_ranges`, for a few long ranges.
        """
        if self.chunk_starts is None:
            return [(start, stop - start)]
        firsts = self.__dict__.get("_chunk_list")
        if firsts is None:
            firsts = self.__dict__["_chunk_list"] = self.chunk_starts.tolist()
        c = self.chunk_rows
        found = []
        while start < stop:
            chunk = start // c
            end = min(stop, (chunk + 1) * c)
            found.append((firsts[chunk] + start - chunk * c, end - start))
            start = end
        return found

    def file_ranges(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The file-region ranges holding dataset ranges ``[starts, ends)``, in order.

        A range that crosses chunk boundaries becomes one range per chunk; work is per
        range, not per element (a CSR row's values are one range).
        """
        if self.chunk_starts is None:
            return starts, ends
        c = self.chunk_rows
        keep = ends > starts
        if not keep.all():
            starts, ends = starts[keep], ends[keep]
        first, last = starts // c, (ends - 1) // c
        pieces = last - first + 1
        if starts.size == 0 or int(pieces.max()) == 1:
            file_starts = self.chunk_starts[first] + starts % c
            return file_starts, file_starts + (ends - starts)
        which = np.repeat(np.arange(starts.size), pieces)
        offsets = np.cumsum(pieces) - pieces
        chunk = first[which] + np.arange(which.size) - offsets[which]
        piece_starts = np.maximum(starts[which], chunk * c)
        piece_ends = np.minimum(ends[which], (chunk + 1) * c)
        file_starts = self.chunk_starts[chunk] + piece_starts - chunk * c
        return file_starts, file_starts + (piece_ends - piece_starts)


def h5_layout(dataset: Any) -> Layout | None:
    """The :class:`Layout` of an HDF5 dataset whose rows can be read as bytes, or None.

    That holds for a contiguous dataset, and for a chunked one whose chunks span whole
    rows, carry no filter and all exist (anndata's sparse arrays). Anything else
    (compression, chunks across columns, variable-length strings) gives None, and the
    dataset is read through h5py.
    """
    import h5py

    dtype = dataset.dtype
    if dtype.kind not in "biuf" or dtype.fields is not None or dataset.shape[0] == 0:
        return None
    n_rows = int(dataset.shape[0])
    dcpl = dataset.id.get_create_plist()
    if dcpl.get_nfilters() > 0:
        return None
    layout = dcpl.get_layout()
    if layout == h5py.h5d.CONTIGUOUS:
        offset = dataset.id.get_offset()
        return None if offset is None else Layout(int(offset), n_rows)
    if layout != h5py.h5d.CHUNKED:
        return None
    chunks = dataset.chunks
    if chunks is None or tuple(chunks[1:]) != tuple(dataset.shape[1:]):
        return None
    row_bytes = dtype.itemsize * math.prod(dataset.shape[1:])
    chunk_rows = int(chunks[0])
    chunk_bytes = chunk_rows * row_bytes
    expected = math.ceil(n_rows / chunk_rows)
    if dataset.id.get_num_chunks() != expected:
        return None
    infos: list[Any] = []
    if hasattr(dataset.id, "chunk_iter"):
        dataset.id.chunk_iter(infos.append)
    elif expected <= 4096:
        infos = [dataset.id.get_chunk_info(i) for i in range(expected)]
    else:
        return None
    infos.sort(key=lambda info: info.chunk_offset[0])
    firsts = np.array([info.chunk_offset[0] for info in infos], dtype=np.int64)
    offsets = np.array([info.byte_offset for info in infos], dtype=np.int64)
    sizes = np.array([info.size for info in infos], dtype=np.int64)
    masks = np.array([info.filter_mask for info in infos], dtype=np.int64)
    if (
        not np.array_equal(firsts, np.arange(expected, dtype=np.int64) * chunk_rows)
        or (sizes != chunk_bytes).any()
        or masks.any()
    ):
        return None
    base = int(offsets.min())
    relative = offsets - base
    if (relative % row_bytes).any():
        return None
    span_rows = int(relative.max() // row_bytes) + chunk_rows
    starts = relative // row_bytes
    if np.array_equal(starts, np.arange(expected, dtype=np.int64) * chunk_rows):
        return Layout(base, n_rows)  # the chunks lie in order, back to back
    return Layout(base, span_rows, chunk_rows, starts)


# --- row sources ---------------------------------------------------------------------


class MemmapRows:
    """Rows of an uncompressed array in a local file, memory-mapped: a batch is one gather."""

    def __init__(self, path: str, layout: Layout, shape: tuple[int, ...], dtype: np.dtype[Any]):
        self.shape = (shape[0], shape[1] if len(shape) > 1 else 1)
        self.dtype = np.dtype(dtype)
        self.layout = layout
        region = (layout.span_rows, *shape[1:])
        mapped = np.memmap(path, dtype=self.dtype, mode="r", offset=layout.base, shape=region)
        self.array: np.ndarray = mapped.view(np.ndarray)
        from ._copier import as_tensor  # torch: imported with the dataset, not before

        self.tensor = as_tensor(self.array)  # for torch's gathers (see _copier)

    @property
    def size(self) -> int:
        return self.shape[0]

    def take(self, rows: np.ndarray) -> np.ndarray:
        return np.take(self.array, self.layout.file_rows(rows), axis=0, mode="clip")

    def take_into(self, rows: np.ndarray, out: np.ndarray) -> None:
        """Write the rows into ``out`` (C-contiguous, same dtype) without a temporary."""
        np.take(self.array, self.layout.file_rows(rows), axis=0, out=out, mode="clip")

    def take_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return gather_ranges(self.array, *self.layout.file_ranges(starts, ends))


class RemoteRows:
    """Rows of an uncompressed array in a remote file: concurrent range requests per batch."""

    def __init__(
        self, fs: Any, path: str, layout: Layout, shape: tuple[int, ...], dtype: np.dtype[Any]
    ):
        self.fs, self.path, self.layout = fs, path, layout
        self.dtype = np.dtype(dtype)
        self.row_shape = tuple(shape[1:])
        self.shape = (shape[0], shape[1] if len(shape) > 1 else 1)
        self.row_bytes = self.dtype.itemsize * math.prod(self.row_shape)

    @property
    def size(self) -> int:
        return self.shape[0]

    def _read_file_rows(self, file_rows: np.ndarray) -> np.ndarray:
        """The file rows ``file_rows`` (any order), fetched as merged byte ranges."""
        unique, inverse = np.unique(file_rows, return_inverse=True)
        gap = max(_REMOTE_GAP // max(self.row_bytes, 1), 0)
        span_starts, span_ends = _merge_spans(unique, unique + 1, gap=gap)
        if span_starts.size == 0:
            return np.zeros((0, *self.row_shape), dtype=self.dtype)
        base = self.layout.base
        byte_starts = (base + span_starts * self.row_bytes).tolist()
        byte_ends = (base + span_ends * self.row_bytes).tolist()
        blobs = self.fs.cat_ranges([self.path] * len(byte_starts), byte_starts, byte_ends)
        for blob in blobs:
            if isinstance(blob, Exception):
                raise blob
        buffer = np.frombuffer(b"".join(blobs), dtype=self.dtype).reshape(-1, *self.row_shape)
        at = _gather_from_spans(
            np.arange(buffer.shape[0]), span_starts, span_ends, unique, unique + 1
        )
        return buffer[at[inverse]]

    def take(self, rows: np.ndarray) -> np.ndarray:
        block = self._read_file_rows(self.layout.file_rows(rows))
        return block.reshape(rows.size, -1)

    def take_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return self._read_file_rows(self.layout.file_rows(range_positions(starts, ends)))


class H5Rows:
    """Rows of an HDF5 dataset read through h5py: one slice per run of rows or of chunks."""

    def __init__(self, dataset: Any):
        self.dataset = dataset
        shape = dataset.shape
        self.shape = (shape[0], shape[1] if len(shape) > 1 else 1)
        self.dtype = np.dtype(dataset.dtype)
        chunks = dataset.chunks
        self.chunk_rows = int(chunks[0]) if chunks is not None else 0

    @property
    def size(self) -> int:
        return self.shape[0]

    def _spans(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        span_starts, span_ends = _merge_spans(starts, ends)
        if self.chunk_rows > 1 and span_starts.size > 1:
            # a chunk is decompressed whole: read each run of touched chunks once
            c = self.chunk_rows
            span_starts, span_ends = _merge_spans(
                (span_starts // c) * c, np.minimum(-(-span_ends // c) * c, self.shape[0])
            )
        return span_starts, span_ends

    def _read_spans(self, span_starts: np.ndarray, span_ends: np.ndarray) -> np.ndarray:
        parts = [self.dataset[int(a) : int(b)] for a, b in zip(span_starts, span_ends, strict=True)]
        if not parts:
            return np.zeros((0, *self.dataset.shape[1:]), dtype=self.dtype)
        return np.concatenate(parts) if len(parts) > 1 else np.asarray(parts[0])

    def take(self, rows: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(rows, return_inverse=True)
        span_starts, span_ends = self._spans(unique, unique + 1)
        buffer = self._read_spans(span_starts, span_ends)
        at = _gather_from_spans(
            np.arange(buffer.shape[0]), span_starts, span_ends, unique, unique + 1
        )
        return buffer[at[inverse]].reshape(rows.size, -1)

    def take_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        span_starts, span_ends = self._spans(starts, ends)
        buffer = self._read_spans(span_starts, span_ends)
        return _gather_from_spans(buffer, span_starts, span_ends, starts, ends)


class ZarrRows:
    """Rows of a zarr array: one selection per batch (zarr groups the reads by chunk)."""

    def __init__(self, array: Any):
        self.array = array
        shape = array.shape
        self.shape = (shape[0], shape[1] if len(shape) > 1 else 1)
        self.dtype = np.dtype(array.dtype)

    @property
    def size(self) -> int:
        return self.shape[0]

    def take(self, rows: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(rows, return_inverse=True)
        if unique.size == 0:
            return np.zeros((0, self.shape[1]), dtype=self.dtype)
        if self.array.ndim == 1:
            block = np.asarray(self.array.get_coordinate_selection(unique))
        else:
            block = np.asarray(self.array.get_orthogonal_selection((unique, slice(None))))
        return block[inverse].reshape(rows.size, -1)

    def take_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        positions = range_positions(starts, ends)
        if positions.size == 0:
            return np.zeros(0, dtype=self.dtype)
        if starts.size == 1:
            return np.asarray(self.array[int(starts[0]) : int(ends[0])])
        unique, inverse = np.unique(positions, return_inverse=True)
        return np.asarray(self.array.get_coordinate_selection(unique))[inverse]


def _check_same(fast: Any, slow: Any, n_rows: int) -> bool:
    """Whether a byte-level reader agrees with h5py on a few rows (first, middle, last)."""
    rows = np.unique(np.array([0, n_rows // 2, n_rows - 1][:_CHECK_ROWS], dtype=np.int64))
    try:
        got, expected = np.asarray(fast.take(rows)), np.asarray(slow.take(rows))
        return bool(np.array_equal(got.reshape(-1), expected.reshape(-1), equal_nan=True))
    except (OSError, ValueError):
        return False


def h5_rows(dataset: Any, *, local_path: str | None, fs: Any, fs_path: str | None) -> Any:
    """The fastest reader for an HDF5 dataset (see the module doc)."""
    slow = H5Rows(dataset)
    layout = h5_layout(dataset)
    if layout is None:
        return slow
    shape = tuple(int(n) for n in dataset.shape)
    fast: Any
    if local_path is not None:
        fast = MemmapRows(local_path, layout, shape, dataset.dtype)
    elif fs is not None and fs_path is not None:
        fast = RemoteRows(fs, fs_path, layout, shape, dataset.dtype)
    else:
        return slow
    return fast if _check_same(fast, slow, shape[0]) else slow


# --- matrices ------------------------------------------------------------------------


class DenseMatrix:
    """A dense 2-D element (``X``, a layer, an ``obsm`` array)."""

    is_sparse = False

    def __init__(self, rows: Any):
        self.rows = rows
        self.shape: tuple[int, int] = rows.shape
        self.dtype: np.dtype[Any] = rows.dtype

    def take(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.rows.take(rows)).reshape(rows.size, self.shape[1])


class CsrMatrix:
    """A CSR element: ``indptr`` is held in memory, ``data`` and ``indices`` are read by range."""

    is_sparse = True

    def __init__(self, data: Any, indices: Any, indptr: np.ndarray, shape: tuple[int, int]):
        self.data, self.indices = data, indices
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = shape
        self.dtype: np.dtype[Any] = data.dtype

    def take_sorted(
        self, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Values, column numbers and lengths of ``rows``, read in ascending order.

        Returns ``(order, values, columns, lengths)``, the values being those of
        ``rows[order]`` concatenated. Rows next to each other in the file are one range to read: a
        block of consecutive rows costs one read of ``data`` and one of ``indices``.
        """
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        starts = self.indptr[ordered]
        ends = self.indptr[ordered + 1]
        if starts.size > 1:
            breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1
            read_starts = starts[np.concatenate(([0], breaks))]
            read_ends = ends[np.concatenate((breaks - 1, [ends.size - 1]))]
        else:
            read_starts, read_ends = starts, ends
        data = self.data.take_ranges(read_starts, read_ends)
        indices = self.indices.take_ranges(read_starts, read_ends)
        return order, data, indices.astype(np.int64, copy=False), ends - starts
