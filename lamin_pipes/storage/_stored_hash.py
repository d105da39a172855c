"""Hash an object where it is stored: a file or a folder of any store, read in place.

Artifacts registered in place (their content already lies in a storage location) are
hashed where they are, with the rule of :mod:`lamin_pipes.storage._hashing`: a remote
file up to 50 MiB is read whole, a larger one only its first and last 50 MiB (two
range reads); a folder combines the hashes of its files.

Examples:
    >>> import tempfile
    >>> from lamin_pipes.storage import LocalStore
    >>> store = LocalStore(tempfile.mkdtemp())
    >>> _ = store.put_bytes(b"hello", "raw/a.txt")
    >>> stored_kind(store, "raw/a.txt"), stored_kind(store, "raw"), stored_kind(store, "nope")
    ('file', 'dir', None)
    >>> hash_stored(store, "raw/a.txt")
    FileHash(size=5, hash='XUFAKrxLKna5cZ2REBfFkg', hash_type='md5')
    >>> hash_stored(store, "raw").n_files
    1
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from lamin_pipes.storage._hashing import (
    CHUNK_SIZE,
    DirHash,
    FileHash,
    StreamingHasher,
    combine_hashes,
    hash_dir,
    hash_file,
)

if TYPE_CHECKING:
    from lamin_pipes.storage._store import Store

__all__ = ["hash_stored", "stored_kind"]

_READ_SIZE = 4 * 1024 * 1024


def stored_kind(store: Store, key: str) -> Literal["file", "dir"] | None:
    """Whether a file or a folder (a prefix with objects below it) is stored at ``key``."""
    local = store.local_path(key)
    if local is not None:
        if local.is_file():
            return "file"
        return "dir" if local.is_dir() else None
    if store.exists(key):
        return "file"
    return "dir" if _remote_files(store, key) else None


def _remote_files(store: Store, key: str) -> list[str]:
    """The filesystem paths of the objects below ``key/`` of a remote store."""
    base = store.fs_path(key)
    found = store.filesystem().find(base)
    return sorted(p for p in found if p.startswith(base + "/") and not p.endswith("/"))


def _hash_remote_file(store: Store, fs_path: str, chunk_size: int) -> FileHash:
    fs = store.filesystem()
    size = int(fs.info(fs_path)["size"])
    hasher = StreamingHasher(size, chunk_size=chunk_size)
    with fs.open(fs_path, "rb") as f:
        if size > 2 * chunk_size:
            _read(f, hasher, chunk_size)
            f.seek(size - chunk_size)
            hasher.skip(size - 2 * chunk_size)
        _read(f, hasher, size - hasher.position)
    return hasher.result()


def _read(f: object, hasher: StreamingHasher, n: int) -> None:
    while n > 0:
        block = f.read(min(_READ_SIZE, n))  # type: ignore[attr-defined]
        if not block:
            break  # the object shrank; the digest reports the shortfall
        hasher.update(block)
        n -= len(block)


def hash_stored(store: Store, key: str, *, chunk_size: int = CHUNK_SIZE) -> FileHash | DirHash:
    """The size and hash of the file or folder stored at ``key``, read in place.

    Raises:
        FileNotFoundError: Nothing is stored at ``key``.
    """
    local = store.local_path(key)
    if local is not None:
        if not local.exists():
            msg = f"nothing is stored at {store.uri(key)!r}"
            raise FileNotFoundError(msg)
        return hash_dir(local) if local.is_dir() else hash_file(local)
    if store.exists(key):
        return _hash_remote_file(store, store.fs_path(key), chunk_size)
    files = _remote_files(store, key)
    if not files:
        msg = f"nothing is stored at {store.uri(key)!r}"
        raise FileNotFoundError(msg)
    from concurrent.futures import ThreadPoolExecutor

    workers = min(16, os.cpu_count() or 1, len(files))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda p: _hash_remote_file(store, p, chunk_size), files))
    return DirHash(
        size=sum(r.size for r in results),
        hash=combine_hashes(r.hash for r in results),
        hash_type="md5-d",
        n_files=len(results),
    )
