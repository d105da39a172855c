"""An S3 (or S3-compatible) store on s3fs, with hashed uploads that never leave partial objects.

A file is uploaded as it is read, in one pass: each block is fed to a
:class:`~lamin_pipes.storage.StreamingHasher` and written to an s3fs file opened for
writing, which sends a single PUT for a small file or a multipart upload for a large one.
S3 makes an object visible only when that PUT or the multipart upload's completion
succeeds, so an upload is atomic by nature. When reading the source fails, or it yields
more or fewer bytes than its size, the multipart upload is aborted before anything is
committed: nothing appears under the key.

s3fs is imported only when a store first talks to S3, so ``import lamin_pipes`` stays
light.

Configuration comes from the environment, as for the AWS command line tools:

- ``LAMIN_PIPES_S3_ENDPOINT_URL``, else ``AWS_ENDPOINT_URL``: an S3-compatible server
  (MinIO, moto, Ceph ...) instead of AWS.
- ``AWS_DEFAULT_REGION``, else ``AWS_REGION``: the region.
- ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``
  and the other variables botocore reads: the credentials.

Examples:
    >>> store = S3Store("s3://my-bucket/datasets/", endpoint_url="http://127.0.0.1:9000")
    >>> store.root_uri, store.bucket, store.prefix
    ('s3://my-bucket/datasets', 'my-bucket', 'datasets')
    >>> store.uri("iris.parquet")
    's3://my-bucket/datasets/iris.parquet'
    >>> store.fs_path("iris.parquet")
    'my-bucket/datasets/iris.parquet'
    >>> store.local_path("iris.parquet") is None
    True
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import _local
from lamin_pipes.storage._hashing import DirHash, FileHash
from lamin_pipes.storage._keys import validate_key
from lamin_pipes.storage._local import (
    _copy_hashed,
    _dir_hash,
    _parallel_map,
    _PutFromStream,
    _remove,
    _replace_path,
    _source_dir_files,
    _temp_sibling,
    progress_bar,
)

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["S3Store", "s3_endpoint_url", "s3_region"]

_MIN_PART_SIZE = 5 * 1024 * 1024
_DEFAULT_BLOCK_SIZE = 16 * 1024 * 1024
_MAX_PARTS = 10_000
_DELETE_BATCH = 1000


def s3_endpoint_url() -> str | None:
    """The S3 endpoint from the environment: ``LAMIN_PIPES_S3_ENDPOINT_URL``, else ``AWS_ENDPOINT_URL``."""
    return (
        os.environ.get("LAMIN_PIPES_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") or None
    )


def s3_region() -> str | None:
    """The region from the environment: ``AWS_DEFAULT_REGION``, else ``AWS_REGION``."""
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or None


#: S3 bucket names (AWS's rules, which MinIO and other S3 servers follow).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def parse_s3_root(root: str) -> tuple[str, str]:
    """Split ``s3://bucket[/prefix]`` into bucket and prefix (``""`` if none).

    Raises:
        InvalidArgument: ``root`` is not of that form, or the prefix is not a valid key.

    Examples:
        >>> parse_s3_root("s3://bucket/a/b/")
        ('bucket', 'a/b')
        >>> parse_s3_root("s3://bucket")
        ('bucket', '')
    """
    if not isinstance(root, str) or not root.startswith("s3://"):
        msg = f"Invalid S3 root {root!r}: expected 's3://bucket' or 's3://bucket/prefix'"
        raise InvalidArgument(msg)
    bucket, _, prefix = root[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    if not _BUCKET.match(bucket) or ".." in bucket or _IP_ADDRESS.match(bucket):
        msg = (
            f"Invalid S3 root {root!r}: {bucket!r} is not a bucket name (3 to 63 lowercase "
            "letters, digits, dots and hyphens, starting and ending with a letter or digit)"
        )
        raise InvalidArgument(msg)
    if prefix:
        try:
            validate_key(prefix)
        except InvalidArgument as error:
            msg = f"Invalid S3 root {root!r}: its prefix is not a valid key ({error})"
            raise InvalidArgument(msg) from None
    return bucket, prefix


def _discard(out: Any) -> None:
    """Abort an s3fs file opened for writing, so that close() can never commit it."""
    with contextlib.suppress(Exception):
        out.discard()  # aborts the multipart upload, if one was started
    out.closed = True  # otherwise close() or __del__ would commit the buffered part


class S3Store(_PutFromStream):
    """Objects stored under ``s3://bucket/prefix``, addressed by key.

    Satisfies the :class:`~lamin_pipes.storage.Store` protocol. The s3fs filesystem is
    created on first use, with its listing cache disabled (every call sees the bucket's
    current state) and its own instance (not shared through fsspec's instance cache).

    Args:
        root: ``s3://bucket`` or ``s3://bucket/prefix``.
        endpoint_url: An S3-compatible server; default :func:`s3_endpoint_url`.
        region: The region; default :func:`s3_region`.
        block_size: Part size of multipart uploads in bytes (at least 5 MiB); grown for
            a file so large that it would need more than 10,000 parts.

    Raises:
        InvalidArgument: ``root`` is not an S3 URL, or ``block_size`` is below 5 MiB.
    """

    storage_type = "s3"
    """Always ``"s3"``."""
    is_remote = True
    """Always true: objects are read through :meth:`open` or a download."""

    def __init__(
        self,
        root: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        block_size: int = _DEFAULT_BLOCK_SIZE,
    ) -> None:
        self.bucket, self.prefix = parse_s3_root(root)
        if block_size < _MIN_PART_SIZE:
            msg = f"block_size must be at least {_MIN_PART_SIZE} bytes (5 MiB), got {block_size}"
            raise InvalidArgument(msg)
        self.endpoint_url = endpoint_url if endpoint_url is not None else s3_endpoint_url()
        self.region: str | None = region if region is not None else s3_region()
        self.block_size = block_size
        self._fs: Any = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def __repr__(self) -> str:
        endpoint = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"S3Store({self.root_uri!r}{endpoint})"

    @property
    def root_uri(self) -> str:
        """``s3://bucket/prefix`` (``s3://bucket`` without a prefix), no trailing slash."""
        return f"s3://{self._base}"

    @property
    def _base(self) -> str:
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def uri(self, key: str) -> str:
        """``s3://bucket/prefix/key``."""
        return f"s3://{self.fs_path(key)}"

    def fs_path(self, key: str) -> str:
        """``bucket/prefix/key``, the path of ``key`` for :meth:`filesystem`."""
        return f"{self._base}/{validate_key(key)}"

    def local_path(self, key: str) -> None:
        """Always ``None``: objects are remote; see :func:`~lamin_pipes.storage.cached`."""
        validate_key(key)
        return None

    def fsspec_options(self) -> dict[str, Any]:
        """The s3fs options of this store (endpoint, region), e.g. for ``UPath``."""
        options: dict[str, Any] = {}
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.region:
            options["client_kwargs"] = {"region_name": self.region}
        return options

    def upath(self, key: str) -> Any:
        """``key`` as a ``upath.UPath``: a pathlib-like object for the S3 object."""
        from upath import UPath

        return UPath(self.uri(key), **self.fsspec_options())

    def polars_storage_options(self) -> dict[str, str]:
        """``storage_options`` for polars' own S3 reader (endpoint and region of the store).

        Credentials are not included: polars reads them from the usual ``AWS_*``
        environment variables, as boto does.
        """
        options = {"aws_region": self.region or "us-east-1"}
        if self.endpoint_url:
            options["aws_endpoint_url"] = self.endpoint_url
            if self.endpoint_url.startswith("http://"):
                options["aws_allow_http"] = "true"
        return options

    def filesystem(self) -> AbstractFileSystem:
        """The s3fs filesystem of this store, created on first use (and again after a fork).

        s3fs clients are not fork-safe: a forked child (a DataLoader worker, a Dagster
        step) gets a client of its own, and a fresh lock, since the parent's may have
        been held by another thread at the moment of the fork.
        """
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._fs = None
            self._pid = os.getpid()
        if self._fs is None:
            with self._lock:
                if self._fs is None:
                    import s3fs

                    client_kwargs: dict[str, Any] = {}
                    if self.region:
                        client_kwargs["region_name"] = self.region
                    self._fs = s3fs.S3FileSystem(
                        endpoint_url=self.endpoint_url,
                        client_kwargs=client_kwargs,
                        skip_instance_cache=True,
                        use_listings_cache=False,
                    )
        return cast("AbstractFileSystem", self._fs)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (a directory prefix does not count)."""
        return bool(self.filesystem().isfile(self.fs_path(key)))

    def size(self, key: str) -> int:
        """Size in bytes of the object under ``key``.

        Raises:
            FileNotFoundError: No object is stored under ``key``.
        """
        path = self.fs_path(key)
        info = self.filesystem().info(path)
        if info.get("type") != "file":
            msg = f"no object is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        return int(info["size"])

    def open(self, key: str) -> BinaryIO:
        """Open the object under ``key`` for binary reading (a seekable fsspec file).

        Raises:
            FileNotFoundError: No object is stored under ``key``.
        """
        return cast("BinaryIO", self.filesystem().open(self.fs_path(key), "rb"))

    def delete(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove the object under ``key``.

        Raises:
            FileNotFoundError: No object is stored under ``key`` and ``missing_ok`` is false.
        """
        if not missing_ok and not self.exists(key):
            msg = f"no object is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        self.filesystem().rm_file(self.fs_path(key))

    def delete_dir(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove every object below ``key/``.

        Raises:
            FileNotFoundError: No object is stored below ``key/`` and ``missing_ok`` is false.
        """
        files = self._list_dir(key)
        if not files:
            if missing_ok:
                return
            msg = f"no directory is stored under key {key!r} in {self.root_uri!r}"
            raise FileNotFoundError(msg)
        self._delete_paths(files)

    def _list_dir(self, key: str) -> list[str]:
        """The filesystem paths of all objects below ``key/`` (directory markers excluded)."""
        path = self.fs_path(key)
        found = self.filesystem().find(path)
        return [p for p in found if p.startswith(path + "/") and not p.endswith("/")]

    def _delete_paths(self, paths: list[str]) -> None:
        fs = self.filesystem()
        for start in range(0, len(paths), _DELETE_BATCH):
            fs.rm(paths[start : start + _DELETE_BATCH])

    def _block_size_for(self, size: int) -> int:
        """A part size that keeps an upload of ``size`` bytes within S3's part limit."""
        needed = -(-size // (_MAX_PARTS - 1))
        return max(self.block_size, needed)

    def put_stream(self, stream: BinaryIO, key: str, *, size: int) -> FileHash:
        """Upload ``size`` bytes read from ``stream`` to ``key``, atomically.

        Raises:
            InvalidArgument: ``key`` is invalid, or the stream yields more or fewer bytes
                than ``size`` (nothing is then stored under ``key``).
        """
        path = self.fs_path(key)
        out = self.filesystem().open(path, "wb", block_size=self._block_size_for(size))
        try:
            result = _copy_hashed(stream, out, size)  # raises if not exactly ``size``
        except BaseException:
            _discard(out)
            raise
        try:
            out.close()  # one PUT, or the completion of the multipart upload
        except BaseException:
            _discard(out)
            raise
        return result

    def put_dir(self, src_dir: str | os.PathLike[str], key: str) -> DirHash:
        """Upload the directory tree ``src_dir`` to ``key/…``, hashing each file as it goes.

        Files are uploaded in parallel. If one fails, those already uploaded are deleted
        again. After success, objects below ``key/`` that are not part of the new tree, and
        an object stored under ``key`` itself, are deleted, so ``key`` holds exactly the tree.
        Unlike a local store, replacing an existing tree is not atomic: a failed upload over
        an existing tree leaves it partly overwritten.

        Returns:
            The same as :func:`~lamin_pipes.storage.hash_dir` of ``src_dir``.

        Raises:
            InvalidArgument: ``key`` is invalid, or ``src_dir`` is not a directory, holds no
                files, or holds a file whose relative path is not a valid key.
        """
        validate_key(key)
        files, keys = _source_dir_files(src_dir)
        full_keys = [f"{key}/{k}" for k in keys]
        uploaded: list[str] = []
        lock = threading.Lock()

        def upload(pair: tuple[Path, str]) -> FileHash:
            result = self.put_file(*pair)
            with lock:
                uploaded.append(self.fs_path(pair[1]))
            return result

        try:
            results = _parallel_map(upload, list(zip(files, full_keys, strict=True)))
        except BaseException:
            with contextlib.suppress(Exception):
                self._delete_paths(uploaded)
            raise
        new = {self.fs_path(k) for k in full_keys}
        stale = [p for p in self._list_dir(key) if p not in new]
        if stale:
            self._delete_paths(stale)
        self.delete(key, missing_ok=True)
        return _dir_hash(results)

    def _progress(self, key: str) -> dict[str, Any]:
        """``callback=`` for fsspec showing a progress bar for a large object (else ``{}``)."""
        size = self.size(key)
        if size < _local.PROGRESS_THRESHOLD:
            return {}
        bar = progress_bar(size, "downloading")
        if bar is None:
            return {}
        from fsspec.callbacks import Callback

        class _Bar(Callback):  # type: ignore[misc]
            def call(self, *args: Any, **kwargs: Any) -> None:
                bar.n = self.value
                bar.refresh()
                if self.size is not None and self.value >= self.size:
                    bar.close()

        return {"callback": _Bar(size=size)}

    def download(self, key: str, dest: str | os.PathLike[str]) -> Path:
        """Download the object or the tree below ``key/`` to ``dest``, atomically.

        The download goes to a hidden temporary sibling of ``dest`` and is renamed onto
        ``dest`` (replacing what was there) when complete.

        Returns:
            ``dest`` as a :class:`~pathlib.Path`.

        Raises:
            FileNotFoundError: Nothing is stored under ``key``.
        """
        fs = self.filesystem()
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_sibling(target)
        try:
            if self.exists(key):
                fs.get_file(self.fs_path(key), str(tmp), **self._progress(key))
            else:
                files = self._list_dir(key)
                if not files:
                    msg = f"nothing is stored under key {key!r} in {self.root_uri!r}"
                    raise FileNotFoundError(msg)
                start = len(self.fs_path(key)) + 1
                locals_ = [tmp.joinpath(*validate_key(p[start:]).split("/")) for p in files]
                for directory in {p.parent for p in locals_}:
                    directory.mkdir(parents=True, exist_ok=True)
                fs.get(files, [str(p) for p in locals_])
            _replace_path(tmp, target)
        except BaseException:
            _remove(tmp)
            raise
        return target
