"""One AnnData store (``.h5ad`` file or ``.zarr`` folder, local or remote) of a mapped collection.

A store opens its file lazily and once per process: a DataLoader worker, forked or
spawned, opens handles of its own on first use (handles inherited through a fork are
dropped, never used). Pickling a store (spawned workers) leaves every handle behind.

Examples:
    >>> import tempfile, anndata as ad, numpy as np
    >>> path = tempfile.mkdtemp() + "/a.h5ad"
    >>> ad.AnnData(np.eye(3, dtype="float32")).write_h5ad(path)
    >>> store = AnnDataStore(path)
    >>> store.kind, store.n_obs, store.matrix("X").take(np.array([2, 0])).tolist()
    ('h5ad', 3, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    >>> store.close()
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InvalidArgument
from ._elements import (
    H5_CHUNK_CACHE,
    CsrMatrix,
    DenseMatrix,
    MemmapRows,
    ZarrRows,
    h5_layout,
    h5_rows,
)

_LOCAL_PROTOCOLS = ("", "file", "local")


def read_elem(elem: Any) -> Any:
    """anndata's reader of one stored element (a column, an index, a matrix)."""
    try:
        from anndata.io import read_elem as _read
    except ImportError:  # anndata < 0.11
        from anndata.experimental import read_elem as _read
    return _read(elem)


def _is_group(elem: Any) -> bool:
    return hasattr(elem, "keys")


def _attr(elem: Any, name: str, default: Any = None) -> Any:
    value = elem.attrs.get(name, default)
    if isinstance(value, bytes):
        return value.decode()
    return value


class Location:
    """Where a store is: a local path, or a path on an fsspec filesystem (e.g. S3).

    Accepts a ``str`` path or URL, a ``pathlib.Path`` or a ``upath.UPath`` (whose
    storage options, such as an S3 endpoint, are kept). The filesystem is created once
    per process.
    """

    def __init__(self, source: Any):
        self.protocol = ""
        self.options: dict[str, Any] = {}
        if hasattr(source, "protocol") and hasattr(source, "storage_options"):  # a UPath
            self.protocol = source.protocol or ""
            self.options = dict(source.storage_options)
            path = str(source.path)
        elif isinstance(source, os.PathLike):
            path = os.fspath(source)
        elif isinstance(source, str):
            from fsspec.core import split_protocol

            protocol, rest = split_protocol(source)
            self.protocol, path = (protocol or ""), rest
        else:
            msg = (
                f"Cannot read AnnData from {source!r}: expected a path (str or "
                "pathlib.Path), a URL, or a upath.UPath"
            )
            raise InvalidArgument(msg)
        if isinstance(self.protocol, tuple | list):
            self.protocol = self.protocol[0]
        self.is_local = self.protocol in _LOCAL_PROTOCOLS
        self.path = str(Path(path).absolute()) if self.is_local else path
        self._fs: Any = None
        self._fs_pid = -1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fs": None, "_fs_pid": -1}

    def __repr__(self) -> str:
        return self.path if self.is_local else f"{self.protocol}://{self.path}"

    @property
    def url(self) -> str:
        """The path, with its protocol where it is remote."""
        return repr(self)

    def filesystem(self) -> Any:
        """An fsspec filesystem for a remote location (one per process)."""
        if self._fs is None or self._fs_pid != os.getpid():
            import fsspec

            self._fs = fsspec.filesystem(self.protocol, **self.options)
            self._fs_pid = os.getpid()
        return self._fs

    def kind(self) -> str:
        """``"h5ad"`` for a file, ``"zarr"`` for a folder (suffix first, then the type)."""
        name = self.path.rstrip("/")
        if name.endswith((".h5ad", ".h5", ".hdf5")):
            return "h5ad"
        if name.endswith(".zarr"):
            return "zarr"
        if self.is_local:
            return "zarr" if Path(self.path).is_dir() else "h5ad"
        return "zarr" if self.filesystem().isdir(self.path) else "h5ad"


class AnnDataStore:
    """An AnnData store read lazily, with handles per process.

    Args:
        source: A local path, URL or ``upath.UPath`` of an ``.h5ad`` file or ``.zarr``
            folder.
    """

    def __init__(self, source: Any):
        self.source = source
        self.location = Location(source)
        self.kind = self.location.kind()
        self._pid = -1
        self._group: Any = None
        self._fileobj: Any = None
        self._matrices: dict[str, Any] = {}
        self._flats: dict[str, Any] = {}
        group = self.group()
        if "obs" not in group:
            msg = f"{self.location.url} is not an AnnData store: it has no 'obs'"
            raise InvalidArgument(msg)
        obs = group["obs"]
        self.obs_index_key = str(_attr(obs, "_index", "_index"))
        if self.obs_index_key in obs:
            self.n_obs = int(obs[self.obs_index_key].shape[0])
        else:
            self.n_obs = int(self._shape_of(group["X"])[0])
        order = _attr(obs, "column-order")
        if order is None:
            columns = [k for k in obs if k not in (self.obs_index_key, "__categories")]
        else:
            columns = [order] if isinstance(order, str) else [str(c) for c in order]
        self.obs_columns: set[str] = set(columns)
        self.layers: set[str] = set(group["layers"].keys()) if "layers" in group else set()
        self.obsm: set[str] = set(group["obsm"].keys()) if "obsm" in group else set()
        self.has_x = "X" in group
        self.has_raw = "raw" in group and "X" in group["raw"]

    # --- handles -------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_pid=-1, _group=None, _fileobj=None, _matrices={}, _flats={})
        return state

    def group(self) -> Any:
        """The open root group (``h5py.File`` or ``zarr.Group``) of this process."""
        if self._pid != os.getpid():
            # handles inherited through fork belong to the parent: never touch them
            self._group = self._fileobj = None
            self._matrices, self._flats = {}, {}
            self._pid = os.getpid()
        if self._group is None:
            self._group = self._open()
        return self._group

    def _open(self) -> Any:
        location = self.location
        if self.kind == "h5ad":
            import h5py

            if location.is_local:
                return h5py.File(location.path, "r", rdcc_nbytes=H5_CHUNK_CACHE)
            self._fileobj = location.filesystem().open(location.path, "rb")
            return h5py.File(self._fileobj, "r", rdcc_nbytes=H5_CHUNK_CACHE)
        import zarr

        if location.is_local:
            return zarr.open_group(location.path, mode="r")
        if int(zarr.__version__.split(".")[0]) >= 3:
            from zarr.storage import FsspecStore

            store = FsspecStore.from_url(
                location.url, storage_options=location.options, read_only=True
            )
            return zarr.open_group(store=store, mode="r")
        import fsspec

        return zarr.open_group(fsspec.get_mapper(location.url, **location.options), mode="r")

    @property
    def is_open(self) -> bool:
        """Whether this process holds an open handle."""
        return self._group is not None and self._pid == os.getpid()

    def close(self) -> None:
        """Release this process's handles and memory maps (they reopen on next use)."""
        if self._pid == os.getpid():
            group, fileobj = self._group, self._fileobj
            self._matrices, self._flats = {}, {}
            self._group = self._fileobj = None
            if group is not None and hasattr(group, "close"):
                group.close()
            if fileobj is not None:
                fileobj.close()

    # --- elements ------------------------------------------------------------------

    def _shape_of(self, elem: Any) -> tuple[int, ...]:
        if _is_group(elem):
            shape = _attr(elem, "shape")
            if shape is None:
                shape = _attr(elem, "h5sparse_shape")
            return tuple(int(n) for n in shape)
        return tuple(int(n) for n in elem.shape)

    def _rows(self, elem: Any) -> Any:
        if self.kind == "zarr":
            return ZarrRows(elem)
        location = self.location
        if location.is_local:
            return h5_rows(elem, local_path=location.path, fs=None, fs_path=None)
        return h5_rows(elem, local_path=None, fs=location.filesystem(), fs_path=location.path)

    def element_path(self, key: str) -> str | None:
        """The store path of a layer key (``"X"``, ``"raw.X"``, a layer), or None if absent."""
        if key == "X":
            return "X" if self.has_x else None
        if key == "raw.X":
            return "raw/X" if self.has_raw else None
        return f"layers/{key}" if key in self.layers else None

    def matrix(self, path: str) -> DenseMatrix | CsrMatrix:
        """A reader of the 2-D element at ``path`` (``X``, ``layers/k``, ``obsm/k``, ``raw/X``)."""
        group = self.group()
        found = self._matrices.get(path)
        if found is not None:
            return found  # type: ignore[no-any-return]
        elem = group[path]
        reader: DenseMatrix | CsrMatrix
        if _is_group(elem):
            encoding = _attr(elem, "encoding-type")
            if encoding is None and _attr(elem, "h5sparse_format") is not None:
                encoding = f"{_attr(elem, 'h5sparse_format')}_matrix"
            if encoding == "csc_matrix":
                msg = (
                    f"{path} in {self.location.url} is a CSC matrix; mapped() reads dense "
                    "arrays and CSR matrices. Store it as CSR (e.g. adata.X = adata.X.tocsr())"
                )
                raise InvalidArgument(msg)
            if encoding != "csr_matrix":
                msg = (
                    f"{path} in {self.location.url} is stored as {encoding!r}; mapped() "
                    "reads dense arrays and CSR matrices"
                )
                raise InvalidArgument(msg)
            shape = self._shape_of(elem)
            indptr = np.asarray(elem["indptr"][...], dtype=np.int64)
            reader = CsrMatrix(
                self._rows(elem["data"]),
                self._rows(elem["indices"]),
                indptr,
                (shape[0], shape[1]),
            )
        else:
            if len(elem.shape) != 2:
                msg = f"{path} in {self.location.url} has shape {elem.shape}; expected 2-D"
                raise InvalidArgument(msg)
            if elem.dtype.kind not in "biuf":
                msg = (
                    f"{path} in {self.location.url} has dtype {elem.dtype}; mapped() reads "
                    "numeric arrays"
                )
                raise InvalidArgument(msg)
            reader = DenseMatrix(self._rows(elem))
        self._matrices[path] = reader
        return reader

    def flat(self, path: str) -> Any:
        """A reader of ranges of the 1-D array at ``path`` (e.g. category codes)."""
        group = self.group()
        found = self._flats.get(path)
        if found is None:
            found = self._rows(group[path])
            self._flats[path] = found
        return found

    def read(self, path: str) -> Any:
        """The element at ``path`` read whole by anndata (a column, an index)."""
        return read_elem(self.group()[path])

    def is_categorical(self, column: str) -> bool:
        """Whether obs column ``column`` is stored as a categorical (codes + categories)."""
        elem = self.group()["obs"][column]
        return _is_group(elem) and "codes" in elem and "categories" in elem

    def var_names(self) -> Any:
        """The ``var`` index as a ``pandas.Index``."""
        import pandas as pd

        var = self.group()["var"]
        key = str(_attr(var, "_index", "_index"))
        return pd.Index(np.asarray(read_elem(var[key])))


def h5_is_fast(dataset: Any) -> bool:
    """Whether an HDF5 dataset is read from its bytes directly (for tests and benchmarks)."""
    return h5_layout(dataset) is not None


__all__ = ["AnnDataStore", "Location", "MemmapRows", "h5_is_fast", "read_elem"]
