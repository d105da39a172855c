"""Concatenating loaded objects: DataFrames and AnnData objects."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._concat import concat_objects


def _frames() -> list[pd.DataFrame]:
    return [
        pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}, index=["r0", "r1"]),
        pd.DataFrame({"a": [3], "c": ["x"]}, index=["r2"]),
    ]


def test_dataframes_outer_join_keeps_all_columns_and_the_index():
    result = concat_objects(_frames())
    assert list(result.index) == ["r0", "r1", "r2"]
    assert list(result.columns) == ["a", "b", "c"]
    assert result["a"].tolist() == [1, 2, 3]
    assert result["b"].isna().tolist() == [False, False, True]
    assert result["c"].isna().tolist() == [True, True, False]


def test_dataframes_inner_join_keeps_shared_columns():
    result = concat_objects(_frames(), join="inner")
    pd.testing.assert_frame_equal(result, pd.DataFrame({"a": [1, 2, 3]}, index=["r0", "r1", "r2"]))


def test_dataframes_with_labels_add_no_column():
    result = concat_objects(_frames(), labels=["u1", "u2"])
    assert list(result.columns) == ["a", "b", "c"]


def test_single_dataframe():
    (frame,) = _frames()[:1]
    result = concat_objects([frame])
    pd.testing.assert_frame_equal(result, frame)


def _adatas() -> list[ad.AnnData]:
    first = ad.AnnData(
        X=np.ones((2, 3), dtype=np.float32),
        obs=pd.DataFrame({"donor": ["d1", "d1"]}, index=["c0", "c1"]),
        var=pd.DataFrame(index=["g0", "g1", "g2"]),
    )
    second = ad.AnnData(
        X=np.full((1, 2), 2.0, dtype=np.float32),
        obs=pd.DataFrame({"donor": ["d2"]}, index=["c0"]),
        var=pd.DataFrame(index=["g1", "g3"]),
    )
    return [first, second]


@pytest.mark.filterwarnings("ignore:Observation names are not unique")
def test_anndata_inner_join():
    result = concat_objects(_adatas(), join="inner")
    assert result.shape == (3, 1)
    assert list(result.var_names) == ["g1"]
    np.testing.assert_array_equal(np.asarray(result.X).ravel(), [1.0, 1.0, 2.0])
    assert "artifact_uid" not in result.obs


@pytest.mark.filterwarnings("ignore:Observation names are not unique")
def test_anndata_outer_join():
    result = concat_objects(_adatas(), join="outer")
    assert result.shape == (3, 4)
    assert sorted(result.var_names) == ["g0", "g1", "g2", "g3"]
    assert result.obs["donor"].tolist() == ["d1", "d1", "d2"]


@pytest.mark.filterwarnings("ignore:Observation names are not unique")
def test_anndata_with_labels():
    result = concat_objects(_adatas(), join="inner", labels=["uidA", "uidB"], index_unique="-")
    assert result.obs["artifact_uid"].tolist() == ["uidA", "uidA", "uidB"]
    assert isinstance(result.obs["artifact_uid"].dtype, pd.CategoricalDtype)
    assert list(result.obs_names) == ["c0-uidA", "c1-uidA", "c0-uidB"]
    custom = concat_objects(_adatas(), join="inner", labels=["a", "b"], label_key="source")
    assert custom.obs["source"].tolist() == ["a", "a", "b"]


def test_empty_list():
    with pytest.raises(InvalidArgument, match="at least one object"):
        concat_objects([])


def test_invalid_join():
    with pytest.raises(InvalidArgument) as info:
        concat_objects(_frames(), join="left")  # type: ignore[arg-type]
    assert str(info.value) == "Invalid join 'left'. Valid joins: 'outer', 'inner'"


def test_labels_must_match_objects():
    with pytest.raises(InvalidArgument, match="Got 1 labels for 2 objects"):
        concat_objects(_frames(), labels=["only-one"])


def test_mixed_types_list_the_types_found():
    with pytest.raises(InvalidArgument) as info:
        concat_objects([_frames()[0], _adatas()[0], _frames()[1]])
    assert str(info.value) == "Cannot concatenate objects of different types: DataFrame, AnnData"
    with pytest.raises(InvalidArgument, match=r"different types: DataFrame, builtins\.set"):
        concat_objects([_frames()[0], {1}])


def test_unsupported_type():
    with pytest.raises(InvalidArgument) as info:
        concat_objects([np.zeros(2), np.ones(2)])
    assert str(info.value) == (
        "Cannot concatenate objects of type ndarray. "
        "Types that can be concatenated: DataFrame, AnnData"
    )
