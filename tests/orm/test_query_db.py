"""QueryDB and Registry.connect: read-only queries against another instance."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import lamin_pipes as ln
from lamin_pipes.core import _instance as instance_module
from lamin_pipes.core import _open
from lamin_pipes.errors import (
    FieldError,
    InstanceNotSetupError,
    InvalidArgument,
    ReadOnlyInstanceError,
)

PG_ADMIN_URL = os.environ.get(
    "LAMIN_PIPES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_execute(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _forget(url: str) -> None:
    _open._OPENED.pop(url, None)
    for key in [k for k in instance_module._ENGINES if k[1] == url]:
        instance_module._ENGINES.pop(key).dispose()


@pytest.fixture
def other_db_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh, migrated database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "other" / "lamin.db"
        target.parent.mkdir()
        shutil.copy(template, target)
        url = f"sqlite:///{target}"
        yield url
        _forget(url)
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"lp_other_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        _forget(url)
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def other(instance, other_db_url: str, tmp_path: Path) -> str:
    """Instance B filled with records; instance A (``instance``) is current again after.

    Both instances hold a type with the same id (``A-type`` in A, ``B-type`` in B), so
    reading a foreign key from the wrong database would show.
    """
    a_type = ln.Record(name="A-type", is_type=True).save()
    ln.connect(other_db_url, str(tmp_path / "other-storage"))
    b_type = ln.Record(name="B-type", is_type=True).save()
    assert b_type.id == a_type.id
    cell1 = ln.Record(name="cell 1", type=b_type, description="first").save()
    cell2 = ln.Record(name="cell 2", type=b_type).save()
    ln.Record(name="other thing").save()
    cell2.parents.add(cell1)
    ln.ULabel(name="B-label").save()
    ln.connect(instance.db, instance.storage)
    assert ln.settings.instance.db == instance.db
    return other_db_url


def test_query_db_reads_the_other_instance(other):
    db = ln.models.QueryDB(other)
    assert sorted(db.records.filter(name__startswith="cell").to_list("name")) == [
        "cell 1",
        "cell 2",
    ]
    assert db.records.count() == 4
    assert ln.Record.filter().count() == 1  # A is untouched
    assert db.Record.filter(name="cell 1").one().description == "first"
    assert db.ulabels.to_list("name") == ["B-label"]
    assert ln.ULabel.filter().count() == 0
    assert db.users.count() == 1
    assert db.branches.get(-1).name == "trash"
    assert "QueryDB(" in repr(db)


def test_connect_reads_the_other_instance(other):
    qs = ln.Record.connect(other)
    assert isinstance(qs, ln.models.QuerySet)
    assert sorted(qs.filter(type__name="B-type").to_list("name")) == ["cell 1", "cell 2"]
    df = qs.filter(name__startswith="cell").to_dataframe(include="type__name")
    assert sorted(df["name"]) == ["cell 1", "cell 2"]
    assert set(df["type__name"]) == {"B-type"}
    record = qs.get(name="cell 1")
    assert record.description == "first"
    assert qs.filter(name="A-type").count() == 0


def test_relations_of_loaded_records_read_the_other_instance(other):
    cell2 = ln.Record.connect(other).get(name="cell 2")
    assert cell2.type.name == "B-type"  # the same id is "A-type" in A
    assert cell2.type.records.count() == 2
    assert [t.name for t in cell2.query_types()] == ["B-type"]
    assert sorted(cell2.type.query_records().to_list("name")) == ["cell 1", "cell 2"]
    assert cell2.parents.to_list("name") == ["cell 1"]
    assert cell2.query_parents().to_list("name") == ["cell 1"]
    assert "cell 1" in str(cell2.view_parents())
    assert cell2.created_by.handle == ln.settings.user.handle


def test_writes_through_the_other_instance_raise(other):
    qs = ln.Record.connect(other)
    cell1 = qs.get(name="cell 1")
    cell2 = qs.get(name="cell 2")
    cell1.name = "renamed"
    with pytest.raises(ReadOnlyInstanceError, match="read-only") as info:
        cell1.save()
    assert "QueryDB" in str(info.value) or "connect" in str(info.value)
    with pytest.raises(ReadOnlyInstanceError):
        cell1.delete()
    with pytest.raises(ReadOnlyInstanceError):
        cell1.delete(permanent=True)
    with pytest.raises(ReadOnlyInstanceError):
        cell1.restore()
    with pytest.raises(ReadOnlyInstanceError):
        qs.filter(name__startswith="cell").update(description="x")
    with pytest.raises(ReadOnlyInstanceError):
        qs.filter(name__startswith="cell").delete()
    with pytest.raises(ReadOnlyInstanceError):
        qs.bulk_create([ln.Record(name="new")])
    with pytest.raises(ReadOnlyInstanceError):
        cell2.parents.add(qs.get(name="other thing"))
    with pytest.raises(ReadOnlyInstanceError):
        cell2.parents.remove(cell1)
    with pytest.raises(ReadOnlyInstanceError):
        cell2.parents.clear()
    with pytest.raises(ReadOnlyInstanceError):
        cell1.children.set([])
    with pytest.raises(ReadOnlyInstanceError):
        ln.models.QueryDB(other).ulabels.filter().delete(permanent=True)
    # nothing changed in B
    db = ln.models.QueryDB(other)
    assert sorted(db.records.filter(name__startswith="cell").to_list("name")) == [
        "cell 1",
        "cell 2",
    ]
    assert db.records.filter(description="x").count() == 0
    assert db.records.get(name="cell 2").parents.count() == 1


def test_records_of_the_other_instance_are_no_types_here(other):
    b_type = ln.Record.connect(other).get(name="B-type")
    with pytest.raises(InvalidArgument, match="another instance"):
        ln.Record(name="mixed", type=b_type)


def test_create_through_the_other_instance_raises(other):
    with pytest.raises(ReadOnlyInstanceError):
        ln.Record.connect(other).create(name="sneaky")
    assert ln.Record.filter(name="sneaky").count() == 0


def test_naming_the_current_instance_gives_writable_query_sets(instance):
    for name in (instance.db, None, "default"):
        qs = ln.ULabel.connect(name)
        assert qs.instance is ln.settings.instance
    label = ln.ULabel.connect(instance.db).create(name="writable")
    assert ln.ULabel.get(name="writable") == label
    db = ln.models.QueryDB(instance.db)
    db.ulabels.filter(name="writable").update(description="edited")
    assert ln.ULabel.get(label.id).description == "edited"


def test_instance_by_sqlite_file_or_directory(other, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("instance files and directories are SQLite")
    path = Path(other.removeprefix("sqlite:///"))
    by_file = ln.models.QueryDB(path)
    by_dir = ln.models.QueryDB(str(path.parent))
    assert by_file.instance is by_dir.instance  # opened once per database
    assert by_file.records.filter(name="cell 1").count() == 1
    assert ln.Record.connect(path.parent).count() == 4


def test_what_is_not_an_instance(instance, tmp_path, db_url):
    with pytest.raises(InstanceNotSetupError, match="does not exist"):
        ln.models.QueryDB(tmp_path / "nowhere")
    with pytest.raises(InstanceNotSetupError, match="does not exist"):
        ln.models.QueryDB(f"sqlite:///{tmp_path}/nowhere/lamin.db")
    assert not (tmp_path / "nowhere").exists()
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).close()
    with pytest.raises(InstanceNotSetupError, match="not a lamin_pipes instance"):
        ln.models.QueryDB(plain)
    with pytest.raises(InstanceNotSetupError, match="Expected a database URL"):
        ln.models.QueryDB(42)
    if db_url.startswith("postgresql"):
        missing = db_url.rsplit("/", 1)[0] + f"/lp_missing_{uuid.uuid4().hex[:8]}"
        with pytest.raises(InstanceNotSetupError, match="Cannot open"):
            ln.Record.connect(missing)


def test_unknown_registry_lists_the_available_ones(other):
    db = ln.models.QueryDB(other)
    with pytest.raises(FieldError) as info:
        _ = db.recrods
    message = str(info.value)
    assert "Unknown registry 'recrods'" in message
    for name in ("records", "ulabels", "projects", "users", "branches", "spaces"):
        assert name in message
    assert "Did you mean 'records'?" in message
    assert not hasattr(db, "artefacts")  # FieldError is an AttributeError
    assert {"records", "ulabels", "Record"} <= set(dir(db))


def test_search_and_lookup_in_the_other_instance(other):
    ln.Record(name="cell 9").save()  # in A: not found in B
    hits = ln.Record.connect(other).search("cell", field="name")
    assert sorted(r.name for r in hits) == ["cell 1", "cell 2"]
    assert ln.models.QueryDB(other).records.search("cel 2").first().name == "cell 2"
    lookup = ln.Record.connect(other).lookup()
    assert lookup.cell_1.description == "first"
    assert "cell_9" not in dir(lookup)
    assert ln.Record.search("cell").one().name == "cell 9"


def test_search_through_the_other_instance_writes_nothing_there_and_stays_current(other, tmp_path):
    from sqlalchemy import create_engine, inspect, text

    db = ln.models.QueryDB(other)
    assert [r.name for r in db.ulabels.search("B-label")] == ["B-label"]
    engine = create_engine(other.replace("postgresql://", "postgresql+psycopg://"))
    try:
        # no edit counter created through a read-only instance
        assert "lamin_pipes_edits" not in inspect(engine).get_table_names()
        with engine.begin() as connection:  # its owner renames the label, keeping updated_at
            connection.execute(text("UPDATE lamindb_ulabel SET name = 'B-renamed'"))
    finally:
        engine.dispose()
    assert [r.name for r in db.ulabels.search("B-renamed")] == ["B-renamed"]
