"""The Store protocol, open_store, and the directory, download and fsspec methods of LocalStore."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import (
    LocalStore,
    S3Store,
    Store,
    _local,
    hash_dir,
    hash_file,
    open_store,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _entries(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def src_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"hello")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 100)
    (src / "sub" / "deeper" / "c.txt").write_bytes(b"")
    (src / ".hidden").write_bytes(b"dot")
    return src


# --- open_store ---------------------------------------------------------------------------


def test_open_store_local_path_and_file_url(tmp_path: Path):
    store = open_store(str(tmp_path / "root"))
    assert isinstance(store, LocalStore)
    assert isinstance(store, Store)
    assert store.root_uri == str(tmp_path / "root")
    assert (tmp_path / "root").is_dir()
    assert open_store(tmp_path / "root") is store
    assert open_store((tmp_path / "root").as_uri()) is store
    assert open_store(f"file://localhost{(tmp_path / 'root').as_posix()}") is store


def test_open_store_s3_is_cached_and_lazy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("LAMIN_PIPES_S3_ENDPOINT_URL", raising=False)
    store = open_store("s3://bucket/some/prefix/")
    assert isinstance(store, S3Store)
    assert isinstance(store, Store)
    assert store.root_uri == "s3://bucket/some/prefix"
    assert (store.storage_type, store.is_remote) == ("s3", True)
    assert store.endpoint_url == "http://127.0.0.1:1"
    assert open_store("s3://bucket/some/prefix") is store
    monkeypatch.setenv("LAMIN_PIPES_S3_ENDPOINT_URL", "http://127.0.0.1:2")
    other = open_store("s3://bucket/some/prefix")
    assert other is not store
    assert other.endpoint_url == "http://127.0.0.1:2"  # type: ignore[attr-defined]


def test_open_store_region_from_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert open_store("s3://bucket-region").region == "eu-central-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert open_store("s3://bucket-region").region == "us-west-2"


@pytest.mark.parametrize(
    "root",
    [
        "gs://bucket",
        "http://example.com/x",
        "s3:/bucket",
        "s3://",
        "s3:///prefix",
        "",
        "s3://b/../x",
    ],
)
def test_open_store_rejects_other_roots(root: str):
    with pytest.raises(InvalidArgument) as info:
        open_store(root)
    assert repr(root) in str(info.value)
    if "://" in root and not root.startswith("s3"):
        assert "s3://bucket[/prefix]" in str(info.value)


def test_open_store_rejects_file_url_of_other_host():
    with pytest.raises(InvalidArgument, match="absolute local path"):
        open_store("file://otherhost/data")


# --- LocalStore: the protocol's attributes ------------------------------------------------


def test_local_store_attributes(store: LocalStore):
    assert isinstance(store, Store)
    assert store.storage_type == "local"
    assert store.is_remote is False
    assert store.region is None
    assert store.root_uri == str(store.root)
    assert store.uri("a/b.txt") == str(store.root / "a" / "b.txt")
    assert store.local_path("a/b.txt") == store.root / "a" / "b.txt"
    with pytest.raises(InvalidArgument):
        store.uri("../x")


def test_size(store: LocalStore, src_dir: Path):
    store.put_bytes(b"12345", "f")
    assert store.size("f") == 5
    with pytest.raises(FileNotFoundError):
        store.size("missing")
    store.put_dir(src_dir, "d")
    with pytest.raises(FileNotFoundError):
        store.size("d")


def test_filesystem_reads_in_place(store: LocalStore):
    store.put_bytes(b"abc", "x/y.txt")
    fs = store.filesystem()
    with fs.open(store.fs_path("x/y.txt"), "rb") as f:
        assert f.read() == b"abc"
    assert fs.size(store.fs_path("x/y.txt")) == 3


def test_filesystem_works_with_pyarrow(store: LocalStore):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"a": [1, 2, 3]})
    pq.write_table(table, store.root / "t.parquet")
    read = pq.read_table(store.fs_path("t.parquet"), filesystem=store.filesystem())
    assert read.equals(table)


# --- LocalStore.put_dir -------------------------------------------------------------------


def test_put_dir_copies_tree_and_hash_equals_hash_dir(store: LocalStore, src_dir: Path):
    result = store.put_dir(src_dir, "folder/tree")
    assert result == hash_dir(src_dir)
    assert result.n_files == 4
    assert _tree(store.path_for("folder/tree")) == _tree(src_dir)
    assert store.exists("folder/tree/sub/b.bin")
    assert not store.exists("folder/tree")
    assert _entries(store.path_for("folder")) == [
        "tree",
        *sorted(f"tree/{k}" for k in _entries(src_dir)),
    ]


def test_put_dir_replaces_previous_tree(store: LocalStore, src_dir: Path, tmp_path: Path):
    store.put_bytes(b"old", "tree/old.txt")
    store.put_dir(src_dir, "tree")
    assert _tree(store.path_for("tree")) == _tree(src_dir)
    assert _entries(store.root) == ["tree", *sorted(f"tree/{k}" for k in _entries(src_dir))]


def test_put_dir_replaces_a_file(store: LocalStore, src_dir: Path):
    store.put_bytes(b"a file", "tree")
    store.put_dir(src_dir, "tree")
    assert _tree(store.path_for("tree")) == _tree(src_dir)


def test_put_dir_failure_leaves_nothing(
    store: LocalStore, src_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    original = _local._write_new_file

    def failing(src: Path, dest: Path):
        if src.name == "b.bin":
            raise OSError("disk on fire")
        return original(src, dest)

    monkeypatch.setattr(_local, "_write_new_file", failing)
    with pytest.raises(OSError, match="disk on fire"):
        store.put_dir(src_dir, "folder/tree")
    assert not store.path_for("folder/tree").exists()
    assert _entries(store.root) == ["folder"]  # no temporary directory is left behind


def test_put_dir_failure_keeps_previous_tree(
    store: LocalStore, src_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    store.put_bytes(b"old", "tree/old.txt")
    monkeypatch.setattr(_local, "_write_new_file", _raise_value_error)
    with pytest.raises(ValueError, match="broken"):
        store.put_dir(src_dir, "tree")
    assert _entries(store.root) == ["tree", "tree/old.txt"]


def _raise_value_error(*args: object) -> None:
    raise ValueError("broken")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_put_dir_with_unreadable_file_leaves_nothing(store: LocalStore, src_dir: Path):
    bad = src_dir / "sub" / "b.bin"
    bad.chmod(0)
    try:
        with pytest.raises(PermissionError):
            store.put_dir(src_dir, "tree")
    finally:
        bad.chmod(0o644)
    assert _entries(store.root) == []


def test_put_dir_rejects_bad_sources(store: LocalStore, tmp_path: Path, src_dir: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidArgument, match="no files"):
        store.put_dir(tmp_path / "empty", "x")
    with pytest.raises(InvalidArgument, match="not a directory"):
        store.put_dir(src_dir / "a.txt", "x")
    with pytest.raises(InvalidArgument):
        store.put_dir(src_dir, "../x")
    assert _entries(store.root) == []


def test_put_dir_result_for_large_files_matches(store: LocalStore, tmp_path: Path):
    src = tmp_path / "big"
    src.mkdir()
    for i in range(20):
        (src / f"f{i}.bin").write_bytes(os.urandom(1000 + i))
    assert store.put_dir(src, "big") == hash_dir(src)


# --- LocalStore.delete_dir ----------------------------------------------------------------


def test_delete_dir(store: LocalStore, src_dir: Path):
    store.put_dir(src_dir, "a/tree")
    store.delete_dir("a/tree")
    assert _entries(store.root) == ["a"]
    with pytest.raises(FileNotFoundError):
        store.delete_dir("a/tree")
    store.delete_dir("a/tree", missing_ok=True)


def test_delete_dir_refuses_a_file(store: LocalStore):
    store.put_bytes(b"x", "f")
    with pytest.raises(FileNotFoundError):
        store.delete_dir("f")
    with pytest.raises(FileNotFoundError):
        store.delete_dir("f", missing_ok=True)
    assert store.exists("f")


# --- LocalStore.download ------------------------------------------------------------------


def test_download_file(store: LocalStore, tmp_path: Path):
    store.put_bytes(b"content", "k/f.txt")
    dest = tmp_path / "out" / "nested" / "f.txt"
    assert store.download("k/f.txt", dest) == dest
    assert dest.read_bytes() == b"content"
    store.put_bytes(b"new content", "k/f.txt")
    store.download("k/f.txt", dest)
    assert dest.read_bytes() == b"new content"
    assert _entries(dest.parent) == ["f.txt"]


def test_download_dir(store: LocalStore, src_dir: Path, tmp_path: Path):
    store.put_dir(src_dir, "tree")
    dest = tmp_path / "out" / "tree"
    dest.mkdir(parents=True)
    (dest / "stale.txt").write_bytes(b"stale")
    store.download("tree", dest)
    assert _tree(dest) == _tree(src_dir)
    assert hash_dir(dest) == hash_dir(src_dir)
    assert _entries(dest.parent) == ["tree", *sorted(f"tree/{k}" for k in _entries(src_dir))]


def test_download_missing(store: LocalStore, tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        store.download("missing", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_download_failure_leaves_nothing(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store.put_bytes(b"content", "f.txt")
    monkeypatch.setattr(_local, "_write_new_file", _raise_value_error)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="broken"):
        store.download("f.txt", out / "f.txt")
    assert _entries(out) == []


def test_put_file_hash_still_matches(store: LocalStore, tmp_path: Path):
    src = tmp_path / "s.bin"
    src.write_bytes(os.urandom(12345))
    assert store.put_file(src, "s.bin") == hash_file(src)
