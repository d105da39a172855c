"""Open stored files lazily: tabular files as datasets, AnnData backed by its file.

:func:`open_dataset` opens one or more ``.parquet``, ``.csv``, ``.tsv`` or Arrow IPC
(``.ipc``, ``.arrow``, ``.feather``) files, or directories of them, without reading
them: as a :class:`pyarrow.dataset.Dataset` (``engine="pyarrow"``) or a polars
``LazyFrame`` (``engine="polars"``). :func:`open_anndata` opens an ``.h5ad`` file or an
AnnData ``.zarr`` store with its data left on disk.

Both take local paths; remote artifacts are cached first by the caller, except that
:func:`open_dataset` can read through a ``filesystem`` (pyarrow or fsspec). pyarrow,
polars and anndata are imported only when called.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n3,4\\n")
    >>> open_dataset(str(path), ".csv").to_table().num_rows
    2
    >>> open_dataset([str(path)], "csv", engine="polars").collect().shape
    (2, 2)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from lamin_pipes.errors import InvalidArgument

__all__ = ["DATASET_SUFFIXES", "ENGINES", "open_anndata", "open_dataset"]

DATASET_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".tsv", ".ipc", ".arrow", ".feather")
"""Suffixes :func:`open_dataset` opens."""

ENGINES: tuple[str, ...] = ("pyarrow", "polars")
"""Engines :func:`open_dataset` offers."""

ANNDATA_SUFFIXES: tuple[str, ...] = (".h5ad", ".zarr")
"""Suffixes :func:`open_anndata` opens."""

_LOCAL_PROTOCOLS = frozenset({"file", "local"})


def _options(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _normalize_suffix(suffix: str) -> str:
    value = suffix.strip().lower()
    return value if value.startswith(".") else f".{value}"


def _check_suffix(suffix: str, valid: Sequence[str], what: str) -> str:
    normalized = _normalize_suffix(suffix)
    if normalized not in valid:
        msg = f"{what} cannot open suffix {suffix!r}. Supported suffixes: {_options(valid)}"
        raise InvalidArgument(msg)
    return normalized


def _as_list(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str]) -> list[str]:
    if isinstance(paths, str | os.PathLike):
        items = [os.fspath(paths)]
    else:
        items = [os.fspath(p) for p in paths]
    if not items:
        msg = "open_dataset() needs at least one path, got an empty list"
        raise InvalidArgument(msg)
    return items


def _is_hidden(name: str) -> bool:
    """Files pyarrow's dataset discovery skips: names starting with ``.`` or ``_``."""
    return name.startswith((".", "_"))


def _expand_local(paths: list[str]) -> list[str]:
    """Absolute file paths; a directory becomes its visible files, recursively, sorted."""
    files: list[str] = []
    for item in paths:
        path = Path(item).expanduser().absolute()
        if path.is_dir():
            files.extend(
                str(f)
                for f in sorted(path.rglob("*"))
                if f.is_file() and not any(_is_hidden(p) for p in f.relative_to(path).parts)
            )
        else:
            files.append(str(path))
    return files


def _fsspec_protocols(filesystem: Any) -> set[str]:
    protocol = getattr(filesystem, "protocol", ())
    return {protocol} if isinstance(protocol, str) else set(protocol)


def _is_pyarrow_filesystem(filesystem: Any) -> bool:
    import pyarrow.fs as pafs

    return isinstance(filesystem, pafs.FileSystem)


def _to_pyarrow_filesystem(filesystem: Any) -> Any:
    import pyarrow.fs as pafs

    if filesystem is None or isinstance(filesystem, pafs.FileSystem):
        return filesystem
    return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))


def _expand_with(filesystem: Any, paths: list[str]) -> list[str]:
    """Expand directories through a pyarrow filesystem."""
    import pyarrow.fs as pafs

    files: list[str] = []
    for item in paths:
        info = filesystem.get_file_info(item)
        if info.type == pafs.FileType.Directory:
            found = filesystem.get_file_info(pafs.FileSelector(item, recursive=True))
            base = info.path.rstrip("/")
            files.extend(
                sorted(
                    f.path
                    for f in found
                    if f.type == pafs.FileType.File
                    and not any(_is_hidden(p) for p in f.path[len(base) :].split("/") if p)
                )
            )
        else:
            files.append(item)
    return files


def _pyarrow_format(suffix: str) -> Any:
    import pyarrow.dataset as ds

    if suffix == ".parquet":
        return ds.ParquetFileFormat()
    if suffix == ".csv":
        return ds.CsvFileFormat()
    if suffix == ".tsv":
        import pyarrow.csv as pacsv

        return ds.CsvFileFormat(parse_options=pacsv.ParseOptions(delimiter="\t"))
    return ds.IpcFileFormat()


def _open_pyarrow(paths: list[str], suffix: str, filesystem: Any, kwargs: dict[str, Any]) -> Any:
    import pyarrow.dataset as ds

    fs = _to_pyarrow_filesystem(filesystem)
    fmt = kwargs.pop("format", None) or _pyarrow_format(suffix)
    if len(paths) == 1:
        # A single path is passed as is, so a directory keeps pyarrow's discovery
        # (partitioning=, exclude_invalid_files=, ...).
        return ds.dataset(paths[0], format=fmt, filesystem=fs, **kwargs)
    if fs is None:
        if any("://" in p for p in paths):
            return ds.dataset(paths, format=fmt, **kwargs)
        files = _expand_local(paths)
    else:
        files = _expand_with(fs, paths)
    return ds.dataset(files, format=fmt, filesystem=fs, **kwargs)


def _open_polars(paths: list[str], suffix: str, filesystem: Any, kwargs: dict[str, Any]) -> Any:
    import polars as pl

    sources: list[Any]
    if filesystem is None:
        sources = paths if any("://" in p for p in paths) else _expand_local(paths)
    elif _is_pyarrow_filesystem(filesystem):
        if filesystem.type_name == "local":
            sources = _expand_local(paths)
        else:
            sources = [
                filesystem.open_input_file(p).readall() for p in _expand_with(filesystem, paths)
            ]
    elif _fsspec_protocols(filesystem) & _LOCAL_PROTOCOLS:
        sources = _expand_local([filesystem._strip_protocol(p) for p in paths])
    else:
        files = _expand_with(_to_pyarrow_filesystem(filesystem), paths)
        if "storage_options" in kwargs:
            # polars reads the objects itself with the caller's credentials.
            sources = [filesystem.unstrip_protocol(p) for p in files]
        else:
            # polars cannot use an fsspec filesystem: hand it the files' bytes.
            sources = [filesystem.cat_file(p) for p in files]
    if suffix == ".parquet":
        return pl.scan_parquet(sources, **kwargs)
    if suffix in (".csv", ".tsv"):
        if suffix == ".tsv":
            kwargs.setdefault("separator", "\t")
        return pl.scan_csv(sources, **kwargs)
    return pl.scan_ipc(sources, **kwargs)


def open_dataset(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    suffix: str,
    *,
    engine: Literal["pyarrow", "polars"] = "pyarrow",
    filesystem: Any = None,
    **kwargs: Any,
) -> Any:
    """Open tabular files lazily, without reading their rows.

    Args:
        paths: One path or a list; each a file or a directory whose visible files
            (names not starting with ``.`` or ``_``, searched recursively) all have the
            same format. With ``filesystem``, paths are in that filesystem.
        suffix: The files' format as a suffix, with or without its dot: ``.parquet``,
            ``.csv``, ``.tsv`` or ``.ipc``/``.arrow``/``.feather`` (Arrow IPC).
        engine: ``"pyarrow"`` returns a :class:`pyarrow.dataset.Dataset`, ``"polars"``
            a ``polars.LazyFrame``.
        filesystem: A pyarrow filesystem or an fsspec one (wrapped for pyarrow). polars
            cannot read through fsspec: for a remote fsspec filesystem it reads the
            files' bytes into memory, unless ``storage_options`` is given, then it reads
            the objects' URLs itself with those options.
        **kwargs: Passed on to :func:`pyarrow.dataset.dataset` (e.g. ``partitioning``,
            ``schema``) or to ``polars.scan_parquet``/``scan_csv``/``scan_ipc``.

    Raises:
        InvalidArgument: Unknown engine or suffix, or no paths.

    Examples:
        >>> open_dataset("x.parquet", ".parquet", engine="spark")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Unknown engine 'spark'. Valid engines: 'pyarrow', 'polars'
    """
    if engine not in ENGINES:
        msg = f"Unknown engine {engine!r}. Valid engines: {_options(ENGINES)}"
        raise InvalidArgument(msg)
    normalized = _check_suffix(suffix, DATASET_SUFFIXES, "open_dataset()")
    items = _as_list(paths)
    if engine == "pyarrow":
        return _open_pyarrow(items, normalized, filesystem, dict(kwargs))
    return _open_polars(items, normalized, filesystem, dict(kwargs))


def open_anndata(path: str | os.PathLike[str], suffix: str | None = None) -> Any:
    """Open an AnnData with its data left on disk.

    ``.h5ad``: ``anndata.read_h5ad(path, backed="r")``. ``obs`` and ``var`` are read
    into memory; ``X`` stays an h5py-backed dataset read on indexing (``adata.X[:10]``).
    The file stays open until ``adata.file.close()``.

    ``.zarr``: ``anndata.experimental.read_lazy`` where it works (it needs ``xarray``;
    ``X`` becomes a dask array, ``obs``/``var`` lazy frames). Without ``xarray`` it
    falls back to ``anndata.read_zarr``, which reads the whole store into memory.

    Args:
        path: The local ``.h5ad`` file or ``.zarr`` directory.
        suffix: The format as a suffix, with or without its dot; ``None`` uses the
            path's suffix.

    Raises:
        InvalidArgument: The suffix is neither ``.h5ad`` nor ``.zarr``.

    Examples:
        >>> open_anndata("counts.loom")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: open_anndata() cannot open suffix '.loom'. Supported suffixes: '.h5ad', '.zarr'
    """
    source = Path(path)
    normalized = _check_suffix(
        source.suffix if suffix is None else suffix, ANNDATA_SUFFIXES, "open_anndata()"
    )
    import anndata

    if normalized == ".h5ad":
        return anndata.read_h5ad(source, backed="r")
    try:
        from anndata.experimental import read_lazy
    except ImportError:
        return anndata.read_zarr(source)
    try:
        return read_lazy(source)
    except ImportError:
        # read_lazy needs xarray (and dask); read eagerly instead.
        return anndata.read_zarr(source)
