"""Content above 100 MiB, whose lamindb hash covers only its first and last 50 MiB."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

import lamin_pipes as ln
from lamin_pipes.storage import CHUNK_SIZE

SIZE = 2 * CHUNK_SIZE + 1024 * 1024 + 17  # the middle MiB is outside the hash


def _write(path: Path, middle: bytes = b"") -> Path:
    """A file of SIZE bytes (plus ``middle``) whose first and last CHUNK_SIZE never change."""
    head = bytes(range(256)) * (CHUNK_SIZE // 256)
    with path.open("wb") as f:
        f.write(head)
        f.write(b"m" * (SIZE - 2 * CHUNK_SIZE) + middle)
        f.write(head[::-1])
    return path


@pytest.fixture(scope="module")
def contents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("large")
    original = _write(folder / "original.bin")
    changed = folder / "changed.bin"
    changed.write_bytes(original.read_bytes())
    with changed.open("r+b") as f:  # one byte in the middle, same size
        f.seek(CHUNK_SIZE + 1000)
        f.write(b"X")
    longer = _write(folder / "longer.bin", middle=b"inserted")
    return {"original": original, "changed": changed, "longer": longer}


def _bytes_of(artifact: ln.Artifact) -> bytes:
    return artifact.cache().read_bytes()


def test_a_partial_hash_match_with_other_bytes_saves_new_content(
    instance, contents: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    v1 = ln.Artifact(contents["original"], key="big/data.bin").save()
    assert v1._hash_type == "sha1-fl"

    with caplog.at_level(logging.WARNING, logger="lamin_pipes"):
        v2 = ln.Artifact(contents["changed"], key="big/data.bin").save()

    assert v2.id != v1.id and v2.hash == v1.hash
    assert v2.version == "0001" and v2.is_latest
    assert "bytes differ" in caplog.text and v1.uid in caplog.text
    assert _bytes_of(v2) == contents["changed"].read_bytes()
    assert _bytes_of(ln.Artifact.get(v1.uid)) == contents["original"].read_bytes()


def test_a_partial_hash_match_is_adopted_only_with_the_same_bytes(
    instance, contents: dict[str, Path]
) -> None:
    first = ln.Artifact(contents["original"], key="big/a.bin").save()
    other = ln.Artifact(contents["changed"], key="big/b.bin").save()
    longer = ln.Artifact(contents["longer"], key="big/c.bin").save()
    assert len({first.id, other.id, longer.id}) == 3  # same hash, three contents

    again = ln.Artifact(contents["changed"], key="big/b.bin").save()  # same bytes as `other`

    assert again.id == other.id
    assert ln.Artifact.filter(hash=first.hash).count() == 3


def test_small_content_is_still_deduplicated_by_hash_alone(instance, tmp_path: Path) -> None:
    path = tmp_path / "small.bin"
    path.write_bytes(os.urandom(1024))
    first = ln.Artifact(path, key="small/a.bin").save()

    assert ln.Artifact(path, key="small/a.bin").save().id == first.id
