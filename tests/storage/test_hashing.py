"""Content hashes: lamindb's rule, streaming and one-shot alike."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import (
    CHUNK_SIZE,
    DirHash,
    FileHash,
    StreamingHasher,
    combine_hashes,
    hash_dir,
    hash_file,
)

LAMINDB_PYTHON = Path("/work/lamindb-ref/venv/bin/python")


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:22]


def _expected(data: bytes, chunk: int) -> tuple[str, str]:
    """The rule written out independently: md5 of all, or sha1 of first + last chunk."""
    if len(data) <= chunk:
        return _b64(hashlib.md5(data).digest()), "md5"
    first, last = hashlib.sha1(data[:chunk]).digest(), hashlib.sha1(data[-chunk:]).digest()
    return _b64(hashlib.sha1(first + last).digest()), "sha1-fl"


def _sparse_file(path: Path, size: int) -> Path:
    """A sparse file of ``size`` bytes with distinct markers near both ends and the middle."""
    with path.open("wb") as f:
        f.write(b"head marker")
        f.seek(size // 2)
        f.write(b"middle marker")
        f.seek(size - 11)
        f.write(b"tail marker")
    assert path.stat().st_size == size
    return path


@pytest.mark.parametrize(
    "size",
    [0, 1, 7, 8, 9, 15, 16, 17, 40],
    ids=lambda s: f"size{s}",
)
@pytest.mark.parametrize("piece", [1, 3, 64], ids=lambda p: f"piece{p}")
def test_streaming_matches_the_rule_for_every_split(size: int, piece: int):
    chunk = 8  # small chunk: exercises whole, overlapping and disjoint first/last chunks
    data = bytes((i * 37 + 11) % 256 for i in range(size))
    hasher = StreamingHasher(size, chunk_size=chunk)
    for start in range(0, size, piece):
        hasher.update(data[start : start + piece])
    assert (hasher.b64digest(), hasher.hash_type) == _expected(data, chunk)
    assert len(hasher.b64digest()) == 22
    assert hasher.hexdigest() == hasher.digest().hex()


def test_hash_file_reads_only_the_ends_and_matches_streaming(tmp_path: Path):
    data = bytes(range(256)) * 10
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    for chunk in (100, 1000, 1280, 2000, 3000):
        stream = StreamingHasher(len(data), chunk_size=chunk)
        stream.update(data)
        expected = FileHash(len(data), *_expected(data, chunk))
        assert hash_file(path, chunk_size=chunk) == stream.result() == expected


def test_empty_content_has_the_md5_of_nothing(tmp_path: Path):
    path = tmp_path / "empty"
    path.touch()
    assert hash_file(path) == FileHash(0, "1B2M2Y8AsgTpgAmY7PhCfg", "md5")


def test_threshold_is_fifty_mebibytes(tmp_path: Path):
    assert CHUNK_SIZE == 50 * 1024 * 1024
    assert hash_file(_sparse_file(tmp_path / "at", CHUNK_SIZE)).hash_type == "md5"
    assert hash_file(_sparse_file(tmp_path / "above", CHUNK_SIZE + 1)).hash_type == "sha1-fl"


def test_too_many_or_too_few_bytes_are_errors():
    hasher = StreamingHasher(3)
    with pytest.raises(InvalidArgument, match="more than the declared size of 3"):
        hasher.update(b"abcd")
    hasher.update(b"ab")
    with pytest.raises(InvalidArgument, match="hashed 2 of 3 bytes"):
        hasher.b64digest()
    with pytest.raises(InvalidArgument):
        StreamingHasher(-1)


def test_skip_only_over_bytes_the_hash_ignores():
    hasher = StreamingHasher(30, chunk_size=10)
    with pytest.raises(InvalidArgument, match="cannot skip"):
        hasher.skip(5)  # inside the first chunk
    hasher.update(b"x" * 10)
    with pytest.raises(InvalidArgument, match="cannot skip"):
        hasher.skip(11)  # into the last chunk
    hasher.skip(10)
    hasher.update(b"y" * 10)
    assert hasher.b64digest() == _expected(b"x" * 10 + b"?" * 10 + b"y" * 10, 10)[0]
    with pytest.raises(InvalidArgument, match="cannot skip"):
        StreamingHasher(5).skip(1)  # whole-content md5 needs every byte


def test_hash_dir_combines_sorted_file_hashes(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_bytes(b"bee")
    (tmp_path / "sub" / "a.txt").write_bytes(b"ay")
    (tmp_path / "sub" / "empty").touch()
    result = hash_dir(tmp_path)
    hashes = [hash_file(p).hash for p in tmp_path.rglob("*") if p.is_file()]
    assert result == DirHash(5, combine_hashes(hashes), "md5-d", 3)
    assert combine_hashes(reversed(hashes)) == result.hash


def test_hash_dir_rejects_files_and_empty_directories(tmp_path: Path):
    (tmp_path / "f").touch()
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InvalidArgument, match="not a directory"):
        hash_dir(tmp_path / "f")
    with pytest.raises(InvalidArgument, match="contains no files"):
        hash_dir(tmp_path / "empty_dir")


_LAMINDB_SCRIPT = """
import json, sys
from pathlib import Path
from lamindb_setup.core.hashing import hash_dir, hash_file
out = {}
for p in sys.argv[1:]:
    path = Path(p)
    out[p] = list(hash_dir(path) if path.is_dir() else hash_file(path))
print(json.dumps(out))
"""


@pytest.mark.skipif(
    not LAMINDB_PYTHON.exists(), reason=f"no lamindb reference environment at {LAMINDB_PYTHON}"
)
def test_hashes_equal_lamindbs_own(tmp_path: Path):
    small = tmp_path / "small.txt"
    small.write_bytes(b"some content\n" * 1000)
    empty = tmp_path / "empty.bin"
    empty.touch()
    overlapping = _sparse_file(tmp_path / "overlapping.bin", CHUNK_SIZE + 5 * 1024 * 1024)
    large = _sparse_file(tmp_path / "large.bin", 2 * CHUNK_SIZE + 5 * 1024 * 1024)
    folder = tmp_path / "folder"
    (folder / "nested").mkdir(parents=True)
    (folder / "x.csv").write_text("a,b\n1,2\n")
    (folder / "nested" / "y.json").write_text('{"k": 1}')
    (folder / "nested" / "empty").touch()
    files = [small, empty, overlapping, large]

    proc = subprocess.run(
        [str(LAMINDB_PYTHON), "-c", _LAMINDB_SCRIPT, *map(str, [*files, folder])],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    theirs = json.loads(proc.stdout)

    for path in files:
        assert list(hash_file(path)) == theirs[str(path)], path.name
    assert list(hash_dir(folder)) == theirs[str(folder)]
    assert [theirs[str(p)][2] for p in files] == ["md5", "md5", "sha1-fl", "sha1-fl"]
    # Streaming (as a store copies) gives the same hash as lamindb for the large file too.
    with large.open("rb") as f:
        hasher = StreamingHasher(large.stat().st_size)
        while block := f.read(8 * 1024 * 1024):
            hasher.update(block)
    assert list(hasher.result()) == theirs[str(large)]
