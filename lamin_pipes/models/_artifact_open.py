"""``artifact.open()``: stream an artifact's content without loading it.

What is returned, by suffix (as lamindb):

- ``.parquet``, ``.csv``, ``.tsv``, ``.ipc``/``.arrow``/``.feather``: a
  ``pyarrow.dataset.Dataset`` (``engine="polars"``: a ``polars.LazyFrame``);
- ``.h5ad``: a backed ``AnnData`` (its file stays open until closed);
- ``.zarr``: an AnnData zarr store as a lazy ``AnnData``, any other zarr group as a
  ``zarr.Group``;
- ``.h5``/``.hdf5``: an ``h5py.File``.

Each works in a ``with`` statement that releases its handles at the end
(:func:`~lamin_pipes.storage._closing.closable`), and keeps its own type.

``mode="r+"`` follows lamindb's rules: only for a ``.zarr`` artifact whose family
overwrites versions (the default for folders). It gives the stored ``zarr.Group`` for
writing in place; closing it (or leaving the ``with`` block) hashes the store and, if
anything changed, saves the content as the family's new version, which the artifact
object then stands for (lamindb does this for AnnData zarr stores).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument
from ..orm._records import record_instance
from ..storage import _open
from ..storage._closing import closable
from ..storage._stored_hash import hash_stored
from ._artifact_data import _saved, _store, _verify_local, cache_artifact, remote_open_kwargs
from ._artifact_store import storage_key
from ._run_links import track_input

logger = logging.getLogger("lamin_pipes")

_TABULAR = (".parquet", ".csv", ".tsv", ".ipc", ".arrow", ".feather")
_HDF5 = (".h5", ".hdf5")
_SUFFIXES = (*_TABULAR, ".h5ad", ".zarr", *_HDF5)
_MODES = ("r", "r+")


def check_mode(artifact: Any, mode: str) -> None:
    """Refuse what lamindb refuses: ``r+`` except for ``.zarr`` of a shared-object family."""
    if mode not in _MODES:
        msg = f"Invalid mode {mode!r}; valid modes: 'r' (read), 'r+' (update a .zarr store)"
        raise InvalidArgument(msg)
    if mode == "r":
        return
    if artifact.suffix != ".zarr":
        msg = (
            f"It is not allowed to open a {artifact.suffix or 'suffix-less'} artifact with "
            "mode='r+'. You can open all supported formats with mode='r', and AnnData or "
            "zarr stores (.zarr) with mode='r+'."
        )
        raise InvalidArgument(msg)
    if not artifact.overwrite_versions:
        msg = (
            "It is not possible to open artifacts having overwrite_versions=False in "
            f"non-read mode (other than mode='r'): artifact {artifact.uid}"
        )
        raise InvalidArgument(msg)


def open_artifact(
    artifact: Any,
    *,
    mode: str = "r",
    engine: str = "pyarrow",
    is_run_input: bool | None = None,
    **kwargs: Any,
) -> Any:
    """A streaming handle (see the module doc); usable in a ``with`` statement."""
    _saved(artifact, "open")
    suffix = artifact.suffix
    if suffix not in _SUFFIXES:
        msg = (
            f"open() does not support suffix {suffix!r} of artifact {artifact.uid}; it opens "
            f"{', '.join(_SUFFIXES)}. Use .load() or .cache() instead"
        )
        raise InvalidArgument(msg)
    check_mode(artifact, mode)
    if suffix in _TABULAR:
        result = closable(_open_tabular(artifact, engine, kwargs))
        track_input(artifact, is_run_input)
        return result
    if mode == "r+":
        result = _open_for_update(artifact, **kwargs)
        track_input(artifact, is_run_input)
        return result
    path = cache_artifact(artifact, is_run_input=is_run_input)
    if suffix == ".zarr" and not _is_anndata_zarr(path):
        import zarr

        group = zarr.open_group(path, mode="r", **kwargs)
        return closable(group, close=_store_closer(group))
    if suffix in _HDF5:
        import h5py

        return h5py.File(path, "r", **kwargs)
    adata = _open.open_anndata(path, suffix)
    handle = getattr(adata, "file", None)
    close = handle.close if suffix == ".h5ad" and handle is not None else None
    return closable(adata, close=close)


def _open_tabular(artifact: Any, engine: str, kwargs: dict[str, Any]) -> Any:
    store = _store(artifact)
    key = storage_key(artifact)
    local = store.local_path(key)
    if local is not None:
        _verify_local(artifact, local)
        return _open.open_dataset([str(local)], artifact.suffix, engine=engine, **kwargs)  # type: ignore[arg-type]
    return _open.open_dataset(
        [store.fs_path(key)],
        artifact.suffix,
        engine=engine,  # type: ignore[arg-type]
        filesystem=store.filesystem(),
        **remote_open_kwargs(store, engine, kwargs),
    )


def _is_anndata_zarr(path: Path) -> bool:
    """Whether a zarr store holds an AnnData (its root's ``encoding-type``)."""
    import json

    for name, key in ((".zattrs", "encoding-type"), ("zarr.json", "attributes")):
        meta = path / name
        if not meta.is_file():
            continue
        try:
            content = json.loads(meta.read_text(encoding="utf-8"))
        except ValueError:
            return False
        attrs = content if name == ".zattrs" else content.get(key) or {}
        return bool(attrs.get("encoding-type") == "anndata")
    return False


def _is_consolidated(group: Any) -> bool:
    """Whether a zarr group's store has consolidated metadata (zarr 3 or zarr 2)."""
    metadata = getattr(group, "metadata", None)
    if metadata is not None and hasattr(metadata, "consolidated_metadata"):
        return metadata.consolidated_metadata is not None
    try:
        return ".zmetadata" in group.store
    except TypeError:
        return False


def _store_closer(group: Any) -> Any:
    """What closes a zarr group's store (nothing for stores without ``close``)."""
    close = getattr(group.store, "close", None)
    return close if callable(close) else (lambda: None)


def _open_for_update(artifact: Any, **kwargs: Any) -> Any:
    """The stored zarr group for writing; closing it saves a changed store as a version."""
    import zarr

    store = _store(artifact)  # the family's shared object must hold this version
    key = storage_key(artifact)
    local = store.local_path(key)
    where: Any = local
    if local is None:
        options = {**getattr(store, "fsspec_options", dict)(), **kwargs.pop("storage_options", {})}
        kwargs["storage_options"] = options
        where = store.uri(key)
    # Consolidated metadata (AnnData writes it) blocks edits in zarr 3: open without
    # it, and consolidate again when done, as lamindb does.
    consolidated = _is_consolidated(zarr.open_group(where, mode="r", **kwargs))
    try:
        group = zarr.open_group(where, mode="r+", use_consolidated=False, **kwargs)
    except TypeError:  # zarr 2 reads no consolidated metadata here
        group = zarr.open_group(where, mode="r+", **kwargs)

    def close() -> None:
        if consolidated:
            zarr.consolidate_metadata(group.store)
        _store_closer(group)()
        _save_if_changed(artifact, store, key)

    return closable(group, close=close)


def _save_if_changed(artifact: Any, store: Any, key: str) -> None:
    """Save the updated store as the family's next version; ``artifact`` becomes it."""
    from ._artifact_in_place import is_in_place
    from ._artifact_save import become
    from .artifact import Artifact

    store_hash = hash_stored(store, key)
    if store_hash.hash == artifact.hash:
        return
    inst = record_instance(artifact)
    local = store.local_path(key)
    if is_in_place(artifact):  # registered again where it is, as the next version
        where = local if local is not None else store.uri(key)
        new = Artifact(where, key=artifact.key, revises=artifact, description=artifact.description)
        new.otype = artifact.otype
        new.save()
        become(artifact, new, inst)
        return
    tmp = Path(tempfile.mkdtemp(prefix="lamin_pipes_update_"))
    try:
        if local is None:
            source = store.download(key, tmp / f"update{artifact.suffix}")
        else:
            source = tmp / f"update{artifact.suffix}"
            shutil.copytree(local, source)
        new = Artifact(
            source,
            revises=artifact,
            description=artifact.description,
            kind=artifact.kind,
            overwrite_versions=True,
            _consume=True,
            _is_internal_call=True,
        )
        new.otype = artifact.otype
        new.n_observations = artifact.n_observations
        new.save()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("saved the updated store as version %s of %s", new.version, artifact.key)
    become(artifact, new, inst)
