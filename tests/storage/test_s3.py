"""S3Store against a real S3-protocol server (moto in server mode, see ``s3_server``)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import S3Store, Store, hash_dir, hash_file, open_store

MiB = 1024 * 1024


class _FailingStream(io.RawIOBase):
    """Yields ``good`` bytes, then raises, like a network read that breaks midway."""

    def __init__(self, good: bytes) -> None:
        self._good = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._good:
            block, self._good = self._good[:size], self._good[size:]
            return block
        raise ConnectionError("source went away")


@pytest.fixture
def store(s3_root: str) -> S3Store:
    store = open_store(s3_root)
    assert isinstance(store, S3Store)
    return store


@pytest.fixture
def small_parts(s3_root: str) -> S3Store:
    """A store whose uploads switch to multipart above 5 MiB."""
    return S3Store(s3_root, block_size=5 * MiB)


@pytest.fixture
def src_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"hello")
    (src / "sub" / "b.bin").write_bytes(os.urandom(70_000))
    (src / "sub" / "deeper" / "c.txt").write_bytes(b"")
    (src / ".hidden").write_bytes(b"dot")
    return src


def _client(store: S3Store):
    return store.filesystem().s3  # type: ignore[attr-defined]


def _all_keys(store: S3Store) -> list[str]:
    """Every object key in the store's bucket, straight from the server (no listing cache)."""
    import boto3

    client = boto3.client("s3", endpoint_url=store.endpoint_url)
    response = client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in response.get("Contents", []))


def _pending_uploads(store: S3Store) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=store.endpoint_url)
    response = client.list_multipart_uploads(Bucket=store.bucket)
    return [upload["Key"] for upload in response.get("Uploads", [])]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_attributes(store: S3Store, s3_root: str, s3_server: str):
    assert isinstance(store, Store)
    assert store.root_uri == s3_root
    assert store.storage_type == "s3"
    assert store.is_remote is True
    assert store.region == "us-east-1"
    assert store.endpoint_url == s3_server
    assert store.uri("a/b.txt") == f"{s3_root}/a/b.txt"
    assert store.local_path("a/b.txt") is None
    with pytest.raises(InvalidArgument):
        store.uri("/abs")


def test_put_file_hash_equals_hash_file(store: S3Store, tmp_path: Path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(300_000))
    result = store.put_file(src, "data/src.bin")
    assert result == hash_file(src)
    assert store.exists("data/src.bin")
    assert store.size("data/src.bin") == 300_000
    with store.open("data/src.bin") as f:
        assert f.read() == src.read_bytes()
    assert _all_keys(store) == ["prefix/data/src.bin"]


def test_multipart_put_file_hash_and_content(small_parts: S3Store, tmp_path: Path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * MiB + 123))
    assert small_parts.put_file(src, "big.bin") == hash_file(src)
    with small_parts.open("big.bin") as f:
        f.seek(5 * MiB)
        assert f.read(10) == src.read_bytes()[5 * MiB : 5 * MiB + 10]
    assert small_parts.size("big.bin") == src.stat().st_size
    assert _pending_uploads(small_parts) == []


def test_put_bytes_and_empty(store: S3Store):
    assert store.put_bytes(b"hello", "h.txt").hash == "XUFAKrxLKna5cZ2REBfFkg"
    assert store.put_bytes(b"", "empty").size == 0
    assert store.exists("empty")
    assert store.size("empty") == 0
    with store.open("h.txt") as f:
        assert f.read() == b"hello"


def test_overwrite_is_seen_immediately(store: S3Store):
    store.put_bytes(b"one", "k")
    assert store.size("k") == 3
    store.put_bytes(b"three", "k")
    assert store.size("k") == 5
    with store.open("k") as f:
        assert f.read() == b"three"


def test_exists_delete(store: S3Store, src_dir: Path):
    assert not store.exists("x.txt")
    store.put_bytes(b"x", "x.txt")
    assert store.exists("x.txt")
    store.delete("x.txt")
    assert not store.exists("x.txt")
    with pytest.raises(FileNotFoundError):
        store.delete("x.txt")
    store.delete("x.txt", missing_ok=True)
    with pytest.raises(FileNotFoundError):
        store.size("x.txt")
    with pytest.raises(FileNotFoundError):
        store.open("x.txt")
    store.put_dir(src_dir, "tree")
    assert not store.exists("tree")  # a directory is not a file
    with pytest.raises(FileNotFoundError):
        store.size("tree")


def test_failed_stream_leaves_nothing(store: S3Store):
    with pytest.raises(ConnectionError):
        store.put_stream(_FailingStream(b"x" * 1000), "broken", size=5000)
    assert not store.exists("broken")
    assert _all_keys(store) == []


def test_failed_multipart_stream_leaves_nothing(small_parts: S3Store):
    data = os.urandom(9 * MiB)  # more than one part is sent before the failure
    with pytest.raises(ConnectionError):
        small_parts.put_stream(_FailingStream(data), "broken", size=12 * MiB)
    assert _all_keys(small_parts) == []
    assert _pending_uploads(small_parts) == []


@pytest.mark.parametrize("declared", [999, 1001, 12 * MiB])
def test_size_mismatch_leaves_nothing(small_parts: S3Store, declared: int):
    data = os.urandom(1000) if declared < MiB else os.urandom(11 * MiB)
    with pytest.raises(InvalidArgument):
        small_parts.put_stream(io.BytesIO(data), "mismatch", size=declared)
    assert _all_keys(small_parts) == []
    assert _pending_uploads(small_parts) == []


def test_failed_overwrite_keeps_previous_object(store: S3Store):
    store.put_bytes(b"previous", "k")
    with pytest.raises(ConnectionError):
        store.put_stream(_FailingStream(b"new"), "k", size=10)
    with store.open("k") as f:
        assert f.read() == b"previous"


def test_put_dir_hash_equals_hash_dir(store: S3Store, src_dir: Path, tmp_path: Path):
    result = store.put_dir(src_dir, "folder/tree")
    assert result == hash_dir(src_dir)
    assert _all_keys(store) == sorted(
        f"prefix/folder/tree/{k}" for k in ["a.txt", "sub/b.bin", "sub/deeper/c.txt", ".hidden"]
    )
    dest = store.download("folder/tree", tmp_path / "out" / "tree")
    assert _tree(dest) == _tree(src_dir)
    assert hash_dir(dest) == result


def test_put_dir_replaces_previous_tree(store: S3Store, src_dir: Path, tmp_path: Path):
    store.put_bytes(b"old", "tree/old.txt")
    store.put_bytes(b"file at key", "tree")
    store.put_bytes(b"sibling", "tree2/x")
    store.put_dir(src_dir, "tree")
    assert _all_keys(store) == sorted(
        [
            *(f"prefix/tree/{k}" for k in ["a.txt", "sub/b.bin", "sub/deeper/c.txt", ".hidden"]),
            "prefix/tree2/x",
        ]
    )


def test_put_dir_failure_deletes_uploaded_files(
    store: S3Store, src_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    original = S3Store.put_file

    def failing(self: S3Store, src: str | os.PathLike[str], key: str):
        if key.endswith("b.bin"):
            raise ConnectionError("network down")
        return original(self, src, key)

    monkeypatch.setattr(S3Store, "put_file", failing)
    with pytest.raises(ConnectionError, match="network down"):
        store.put_dir(src_dir, "tree")
    assert _all_keys(store) == []


def test_delete_dir(store: S3Store, src_dir: Path):
    store.put_dir(src_dir, "tree")
    store.put_bytes(b"keep", "tree-sibling.txt")
    store.delete_dir("tree")
    assert _all_keys(store) == ["prefix/tree-sibling.txt"]
    with pytest.raises(FileNotFoundError):
        store.delete_dir("tree")
    store.delete_dir("tree", missing_ok=True)
    with pytest.raises(FileNotFoundError):
        store.delete_dir("tree-sibling.txt")


def test_download_file_is_atomic_and_replaces(store: S3Store, tmp_path: Path):
    store.put_bytes(b"content", "k/f.txt")
    dest = tmp_path / "dl" / "f.txt"
    assert store.download("k/f.txt", dest) == dest
    assert dest.read_bytes() == b"content"
    store.put_bytes(b"changed!", "k/f.txt")
    store.download("k/f.txt", dest)
    assert dest.read_bytes() == b"changed!"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["f.txt"]


def test_download_missing_leaves_nothing(store: S3Store, tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        store.download("nothing", tmp_path / "dl" / "x")
    assert list((tmp_path / "dl").iterdir()) == []


def test_filesystem_and_fs_path_read_in_place(store: S3Store):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    store.put_bytes(buffer.getvalue(), "t.parquet")
    assert store.fs_path("t.parquet") == f"{store.bucket}/prefix/t.parquet"
    read = pq.read_table(store.fs_path("t.parquet"), filesystem=store.filesystem())
    assert read.equals(table)


def test_store_sees_writes_of_another_client(store: S3Store, s3_root: str):
    """No stale listings: the listing cache is off, and each store has its own filesystem."""
    other = S3Store(s3_root)
    assert other.filesystem() is not store.filesystem()
    assert not store.exists("later.txt")
    assert store.filesystem().find(f"{store.bucket}/prefix") == []
    other.put_bytes(b"x", "later.txt")
    assert store.exists("later.txt")
    assert store.filesystem().ls(f"{store.bucket}/prefix") == [f"{store.bucket}/prefix/later.txt"]
    other.delete("later.txt")
    assert not store.exists("later.txt")


def test_bucket_root_without_prefix(s3_root: str):
    bucket_root = s3_root.rsplit("/", 1)[0]
    store = open_store(bucket_root)
    assert store.root_uri == bucket_root
    store.put_bytes(b"top", "top.txt")
    assert store.uri("top.txt") == f"{bucket_root}/top.txt"
    assert store.exists("top.txt")


def test_endpoint_override_env(monkeypatch: pytest.MonkeyPatch, s3_server: str):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("LAMIN_PIPES_S3_ENDPOINT_URL", s3_server)
    assert S3Store("s3://bucket").endpoint_url == s3_server


def test_invalid_block_size():
    with pytest.raises(InvalidArgument, match="block_size"):
        S3Store("s3://bucket", block_size=1024)


def test_block_size_grows_for_huge_files():
    store = S3Store("s3://bucket", block_size=5 * MiB)
    assert store._block_size_for(10) == 5 * MiB
    huge = 10**12  # 1 TB needs parts of ~100 MB to stay under 10,000 parts
    assert store._block_size_for(huge) * 9_999 >= huge


def test_a_forked_child_uses_the_store(store: S3Store) -> None:
    # DataLoader workers and Dagster steps fork; the parent's s3fs client is not
    # fork-safe ("This class is not fork-safe"), so the child must make its own.
    import multiprocessing

    store.put_bytes(b"from the parent", "fork/parent.bin")  # the parent's client exists

    def child(queue: multiprocessing.Queue) -> None:
        try:
            store.put_bytes(b"from the child", "fork/child.bin")
            queue.put(store.open("fork/parent.bin").read())
        except Exception as error:
            queue.put(f"{type(error).__name__}: {error}")

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    result = queue.get(timeout=60)
    process.join(timeout=60)

    assert result == b"from the parent"
    assert store.open("fork/child.bin").read() == b"from the child"


@pytest.mark.parametrize(
    "root", ["s3://../etc", "s3://..", "s3://ab", "s3://Upper-Case", "s3://a..b", "s3://10.0.0.1"]
)
def test_bucket_names_are_checked(root: str) -> None:
    # "s3://../etc" gave a cache path outside the cache directory.
    with pytest.raises(InvalidArgument, match="is not a bucket name"):
        S3Store(root)
