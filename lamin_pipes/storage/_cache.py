"""The local cache of remote objects: one copy per object, downloaded atomically.

An object ``key`` of the remote store ``s3://bucket/prefix`` is cached at
``cache_dir()/bucket/prefix/key`` (``cache_dir()/<server>/bucket/prefix/key`` for an S3
server other than AWS's). An object of a local store is never copied: its cache
path is the object's own path.

The cache directory is ``ln.settings.cache_dir`` when set, else the environment variable
``LAMIN_PIPES_CACHE_DIR``, else ``~/.cache/lamin_pipes``.

Examples:
    >>> import tempfile
    >>> from lamin_pipes.storage import LocalStore, S3Store
    >>> local = LocalStore(tempfile.mkdtemp())
    >>> cache_path(local, "a.txt") == local.path_for("a.txt")
    True
    >>> remote = S3Store("s3://my-bucket/prefix")
    >>> cache_path(remote, "a/b.txt").as_posix().endswith("my-bucket/prefix/a/b.txt")
    True
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from lamin_pipes.core._settings import settings
from lamin_pipes.errors import StorageError
from lamin_pipes.storage._hashing import hash_dir, hash_file
from lamin_pipes.storage._keys import validate_key
from lamin_pipes.storage._local import _list_files, _remove

if TYPE_CHECKING:
    from lamin_pipes.storage._store import Store

__all__ = ["cache_dir", "cache_path", "cached", "set_cache_dir"]


def cache_dir() -> Path:
    """The cache directory (not created here): ``ln.settings.cache_dir``.

    The value set there, else ``LAMIN_PIPES_CACHE_DIR``, else ``~/.cache/lamin_pipes``.

    Examples:
        >>> cache_dir().is_absolute()
        True
    """
    return settings.cache_dir


def set_cache_dir(path: str | os.PathLike[str] | None) -> None:
    """Make :func:`cache_dir` return ``path``; ``None`` restores the default."""
    settings.cache_dir = path


def cache_path(store: Store, key: str) -> Path:
    """Where the object ``key`` of ``store`` is (or would be) cached.

    For a local store, the object's own path; for a remote one,
    ``cache_dir()/<bucket>/<prefix>/<key>``.

    Raises:
        InvalidArgument: ``key`` is not a valid key.
    """
    validate_key(key)
    if not store.is_remote:
        local = store.local_path(key)
        assert local is not None
        return local
    location = store.root_uri.partition("://")[2].strip("/")
    return cache_dir().joinpath(*_server(store), *location.split("/"), *key.split("/"))


def _server(store: Store) -> list[str]:
    """A folder for a store on a server other than AWS's, so that buckets of the same
    name on two servers never share cached copies (AWS's stay at the top, as in lamindb).

    Examples:
        >>> from lamin_pipes.storage import S3Store
        >>> _server(S3Store("s3://bucket", endpoint_url="http://127.0.0.1:9000"))
        ['127.0.0.1_9000']
    """
    endpoint = getattr(store, "endpoint_url", None)
    if not endpoint:
        return []
    host = urlparse(endpoint).netloc or endpoint
    return [re.sub(r"[^A-Za-z0-9._-]", "_", host)]


def _local_size(path: Path) -> int | None:
    """Size of a file, or the total of a directory's files; ``None`` if missing."""
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in _list_files(path))
    return None


def cached(store: Store, key: str, *, size: int | None = None, hash: str | None = None) -> Path:
    """A local path holding the object (file or directory) ``key`` of ``store``.

    For a local store, the object's own path. For a remote store, the cache copy, which
    is downloaded (atomically: nothing half-written is ever at the cache path) when it is
    missing, or when ``size`` is given and the copy's size differs. A copy that exists
    with the right size is trusted without reading it.

    Args:
        store: The store that holds the object.
        key: The object's key.
        size: The size in bytes recorded for the object (a directory: the total).
        hash: The hash recorded for the object. When given, a fresh download is hashed
            and checked against it.

    Raises:
        FileNotFoundError: Nothing is stored under ``key``.
        StorageError: A fresh download does not match ``size`` or ``hash``: the stored
            object differs from what was recorded. The download is removed again.

    Examples:
        >>> import tempfile
        >>> from lamin_pipes.storage import LocalStore
        >>> local = LocalStore(tempfile.mkdtemp())
        >>> _ = local.put_bytes(b"hello", "a.txt")
        >>> cached(local, "a.txt", size=5).read_bytes()
        b'hello'
    """
    path = cache_path(store, key)
    if not store.is_remote:
        if not path.exists():
            msg = f"nothing is stored under key {key!r} in {store.root_uri!r}"
            raise FileNotFoundError(msg)
        return path
    current = _local_size(path)
    if current is not None and (size is None or current == size):
        return path
    store.download(key, path)
    problem = None
    if size is not None and (got := _local_size(path)) != size:
        problem = f"has {got} bytes, {size} were recorded"
    elif hash is not None:
        got_hash = (hash_dir(path) if path.is_dir() else hash_file(path)).hash
        if got_hash != hash:
            problem = f"has hash {got_hash!r}, {hash!r} was recorded"
    if problem is not None:
        _remove(path)
        msg = f"the object {store.uri(key)!r} {problem}; it changed after it was recorded"
        raise StorageError(msg)
    return path
