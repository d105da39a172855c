"""Bring an instance's schema to the version this package expects (alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text

from ..errors import MigrationError
from ._defaults import insert_defaults

if TYPE_CHECKING:
    from ._instance import Instance

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: The newest migration shipped with this package (checked without importing alembic).
HEAD_REVISION = "0007"


def current_revision(instance: Instance) -> str | None:
    """The instance's schema revision, or ``None`` for an empty database.

    A process that opens a new database while another one migrates it can find no
    ``alembic_version`` table when it reads and the table when it looks why (the other
    process committed in between): it then reads again.
    """
    for attempt in range(3):
        with instance.engine.connect() as connection:
            try:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            except sa_exc.DBAPIError:
                connection.rollback()
                if "alembic_version" not in inspect(connection).get_table_names():
                    return None
                if attempt == 2:
                    raise
                continue  # created meanwhile by a concurrent first connect
        return row[0] if row else None
    return None  # pragma: no cover - the loop returns or raises


def _alembic_config(instance: Instance, connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


#: Key of the PostgreSQL advisory lock that serializes migrations of one database.
_MIGRATION_LOCK = 0x6C616D696E  # "lamin"


def upgrade(instance: Instance, revision: str = "head") -> None:
    """Run the shipped migrations up to ``revision`` (in one transaction).

    Processes that open a new instance at the same time (Dagster step processes, say)
    take turns: the transaction starts by taking a database-wide lock (an advisory
    lock on PostgreSQL, the write lock on SQLite), and alembic reads the current
    revision only once it holds it, so latecomers find the schema at head.
    """
    from alembic import command

    engine = instance.engine.execution_options(lamin_immediate=True)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        command.upgrade(_alembic_config(instance, connection), revision)

        insert_defaults(connection)


def ensure_schema(instance: Instance) -> None:
    """Migrate a new or old instance to head; refuse one newer than this package."""
    revision = current_revision(instance)
    if revision == HEAD_REVISION:
        return
    known = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    if revision is not None and revision not in known:
        msg = (
            f"The instance {instance.name!r} is at schema revision {revision!r}, which this "
            f"lamin_pipes does not know (known: {known}). Upgrade lamin_pipes."
        )
        raise MigrationError(msg)
    upgrade(instance)
