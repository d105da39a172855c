"""Families that share one stored object (overwrite_versions=True) never mix up bytes.

Whatever fails or is killed during a save, a committed version reads back exactly the
content it was saved with, or raises StorageError; it never gets another version's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, StorageError

WORKERS = Path(__file__).with_name("_artifact_workers.py")
REPO = Path(__file__).resolve().parents[2]
CRASH_EXIT_CODE = 17  # _artifact_workers.CRASH_EXIT_CODE
KEY = "shared/params.json"


def _save(value: str, **kwargs: Any) -> ln.Artifact:
    return ln.Artifact({"value": value}, key=KEY, overwrite_versions=True, **kwargs).save()


def _fresh(artifact: ln.Artifact) -> ln.Artifact:
    return ln.Artifact.objects.get(id=artifact.id)


def _crash(mode: str, instance: Any, value: str) -> None:
    result = subprocess.run(
        [sys.executable, str(WORKERS), mode, instance.db, str(instance.storage), KEY, value],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == CRASH_EXIT_CODE, result.stdout + result.stderr[-2000:]


def _staged(instance: Any) -> list[Path]:
    return list((Path(instance.storage) / ".lamindb" / "_staging").glob("*"))


def test_versions_share_one_object_and_old_ones_say_their_content_is_gone(instance) -> None:
    v1 = _save("one")
    v2 = _save("two")

    assert Path(v1.path) == Path(v2.path)
    assert v2.load() == {"value": "two"}
    # before, v1.load() returned v2's content without a word
    with pytest.raises(StorageError, match=f"content of artifact {v1.uid}.*no longer stored"):
        _fresh(v1).load()
    with pytest.raises(StorageError, match="no longer stored"):
        _fresh(v1).cache()


def test_a_failed_save_leaves_the_current_content(instance) -> None:
    v1 = _save("one", version="1.0")
    with pytest.raises(InvalidArgument, match=r"1\.0"):
        _save("two", version="1.0")  # refused inside the insert's transaction

    assert _fresh(v1).load() == {"value": "one"}
    assert _staged(instance) == []


def test_a_save_killed_after_its_commit_is_completed_by_the_next_read(instance) -> None:
    v1 = _save("one")
    _crash("shared-crash-before-settle", instance, "two")
    v2 = ln.Artifact.get(key=KEY)  # committed: the latest version
    assert v2.id != v1.id and len(_staged(instance)) == 1

    assert v2.load() == {"value": "two"}  # the read moved the staged content into place
    assert _staged(instance) == []
    with pytest.raises(StorageError, match="no longer stored"):
        _fresh(v1).load()


def test_a_save_killed_after_the_move_is_recorded_by_the_next_read(instance) -> None:
    v1 = _save("one")
    _crash("shared-crash-after-move", instance, "two")
    v2 = ln.Artifact.get(key=KEY)

    # the move happened, its record did not: v1 must not be served v2's bytes
    with pytest.raises(StorageError, match="no longer stored"):
        _fresh(v1).load()
    assert v2.load() == {"value": "two"}


def test_clean_leaves_the_staged_content_of_a_committed_save(instance) -> None:
    _save("one")
    _crash("shared-crash-before-settle", instance, "two")
    stamp = time.time() - 7200
    for path in _staged(instance):
        os.utime(path, (stamp, stamp))

    assert ln.Storage.default().clean(min_age=0).staged == []
    assert ln.Artifact.get(key=KEY).load() == {"value": "two"}


def test_saving_an_overwritten_version_again_makes_a_new_version(instance) -> None:
    v1 = _save("one")
    _save("two")

    again = _save("one")  # v1 has this content, but its copy is gone

    assert again.id != v1.id and again.version == "0002"
    assert again.load() == {"value": "one"}


def test_the_owner_takes_the_object_along_when_deleted_for_good(instance) -> None:
    v1 = _save("one")
    v2 = _save("two")
    _fresh(v1).delete(permanent=True)
    assert Path(v2.path).exists() and v2.load() == {"value": "two"}

    _fresh(v2).delete(permanent=True)

    assert not Path(v2.path).exists()


def test_an_s3_family_shares_one_object_too(s3_instance: Any, tmp_path: Path) -> None:
    v1 = _save("one")
    assert v1.load() == {"value": "one"}  # leaves a cached copy of the shared object
    v2 = _save("two")

    assert v2.load() == {"value": "two"}  # the stale cached copy is not served
    with pytest.raises(StorageError, match="no longer stored"):
        _fresh(v1).load()
