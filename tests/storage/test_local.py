"""The local directory store: keys, atomic hashed writes, reads and deletes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import LocalStore, hash_file, validate_key


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


def _leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def test_put_file_copies_and_hashes_in_one_pass(store: LocalStore, tmp_path: Path):
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 1000)
    result = store.put_file(src, "data/src.bin")
    assert result == hash_file(src)
    assert store.path_for("data/src.bin").read_bytes() == src.read_bytes()
    assert store.exists("data/src.bin")
    assert _leftovers(store.root) == ["data/src.bin"]


def test_put_file_of_empty_file(store: LocalStore, tmp_path: Path):
    src = tmp_path / "empty"
    src.touch()
    assert store.put_file(src, "empty").size == 0
    assert store.path_for("empty").read_bytes() == b""


def test_put_bytes_open_delete(store: LocalStore):
    assert store.put_bytes(b"hello", "a/b/c.txt").hash == "XUFAKrxLKna5cZ2REBfFkg"
    with store.open("a/b/c.txt") as f:
        assert f.read() == b"hello"
    store.delete("a/b/c.txt")
    assert not store.exists("a/b/c.txt")
    with pytest.raises(FileNotFoundError):
        store.delete("a/b/c.txt")
    store.delete("a/b/c.txt", missing_ok=True)
    with pytest.raises(FileNotFoundError):
        store.open("a/b/c.txt")


def test_put_replaces_existing_content(store: LocalStore):
    store.put_bytes(b"old", "k.txt")
    store.put_bytes(b"new content", "k.txt")
    assert store.path_for("k.txt").read_bytes() == b"new content"
    assert _leftovers(store.root) == ["k.txt"]


def test_failed_write_leaves_nothing_under_the_final_name(store: LocalStore):
    stream = _FailingStream(b"x" * 10_000)
    with pytest.raises(ConnectionError, match="source went away"):
        store.put_stream(stream, "broken.bin", size=20_000)  # type: ignore[arg-type]
    assert not store.exists("broken.bin")
    assert _leftovers(store.root) == []


def test_failed_write_keeps_the_previous_content(store: LocalStore):
    store.put_bytes(b"previous", "k.bin")
    with pytest.raises(ConnectionError):
        store.put_stream(_FailingStream(b"partial"), "k.bin", size=100)  # type: ignore[arg-type]
    assert store.path_for("k.bin").read_bytes() == b"previous"
    assert _leftovers(store.root) == ["k.bin"]


@pytest.mark.parametrize(
    ("data", "size", "message"),
    [(b"abc", 5, "hashed 3 of 5 bytes"), (b"abcdef", 5, "more than the declared size")],
    ids=["short", "long"],
)
def test_stream_size_mismatch_writes_nothing(store: LocalStore, data, size, message):
    with pytest.raises(InvalidArgument, match=message):
        store.put_stream(io.BytesIO(data), "k.bin", size=size)
    assert _leftovers(store.root) == []


def test_put_file_rejects_a_directory(store: LocalStore, tmp_path: Path):
    with pytest.raises(InvalidArgument, match="is not a file"):
        store.put_file(tmp_path, "k")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "it is empty"),
        ("/etc/passwd", "absolute paths"),
        ("C:/x", "absolute paths"),
        ("a//b", "empty path segments"),
        ("a/", "empty path segments"),
        ("../up", "segment '..'"),
        ("a/../../up", "segment '..'"),
        ("./a", r"segment '\.'"),
        ("a\\b", "backslash"),
        ("a\0b", "NUL"),
    ],
)
def test_bad_keys_are_rejected_with_the_reason(store: LocalStore, key: str, reason: str):
    with pytest.raises(InvalidArgument, match=reason) as info:
        store.put_bytes(b"x", key)
    assert repr(key) in str(info.value)
    with pytest.raises(InvalidArgument):
        store.path_for(key)
    assert _leftovers(store.root) == []


def test_non_string_key_is_rejected():
    with pytest.raises(InvalidArgument, match="expected a str, got int"):
        validate_key(3)  # type: ignore[arg-type]


def test_path_for_stays_under_root(store: LocalStore):
    path = store.path_for("x/y.parquet")
    assert path == store.root / "x" / "y.parquet"
    assert not path.exists()
    assert repr(store) == f"LocalStore({str(store.root)!r})"


def test_a_colon_inside_a_key_is_not_a_drive() -> None:
    from lamin_pipes.storage import validate_key

    assert validate_key("a:b.json") == "a:b.json"
    assert validate_key("run:1/out.csv") == "run:1/out.csv"
    for drive in ("C:", "C:/data.csv", "c:\\data.csv"):
        with pytest.raises(InvalidArgument, match="absolute paths"):
            validate_key(drive)
