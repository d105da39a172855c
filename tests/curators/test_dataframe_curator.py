"""DataFrameCurator: each check and its message, standardize, add_new_from, save_artifact."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.curators import DataFrameCurator, Problem, ValidationReport
from lamin_pipes.curators._values import distinct
from lamin_pipes.errors import InvalidArgument, ValidationError

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def schema() -> ln.Schema:
    cell_type = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    n_counts = ln.Feature(name="n_counts", dtype=float).save()
    donor = ln.Feature(name="donor", dtype=str).save()
    ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
    ln.ULabel(name="NK cell", synonyms="natural killer cell|NKcell").save()
    return ln.Schema([cell_type, n_counts, donor.with_config(optional=True)], name="cells").save()


def _frame(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "cell_type": ["T cell", "B cell", "NK cell"],
        "n_counts": [1.0, 2.0, 3.0],
    }
    base.update(columns)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


def _problems(curator: DataFrameCurator) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        curator.validate()
    report = info.value.report  # type: ignore[attr-defined]
    assert isinstance(report, ValidationReport)
    assert str(info.value) == report.to_text()
    return list(report.problems)


def test_a_matching_frame_validates(schema: ln.Schema) -> None:
    """lamindb: validate() returns None and the curator is validated; optional columns may be absent."""
    curator = DataFrameCurator(_frame(), schema)

    assert curator.validate() is None
    assert curator.report.ok
    assert "validated" in repr(curator)
    assert curator.cat.non_validated == {}


def test_a_missing_required_column(schema: ln.Schema) -> None:
    """lamindb (pandera): "column 'n_counts' not in dataframe. Columns in dataframe: [...]"."""
    (problem,) = _problems(DataFrameCurator(_frame(n_counts=None), schema))

    assert (problem.kind, problem.column, problem.values) == (
        "missing_column",
        "n_counts",
        ("n_counts",),
    )
    assert problem.message == "required column 'n_counts' (float) is missing; columns: 'cell_type'"


def test_an_unexpected_column_with_maximal_set(schema: ln.Schema) -> None:
    """lamindb (pandera, strict): "column 'zz' not in DataFrameSchema"; __lamindb_ columns pass."""
    strict = ln.Schema(list(schema.members), maximal_set=True).save()
    frame = _frame(zz=[1, 2, 3], __lamindb_note=["a", "b", "c"], donor=["d1", "d2", "d3"])

    (problem,) = _problems(DataFrameCurator(frame, strict))

    assert (problem.kind, problem.column) == ("unexpected_column", "zz")
    assert "not in the schema, which allows no other columns (maximal_set=True)" in problem.message
    DataFrameCurator(_frame(zz=[1, 2, 3]), schema).validate()  # not a maximal set: fine


def test_column_order_with_ordered_set(schema: ln.Schema) -> None:
    """lamindb (pandera, ordered): "column 'cell_type' out-of-order"."""
    ordered = ln.Schema(list(schema.members)[:2], ordered_set=True).save()

    (problem,) = _problems(DataFrameCurator(_frame()[["n_counts", "cell_type"]], ordered))

    assert problem.kind == "column_order" and problem.column is None
    assert "expected 'cell_type', 'n_counts', got 'n_counts', 'cell_type'" in problem.message


def test_a_wrong_dtype(schema: ln.Schema) -> None:
    """lamindb (pandera): "expected series 'n_counts' to have type float, got int64", with a
    hint to set coerce."""
    (problem,) = _problems(DataFrameCurator(_frame(n_counts=[1, 2, 3]), schema))

    assert (problem.kind, problem.column, problem.expected, problem.got) == (
        "dtype",
        "n_counts",
        "float",
        "int64",
    )
    assert problem.message.startswith("expected float, got int64; set coerce=True")


def test_coercion_converts_without_touching_the_input(schema: ln.Schema) -> None:
    """lamindb: with coerce, validation converts values; curator.dataset has them, the input
    frame is left as it was."""
    coercing = ln.Schema(list(schema.members)[:2], coerce=True).save()
    frame = _frame(n_counts=["1.5", "2", None])

    curator = DataFrameCurator(frame, coercing)
    curator.validate()

    assert str(curator.dataset["n_counts"].dtype) == "float64"
    assert frame["n_counts"].tolist() == ["1.5", "2", None]
    bad = _frame(n_counts=["1.5", "two", "3"])
    (problem,) = _problems(DataFrameCurator(bad, coercing))
    assert problem.kind == "dtype" and "set coerce=True" not in problem.message


def test_coercion_to_int_is_lossless_only() -> None:
    """lamindb coerces "1" and 1.0 to int, never 1.1."""
    count = ln.Feature(name="count", dtype=int, coerce=True).save()
    schema = ln.Schema([count]).save()

    curator = DataFrameCurator(pd.DataFrame({"count": [1.0, 2.0, None]}), schema)
    curator.validate()
    assert str(curator.dataset["count"].dtype) == "Int64"
    (problem,) = _problems(DataFrameCurator(pd.DataFrame({"count": [1.1, 2.0]}), schema))
    assert problem.kind == "dtype"


def test_nulls_in_a_non_nullable_column() -> None:
    """lamindb (pandera): "non-nullable series 'donor' contains null values"."""
    donor = ln.Feature(name="donor", dtype=str, nullable=False).save()
    schema = ln.Schema([donor]).save()

    (problem,) = _problems(DataFrameCurator(pd.DataFrame({"donor": ["d1", None, np.nan]}), schema))

    assert (problem.kind, problem.column) == ("nulls", "donor")
    assert "2 null values in column 'donor'" in problem.message
    assert "nullable=False" in problem.message
    count = ln.Feature(name="count", dtype=int, nullable=False, coerce=True).save()
    counts = ln.Schema([count]).save()
    (problem,) = _problems(DataFrameCurator(pd.DataFrame({"count": [1.0, None]}), counts))
    assert (problem.kind, problem.n_values) == ("nulls", 1)
    DataFrameCurator(pd.DataFrame({"count": [1, 2]}), counts).validate()


def test_non_validated_terms_with_synonyms_and_suggestions(schema: ln.Schema) -> None:
    """lamindb: "2 terms not validated in feature 'cell_type': 'Tcell', 'NK'", with the
    synonyms found and how to fix or register the rest."""
    frame = _frame(cell_type=["T cell", "natural killer cell", "Tcel"])

    (problem,) = _problems(DataFrameCurator(frame, schema))

    assert (problem.kind, problem.column) == ("non_validated", "cell_type")
    assert problem.values == ("natural killer cell", "Tcel") and problem.n_values == 2
    assert problem.synonyms == {"natural killer cell": "NK cell"}
    lines = problem.message.splitlines()
    assert lines[0] == (
        "2 terms not validated in ULabel.name for feature 'cell_type': "
        "'natural killer cell', 'Tcel'"
    )
    assert "'natural killer cell' → 'NK cell'" in lines[1]
    assert "curator.cat.standardize('cell_type')" in lines[1]
    assert "'Tcel': did you mean 'T cell'" in problem.message
    assert "curator.cat.add_new_from('cell_type')" in lines[-1]


def test_every_problem_is_reported_at_once(schema: ln.Schema) -> None:
    """lamindb stops at the first failing check kind; the report lists them all."""
    frame = pd.DataFrame({"n_counts": [1, 2], "cell_type": ["T cell", "X"]})

    problems = _problems(DataFrameCurator(frame, schema))

    assert [p.kind for p in problems] == ["non_validated", "dtype"]


def test_standardize_replaces_synonyms_in_place(schema: ln.Schema) -> None:
    """lamindb's cat.standardize(key) maps synonyms onto names in the input frame; also
    in category columns."""
    frame = _frame(cell_type=["natural killer cell", "T cell", "NKcell"])
    curator = DataFrameCurator(frame, schema)
    assert not curator.report.ok

    curator.standardize()

    assert frame["cell_type"].tolist() == ["NK cell", "T cell", "NK cell"]
    curator.validate()
    categorical = _frame(cell_type=pd.Categorical(["nk cell", "B cell", "NK cell"]))
    curator = DataFrameCurator(categorical, schema)
    curator.cat.standardize("cell_type")
    assert categorical["cell_type"].tolist() == ["NK cell", "B cell", "NK cell"]
    assert isinstance(categorical["cell_type"].dtype, pd.CategoricalDtype)
    curator.validate()


def test_standardize_adds_missing_nullable_columns(schema: ln.Schema) -> None:
    """lamindb's standardize() adds a missing column of a nullable feature and fills in
    default values."""
    frame = _frame()
    curator = DataFrameCurator(frame, schema)

    curator.standardize()

    assert "donor" in frame.columns and frame["donor"].isna().all()
    strict = ln.Feature(name="strict", dtype=int, nullable=False).save()
    with pytest.raises(ValidationError, match="'strict' cannot be added"):
        DataFrameCurator(_frame(), ln.Schema([strict]).save()).standardize()


def test_add_new_from_registers_terms_on_purpose(schema: ln.Schema) -> None:
    """lamindb's cat.add_new_from(key) creates the missing labels; it refuses while synonyms
    are pending ("Please run `.standardize()` before adding new values")."""
    frame = _frame(cell_type=["T cell", "natural killer cell", "gamma delta T cell"])
    curator = DataFrameCurator(frame, schema)
    with pytest.raises(ValidationError, match=r"run \.standardize"):
        curator.cat.add_new_from("cell_type")
    curator.standardize()

    curator.cat.add_new_from("cell_type", description="added by the curator")

    curator.validate()
    assert ln.ULabel.get(name="gamma delta T cell").description == "added by the curator"
    with pytest.raises(InvalidArgument, match="no categorical column"):
        curator.cat.add_new_from("n_counts")


def test_typed_categorical_features_take_records_of_their_type() -> None:
    """lamindb: cat[ULabel[Tissue]] validates against the records of that type (and its
    sub-types) only; a new term gets the type."""
    tissue = ln.ULabel(name="Tissue", is_type=True).save()
    organ = ln.ULabel(name="Organ", is_type=True, type=tissue).save()
    ln.ULabel(name="lung", type=organ).save()
    ln.ULabel(name="blood").save()  # no type
    feature = ln.Feature(name="tissue", dtype="cat[ULabel[Tissue]]").save()
    schema = ln.Schema([feature]).save()
    curator = DataFrameCurator(pd.DataFrame({"tissue": ["lung", "blood"]}), schema)

    (problem,) = _problems(curator)

    assert problem.values == ("blood",)
    assert "ULabel[Tissue].name" in problem.message
    curator.cat.add_new_from("tissue")
    curator.validate()
    assert ln.ULabel.filter(name="blood", type=tissue).count() == 1


def test_union_and_list_dtypes() -> None:
    """lamindb validates unions (cat[ULabel|Record]) registry by registry, and list columns
    element-wise."""
    ln.ULabel(name="u1").save()
    ln.Record(name="r1").save()
    union = ln.Feature(name="union", dtype="cat[ULabel|Record]").save()
    tags = ln.Feature(name="tags", dtype="list[cat[ULabel]]").save()
    schema = ln.Schema([union, tags]).save()
    frame = pd.DataFrame({"union": ["u1", "r1"], "tags": [["u1"], ["u1", "u2"]]})

    (problem,) = _problems(DataFrameCurator(frame, schema))

    assert (problem.column, problem.values) == ("tags", ("u2",))
    (dtype_problem,) = _problems(DataFrameCurator(frame.assign(tags=["u1", "u2"]), schema))
    assert dtype_problem.kind == "dtype" and "no lists" in dtype_problem.message


def test_a_flexible_schema_validates_registered_features() -> None:
    """lamindb: a schema with itype=Feature validates the columns that are registered
    features and ignores the others."""
    ln.ULabel(name="T cell").save()
    ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    schema = ln.Schema(itype=ln.Feature, name="valid features").save()
    frame = pd.DataFrame({"cell_type": ["T cell", "X"], "unknown": [1, 2]})

    (problem,) = _problems(DataFrameCurator(frame, schema))

    assert (problem.column, problem.values) == ("cell_type", ("X",))


def test_save_artifact_annotates(schema: ln.Schema) -> None:
    """lamindb: save_artifact() links the schema, the labels of each categorical feature and
    a schema per slot ({'columns': <schema of the validated columns>})."""
    frame = _frame(donor=["d1", "d2", "d3"])

    artifact = DataFrameCurator(frame, schema).save_artifact(key="cells.parquet", description="c")

    assert artifact.schema == schema and artifact.description == "c"
    (slot,) = artifact.features.slots.values()
    assert list(artifact.features.slots) == ["columns"]
    assert slot.members.to_list("name") == ["cell_type", "n_counts", "donor"]
    assert artifact.features.get_values() == {"cell_type": {"B cell", "NK cell", "T cell"}}
    assert artifact.features.get_values(external_only=True) == {}
    cell_type = ln.Feature.get(name="cell_type")
    assert sorted(artifact.labels.get(cell_type).to_list("name")) == ["B cell", "NK cell", "T cell"]
    assert ln.Artifact.filter(cell_type="NK cell").to_list() == [artifact]
    again = DataFrameCurator(frame, schema).save_artifact(key="cells.parquet")
    assert again == artifact  # same content: the saved artifact, annotated once


def test_save_artifact_refuses_an_invalid_frame(schema: ln.Schema) -> None:
    """lamindb validates before saving; nothing is saved when validation fails."""
    with pytest.raises(ValidationError):
        DataFrameCurator(_frame(cell_type=["X", "T cell", "B cell"]), schema).save_artifact(
            key="bad.parquet"
        )
    assert ln.Artifact.filter().count() == 0


def test_from_dataframe_curates_on_the_way_in(schema: ln.Schema) -> None:
    """lamindb: Artifact.from_dataframe(df, schema=...) validates at construction and
    annotates on save(); coerced values are what is stored."""
    with pytest.raises(ValidationError, match="'Tcel'"):
        ln.Artifact.from_dataframe(
            _frame(cell_type=["Tcel", "T cell", "B cell"]), key="x.parquet", schema=schema
        )
    coercing = ln.Schema(list(schema.members)[:2], coerce=True, name="coercing").save()

    artifact = ln.Artifact.from_dataframe(
        _frame(n_counts=[1, 2, 3]), key="cells.parquet", schema=coercing
    )
    assert artifact.id is None and artifact.schema == coercing
    artifact.save()

    assert artifact.features.get_values() == {"cell_type": {"B cell", "NK cell", "T cell"}}
    assert list(artifact.features.slots) == ["columns"]
    assert str(artifact.load()["n_counts"].dtype) == "float64"


def test_curating_a_saved_artifact(schema: ln.Schema) -> None:
    """lamindb: a curator takes an artifact (loaded for validation); save_artifact()
    annotates that artifact."""
    artifact = ln.Artifact.from_dataframe(_frame(), key="later.parquet").save()
    curator = DataFrameCurator(artifact, schema)

    assert curator.save_artifact() == artifact

    assert ln.Artifact.get(artifact.id).schema == schema
    assert artifact.features.get_values()["cell_type"] == {"B cell", "NK cell", "T cell"}
    with pytest.raises(InvalidArgument, match="load it"):
        curator.standardize()


def test_wrong_arguments(schema: ln.Schema) -> None:
    """lamindb: "schema argument must be a Schema record", unsaved schemas are refused."""
    with pytest.raises(InvalidArgument, match="must be a Schema record"):
        DataFrameCurator(_frame(), "cells")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="must be saved"):
        DataFrameCurator(_frame(), ln.Schema([ln.Feature.get(name="donor")]))
    with pytest.raises(InvalidArgument, match=r"pandas\.DataFrame"):
        DataFrameCurator({"a": [1]}, schema)
    composite = ln.Schema(otype="AnnData", slots={"obs": schema}).save()
    with pytest.raises(InvalidArgument, match="composite schema"):
        DataFrameCurator(_frame(), composite)
    with pytest.raises(ValidationError, match="run validate"):
        _ = DataFrameCurator(_frame(), schema).cat.non_validated


def test_the_report_is_data(schema: ln.Schema) -> None:
    """The report (for Dagster asset checks) lists slot, column, kind and bad values."""
    curator = DataFrameCurator(_frame(cell_type=["T cell", "X", "X"], n_counts=None), schema)

    report = curator.report

    assert report.kinds == ["missing_column", "non_validated"]
    assert [p.column for p in report.for_slot(None)] == ["n_counts", "cell_type"]
    assert report.for_column("cell_type")[0].values == ("X",)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["schema"] == "cells"
    assert data["problems"][1] == {
        "slot": None,
        "column": "cell_type",
        "kind": "non_validated",
        "message": report.problems[1].message,
        "values": ["X"],
        "n_values": 1,
        "synonyms": {},
        "expected": None,
        "got": None,
    }


def test_distinct_values_by_identity_match_by_value() -> None:
    """Columns of repeated string objects are summarized by identity, others by value."""
    labels = np.array(["a", "b", None, "c"], dtype=object)
    shared = pd.Series(labels[np.arange(200_000) % 4])
    copies = pd.Series(["".join(["a", "b"]) for _ in range(60_000)] + ["b", None] * 100)
    unique = pd.Series([f"v{i}" for i in range(60_000)])

    assert sorted(distinct(shared).values) == ["a", "b", "c"] and distinct(shared).has_null
    assert sorted(distinct(copies).values) == ["ab", "b"] and distinct(copies).has_null
    assert len(distinct(unique).values) == 60_000 and not distinct(unique).has_null
    assert distinct(shared[::2]).values == ["a"]  # a strided view: by value
