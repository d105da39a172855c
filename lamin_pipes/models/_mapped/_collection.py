"""``MappedCollection``: many AnnData stores as one PyTorch map-style dataset.

The stores are concatenated virtually: a global observation number maps in O(1) to a
store and a row (two arrays, ``storage_idx`` and ``indices``). ``dataset[i]`` returns
a dict like lamindb's; ``dataset.__getitems__(indices)``, which a ``DataLoader`` with a
batch size calls once per batch, reads the whole batch at once: indices are grouped by
store, each store's rows are read in as few reads as its layout allows (see
:mod:`._elements`), and the samples come back in the order asked for.

Collation: ``__getitems__`` returns the batch as a sequence of samples, dicts like
``dataset[i]`` (numpy rows, Python labels), so any ``collate_fn`` works; the samples are
built only when looked at. Importing this module registers the sample type with
PyTorch's ``default_collate`` (through ``default_collate_fn_map``, PyTorch's documented
extension point): a batch that ``__getitems__`` returned is collated from its stacked
arrays, without building or copying a sample, into exactly what ``default_collate``
would make of the samples one by one. In a DataLoader worker the stacked arrays are
allocated in shared memory, so a batch reaches the main process without another copy.

Examples:
    >>> import tempfile, anndata as ad, numpy as np, pandas as pd
    >>> path = tempfile.mkdtemp() + "/cells.h5ad"
    >>> obs = pd.DataFrame({"cell_type": pd.Categorical(["T", "B", "T"])}, index=["a", "b", "c"])
    >>> ad.AnnData(np.eye(3, dtype="float32"), obs=obs).write_h5ad(path)
    >>> dataset = MappedCollection([path], obs_keys="cell_type")
    >>> len(dataset), dataset.encoders
    (3, {'cell_type': {'B': 0, 'T': 1}})
    >>> sample = dataset[1]
    >>> sample["X"].tolist(), sample["cell_type"], sample["_store_idx"]
    ([0.0, 1.0, 0.0], 0, 0)
    >>> from torch.utils.data import DataLoader
    >>> next(iter(DataLoader(dataset, batch_size=3)))["cell_type"].tolist()
    [1, 0, 1]
    >>> dataset.close()
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, Sampler, default_collate, get_worker_info

from ...errors import InvalidArgument
from ._copier import process_copier
from ._elements import CsrMatrix, DenseMatrix, MemmapRows
from ._gather import BatchOrder, CsrSources, gather_csr, gather_memmaps
from ._labels import (
    ObsColumn,
    filter_mask,
    label_weights,
    label_weights_by_category,
    make_encoder,
    sorted_labels,
)
from ._samplers import BlockShuffleSampler, DistributedBlockShuffleSampler
from ._stores import AnnDataStore

logger = logging.getLogger("lamin_pipes")

_JOINS = (None, "inner", "outer")
_MISSING = object()


def _as_list(value: str | Sequence[str] | None, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        msg = f"{name} must be a str or a list of str, got {value!r}"
        raise InvalidArgument(msg)
    return list(value)


def _positions(pos: slice | np.ndarray) -> np.ndarray:
    if isinstance(pos, slice):
        return np.arange(pos.start, pos.stop)
    return pos


class _Sample(dict):  # type: ignore[type-arg]
    """One sample of a batch; the first of a batch knows its batch (for fast collation)."""

    _batch: _Batch | None = None

    def __reduce__(self) -> Any:  # pickles as a plain dict, without its batch
        return (dict, (dict(self),))


class _Samples(Sequence):  # type: ignore[type-arg]
    """The samples of a batch, built when first looked at.

    ``default_collate`` looks only at the first sample before it hands the batch to
    :func:`_collate_samples`, which collates the stacked arrays: the other samples
    are never built. Any other use (indexing, iteration) builds them all.
    """

    def __init__(self, batch: _Batch):
        self._batch = batch
        self._first: _Sample | None = None
        self._items: list[_Sample] | None = None

    def __len__(self) -> int:
        return self._batch.n

    def __getitem__(self, i: Any) -> Any:
        if self._items is None and isinstance(i, int | np.integer) and i in (0, -self._batch.n):
            if self._first is None:
                self._first = self._batch.sample(0)
            return self._first
        return self.to_list()[i]

    def __iter__(self) -> Any:
        return iter(self.to_list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Samples | list):
            return self.to_list() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.to_list())

    def to_list(self) -> list[_Sample]:
        """All samples as a list."""
        if self._items is None:
            items = self._batch.all_samples()
            if self._first is not None and items:
                items[0] = self._first
            self._items = items
        return self._items


def _collate_samples(batch: Any, *, collate_fn_map: Any = None) -> Any:
    """``default_collate`` for our samples: whole batches from their stacked arrays."""
    owner = batch[0]._batch if isinstance(batch[0], _Sample) else None
    if owner is not None and owner.view is not None and batch is owner.view() and owner.stackable:
        return owner.collated()
    from torch.utils.data._utils.collate import collate

    first = batch[0]
    return {
        key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map)
        for key in first
    }


try:
    from torch.utils.data._utils.collate import default_collate_fn_map

    default_collate_fn_map.setdefault(_Sample, _collate_samples)
except ImportError:  # pragma: no cover - a torch without the registry collates per sample
    pass


_TORCH_DTYPES = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.int8): torch.int8,
    np.dtype(np.int16): torch.int16,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.bool_): torch.bool,
}


def _label_tensor(values: np.ndarray) -> Any:
    """What ``default_collate`` makes of the labels as Python scalars (``values.tolist()``)."""
    kind = values.dtype.kind
    if kind in "iu":
        return torch.from_numpy(values.astype(np.int64, copy=False))
    if kind == "f":
        return torch.from_numpy(values.astype(np.float64, copy=False))
    if kind == "b":
        return torch.from_numpy(values.copy())
    return default_collate(values.tolist())


class _Batch:
    """The data of one batch, column by column: stacked arrays or per-sample values."""

    def __init__(self, n: int):
        self.n = n
        self.keys: list[str] = []
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: dict[str, Any] = {}
        self.labels: set[str] = set()
        self.per_sample: dict[str, list[Any]] = {}
        # weak: the samples point to their batch, and a cycle would keep each batch's
        # arrays alive until the garbage collector runs (megabytes per batch)
        self.view: weakref.ref[_Samples] | None = None

    def add(self, key: str, values: np.ndarray, *, tensor: Any = None, label: bool) -> None:
        self.keys.append(key)
        self.arrays[key] = values
        if tensor is not None:
            self.tensors[key] = tensor
        if label:
            self.labels.add(key)

    def add_per_sample(self, key: str, values: list[Any]) -> None:
        self.keys.append(key)
        self.per_sample[key] = values

    @property
    def stackable(self) -> bool:
        return not self.per_sample

    def samples(self) -> _Samples:
        """The samples (numpy rows and Python labels), built lazily."""
        samples = _Samples(self)
        self.view = weakref.ref(samples)
        return samples

    def _value(self, key: str, k: int) -> Any:
        if key in self.per_sample:
            return self.per_sample[key][k]
        if key in self.labels:
            return (
                self.arrays[key][k].item()
                if self.arrays[key].dtype != object
                else self.arrays[key][k]
            )
        return self.arrays[key][k]

    def sample(self, k: int) -> _Sample:
        """Sample ``k``; the first one links back to this batch."""
        sample = _Sample((key, self._value(key, k)) for key in self.keys)
        if not self.stackable:
            for key in list(sample):
                if sample[key] is _MISSING:
                    del sample[key]
        if k == 0:
            sample._batch = self
        return sample

    def all_samples(self) -> list[_Sample]:
        """Every sample, built column by column."""
        columns: list[Sequence[Any]] = []
        for key in self.keys:
            if key in self.per_sample:
                columns.append(self.per_sample[key])
            elif key in self.labels:
                columns.append(self.arrays[key].tolist())
            else:
                columns.append(list(self.arrays[key]))
        keys = self.keys
        rows = zip(*columns, strict=True)
        if self.stackable:
            samples = [_Sample(zip(keys, row, strict=True)) for row in rows]
        else:
            samples = [
                _Sample((k, v) for k, v in zip(keys, row, strict=True) if v is not _MISSING)
                for row in rows
            ]
        if samples:
            samples[0]._batch = self
        return samples

    def collated(self) -> dict[str, Any]:
        """What ``default_collate(samples)`` returns, from the stacked arrays."""
        out: dict[str, Any] = {}
        for key in self.keys:
            values = self.arrays[key]
            if key in self.labels:
                out[key] = _label_tensor(values)
            else:
                tensor = self.tensors.get(key)
                out[key] = tensor if tensor is not None else torch.from_numpy(values)
        return out


class MappedCollection(Dataset):  # type: ignore[type-arg]
    """A PyTorch map-style dataset over AnnData stores, concatenated virtually.

    ``dataset[i]`` returns a dict: ``"_store_idx"`` (which store the observation comes
    from), each key of ``layers_keys`` (``"X"`` for ``.X``), ``"obsm_<key>"`` for each
    key of ``obsm_keys``, and each key of ``obs_keys`` (an integer label where encoded).
    A ``DataLoader`` with a batch size reads whole batches through ``__getitems__``.
    Keys that a store lacks are left out of its samples.

    Build one with ``ln.Artifact.filter(...).mapped(...)`` or ``collection.mapped(...)``,
    or directly from paths.

    Args:
        path_list: Paths (local, URLs, or ``upath.UPath``) of ``.h5ad`` files and
            ``.zarr`` folders.
        layers_keys: Keys of ``.layers`` to read; ``None`` or ``"X"`` reads ``.X``,
            ``"raw.X"`` reads ``.raw.X`` (never joined).
        obs_keys: Columns of ``.obs`` to return.
        obsm_keys: Keys of ``.obsm`` to return (as ``"obsm_<key>"``).
        obs_filter: Keep only observations whose column has this value or one of these
            values, e.g. ``{"tissue": ["lung", "heart"]}``; NaN among the values keeps
            missing values.
        join: ``"inner"`` or ``"outer"`` join of the ``var`` indexes of the stores, or
            ``None`` for no join (stores must then agree on their variables themselves).
        encode_labels: Encode labels as integers: ``True`` for every obs key, or a list
            of obs keys.
        unknown_label: A label encoded as ``-1``; a dict gives one per obs key.
        cache_categories: Keep category codes of ``obs_keys`` in memory (else they are
            read with each batch).
        parallel: Keep no file handles open in this process after construction, for
            use with ``num_workers > 0`` (workers open their own handles either way).
        dtype: Convert ``.X``, layers and ``.obsm`` arrays to this numpy dtype.

    Examples:
        >>> import tempfile, anndata as ad, numpy as np, pandas as pd
        >>> folder = tempfile.mkdtemp()
        >>> for i, genes in enumerate([["a", "b"], ["b", "c"]]):
        ...     x = np.full((2, 2), i + 1, dtype="float32")
        ...     ad.AnnData(x, var=pd.DataFrame(index=genes)).write_h5ad(f"{folder}/{i}.h5ad")
        >>> paths = [f"{folder}/0.h5ad", f"{folder}/1.h5ad"]
        >>> with MappedCollection(paths, join="outer") as dataset:
        ...     list(dataset.var_joint), dataset.shape, dataset[3]["X"].tolist()
        (['a', 'b', 'c'], (4, 3), [0.0, 2.0, 2.0])
        >>> with MappedCollection(paths, join="inner") as dataset:
        ...     list(dataset.var_joint), dataset[0]["X"].tolist()
        (['b'], [1.0])
    """

    #: A sampler that shuffles blocks of consecutive rows (see :meth:`block_sampler`).
    BlockShuffleSampler = BlockShuffleSampler
    #: Its variant for ``torch.distributed``: each rank reads its own shard of blocks.
    DistributedBlockShuffleSampler = DistributedBlockShuffleSampler

    def __init__(
        self,
        path_list: Sequence[Any],
        layers_keys: str | list[str] | None = None,
        obs_keys: str | list[str] | None = None,
        obsm_keys: str | list[str] | None = None,
        obs_filter: dict[str, Any] | None = None,
        join: Literal["inner", "outer"] | None = "inner",
        encode_labels: bool | list[str] = True,
        unknown_label: str | dict[str, str] | None = None,
        cache_categories: bool = True,
        parallel: bool = False,
        dtype: str | None = None,
    ):
        if join not in _JOINS:
            msg = f"Invalid join {join!r}; valid options: 'inner', 'outer', None"
            raise InvalidArgument(msg)
        if isinstance(path_list, str | os.PathLike) or not isinstance(path_list, Iterable):
            path_list = [path_list]
        self.path_list = list(path_list)
        if not self.path_list:
            msg = "MappedCollection needs at least one AnnData store; path_list is empty"
            raise InvalidArgument(msg)
        self.layers_keys: list[str] = _as_list(layers_keys, "layers_keys") or ["X"]
        self.obs_keys: list[str] | None = _as_list(obs_keys, "obs_keys")
        self.obsm_keys: list[str] | None = _as_list(obsm_keys, "obsm_keys")
        obs_filter = self._check_filter(obs_filter)
        self.filtered = obs_filter is not None
        self.encode_labels = self._check_encode(encode_labels)
        self.unknown_label = self._check_unknown(unknown_label)
        self._dtype = self._check_dtype(dtype)
        self.parallel = parallel
        self.cache_categories = cache_categories
        self._closed = False

        self._stores = [AnnDataStore(p) for p in self.path_list]
        try:
            self._check_keys()
            self._columns: dict[str, list[ObsColumn | None]] = {}
            for key in [*(self.obs_keys or []), *(obs_filter or {})]:
                if key not in self._columns:
                    self._columns[key] = [
                        ObsColumn(s, key, cache_codes=cache_categories)
                        if key in s.obs_columns
                        else None
                        for s in self._stores
                    ]
            self._make_indices(obs_filter)
            self.join_vars: Literal["inner", "outer"] | None = join
            self.var_list: list[pd.Index] | None = None
            self.var_joint: pd.Index | None = None
            self.var_indices: list[np.ndarray] | None = None
            self.n_vars_list: list[int] | None = None
            self.n_vars: int | None = None
            if join is not None:
                self._make_join_vars()
                assert self.var_joint is not None
                self.n_vars = len(self.var_joint)
            self.encoders: dict[str, dict[Any, int]] = {}
            if self.obs_keys is not None and self.encode_labels:
                self._make_encoders(self.encode_labels)
            self._prepare_outputs()
            for key in list(self._columns):
                if key not in (self.obs_keys or []):
                    del self._columns[key]  # filter-only columns are not needed any more
        except BaseException:
            for store in self._stores:
                store.close()
            raise
        if parallel:
            for store in self._stores:
                store.close()

    # --- argument checks -------------------------------------------------------------

    @staticmethod
    def _check_filter(obs_filter: Any) -> dict[str, Any] | None:
        if obs_filter is None:
            return None
        if isinstance(obs_filter, tuple) and len(obs_filter) == 2:
            logger.warning("Passing a tuple to obs_filter is deprecated, use a dict")
            obs_filter = {obs_filter[0]: obs_filter[1]}
        if not isinstance(obs_filter, dict) or not obs_filter:
            msg = (
                "obs_filter must be a non-empty dict of obs column -> value or list of "
                f"values, got {obs_filter!r}"
            )
            raise InvalidArgument(msg)
        return obs_filter

    def _check_encode(self, encode_labels: Any) -> list[str] | Literal[False]:
        if isinstance(encode_labels, bool):
            return list(self.obs_keys) if encode_labels and self.obs_keys else False
        keys = _as_list(encode_labels, "encode_labels") or []
        if not keys:
            return False
        unknown = [k for k in keys if k not in (self.obs_keys or [])]
        if unknown:
            msg = (
                f"encode_labels names {unknown}, which are not in obs_keys "
                f"{self.obs_keys}; every element of encode_labels must be in obs_keys"
            )
            raise InvalidArgument(msg)
        return keys

    def _check_unknown(self, unknown_label: Any) -> Any:
        if isinstance(unknown_label, dict):
            valid = self.encode_labels or []
            wrong = [k for k in unknown_label if k not in valid]
            if wrong:
                msg = (
                    f"unknown_label has keys {wrong} that are not encoded; valid keys: "
                    f"{list(valid)} (the encoded obs_keys)"
                )
                raise InvalidArgument(msg)
        return unknown_label

    @staticmethod
    def _check_dtype(dtype: Any) -> np.dtype[Any] | None:
        if dtype is None:
            return None
        try:
            result = np.dtype(dtype)
        except TypeError:
            result = None
        if result is None or result.kind not in "biuf":
            msg = f"Invalid dtype {dtype!r}; use a numeric numpy dtype such as 'float32'"
            raise InvalidArgument(msg)
        return result

    def _check_keys(self) -> None:
        stores = self._stores
        for key in self.layers_keys:
            if not any(s.element_path(key) is not None for s in stores):
                found = sorted(set().union(*(s.layers for s in stores)))
                msg = (
                    f"layers_keys: {key!r} is in none of the stores; valid keys: 'X', "
                    f"'raw.X' and the layers {found}"
                )
                raise InvalidArgument(msg)
        for key in self.obsm_keys or []:
            if not any(key in s.obsm for s in stores):
                found = sorted(set().union(*(s.obsm for s in stores)))
                msg = f"obsm_keys: {key!r} is in none of the stores; valid keys: {found}"
                raise InvalidArgument(msg)
        for key in self.obs_keys or []:
            if not any(key in s.obs_columns for s in stores):
                found = sorted(set().union(*(s.obs_columns for s in stores)))
                msg = f"obs_keys: {key!r} is in none of the stores; valid obs columns: {found}"
                raise InvalidArgument(msg)

    # --- construction ----------------------------------------------------------------

    def _make_indices(self, obs_filter: dict[str, Any] | None) -> None:
        self.indices_list: list[np.ndarray] = []
        self.n_obs_list: list[int] = []
        for i, store in enumerate(self._stores):
            if obs_filter is None:
                rows = np.arange(store.n_obs, dtype=np.int64)
            else:
                mask = np.ones(store.n_obs, dtype=bool)
                for key, wanted in obs_filter.items():
                    column = self._columns[key][i]
                    if column is None:
                        mask[:] = False
                        break
                    mask &= filter_mask(column.all_labels(), wanted)
                rows = np.flatnonzero(mask).astype(np.int64)
            self.indices_list.append(rows)
            self.n_obs_list.append(int(rows.size))
        self.n_obs = int(sum(self.n_obs_list))
        row_type = np.int32 if max(s.n_obs for s in self._stores) < 2**31 else np.int64
        self.indices = np.concatenate(self.indices_list).astype(row_type)
        store_type = np.int16 if len(self._stores) < 2**15 else np.int32
        self.storage_idx = np.repeat(
            np.arange(len(self._stores), dtype=store_type), self.n_obs_list
        )

    def _read_vars(self) -> None:
        self.var_list = [store.var_names() for store in self._stores]
        self.n_vars_list = [len(v) for v in self.var_list]

    def _make_join_vars(self) -> None:
        if self.var_list is None:
            self._read_vars()
        assert self.var_list is not None
        first = self.var_list[0]
        if all(first.equals(v) for v in self.var_list[1:]):
            self.join_vars = None
            self.var_joint = first
            return
        for vars_, store in zip(self.var_list, self._stores, strict=True):
            if not vars_.is_unique:
                dupes = sorted(set(vars_[vars_.duplicated()].astype(str)))[:5]
                msg = (
                    f"{store.location.url} has duplicate var names {dupes}; a {self.join_vars}"
                    " join needs unique var names (make them unique or use join=None)"
                )
                raise InvalidArgument(msg)
        if self.join_vars == "inner":
            joint = reduce(pd.Index.intersection, self.var_list)
            if len(joint) == 0:
                msg = "The AnnData stores have no variables in common; use join='outer'"
                raise InvalidArgument(msg)
            self.var_joint = joint
            self.var_indices = [np.asarray(v.get_indexer(joint)) for v in self.var_list]
        else:
            joint = reduce(pd.Index.union, self.var_list)
            self.var_joint = joint
            self.var_indices = [np.asarray(joint.get_indexer(v)) for v in self.var_list]

    def _make_encoders(self, keys: list[str]) -> None:
        for key in keys:
            if isinstance(self.unknown_label, dict):
                unknown = self.unknown_label.get(key)
            else:
                unknown = self.unknown_label
            encoder = make_encoder(self.get_merged_categories(key), unknown)
            self.encoders[key] = encoder
            for column in self._columns[key]:
                if column is not None:
                    column.set_encoder(encoder)

    def _prepare_outputs(self) -> None:
        """Per output: which stores have it, its width per store, its dtype, its join."""
        self._matrix_paths: dict[str, list[str | None]] = {}
        self._widths: dict[str, list[int]] = {}
        self._dtypes: dict[str, np.dtype[Any]] = {}
        self._joined: dict[str, bool] = {}
        outputs = [(key, key, True) for key in self.layers_keys]
        outputs += [(f"obsm_{key}", key, False) for key in self.obsm_keys or []]
        self._outputs = [name for name, _, _ in outputs]
        for name, key, is_layer in outputs:
            paths = [
                s.element_path(key) if is_layer else (f"obsm/{key}" if key in s.obsm else None)
                for s in self._stores
            ]
            readers = [
                s.matrix(p) if p is not None else None
                for s, p in zip(self._stores, paths, strict=True)
            ]
            joined = is_layer and key != "raw.X" and self.var_indices is not None
            widths: list[int] = []
            var_counts: list[int | None] = (
                list(self.n_vars_list) if self.n_vars_list else [None] * len(readers)
            )
            for reader, vars_n in zip(readers, var_counts, strict=True):
                if reader is None:
                    widths.append(-1)
                elif joined:
                    assert self.n_vars is not None
                    widths.append(self.n_vars)
                else:
                    widths.append(reader.shape[1])
                    if (
                        is_layer
                        and key != "raw.X"
                        and vars_n is not None
                        and reader.shape[1] != vars_n
                    ):
                        msg = f"{key} has {reader.shape[1]} columns but var has {vars_n}"
                        raise InvalidArgument(msg)
            dtypes = [r.dtype for r in readers if r is not None]
            self._dtypes[name] = self._dtype or np.result_type(*dtypes)
            self._matrix_paths[name] = paths
            self._widths[name] = widths
            self._joined[name] = joined
        self._col_maps: list[tuple[np.ndarray, np.ndarray] | None] = []
        for i in range(len(self._stores)):
            if self.var_indices is None:
                self._col_maps.append(None)
                continue
            n_store = self.n_vars_list[i] if self.n_vars_list else 0
            if self.join_vars == "inner":
                take = self.var_indices[i]
                put = np.full(n_store, -1, dtype=np.int64)
                put[take] = np.arange(take.size)
            else:
                put = self.var_indices[i].astype(np.int64)
                take = put
            self._col_maps.append((take, put))
        self._label_dtypes: dict[str, np.dtype[Any]] = {}
        for key in self.obs_keys or []:
            columns = [c for c in self._columns[key] if c is not None]
            if key in self.encoders:
                self._label_dtypes[key] = np.dtype(np.int64)
            elif any(c.is_categorical for c in columns):
                self._label_dtypes[key] = np.dtype(object)
            else:
                kinds = [c.values.dtype for c in columns if c.values is not None]
                common = np.result_type(*kinds) if kinds else np.dtype(object)
                self._label_dtypes[key] = common

    # --- sizes -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self.n_obs

    @property
    def shape(self) -> tuple[int, int | None]:
        """``(n_obs, n_vars)``: ``n_vars`` after the join (``None`` without one)."""
        return (self.n_obs, self.n_vars)

    @property
    def original_shapes(self) -> list[tuple[int, int | None]]:
        """Shape of each store (observations after ``obs_filter``, variables)."""
        n_vars: Sequence[int | None] = self.n_vars_list or [None] * len(self.n_obs_list)
        return list(zip(self.n_obs_list, n_vars, strict=True))

    @property
    def storages(self) -> list[Any]:
        """The stores' open root groups (``h5py.File``, ``zarr.Group``), or paths when parallel."""
        if self.parallel or self._closed:
            return list(self.path_list)
        return [store.group() for store in self._stores]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __repr__(self) -> str:
        return (
            f"MappedCollection({len(self._stores)} stores, {self.n_obs} observations, "
            f"n_vars={self.n_vars}, join={self.join_vars!r})"
        )

    # --- reading ---------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_local", None)
        state.pop("_sources", None)
        return state

    def _scratch(self, dtype: np.dtype[Any], n_rows: int, width: int) -> np.ndarray:
        """A buffer of this thread, reused across batches (fresh memory costs page faults)."""
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        buffers = getattr(local, "buffers", None)
        if buffers is None:
            buffers = local.buffers = {}
        key = (dtype.str, width)
        buffer = buffers.get(key)
        if buffer is None or buffer.shape[0] < n_rows:
            buffer = buffers[key] = np.empty((max(n_rows, 256), width), dtype=dtype)
        return buffer[:n_rows]  # type: ignore[no-any-return]

    def _normalize(self, indices: Any) -> np.ndarray:
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            if idx.size == 0:
                idx = idx.astype(np.int64)
            else:
                msg = f"Indices must be integers, got {idx.dtype} values"
                raise IndexError(msg)
        idx = idx.astype(np.int64, copy=False).reshape(-1)
        n = self.n_obs
        if idx.size == 0:
            return idx
        low, high = idx.min(), idx.max()
        if low < -n or high >= n:
            bad = idx[(idx < -n) | (idx >= n)][0]
            msg = f"index {int(bad)} is out of range for a MappedCollection of {n} observations"
            raise IndexError(msg)
        return np.where(idx < 0, idx + n, idx) if low < 0 else idx

    @staticmethod
    def _alloc(shape: tuple[int, int], dtype: np.dtype[Any], zero: bool, shared: bool) -> Any:
        """A new array, and its tensor when it lives in shared memory (a worker's batch)."""
        torch_dtype = _TORCH_DTYPES.get(dtype) if shared else None
        if torch_dtype is None or shape[0] * shape[1] == 0:
            return (np.zeros if zero else np.empty)(shape, dtype=dtype), None
        try:
            storage = torch.UntypedStorage._new_shared(shape[0] * shape[1] * dtype.itemsize)
            tensor = torch.empty(0, dtype=torch_dtype).set_(storage, 0, shape, (shape[1], 1))
        except (AttributeError, RuntimeError, TypeError):  # pragma: no cover - other torch
            return (np.zeros if zero else np.empty)(shape, dtype=dtype), None
        array = tensor.numpy()
        if zero:
            array.fill(0)
        return array, tensor

    def _write_rows(
        self,
        out: np.ndarray,
        pos: slice | np.ndarray,
        store_i: int,
        name: str,
        rows: np.ndarray,
    ) -> None:
        path = self._matrix_paths[name][store_i]
        assert path is not None
        reader = self._stores[store_i].matrix(path)
        col_map = self._col_maps[store_i] if self._joined[name] else None
        if isinstance(reader, DenseMatrix):
            if col_map is None:
                take_into = getattr(reader.rows, "take_into", None)
                if take_into is None or out.dtype != reader.dtype:
                    out[pos] = reader.take(rows)
                elif isinstance(pos, slice):
                    take_into(rows, out[pos])
                else:  # gather into a reused buffer, then scatter into the batch order
                    scratch = self._scratch(out.dtype, rows.size, out.shape[1])
                    take_into(rows, scratch)
                    out[pos] = scratch
            elif self.join_vars == "inner":
                out[pos] = np.take(reader.take(rows), col_map[0], axis=1)
            else:
                out[np.ix_(_positions(pos), col_map[1])] = reader.take(rows)
            return
        order, data, columns, lengths = reader.take_sorted(rows)
        row_pos = np.repeat(_positions(pos)[order], lengths)
        if col_map is not None:
            columns = col_map[1][columns]
            if self.join_vars == "inner":
                keep = columns >= 0
                row_pos, columns, data = row_pos[keep], columns[keep], data[keep]
        if out.flags.c_contiguous:  # one flat scatter (cheaper than a 2-D one)
            out.reshape(-1)[row_pos * out.shape[1] + columns] = data
        else:
            out[row_pos, columns] = data

    def _fast_sources(self, name: str) -> tuple[str, Any] | None:
        """``("dense", maps)`` or ``("csr", CsrSources)`` when every store's ``name`` is
        memory-mapped (dense rows, or CSR values and columns), of one width, not joined.

        Such an element takes a fast path of :meth:`_read_batch`; it is worked out
        once per process (the maps belong to the process that opened them).
        """
        cache: tuple[int, dict[str, tuple[str, Any] | None]] | None
        cache = self.__dict__.get("_sources")
        if cache is None or cache[0] != os.getpid():
            cache = (os.getpid(), {})
            self.__dict__["_sources"] = cache
        if name in cache[1]:
            return cache[1][name]
        found: tuple[str, Any] | None = None
        paths = self._matrix_paths[name]
        same_width = len(set(self._widths[name])) <= 1
        if not self._joined[name] and same_width and all(path is not None for path in paths):
            readers = [
                store.matrix(path)  # type: ignore[arg-type]  # (checked above: no None)
                for store, path in zip(self._stores, paths, strict=True)
            ]
            maps = [getattr(reader, "rows", None) for reader in readers]
            if all(isinstance(m, MemmapRows) and m.dtype == self._dtypes[name] for m in maps):
                found = ("dense", maps)
            elif all(
                isinstance(r, CsrMatrix)
                and isinstance(r.data, MemmapRows)
                and isinstance(r.indices, MemmapRows)
                for r in readers
            ):
                found = ("csr", CsrSources(readers))
        cache[1][name] = found
        return found

    def _read_batch(self, idx: np.ndarray, shared: bool) -> _Batch:
        """Read the observations ``idx`` (normalized); ``shared``: tensors in shared memory."""
        if self._closed:
            msg = "This MappedCollection is closed; create a new one to read again"
            raise InvalidArgument(msg)
        n = idx.size
        stores = self.storage_idx[idx].astype(np.int64)
        rows = self.indices[idx].astype(np.int64)
        order = BatchOrder(stores, rows)
        groups = order.groups()
        batch = _Batch(n)
        batch.add("_store_idx", stores, label=True)
        for name in self._outputs:
            fast = self._fast_sources(name)
            if fast is not None:  # memory maps of one width, no join
                kind, sources = fast
                width = self._widths[name][0]
                dense = kind == "dense"
                out, tensor = self._alloc((n, width), self._dtypes[name], not dense, shared)
                if dense:
                    scratch = self._scratch(out.dtype, n, width)
                    gather_memmaps(out, sources, order, process_copier(), scratch)
                else:
                    gather_csr(out, sources, order)
                batch.add(name, out, tensor=tensor, label=False)
                continue
            paths = self._matrix_paths[name]
            widths = self._widths[name]
            present = [(s, pos) for s, pos in groups if paths[s] is not None]
            batch_widths = {widths[s] for s, _ in present}
            dtype = self._dtypes[name]
            sparse = any(self._stores[s].matrix(paths[s]).is_sparse for s, _ in present)  # type: ignore[arg-type]
            zero = sparse or (self._joined[name] and self.join_vars == "outer")
            if len(present) == len(groups) and len(batch_widths) <= 1:
                width = batch_widths.pop() if batch_widths else 0
                out, tensor = self._alloc((n, width), dtype, zero, shared)
                for s, pos in present:
                    self._write_rows(out, pos, s, name, rows[pos])
                batch.add(name, out, tensor=tensor, label=False)
                continue
            values: list[Any] = [_MISSING] * n
            for s, pos in present:
                block = np.zeros((_positions(pos).size, widths[s]), dtype=dtype)
                self._write_rows(block, slice(0, block.shape[0]), s, name, rows[pos])
                for j, p in enumerate(_positions(pos).tolist()):
                    values[p] = block[j]
            batch.add_per_sample(name, values)
        for key in self.obs_keys or []:
            columns = self._columns[key]
            encoded = key in self.encoders
            present_cols = [(s, pos, columns[s]) for s, pos in groups if columns[s] is not None]
            if len(present_cols) == len(groups):
                labels = np.empty(n, dtype=self._label_dtypes[key])
                for _, pos, column in present_cols:
                    assert column is not None
                    local = rows[pos]
                    labels[pos] = column.encoded_for(local) if encoded else column.labels_for(local)
                batch.add(key, labels, label=True)
                continue
            values = [_MISSING] * n
            for _, pos, column in present_cols:
                assert column is not None
                local = rows[pos]
                got = column.encoded_for(local) if encoded else column.labels_for(local)
                for p, value in zip(_positions(pos).tolist(), got.tolist(), strict=True):
                    values[p] = value
            batch.add_per_sample(key, values)
        return batch

    def __getitem__(self, idx: int) -> dict[str, Any]:
        """The observation ``idx``: a dict of numpy rows and labels (see the class doc)."""
        if isinstance(idx, slice):
            msg = "MappedCollection takes an integer index; use __getitems__ for several"
            raise TypeError(msg)
        batch = self._read_batch(self._normalize([idx]), shared=False)
        return dict(batch.sample(0))

    def __getitems__(self, indices: Sequence[int]) -> Sequence[dict[str, Any]]:
        """The observations ``indices``, read as one batch, in the order given.

        ``DataLoader`` calls this once per batch. The result is a sequence of the
        samples ``__getitem__`` would return (their arrays are views into one array
        per key), built only when looked at: ``default_collate`` collates the batch
        from its stacked arrays directly.
        """
        shared = get_worker_info() is not None
        batch = self._read_batch(self._normalize(indices), shared=shared)
        return batch.samples()

    # --- labels ----------------------------------------------------------------------

    def get_merged_labels(self, label_key: str) -> np.ndarray:
        """The labels of ``label_key`` of every observation (after ``obs_filter``)."""
        parts = []
        for i, column in enumerate(self._column_list(label_key)):
            if column is not None:
                parts.append(column.labels_for(self.indices_list[i]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=object)

    def get_merged_categories(self, label_key: str) -> list[Any]:
        """The sorted categories (or distinct values) of ``label_key`` over all stores."""
        merged: list[Any] = []
        for column in self._column_list(label_key):
            if column is not None:
                merged.extend(column.distinct())
        return sorted_labels(merged)

    def _column_list(self, label_key: str) -> list[ObsColumn | None]:
        columns = self._columns.get(label_key)
        if columns is None:
            if not any(label_key in s.obs_columns for s in self._stores):
                found = sorted(set().union(*(s.obs_columns for s in self._stores)))
                msg = f"{label_key!r} is in none of the stores; valid obs columns: {found}"
                raise InvalidArgument(msg)
            columns = [
                ObsColumn(s, label_key, cache_codes=True) if label_key in s.obs_columns else None
                for s in self._stores
            ]
        return columns

    def get_label_weights(
        self,
        obs_keys: str | list[str],
        scaler: float | None = None,
        return_categories: bool = False,
    ) -> Any:
        """Weights per observation for a ``WeightedRandomSampler``: ``1 / count`` of its label.

        Args:
            obs_keys: An obs column, or several (their labels joined with ``"__"``).
            scaler: Give ``scaler / (count + scaler)`` instead, softening rare labels.
            return_categories: Return a dict label -> weight instead of an array.
        """
        keys = _as_list(obs_keys, "obs_keys") or []
        labels = [self.get_merged_labels(key) for key in keys]
        if return_categories:
            return label_weights_by_category(labels, scaler)
        return label_weights(labels, scaler)

    # --- variables -------------------------------------------------------------------

    def check_vars_sorted(self, ascending: bool = True) -> bool:
        """Whether every store's variables are sorted."""
        if self.var_list is None:
            self._read_vars()
        assert self.var_list is not None
        if ascending:
            return all(v.is_monotonic_increasing for v in self.var_list)
        return all(v.is_monotonic_decreasing for v in self.var_list)

    def check_vars_non_aligned(self, vars: pd.Index | list[Any]) -> list[int]:
        """Positions of the stores whose variables differ from ``vars``."""
        if self.var_list is None:
            self._read_vars()
        assert self.var_list is not None
        wanted = pd.Index(vars)
        return [i for i, v in enumerate(self.var_list) if not v.equals(wanted)]

    # --- handles ---------------------------------------------------------------------

    def _open(self) -> None:
        """Open every store's handles in this process (a worker's first call)."""
        for store in self._stores:
            store.group()
            for name in self._outputs:
                path = self._matrix_paths[name][self._stores.index(store)]
                if path is not None:
                    store.matrix(path)

    def close(self) -> None:
        """Release the file handles and memory maps of this process; reads then fail."""
        for store in self._stores:
            store.close()
        self.__dict__.pop("_sources", None)
        self._closed = True

    def __enter__(self) -> MappedCollection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def torch_worker_init_fn(cls, worker_id: int) -> None:
        """``worker_init_fn`` for a ``DataLoader``: the worker opens its handles up front.

        Workers open their handles on first use anyway; this moves that work before
        the first batch.
        """
        info = get_worker_info()
        if info is None:
            return
        dataset = info.dataset
        if isinstance(dataset, MappedCollection):
            dataset.parallel = False
            dataset._open()

    # --- samplers --------------------------------------------------------------------

    def block_sampler(
        self,
        block_size: int = 64,
        batch_size: int | None = None,
        *,
        shuffle: bool = True,
        seed: int | None = None,
        distributed: bool = False,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
    ) -> Sampler[int]:
        """A sampler that shuffles blocks of ``block_size`` consecutive observations.

        Batches then read a few contiguous runs per store instead of scattered rows;
        give the batch size too, and the order within each batch is shuffled as well.
        With ``distributed=True`` (or ``num_replicas`` / ``rank``) each rank of
        ``torch.distributed`` gets its own shard: a
        :class:`~._samplers.DistributedBlockShuffleSampler`.

        Examples:
            >>> import tempfile, anndata as ad, numpy as np
            >>> path = tempfile.mkdtemp() + "/a.h5ad"
            >>> ad.AnnData(np.zeros((10, 2), dtype="float32")).write_h5ad(path)
            >>> with MappedCollection([path]) as dataset:
            ...     sorted(dataset.block_sampler(block_size=4, seed=0)) == list(range(10))
            True
        """
        if not distributed and num_replicas is None and rank is None:
            return BlockShuffleSampler(
                self.n_obs, block_size=block_size, batch_size=batch_size, shuffle=shuffle, seed=seed
            )
        return DistributedBlockShuffleSampler(
            self.n_obs,
            num_replicas=num_replicas,
            rank=rank,
            block_size=block_size,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed or 0,
            drop_last=drop_last,
        )
