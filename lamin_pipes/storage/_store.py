"""The :class:`Store` protocol and :func:`open_store`, which picks a store for a storage root.

A storage root is a local directory (a path or a ``file://`` URL), served by
:class:`~lamin_pipes.storage.LocalStore`, or ``s3://bucket[/prefix]``, served by
:class:`~lamin_pipes.storage.S3Store`. Both address objects by validated relative keys
(:func:`~lamin_pipes.storage.validate_key`), hash what they write in the same pass, and
write atomically.

Examples:
    >>> import tempfile
    >>> store = open_store(tempfile.mkdtemp())
    >>> isinstance(store, Store), store.storage_type
    (True, 'local')
    >>> store.put_bytes(b"hello", "a.txt").hash
    'XUFAKrxLKna5cZ2REBfFkg'
    >>> open_store(store.root_uri) is store
    True
    >>> open_store("s3://my-bucket/prefix").uri("a.txt")
    's3://my-bucket/prefix/a.txt'
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable
from urllib.parse import urlparse

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._hashing import DirHash, FileHash
from lamin_pipes.storage._local import LocalStore
from lamin_pipes.storage._s3 import S3Store, parse_s3_root, s3_endpoint_url, s3_region

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["Store", "open_store"]

_VALID_ROOTS = "a local directory path, a 'file:///absolute/path' URL, or 's3://bucket[/prefix]'"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


@runtime_checkable
class Store(Protocol):
    """Where objects are stored, addressed by relative keys such as ``"folder/name.parquet"``.

    Every method validates its key with :func:`~lamin_pipes.storage.validate_key` and
    raises :class:`~lamin_pipes.errors.InvalidArgument` for an invalid one. Writes are
    hashed in the same pass that copies the bytes, and are atomic: a failed write leaves
    nothing new under its key.
    """

    @property
    def root_uri(self) -> str:
        """The root: an absolute local path, or ``s3://bucket/prefix``."""
        ...

    @property
    def is_remote(self) -> bool:
        """Whether objects must be downloaded to be read as local files."""
        ...

    @property
    def storage_type(self) -> str:
        """``"local"`` or ``"s3"``."""
        ...

    @property
    def region(self) -> str | None:
        """The cloud region, if any."""
        ...

    def uri(self, key: str) -> str:
        """The full location of ``key``: a local path or an ``s3://`` URL."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a file (not a directory) is stored under ``key``."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes of the file under ``key``; FileNotFoundError if there is none."""
        ...

    def put_file(self, src: str | os.PathLike[str], key: str) -> FileHash:
        """Copy the file ``src`` to ``key``, hashing it in the same read pass."""
        ...

    def put_bytes(self, data: bytes | bytearray | memoryview, key: str) -> FileHash:
        """Write ``data`` to ``key``."""
        ...

    def put_stream(self, stream: BinaryIO, key: str, *, size: int) -> FileHash:
        """Write exactly ``size`` bytes read from ``stream`` to ``key``."""
        ...

    def put_dir(self, src_dir: str | os.PathLike[str], key: str) -> DirHash:
        """Copy a directory tree to ``key/…``; returns what ``hash_dir(src_dir)`` returns."""
        ...

    def delete(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove the file under ``key``."""
        ...

    def delete_dir(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove the directory tree under ``key``."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the file under ``key`` for binary reading."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The local path of ``key`` for a local store; ``None`` for a remote one."""
        ...

    def download(self, key: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the file or tree under ``key`` to ``dest`` atomically; returns ``dest``."""
        ...

    def filesystem(self) -> AbstractFileSystem:
        """An fsspec filesystem that reads objects in place at :meth:`fs_path`."""
        ...

    def fs_path(self, key: str) -> str:
        """The path of ``key`` for :meth:`filesystem`."""
        ...


_STORES: dict[tuple[str | None, ...], Store] = {}
_LOCK = threading.Lock()


def _invalid_root(root: object, reason: str) -> InvalidArgument:
    return InvalidArgument(f"Invalid storage root {root!r}: {reason}; expected {_VALID_ROOTS}")


def _local_root(root: str | os.PathLike[str]) -> Path:
    if isinstance(root, os.PathLike):
        return Path(root).absolute()
    if not root:
        raise _invalid_root(root, "it is empty")
    if root.startswith("file:"):
        parsed = urlparse(root)
        if parsed.netloc not in ("", "localhost") or not parsed.path:
            raise _invalid_root(root, "a file URL must name an absolute local path")
        from urllib.request import url2pathname  # 4 ms (http.client): only for file:// URLs

        return Path(url2pathname(parsed.path)).absolute()
    return Path(root).expanduser().absolute()


def open_store(root: str | os.PathLike[str]) -> Store:
    """The store for a storage root, created once per root in a process and then reused.

    Args:
        root: A local directory (path, or ``file://`` URL; created if missing) or
            ``s3://bucket[/prefix]``. An S3 store uses the endpoint, region and
            credentials from the environment (see :class:`~lamin_pipes.storage.S3Store`);
            a change of those gives a new store.

    Raises:
        InvalidArgument: ``root`` is empty or has another scheme (``gs://``, ``http://`` ...).

    Examples:
        >>> open_store("gs://bucket")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Invalid storage root 'gs://bucket': scheme 'gs' is not supported; expected a local directory path, a 'file:///absolute/path' URL, or 's3://bucket[/prefix]'
    """
    if not isinstance(root, (str, os.PathLike)):
        raise _invalid_root(root, f"expected a str or path, got {type(root).__name__}")
    text = os.fspath(root)
    match = _SCHEME.match(text) if isinstance(text, str) else None
    scheme = match.group(1).lower() if match else None
    cache_key: tuple[str | None, ...]
    if scheme == "s3":
        bucket, prefix = parse_s3_root(text)
        endpoint, region = s3_endpoint_url(), s3_region()
        cache_key = ("s3", bucket, prefix, endpoint, region, os.environ.get("AWS_ACCESS_KEY_ID"))
    elif scheme in (None, "file"):
        path = _local_root(root)
        cache_key = ("local", str(path))
    else:
        raise _invalid_root(root, f"scheme {scheme!r} is not supported")
    store = _STORES.get(cache_key)
    if store is not None:
        return store
    with _LOCK:
        store = _STORES.get(cache_key)
        if store is None:
            if scheme == "s3":
                store = S3Store(text, endpoint_url=endpoint, region=region)
            else:
                store = LocalStore(path)
            _STORES[cache_key] = store
    return store
