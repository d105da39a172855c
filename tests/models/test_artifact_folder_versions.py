"""Folders overwrite versions by default; a key's family needs a latest version.

lamindb 2.12 (``get_artifact_kwargs_from_data``): ``overwrite_versions`` defaults to True
for folders ("True for folder, False for file"): the versions of a folder family share
one stored folder, ``.lamindb/{stem_uid}{suffix}``, so an earlier version's content is
gone once a new version is saved (lamindb: "Cannot read this outdated artifact
version"). ``get_stat_or_artifact``: constructing an artifact with a key whose
non-trashed versions exist but none is latest raises ``lamindb.errors.IntegrityError``
("Cannot create a new artifact version: matching non-trashed artifacts exist for key
... but none has `is_latest=True`."); trashed versions do not count (a new family).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import IntegrityError, StorageError


def _folder(base: Path, name: str, files: dict[str, str]) -> Path:
    folder = base / name
    folder.mkdir(parents=True)
    for relative, text in files.items():
        (folder / relative).write_text(text)
    return folder


def test_folders_share_one_object_files_do_not(instance, tmp_path):
    v1 = ln.Artifact(_folder(tmp_path, "one", {"a.txt": "1"}), key="runs/out").save()
    assert v1.overwrite_versions is True and v1._overwrite_versions is True
    assert Path(v1.path).name == v1.stem_uid  # lamindb: .lamindb/{stem_uid}{suffix}
    v2 = ln.Artifact(_folder(tmp_path, "two", {"b.txt": "2"}), key="runs/out").save()
    assert v2.stem_uid == v1.stem_uid and v2.path == v1.path
    assert sorted(p.name for p in Path(v2.path).iterdir()) == ["b.txt"]
    with pytest.raises(StorageError, match="no longer stored"):
        ln.Artifact.get(v1.uid).cache()
    file = ln.Artifact.from_dataframe(pd.DataFrame({"x": [1]}), key="runs/t.parquet").save()
    assert file.overwrite_versions is False and Path(file.path).stem == file.uid


def test_an_explicit_choice_wins(instance, tmp_path):
    kept = ln.Artifact(
        _folder(tmp_path, "kept", {"a.txt": "k"}), key="runs/kept", overwrite_versions=False
    ).save()
    assert kept.overwrite_versions is False and Path(kept.path).name == kept.uid
    shared = ln.Artifact({"a": 1}, key="runs/shared.json", overwrite_versions=True).save()
    assert Path(shared.path).stem == shared.stem_uid


def test_a_key_without_a_latest_version_is_refused(instance):
    """lamindb: IntegrityError when the key's versions exist and none is latest."""
    first = ln.Artifact({"v": 1}, key="family/a.json").save()
    assert ln.Artifact.filter(id=first.id).update(is_latest=False) == 1
    with pytest.raises(IntegrityError, match="none has `is_latest=True`") as error:
        ln.Artifact({"v": 2}, key="family/a.json")
    assert "'family/a.json'" in str(error.value)
    revised = ln.Artifact({"v": 2}, key="family/a.json", revises=first).save()
    assert revised.stem_uid == first.stem_uid and revised.is_latest


def test_a_key_whose_versions_are_all_trashed_starts_a_new_family(instance):
    """lamindb: the lookup excludes the trash, so a new family starts."""
    old = ln.Artifact({"v": 1}, key="family/b.json").save()
    old.delete()
    new = ln.Artifact({"v": 2}, key="family/b.json").save()
    assert new.stem_uid != old.stem_uid and new.is_latest
