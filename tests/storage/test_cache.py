"""The local cache of remote objects, and ``ln.settings.cache_dir``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lamin_pipes.core._settings import settings
from lamin_pipes.errors import InvalidArgument, StorageError
from lamin_pipes.storage import (
    LocalStore,
    S3Store,
    cache_dir,
    cache_path,
    cached,
    hash_dir,
    hash_file,
    open_store,
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory for this test (through the environment variable)."""
    monkeypatch.setattr(settings, "_cache_dir", None)
    monkeypatch.setenv("LAMIN_PIPES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def store(s3_root: str) -> S3Store:
    store = open_store(s3_root)
    assert isinstance(store, S3Store)
    return store


@pytest.fixture
def downloads(store: S3Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records the keys that ``store`` downloads."""
    calls: list[str] = []
    original = S3Store.download

    def counting(self: S3Store, key: str, dest: str | os.PathLike[str]) -> Path:
        calls.append(key)
        return original(self, key, dest)

    monkeypatch.setattr(S3Store, "download", counting)
    yield calls


# --- cache_dir and settings ---------------------------------------------------------------


def test_cache_dir_default_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(settings, "_cache_dir", None)
    monkeypatch.delenv("LAMIN_PIPES_CACHE_DIR", raising=False)
    assert cache_dir() == Path("~/.cache/lamin_pipes").expanduser()
    monkeypatch.setenv("LAMIN_PIPES_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    assert settings.cache_dir == tmp_path / "c"


def test_settings_cache_dir_setter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(settings, "_cache_dir", None)
    monkeypatch.setenv("LAMIN_PIPES_CACHE_DIR", str(tmp_path / "env"))
    settings.cache_dir = str(tmp_path / "set")
    assert cache_dir() == tmp_path / "set"
    assert settings.cache_dir == tmp_path / "set"
    assert isinstance(settings.cache_dir, Path)
    settings.cache_dir = tmp_path / "path"
    assert cache_dir() == tmp_path / "path"
    settings.cache_dir = None  # type: ignore[assignment]
    assert cache_dir() == tmp_path / "env"


# --- cache_path ---------------------------------------------------------------------------


def test_local_cache_path_is_the_object_itself(tmp_path: Path, cache: Path):
    local = LocalStore(tmp_path / "store")
    local.put_bytes(b"hello", "a/b.txt")
    assert cache_path(local, "a/b.txt") == local.path_for("a/b.txt")
    assert cached(local, "a/b.txt") == local.path_for("a/b.txt")
    assert cached(local, "a/b.txt", size=999) == local.path_for("a/b.txt")  # never copied
    assert not cache.exists()
    with pytest.raises(FileNotFoundError):
        cached(local, "missing")


def _cached_at(store: S3Store, cache: Path) -> Path:
    """Where ``a/b.txt`` of the test store is cached: under a folder for its server."""
    server = urlparse(store.endpoint_url).netloc.replace(":", "_")
    return cache / server / store.bucket / "prefix" / "a" / "b.txt"


def test_remote_cache_path(store: S3Store, cache: Path):
    assert cache_path(store, "a/b.txt") == _cached_at(store, cache)
    with pytest.raises(InvalidArgument):
        cache_path(store, "../escape")


# --- cached -------------------------------------------------------------------------------


def test_cached_downloads_once(store: S3Store, cache: Path, downloads: list[str]):
    store.put_bytes(b"hello", "a/b.txt")
    path = cached(store, "a/b.txt", size=5, hash="XUFAKrxLKna5cZ2REBfFkg")
    assert path == _cached_at(store, cache)
    assert path.read_bytes() == b"hello"
    assert cached(store, "a/b.txt", size=5) == path
    assert cached(store, "a/b.txt") == path
    assert downloads == ["a/b.txt"]


def test_cached_redownloads_when_size_differs(store: S3Store, cache: Path, downloads: list[str]):
    store.put_bytes(b"hello", "f.txt")
    path = cached(store, "f.txt", size=5)
    path.write_bytes(b"truncated copy, wrong size")
    assert cached(store, "f.txt", size=5).read_bytes() == b"hello"
    assert downloads == ["f.txt", "f.txt"]
    store.put_bytes(b"hello, world", "f.txt")  # the object was replaced
    assert cached(store, "f.txt", size=12).read_bytes() == b"hello, world"
    assert downloads == ["f.txt", "f.txt", "f.txt"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.txt"]  # no temporary leftovers


def test_cached_raises_when_the_object_differs_from_the_record(store: S3Store, cache: Path):
    store.put_bytes(b"hello", "f.txt")
    with pytest.raises(StorageError, match="6 were recorded"):
        cached(store, "f.txt", size=6)
    assert not cache_path(store, "f.txt").exists()
    with pytest.raises(StorageError, match="was recorded"):
        cached(store, "f.txt", hash="AAAAAAAAAAAAAAAAAAAAAA")
    assert not cache_path(store, "f.txt").exists()


def test_cached_missing_object(store: S3Store, cache: Path):
    with pytest.raises(FileNotFoundError):
        cached(store, "missing.txt")
    assert not cache_path(store, "missing.txt").exists()


def test_cached_directory(store: S3Store, cache: Path, tmp_path: Path, downloads: list[str]):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"aaa")
    (src / "sub" / "b.txt").write_bytes(b"bbbb")
    recorded = store.put_dir(src, "tree")
    path = cached(store, "tree", size=recorded.size, hash=recorded.hash)
    assert path.is_dir()
    assert hash_dir(path) == recorded
    assert cached(store, "tree", size=recorded.size) == path
    assert downloads == ["tree"]
    (path / "a.txt").unlink()  # the copy lost a file: its total size differs
    assert hash_dir(cached(store, "tree", size=recorded.size)) == recorded
    assert downloads == ["tree", "tree"]


def test_cached_large_file_hash(store: S3Store, cache: Path, tmp_path: Path):
    src = tmp_path / "data.bin"
    src.write_bytes(os.urandom(200_000))
    recorded = store.put_file(src, "data.bin")
    path = cached(store, "data.bin", size=recorded.size, hash=recorded.hash)
    assert hash_file(path) == recorded


def test_buckets_of_one_name_on_two_servers_are_cached_apart(tmp_path: Path) -> None:
    aws = S3Store("s3://same-bucket/p")
    minio = S3Store("s3://same-bucket/p", endpoint_url="http://127.0.0.1:9000")
    other = S3Store("s3://same-bucket/p", endpoint_url="https://s3.example.org")

    paths = {cache_path(store, "a.bin") for store in (aws, minio, other)}

    assert len(paths) == 3
    assert all(path.is_relative_to(cache_dir()) for path in paths)
