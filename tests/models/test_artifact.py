"""Artifacts: data types, files and folders, dedup, keys, trash, replace, open, runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.core._context import current_run
from lamin_pipes.errors import InvalidArgument, StorageError
from lamin_pipes.models import _tracking
from lamin_pipes.storage import hash_dir, hash_file


@pytest.fixture(autouse=True)
def _no_leftover_run():
    """A failing test must not leave a current run behind for the next one."""
    yield
    if _tracking._tracked is not None:
        _tracking._tracked = None
    current_run.set(None)


# --- helpers ---------------------------------------------------------------------------


def _lamindb_dir(instance: Any) -> Path:
    return Path(instance.storage) / ".lamindb"


def _stored(instance: Any) -> set[str]:
    """Names under ``.lamindb/`` other than the staging folder."""
    folder = _lamindb_dir(instance)
    if not folder.exists():
        return set()
    return {p.name for p in folder.iterdir() if not p.name.startswith("_")}  # _staging, _storages


def _staged(instance: Any) -> list[Path]:
    folder = _lamindb_dir(instance) / "_staging"
    return sorted(folder.iterdir()) if folder.exists() else []


def _expected_path(instance: Any, artifact: Any) -> Path:
    # Folders share one object across versions by default (lamindb): named by the stem.
    name = artifact.stem_uid if artifact.overwrite_versions else artifact.uid
    return (_lamindb_dir(instance) / f"{name}{artifact.suffix}").resolve()


def _df(**columns: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(columns or {"a": [1, 2, 3], "b": ["x", "y", "z"]})


def _adata(n_obs: int = 3, genes: tuple[str, ...] = ("g1", "g2")) -> ad.AnnData:
    x = np.arange(n_obs * len(genes), dtype=np.float32).reshape(n_obs, len(genes))
    obs = pd.DataFrame(
        {"cell_type": [f"t{i % 2}" for i in range(n_obs)]},
        index=[f"c{i}" for i in range(n_obs)],
    )
    return ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=list(genes)))


def _assert_adata_equal(got: Any, expected: ad.AnnData) -> None:
    assert isinstance(got, ad.AnnData)
    np.testing.assert_array_equal(np.asarray(got.X), expected.X)
    assert list(got.obs_names) == list(expected.obs_names)
    assert list(got.var_names) == list(expected.var_names)
    assert list(got.obs["cell_type"]) == list(expected.obs["cell_type"])


def _check_equal(got: Any, expected: Any) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    elif isinstance(expected, ad.AnnData):
        _assert_adata_equal(got, expected)
    elif isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    else:
        assert got == expected


# --- round trips -----------------------------------------------------------------------

_OBJECTS = {
    "dataframe": (lambda: _df(), None, "DataFrame", ".parquet", 3),
    "dataframe-csv": (lambda: _df(), ".csv", "DataFrame", ".csv", 3),
    "anndata": (lambda: _adata(4), None, "AnnData", ".h5ad", 4),
    "anndata-zarr": (lambda: _adata(2), ".zarr", "AnnData", ".zarr", 2),
    "ndarray": (lambda: np.arange(12, dtype=np.int64).reshape(4, 3), None, "ndarray", ".npy", 4),
    "dict": (lambda: {"lr": 0.1, "layers": [3, 4], "name": "x"}, None, "dict", ".json", None),
}


@pytest.mark.parametrize("name", list(_OBJECTS))
def test_object_round_trip(instance, name):
    make, fmt, otype, suffix, n_obs = _OBJECTS[name]
    data = make()
    key = f"objects/{name}{suffix}"
    artifact = ln.Artifact(data, key=key, description=f"a {name}", format=fmt)
    assert artifact.id is None
    assert (artifact.otype, artifact.suffix, artifact.n_observations) == (otype, suffix, n_obs)
    assert artifact.save() is artifact
    assert artifact.id is not None
    assert len(artifact.uid) == 20 and artifact.uid.endswith("0000")
    assert artifact.key == key and artifact.description == f"a {name}"
    assert (artifact.otype, artifact.suffix, artifact.n_observations) == (otype, suffix, n_obs)
    assert artifact.storage == ln.Storage.default()
    assert artifact.is_latest is True and artifact.version == "0000"
    assert artifact.created_by == ln.settings.user
    assert artifact.created_at is not None and artifact.updated_at is not None
    assert artifact.branch_id == 1 and artifact.space_id is not None
    assert artifact.run is None

    path = Path(artifact.path)
    assert path.resolve() == _expected_path(instance, artifact)
    assert path.exists()
    if path.is_dir():
        digest = hash_dir(path)
        assert artifact._hash_type == "md5-d"
        assert artifact.n_files == digest.n_files > 0
    else:
        digest = hash_file(path)
        assert artifact._hash_type == "md5"
        assert artifact.n_files is None
    assert (artifact.size, artifact.hash) == (digest.size, digest.hash)
    assert _stored(instance) == {path.name}
    assert _staged(instance) == []

    _check_equal(artifact.load(), data)
    reloaded = ln.Artifact.get(artifact.id)
    assert reloaded.uid == artifact.uid
    for field in ("key", "suffix", "otype", "size", "hash", "_hash_type", "n_observations"):
        assert getattr(reloaded, field) == getattr(artifact, field), field
    _check_equal(reloaded.load(), data)
    assert ln.Artifact.get(artifact.uid) == artifact
    assert reloaded.cache() == path


def test_artifact_without_key(instance):
    artifact = ln.Artifact({"k": 1}).save()
    assert artifact.key is None
    assert Path(artifact.path).resolve() == _expected_path(instance, artifact)
    assert artifact.load() == {"k": 1}


def test_from_dataframe_and_from_anndata(instance, tmp_path):
    df = _df()
    artifact = ln.Artifact.from_dataframe(df, key="df/table.parquet", description="d").save()
    assert (artifact.kind, artifact.otype, artifact.suffix) == ("dataset", "DataFrame", ".parquet")
    pd.testing.assert_frame_equal(artifact.load(), df)
    with pytest.raises(InvalidArgument, match="DataFrame"):
        ln.Artifact.from_dataframe({"not": "a frame"})

    adata = _adata(5)
    from_obj = ln.Artifact.from_anndata(adata, key="ad/obj.h5ad").save()
    assert (from_obj.kind, from_obj.otype, from_obj.suffix) == ("dataset", "AnnData", ".h5ad")
    assert from_obj.n_observations == 5
    _assert_adata_equal(from_obj.load(), adata)

    file = tmp_path / "on_disk.h5ad"
    _adata(6).write_h5ad(file)
    from_file = ln.Artifact.from_anndata(file, key="ad/file.h5ad").save()
    assert (from_file.otype, from_file.suffix) == ("AnnData", ".h5ad")
    assert ln.Artifact.get(from_file.id).otype == "AnnData"
    _assert_adata_equal(from_file.load(), _adata(6))
    with pytest.raises(InvalidArgument, match="AnnData"):
        ln.Artifact.from_anndata(_df())


def test_bad_data_is_refused(instance, tmp_path):
    with pytest.raises(InvalidArgument, match="needs data"):
        ln.Artifact(None)
    with pytest.raises(InvalidArgument, match="does not exist"):
        ln.Artifact(tmp_path / "missing.csv")
    with pytest.raises(InvalidArgument):
        ln.Artifact(object())
    assert ln.Artifact.filter().count() == 0


# --- files and folders -------------------------------------------------------------------


def test_file_path(instance, tmp_path):
    source = tmp_path / "table.csv"
    source.write_text("a,b\n1,2\n3,4\n")
    artifact = ln.Artifact(source, key="files/table.csv").save()
    assert artifact.suffix == ".csv"
    digest = hash_file(source)
    assert (artifact.size, artifact.hash, artifact._hash_type) == (digest.size, digest.hash, "md5")
    assert artifact.n_files is None
    path = Path(artifact.path)
    assert path.resolve() == _expected_path(instance, artifact)
    assert path.read_bytes() == source.read_bytes()
    assert source.exists()  # copied, not moved
    pd.testing.assert_frame_equal(artifact.load(), pd.DataFrame({"a": [1, 3], "b": [2, 4]}))
    assert artifact.cache().read_bytes() == source.read_bytes()


def test_compressed_and_suffixless_files(instance, tmp_path):
    gz = tmp_path / "reads.fastq.gz"
    gz.write_bytes(b"\x1f\x8b fake gzip")
    artifact = ln.Artifact(gz, key="raw/reads.fastq.gz").save()
    assert artifact.suffix == ".fastq.gz"
    assert Path(artifact.path).name == f"{artifact.uid}.fastq.gz"
    plain = tmp_path / "README"
    plain.write_text("no suffix")
    bare = ln.Artifact(plain, key="docs/README").save()
    assert bare.suffix == ""
    assert Path(bare.path).read_text() == "no suffix"


def test_directory(instance, tmp_path):
    source = tmp_path / "run1"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.txt").write_text("beta")
    (source / "sub" / "c.bin").write_bytes(bytes(range(256)))
    artifact = ln.Artifact(source, key="folders/run1").save()
    expected = hash_dir(source)
    assert artifact.n_files == 3 == expected.n_files
    assert (artifact.hash, artifact.size, artifact._hash_type) == (
        expected.hash,
        expected.size,
        "md5-d",
    )
    assert artifact.suffix == ""
    path = Path(artifact.path)
    assert path.resolve() == _expected_path(instance, artifact)
    assert path.is_dir()
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt",
        "sub/c.bin",
    ]
    assert (path / "sub" / "c.bin").read_bytes() == bytes(range(256))
    assert artifact.cache() == path
    # the same content in another folder is the same artifact
    copy = tmp_path / "copy"
    (copy / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt", "sub/c.bin"):
        (copy / name).write_bytes((source / name).read_bytes())
    assert ln.Artifact(copy, key="folders/copy").save().id == artifact.id
    assert _stored(instance) == {path.name}
    # permanent delete removes the whole folder
    artifact.delete(permanent=True)
    assert not path.exists()
    assert ln.Artifact.filter(id=artifact.id).count() == 0


# --- dedup -------------------------------------------------------------------------------


def test_dedup_returns_existing(instance, caplog):
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    df = _df()
    first = ln.Artifact(df, key="dedup/a.parquet").save()
    caplog.clear()
    second = ln.Artifact(df.copy(), key="dedup/b.parquet", description="again").save()
    assert second.id == first.id
    assert second.uid == first.uid
    assert second.key == "dedup/a.parquet"
    assert any(
        first.uid in record.getMessage() and "existing" in record.getMessage()
        for record in caplog.records
        if record.name == "lamin_pipes"
    ), [r.getMessage() for r in caplog.records]
    assert ln.Artifact.filter().count() == 1
    assert ln.Artifact.filter(key="dedup/b.parquet").count() == 0
    assert _stored(instance) == {Path(first.path).name}
    assert _staged(instance) == []
    assert list(first.recreating_runs.all()) == []  # not saved in a run


def test_dedup_in_a_run_records_recreating_run(instance):
    df = _df()
    with ln.flow(key="producer") as producer:
        original = ln.Artifact(df, key="dedup/run.parquet").save()
        again = ln.Artifact(df, key="dedup/run.parquet").save()  # the producing run
    assert again.id == original.id
    assert list(original.recreating_runs.all()) == []
    with ln.flow(key="rerun") as rerun:
        recreated = ln.Artifact(df, key="dedup/run.parquet").save()
        ln.Artifact(df, key="dedup/run.parquet").save()  # twice: linked once
    assert recreated.id == original.id
    fresh = ln.Artifact.get(original.id)
    assert fresh.run == producer
    assert list(fresh.recreating_runs.all()) == [rerun]
    assert list(rerun.recreated_artifacts.all()) == [fresh]
    assert list(rerun.output_artifacts.all()) == []


def test_skip_hash_lookup(instance):
    df = _df()
    first = ln.Artifact(df, key="skip/a.parquet").save()
    second = ln.Artifact(df, key="skip/b.parquet", skip_hash_lookup=True).save()
    assert second.id != first.id and second.uid != first.uid
    assert second.hash == first.hash
    assert second.key == "skip/b.parquet"
    assert _stored(instance) == {Path(first.path).name, Path(second.path).name}
    pd.testing.assert_frame_equal(second.load(), df)


# --- keys and failed saves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("/abs/table.parquet", "absolute"),
        ("a/../table.parquet", r"'\.\.'"),
        ("../table.parquet", r"'\.\.'"),
        ("a//table.parquet", "empty path segments"),
        ("a/table.parquet/", "empty path segments"),
        ("", "empty"),
        ("a/table.csv", r"must end with '\.parquet'"),
        ("a/table", r"must end with '\.parquet'"),
    ],
)
def test_invalid_keys(instance, key, match):
    with pytest.raises(InvalidArgument, match=match):
        ln.Artifact(_df(), key=key).save()
    assert ln.Artifact.filter().count() == 0
    assert _stored(instance) == set()
    assert _staged(instance) == []


def test_key_suffix_error_suggests_a_valid_key(instance):
    with pytest.raises(InvalidArgument) as info:
        ln.Artifact(_df(), key="a/table.csv")
    assert "a/table.parquet" in str(info.value)


def test_suffix_in_key_without_suffix_in_data(instance, tmp_path):
    plain = tmp_path / "README"
    plain.write_text("text")
    with pytest.raises(InvalidArgument, match="no suffix"):
        ln.Artifact(plain, key="docs/README.csv")
    with pytest.raises(InvalidArgument, match=r"must end with '\.json'"):
        ln.Artifact({"a": 1}, key="config.yaml")


def test_failed_serialization_leaves_nothing(instance):
    # serialized and hashed at construction, as in lamindb: the constructor raises
    with pytest.raises(InvalidArgument, match="JSON"):
        ln.Artifact({"bad": object()}, key="bad/value.json")
    assert ln.Artifact.filter().count() == 0
    assert _stored(instance) == set()
    assert _staged(instance) == []


def test_failed_insert_leaves_no_row_and_no_staged_file(instance):
    first = ln.Artifact(_df(a=[1]), key="tags/t.parquet", version="v1").save()
    clash = ln.Artifact(_df(a=[2]), key="tags/t.parquet", version="v1")
    with pytest.raises(InvalidArgument, match="v1"):
        clash.save()
    assert clash.id is None
    assert ln.Artifact.filter().count() == 1
    assert ln.Artifact.get(first.id).is_latest is True
    assert _stored(instance) == {Path(first.path).name}
    assert _staged(instance) == []
    # the database and the family stay usable
    nxt = ln.Artifact(_df(a=[2]), key="tags/t.parquet", version="v2").save()
    assert nxt.stem_uid == first.stem_uid and nxt.version == "v2"


# --- trash, restore, permanent delete ----------------------------------------------------


def test_trash_and_restore(instance):
    artifact = ln.Artifact(_df(), key="trash/t.parquet").save()
    path = Path(artifact.path)
    artifact.delete()
    assert artifact.branch_id == -1
    assert ln.Artifact.filter().count() == 0
    assert [a.id for a in ln.Artifact.filter(branch_id=-1)] == [artifact.id]
    assert path.exists()  # the trash keeps the content
    artifact.restore()
    assert artifact.branch_id == 1
    assert [a.id for a in ln.Artifact.filter()] == [artifact.id]
    restored = ln.Artifact.get(artifact.id)
    assert restored.branch_id == 1 and restored.is_latest is True
    pd.testing.assert_frame_equal(restored.load(), _df())


def test_permanent_delete(instance):
    artifact = ln.Artifact(_df(), key="perm/t.parquet").save()
    path = Path(artifact.path)
    artifact.delete(permanent=True)
    assert not path.exists()
    assert ln.Artifact.filter(id=artifact.id).count() == 0
    assert ln.Artifact.filter(branch_id=-1).count() == 0
    assert _stored(instance) == set()
    # saving the same content again creates a fresh artifact
    again = ln.Artifact(_df(), key="perm/t.parquet").save()
    assert again.uid != artifact.uid and Path(again.path).exists()
    assert ln.Artifact.filter().count() == 1


def test_deleting_from_trash_is_permanent(instance):
    artifact = ln.Artifact({"x": 1}, key="perm/x.json").save()
    path = Path(artifact.path)
    artifact.delete()
    assert path.exists()
    artifact.delete()  # already in the trash: gone for good
    assert not path.exists()
    assert ln.Artifact.filter(branch_id=-1).count() == 0
    assert ln.Artifact.filter().count() == 0


# --- replace -------------------------------------------------------------------------------


def test_replace_creates_a_new_version(instance):
    df1, df2 = _df(a=[1, 2]), _df(a=[3, 4, 5])
    artifact = ln.Artifact(df1, key="replace/t.parquet").save()
    old_id, old_uid, old_path = artifact.id, artifact.uid, Path(artifact.path)
    artifact.replace(df2)
    artifact.save()
    assert artifact.id != old_id
    assert artifact.stem_uid == old_uid[:16]
    assert artifact.uid.endswith("0001") and artifact.version == "0001"
    assert artifact.is_latest is True
    assert artifact.key == "replace/t.parquet"
    assert artifact.n_observations == 3
    pd.testing.assert_frame_equal(artifact.load(), df2)
    old = ln.Artifact.get(old_id)
    assert old.uid == old_uid and old.is_latest is False
    assert Path(old.path) == old_path and old_path.exists()
    pd.testing.assert_frame_equal(old.load(), df1)
    assert [a.uid for a in artifact.versions] == [old_uid, artifact.uid]
    assert ln.Artifact.get(artifact.stem_uid).id == artifact.id


def test_replace_checks_format(instance):
    artifact = ln.Artifact(_df(), key="replace/f.parquet").save()
    with pytest.raises(InvalidArgument, match=r"\.json"):
        artifact.replace({"not": "a frame"})
    assert "_lp_source" not in artifact.__dict__  # nothing pending after the refusal
    with pytest.raises(InvalidArgument, match="csv"):
        artifact.replace(_df(a=[9]), format=".csv")
    with pytest.raises(InvalidArgument):
        ln.Artifact(_df(a=[5]), key="replace/unsaved.parquet").replace(_df(a=[9]))


# --- LazyArtifact ----------------------------------------------------------------------------


def test_lazy_artifact(instance):
    lazy = ln.Artifact.from_lazy(".parquet", overwrite_versions=False, key="lazy/t.parquet")
    assert isinstance(lazy, ln.models.LazyArtifact)
    with pytest.raises(InvalidArgument, match="write"):
        lazy.save()
    staged = Path(lazy.path)
    assert staged.suffix == ".parquet"
    df = _df()
    df.to_parquet(staged)
    expected = hash_file(staged)
    artifact = lazy.save()
    assert isinstance(artifact, ln.Artifact) and artifact.id is not None
    assert artifact.key == "lazy/t.parquet" and artifact.suffix == ".parquet"
    assert (artifact.hash, artifact.size) == (expected.hash, expected.size)
    assert Path(artifact.path).resolve() == _expected_path(instance, artifact)
    assert not staged.exists()  # the written file was moved into place
    pd.testing.assert_frame_equal(artifact.load(), df)
    assert _staged(instance) == []


def test_lazy_artifact_folder(instance):
    lazy = ln.Artifact.from_lazy(".zarr", overwrite_versions=False, key="lazy/store.zarr")
    adata = _adata(3)
    adata.write_zarr(lazy.path)
    artifact = lazy.save()
    assert artifact.suffix == ".zarr" and artifact.n_files and artifact.n_files > 1
    assert artifact.hash == hash_dir(artifact.path).hash
    _assert_adata_equal(artifact.load(), adata)


def test_lazy_artifacts_that_overwrite_versions(instance):
    def write(value: int) -> Any:
        lazy = ln.Artifact.from_lazy(".parquet", overwrite_versions=True, key="ow/t.parquet")
        _df(a=[value]).to_parquet(lazy.path)
        return lazy.save()

    v1 = write(1)
    v2 = write(2)
    assert v2.stem_uid == v1.stem_uid and v2.version == "0001" and v2.is_latest is True
    assert v1.overwrite_versions is True and v2.overwrite_versions is True
    assert Path(v1.path) == Path(v2.path)  # one shared location per family
    assert Path(v2.path).name == f"{v2.stem_uid}.parquet"
    pd.testing.assert_frame_equal(v2.load(), _df(a=[2]))
    assert _stored(instance) == {Path(v2.path).name}
    v1.delete(permanent=True)  # the shared content stays for the other version
    assert Path(v2.path).exists()
    pd.testing.assert_frame_equal(v2.load(), _df(a=[2]))
    v2.delete(permanent=True)  # the last version takes it along
    assert _stored(instance) == set()


def test_lazy_artifact_bad_arguments(instance):
    with pytest.raises(InvalidArgument, match="suffix"):
        ln.Artifact.from_lazy("parquet", overwrite_versions=False)
    with pytest.raises(InvalidArgument, match="suffix"):
        ln.Artifact.from_lazy(".parquet", overwrite_versions=False, key="lazy/t.csv")


# --- open -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [None, ".csv"])
def test_open_pyarrow_and_polars(instance, fmt):
    import polars as pl
    import pyarrow.dataset as pads

    df = _df()
    suffix = fmt or ".parquet"
    artifact = ln.Artifact(df, key=f"open/t{suffix}", format=fmt).save()
    dataset = artifact.open()
    assert isinstance(dataset, pads.Dataset)
    pd.testing.assert_frame_equal(dataset.to_table().to_pandas(), df)
    lazy = artifact.open(engine="polars")
    assert isinstance(lazy, pl.LazyFrame)
    collected = lazy.collect()
    assert collected.shape == (3, 2)
    assert collected["a"].to_list() == [1, 2, 3]
    with pytest.raises(InvalidArgument, match="mode"):
        artifact.open(mode="w")


def test_open_unsupported_suffix(instance):
    artifact = ln.Artifact({"a": 1}, key="open/x.json").save()
    with pytest.raises(InvalidArgument, match=r"\.json"):
        artifact.open()


def test_open_anndata_backed(instance):
    adata = _adata(4)
    artifact = ln.Artifact(adata, key="open/a.h5ad").save()
    backed = artifact.open()
    try:
        assert isinstance(backed, ad.AnnData)
        assert backed.isbacked
        assert backed.shape == (4, 2)
        np.testing.assert_array_equal(np.asarray(backed.X[:]), adata.X)
        assert list(backed.obs["cell_type"]) == list(adata.obs["cell_type"])
    finally:
        backed.file.close()


# --- runs ---------------------------------------------------------------------------------------


def test_run_outputs_and_inputs(instance):
    with ln.flow(key="producer") as producer:
        artifact = ln.Artifact(_df(), key="runs/out.parquet").save()
        artifact.load()  # a run's own output is not its input
    assert artifact.run == producer
    assert artifact.run.transform.key == "producer"
    assert artifact.transform == producer.transform
    assert [a.id for a in producer.output_artifacts.all()] == [artifact.id]
    assert list(producer.input_artifacts.all()) == []

    artifact.load()  # outside a run: nothing recorded
    assert list(artifact.input_of_runs.all()) == []

    with ln.flow(key="loader") as loader:
        artifact.load()
        artifact.load()
    with ln.flow(key="cacher") as cacher:
        artifact.cache()
    with ln.flow(key="opener") as opener:
        artifact.open()
    with ln.flow(key="opted-out") as opted_out:
        artifact.load(is_run_input=False)
    inputs = {r.id for r in ln.Artifact.get(artifact.id).input_of_runs.all()}
    assert inputs == {loader.id, cacher.id, opener.id}
    assert [a.id for a in loader.input_artifacts.all()] == [artifact.id]
    assert list(opted_out.input_artifacts.all()) == []
    with pytest.raises(InvalidArgument, match="no run"):
        artifact.load(is_run_input=True)


def test_explicit_run_argument(instance):
    transform = ln.Transform(key="manual", kind="function").save()
    run = ln.Run(transform=transform).save()
    artifact = ln.Artifact({"a": 1}, key="runs/manual.json", run=run).save()
    assert ln.Artifact.get(artifact.id).run == run
    with pytest.raises(InvalidArgument, match="run"):
        ln.Artifact({"a": 2}, run="not a run")


def test_track_records_outputs(instance):
    run = ln.track(key="script.py")
    artifact = ln.Artifact({"lr": 0.1}, key="runs/params.json").save()
    ln.finish()
    assert ln.Artifact.get(artifact.id).run == run
    assert artifact.run.transform.key == "script.py"


# --- ArtifactSet ---------------------------------------------------------------------------------


def test_artifact_set_load_dataframes(instance):
    ln.Artifact(pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0]}), key="set/0.parquet").save()
    ln.Artifact(pd.DataFrame({"a": [3], "c": ["x"]}), key="set/1.parquet").save()
    ln.Artifact(pd.DataFrame({"a": [4, 5, 6]}), key="set/2.parquet").save()
    ln.Artifact({"other": 1}, key="elsewhere.json").save()
    artifacts = ln.Artifact.filter(key__startswith="set/").order_by("key")
    with ln.flow(key="set-reader") as run:
        outer = artifacts.load(join="outer")
    assert run.input_artifacts.count() == 3
    assert len(outer) == 6
    assert set(outer.columns) == {"a", "b", "c"}
    assert outer["a"].tolist() == [1, 2, 3, 4, 5, 6]
    assert outer["b"].isna().sum() == 4
    inner = artifacts.load(join="inner")
    assert list(inner.columns) == ["a"]
    assert inner["a"].tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(InvalidArgument, match="empty"):
        ln.Artifact.filter(key="nothing").load()


def test_artifact_set_load_anndata(instance):
    a = _adata(2, ("g1", "g2"))
    b = _adata(3, ("g2", "g3"))
    b.obs_names = [f"b{i}" for i in range(3)]
    ln.Artifact(a, key="ad-set/a.h5ad").save()
    ln.Artifact(b, key="ad-set/b.h5ad").save()
    artifacts = ln.Artifact.filter(key__startswith="ad-set/").order_by("key")
    outer = artifacts.load(join="outer")
    assert isinstance(outer, ad.AnnData)
    assert outer.n_obs == 5
    assert set(outer.var_names) == {"g1", "g2", "g3"}
    inner = artifacts.load(join="inner")
    assert list(inner.var_names) == ["g2"]


@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_artifact_set_open(instance, engine):
    for i in range(3):
        ln.Artifact(pd.DataFrame({"x": [i, i + 10]}), key=f"shards/{i}.parquet").save()
    with ln.flow(key="reader") as run:
        opened = ln.Artifact.filter(key__startswith="shards/").order_by("key").open(engine=engine)
    if engine == "pyarrow":
        values = opened.to_table().column("x").to_pylist()
    else:
        values = opened.collect()["x"].to_list()
    assert sorted(values) == [0, 1, 2, 10, 11, 12]
    assert run.input_artifacts.count() == 3


def test_artifact_set_open_refuses_mixed_formats(instance):
    ln.Artifact(_df(), key="mixed/a.parquet").save()
    ln.Artifact(_df(a=[7]), key="mixed/b.csv", format=".csv").save()
    with pytest.raises(InvalidArgument, match="one format"):
        ln.Artifact.filter(key__startswith="mixed/").open()


# --- integrity ---------------------------------------------------------------------------------


def test_corruption_is_detected(instance):
    artifact = ln.Artifact(_df(), key="corrupt/t.parquet").save()
    path = Path(artifact.path)
    content = path.read_bytes()
    tampered = bytearray(content)
    middle = len(tampered) // 2
    tampered[middle] = (tampered[middle] + 1) % 256
    path.write_bytes(bytes(tampered))
    assert path.stat().st_size == artifact.size
    fresh = ln.Artifact.get(artifact.id)
    # A stored object that differs from its record raises StorageError, locally as in
    # the S3 cache.
    corrupt = StorageError
    with pytest.raises(corrupt, match="corrupt"):
        fresh.load()
    with pytest.raises(corrupt):
        fresh.cache()
    with pytest.raises(corrupt):
        fresh.open()
    path.write_bytes(content + b"x")  # a different size is caught too
    with pytest.raises(corrupt):
        fresh.load()
    path.write_bytes(content)
    pd.testing.assert_frame_equal(fresh.load(), _df())


def test_missing_content_raises(instance):
    artifact = ln.Artifact({"a": 1}, key="missing/x.json").save()
    Path(artifact.path).unlink()
    with pytest.raises(FileNotFoundError, match=artifact.uid):
        artifact.load()


# --- describe ------------------------------------------------------------------------------------


def test_describe(instance, capsys):
    artifact = ln.Artifact(_df(), key="describe/t.parquet", description="my table").save()
    text = artifact.describe(return_str=True)
    assert isinstance(text, str)
    assert "describe/t.parquet" in text
    assert artifact.uid in text
    assert artifact.describe() is None
    printed = capsys.readouterr().out
    assert "describe/t.parquet" in printed and artifact.uid in printed


def test_input_recorded_after_an_id_is_reused(instance):
    """SQLite may hand a deleted row's id to a new artifact: it must still be linked."""
    other = ln.Run(transform=ln.Transform(key="elsewhere", kind="function").save()).save()
    first = ln.Artifact({"a": 1}, key="reuse/a.json", run=other).save()
    with ln.flow(key="consumer") as run:
        first.load()
        first.delete(permanent=True)
        second = ln.Artifact({"b": 2}, key="reuse/b.json", run=other).save()
        second.load()
    assert [r.id for r in ln.Artifact.get(second.id).input_of_runs.all()] == [run.id]
    assert [a.uid for a in run.input_artifacts.all()] == [second.uid]


def test_a_failed_save_can_be_retried_and_never_writes_a_bare_row(instance):
    ln.Artifact({"v": 1}, key="retry/a.json", version="1.0").save()
    artifact = ln.Artifact({"v": 2}, key="retry/a.json", version="1.0")
    with pytest.raises(InvalidArgument, match="already exists"):
        artifact.save()
    assert artifact.id is None
    artifact.version_tag = "2.0"
    artifact.save()  # the whole save again: content staged, hashed, moved into place
    assert artifact.id is not None and artifact.hash is not None
    assert ln.Artifact.get(artifact.id).load() == {"v": 2}
    assert ln.Artifact.filter(key="retry/a.json").count() == 2


def test_a_failed_replace_can_be_retried(instance):
    first = ln.Artifact({"v": 1}, key="retry/r.json", version="a").save()
    current = ln.Artifact({"v": 2}, key="retry/r.json", version="b").save()
    uid, row_id = current.uid, current.id
    current.replace({"v": 3})
    current.version_tag = "a"  # taken by the first version: the save fails
    with pytest.raises(InvalidArgument, match="already exists"):
        current.save()
    assert current.id is None  # still the unsaved next version of the family
    previous = ln.Artifact.get(uid)
    assert (previous.id, previous.version_tag, previous.is_latest) == (row_id, "b", True)
    assert previous.load() == {"v": 2}
    current.version_tag = "c"
    current.save()  # the pending replacement is saved on retry
    assert current.id != row_id and current.version == "c" and current.stem_uid == first.stem_uid
    assert current.load() == {"v": 3}
    assert first.versions.count() == 3


def test_a_failed_lazy_save_keeps_what_was_written(instance):
    ln.Artifact({"v": 1}, key="retry/lazy.json", version="x").save()
    lazy = ln.Artifact.from_lazy(
        ".json", overwrite_versions=False, key="retry/lazy.json", version="x"
    )
    lazy.path.write_text('{"v": 2}')
    with pytest.raises(InvalidArgument, match="already exists"):
        lazy.save()
    assert lazy.path.read_text() == '{"v": 2}'


def test_a_file_verified_once_is_checked_again_after_any_change(instance):
    # Reads remember a verified file by inode, size and times, not to hash it each time.
    artifact = ln.Artifact(_df(), key="verified/t.parquet").save()
    pd.testing.assert_frame_equal(artifact.load(), _df())
    path = Path(artifact.path)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF

    path.write_bytes(bytes(content))  # the same size, written in place

    with pytest.raises(StorageError, match="corrupt"):
        ln.Artifact.get(artifact.id).load()
