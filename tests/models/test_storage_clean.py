"""Storage.clean() and `lamin-pipes clean` remove what interrupted saves left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.cli import main
from lamin_pipes.errors import InvalidArgument

WORKERS = Path(__file__).with_name("_artifact_workers.py")
REPO = Path(__file__).resolve().parents[2]
CRASH_EXIT_CODE = 17  # _artifact_workers.CRASH_EXIT_CODE


def _crash(mode: str, instance: Any, key: str, *extra: str) -> None:
    result = subprocess.run(
        [sys.executable, str(WORKERS), mode, instance.db, str(instance.storage), key, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == CRASH_EXIT_CODE, result.stderr[-2000:]


def _age(path: Path, seconds: float = 7200) -> None:
    """Make ``path`` (and everything below it) look ``seconds`` old."""
    stamp = time.time() - seconds
    targets = [path, *path.rglob("*")] if path.is_dir() else [path]
    for target in targets:
        os.utime(target, (stamp, stamp))


def _lamindb(instance: Any) -> Path:
    return Path(instance.storage) / ".lamindb"


def test_clean_removes_crash_leftovers_and_keeps_artifacts(instance: Any) -> None:
    kept = ln.Artifact(pd.DataFrame({"k": [1]}), key="clean/kept.parquet").save()
    folder = ln.Artifact.from_lazy("", overwrite_versions=True, key="clean/shared")
    (folder.path).mkdir()
    (folder.path / "a.txt").write_text("a")
    shared = folder.save()  # an overwrite_versions family: stored under its stem
    _crash("crash-after-move", instance, "clean/lost.parquet")  # final name, no row
    _crash("crash-after-move", instance, "clean/lost-folder", "folder")
    _crash("crash-while-staging", instance, "clean/staged.parquet")  # staged only
    leftover = _lamindb(instance) / ".x.parquet.1a2b3c.tmp"
    leftover.write_bytes(b"partial")
    for path in _lamindb(instance).iterdir():
        _age(path)
    for path in (_lamindb(instance) / "_staging").iterdir():
        _age(path)

    storage = ln.Storage.default()
    preview = storage.clean(dry_run=True)
    assert preview.dry_run and len(preview.unreferenced) == 2
    assert len(preview.staged) == 1 and preview.temporary == [".lamindb/.x.parquet.1a2b3c.tmp"]
    assert all(Path(instance.storage, key).exists() for key in preview.removed)

    report = storage.clean()
    assert sorted(report.removed) == sorted(preview.removed)
    assert not any(Path(instance.storage, key).exists() for key in report.removed)
    assert Path(kept.path).exists() and Path(shared.path).exists()
    pd.testing.assert_frame_equal(kept.load(), pd.DataFrame({"k": [1]}))
    assert storage.clean().removed == []  # nothing left to do


def test_clean_spares_recent_objects(instance: Any) -> None:
    _crash("crash-after-move", instance, "clean/recent.parquet")
    report = ln.Storage.default().clean()
    assert report.removed == []  # younger than an hour: may be a save in flight
    assert ln.Storage.default().clean(min_age=0).unreferenced != []
    with pytest.raises(InvalidArgument, match="min_age"):
        ln.Storage.default().clean(min_age=-1)


def test_clean_keeps_trashed_artifacts(instance: Any) -> None:
    artifact = ln.Artifact({"t": 1}, key="clean/trashed.json").save()
    artifact.delete()
    _age(Path(artifact.path))
    assert ln.Storage.default().clean().removed == []
    assert Path(artifact.path).exists()


def test_clean_command(instance: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _crash("crash-after-move", instance, "clean/cli.parquet")
    for path in _lamindb(instance).iterdir():
        _age(path)
    args = ["clean", "--db", instance.db, "--storage", str(instance.storage)]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would remove 1 objects (0 staged, 1 unreferenced, 0 temporary)" in out
    assert main(args) == 0
    assert "removed 1 objects" in capsys.readouterr().out


def test_clean_on_s3(s3_instance: Any, s3_root: str) -> None:
    import boto3

    kept = ln.Artifact(pd.DataFrame({"k": [1]}), key="s3clean/kept.parquet").save()
    bucket, prefix = s3_root.removeprefix("s3://").split("/", 1)
    client = boto3.client("s3")
    orphan = f"{prefix}/.lamindb/AAAAAAAAAAAAAAAA0000.parquet"
    client.put_object(Bucket=bucket, Key=orphan, Body=b"orphan")
    assert ln.Storage.default().clean().removed == []  # just written
    report = ln.Storage.default().clean(min_age=0)
    assert report.unreferenced == [".lamindb/AAAAAAAAAAAAAAAA0000.parquet"]
    listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/.lamindb/")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert orphan not in keys
    assert any(key.endswith(kept.uid + ".parquet") for key in keys)


def test_clean_refuses_a_root_that_another_instance_uses(instance: Any, tmp_path: Path) -> None:
    from lamin_pipes.core._settings import settings
    from lamin_pipes.errors import StorageError

    mine = ln.Artifact(pd.DataFrame({"m": [1]}), key="shared-root/mine.parquet").save()
    first, previous_user = settings._instance, settings._user
    ln.connect(f"sqlite:///{tmp_path / 'other' / 'lamin.db'}", str(instance.storage))
    try:
        theirs = ln.Artifact(pd.DataFrame({"t": [1]}), key="shared-root/theirs.parquet").save()
        for path in _lamindb(instance).iterdir():
            _age(path)
        with pytest.raises(StorageError, match="other instances use this storage root"):
            ln.Storage.default().clean(min_age=0)
    finally:
        settings._instance, settings._user = first, previous_user
    with pytest.raises(StorageError, match="other instances"):
        ln.Storage.default().clean(min_age=0)
    assert Path(mine.path).exists() and Path(theirs.path).exists()


def test_clean_judges_a_folder_by_its_newest_file(instance: Any) -> None:
    # A long write into a folder (a zarr store) changes files deep inside; the folder's
    # own time stays old.
    _crash("crash-after-move", instance, "clean/writing-folder", "folder")
    (folder,) = [p for p in _lamindb(instance).iterdir() if p.is_dir() and p.name[0] != "_"]
    _age(folder)
    fresh = folder / "chunk.new"
    fresh.write_bytes(b"just written")
    stamp = time.time() - 7200
    os.utime(folder, (stamp, stamp))

    assert ln.Storage.default().clean().removed == []
    assert fresh.exists()
    _age(folder)
    assert len(ln.Storage.default().clean().unreferenced) == 1
