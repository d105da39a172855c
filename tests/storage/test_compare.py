"""same_content: byte comparison of stored files and folders, local and on S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamin_pipes.storage import (
    CHUNK_SIZE,
    LocalStore,
    hash_covers_content,
    open_store,
    same_content,
)
from lamin_pipes.storage._hashing import DirHash, FileHash


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return open_store(request.getfixturevalue("s3_root"))


def test_files_compare_by_bytes(store, tmp_path: Path) -> None:
    store.put_bytes(b"a" * 1000, "x/a.bin")
    store.put_bytes(b"a" * 1000, "x/same.bin")
    store.put_bytes(b"a" * 999 + b"b", "x/last.bin")
    store.put_bytes(b"a" * 1001, "x/longer.bin")

    assert same_content(store, "x/a.bin", store, "x/same.bin")
    assert not same_content(store, "x/a.bin", store, "x/last.bin")
    assert not same_content(store, "x/a.bin", store, "x/longer.bin")
    assert not same_content(store, "x/a.bin", store, "x/missing.bin")


def test_folders_compare_by_names_sizes_and_bytes(store, tmp_path: Path) -> None:
    files = {"a.txt": b"one", "sub/b.txt": b"two"}
    store.put_dir(_folder(tmp_path / "f1", files), "d1")
    store.put_dir(_folder(tmp_path / "f2", files), "d2")
    store.put_dir(_folder(tmp_path / "f3", {**files, "sub/b.txt": b"tw0"}), "d3")
    store.put_dir(_folder(tmp_path / "f4", {**files, "c.txt": b""}), "d4")

    assert same_content(store, "d1", store, "d2", is_dir=True)
    assert not same_content(store, "d1", store, "d3", is_dir=True)
    assert not same_content(store, "d1", store, "d4", is_dir=True)
    assert not same_content(store, "d1", store, "missing", is_dir=True)


def test_local_and_remote_content_compare(s3_root: str, tmp_path: Path) -> None:
    local, remote = LocalStore(tmp_path / "store"), open_store(s3_root)
    local.put_bytes(b"payload", "p.bin")
    remote.put_bytes(b"payload", "p.bin")

    assert same_content(local, "p.bin", remote, "p.bin")


def test_which_hashes_cover_the_content() -> None:
    assert hash_covers_content(FileHash(2 * CHUNK_SIZE, "h" * 22, "sha1-fl"))
    assert not hash_covers_content(FileHash(2 * CHUNK_SIZE + 1, "h" * 22, "sha1-fl"))
    assert not hash_covers_content(DirHash(2 * CHUNK_SIZE + 1, "h" * 22, "md5-d", 3))
