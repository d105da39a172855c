"""``get(field=value)`` through the prepared statement gives what the general path gives."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect

import lamin_pipes as ln
from lamin_pipes.errors import DoesNotExist, FieldValidationError, MultipleResultsFound
from lamin_pipes.orm._field_get import field_statement


def _columns(record):
    mapper = inspect(type(record))
    return {attr.key: getattr(record, attr.key) for attr in mapper.column_attrs}


def _same_as_general_path(model, record_id):
    fast = model.get(record_id)
    general = model.filter(id=record_id).one()
    assert fast is not general
    assert _columns(fast) == _columns(general)
    for name, value in _columns(general).items():
        assert type(getattr(fast, name)) is type(value), name
    state = inspect(fast)
    assert state.detached and state.key == inspect(general).key
    assert not state.modified
    return fast


def test_records_match_the_general_path_for_every_kind_of_column(instance, tmp_path):
    label = ln.ULabel(name="T cell", description="a cell", is_type=False).save()
    record = ln.Record(name="sample", description="d").save()
    transform = ln.Transform(key="pipeline.py").save()
    run = ln.Run(transform=transform).save()
    path = tmp_path / "x.txt"
    path.write_text("content")
    artifact = ln.Artifact(path, key="x.txt").save()
    for model, record_id in [
        (ln.ULabel, label.id),
        (ln.Record, record.id),
        (ln.Run, run.id),
        (ln.Artifact, artifact.id),
        (ln.User, ln.User.filter().first().id),
        (ln.Storage, artifact.storage_id),
    ]:
        _same_as_general_path(model, record_id)
    loaded = ln.Run.get(run.id)
    assert isinstance(loaded.started_at, dt.datetime) and loaded.started_at.tzinfo is not None
    assert ln.ULabel.get(name="T cell").created_by.handle == label.created_by.handle


def test_a_fetched_record_edits_and_saves_like_any_other(instance):
    ln.ULabel(name="before").save()
    label = ln.ULabel.get(name="before")
    assert label.description is None
    label.description = "edited"
    label.save()
    assert ln.ULabel.filter(name="before").one().description == "edited"
    label.delete(permanent=True)
    with pytest.raises(DoesNotExist):
        ln.ULabel.get(name="before")


def test_not_found_several_found_and_the_trash(instance):
    with pytest.raises(DoesNotExist, match="ULabel matching query does not exist"):
        ln.ULabel.get(name="missing")
    ln.Record(name="twin", description="1").save()
    ln.Record(name="twin", description="2", _search_names=False).save()
    with pytest.raises(MultipleResultsFound):
        ln.Record.get(description__startswith="", name="twin")
    with pytest.raises(MultipleResultsFound):
        ln.Record.get(name="twin")
    trashed = ln.ULabel(name="trashed").save()
    trashed.delete()
    with pytest.raises(DoesNotExist):
        ln.ULabel.get(name="trashed")  # lookups skip the trash, as filter() does
    assert ln.ULabel.get(trashed.id).name == "trashed"  # ids find it, as in lamindb
    assert ln.ULabel.get(uid=trashed.uid).name == "trashed"


def test_inside_atomic_the_block_sees_its_own_writes(instance):
    with ln.atomic():
        ln.ULabel(name="in block").save()
        assert ln.ULabel.get(name="in block").name == "in block"
    assert ln.ULabel.get(name="in block").name == "in block"


def test_values_the_prepared_statement_does_not_take_use_the_general_path(instance):
    ln.ULabel(name="7").save()
    assert field_statement(ln.ULabel, "name", "7") is not None
    assert field_statement(ln.ULabel, "id", 7) is not None
    assert field_statement(ln.ULabel, "name", 7) is None  # the general path decides
    assert field_statement(ln.ULabel, "name", "a\0b") is None
    assert field_statement(ln.ULabel, "is_type", value=True) is None
    assert field_statement(ln.Artifact, "key", "x") is None  # versioned: the latest wins
    with pytest.raises(FieldValidationError, match="NUL"):
        ln.ULabel.get(name="a\0b")
    with pytest.raises(FieldValidationError, match="surrogate"):
        ln.ULabel.filter(name__in=["ok", "\ud800"]).count()


def test_the_prepared_path_runs_on_the_driver_connection(instance):
    from lamin_pipes.orm import _driver_select

    label = ln.ULabel(name="direct").save()
    assert ln.ULabel.get(name="direct") == label
    dialect = instance.engine.dialect.name
    assert _driver_select._PREPARED[("get", ln.ULabel, "name", dialect)] is not None


def test_a_dropped_connection_falls_back_to_the_general_path(instance):
    if instance.dialect != "postgresql":
        pytest.skip("drops the server's connections")
    from sqlalchemy import create_engine, text

    ln.ULabel(name="survivor").save()
    assert ln.ULabel.get(name="survivor").name == "survivor"  # a pooled connection now
    admin = create_engine(instance.db.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": instance.engine.url.database},
        )
    admin.dispose()
    assert ln.ULabel.get(name="survivor").name == "survivor"
    assert ln.ULabel.get(name="survivor").name == "survivor"  # the dead connection is gone
