"""``artifact.open()``: every returned object works in ``with``; ``mode="r+"`` on zarr.

lamindb 2.12 (``Artifact.open``): a pyarrow dataset (no context manager there: ``with``
raises TypeError, here it works), a polars LazyFrame (a context manager there), a backed
AnnData accessor for ``.h5ad`` and AnnData zarr stores, and a ``BackedAccessor`` (zarr
group) for other zarr stores. ``mode="r+"`` is allowed only for ``.zarr`` ("It is not
allowed to open a .parquet object with `mode='r+'`") and only when the family overwrites
versions ("It is not possible to open artifacts having `overwrite_versions=False` in
non-read mode"); closing an updated AnnData zarr store saves a new version, which the
artifact object becomes (``init_self_from_db``). Here any change to the store does.
"""

from __future__ import annotations

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest
import zarr

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, StorageError


def _adata() -> ad.AnnData:
    return ad.AnnData(
        X=np.arange(6, dtype=np.float32).reshape(3, 2),
        obs=pd.DataFrame(index=["c1", "c2", "c3"]),
        var=pd.DataFrame(index=["g1", "g2"]),
    )


def _plain_zarr(key: str) -> ln.Artifact:
    lazy = ln.Artifact.from_lazy(".zarr", overwrite_versions=True, key=key)
    group = zarr.open_group(lazy.path, mode="w")
    group.create_array("values", shape=(3,), dtype="i4")[:] = [1, 2, 3]
    group.attrs["note"] = "plain"
    return lazy.save()


def test_tabular_datasets_keep_their_type_and_work_in_with(instance):
    artifact = ln.Artifact.from_dataframe(pd.DataFrame({"a": [1, 2, 3]}), key="o/t.parquet")
    artifact.save()
    opened = artifact.open()
    assert isinstance(opened, ds.Dataset) and type(opened).__name__ == "FileSystemDataset"
    assert opened.count_rows() == 3
    with artifact.open() as dataset:
        assert dataset.to_table().num_rows == 3
        assert ds.dataset([dataset.files[0]]).count_rows() == 3
    with artifact.open(engine="polars") as frame:
        assert isinstance(frame, pl.LazyFrame) and frame.collect().shape == (3, 1)


def test_a_backed_h5ad_is_closed_at_the_end_of_with(instance):
    artifact = ln.Artifact.from_anndata(_adata(), key="o/a.h5ad").save()
    with artifact.open() as adata:
        assert isinstance(adata, ad.AnnData) and adata.isbacked
        np.testing.assert_array_equal(adata.X[:2], _adata().X[:2])
        handle = adata.file
    assert not handle.is_open
    again = artifact.open()
    again.close()
    assert not again.file.is_open


def test_an_anndata_zarr_opens_as_anndata_a_plain_zarr_as_a_group(instance):
    """lamindb: AnnDataAccessor for encoding-type anndata, a zarr group otherwise."""
    store = ln.Artifact.from_anndata(_adata(), key="o/a.zarr").save()
    with store.open() as adata:
        assert isinstance(adata, ad.AnnData) and adata.shape == (3, 2)
    plain = _plain_zarr("o/plain.zarr")
    with plain.open() as group:
        assert isinstance(group, zarr.Group) and not isinstance(group, ad.AnnData)
        assert group["values"][:].tolist() == [1, 2, 3] and group.attrs["note"] == "plain"


def test_an_hdf5_file_opens_as_h5py(instance):
    lazy = ln.Artifact.from_lazy(".h5", overwrite_versions=False, key="o/arrays.h5")
    with h5py.File(lazy.path, "w") as f:
        f["x"] = np.arange(4)
    artifact = lazy.save()
    with artifact.open() as f:
        assert isinstance(f, h5py.File) and f["x"][:].tolist() == [0, 1, 2, 3]
    assert not f


def test_modes_follow_lamindb(instance):
    table = ln.Artifact.from_dataframe(pd.DataFrame({"a": [1]}), key="o/m.parquet").save()
    with pytest.raises(InvalidArgument, match=r"not allowed to open a \.parquet"):
        table.open(mode="r+")
    with pytest.raises(InvalidArgument, match="valid modes"):
        table.open(mode="w")
    fixed = ln.Artifact.from_anndata(_adata(), key="o/f.zarr", overwrite_versions=False).save()
    with pytest.raises(InvalidArgument, match="overwrite_versions=False"):
        fixed.open(mode="r+")


def test_updating_a_zarr_store_saves_a_new_version(instance):
    """lamindb: closing an updated store saves a version the artifact object becomes."""
    artifact = _plain_zarr("o/update.zarr")
    first_uid, first_hash = artifact.uid, artifact.hash
    with artifact.open(mode="r+") as group:
        group.create_array("more", shape=(2,), dtype="i4")[:] = [7, 8]
    assert artifact.uid != first_uid and artifact.version == "0001" and artifact.is_latest
    assert artifact.hash != first_hash and artifact.stem_uid == first_uid[:16]
    with artifact.open() as group:
        assert group["more"][:].tolist() == [7, 8]
    with pytest.raises(StorageError):  # the shared store holds the new version now
        ln.Artifact.get(first_uid).open()
    unchanged = artifact.uid
    with artifact.open(mode="r+") as group:
        assert group["values"][:].tolist() == [1, 2, 3]
    assert artifact.uid == unchanged  # nothing written, no new version


def test_an_obs_column_written_to_an_anndata_zarr(instance):
    """lamindb's add_column: here anndata.io.write_elem into the opened group."""
    from anndata.io import write_elem

    artifact = ln.Artifact.from_anndata(_adata(), key="o/obs.zarr").save()
    with artifact.open(mode="r+") as group:
        write_elem(group["obs"], "batch", np.array(["a", "b", "a"]))
        group["obs"].attrs["column-order"] = ["batch"]
    assert artifact.version == "0001"
    assert artifact.load().obs["batch"].tolist() == ["a", "b", "a"]


def test_updating_a_zarr_store_on_s3(s3_instance):
    artifact = _plain_zarr("o/s3.zarr")
    with artifact.open(mode="r+") as group:
        group.attrs["note"] = "changed"
    assert artifact.version == "0001"
    with artifact.open() as group:
        assert group.attrs["note"] == "changed"
