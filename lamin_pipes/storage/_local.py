"""A local directory store with atomic, hashed writes.

Every write goes to a hidden temporary file next to its destination, is hashed while it
is copied, flushed and fsynced, then renamed onto the final name with :func:`os.replace`
(atomic on POSIX and Windows), and the directory is fsynced so the rename survives a crash.
A write that fails midway removes its temporary file: the final name either holds the
complete new content, its previous content, or nothing. A directory is copied into a hidden
temporary sibling directory and renamed onto its final name the same way.

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
    >>> store.storage_type, store.is_remote, store.region
    ('local', False, None)
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._hashing import (
    CHUNK_SIZE,
    DirHash,
    FileHash,
    StreamingHasher,
    combine_hashes,
)
from lamin_pipes.storage._keys import validate_key

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["LocalStore"]

_COPY_SIZE = 4 * 1024 * 1024
_MAX_WORKERS = 16

_T = TypeVar("_T")
_R = TypeVar("_R")


def _fsync_dir(path: Path) -> None:
    """Persist a directory entry change (a rename) on POSIX; a no-op elsewhere."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_sibling(path: Path, tag: str = "tmp") -> Path:
    """A fresh hidden name next to ``path`` for a temporary file or directory."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.{tag}")


def _remove(path: Path) -> None:
    """Remove a file, link or directory tree; a missing path is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _copy_hashed(stream: BinaryIO, out: BinaryIO, size: int) -> FileHash:
    """Copy ``size`` bytes from ``stream`` to ``out``, hashing them on the way.

    Raises:
        InvalidArgument: The stream yields more or fewer bytes than ``size``.
    """
    hasher = StreamingHasher(size)
    bar = progress_bar(size, "copying")
    try:
        if not _copy_file_to_file(stream, out, size, hasher, bar):
            while block := stream.read(_COPY_SIZE):
                hasher.update(block)
                out.write(block)
                if bar is not None:
                    bar.update(len(block))
    finally:
        if bar is not None:
            bar.close()
    return hasher.result()


def _regular_fds(stream: BinaryIO, out: BinaryIO) -> tuple[int, int] | None:
    try:
        fds = stream.fileno(), out.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    if all(stat.S_ISREG(os.fstat(fd).st_mode) for fd in fds):
        return fds
    return None


def _copy_file_to_file(
    stream: BinaryIO, out: BinaryIO, size: int, hasher: StreamingHasher, bar: Any
) -> bool:
    """Copy a large file to a file; only the hashed head and tail pass through Python.

    For content above two hash chunks (``sha1-fl``) the digest covers the first and
    last chunk only, so the middle is copied in the kernel (``copy_file_range``) and
    skipped by the hasher. Returns ``False`` (nothing done) when the fast path does not
    apply: small content, or a stream that is not a regular file.
    """
    if size <= 2 * CHUNK_SIZE or not hasattr(os, "copy_file_range"):
        return False
    fds = _regular_fds(stream, out)
    if fds is None:
        return False
    in_fd, out_fd = fds
    out.flush()
    src0, dst0 = stream.tell(), out.tell()
    done = 0

    def pump(n: int) -> None:  # read, hash and write n bytes at the current offset
        nonlocal done
        end = done + n
        while done < end:
            block = os.pread(in_fd, min(_COPY_SIZE, end - done), src0 + done)
            if not block:
                msg = f"the source ended after {done} bytes; {size} were declared"
                raise InvalidArgument(msg)
            hasher.update(block)
            view = memoryview(block)
            while view:
                written = os.pwrite(out_fd, view, dst0 + done)
                view = view[written:]
                done += written
            if bar is not None:
                bar.update(len(block))

    pump(CHUNK_SIZE)
    middle_end = size - CHUNK_SIZE
    while done < middle_end:
        try:
            copied = os.copy_file_range(in_fd, out_fd, middle_end - done, src0 + done, dst0 + done)
        except OSError:  # e.g. across file systems on old kernels: copy in user space
            copied = _copy_range_slowly(in_fd, out_fd, src0 + done, dst0 + done, middle_end - done)
        if copied == 0:
            msg = f"the source ended after {done} bytes; {size} were declared"
            raise InvalidArgument(msg)
        hasher.skip(copied)
        done += copied
        if bar is not None:
            bar.update(copied)
    pump(CHUNK_SIZE)
    if os.pread(in_fd, 1, src0 + size):
        msg = f"the source holds more than the declared size of {size} bytes"
        raise InvalidArgument(msg)
    stream.seek(src0 + size)
    out.seek(dst0 + size)
    return True


def _copy_range_slowly(in_fd: int, out_fd: int, src: int, dst: int, n: int) -> int:
    block = os.pread(in_fd, min(_COPY_SIZE, n), src)
    view = memoryview(block)
    while view:
        written = os.pwrite(out_fd, view, dst)
        view = view[written:]
        dst += written
    return len(block)


#: Transfers of at least this many bytes show a progress bar (on stderr).
PROGRESS_THRESHOLD = 64 * 1024 * 1024


def progress_bar(size: int, description: str) -> Any:
    """A tqdm bar for a transfer of ``size`` bytes, or ``None`` for small ones.

    Set ``LAMIN_PIPES_PROGRESS=0`` to switch bars off (they are off when stderr is not
    a terminal and ``LAMIN_PIPES_PROGRESS`` is unset, so logs stay clean).

    Examples:
        >>> progress_bar(10, "copying") is None
        True
    """
    setting = os.environ.get("LAMIN_PIPES_PROGRESS")
    if size < PROGRESS_THRESHOLD or setting == "0":
        return None
    if setting is None and not sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=description)


def _write_new_file(src: Path, dest: Path) -> FileHash:
    """Copy ``src`` to the new file ``dest`` (parents created), hashed and fsynced."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as stream, dest.open("xb") as out:
        result = _copy_hashed(stream, out, os.fstat(stream.fileno()).st_size)
        out.flush()
        os.fsync(out.fileno())
    return result


def _replace_path(tmp: Path, dest: Path) -> None:
    """Rename the complete ``tmp`` (file or directory) onto ``dest``, replacing what is there.

    A directory cannot be renamed onto an existing one, so previous content is first moved
    aside, then deleted once ``tmp`` is in place (or moved back if that rename fails).
    """
    if not os.path.lexists(dest) or (tmp.is_file() and dest.is_file()):
        os.replace(tmp, dest)
    else:
        old = _temp_sibling(dest, "old")
        os.replace(dest, old)
        try:
            os.replace(tmp, dest)
        except BaseException:
            os.replace(old, dest)
            raise
        _remove(old)
    _fsync_dir(dest.parent)


def _list_files(root: Path) -> list[Path]:
    """The files below ``root``, found exactly as :func:`hash_dir` finds them."""
    return [p for p in root.rglob("*") if p.is_file()]


def _relative_keys(root: Path, files: Sequence[Path]) -> list[str]:
    """The ``/``-separated keys of ``files`` relative to ``root``, validated."""
    return [validate_key(p.relative_to(root).as_posix()) for p in files]


def _source_dir_files(src_dir: str | os.PathLike[str]) -> tuple[list[Path], list[str]]:
    """The files of a directory to store and their relative keys.

    Raises:
        InvalidArgument: ``src_dir`` is not a directory, holds no files, or holds a file
            whose relative path is not a valid key.
    """
    root = Path(src_dir)
    if not root.is_dir():
        msg = f"{str(root)!r} is not a directory; put_dir copies a directory tree"
        raise InvalidArgument(msg)
    files = _list_files(root)
    if not files:
        msg = f"directory {str(root)!r} contains no files; an empty directory cannot be stored"
        raise InvalidArgument(msg)
    return files, _relative_keys(root, files)


def _dir_hash(results: Sequence[FileHash]) -> DirHash:
    """Combine per-file results as :func:`hash_dir` does."""
    return DirHash(
        size=sum(r.size for r in results),
        hash=combine_hashes(r.hash for r in results),
        hash_type="md5-d",
        n_files=len(results),
    )


def _parallel_map(function: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """``function`` over ``items`` in threads; the first error is raised after all finish."""
    if len(items) <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # 5 ms: only when used

    with ThreadPoolExecutor(min(_MAX_WORKERS, len(items))) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


class _PutFromStream:
    """``put_file`` and ``put_bytes`` of a store, in terms of its ``put_stream``."""

    def put_stream(self, stream: BinaryIO, key: str, *, size: int) -> FileHash:
        raise NotImplementedError  # every store defines it

    def put_file(self, src: str | os.PathLike[str], key: str) -> FileHash:
        """Store the file ``src`` under ``key``, hashing it in the same pass.

        Returns:
            Size, content hash and hash type of what was stored.

        Raises:
            InvalidArgument: ``key`` is invalid, ``src`` is not a regular file, or its
                size changed while it was read (nothing is then stored under ``key``).
        """
        source = Path(src)
        if not source.is_file():
            msg = f"{str(source)!r} is not a file; put_file copies one regular file"
            raise InvalidArgument(msg)
        with source.open("rb") as stream:
            return self.put_stream(stream, key, size=os.fstat(stream.fileno()).st_size)

    def put_bytes(self, data: bytes | bytearray | memoryview, key: str) -> FileHash:
        """Store ``data`` under ``key``."""
        view = memoryview(data).cast("B")
        return self.put_stream(io.BytesIO(view), key, size=len(view))


class LocalStore(_PutFromStream):
    """Objects stored as files under one root directory, addressed by key.

    Satisfies the :class:`~lamin_pipes.storage.Store` protocol.

    Args:
        root: The directory; created (with parents) if missing.

    Examples:
        >>> import tempfile
        >>> src = Path(tempfile.mkdtemp())
        >>> _ = (src / "a.txt").write_bytes(b"hello")
        >>> store = LocalStore(tempfile.mkdtemp())
        >>> store.put_dir(src, "folder")
        DirHash(size=5, hash='yOolhHvmH7MGbaTnyfn8cQ', hash_type='md5-d', n_files=1)
        >>> store.size("folder/a.txt")
        5
        >>> store.delete_dir("folder")
        >>> store.local_path("folder").exists()
        False
    """

    storage_type = "local"
    """Always ``"local"``."""
    is_remote = False
    """Always false: the objects are files on this machine."""
    region: str | None = None
    """Always ``None``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).absolute()
        self._root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStore({str(self._root)!r})"

    @property
    def root(self) -> Path:
        """The absolute root directory."""
        return self._root

    @property
    def root_uri(self) -> str:
        """The absolute root directory as a string."""
        return str(self._root)

    def path_for(self, key: str) -> Path:
        """The local path of ``key`` (whether or not it exists).

        Raises:
            InvalidArgument: ``key`` is not a valid relative key.
        """
        return self._root.joinpath(*validate_key(key).split("/"))

    def uri(self, key: str) -> str:
        """The absolute path of ``key`` as a string."""
        return str(self.path_for(key))

    def local_path(self, key: str) -> Path:
        """The local path of ``key``: objects of a local store are read in place."""
        return self.path_for(key)

    def filesystem(self) -> AbstractFileSystem:
        """An fsspec local filesystem, to read objects in place with :meth:`fs_path`."""
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()

    def fs_path(self, key: str) -> str:
        """The path of ``key`` for :meth:`filesystem` (``/``-separated, absolute)."""
        return self.path_for(key).as_posix()

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        return self.path_for(key).is_file()

    def size(self, key: str) -> int:
        """Size in bytes of the file under ``key``.

        Raises:
            FileNotFoundError: No file is stored under ``key``.
        """
        path = self.path_for(key)
        if not path.is_file():
            msg = f"no file is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        return path.stat().st_size

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

    def delete_dir(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove the directory tree under ``key``.

        The tree is first renamed to a hidden sibling, so its name disappears at once.

        Raises:
            FileNotFoundError: No directory is stored under ``key`` and ``missing_ok`` is
                false.
        """
        path = self.path_for(key)
        if not path.is_dir() or path.is_symlink():
            if missing_ok and not os.path.lexists(path):
                return
            msg = f"no directory is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        trash = _temp_sibling(path, "del")
        os.replace(path, trash)
        shutil.rmtree(trash)

    def put_stream(self, stream: BinaryIO, key: str, *, size: int) -> FileHash:
        """Write ``size`` bytes read from ``stream`` to ``key``, atomically.

        Raises:
            InvalidArgument: ``key`` is invalid, or the stream yields more or fewer bytes
                than ``size`` (nothing is then written under ``key``).
        """
        dest = self.path_for(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_sibling(dest)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                result = _copy_hashed(stream, out, size)  # raises if not exactly ``size``
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(dest.parent)
        return result

    def put_dir(self, src_dir: str | os.PathLike[str], key: str) -> DirHash:
        """Copy the directory tree ``src_dir`` to ``key``, hashing each file as it is copied.

        The tree is copied into a hidden temporary sibling directory, then renamed onto the
        final name (replacing what was there): a failure leaves nothing new under ``key``.

        Returns:
            The same as :func:`~lamin_pipes.storage.hash_dir` of ``src_dir``.

        Raises:
            InvalidArgument: ``key`` is invalid, or ``src_dir`` is not a directory, holds no
                files, or holds a file whose relative path is not a valid key.
        """
        dest = self.path_for(key)
        files, keys = _source_dir_files(src_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_sibling(dest)
        tmp.mkdir()
        try:
            targets = [tmp.joinpath(*k.split("/")) for k in keys]
            results = _parallel_map(
                lambda pair: _write_new_file(*pair), list(zip(files, targets, strict=True))
            )
            for directory in sorted({t.parent for t in targets}, key=lambda d: -len(d.parts)):
                _fsync_dir(directory)
            _replace_path(tmp, dest)
        except BaseException:
            _remove(tmp)
            raise
        return _dir_hash(results)

    def download(self, key: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the file or directory under ``key`` to ``dest``, atomically.

        The copy goes to a hidden temporary sibling of ``dest`` first and is renamed onto
        ``dest`` (replacing what was there) when complete.

        Returns:
            ``dest`` as a :class:`~pathlib.Path`.

        Raises:
            FileNotFoundError: Nothing is stored under ``key``.
        """
        source = self.path_for(key)
        target = Path(dest)
        if not source.exists():
            msg = f"nothing is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_sibling(target)
        try:
            if source.is_dir():
                files = _list_files(source)
                targets = [tmp.joinpath(*k.split("/")) for k in _relative_keys(source, files)]
                tmp.mkdir()
                _parallel_map(
                    lambda pair: _write_new_file(*pair), list(zip(files, targets, strict=True))
                )
            else:
                _write_new_file(source, tmp)
            _replace_path(tmp, target)
        except BaseException:
            _remove(tmp)
            raise
        return target
