"""A local directory store with atomic, hashed writes.

Every write goes to a hidden temporary file next to its destination, is hashed while it
is copied, flushed and fsynced, then renamed onto the final name with :func:`os.replace`
(atomic on POSIX and Windows), and the directory is fsynced so the rename survives a crash.
A write that fails midway removes its temporary file: the final name either holds the
complete new content, its previous content, or nothing.

Examples:
    >>> import tempfile
    >>> store = LocalStore(tempfile.mkdtemp())
    >>> store.put_bytes(b"hello", "greetings/en.txt")
    FileHash(size=5, hash='XUFAKrxLKna5cZ2REBfFkg', hash_type='md5')
    >>> with store.open("greetings/en.txt") as f:
    ...     f.read()
    b'hello'
    >>> store.delete("greetings/en.txt")
    >>> store.exists("greetings/en.txt")
    False
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._hashing import FileHash, StreamingHasher
from lamin_pipes.storage._keys import validate_key

__all__ = ["LocalStore"]

_COPY_SIZE = 4 * 1024 * 1024


def _fsync_dir(path: Path) -> None:
    """Persist a directory entry change (a rename) on POSIX; a no-op elsewhere."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """Objects stored as files under one root directory, addressed by key.

    Args:
        root: The directory; created (with parents) if missing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).absolute()
        self._root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStore({str(self._root)!r})"

    @property
    def root(self) -> Path:
        """The absolute root directory."""
        return self._root

    def path_for(self, key: str) -> Path:
        """The local path of ``key`` (whether or not it exists).

        Raises:
            InvalidArgument: ``key`` is not a valid relative key.
        """
        return self._root.joinpath(*validate_key(key).split("/"))

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        return self.path_for(key).is_file()

    def open(self, key: str) -> BinaryIO:
        """Open the file under ``key`` for binary reading.

        Raises:
            FileNotFoundError: Nothing is stored under ``key``.
        """
        return self.path_for(key).open("rb")

    def delete(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove the file under ``key``.

        Raises:
            FileNotFoundError: Nothing is stored under ``key`` and ``missing_ok`` is false.
        """
        self.path_for(key).unlink(missing_ok=missing_ok)

    def put_file(self, src: str | os.PathLike[str], key: str) -> FileHash:
        """Copy the file ``src`` to ``key``, hashing it in the same pass.

        Returns:
            Size, content hash and hash type of what was written.

        Raises:
            InvalidArgument: ``key`` is invalid or ``src`` is not a regular file.
        """
        source = Path(src)
        if not source.is_file():
            msg = f"{str(source)!r} is not a file; put_file copies one regular file"
            raise InvalidArgument(msg)
        with source.open("rb") as stream:
            return self.put_stream(stream, key, size=os.fstat(stream.fileno()).st_size)

    def put_bytes(self, data: bytes | bytearray | memoryview, key: str) -> FileHash:
        """Write ``data`` to ``key``."""
        view = memoryview(data).cast("B")
        return self.put_stream(io.BytesIO(view), key, size=len(view))

    def put_stream(self, stream: BinaryIO, key: str, *, size: int) -> FileHash:
        """Write ``size`` bytes read from ``stream`` to ``key``, atomically.

        Raises:
            InvalidArgument: ``key`` is invalid, or the stream yields more or fewer bytes
                than ``size`` (nothing is then written under ``key``).
        """
        dest = self.path_for(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        hasher = StreamingHasher(size)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                while block := stream.read(_COPY_SIZE):
                    hasher.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            result = hasher.result()  # raises if the stream fell short of ``size``
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(dest.parent)
        return result
