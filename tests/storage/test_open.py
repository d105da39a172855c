"""Opening stored files lazily: pyarrow datasets, polars lazy frames, backed AnnData."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anndata as ad
import fsspec
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._open import open_anndata, open_dataset


def _write_parquet_parts(directory: Path, n_parts: int = 2) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_parts):
        path = directory / f"part{i}.parquet"
        pd.DataFrame({"id": [3 * i, 3 * i + 1, 3 * i + 2], "part": [i] * 3}).to_parquet(path)
        paths.append(path)
    return paths


def test_pyarrow_dataset_over_two_parquet_files(tmp_path: Path):
    paths = _write_parquet_parts(tmp_path)
    dataset = open_dataset([str(p) for p in paths], ".parquet")
    assert isinstance(dataset, ds.Dataset)
    assert dataset.schema.names == ["id", "part"]
    table = dataset.to_table()
    assert table.num_rows == 6
    assert sorted(table.column("id").to_pylist()) == list(range(6))
    filtered = dataset.to_table(filter=ds.field("part") == 1)
    assert filtered.num_rows == 3


def test_polars_lazy_frame_over_two_parquet_files(tmp_path: Path):
    paths = _write_parquet_parts(tmp_path)
    frame = open_dataset(paths, "parquet", engine="polars")
    assert isinstance(frame, pl.LazyFrame)
    result = frame.filter(pl.col("part") == 0).select("id").collect()
    assert result["id"].to_list() == [0, 1, 2]
    assert frame.collect().height == 6


@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_directory_of_parquet_files(tmp_path: Path, engine: str):
    _write_parquet_parts(tmp_path / "data", n_parts=3)
    (tmp_path / "data" / "_SUCCESS").write_text("")
    (tmp_path / "data" / ".hidden").write_text("not parquet")
    opened = open_dataset(str(tmp_path / "data"), ".parquet", engine=engine)
    n_rows = opened.to_table().num_rows if engine == "pyarrow" else opened.collect().height
    assert n_rows == 9


@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_list_mixing_a_directory_and_a_file(tmp_path: Path, engine: str):
    _write_parquet_parts(tmp_path / "data", n_parts=2)
    (tmp_path / "data" / "_common_metadata").write_text("")
    extra = _write_parquet_parts(tmp_path / "extra", n_parts=1)[0]
    opened = open_dataset([tmp_path / "data", extra], ".parquet", engine=engine)
    n_rows = opened.to_table().num_rows if engine == "pyarrow" else opened.collect().height
    assert n_rows == 9


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ","), (".tsv", "\t")])
@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_delimited_text(tmp_path: Path, suffix: str, sep: str, engine: str):
    paths = []
    for i in range(2):
        path = tmp_path / f"t{i}{suffix}"
        path.write_text(f"gene{sep}count\nA{i}{sep}{i}\nB{i}{sep}{i + 10}\n")
        paths.append(str(path))
    opened = open_dataset(paths, suffix, engine=engine)
    if engine == "pyarrow":
        table = opened.to_table()
        assert table.column_names == ["gene", "count"]
        assert sorted(table.column("count").to_pylist()) == [0, 1, 10, 11]
    else:
        frame = opened.collect()
        assert frame.columns == ["gene", "count"]
        assert sorted(frame["count"].to_list()) == [0, 1, 10, 11]


@pytest.mark.parametrize("suffix", [".ipc", ".arrow", ".feather"])
@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_arrow_ipc(tmp_path: Path, suffix: str, engine: str):
    path = tmp_path / f"t{suffix}"
    pd.DataFrame({"a": [1, 2, 3]}).to_feather(path)
    opened = open_dataset(str(path), suffix, engine=engine)
    n_rows = opened.to_table().num_rows if engine == "pyarrow" else opened.collect().height
    assert n_rows == 3


def test_kwargs_are_passed_on(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n")
    frame = open_dataset(str(path), ".csv", engine="polars", separator=";").collect()
    assert frame.columns == ["a", "b"]
    _write_parquet_parts(tmp_path / "hive" / "year=2024", n_parts=1)
    dataset = open_dataset(str(tmp_path / "hive"), ".parquet", partitioning="hive")
    assert dataset.to_table().column("year").to_pylist() == [2024] * 3


def _memory_filesystem(tmp_path: Path):
    fs = fsspec.filesystem("memory")
    root = f"/{tmp_path.name}"
    for i, path in enumerate(_write_parquet_parts(tmp_path / "local", n_parts=2)):
        fs.pipe_file(f"{root}/data/part{i}.parquet", path.read_bytes())
    fs.pipe_file(f"{root}/data/_SUCCESS", b"")
    return fs, root


@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
@pytest.mark.parametrize("wrap", [False, True], ids=["fsspec", "pyarrow-fs"])
def test_filesystem_is_used(tmp_path: Path, engine: str, wrap: bool):
    fs, root = _memory_filesystem(tmp_path)
    filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(fs)) if wrap else fs
    try:
        for paths in (f"{root}/data", [f"{root}/data/part0.parquet", f"{root}/data/part1.parquet"]):
            opened = open_dataset(paths, ".parquet", engine=engine, filesystem=filesystem)
            n_rows = opened.to_table().num_rows if engine == "pyarrow" else opened.collect().height
            assert n_rows == 6
    finally:
        fs.rm(root, recursive=True)


@pytest.mark.parametrize("engine", ["pyarrow", "polars"])
def test_local_fsspec_filesystem(tmp_path: Path, engine: str):
    _write_parquet_parts(tmp_path / "data")
    fs = fsspec.filesystem("file")
    opened = open_dataset([str(tmp_path / "data")], ".parquet", engine=engine, filesystem=fs)
    n_rows = opened.to_table().num_rows if engine == "pyarrow" else opened.collect().height
    assert n_rows == 6


def test_invalid_engine_names_the_valid_ones(tmp_path: Path):
    with pytest.raises(InvalidArgument) as info:
        open_dataset(str(tmp_path / "x.parquet"), ".parquet", engine="duckdb")  # type: ignore[arg-type]
    assert str(info.value) == "Unknown engine 'duckdb'. Valid engines: 'pyarrow', 'polars'"


def test_invalid_suffix_names_the_valid_ones(tmp_path: Path):
    with pytest.raises(InvalidArgument) as info:
        open_dataset(str(tmp_path / "x.h5ad"), ".h5ad")
    assert str(info.value) == (
        "open_dataset() cannot open suffix '.h5ad'. Supported suffixes: "
        "'.parquet', '.csv', '.tsv', '.ipc', '.arrow', '.feather'"
    )


def test_no_paths():
    with pytest.raises(InvalidArgument, match="at least one path"):
        open_dataset([], ".parquet")


def _adata() -> ad.AnnData:
    obs = pd.DataFrame({"cell_type": pd.Categorical(["T", "B", "T"])}, index=["c0", "c1", "c2"])
    var = pd.DataFrame(index=["g0", "g1", "g2", "g3"])
    return ad.AnnData(X=np.arange(12, dtype=np.float32).reshape(3, 4), obs=obs, var=var)


def test_backed_h5ad_reads_x_lazily(tmp_path: Path):
    path = tmp_path / "a.h5ad"
    _adata().write_h5ad(path)
    adata = open_anndata(path)
    try:
        assert adata.isbacked
        assert adata.filename == path
        assert adata.file.is_open
        assert adata.shape == (3, 4)
        np.testing.assert_array_equal(adata.X[1:3], np.arange(4, 12).reshape(2, 4))
        np.testing.assert_array_equal(adata[adata.obs["cell_type"] == "T"].X[:, 0], [0.0, 8.0])
        pd.testing.assert_frame_equal(adata.obs, _adata().obs)
    finally:
        adata.file.close()


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")
def test_zarr_anndata_opens(tmp_path: Path):
    path = tmp_path / "a.zarr"
    _adata().write_zarr(path)
    adata = open_anndata(str(path), "zarr")
    assert adata.shape == (3, 4)
    np.testing.assert_array_equal(np.asarray(adata.X[:2]), np.arange(8).reshape(2, 4))
    assert list(adata.obs_names) == ["c0", "c1", "c2"]


def test_open_anndata_with_an_explicit_suffix(tmp_path: Path):
    path = tmp_path / "cached"
    _adata().write_h5ad(path)
    adata = open_anndata(path, ".h5ad")
    try:
        assert adata.isbacked
    finally:
        adata.file.close()


def test_open_anndata_invalid_suffix(tmp_path: Path):
    with pytest.raises(
        InvalidArgument,
        match=r"cannot open suffix '\.parquet'\. Supported suffixes: '\.h5ad', '\.zarr'",
    ):
        open_anndata(tmp_path / "x.parquet")


def test_importing_open_does_not_import_heavy_modules():
    code = (
        "import sys, lamin_pipes.storage._open, lamin_pipes.storage._concat; "
        "print([m for m in ('anndata', 'polars', 'pyarrow', 'zarr', 'h5py', 'pandas') "
        "if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
