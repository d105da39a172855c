"""Local content that lies in a registered storage location is registered in place.

lamindb 2.12 (``process_pathlike``, ``get_artifact_kwargs_from_data``): a path inside the
default storage or another registered ``Storage`` is not copied; ``key`` is the path
relative to the root and ``_key_is_virtual`` is False (with another ``key`` the key is
virtual and the path is kept in ``_real_key``); it is not looked up by hash; a
permanent delete asks before deleting the data ("Do you ALSO want to delete the data in
storage at ...? (y/n)") and keeps it when answered no or with ``storage=False``.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument


def _root(instance) -> Path:
    return Path(ln.Storage.default().root)


def _write_csv(path: Path, values: list[int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"a": values}).to_csv(path, index=False)
    return path


def _managed(instance) -> list[Path]:
    folder = _root(instance) / ".lamindb"
    return [p for p in folder.iterdir() if not p.name.startswith("_")] if folder.exists() else []


def test_a_file_in_the_default_storage_is_registered_where_it_is(instance):
    """lamindb: key 'raw/data.csv', _key_is_virtual False, path is the original file."""
    path = _write_csv(_root(instance) / "raw" / "data.csv", [1, 2])
    artifact = ln.Artifact(path)
    assert (artifact.key, artifact._key_is_virtual, artifact._real_key) == (
        "raw/data.csv",
        False,
        None,
    )
    assert artifact.storage == ln.Storage.default()
    assert artifact.path == path and artifact.cache() == path
    artifact.save()
    assert artifact.path == path and artifact.cache() == path
    pd.testing.assert_frame_equal(artifact.load(), pd.DataFrame({"a": [1, 2]}))
    assert _managed(instance) == []  # nothing was copied into .lamindb/
    assert ln.Artifact.get(key="raw/data.csv") == artifact


def test_another_key_is_virtual_and_the_path_is_the_real_key(instance):
    """lamindb: key='virtual/other.csv' gives _key_is_virtual True, _real_key 'raw/other.csv'."""
    path = _write_csv(_root(instance) / "raw" / "other.csv", [3])
    artifact = ln.Artifact(path, key="virtual/other.csv").save()
    assert (artifact.key, artifact._key_is_virtual, artifact._real_key) == (
        "virtual/other.csv",
        True,
        "raw/other.csv",
    )
    assert artifact.path == path
    assert ln.Artifact.get(path=path) == artifact
    with pytest.raises(InvalidArgument, match=r"\.csv"):
        ln.Artifact(path, key="virtual/other.parquet")


def test_a_path_in_another_registered_storage(instance, tmp_path):
    """lamindb: check_path_in_existing_storage finds any registered location."""
    other = ln.Storage(root=str(tmp_path / "shared")).save()
    path = _write_csv(tmp_path / "shared" / "cohort" / "t.csv", [4, 5])
    artifact = ln.Artifact(path).save()
    assert artifact.storage == other and artifact.key == "cohort/t.csv"
    assert artifact.path == path and not artifact._key_is_virtual
    outside = _write_csv(tmp_path / "elsewhere" / "t.csv", [6])
    copied = ln.Artifact(outside, key="copied/t.csv").save()
    assert copied._key_is_virtual and copied.storage == ln.Storage.default()
    assert Path(copied.path).parent.name == ".lamindb"


def test_a_folder_in_place_and_a_new_version_at_the_same_path(instance):
    """lamindb: registering the path again after a change gives the family's next version."""
    folder = _root(instance) / "runs" / "r1"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("one")
    v1 = ln.Artifact(folder).save()
    assert (v1.key, v1.n_files, v1.overwrite_versions) == ("runs/r1", 1, True)
    assert v1.path == folder
    (folder / "b.txt").write_text("two")
    v2 = ln.Artifact(folder).save()
    assert v2.stem_uid == v1.stem_uid and v2.version == "0001" and v2.n_files == 2
    assert v2.path == folder and not ln.Artifact.get(v1.uid).is_latest


def test_the_same_content_is_not_looked_up_unless_asked(instance):
    """lamindb: skip_hash_lookup defaults to True for paths in registered storage."""
    saved = ln.Artifact.from_dataframe(pd.DataFrame({"a": [1]}), key="copy.parquet").save()
    path = _root(instance) / "raw" / "same.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(Path(saved.path).read_bytes())
    in_place = ln.Artifact(path)
    assert in_place.id is None and in_place.hash == saved.hash
    assert ln.Artifact(path, skip_hash_lookup=False) == saved


def test_a_permanent_delete_keeps_the_file_unless_confirmed(instance, monkeypatch, caplog):
    """lamindb asks with input(); without a terminal the data stays (lamindb would raise)."""
    path = _write_csv(_root(instance) / "raw" / "keep.csv", [1])
    artifact = ln.Artifact(path).save()
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    artifact.delete(permanent=True)
    assert path.exists() and "pass storage=True" in caplog.text
    assert ln.Artifact.filter(key="raw/keep.csv").count() == 0
    again = ln.Artifact(path).save()
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "y")
    again.delete(permanent=True)
    assert not path.exists() and "ALSO want to delete the data" in asked[0]
    third = ln.Artifact(_write_csv(path, [2])).save()
    third.delete(permanent=True, storage=False)
    assert path.exists()
    fourth = ln.Artifact(path).save()
    fourth.delete(permanent=True, storage=True)
    assert not path.exists()


def test_paths_of_managed_content_and_key_changes_are_refused(instance):
    """lamindb: "Do not pass path inside the `.lamindb/` directory for non-s3/gs paths"."""
    managed = ln.Artifact({"x": 1}, key="m.json").save()
    with pytest.raises(InvalidArgument, match=r"\.lamindb/"):
        ln.Artifact(managed.path, key="again.json")
    path = _write_csv(_root(instance) / "raw" / "fixed.csv", [1])
    artifact = ln.Artifact(path).save()
    artifact.key = "moved/fixed.csv"
    with pytest.raises(InvalidArgument, match="registered in place"):
        artifact.save()
    with pytest.raises(InvalidArgument, match="registered in place"):
        ln.Artifact.get(artifact.id).replace(pd.DataFrame({"a": [2]}))
    with pytest.raises(InvalidArgument, match="does not exist"):
        ln.Artifact(_root(instance) / "raw" / "missing.csv")


def test_a_changed_file_is_detected_when_read(instance):
    """lamin_pipes checks size and hash on reads: in-place content can change under it."""
    path = _write_csv(_root(instance) / "raw" / "changing.csv", [1, 2])
    artifact = ln.Artifact(path).save()
    _write_csv(path, [1, 2, 3, 4])
    with pytest.raises(ln.errors.StorageError, match="corrupt"):
        artifact.load()


def test_from_dir_of_a_folder_in_storage_registers_its_files_in_place(instance):
    """lamindb: from_dir keeps the hierarchy within an existing storage location."""
    folder = _root(instance) / "batch" / "s1"
    _write_csv(folder / "a.csv", [1])
    _write_csv(folder / "qc" / "b.csv", [2])
    artifacts = ln.Artifact.from_dir(folder).save()
    assert [(a.key, a._key_is_virtual) for a in artifacts] == [
        ("batch/s1/a.csv", False),
        ("batch/s1/qc/b.csv", False),
    ]
    assert [a.path for a in artifacts] == [folder / "a.csv", folder / "qc" / "b.csv"]
    assert _managed(instance) == []
