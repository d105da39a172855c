"""The shipped alembic migrations: new instances reach head, and head matches the models."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text

from lamin_pipes.cli import main
from lamin_pipes.core import _instance as instance_module
from lamin_pipes.core._instance import Instance
from lamin_pipes.core._migrate import (
    HEAD_REVISION,
    _alembic_config,
    current_revision,
    ensure_schema,
    upgrade,
)
from lamin_pipes.errors import LaminPipesError, MigrationError
from lamin_pipes.orm.sqlrecord import schema_metadata

BUILTIN_PREFIX = "lamindb_"


@pytest.fixture(autouse=True)
def _dispose_new_engines() -> Iterator[None]:
    """Close the engines a test opened, so no pool outlives its database."""
    before = set(instance_module._ENGINES)
    yield
    for key in set(instance_module._ENGINES) - before:
        engine = instance_module._ENGINES.pop(key, None)
        if engine is not None:
            engine.dispose()


def _builtin_tables() -> set[str]:
    return {name for name in schema_metadata().tables if name.startswith(BUILTIN_PREFIX)}


def _table_names(instance: Instance) -> set[str]:
    with instance.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _count(instance: Instance, table: str) -> int:
    with instance.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(text(table))).scalar_one())


def _downgrade_to_base(instance: Instance) -> None:
    from alembic import command

    with instance.engine.begin() as connection:
        command.downgrade(_alembic_config(instance, connection), "base")


def _only_builtin_tables(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Compare built-in registries only: user registries created by tests are not migrated."""
    if type_ == "table":
        return bool(name) and name.startswith(BUILTIN_PREFIX)  # type: ignore[union-attr]
    return True


def test_new_instance_is_at_head_with_every_builtin_table(db_url: str) -> None:
    instance = Instance(db=db_url, storage="")
    _downgrade_to_base(instance)
    assert current_revision(instance) is None
    assert not _builtin_tables() & _table_names(instance)

    ensure_schema(instance)

    assert current_revision(instance) == HEAD_REVISION
    with instance.engine.connect() as connection:
        stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert list(stored) == [HEAD_REVISION]
    missing = _builtin_tables() - _table_names(instance)
    assert not missing, f"tables of built-in registries not created by migrations: {missing}"
    assert _count(instance, "lamindb_branch") == 3
    assert _count(instance, "lamindb_space") == 1


def test_head_revision_is_the_newest_shipped_migration() -> None:
    from alembic.script import ScriptDirectory

    config = _alembic_config(Instance(db="sqlite://", storage=""), None)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [HEAD_REVISION]


def test_migrations_match_the_models_exactly(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    instance = Instance(db=db_url, storage="")
    with instance.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _only_builtin_tables},
        )
        with warnings.catch_warnings():
            # Expression indexes cannot be reflected; the next test checks them by name.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            differences = compare_metadata(context, schema_metadata())
    assert differences == [], (
        "The models differ from the schema the shipped migrations create; add a migration:\n"
        + "\n".join(map(str, differences))
    )


def _expression_indexes() -> set[tuple[str, str]]:
    return {
        (table.name, index.name)
        for table in schema_metadata().tables.values()
        if table.name.startswith(BUILTIN_PREFIX)
        for index in table.indexes
        if any(
            not hasattr(e, "name") or e.__class__.__name__ != "Column" for e in index.expressions
        )
    }


def test_expression_indexes_of_the_models_exist(db_url: str) -> None:
    expected = _expression_indexes()
    assert ("lamindb_artifact", "uq_lamindb_artifact_latest") in expected
    instance = Instance(db=db_url, storage="")
    query = (
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"
        if instance.dialect == "sqlite"
        else "SELECT tablename, indexname FROM pg_indexes"
    )
    with instance.engine.connect() as connection:
        found = {(t, n) for t, n in connection.execute(text(query))}
    assert expected <= found, f"missing in the migrations: {sorted(expected - found)}"


def test_ensure_schema_is_idempotent(db_url: str) -> None:
    instance = Instance(db=db_url, storage="")
    tables = _table_names(instance)

    ensure_schema(instance)
    ensure_schema(instance)
    upgrade(instance)  # at head: runs no migration, re-inserts no default rows

    assert current_revision(instance) == HEAD_REVISION
    assert _table_names(instance) == tables
    assert _count(instance, "lamindb_branch") == 3
    assert _count(instance, "lamindb_space") == 1


def test_unknown_revision_raises_migration_error(db_url: str) -> None:
    instance = Instance(db=db_url, storage="")
    with instance.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))

    with pytest.raises(MigrationError) as info:
        ensure_schema(instance)

    message = str(info.value)
    assert "'9999_future'" in message
    assert HEAD_REVISION in message
    assert "Upgrade lamin_pipes" in message
    assert isinstance(info.value, LaminPipesError)
    assert current_revision(instance) == "9999_future"  # left untouched


def test_cli_migrate_upgrades_an_old_database(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = Instance(db=db_url, storage="")
    _downgrade_to_base(instance)

    assert main(["migrate", "--db", db_url]) == 0

    out = capsys.readouterr().out
    assert f"from <empty> to {HEAD_REVISION}" in out
    assert current_revision(instance) == HEAD_REVISION
    assert _builtin_tables() <= _table_names(instance)
    assert _count(instance, "lamindb_branch") == 3


def test_cli_migrate_at_head_changes_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--db", db_url]) == 0

    assert f"newest schema revision {HEAD_REVISION}; nothing to do" in capsys.readouterr().out
    assert current_revision(Instance(db=db_url, storage="")) == HEAD_REVISION


def test_cli_migrate_refuses_an_unknown_revision(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = Instance(db=db_url, storage="")
    with instance.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))

    assert main(["migrate", "--db", db_url]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "'9999_future'" in captured.err
    assert "Traceback" not in captured.err
