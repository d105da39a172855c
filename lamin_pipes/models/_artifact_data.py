"""Reading artifacts back: paths, the cache, load, and run inputs (open: ``_artifact_open``).

Every read checks what it gets against the record: a local file's size always and its
content hash when it is small enough to hash at no noticeable cost; remote content (a
file or a folder) is checked against size and hash right after it is downloaded into the
cache. A mismatch raises :class:`~lamin_pipes.errors.StorageError` instead of returning
corrupt data.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument, StorageError
from ..orm._records import record_instance
from ..storage import _serializers
from ..storage._cache import cache_path, cached
from ..storage._hashing import hash_dir, hash_file
from ._artifact_store import remove_local, storage_key
from ._run_links import track_input
from ._shared_content import check_owns_content, is_shared
from .storage import storage_by_id

logger = logging.getLogger("lamin_pipes")

#: Files up to this size are hashed when first read (about 1 ms per 4 MiB).
VERIFY_HASH_UP_TO = 8 * 1024 * 1024
#: Local files whose hash matched: path -> ((device, inode, size, mtime_ns, ctime_ns), hash).
_VERIFIED: dict[str, tuple[tuple[int, ...], str]] = {}
_VERIFIED_MAX = 10_000


def _saved(artifact: Any, action: str) -> None:
    if artifact.id is None:
        msg = f"Save the artifact before calling {action}()"
        raise InvalidArgument(msg)


def _unsaved_path(artifact: Any, action: str) -> Any:
    """Where the content of an unsaved artifact is now: its source path, else staged.

    lamindb reads an unsaved artifact from its local source (a remote object registered
    in place: its URL, and the cache for ``cache()``); the content of an in-memory
    object was serialized (staged) when the artifact was constructed.
    """
    state = artifact.__dict__
    source = state.get("_lp_source")
    if source is not None and source.path is not None and not source.consume:
        return Path(source.path)
    if source is not None and source.in_place is not None:  # a remote object, in place
        store = source.in_place.storage.store
        key = source.in_place.key
        if action == "path":
            return store.upath(key)  # type: ignore[no-any-return]
        return Path(cached(store, key, size=artifact.size, hash=artifact.hash))
    staged = state.get("_lp_staged")
    if staged is None:
        msg = f"Save the artifact before calling {action}()"
        raise InvalidArgument(msg)
    store = storage_by_id(record_instance(artifact), staged.storage_id).store
    local = store.local_path(staged.staging)
    if local is not None:
        return Path(local)
    return Path(cached(store, staged.staging, size=artifact.size, hash=artifact.hash))


def _store(artifact: Any) -> Any:
    """The store of ``artifact``'s content, once it is sure to hold its bytes.

    Versions of a family that shares one stored object raise unless the object holds
    their bytes (:mod:`lamin_pipes.models._shared_content`).
    """
    inst = record_instance(artifact)
    store = storage_by_id(inst, artifact.storage_id).store
    if is_shared(artifact):
        check_owns_content(artifact, store)
    return store


def _drop_stale_copy(store: Any, key: str, artifact: Any) -> None:
    """Remove a cached copy of a shared object that holds another version's bytes."""
    path = cache_path(store, key)
    if not path.exists():
        return
    found = (hash_dir(path) if path.is_dir() else hash_file(path)).hash
    if found != artifact.hash:
        remove_local(path)


def remote_open_kwargs(store: Any, engine: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Reader options for streaming from a remote store: polars reads S3 itself.

    polars cannot use an fsspec filesystem; given ``storage_options`` it streams the
    objects with range requests instead of downloading them whole.
    """
    options = getattr(store, "polars_storage_options", None)
    if engine == "polars" and options is not None and "storage_options" not in kwargs:
        return {**kwargs, "storage_options": options()}
    return kwargs


def artifact_path(artifact: Any) -> Any:
    """A ``pathlib.Path`` for local storage, else a ``upath.UPath`` (as lamindb returns).

    Unsaved artifacts give where their content is now (the source path, or the staged
    copy of an in-memory object).
    """
    if artifact.id is None:
        return _unsaved_path(artifact, "path")
    # where the content is (or was): no check that it still holds this version's bytes
    store = storage_by_id(record_instance(artifact), artifact.storage_id).store
    key = storage_key(artifact)
    local = store.local_path(key)
    if local is not None:
        return local
    upath = getattr(store, "upath", None)
    return upath(key) if upath is not None else store.uri(key)


def _verify_local(artifact: Any, path: Path) -> None:
    """Check a local file against the record: its size always, small files' hash once.

    A file whose hash matched is remembered by its identity and state (device, inode,
    size, modification time in ns): reading it again costs one ``stat``, not a hash,
    until anything about it changes.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        msg = (
            f"The content of artifact {artifact.uid} is missing from storage: "
            f"{str(path)!r} does not exist"
        )
        raise FileNotFoundError(msg) from None
    if artifact.n_files is not None or stat.S_ISDIR(info.st_mode):
        return
    size = info.st_size
    if artifact.size is not None and size != artifact.size:
        msg = (
            f"The stored content of artifact {artifact.uid} is corrupt: {str(path)!r} has "
            f"{size} bytes, the record says {artifact.size}"
        )
        raise StorageError(msg)
    if artifact.hash is None or size > VERIFY_HASH_UP_TO:
        return
    seen = (info.st_dev, info.st_ino, size, info.st_mtime_ns, info.st_ctime_ns)
    if _VERIFIED.get(str(path)) == (seen, artifact.hash):
        return
    found = hash_file(path).hash
    if found != artifact.hash:
        msg = (
            f"The stored content of artifact {artifact.uid} is corrupt: {str(path)!r} "
            f"hashes to {found}, the record says {artifact.hash}"
        )
        raise StorageError(msg)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.pop(next(iter(_VERIFIED)))
    _VERIFIED[str(path)] = (seen, artifact.hash)


def cache_artifact(artifact: Any, *, is_run_input: bool | None = None) -> Path:
    """A local path to the content; remote content is downloaded once, verified."""
    if artifact.id is None:
        return _unsaved_path(artifact, "cache")
    store = _store(artifact)
    key = storage_key(artifact)
    local = store.local_path(key)
    if local is None:
        if is_shared(artifact):
            _drop_stale_copy(store, key, artifact)
        local = cached(store, key, size=artifact.size, hash=artifact.hash)
    else:
        _verify_local(artifact, local)
    track_input(artifact, is_run_input)
    return Path(local)


def load_artifact(artifact: Any, *, is_run_input: bool | None = None, **kwargs: Any) -> Any:
    """The content as an in-memory object of the type it was saved from.

    An unsaved artifact made from an in-memory object returns that object, as lamindb
    does; one made from a path loads the path.
    """
    source = artifact.__dict__.get("_lp_source") if artifact.id is None else None
    if source is not None and source.obj is not None:
        return source.obj
    path = cache_artifact(artifact, is_run_input=is_run_input)
    if artifact.otype is not None and artifact.otype in _serializers.supported_otypes():
        return _serializers.load(path, artifact.otype)
    return _serializers.load_path(path, artifact.suffix)
