"""Serializers by object type: DataFrame, ndarray, dict and AnnData round-trips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import load, otype_of, save, suffix_for, supported_otypes
from lamin_pipes.storage._serializers import load_path, loadable_suffixes, n_observations_of


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"gene": ["A", "B", "C"], "count": [1, 2, 3], "score": [0.5, 1.5, np.nan]},
        index=pd.Index(["s1", "s2", "s3"], name="sample"),
    )


def test_dataframe_round_trips_through_parquet(tmp_path: Path):
    df = _frame()
    assert (otype_of(df), suffix_for(df)) == ("DataFrame", ".parquet")
    path = tmp_path / "df.parquet"
    save(df, path)
    assert path.read_bytes()[:4] == b"PAR1"
    pd.testing.assert_frame_equal(load(path, "DataFrame"), df)


@pytest.mark.parametrize(
    "array",
    [np.arange(12, dtype=np.int32).reshape(3, 4), np.linspace(0, 1, 5), np.array([True, False])],
    ids=["int32-2d", "float64", "bool"],
)
def test_ndarray_round_trips_through_npy(tmp_path: Path, array: np.ndarray):
    assert (otype_of(array), suffix_for(array)) == ("ndarray", ".npy")
    path = tmp_path / "a.npy"
    save(array, path)
    loaded = load(path, "ndarray")
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


def test_dict_round_trips_through_json(tmp_path: Path):
    data = {"name": "Zürich", "n": 3, "nested": {"xs": [1, 2.5, None, True]}}
    assert (otype_of(data), suffix_for(data)) == ("dict", ".json")
    path = tmp_path / "d.json"
    save(data, path)
    assert load(path, "dict") == data


def test_dict_that_is_not_json_raises_invalid_argument(tmp_path: Path):
    with pytest.raises(InvalidArgument, match="cannot be saved as JSON"):
        save({"when": object()}, tmp_path / "d.json")


def test_unknown_type_names_the_type_and_the_supported_ones():
    with pytest.raises(InvalidArgument) as info:
        otype_of({1, 2})
    message = str(info.value)
    assert "'builtins.set'" in message
    assert (
        "DataFrame (.parquet, .csv, .tsv), ndarray (.npy), dict (.json), AnnData (.h5ad, .zarr)"
        in message
    )
    with pytest.raises(InvalidArgument, match=r"builtins\.list"):
        suffix_for([1])


def test_unknown_otype_on_load(tmp_path: Path):
    with pytest.raises(InvalidArgument, match=r"Unknown otype 'MuData'\. Supported types: "):
        load(tmp_path / "x.h5mu", "MuData")


def test_suffix_must_match_the_type(tmp_path: Path):
    with pytest.raises(InvalidArgument, match=r"saved as '\.parquet'.*suffix '\.npy'"):
        save(_frame(), tmp_path / "df.npy")
    assert list(tmp_path.iterdir()) == []


def test_supported_otypes_in_order():
    assert supported_otypes() == ["DataFrame", "ndarray", "dict", "AnnData"]


def test_importing_storage_does_not_import_pandas_or_numpy():
    code = (
        "import sys, lamin_pipes.storage as s; "
        "s.otype_of({}); "
        "print('pandas' in sys.modules, 'numpy' in sys.modules, 'pyarrow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    imported_by_package = out.split()
    # lamin_pipes itself may import them; the storage package must not add them.
    baseline = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, lamin_pipes; print('pandas' in sys.modules, 'numpy' in sys.modules, "
            "'pyarrow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert imported_by_package == baseline


# --- AnnData and alternative formats ---------------------------------------------------


def _adata():
    import anndata as ad

    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(["T", "B", "T", "NK"]), "n_genes": [10, 20, 30, 40]},
        index=[f"cell{i}" for i in range(4)],
    )
    var = pd.DataFrame({"symbol": ["CD3E", "MS4A1", "NKG7"]}, index=["g1", "g2", "g3"])
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    return ad.AnnData(X=X, obs=obs, var=var)


def _assert_adata_equal(left, right) -> None:
    pd.testing.assert_frame_equal(left.obs, right.obs)
    pd.testing.assert_frame_equal(left.var, right.var)
    np.testing.assert_array_equal(np.asarray(left.X), np.asarray(right.X))
    assert left.X.dtype == right.X.dtype


def test_anndata_round_trips_through_h5ad(tmp_path: Path):
    adata = _adata()
    assert (otype_of(adata), suffix_for(adata)) == ("AnnData", ".h5ad")
    path = tmp_path / "a.h5ad"
    save(adata, path)
    assert path.is_file()
    _assert_adata_equal(load(path, "AnnData"), adata)


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")
@pytest.mark.parametrize("format", [".zarr", "zarr", None])
def test_anndata_round_trips_through_zarr(tmp_path: Path, format: str | None):
    adata = _adata()
    if format is not None:
        assert suffix_for(adata, format=format) == ".zarr"
    path = tmp_path / "a.zarr"
    save(adata, path, format=format)
    assert path.is_dir()
    _assert_adata_equal(load(path, "AnnData"), adata)
    _assert_adata_equal(load_path(path), adata)


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ","), (".tsv", "\t")])
def test_dataframe_saves_as_delimited_text(tmp_path: Path, suffix: str, sep: str):
    df = pd.DataFrame({"gene": ["A", "B"], "count": [1, 2]})
    assert suffix_for(df, format=suffix.lstrip(".")) == suffix
    path = tmp_path / f"df{suffix}"
    save(df, path, format=suffix)
    assert path.read_text().splitlines()[0] == f"gene{sep}count"
    pd.testing.assert_frame_equal(load(path, "DataFrame"), df)
    pd.testing.assert_frame_equal(load_path(path), df)


def test_csv_writes_a_non_default_index_as_a_column(tmp_path: Path):
    path = tmp_path / "df.csv"
    save(_frame(), path)
    loaded = load(path, "DataFrame")
    assert list(loaded.columns) == ["sample", "gene", "count", "score"]
    pd.testing.assert_frame_equal(loaded.set_index("sample"), _frame())


def test_invalid_format_lists_the_valid_ones(tmp_path: Path):
    with pytest.raises(InvalidArgument) as info:
        suffix_for(_adata(), format="loom")
    assert str(info.value) == "Invalid format 'loom' for AnnData. Valid formats: '.h5ad', '.zarr'"
    with pytest.raises(
        InvalidArgument,
        match=r"Invalid format '\.zarr' for DataFrame\. Valid formats: "
        r"'\.parquet', '\.csv', '\.tsv'",
    ):
        save(_frame(), tmp_path / "df.zarr", format=".zarr")
    assert list(tmp_path.iterdir()) == []


def test_format_must_agree_with_the_path(tmp_path: Path):
    with pytest.raises(InvalidArgument, match=r"format 'zarr' writes '\.zarr'.*suffix '\.h5ad'"):
        save(_adata(), tmp_path / "a.h5ad", format="zarr")
    assert list(tmp_path.iterdir()) == []


def test_load_picks_the_reader_from_the_suffix_and_defaults_otherwise(tmp_path: Path):
    df = _frame()
    path = tmp_path / "blob"
    df.to_parquet(path)
    pd.testing.assert_frame_equal(load(path, "DataFrame"), df)


@pytest.mark.parametrize(
    ("name", "expected_type"),
    [
        ("f.parquet", pd.DataFrame),
        ("f.CSV", pd.DataFrame),
        ("f.npy", np.ndarray),
        ("f.json", dict),
        ("f.h5ad", "AnnData"),
    ],
)
def test_load_path_by_suffix(tmp_path: Path, name: str, expected_type):
    path = tmp_path / name
    objects = {
        ".parquet": _frame(),
        ".csv": _frame(),
        ".npy": np.arange(3),
        ".json": {"a": [1]},
        ".h5ad": _adata(),
    }
    obj = objects[path.suffix.lower()]
    save(obj, path)
    loaded = load_path(path)
    if expected_type == "AnnData":
        assert otype_of(loaded) == "AnnData"
    else:
        assert isinstance(loaded, expected_type)


def test_load_path_with_explicit_suffix(tmp_path: Path):
    path = tmp_path / "cached-without-suffix"
    path.write_text("a,b\n1,2\n")
    pd.testing.assert_frame_equal(load_path(path, "csv"), pd.DataFrame({"a": [1], "b": [2]}))


def test_load_path_unsupported_suffix_names_the_supported_ones(tmp_path: Path):
    path = tmp_path / "notes.xyz"
    path.write_text("hello")
    with pytest.raises(InvalidArgument) as info:
        load_path(path)
    message = str(info.value)
    assert "suffix '.xyz'" in message
    assert str(path) in message
    assert ", ".join(repr(s) for s in loadable_suffixes()) in message
    assert ".cache()" in message
    with pytest.raises(InvalidArgument, match=r"suffix '\(none\)'"):
        load_path(tmp_path / "no_suffix")


def test_n_observations_of():
    assert n_observations_of(_frame()) == 3
    assert n_observations_of(_adata()) == 4
    assert n_observations_of(np.zeros((5, 2))) == 5
    assert n_observations_of(np.float64(1.0)) is None
    assert n_observations_of(np.array(1.0)) is None
    assert n_observations_of({"a": 1}) is None
    assert n_observations_of([1, 2]) is None


def test_importing_storage_does_not_import_anndata():
    code = (
        "import sys, lamin_pipes.storage as s; "
        "s.otype_of({}); "
        "print([m for m in ('anndata', 'h5py', 'zarr', 'polars') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_type_tests_hold_while_another_thread_imports_the_library() -> None:
    # In a fresh process: while one thread imports pandas and numpy (the modules sit in
    # sys.modules half-initialized meanwhile), others ask for the otype of their
    # objects. Looking classes up in sys.modules failed here with "partially
    # initialized module 'pandas' has no attribute 'DataFrame'".
    code = """
import threading, time
from lamin_pipes.storage._serializers import otype_of
errors, done = [], threading.Event()
def importer():
    import pandas, numpy
    done.set()
def asker():
    while not done.is_set():
        try:
            assert otype_of({"a": 1}) == "dict"
        except Exception as error:
            errors.append(repr(error))
            return
        time.sleep(0.0002)  # leave the importing thread the interpreter most of the time
threads = [threading.Thread(target=asker) for _ in range(3)] + [threading.Thread(target=importer)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors[0] if errors else "OK")
"""
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "OK", result.stdout
