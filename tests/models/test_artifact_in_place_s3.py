"""``s3://`` objects are registered in place (a moto server stands in for S3).

lamindb 2.12 (``process_pathlike``): an object inside a registered location is
registered where it is (``key`` relative to the root, ``_key_is_virtual`` False). For a
bucket no location holds, lamindb tries to register the bucket root: a bucket another
instance manages (marked) or one without write access is registered read-only and used;
a writable, unmanaged bucket raises ``UnknownStorageLocation`` ("Create a managed storage
location that contains the path, e.g., by calling: ln.Storage(root='s3://bucket').save()").
A path inside a location's ``.lamindb/`` folder gives the artifact stored there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, UnknownStorageLocation
from lamin_pipes.storage import S3Store


@pytest.fixture
def client(s3_server: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")


@pytest.fixture
def other_bucket(client: Any) -> Iterator[str]:
    """A second, empty bucket; yields its name."""
    name = f"lp-other-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def _put_csv(client: Any, bucket: str, key: str, values: list[int]) -> str:
    body = pd.DataFrame({"a": values}).to_csv(index=False).encode()
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def _keys(client: Any, bucket: str) -> list[str]:
    return sorted(i["Key"] for i in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_an_object_in_the_default_storage(s3_instance, s3_root, client, tmp_path):
    """lamindb: key is the path below the root, the object is not copied."""
    bucket = s3_root.removeprefix("s3://").split("/")[0]
    url = _put_csv(client, bucket, "prefix/existing/object.csv", [1, 2])
    artifact = ln.Artifact(url)
    assert (artifact.key, artifact._key_is_virtual) == ("existing/object.csv", False)
    assert str(artifact.path) == url and artifact.storage.root == s3_root
    assert artifact.size and artifact.hash
    artifact.save()
    assert str(artifact.path) == url
    pd.testing.assert_frame_equal(artifact.load(), pd.DataFrame({"a": [1, 2]}))
    assert artifact.cache().is_relative_to(tmp_path / "cache")
    assert not [k for k in _keys(client, bucket) if "/.lamindb/" in k and "/_" not in k]
    assert ln.Artifact.get(path=url) == artifact
    artifact.delete(permanent=True)  # not confirmed: the object stays
    assert "prefix/existing/object.csv" in _keys(client, bucket)
    again = ln.Artifact(url).save()
    again.delete(permanent=True, storage=True)
    assert "prefix/existing/object.csv" not in _keys(client, bucket)


def test_a_writable_unregistered_bucket_is_refused(s3_instance, client, other_bucket):
    """lamindb: UnknownStorageLocation; registering the bucket first makes it work."""
    url = _put_csv(client, other_bucket, "data/t.csv", [3])
    with pytest.raises(UnknownStorageLocation, match=f"ln.Storage\\(root='s3://{other_bucket}'"):
        ln.Artifact(url)
    assert _keys(client, other_bucket) == ["data/t.csv"]  # the write probe is gone
    assert ln.Storage.filter(root=f"s3://{other_bucket}").count() == 0
    storage = ln.Storage(root=f"s3://{other_bucket}").save()
    artifact = ln.Artifact(url).save()
    assert artifact.storage == storage and artifact.key == "data/t.csv"
    pd.testing.assert_frame_equal(artifact.load(), pd.DataFrame({"a": [3]}))


def test_a_bucket_managed_elsewhere_is_registered_read_only(s3_instance, client, other_bucket):
    """lamindb: a bucket marked by another instance is 'referenced read-only'."""
    client.put_object(Bucket=other_bucket, Key=".lamindb/storage_uid.txt", Body=b"abc\n")
    url = _put_csv(client, other_bucket, "shared/t.csv", [4])
    artifact = ln.Artifact(url).save()
    assert artifact.storage.root == f"s3://{other_bucket}" and artifact.key == "shared/t.csv"
    assert ln.Artifact(_put_csv(client, other_bucket, "shared/u.csv", [5])).storage == (
        artifact.storage
    )


def test_a_bucket_without_write_access_is_registered_read_only(
    s3_instance, client, other_bucket, monkeypatch
):
    """lamindb: 'due to lack of write access, LaminDB won't manage this storage location'."""
    url = _put_csv(client, other_bucket, "public/t.csv", [6])
    ln.Storage.default()  # registers (and marks) the instance's own location first

    def refuse(self: Any, data: bytes, key: str) -> Any:
        raise PermissionError("Access Denied")

    monkeypatch.setattr(S3Store, "put_bytes", refuse)
    artifact = ln.Artifact(url).save()
    assert artifact.storage.root == f"s3://{other_bucket}"
    pd.testing.assert_frame_equal(artifact.load(), pd.DataFrame({"a": [6]}))


def test_a_folder_prefix_in_place(s3_instance, s3_root, client):
    """A prefix with objects below it is a folder artifact (n_files, one version object)."""
    bucket = s3_root.removeprefix("s3://").split("/")[0]
    for name in ("a.txt", "sub/b.txt"):
        client.put_object(Bucket=bucket, Key=f"prefix/raw/run/{name}", Body=name.encode())
    artifact = ln.Artifact(f"{s3_root}/raw/run/").save()
    assert (artifact.key, artifact.n_files, artifact.overwrite_versions) == ("raw/run", 2, True)
    local = artifact.cache()
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt",
    ]


def test_a_managed_path_gives_its_artifact(s3_instance):
    """lamindb: "initializing from existing artifact" for paths inside .lamindb/."""
    artifact = ln.Artifact.from_dataframe(pd.DataFrame({"x": [1]}), key="m.parquet").save()
    again = ln.Artifact(str(artifact.path))
    assert again == artifact and again.id == artifact.id
    assert ln.Artifact.get(path=artifact.path) == artifact
    with pytest.raises(InvalidArgument, match="No artifact is stored"):
        ln.Artifact(str(artifact.path).replace(artifact.uid, "A" * 20))
