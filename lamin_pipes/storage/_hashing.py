"""Content hashes, computed exactly as lamindb computes them.

The rule (lamindb_setup's ``hashing`` module) for a file of ``size`` bytes, with
``CHUNK_SIZE`` = 50 MiB:

- ``size <= CHUNK_SIZE``: the md5 of the whole content; ``_hash_type`` ``"md5"``.
- ``size > CHUNK_SIZE``: ``sha1(sha1(first chunk) + sha1(last chunk))`` over the first and
  the last ``CHUNK_SIZE`` bytes (which overlap when ``size < 2 * CHUNK_SIZE``);
  ``_hash_type`` ``"sha1-fl"``. The size itself is not mixed into the digest.
- A directory: the md5 of the concatenated md5 digests of its per-file hash strings, sorted;
  ``_hash_type`` ``"md5-d"``, reported with the number of files ``n_files``.

Every digest is written as url-safe base64 without padding, cut to :data:`HASH_LENGTH`
(22) characters.

:class:`StreamingHasher` computes the file hash incrementally from the bytes as they pass,
so a file being copied to storage is hashed in the same pass and never read twice.

Examples:
    >>> hasher = StreamingHasher(5)
    >>> hasher.update(b"hel")
    >>> hasher.update(b"lo")
    >>> hasher.b64digest(), hasher.hash_type
    ('XUFAKrxLKna5cZ2REBfFkg', 'md5')
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, NamedTuple

from lamin_pipes.errors import InvalidArgument

__all__ = [
    "CHUNK_SIZE",
    "HASH_LENGTH",
    "DirHash",
    "FileHash",
    "StreamingHasher",
    "combine_hashes",
    "hash_dir",
    "hash_file",
]

CHUNK_SIZE = 50 * 1024 * 1024
"""Files up to this many bytes are hashed whole; larger ones by their first and last chunk."""

HASH_LENGTH = 22
"""Length of a hash string (a 128-bit digest in base64 without padding)."""

_READ_SIZE = 4 * 1024 * 1024


class FileHash(NamedTuple):
    """Size and content hash of one file."""

    size: int
    """Size in bytes."""
    hash: str
    """22-character url-safe base64 content hash."""
    hash_type: str
    """How the hash was computed: ``"md5"`` or ``"sha1-fl"``."""


class DirHash(NamedTuple):
    """Total size, content hash and file count of a directory."""

    size: int
    """Sum of the file sizes in bytes."""
    hash: str
    """22-character url-safe base64 hash over the sorted per-file hashes."""
    hash_type: str
    """Always ``"md5-d"``."""
    n_files: int
    """Number of files hashed."""


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:HASH_LENGTH]


class StreamingHasher:
    """Hash a file's content incrementally, while it streams elsewhere.

    The size must be known up front: it decides between the whole-content md5 and the
    first-and-last-chunk sha1, and where the last chunk starts. Memory use is constant.

    Args:
        size: Total number of bytes that will be passed to :meth:`update`.
        chunk_size: Threshold and chunk length; lamindb's value unless testing.

    Examples:
        >>> hasher = StreamingHasher(0)
        >>> hasher.b64digest()
        '1B2M2Y8AsgTpgAmY7PhCfg'
        >>> big = StreamingHasher(10, chunk_size=4)
        >>> big.update(b"0123456789")
        >>> big.hash_type, len(big.b64digest())
        ('sha1-fl', 22)
    """

    def __init__(self, size: int, *, chunk_size: int = CHUNK_SIZE) -> None:
        if size < 0 or chunk_size <= 0:
            msg = f"size must be >= 0 and chunk_size > 0, got size={size!r}, chunk_size={chunk_size!r}"
            raise InvalidArgument(msg)
        self.size = size
        self._chunk_size = chunk_size
        self._position = 0
        self._whole = size <= chunk_size
        self._md5 = hashlib.md5()
        self._first = hashlib.sha1()
        self._last = hashlib.sha1()
        self._last_start = size - chunk_size

    @property
    def hash_type(self) -> str:
        """``"md5"`` for content up to the chunk size, else ``"sha1-fl"``."""
        return "md5" if self._whole else "sha1-fl"

    @property
    def position(self) -> int:
        """Number of bytes consumed so far (hashed or skipped)."""
        return self._position

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Consume the next bytes of the content.

        Raises:
            InvalidArgument: More bytes arrive than the declared size.
        """
        view = memoryview(data).cast("B")
        start, end = self._position, self._position + len(view)
        if end > self.size:
            msg = f"received {end} bytes, more than the declared size of {self.size} bytes"
            raise InvalidArgument(msg)
        if self._whole:
            self._md5.update(view)
        else:
            if start < self._chunk_size:
                self._first.update(view[: self._chunk_size - start])
            if end > self._last_start:
                self._last.update(view[max(self._last_start - start, 0) :])
        self._position = end

    def skip(self, n: int) -> None:
        """Advance over ``n`` bytes that no digest needs (the middle of a large file).

        Lets a reader that can seek hash a large file by reading only its two chunks.

        Raises:
            InvalidArgument: The skipped range overlaps bytes the hash depends on.
        """
        start, end = self._position, self._position + n
        if n < 0 or (n > 0 and (self._whole or start < self._chunk_size or end > self._last_start)):
            msg = (
                f"cannot skip bytes {start}..{end}: they are part of the hash of {self.size} bytes"
            )
            raise InvalidArgument(msg)
        self._position = end

    def digest(self) -> bytes:
        """The raw digest (16 bytes for md5, 20 for sha1).

        Raises:
            InvalidArgument: Fewer bytes were consumed than the declared size.
        """
        if self._position != self.size:
            msg = f"hashed {self._position} of {self.size} bytes; the content is incomplete"
            raise InvalidArgument(msg)
        if self._whole:
            return self._md5.digest()
        return hashlib.sha1(self._first.digest() + self._last.digest()).digest()

    def hexdigest(self) -> str:
        """The raw digest as lowercase hex."""
        return self.digest().hex()

    def b64digest(self) -> str:
        """The hash as stored: 22-character url-safe base64 without padding."""
        return _b64(self.digest())

    def result(self) -> FileHash:
        """Size, hash and hash type together."""
        return FileHash(self.size, self.b64digest(), self.hash_type)


def hash_file(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> FileHash:
    """Hash a file; for a large file only its first and last chunk are read.

    Examples:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile() as f:
        ...     _ = f.write(b"hello")
        ...     f.flush()
        ...     hash_file(f.name)
        FileHash(size=5, hash='XUFAKrxLKna5cZ2REBfFkg', hash_type='md5')
    """
    size = os.stat(path).st_size
    hasher = StreamingHasher(size, chunk_size=chunk_size)
    with open(path, "rb") as f:
        if size > 2 * chunk_size:
            _read_into(f, hasher, chunk_size)
            f.seek(size - chunk_size)
            hasher.skip(size - 2 * chunk_size)
        _read_into(f, hasher, size - hasher.position)
    return hasher.result()


def _read_into(f: BinaryIO, hasher: StreamingHasher, n: int) -> None:
    while n > 0:
        block = f.read(min(_READ_SIZE, n))
        if not block:
            break  # the file shrank; digest() reports the shortfall
        hasher.update(block)
        n -= len(block)


def combine_hashes(hashes: Iterable[str]) -> str:
    """Combine hash strings into one, independent of their order (lamindb's rule).

    Examples:
        >>> combine_hashes(["b", "a"]) == combine_hashes(["a", "b"])
        True
    """
    digests = b"".join(hashlib.md5(h.encode()).digest() for h in sorted(hashes))
    return _b64(hashlib.md5(digests).digest())


def hash_dir(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> DirHash:
    """Hash every file below a directory and combine the hashes.

    Files are found as lamindb finds them (``Path.rglob("*")``, symlinked files included,
    symlinked directories not descended) and hashed in parallel threads.

    Raises:
        InvalidArgument: ``path`` is not a directory or contains no files.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = (Path(d) / "a.txt").write_bytes(b"hello")
        ...     hash_dir(d)
        DirHash(size=5, hash='yOolhHvmH7MGbaTnyfn8cQ', hash_type='md5-d', n_files=1)
    """
    root = Path(path)
    if not root.is_dir():
        msg = f"{str(root)!r} is not a directory"
        raise InvalidArgument(msg)
    files = [p for p in root.rglob("*") if p.is_file()]
    if not files:
        msg = f"directory {str(root)!r} contains no files; an empty directory has no hash"
        raise InvalidArgument(msg)
    workers = min(32, os.cpu_count() or 1, len(files))
    from concurrent.futures import ThreadPoolExecutor  # 5 ms: only when used

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda p: hash_file(p, chunk_size=chunk_size), files))
    return DirHash(
        size=sum(r.size for r in results),
        hash=combine_hashes(r.hash for r in results),
        hash_type="md5-d",
        n_files=len(results),
    )
