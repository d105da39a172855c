"""Large files (sha1-fl hashes) are copied with their middle in the kernel, correctly."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import CHUNK_SIZE, LocalStore, hash_file

SIZE = 2 * CHUNK_SIZE + 3 * 1024 * 1024 + 17  # head, middle (odd length), tail


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.bin"
    block = os.urandom(1024 * 1024)
    with path.open("wb") as f:
        written = 0
        i = 0
        while written < SIZE:
            piece = (block[i % 251 :] + block[: i % 251])[: SIZE - written]
            f.write(piece)
            written += len(piece)
            i += 1
    return path


def test_large_copy_is_identical_and_hashed_like_hash_file(big_file: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    result = store.put_file(big_file, "a/big.bin")
    assert result == hash_file(big_file)
    assert result.hash_type == "sha1-fl"
    copy = store.path_for("a/big.bin")
    assert copy.stat().st_size == SIZE
    assert _md5(copy) == _md5(big_file)


def test_a_stream_longer_than_declared_is_refused(big_file: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with big_file.open("rb") as stream, pytest.raises(InvalidArgument, match="more than"):
        store.put_stream(stream, "a/big.bin", size=SIZE - 1)
    assert not store.exists("a/big.bin")
    assert list((tmp_path / "store").rglob("*.tmp")) == []


def test_a_stream_shorter_than_declared_is_refused(big_file: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with big_file.open("rb") as stream, pytest.raises(InvalidArgument, match="ended after"):
        store.put_stream(stream, "a/big.bin", size=SIZE + 10)
    assert not store.exists("a/big.bin")
