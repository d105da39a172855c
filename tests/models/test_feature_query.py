"""Filtering and tabulating artifacts, runs and records by features (SQLite and PostgreSQL).

Checked against lamindb 2.12: ``ln.Artifact.filter(f_int__gt=500)`` compares JSON
numbers numerically, ``filter(f_cat="label 7")`` finds the artifacts linked to that
label through the feature (a name no label has raises ``DoesNotExist``), unknown
keywords raise ``InvalidArgument``; ``to_dataframe(include="features")`` adds one column
per feature after ``uid`` and the name field, several labels as a set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import event

import lamin_pipes as ln
from lamin_pipes.errors import DoesNotExist, FieldError, InvalidArgument, ValidationError
from lamin_pipes.models import _prepared

pytestmark = pytest.mark.usefixtures("instance")


def _setup(n: int = 10) -> list[Any]:
    ln.Feature(name="n_cells", dtype=int).save()
    ln.Feature(name="score", dtype=float).save()
    ln.Feature(name="stage", dtype=str).save()
    ln.Feature(name="day", dtype=dt.date).save()
    ln.Feature(name="ok", dtype=bool).save()
    ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    ln.Feature(name="project", dtype=ln.Project).save()
    ln.ULabel.from_values(["T cell", "B cell", "NK cell"], create=True).save()
    ln.Project(name="atlas").save()
    artifacts = []
    for i in range(n):
        artifact = ln.Artifact(pd.DataFrame({"i": [i]}), key=f"data/{i}.parquet").save()
        values: dict[str, Any] = {
            "n_cells": i * 100,
            "score": i / 2,
            "stage": f"stage-{i % 3}",
            "day": dt.date(2024, 1, 1 + i),
            "ok": i % 2 == 0,
            "cell_type": "T cell" if i % 2 else "B cell",
        }
        if i < 3:
            values["project"] = "atlas"
        if i == 0:
            values["cell_type"] = ["T cell", "NK cell"]
        artifact.features.add_values(values)
        artifacts.append(artifact)
    return artifacts


def _keys(qs: Any) -> list[int]:
    return sorted(int(a.key.split("/")[1].split(".")[0]) for a in qs)


def test_numeric_comparators() -> None:
    """lamindb compares numbers numerically (SQLite: CAST(json_extract(...))); PostgreSQL too."""
    _setup()
    assert _keys(ln.Artifact.filter(n_cells__gt=500)) == [6, 7, 8, 9]
    assert _keys(ln.Artifact.filter(n_cells__gte=500)) == [5, 6, 7, 8, 9]
    assert _keys(ln.Artifact.filter(n_cells__lt=200)) == [0, 1]
    assert _keys(ln.Artifact.filter(n_cells__lte=200)) == [0, 1, 2]
    assert _keys(ln.Artifact.filter(n_cells=300)) == [3]
    assert _keys(ln.Artifact.filter(n_cells__in=[100, 900, 5])) == [1, 9]
    assert _keys(ln.Artifact.filter(score__gt=3.5)) == [8, 9]
    assert _keys(ln.Artifact.filter(score=1)) == [2]  # 1 == 1.0
    assert _keys(ln.Artifact.filter(score=4.5)) == [9]
    assert ln.Artifact.filter(n_cells__gt=1e9).count() == 0


def test_text_date_and_bool_comparators() -> None:
    """lamindb compares strings and ISO dates as text; booleans exactly."""
    _setup()
    assert _keys(ln.Artifact.filter(stage="stage-1")) == [1, 4, 7]
    assert _keys(ln.Artifact.filter(stage__startswith="stage-2")) == [2, 5, 8]
    assert _keys(ln.Artifact.filter(stage__contains="ge-0")) == [0, 3, 6, 9]
    assert _keys(ln.Artifact.filter(stage__icontains="STAGE-0")) == [0, 3, 6, 9]
    assert _keys(ln.Artifact.filter(stage__in=["stage-0", "stage-2"])) == [0, 2, 3, 5, 6, 8, 9]
    assert _keys(ln.Artifact.filter(day__gt=dt.date(2024, 1, 8))) == [8, 9]
    assert _keys(ln.Artifact.filter(day__lte="2024-01-02")) == [0, 1]
    assert _keys(ln.Artifact.filter(day=dt.date(2024, 1, 4))) == [3]
    assert _keys(ln.Artifact.filter(ok=True)) == [0, 2, 4, 6, 8]
    with pytest.raises(InvalidArgument, match="bool"):
        ln.Artifact.filter(ok__gt=False)


def test_categorical_comparators() -> None:
    """lamindb filters labels by name (exact, contains, ...) within the feature."""
    _setup()
    assert _keys(ln.Artifact.filter(cell_type="T cell")) == [0, 1, 3, 5, 7, 9]
    assert _keys(ln.Artifact.filter(cell_type="NK cell")) == [0]
    assert _keys(ln.Artifact.filter(cell_type=ln.ULabel.get(name="B cell"))) == [2, 4, 6, 8]
    assert _keys(ln.Artifact.filter(cell_type__startswith="NK")) == [0]
    assert _keys(ln.Artifact.filter(cell_type__contains="K c")) == [0]
    assert _keys(ln.Artifact.filter(cell_type__in=["NK cell", "B cell"])) == [0, 2, 4, 6, 8]
    assert _keys(ln.Artifact.filter(project="atlas")) == [0, 1, 2]
    with pytest.raises(DoesNotExist, match="Did not find a ULabel matching `name='X cell'`"):
        ln.Artifact.filter(cell_type="X cell")
    with pytest.raises(ValidationError, match="compares label names"):
        ln.Artifact.filter(cell_type=3)


def test_isnull_and_mixing_fields_with_features() -> None:
    """lamindb: __isnull on features; fields and features in one call, ANDed."""
    _setup()
    assert _keys(ln.Artifact.filter(project__isnull=True)) == list(range(3, 10))
    assert _keys(ln.Artifact.filter(project__isnull=False)) == [0, 1, 2]
    fresh = ln.Artifact(pd.DataFrame({"i": [99]}), key="data/99.parquet").save()
    assert fresh in ln.Artifact.filter(n_cells__isnull=True)
    assert ln.Artifact.filter(n_cells__isnull=False).count() == 10
    both = ln.Artifact.filter(cell_type="T cell", n_cells__gt=200, key__startswith="data/")
    assert _keys(both) == [3, 5, 7, 9]
    assert _keys(ln.Artifact.filter(stage="stage-0").filter(ok=False)) == [3, 9]
    assert _keys(ln.Artifact.filter(ln.Q(key__endswith="1.parquet"), n_cells__lt=500)) == [1]


def test_feature_predicates() -> None:
    """lamindb: comparing a Feature object gives a predicate for filter()."""
    _setup()
    n_cells = ln.Feature.get(name="n_cells")
    cell_type = ln.Feature.get(name="cell_type")
    assert _keys(ln.Artifact.filter(n_cells > 700)) == [8, 9]
    assert _keys(ln.Artifact.filter(n_cells >= 700, n_cells <= 800)) == [7, 8]
    assert _keys(ln.Artifact.filter(n_cells < 100)) == [0]
    assert _keys(ln.Artifact.filter(n_cells == 100)) == [1]
    assert len(_keys(ln.Artifact.filter(n_cells != 100))) == 9
    assert _keys(ln.Artifact.filter(cell_type == "NK cell")) == [0]
    assert _keys(ln.Artifact.filter(cell_type == ln.ULabel.get(name="NK cell"))) == [0]
    assert ln.Artifact.filter(n_cells.is_null()).count() == 0
    assert _keys(ln.Artifact.filter(n_cells > 100, key__endswith="9.parquet")) == [9]
    with pytest.raises(FieldError, match="Feature predicates"):
        ln.Artifact.filter("n_cells > 3")


def test_unknown_features_and_lookups() -> None:
    """lamindb: 'You can query either by available fields: ... Or fix invalid feature names'."""
    _setup(2)
    with pytest.raises(InvalidArgument, match="Or fix invalid feature names: n_cell"):
        ln.Artifact.filter(n_cell=3)
    with pytest.raises(InvalidArgument, match="Unsupported lookup 'foo' for feature 'n_cells'"):
        ln.Artifact.filter(n_cells__foo=3)
    with pytest.raises(ValidationError, match="compares with numbers, got 'many'"):
        ln.Artifact.filter(n_cells__gt="many")
    with pytest.raises(InvalidArgument, match="no text lookup 'contains'"):
        ln.Artifact.filter(n_cells__contains="1")
    with pytest.raises(FieldError, match="Unknown field 'n_cells'"):
        ln.Artifact.filter().exclude(n_cells=3)  # lamindb: exclude() knows fields only


def test_runs_and_records_are_filtered_by_features() -> None:
    """lamindb filters Run and Record by features the same way."""
    ln.Feature(name="lr", dtype=float).save()
    ln.Feature(name="donor", dtype=ln.Record).save()
    ln.Record(name="D1").save()
    transform = ln.Transform(key="train").save()
    runs = [ln.Run(transform).save() for _ in range(3)]
    for i, run in enumerate(runs):
        run.features.add_values({"lr": 10.0**-i, "donor": "D1"})
    assert ln.Run.filter(lr__lt=0.5).count() == 2
    assert ln.Run.filter(donor="D1").count() == 3
    sample = ln.Record(name="sample").save()
    sample.features.add_values({"lr": 0.5, "donor": "D1"})
    assert ln.Record.filter(lr=0.5).to_list("name") == ["sample"]
    assert ln.Record.filter(donor="D1").to_list("name") == ["sample"]


def test_to_dataframe_with_features() -> None:
    """lamindb: uid, the name field, then one column per feature; several labels as a set."""
    _setup(4)
    df = ln.Artifact.filter(key__startswith="data/").to_dataframe(include="features")
    assert list(df.columns) == [
        "uid",
        "key",
        "n_cells",
        "score",
        "stage",
        "day",
        "ok",
        "cell_type",
        "project",
    ]
    assert df.index.name == "id"
    row = df.set_index("key").loc["data/0.parquet"]
    assert row["n_cells"] == 0 and row["cell_type"] == {"T cell", "NK cell"}
    assert row["day"] == dt.date(2024, 1, 1) and bool(row["ok"]) is True
    by_key = df.set_index("key")
    assert by_key.loc["data/1.parquet", "cell_type"] == "T cell"
    assert by_key.loc["data/3.parquet", "project"] is None
    assert str(df["n_cells"].dtype) == "int64"
    chosen = ln.Artifact.to_dataframe(features=["cell_type", "n_cells"])
    assert list(chosen.columns) == ["uid", "key", "cell_type", "n_cells"]
    queryset = ln.Artifact.filter(n_cells__gt=100, stage="stage-2").to_dataframe(
        features="queryset"
    )
    assert list(queryset.columns) == ["uid", "key", "n_cells", "stage"]
    assert queryset["n_cells"].tolist() == [200]
    both = ln.Artifact.filter().to_dataframe(include=["features", "created_by__handle"])
    assert "created_by__handle" in both.columns and "cell_type" in both.columns
    with pytest.raises(ValidationError, match="Features not found: 'n_cell'"):
        ln.Artifact.to_dataframe(features=["n_cell"])
    with pytest.raises(InvalidArgument, match="only available for Artifact, Record and Run"):
        ln.ULabel.to_dataframe(features=True)
    empty = ln.Artifact.filter(key="none").to_dataframe(include="features")
    assert list(empty.columns) == ["uid", "key"] and len(empty) == 0


def test_run_and_record_frames_have_features() -> None:
    """lamindb: to_dataframe(include='features') on Run and Record."""
    ln.Feature(name="lr", dtype=float).save()
    run = ln.Run(ln.Transform(key="t").save()).save()
    run.features.add_values({"lr": 0.1})
    assert ln.Run.filter().to_dataframe(include="features")["lr"].tolist() == [0.1]
    record = ln.Record(name="r").save()
    record.features.add_values({"lr": 0.2})
    assert ln.Record.filter(name="r").to_dataframe(include="features")["lr"].tolist() == [0.2]


@contextmanager
def _count_statements() -> Iterator[list[str]]:
    """Every statement sent, through SQLAlchemy or the prepared driver path."""
    seen: list[str] = []
    engines = {ln.settings.instance.engine}
    from lamin_pipes.core._instance import get_engine

    engines.add(get_engine(ln.settings.instance.db, autocommit=True))

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    original = _prepared.fetch_rows

    def fetch_rows(inst: Any, sql: str, arguments: Any) -> Any:
        seen.append(sql)
        return original(inst, sql, arguments)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    _prepared.fetch_rows = fetch_rows  # type: ignore[assignment]
    try:
        yield seen
    finally:
        _prepared.fetch_rows = original  # type: ignore[assignment]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def test_to_dataframe_uses_a_fixed_number_of_queries() -> None:
    """No N+1: lamindb's to_dataframe(include='features') issues a query per feature kind;
    here 10 rows and 40 rows take the same number of statements."""
    _setup(10)
    qs = ln.Artifact.filter(key__startswith="data/")
    qs.to_dataframe(include="features")  # warm-up (prepared statements)
    with _count_statements() as ten:
        assert len(qs.to_dataframe(include="features", limit=10)) == 10
    for i in range(10, 40):
        artifact = ln.Artifact(pd.DataFrame({"i": [i]}), key=f"data/{i}.parquet").save()
        artifact.features.add_values({"n_cells": i, "cell_type": "B cell", "stage": "x"})
    with _count_statements() as forty:
        assert len(qs.to_dataframe(include="features", limit=None)) == 40
    assert len(ten) == len(forty) <= 6, forty
