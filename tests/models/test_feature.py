"""Features: dtypes, construction, types, curation and feature values (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, ValidationError
from lamin_pipes.models import FeatureValue

pytestmark = pytest.mark.usefixtures("instance")

SIMPLE = ["num", "int", "float", "str", "bool", "date", "datetime", "dict", "path", "url"]


@pytest.mark.parametrize("dtype", SIMPLE)
def test_every_simple_dtype_string(dtype: str) -> None:
    """lamindb accepts these strings as dtypes and stores them as given."""
    feature = ln.Feature(name=f"f_{dtype}", dtype=dtype).save()
    assert ln.Feature.get(name=f"f_{dtype}").dtype_as_str == dtype
    assert feature.dtype == dtype


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (bool, "bool"),
        (dict, "dict"),
        (dt.date, "date"),
        (dt.datetime, "datetime"),
        (Path, "path"),
        (list[int], "list[int]"),
        (list[str], "list[str]"),
        ("list[float]", "list[float]"),
    ],
)
def test_python_types_as_dtype(given: object, stored: str) -> None:
    """lamindb serializes Python types (and list[...] of them) to dtype strings."""
    assert ln.Feature(name="x", dtype=given).dtype_as_str == stored


def test_registries_as_dtype() -> None:
    """lamindb: a registry class is cat[<Registry>], a list of them a union."""
    assert ln.Feature(name="a", dtype=ln.ULabel).dtype_as_str == "cat[ULabel]"
    assert ln.Feature(name="b", dtype=ln.Record).dtype_as_str == "cat[Record]"
    assert ln.Feature(name="c", dtype=ln.Project).dtype_as_str == "cat[Project]"
    assert ln.Feature(name="d", dtype=[ln.ULabel, ln.Record]).dtype_as_str == "cat[ULabel|Record]"
    assert ln.Feature(name="e", dtype=list[ln.ULabel]).dtype_as_str == "list[cat[ULabel]]"
    assert ln.Feature(name="f", dtype="cat[ULabel|Record]").dtype_as_str == "cat[ULabel|Record]"
    assert ln.Feature(name="g", dtype="list[cat[ULabel]]").dtype_as_str == "list[cat[ULabel]]"
    assert ln.Feature(name="h", dtype="cat[ULabel.reference]").dtype_as_str == (
        "cat[ULabel.reference]"
    )


def test_typed_categorical_is_stored_by_uid_and_shown_by_name() -> None:
    """lamindb stores cat[ULabel[<type uid>]] and shows the type's name in .dtype."""
    perturbation = ln.ULabel(name="Perturbation", is_type=True).save()
    by_record = ln.Feature(name="p1", dtype=perturbation).save()
    by_name = ln.Feature(name="p2", dtype="cat[ULabel[Perturbation]]").save()
    by_uid = ln.Feature(name="p3", dtype=f"cat[ULabel[{perturbation.uid}]]").save()
    expected = f"cat[ULabel[{perturbation.uid}]]"
    assert by_record.dtype_as_str == by_name.dtype_as_str == by_uid.dtype_as_str == expected
    assert by_record.dtype == "cat[ULabel[Perturbation]]"
    assert by_record.dtype_as_object == perturbation
    samples = ln.Record(name="Samples", is_type=True).save()
    nested = ln.Record(name="Blood", is_type=True, type=samples).save()
    feature = ln.Feature(name="sample", dtype="list[cat[Record[Samples[Blood]]]]").save()
    assert feature.dtype_as_str == f"list[cat[Record[{nested.uid}]]]"
    assert feature.dtype == "list[cat[Record[Samples[Blood]]]]"


@pytest.mark.parametrize(
    "bad",
    ["integer", "cat[Foo]", "cat[]", "list[list[int]]", "cat[ULabel", "cat[ULabel.nope]", "Int"],
)
def test_bad_dtype_strings_list_the_valid_forms(bad: str) -> None:
    """lamindb raises ValueError/ValidationError; we always raise ValidationError with the forms."""
    with pytest.raises(ValidationError) as error:
        ln.Feature(name="bad", dtype=bad)
    message = str(error.value)
    assert repr(bad) in message
    assert "num, int, float, str, bool, date, datetime, dict, path, url" in message
    assert "cat[ULabel[<type name or uid>]]" in message


def test_unknown_type_name_and_non_types() -> None:
    """lamindb: an unknown type uid raises DoesNotExist; a record that is no type InvalidArgument."""
    ln.ULabel(name="Cell types", is_type=True).save()
    with pytest.raises(ValidationError, match=r"no ULabel type 'Celltypes'.*'Cell types'"):
        ln.Feature(name="ct", dtype="cat[ULabel[Celltypes]]")
    plain = ln.ULabel(name="plain").save()
    with pytest.raises(InvalidArgument, match="is_type=False"):
        ln.Feature(name="ct", dtype=plain)
    with pytest.raises(InvalidArgument, match="unsaved"):
        ln.Feature(name="ct", dtype=ln.ULabel(name="Unsaved", is_type=True))
    with pytest.raises(InvalidArgument, match="union"):
        ln.Feature(name="ct", dtype=[ln.ULabel, ln.ULabel.get(name="Cell types")])
    with pytest.raises(ValidationError, match="Invalid dtype"):
        ln.Feature(name="ct", dtype=object)


def test_dtype_is_required_unless_type() -> None:
    """lamindb: 'Please pass dtype, one of ...' unless is_type=True."""
    with pytest.raises(ValidationError, match="Please pass dtype"):
        ln.Feature(name="no_dtype")
    feature_type = ln.Feature(name="Metrics", is_type=True).save()
    assert feature_type.dtype_as_str is None and feature_type.nullable is None
    accuracy = ln.Feature(name="accuracy", dtype=float, type=feature_type).save()
    assert accuracy.nullable is True
    assert feature_type.features.to_list("name") == ["accuracy"]
    assert feature_type.query_features().to_list("name") == ["accuracy"]


def test_constructor_fields_and_positional_arguments() -> None:
    """lamindb takes keywords only; we also take name and dtype positionally."""
    feature = ln.Feature(
        "temperature",
        float,
        unit="°C",
        description="Body temperature",
        synonyms="temp|body temp",
        nullable=False,
        default_value=37.0,
        coerce=True,
    ).save()
    loaded = ln.Feature.get(name="temperature")
    assert (loaded.unit, loaded.description, loaded.synonyms) == (
        "°C",
        "Body temperature",
        "temp|body temp",
    )
    assert (loaded.nullable, loaded.default_value, loaded.coerce) == (False, 37.0, True)
    assert loaded == feature
    with pytest.raises(ln.errors.FieldValidationError, match="name"):
        ln.Feature(dtype=int)


def test_same_name_returns_the_saved_feature_and_refuses_another_dtype() -> None:
    """lamindb returns the existing feature; a different dtype raises ValidationError."""
    saved = ln.Feature(name="n_cells", dtype=int).save()
    again = ln.Feature(name="n_cells", dtype="int")
    assert again == saved and again.id == saved.id
    with pytest.raises(ValidationError, match=r"already exists with dtype 'int'.*'float'"):
        ln.Feature(name="n_cells", dtype=float)


def test_feature_is_can_curate_and_has_type() -> None:
    """lamindb's Feature is CanCurate (validate/search/lookup/from_values) and HasType."""
    for name in ["cell_type", "tissue", "donor"]:
        ln.Feature(name=name, dtype=str).save()
    assert list(ln.Feature.validate(["cell_type", "cell type", "tissue"], mute=True)) == [
        True,
        False,
        True,
    ]
    assert ln.Feature.search("tisue").first().name == "tissue"
    assert ln.Feature.lookup().donor.name == "donor"
    assert sorted(ln.Feature.from_values(["donor", "tissue"]).to_list("name")) == [
        "donor",
        "tissue",
    ]
    assert ln.Feature.standardize(["Tissue"], mute=True) == ["tissue"]


def test_feature_comparisons_build_predicates() -> None:
    """lamindb: comparing a Feature with a value gives a FeaturePredicate; with a feature, a bool."""
    n_cells = ln.Feature(name="n_cells", dtype=int).save()
    other = ln.Feature(name="n_genes", dtype=int).save()
    predicate = n_cells > 1000
    assert (predicate.feature, predicate.comparator, predicate.value) == (n_cells, "__gt", 1000)
    assert (n_cells >= 1).comparator == "__gte"
    assert (n_cells < 1).comparator == "__lt"
    assert (n_cells <= 1).comparator == "__lte"
    assert (n_cells == 3).comparator == ""
    assert (n_cells != 3).comparator == "__ne"
    assert n_cells.is_null().value is True
    assert (n_cells == other) is False
    assert (n_cells == ln.Feature.get(name="n_cells")) is True
    assert (n_cells == ln.ULabel(name="x").save()) is False
    with pytest.raises(TypeError, match="cannot be used as booleans"):
        bool(n_cells > 3)
    assert len({n_cells, other, ln.Feature.get(name="n_cells")}) == 2


def test_feature_value_is_deduplicated_by_feature_and_hash() -> None:
    """lamindb's JsonValue.get_or_create returns the existing (feature, value) row."""
    temperature = ln.Feature(name="temperature", dtype="num").save()
    meta = ln.Feature(name="meta", dtype=dict).save()
    first, existed = FeatureValue.get_or_create(temperature, 37.5)
    assert not existed
    second, existed = FeatureValue.get_or_create(temperature, 37.5)
    assert existed and second == first
    integer, _ = FeatureValue.get_or_create(temperature, 37)
    assert integer != first
    d1, _ = FeatureValue.get_or_create(meta, {"a": 1, "b": [1, 2]})
    d2, existed = FeatureValue.get_or_create(meta, {"b": [1, 2], "a": 1})
    assert existed and d1 == d2 and d2.value == {"a": 1, "b": [1, 2]}
    assert FeatureValue.filter(feature=temperature).count() == 2
    assert temperature.values.count() == 2
    with pytest.raises(ValidationError, match="'temperature' \\(num\\) got 'hot'"):
        FeatureValue.get_or_create(temperature, "hot")
