"""Feature values and labels of artifacts, runs and records (SQLite and PostgreSQL).

Checked against lamindb 2.12: ``artifact.features.add_values`` validates every value
against its feature's dtype and raises ``ValidationError`` naming the feature and value;
``get_values()`` gives one value as is, several as a set; ``remove_values`` unlinks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument, ValidationError
from lamin_pipes.models import FeatureManager, FeatureValue, LabelManager

pytestmark = pytest.mark.usefixtures("instance")


def _artifact(key: str = "a.parquet", n: int = 1) -> Any:
    return ln.Artifact(pd.DataFrame({"x": list(range(n))}), key=key).save()


def _run() -> Any:
    return ln.Run(ln.Transform(key="feature-run").save()).save()


# (dtype, valid values (given, as get_values() returns it), invalid values)
DTYPE_CASES: list[tuple[str, list[tuple[Any, Any]], list[Any]]] = [
    ("int", [(3, 3), (-7, -7)], ["3", 1.5, True, [1]]),
    ("float", [(1.5, 1.5), (2, 2), (1 / 3, 1 / 3)], ["1.5", False, float("inf")]),
    ("num", [(1.5, 1.5), (4, 4)], ["x", True]),
    ("str", [("hello", "hello"), ("123", "123"), ("", "")], [3, 1.5, {"a": 1}]),
    ("bool", [(True, True), (False, False)], [1, "true"]),
    (
        "date",
        [(dt.date(2024, 1, 2), dt.date(2024, 1, 2)), ("2024-02-03", dt.date(2024, 2, 3))],
        ["not a date", 20240102, dt.datetime(2024, 1, 2, 3, 4)],
    ),
    (
        "datetime",
        [(dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5))],
        ["yesterday", 5],
    ),
    ("dict", [({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]})], ["a", [1]]),
    ("path", [("data/a.csv", "data/a.csv"), (Path("data/b.csv"), "data/b.csv")], [3]),
    ("url", [("https://lamin.ai", "https://lamin.ai")], [3]),
    ("list[int]", [([1, 2], [1, 2]), ((3,), [3])], [["1"], [1.5]]),
    ("list[str]", [(["a", "b"], ["a", "b"])], [[1]]),
]


@pytest.mark.parametrize(("dtype", "valid", "invalid"), DTYPE_CASES)
def test_every_dtype_takes_its_values_and_refuses_others(
    dtype: str, valid: list[tuple[Any, Any]], invalid: list[Any]
) -> None:
    """lamindb validates each value against the dtype and raises ValidationError naming it."""
    ln.Feature(name="f", dtype=dtype).save()
    for i, (given, expected) in enumerate(valid):
        artifact = _artifact(f"v{i}.parquet", n=i + 1)
        artifact.features.add_values({"f": given})
        assert artifact.features.get_values() == {"f": expected}
    target = _artifact("invalid.parquet", n=99)
    for value in invalid:
        with pytest.raises(ValidationError) as error:
            target.features.add_values({"f": value})
        assert "'f'" in str(error.value) and f"({dtype})" in str(error.value)
    assert target.features.get_values() == {}


def test_categorical_values_by_name_and_record_and_missing_ones() -> None:
    """lamindb: labels by name or record; a missing name raises ValidationError with a hint."""
    ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
    b_cell = ln.ULabel.get(name="B cell")
    artifact = _artifact()
    artifact.features.add_values({"cell_type": "T cell"})
    artifact.features.add_values({"cell_type": b_cell})
    assert artifact.features.get_values() == {"cell_type": {"T cell", "B cell"}}
    assert sorted(artifact.features["cell_type"].to_list("name")) == ["B cell", "T cell"]
    assert sorted(artifact.ulabels.to_list("name")) == ["B cell", "T cell"]
    with pytest.raises(ValidationError) as error:
        artifact.features.add_values({"cell_type": ["T cell", "Tcell", "NK cell"]})
    message = str(error.value)
    assert "2 terms not validated in ULabel: 'Tcell', 'NK cell'" in message
    assert "'Tcell': did you mean 'T cell'" in message
    assert "ln.ULabel.from_values(['Tcell', 'NK cell'], create=True).save()" in message
    with pytest.raises(ValidationError, match="takes ULabel records"):
        artifact.features.add_values({"cell_type": ln.Record(name="rec").save()})
    with pytest.raises(ValidationError, match="expected label names"):
        artifact.features.add_values({"cell_type": 3})
    assert artifact.features.get_values() == {"cell_type": {"T cell", "B cell"}}


def test_typed_unions_and_lists_of_labels() -> None:
    """lamindb: cat[ULabel[<type>]] takes only labels of that type; unions try each registry."""
    perturbations = ln.ULabel(name="Perturbation", is_type=True).save()
    ln.ULabel(name="DMSO", type=perturbations).save()
    ln.ULabel(name="IFNG", type=perturbations).save()
    ln.ULabel(name="free label").save()
    ln.Record(name="donor 1").save()
    ln.Feature(name="perturbation", dtype=perturbations).save()
    ln.Feature(name="anything", dtype="cat[ULabel|Record]").save()
    ln.Feature(name="treatments", dtype="list[cat[ULabel[Perturbation]]]").save()
    artifact = _artifact()
    artifact.features.add_values(
        {
            "perturbation": "DMSO",
            "anything": ["free label", "donor 1"],
            "treatments": ["IFNG", "DMSO"],
        }
    )
    values = artifact.features.get_values()
    assert values["perturbation"] == "DMSO"
    assert values["anything"] == {"free label", "donor 1"}
    assert values["treatments"] == ["IFNG", "DMSO"]
    assert artifact.records.to_list("name") == ["donor 1"]
    with pytest.raises(ValidationError, match=r"not validated in ULabel\[.*\]: 'free label'"):
        artifact.features.add_values({"perturbation": "free label"})
    with pytest.raises(ValidationError, match="not of the feature's type"):
        artifact.features.add_values({"perturbation": ln.ULabel.get(name="free label")})
    assert artifact.features["anything"].to_list() == [
        ln.ULabel.get(name="free label"),
        ln.Record.get(name="donor 1"),
    ]


def test_projects_as_values() -> None:
    """lamindb: cat[Project] values link projects to the artifact."""
    ln.Project(name="atlas").save()
    ln.Feature(name="project", dtype=ln.Project).save()
    artifact = _artifact()
    artifact.features.add_values({"project": "atlas"})
    assert artifact.projects.to_list("name") == ["atlas"]
    assert ln.Project.get(name="atlas").artifacts.count() == 1


def test_unknown_features_are_named_with_a_hint_and_nothing_is_written() -> None:
    """lamindb: 'These keys could not be validated: [...]' with how to create each feature."""
    ln.Feature(name="n_cells", dtype=int).save()
    artifact = _artifact()
    with pytest.raises(ValidationError) as error:
        artifact.features.add_values({"n_cells": 5, "n_cell": 3, "tissue": "lung"})
    message = str(error.value)
    assert "These keys could not be validated: ['n_cell', 'tissue']" in message
    assert "'n_cell': did you mean 'n_cells'?" in message
    assert "ln.Feature(name='n_cell', dtype='int').save()" in message
    assert "ln.Feature(name='tissue', dtype='str').save()" in message
    assert artifact.features.get_values() == {}
    assert FeatureValue.filter().count() == 0


def test_a_failing_call_writes_nothing() -> None:
    """lamindb validates before writing; here every call is also one transaction."""
    ln.Feature(name="n", dtype=int).save()
    ln.Feature(name="label", dtype=ln.ULabel).save()
    ln.ULabel(name="ok").save()
    artifact = _artifact()
    with pytest.raises(ValidationError) as error:
        artifact.features.add_values({"n": 1, "label": "missing"})
    assert "'label'" in str(error.value)
    with pytest.raises(ValidationError) as error:
        artifact.features.add_values({"n": "one", "label": "ok"})
    assert "'n' (int) = 'one'" in str(error.value)
    assert artifact.features.get_values() == {}
    assert artifact.ulabels.count() == 0
    assert FeatureValue.filter().count() == 0


def test_none_and_nan_are_skipped() -> None:
    """lamindb: 'If a value is None, it will be skipped' (NaN and empty lists too)."""
    ln.Feature(name="a", dtype=float).save()
    ln.Feature(name="b", dtype="list[int]").save()
    artifact = _artifact()
    artifact.features.add_values({"a": None, "b": []})
    artifact.features.add_values({"a": float("nan")})
    assert artifact.features.get_values() == {}


def test_values_are_shared_between_artifacts_and_links_not_repeated() -> None:
    """lamindb's get_or_create of JsonValue: one row per (feature, value)."""
    ln.Feature(name="stage", dtype=str).save()
    a1, a2 = _artifact("1.parquet"), _artifact("2.parquet", n=2)
    a1.features.add_values({"stage": "raw"})
    a1.features.add_values({"stage": "raw"})
    a2.features.add_values({"stage": "raw"})
    assert FeatureValue.filter().count() == 1
    assert a1.json_values.count() == 1
    assert FeatureValue.get(value="raw").artifacts.count() == 2


def test_set_values_replaces_and_remove_values_unlinks() -> None:
    """lamindb: set_values removes all feature annotations first; remove_values by feature/value."""
    ln.Feature(name="n", dtype=int).save()
    ln.Feature(name="tissue", dtype=ln.ULabel).save()
    ln.Feature(name="note", dtype=str).save()
    ln.ULabel.from_values(["lung", "heart"], create=True).save()
    plain = ln.ULabel(name="plain").save()
    artifact = _artifact()
    artifact.ulabels.add(plain)  # a plain label is no feature value: set_values keeps it
    artifact.features.add_values({"n": 1, "tissue": ["lung", "heart"], "note": "x"})
    artifact.features.set_values({"n": 2, "tissue": "heart"})
    assert artifact.features.get_values() == {"n": 2, "tissue": "heart"}
    assert sorted(artifact.ulabels.to_list("name")) == ["heart", "plain"]
    artifact.features.add_values({"n": 3, "tissue": "lung", "note": "y"})
    artifact.features.remove_values("n", value=2)
    assert artifact.features.get_values() == {"n": 3, "note": "y", "tissue": {"heart", "lung"}}
    artifact.features.remove_values("tissue", value="heart")
    assert artifact.features.get_values()["tissue"] == "lung"
    artifact.features.remove_values(["n", ln.Feature.get(name="note")])
    assert artifact.features.get_values() == {"tissue": "lung"}
    artifact.features.add_values({"n": 5})
    artifact.features.remove_values("tissue")  # a categorical feature alone: its labels only
    assert artifact.features.get_values() == {"n": 5}
    assert artifact.ulabels.to_list("name") == ["plain"]
    artifact.features.add_values({"tissue": "lung"})
    artifact.features.remove_values()
    assert artifact.features.get_values() == {}
    assert artifact.ulabels.to_list("name") == ["plain"]
    with pytest.raises(ValidationError, match="Feature with name 'nope' not found"):
        artifact.features.remove_values("nope")


def test_runs_and_records_have_features() -> None:
    """lamindb 2.x: run.features and record.features work like artifact.features."""
    ln.Feature(name="lr", dtype=float).save()
    ln.Feature(name="donor", dtype=ln.Record).save()
    ln.Feature(name="tags", dtype="list[cat[ULabel]]").save()
    ln.Record(name="D1").save()
    ln.ULabel.from_values(["a", "b"], create=True).save()
    run = _run()
    run.features.add_values({"lr": 0.01, "donor": "D1"})
    assert run.features.get_values() == {"donor": "D1", "lr": 0.01}
    assert run.records.to_list("name") == ["D1"]
    samples = ln.Record(name="Samples", is_type=True).save()
    sample = ln.Record(name="sample 1", type=samples).save()
    sample.features.add_values({"lr": 1.0, "donor": "D1", "tags": ["b", "a"]})
    assert sample.features.get_values() == {"donor": "D1", "lr": 1.0, "tags": ["b", "a"]}
    assert sample.linked_records.to_list("name") == ["D1"]
    assert ln.Record.get(name="D1").linked_in_records.to_list("name") == ["sample 1"]
    assert isinstance(run.features, FeatureManager)


def test_getitem_and_feature_keys() -> None:
    """lamindb: features['name'] gives values, or the label records as a query set."""
    n = ln.Feature(name="n", dtype=int).save()
    ln.Feature(name="tissue", dtype=ln.ULabel).save()
    ln.ULabel(name="lung").save()
    artifact = _artifact()
    artifact.features.add_values({n: 5, "tissue": "lung"})
    assert artifact.features["n"] == 5
    assert artifact.features[n] == 5
    assert artifact.features["tissue"].to_list("name") == ["lung"]
    artifact.features.add_values({"n": 6})
    assert sorted(artifact.features["n"]) == [5, 6]
    assert artifact.features.get_values()["n"] == {5, 6}
    with pytest.raises(ValidationError, match="not found"):
        artifact.features["missing"]
    artifact.features.add_values({n.uid: 7}, feature_field=ln.Feature.uid)
    assert sorted(artifact.features["n"]) == [5, 6, 7]


def test_bad_arguments() -> None:
    """lamindb refuses unsaved hosts and non-dict values."""
    ln.Feature(name="n", dtype=int).save()
    unsaved = ln.Artifact(pd.DataFrame({"x": [1]}), key="unsaved.parquet")
    with pytest.raises(InvalidArgument, match="Save the Artifact"):
        unsaved.features.add_values({"n": 1})
    artifact = _artifact()
    with pytest.raises(InvalidArgument, match="dict"):
        artifact.features.add_values([("n", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be str or Feature"):
        artifact.features.add_values({3: 1})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="feature type"):
        ln.Feature(name="Group", is_type=True).save()
        artifact.features.add_values({ln.Feature.get(name="Group"): 1})
    with pytest.raises(InvalidArgument, match=r"needs schemas|schema"):
        artifact.features.add_values({"n": 1}, schema=object())
    assert artifact.features.slots == {}


def test_values_inside_atomic_roll_back_together() -> None:
    """ln.atomic(): values written in the block disappear when it fails."""
    ln.Feature(name="n", dtype=int).save()
    artifact = _artifact()
    with pytest.raises(RuntimeError), ln.atomic():
        artifact.features.add_values({"n": 1})
        assert artifact.features.get_values() == {"n": 1}
        raise RuntimeError("undo")
    assert artifact.features.get_values() == {}


# --- labels -------------------------------------------------------------------------


def test_labels_add_with_and_without_feature_and_get() -> None:
    """lamindb's LabelManager: add(records, feature) links labels; get(feature) returns them."""
    tissue = ln.Feature(name="tissue", dtype=ln.ULabel).save()
    numbers = ln.Feature(name="n", dtype=int).save()
    lung, heart = ln.ULabel.from_values(["lung", "heart"], create=True).save()
    artifact = _artifact()
    assert isinstance(artifact.labels, LabelManager)
    artifact.labels.add(lung, feature=tissue)
    artifact.labels.add(ln.ULabel.filter(name="heart"))
    assert sorted(artifact.ulabels.to_list("name")) == ["heart", "lung"]
    assert artifact.labels.get(tissue).to_list("name") == ["lung"]
    assert artifact.labels.get("tissue", flat_names=True) == ["lung"]
    assert artifact.features.get_values() == {"tissue": "lung"}
    artifact.labels.add([heart], feature=tissue)  # also as a value of the feature
    assert sorted(artifact.labels.get(tissue, flat_names=True)) == ["heart", "lung"]
    with pytest.raises(ValidationError, match="not a categorical one"):
        artifact.labels.add(lung, feature=numbers)
    with pytest.raises(ValidationError, match="takes ULabel labels, not Record"):
        artifact.labels.add(ln.Record(name="r").save(), feature=tissue)
    with pytest.raises(ValidationError, match="labels are ULabel, Record, Project records"):
        artifact.labels.add(ln.Transform(key="t").save())
    union = ln.Feature(name="either", dtype=[ln.ULabel, ln.Record]).save()
    artifact.labels.add([lung, ln.Record.get(name="r")], feature=union)
    both = artifact.labels.get(union)
    assert set(both) == {"ULabel", "Record"}
    assert both["Record"].to_list("name") == ["r"]


def test_add_from_another_artifact_and_a_collection() -> None:
    """lamindb: add_from(artifact or collection) links the same labels with their features."""
    tissue = ln.Feature(name="tissue", dtype=ln.ULabel).save()
    ln.ULabel.from_values(["lung", "heart"], create=True).save()
    ln.Record(name="donor").save()
    source = _artifact("source.parquet")
    source.features.add_values({"tissue": "lung"})
    source.records.add(ln.Record.get(name="donor"))
    target = _artifact("target.parquet", n=2)
    target.labels.add(ln.ULabel.get(name="heart"))
    target.labels.add_from(source)
    target.labels.add_from(source)  # idempotent
    assert sorted(target.ulabels.to_list("name")) == ["heart", "lung"]
    assert target.records.to_list("name") == ["donor"]
    assert target.labels.get(tissue, flat_names=True) == ["lung"]
    collection = ln.Collection([source, target], key="both").save()
    collection.labels.add_from(target)
    assert sorted(collection.ulabels.to_list("name")) == ["heart", "lung"]
    third = _artifact("third.parquet", n=3)
    third.labels.add_from(collection)
    assert third.labels.get(tissue, flat_names=True) == ["lung"]
    with pytest.raises(InvalidArgument, match="artifact or a collection"):
        third.labels.add_from(ln.ULabel.get(name="lung"))


def test_describe_shows_features_and_labels() -> None:
    """lamindb's describe(): a Features section (name, dtype, values) and the labels."""
    perturbation = ln.ULabel(name="Perturbation", is_type=True).save()
    ln.ULabel(name="DMSO", type=perturbation).save()
    ln.ULabel(name="train").save()
    ln.Feature(name="perturbation", dtype=perturbation).save()
    ln.Feature(name="n_cells", dtype=int).save()
    ln.Feature(name="split", dtype=ln.ULabel).save()
    artifact = _artifact()
    artifact.features.add_values({"perturbation": "DMSO", "n_cells": 10, "split": "train"})
    text = artifact.describe(return_str=True)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    at = lines.index("├── Features")
    assert lines[at + 1 : at + 6] == [
        "│ ├── n_cells int 10",
        "│ ├── perturbation ULabel[Perturbation] DMSO",
        "│ └── split ULabel train",
        "└── Labels",
        "└── .ulabels ULabel DMSO, train",
    ]
    features = artifact.features.describe(return_str=True)
    assert features.startswith("Artifact: a.parquet\n└── Features\n")
    assert artifact.labels.describe() == "Labels\n└── .ulabels  ULabel  DMSO, train"
    run = _run()
    run.features.add_values({"n_cells": 3})
    assert "└── Features\n    └── n_cells  int  3" in run.describe(return_str=True)
    assert "Features" not in ln.ULabel.get(name="train").describe(return_str=True)
