"""An artifact's content in its store: what is stored, under which key, and how.

:func:`prepare_source` inspects what a new artifact will store without reading it;
:func:`storage_key` names where a saved artifact's content lives; :func:`stage`,
:func:`move` and :func:`remove` are the file operations the save flow
(:mod:`lamin_pipes.models._artifact_save`) is built from. Nothing here touches the
database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument
from ..storage import Store, _serializers
from ..storage._cache import cache_path
from ..storage._hashing import hash_dir, hash_file
from ..storage._keys import validate_key
from ..storage._local import _fsync_dir
from ..storage._local import _remove as remove_local

logger = logging.getLogger("lamin_pipes")

STAGING_DIR = ".lamindb/_staging"
#: Artifact.suffix holds at most this many characters.
_MAX_SUFFIX = 30
#: One empty marker per Storage record (by uid) that uses the root, in any instance.
STORAGES_DIR = ".lamindb/_storages"
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst", ".zip", ".tar")
_FOLDER_SUFFIXES = (".zarr", ".zrad", ".tiledbsoma", ".lance", ".parquet")


@dataclass
class Source:
    """What an unsaved artifact will store."""

    kind: str  # "file", "dir" or "object"
    suffix: str
    otype: str | None
    n_observations: int | None
    path: Path | None = None
    obj: Any = None
    format: str | None = None
    consume: bool = False  # move the path into storage instead of copying it
    #: Options of the writer of an in-memory object (``parquet_kwargs``, ``h5ad_kwargs``...).
    write_kwargs: dict[str, Any] | None = None
    #: Content registered where it lies (an ``_artifact_in_place.InPlace``), not copied.
    in_place: Any = None


def path_suffix(path: Path, *, is_dir: bool) -> str:
    """The suffix lamindb records for a path (``.csv.gz`` style for compressed files).

    Examples:
        >>> path_suffix(Path("a/b.csv.gz"), is_dir=False), path_suffix(Path("x.zarr"), is_dir=True)
        ('.csv.gz', '.zarr')
        >>> path_suffix(Path("run.2024"), is_dir=True)
        ''
    """
    suffixes = path.suffixes
    if not suffixes:
        return ""
    last = suffixes[-1]
    if is_dir:
        return last if last in _FOLDER_SUFFIXES else ""
    if last in _COMPRESSIONS and len(suffixes) > 1:
        return suffixes[-2] + last
    return last


def prepare_source(
    data: Any,
    *,
    key: str | None,
    format: str | None,
    write_kwargs: dict[str, Any] | None = None,
) -> Source:
    """Inspect ``data`` (cheaply: nothing is read or written yet) and check ``key``.

    An in-memory AnnData without ``format`` takes the format from the key's suffix
    (``key="x.zarr"`` writes a zarr store), as lamindb does.
    """
    if write_kwargs is not None and not isinstance(write_kwargs, dict):
        msg = f"Writer options must be a dict, not {type(write_kwargs).__name__}: {write_kwargs!r}"
        raise InvalidArgument(msg)
    if isinstance(data, str | os.PathLike):
        text = os.fspath(data)
        if "://" in text:
            msg = (
                f"Cannot copy {text!r} into storage: only a path inside a registered "
                "storage location is registered in place; pass a local path or an object"
            )
            raise InvalidArgument(msg)
        if write_kwargs:
            msg = f"Writer options apply to in-memory objects only, not to the path {text!r}"
            raise InvalidArgument(msg)
        path = Path(text).absolute()
        if not path.exists():
            msg = f"Path {text!r} does not exist; pass an existing file or folder"
            raise InvalidArgument(msg)
        if format is not None:
            msg = f"format={format!r} applies to in-memory objects only, not to a path"
            raise InvalidArgument(msg)
        is_dir = path.is_dir()
        source = Source(
            kind="dir" if is_dir else "file",
            suffix=path_suffix(path, is_dir=is_dir),
            otype=None,
            n_observations=None,
            path=path,
        )
    else:
        if format is None and key is not None:
            format = format_from_key(data, key)
        try:
            serializer_suffix = _serializers.suffix_for(data, format)
        except InvalidArgument as error:
            if format is not None:
                raise
            msg = f"{error}; or pass the path of a file or folder"
            raise InvalidArgument(msg) from None
        source = Source(
            kind="object",
            suffix=serializer_suffix,
            otype=_serializers.otype_of(data),
            n_observations=_serializers.n_observations_of(data),
            obj=data,
            format=format,
            write_kwargs=write_kwargs,
        )
    if len(source.suffix) > _MAX_SUFFIX:
        msg = (
            f"The suffix {source.suffix[:40]!r} is longer than {_MAX_SUFFIX} characters; "
            "rename the file or pass a shorter format"
        )
        raise InvalidArgument(msg)
    if key is not None:
        check_key(key, source.suffix)
    return source


def format_from_key(data: Any, key: str) -> str | None:
    """The format an AnnData's ``key`` asks for (``"x.zarr"``: ``".zarr"``), else ``None``.

    Examples:
        >>> import anndata as ad
        >>> format_from_key(ad.AnnData(), "a/x.zarr"), format_from_key({"a": 1}, "x.zarr")
        ('.zarr', None)
    """
    if _serializers.otype_of_or_none(data) != "AnnData":
        return None
    name = key.rsplit("/", 1)[-1]
    suffix = path_suffix(Path(name), is_dir=False)
    return suffix if suffix in _serializers.formats_of("AnnData") else None


def check_key(key: str, suffix: str) -> None:
    """Raise if ``key`` is not a valid relative key ending in the data's ``suffix``."""
    validate_key(key)
    if len(key) > 1024:
        msg = f"Invalid key {key[:40]!r}…: longer than 1024 characters"
        raise InvalidArgument(msg)
    name = key.rsplit("/", 1)[-1]
    if suffix and not name.endswith(suffix):
        stem = name.split(".", 1)[0] or "name"
        msg = (
            f"Invalid key {key!r}: the data is stored as {suffix!r}, so the key must end "
            f"with {suffix!r}, e.g. "
            f"{(key.rsplit('/', 1)[0] + '/' if '/' in key else '') + stem + suffix!r}"
        )
        raise InvalidArgument(msg)
    if not suffix and "." in name and not key.endswith("/"):
        known = path_suffix(Path(name), is_dir=False)
        if known:
            msg = (
                f"Invalid key {key!r}: it ends with {known!r} but the data has no suffix; "
                "drop the suffix from the key"
            )
            raise InvalidArgument(msg)


def storage_key(artifact: Any) -> str:
    """The storage key of an artifact's content: ``.lamindb/{uid}{suffix}``.

    Families that overwrite versions share one key built from the stem uid. Content
    registered in place is at its own path: ``_real_key``, else a non-virtual ``key``.
    """
    state = artifact.__dict__
    real_key = state.get("_real_key")
    if real_key is not None:
        return str(real_key)
    if state.get("_key_is_virtual") is False and state.get("key") is not None:
        return str(state["key"])
    uid = state["uid"]
    if state.get("_overwrite_versions"):
        uid = uid[: type(artifact)._len_stem]
    return f".lamindb/{uid}{state.get('suffix') or ''}"


def stage(store: Store, source: Source, staging: str) -> Any:
    """Write the content under ``staging`` and return its hash (one read of the data)."""
    if source.kind in ("file", "dir"):
        assert source.path is not None
        local = store.local_path(staging)
        if source.consume and local is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source.path, local)
            fsync_tree(local)
            return hash_dir(local) if source.kind == "dir" else hash_file(local)
        if source.kind == "dir":
            return store.put_dir(source.path, staging)
        return store.put_file(source.path, staging)
    options = source.write_kwargs or {}
    local = store.local_path(staging)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            _serializers.save(source.obj, local, source.format, **options)
            fsync_tree(local)
        except BaseException:
            remove_local(local)
            raise
        return hash_dir(local) if local.is_dir() else hash_file(local)
    with tempfile.TemporaryDirectory(prefix="lamin_pipes_") as tmp:
        path = Path(tmp) / f"object{source.suffix}"
        _serializers.save(source.obj, path, source.format, **options)
        if path.is_dir():
            return store.put_dir(path, staging)
        return store.put_file(path, staging)


def unstage(store: Store, staging: str, source: Source, *, is_dir: bool) -> None:
    """Remove the staged content; content moved in from a LazyArtifact path goes back."""
    local = store.local_path(staging)
    if source.consume and source.path is not None and local is not None and local.exists():
        try:
            os.replace(local, source.path)
            return
        except OSError as error:
            logger.warning("Could not move %s back to %s: %s", local, source.path, error)
    remove(store, staging, is_dir=is_dir)


def fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                _fsync_file(child)
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(store: Store, key: str, *, is_dir: bool) -> None:
    """Remove a staged or stored object; never raises for a missing one."""
    try:
        local = store.local_path(key)
        if local is not None:
            remove_local(local)
        elif is_dir:
            store.delete_dir(key, missing_ok=True)
        else:
            store.delete(key, missing_ok=True)
    except Exception as error:  # cleanup must not hide the original error
        logger.warning("Could not remove %s: %s", store.uri(key), error)


def move(store: Store, src: str, dst: str, *, is_dir: bool) -> None:
    """Rename ``src`` onto ``dst`` in the store, replacing what is there.

    Whatever lies at ``dst`` is garbage or obsolete: the caller holds the row that owns
    the name (a leftover of a crashed save, or the shared content of a family that
    overwrites versions). Atomic for local files.
    """
    local_src = store.local_path(src)
    local_dst = store.local_path(dst)
    if local_src is not None and local_dst is not None:
        local_dst.parent.mkdir(parents=True, exist_ok=True)
        if local_dst.is_dir() or (local_src.is_dir() and local_dst.exists()):
            old = local_dst.with_name(f".{local_dst.name}.{secrets.token_hex(4)}.old")
            os.replace(local_dst, old)
            os.replace(local_src, local_dst)
            remove_local(old)
        else:
            os.replace(local_src, local_dst)
        _fsync_dir(local_dst.parent)
        return
    fs = store.filesystem()
    if is_dir:
        # Clear the destination first: copying into an existing prefix nests the tree.
        store.delete_dir(dst, missing_ok=True)
        if store.exists(dst):
            store.delete(dst)
        fs.copy(store.fs_path(src), store.fs_path(dst), recursive=True)
        store.delete_dir(src, missing_ok=True)
    else:
        fs.copy(store.fs_path(src), store.fs_path(dst))
        store.delete(src, missing_ok=True)
    with contextlib.suppress(Exception):
        fs.invalidate_cache()


def forget_cached(store: Any, key: str) -> None:
    if store.local_path(key) is not None:
        return
    try:
        remove_local(cache_path(store, key))
    except Exception as error:
        logger.debug("Could not remove the cached copy of %s: %s", key, error)
