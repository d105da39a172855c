"""Artifacts in S3 storage (a moto server): save, load, cache, dedup, versions, delete, open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anndata as ad
import boto3
import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, StorageError
from lamin_pipes.storage import S3Store, hash_dir, hash_file


@pytest.fixture
def bucket(s3_root: str, s3_server: str) -> tuple[Any, str, str]:
    """(boto3 client, bucket, prefix) of ``s3_root``."""
    name, _, prefix = s3_root.removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    return client, name, prefix


def _object_key(bucket: tuple[Any, str, str], artifact: Any) -> str:
    return f"{bucket[2]}/.lamindb/{artifact.uid}{artifact.suffix}"


def _objects(bucket: tuple[Any, str, str], under: str = ".lamindb/") -> list[str]:
    client, name, prefix = bucket
    response = client.list_objects_v2(Bucket=name, Prefix=f"{prefix}/{under}")
    return sorted(item["Key"] for item in response.get("Contents", []))


def _stored(bucket: tuple[Any, str, str]) -> list[str]:
    # not the internal _staging/ and _storages/ folders
    return [k for k in _objects(bucket) if "/.lamindb/_" not in k]


def _exists(bucket: tuple[Any, str, str], key: str) -> bool:
    client, name, _ = bucket
    try:
        client.head_object(Bucket=name, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
    return True


def _cache_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "cache"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _df(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"a": list(range(n)), "b": [f"s{i}" for i in range(n)]})


def test_save_and_load_dataframe(s3_instance, s3_root, bucket, tmp_path):
    df = _df()
    artifact = ln.Artifact(df, key="s3/table.parquet").save()
    storage = artifact.storage
    assert (storage.type, storage.root) == ("s3", s3_root)
    path = artifact.path
    assert str(path) == f"{s3_root}/.lamindb/{artifact.uid}.parquet"
    assert path.exists() and path.suffix == ".parquet"
    assert len(path.read_bytes()) == artifact.size
    key = _object_key(bucket, artifact)
    assert _stored(bucket) == [key]
    assert _objects(bucket, ".lamindb/_staging/") == []
    client, name, _ = bucket
    body = client.get_object(Bucket=name, Key=key)["Body"].read()
    assert len(body) == artifact.size
    assert artifact._hash_type == "md5" and artifact.n_observations == 3
    pd.testing.assert_frame_equal(artifact.load(), df)
    pd.testing.assert_frame_equal(ln.Artifact.get(artifact.id).load(), df)


def test_cache_downloads_once(s3_instance, bucket, tmp_path, monkeypatch):
    artifact = ln.Artifact(_df(), key="s3/cached.parquet").save()
    downloads: list[str] = []
    real_download = S3Store.download

    def counting_download(self: S3Store, key: str, dest: Any) -> Path:
        downloads.append(key)
        return real_download(self, key, dest)

    monkeypatch.setattr(S3Store, "download", counting_download)
    path = artifact.cache()
    assert path.is_relative_to(tmp_path / "cache")
    assert path.name == f"{artifact.uid}.parquet"
    assert hash_file(path).hash == artifact.hash
    assert downloads == [f".lamindb/{artifact.uid}.parquet"]
    assert artifact.cache() == path
    pd.testing.assert_frame_equal(artifact.load(), _df())
    pd.testing.assert_frame_equal(ln.Artifact.get(artifact.id).load(), _df())
    assert len(downloads) == 1
    assert _cache_files(tmp_path) == [path]
    path.unlink()  # a missing cache copy is fetched again
    assert artifact.cache() == path and path.exists()
    assert len(downloads) == 2


def test_dedup(s3_instance, bucket):
    first = ln.Artifact(_df(), key="s3/a.parquet").save()
    second = ln.Artifact(_df(), key="s3/b.parquet").save()
    assert second.id == first.id and second.key == "s3/a.parquet"
    assert _stored(bucket) == [_object_key(bucket, first)]
    assert _objects(bucket, ".lamindb/_staging/") == []
    forced = ln.Artifact(_df(), key="s3/c.parquet", skip_hash_lookup=True).save()
    assert forced.id != first.id
    assert _stored(bucket) == sorted([_object_key(bucket, first), _object_key(bucket, forced)])


def test_versions(s3_instance, bucket):
    v1 = ln.Artifact(_df(2), key="s3/v.parquet").save()
    v2 = ln.Artifact(_df(4), key="s3/v.parquet").save()
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001") and v2.version == "0001"
    assert ln.Artifact.get(v1.id).is_latest is False and v2.is_latest is True
    assert ln.Artifact.get(v1.stem_uid).id == v2.id
    assert _stored(bucket) == sorted([_object_key(bucket, v1), _object_key(bucket, v2)])
    pd.testing.assert_frame_equal(ln.Artifact.get(v1.id).load(), _df(2))
    pd.testing.assert_frame_equal(v2.load(), _df(4))


def test_permanent_delete_removes_the_object(s3_instance, bucket, tmp_path):
    artifact = ln.Artifact(_df(), key="s3/gone.parquet").save()
    key = _object_key(bucket, artifact)
    cached = artifact.cache()
    artifact.delete()  # trash: the object stays
    assert _exists(bucket, key)
    artifact.restore()
    artifact.delete(permanent=True)
    assert not _exists(bucket, key)
    assert _stored(bucket) == []
    assert ln.Artifact.filter(id=artifact.id).count() == 0
    assert not cached.exists()


def test_open_streams_from_s3(s3_instance, tmp_path):
    import polars as pl
    import pyarrow.dataset as pads

    df = _df(5)
    artifact = ln.Artifact(df, key="s3/stream.parquet").save()
    dataset = artifact.open()
    assert isinstance(dataset, pads.Dataset)
    pd.testing.assert_frame_equal(dataset.to_table().to_pandas(), df)
    lazy = artifact.open(engine="polars")
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect()["a"].to_list() == [0, 1, 2, 3, 4]
    assert _cache_files(tmp_path) == []  # streamed, not downloaded
    second = ln.Artifact(_df(2), key="s3/stream2.parquet").save()
    opened = ln.Artifact.filter(id__in=[artifact.id, second.id]).open()
    assert opened.to_table().num_rows == 7
    assert _cache_files(tmp_path) == []


def test_folder_and_anndata(s3_instance, bucket, tmp_path):
    source = tmp_path / "folder"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.txt").write_text("beta")
    folder = ln.Artifact(source, key="s3/folder").save()
    expected = hash_dir(source)
    assert (folder.n_files, folder.hash, folder._hash_type) == (2, expected.hash, "md5-d")
    # a folder's versions share one object, named by the stem uid (lamindb's default)
    assert folder.overwrite_versions
    prefix = f"{bucket[2]}/.lamindb/{folder.stem_uid}"
    assert [k for k in _stored(bucket) if k.startswith(prefix)] == [
        f"{prefix}/a.txt",
        f"{prefix}/sub/b.txt",
    ]
    local = folder.cache()
    assert (local / "sub" / "b.txt").read_text() == "beta"
    adata = ad.AnnData(X=np.eye(3, dtype=np.float32))
    artifact = ln.Artifact(adata, key="s3/eye.h5ad").save()
    np.testing.assert_array_equal(artifact.load().X, adata.X)
    backed = artifact.open()
    try:
        assert backed.isbacked
        np.testing.assert_array_equal(np.asarray(backed.X[:]), adata.X)
    finally:
        backed.file.close()
    folder.delete(permanent=True)
    assert [k for k in _stored(bucket) if k.startswith(prefix)] == []


def test_corrupt_object_is_detected(s3_instance, bucket):
    artifact = ln.Artifact(_df(), key="s3/corrupt.parquet").save()
    client, name, _ = bucket
    key = _object_key(bucket, artifact)
    body = bytearray(client.get_object(Bucket=name, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    client.put_object(Bucket=name, Key=key, Body=bytes(body))
    with pytest.raises(StorageError):
        ln.Artifact.get(artifact.id).load()


def test_failed_save_leaves_no_staged_object(s3_instance, bucket):
    first = ln.Artifact(_df(1), key="s3/tagged.parquet", version="1.0").save()
    clash = ln.Artifact(_df(2), key="s3/tagged.parquet", version="1.0")
    with pytest.raises(InvalidArgument, match=r"1\.0"):
        clash.save()
    assert clash.id is None
    assert ln.Artifact.filter().count() == 1
    assert _stored(bucket) == [_object_key(bucket, first)]
    assert _objects(bucket, ".lamindb/_staging/") == []


@pytest.mark.parametrize("fmt", ["zarr", ".zarr"])
def test_anndata_as_zarr_folder_on_s3(s3_instance, fmt):
    adata = ad.AnnData(
        X=np.arange(6, dtype="float32").reshape(3, 2),
        obs=pd.DataFrame({"cell": ["a", "b", "c"]}, index=["c1", "c2", "c3"]),
    )
    artifact = ln.Artifact(adata, key=f"s3/adata-{fmt.strip('.')}.zarr", format=fmt).save()
    assert artifact.suffix == ".zarr" and artifact.n_files and artifact.n_files > 1
    assert str(artifact.path).startswith("s3://")
    loaded = ln.Artifact.get(artifact.id).load()
    np.testing.assert_array_equal(np.asarray(loaded.X), adata.X)
    assert list(loaded.obs["cell"]) == ["a", "b", "c"]


def test_polars_streams_s3_objects_itself(s3_instance, monkeypatch):
    import polars as pl
    import s3fs

    def no_whole_file_reads(*args, **kwargs):
        raise AssertionError("polars open() must not read whole objects through fsspec")

    monkeypatch.setattr(s3fs.S3FileSystem, "cat_file", no_whole_file_reads)
    first = ln.Artifact(_df(3), key="s3/polars-a.parquet").save()
    second = ln.Artifact(_df(2), key="s3/polars-b.parquet").save()
    lazy = first.open(engine="polars")
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == 3
    both = ln.Artifact.filter(id__in=[first.id, second.id]).open(engine="polars")
    assert both.collect().height == 5
