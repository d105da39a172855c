"""Serializers by object type: DataFrame, ndarray and dict round-trips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage import load, otype_of, save, suffix_for, supported_otypes


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
    assert "DataFrame (.parquet), ndarray (.npy), dict (.json)" in message
    with pytest.raises(InvalidArgument, match=r"builtins\.list"):
        suffix_for([1])


def test_unknown_otype_on_load(tmp_path: Path):
    with pytest.raises(InvalidArgument, match=r"Unknown otype 'AnnData'\. Supported types: "):
        load(tmp_path / "x.h5ad", "AnnData")


def test_suffix_must_match_the_type(tmp_path: Path):
    with pytest.raises(InvalidArgument, match=r"saved as '\.parquet'.*suffix '\.npy'"):
        save(_frame(), tmp_path / "df.npy")
    assert list(tmp_path.iterdir()) == []


def test_supported_otypes_in_order():
    assert supported_otypes() == ["DataFrame", "ndarray", "dict"]


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
