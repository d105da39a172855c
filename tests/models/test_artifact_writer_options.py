"""Writer options of in-memory objects and the AnnData format a key asks for.

lamindb 2.12: ``from_dataframe(parquet_kwargs=..., csv_kwargs=...)`` and
``from_anndata(h5ad_kwargs=..., zarr_kwargs=...)`` pass their options to
``DataFrame.to_parquet``/``to_csv`` and ``AnnData.write_h5ad``/``write_zarr``
(``to_disk_kwargs``); an AnnData whose key ends with ``.zarr`` is written as a zarr store
(``process_data`` takes the format from the key's suffix), a folder artifact.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument


def _adata() -> ad.AnnData:
    return ad.AnnData(
        X=np.arange(12, dtype=np.float32).reshape(4, 3),
        obs=pd.DataFrame(index=[f"c{i}" for i in range(4)]),
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )


def _compression(path: Path) -> str:
    return str(pq.ParquetFile(path).metadata.row_group(0).column(0).compression)


def test_parquet_and_csv_options_reach_the_writer(instance):
    """lamindb: parquet_kwargs go to DataFrame.to_parquet, csv_kwargs to to_csv."""
    df = pd.DataFrame({"x": [1.25, 2.5]})
    default = ln.Artifact.from_dataframe(df, key="t/default.parquet").save()
    gzip = ln.Artifact.from_dataframe(
        df, key="t/gzip.parquet", parquet_kwargs={"compression": "gzip"}
    ).save()
    assert _compression(default.path) == "SNAPPY" and _compression(gzip.path) == "GZIP"
    assert gzip.hash != default.hash
    pd.testing.assert_frame_equal(gzip.load(), df)
    csv = ln.Artifact.from_dataframe(
        df, key="t/rounded.csv", format=".csv", csv_kwargs={"float_format": "%.1f"}
    ).save()
    assert Path(csv.path).read_text().splitlines() == ["x", "1.2", "2.5"]


def test_options_of_another_format_or_unknown_options_are_refused(instance):
    df = pd.DataFrame({"x": [1]})
    with pytest.raises(InvalidArgument, match=r"csv_kwargs applies to \.csv"):
        ln.Artifact.from_dataframe(df, key="t/x.parquet", csv_kwargs={"sep": ";"})
    with pytest.raises(InvalidArgument, match="'bogus'"):
        ln.Artifact.from_dataframe(df, key="t/y.parquet", parquet_kwargs={"bogus": 1})
    with pytest.raises(InvalidArgument, match=r"zarr_kwargs applies to \.zarr"):
        ln.Artifact.from_anndata(_adata(), key="t/x.h5ad", zarr_kwargs={"chunks": [2, 2]})
    with pytest.raises(InvalidArgument, match="must be a dict"):
        ln.Artifact(df, key="t/z.parquet", to_disk_kwargs=["compression"])  # type: ignore[arg-type]


def test_h5ad_options_reach_write_h5ad(instance):
    """lamindb docs: from_anndata(adata, key=..., h5ad_kwargs={"compression": "gzip"})."""
    artifact = ln.Artifact.from_anndata(
        _adata(), key="t/gzip.h5ad", h5ad_kwargs={"compression": "gzip"}
    ).save()
    with h5py.File(artifact.path, "r") as f:
        assert f["X"].compression == "gzip"
    np.testing.assert_array_equal(artifact.load().X, _adata().X)


def test_a_zarr_key_writes_a_zarr_store(instance):
    """lamindb: the key's suffix is the AnnData format; the store is a folder artifact."""
    artifact = ln.Artifact.from_anndata(
        _adata(), key="t/cells.zarr", zarr_kwargs={"chunks": [2, 3]}
    ).save()
    assert (artifact.suffix, artifact.otype, artifact.overwrite_versions) == (
        ".zarr",
        "AnnData",
        True,
    )
    assert artifact.n_files and artifact.n_files > 1 and Path(artifact.path).is_dir()
    import zarr

    assert zarr.open_group(artifact.path, mode="r")["X"].chunks == (2, 3)
    np.testing.assert_array_equal(artifact.load().X, _adata().X)
    plain = ln.Artifact(_adata(), key="t/plain.zarr").save()  # the constructor too
    assert plain.suffix == ".zarr" and plain.n_files
