"""Artifacts are hashed when constructed and return the saved artifact with their content.

lamindb 2.12 (``Artifact.__init__``): the content is hashed at construction, so
``hash`` and ``size`` are set before ``save()``; if an artifact with that hash exists
(on any branch) the constructor returns it ("returning existing artifact with same
hash"), restoring it from the trash; ``skip_hash_lookup=True`` skips that.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import logging
from pathlib import Path

import pandas as pd

import lamin_pipes as ln


def _staged(instance) -> list[Path]:
    folder = Path(instance.storage) / ".lamindb" / "_staging"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_hash_and_size_before_save_and_the_content_is_read_once(instance, tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(b"hello registry")
    artifact = ln.Artifact(path, key="data.txt")
    assert artifact.id is None
    assert artifact.size == len(b"hello registry")
    digest = hashlib.md5(b"hello registry").digest()  # lamindb's hash of small files
    assert artifact.hash == base64.urlsafe_b64encode(digest).decode()[:22]
    assert len(_staged(instance)) == 1  # staged once; save() only moves it
    artifact.save()
    assert _staged(instance) == []
    assert artifact.path.read_bytes() == b"hello registry"


def test_the_same_content_returns_the_saved_artifact(instance, caplog):
    df = pd.DataFrame({"a": [1, 2]})
    saved = ln.Artifact.from_dataframe(df, key="a.parquet").save()
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    again = ln.Artifact.from_dataframe(df, key="other.parquet")
    assert again.id == saved.id and again.uid == saved.uid and again.key == "a.parquet"
    assert "returning the existing artifact with the same hash" in caplog.text
    assert _staged(instance) == []  # the second copy is gone at once
    assert again.save() == saved
    assert ln.Artifact.filter().count() == 1
    fresh = ln.Artifact.from_dataframe(df, key="b.parquet", skip_hash_lookup=True)
    assert fresh.id is None and fresh.hash == saved.hash


def test_a_trashed_artifact_with_the_content_is_restored(instance):
    df = pd.DataFrame({"b": [3]})
    saved = ln.Artifact.from_dataframe(df, key="t.parquet").save()
    saved.delete()
    assert ln.Artifact.filter(key="t.parquet").count() == 0
    again = ln.Artifact.from_dataframe(df, key="t.parquet")
    assert again.id == saved.id and again.branch_id == 1
    assert ln.Artifact.get(key="t.parquet").uid == saved.uid


def test_an_artifact_dropped_unsaved_leaves_no_staged_copy(instance):
    artifact = ln.Artifact(pd.DataFrame({"c": [1]}), key="c.parquet")
    assert len(_staged(instance)) == 1
    del artifact
    gc.collect()
    assert _staged(instance) == []


def test_an_unsaved_artifact_loads_and_caches_its_source(instance, tmp_path):
    # lamindb: Artifact(path).load() and .cache() read the local source before save()
    df = pd.DataFrame({"x": [1, 2]})
    csv = tmp_path / "table.csv"
    df.to_csv(csv, index=False)
    from_path = ln.Artifact(csv, key="table.csv")
    assert from_path.cache() == csv and from_path.path == csv
    pd.testing.assert_frame_equal(from_path.load(), df)
    in_memory = ln.Artifact.from_dataframe(df, key="table.parquet")
    assert in_memory.load() is df  # the object it was made from, as lamindb
    pd.testing.assert_frame_equal(pd.read_parquet(in_memory.cache()), df)
    assert in_memory.cache().parent.name == "_staging"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    assert ln.Artifact(folder, key="folder").cache() == folder
    for artifact in (from_path, in_memory):
        artifact.save()
        assert artifact.cache().exists() and artifact.cache() != csv


def test_a_bare_path_needs_a_key_a_description_or_a_run(instance, tmp_path):
    # lamindb: ValueError "Pass one of key, run or description as a parameter"
    path = tmp_path / "bare.txt"
    path.write_text("bare")
    folder = tmp_path / "bare-folder"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    for data in (path, folder, str(path)):
        try:
            ln.Artifact(data)
        except ValueError as error:
            assert "Pass one of key, run or description" in str(error)
        else:
            raise AssertionError(f"{data} was accepted without key, description or run")
    assert ln.Artifact(path, description="a note").description == "a note"
    with ln.flow(key="register"):
        assert ln.Artifact(folder).key is None
    assert ln.Artifact(pd.DataFrame({"d": [1]})).key is None  # in-memory data: allowed


def test_a_key_set_later_is_checked_and_bad_arguments_come_before_the_data(instance):
    # lamindb: "Cannot update an artifact key to None."; '..' segments and a wrong
    # suffix are refused at save; an invalid keyword is reported before the data is read
    artifact = ln.Artifact(pd.DataFrame({"k": [1]}), key="k.parquet").save()
    artifact.key = None
    try:
        artifact.save()
    except ValueError as error:
        assert "to None" in str(error)
    else:
        raise AssertionError("key=None was saved")
    for bad in ("a/../k.parquet", "k.csv"):
        artifact.key = bad
        try:
            artifact.save()
        except ValueError as error:
            assert bad in str(error)
        else:
            raise AssertionError(f"{bad!r} was saved")
    artifact.key = "renamed/k.parquet"
    artifact.save()
    assert ln.Artifact.get(key="renamed/k.parquet") == artifact
    unsaved = ln.Artifact(pd.DataFrame({"k": [2]}), key="two.parquet")
    unsaved.key = "x/./two.parquet"
    try:
        unsaved.save()
    except ValueError as error:
        assert "x/./two.parquet" in str(error)
    else:
        raise AssertionError("a '.' segment was saved")
    try:
        ln.Artifact("/does/not/exist.csv", kye="typo.csv")
    except ln.errors.FieldValidationError as error:
        assert "'kye'" in str(error)
    else:
        raise AssertionError("an unknown keyword was accepted")


def test_from_dir_makes_one_artifact_per_file(instance, tmp_path):
    # lamindb: Artifact.from_dir(dir, key=...) -> one artifact per file, keyed
    # "<key>/<relative path>" (default key: the folder's name); duplicates dropped
    folder = tmp_path / "run_7"
    (folder / "qc").mkdir(parents=True)
    (folder / "counts.csv").write_text("a\n1\n")
    (folder / "qc" / "report.txt").write_text("fine")
    (folder / "qc" / "copy.txt").write_text("fine")  # same content as report.txt
    artifacts = ln.Artifact.from_dir(folder, key="runs/7")
    assert [a.key for a in artifacts] == ["runs/7/counts.csv", "runs/7/qc/copy.txt"]
    assert all(a.id is None for a in artifacts)
    saved = artifacts.save()
    assert all(a.id is not None for a in saved)
    assert ln.Artifact.get(key="runs/7/counts.csv").load()["a"].tolist() == [1]
    assert [a.key for a in ln.Artifact.from_dir(folder)] == [
        "runs/7/counts.csv",
        "runs/7/qc/copy.txt",
    ]
    try:
        ln.Artifact.from_dir(folder / "counts.csv")
    except ValueError as error:
        assert "local folder" in str(error)
    else:
        raise AssertionError("a file was taken for a folder")


def test_a_record_list_of_artifacts_stores_their_content(instance):
    # Bulk INSERTs would have written rows without content; artifacts save one by one.
    artifacts = ln.models.SQLRecordList(
        [ln.Artifact({"i": i}, key=f"list/{i}.json") for i in range(3)]
    )
    artifacts.save()
    assert [a.load() for a in ln.Artifact.filter(key__startswith="list/").order_by("key")] == [
        {"i": 0},
        {"i": 1},
        {"i": 2},
    ]
    assert _staged(instance) == []
