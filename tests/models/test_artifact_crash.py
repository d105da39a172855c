"""A process that dies in the middle of saving an artifact leaves nothing inconsistent.

The child processes (``_artifact_workers.py``) connect to the test's instance, start a
save and ``os._exit`` at a chosen point: right after the content was moved onto its final
name but before the transaction committed, or while the content was being staged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import lamin_pipes as ln
from lamin_pipes.storage import hash_dir, hash_file

WORKERS = Path(__file__).with_name("_artifact_workers.py")
REPO = Path(__file__).resolve().parents[2]
CRASH_EXIT_CODE = 17  # _artifact_workers.CRASH_EXIT_CODE


def _sample() -> pd.DataFrame:  # the frame the worker saves
    return pd.DataFrame({"crash": [1, 2, 3], "text": ["a", "b", "c"]})


def _run_worker(
    mode: str, instance: Any, key: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(WORKERS), mode, instance.db, str(instance.storage), key, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == CRASH_EXIT_CODE, (
        f"the worker did not crash where planned (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr[-3000:]}"
    )
    return result


def _lamindb(instance: Any) -> Path:
    return Path(instance.storage) / ".lamindb"


def _final_files(instance: Any) -> list[Path]:
    root = _lamindb(instance)
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if not p.name.startswith("_"))  # _staging, _storages


def _assert_every_row_has_its_file() -> None:
    for artifact in ln.Artifact.filter(branch_id__in=[1, -1]):
        path = Path(artifact.path)
        assert path.exists(), f"row {artifact.uid} points at a missing file {path}"
        digest = hash_dir(path) if path.is_dir() else hash_file(path)
        assert digest.hash == artifact.hash, f"row {artifact.uid}: {path} has other content"


def test_crash_after_move_before_commit(instance):
    ln.Artifact({"before": 1}, key="crash/before.json").save()  # the storage row exists
    result = _run_worker("crash-after-move", instance, "crash/t.parquet")
    assert "moved .lamindb/_staging/" in result.stdout
    # no row for the crashed save; the database is usable (not locked, no open transaction)
    assert ln.Artifact.filter(key="crash/t.parquet").count() == 0
    assert ln.Artifact.filter().count() == 1
    _assert_every_row_has_its_file()
    label = ln.ULabel(name="after-crash").save()
    assert ln.ULabel.get(label.id).name == "after-crash"
    # the moved content may be left behind as a file without a row, never the other way
    leftovers = [p for p in _final_files(instance) if p.suffix == ".parquet"]
    assert len(leftovers) <= 1
    # saving the same content again works and yields a consistent artifact
    artifact = ln.Artifact(_sample(), key="crash/t.parquet").save()
    assert artifact.is_latest is True and artifact.version == "0000"
    assert Path(artifact.path).exists()
    pd.testing.assert_frame_equal(artifact.load(), _sample())
    _assert_every_row_has_its_file()
    again = ln.Artifact(_sample(), key="crash/t.parquet").save()
    assert again.id == artifact.id
    newer = ln.Artifact(pd.DataFrame({"crash": [4]}), key="crash/t.parquet").save()
    assert newer.stem_uid == artifact.stem_uid and newer.version == "0001"


def test_crash_after_move_of_a_new_version(instance):
    v1 = ln.Artifact(pd.DataFrame({"crash": [0]}), key="crash/v.parquet").save()
    _run_worker("crash-after-move", instance, "crash/v.parquet")
    rows = list(ln.Artifact.filter(key="crash/v.parquet"))
    assert [r.id for r in rows] == [v1.id]
    assert rows[0].is_latest is True  # the head did not move
    _assert_every_row_has_its_file()
    v2 = ln.Artifact(_sample(), key="crash/v.parquet").save()
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001") and v2.is_latest is True
    assert ln.Artifact.get(v1.id).is_latest is False
    pd.testing.assert_frame_equal(v2.load(), _sample())
    _assert_every_row_has_its_file()


def _folder(root: Path) -> Path:  # the folder the worker saves
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("crash folder a")
    (folder / "sub" / "b.txt").write_text("crash folder b")
    return folder


def test_crash_after_move_of_a_new_folder_version(instance, tmp_path):
    """The crashed save's folder sits on the next version's final name: saving works."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "x.txt").write_text("version one")
    # one object per version (folders share one by default, as in lamindb)
    v1 = ln.Artifact(first, key="crash/folder", overwrite_versions=False).save()
    _run_worker("crash-after-move", instance, "crash/folder", "folder")
    assert [r.id for r in ln.Artifact.filter(key="crash/folder")] == [v1.id]
    _assert_every_row_has_its_file()
    v2 = ln.Artifact(_folder(tmp_path), key="crash/folder", overwrite_versions=False).save()
    assert v2.stem_uid == v1.stem_uid and v2.is_latest is True
    path = Path(v2.path)
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt",
    ]
    assert v2.n_files == 2
    _assert_every_row_has_its_file()


def test_crash_while_staging(instance):
    existing = ln.Artifact({"before": 1}, key="crash/before.json").save()
    result = _run_worker("crash-while-staging", instance, "crash/staged.parquet")
    assert "staged " in result.stdout
    assert ln.Artifact.filter().count() == 1
    _assert_every_row_has_its_file()
    # nothing half-written under a final name; leftovers only in the staging area
    assert [p.name for p in _final_files(instance)] == [Path(existing.path).name]
    staging = _lamindb(instance) / "_staging"
    assert all(p.is_relative_to(staging) for p in _lamindb(instance).rglob("*.parquet"))
    artifact = ln.Artifact(_sample(), key="crash/staged.parquet").save()
    pd.testing.assert_frame_equal(artifact.load(), _sample())
    assert hash_file(artifact.path).hash == artifact.hash
    _assert_every_row_has_its_file()


def test_crash_after_move_of_a_new_folder_version_on_s3(s3_instance, s3_server, tmp_path):
    """On S3 the leftover objects must not end up inside the next version's folder."""
    import boto3

    first = tmp_path / "first"
    first.mkdir()
    (first / "x.txt").write_text("version one")
    # one object per version (folders share one by default, as in lamindb)
    v1 = ln.Artifact(first, key="crash/s3-folder", overwrite_versions=False).save()
    _run_worker("crash-after-move", s3_instance, "crash/s3-folder", "folder")
    assert [r.id for r in ln.Artifact.filter(key="crash/s3-folder")] == [v1.id]
    second = tmp_path / "second"
    second.mkdir()
    (second / "only.txt").write_text("version two")
    v2 = ln.Artifact(second, key="crash/s3-folder", overwrite_versions=False).save()
    assert v2.stem_uid == v1.stem_uid and v2.n_files == 1
    bucket, _, prefix = str(s3_instance.storage).removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    folder = f"{prefix}/.lamindb/{v2.uid}/"
    listed = client.list_objects_v2(Bucket=bucket, Prefix=folder).get("Contents", [])
    assert sorted(item["Key"].removeprefix(folder) for item in listed) == ["only.txt"]
    local = v2.cache()
    assert sorted(p.name for p in local.rglob("*") if p.is_file()) == ["only.txt"]
    assert hash_dir(local).hash == v2.hash
