"""SQLite: a counter per table that every edit of its text columns increments.

The search cache must notice edits. PostgreSQL shows them in each row's ``xmin``;
SQLite has no such thing, and ``max(updated_at)`` misses an edit that keeps
``updated_at`` (raw SQL, another tool, a writer whose clock is behind). A trigger in
the database file sees every ``UPDATE`` of the watched columns, from any connection
or process, and counts it in ``lamin_pipes_edits``. Inserts and deletes need no
counting: the search's aggregate over the ids sees them.

The table and triggers are created on first use (``IF NOT EXISTS``, so processes may
race). They are not created inside ``ln.atomic()`` (a rollback would drop them while
this process believed in them), nor through a read-only instance (``QueryDB``), nor
where the file cannot be written; there callers fall back to reading afresh, unless
the owner of the database created them already.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select, text
from sqlalchemy import exc as sa_exc

EDITS = Table(
    "lamin_pipes_edits",
    MetaData(),
    Column("table_name", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)

_LOCK = threading.Lock()
#: (database, table, columns) -> whether the counter works there.
_READY: dict[tuple[str, str, tuple[str, ...]], bool] = {}


def edit_count(inst: Any, table: Any, columns: list[str]) -> Any:
    """A scalar subquery reading the table's edit counter, or ``None`` if unavailable.

    Args:
        inst: A SQLite instance.
        table: The registry's table.
        columns: The columns whose edits count.
    """
    key = (inst.db, table.name, tuple(columns))
    ready = _READY.get(key)
    if ready is None:
        trigger = _trigger_name(table.name, columns)
        if _exists(inst, trigger):
            ready = True
        elif inst.atomic_session() is not None or inst.read_only:
            return None  # not created here; maybe next time
        else:
            ready = _create(inst, trigger, table.name, columns)
        with _LOCK:
            _READY[key] = ready
    if not ready:
        return None
    counted = select(EDITS.c.version).where(EDITS.c.table_name == table.name)
    return func.coalesce(counted.scalar_subquery(), 0)


def _trigger_name(table: str, columns: list[str]) -> str:
    digest = hashlib.sha1(",".join(columns).encode()).hexdigest()[:8]  # only a name
    return f"lamin_pipes_edits_{table}_{digest}"


def _exists(inst: Any, trigger: str) -> bool:
    with inst.read_session() as session:
        found = session.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": trigger},
        ).first()
    return found is not None


def _create(inst: Any, trigger: str, table: str, columns: list[str]) -> bool:
    quote = '"{}"'.format
    watched = ", ".join(quote(c) for c in columns)
    try:
        with inst.session() as session:
            connection = session.connection()
            EDITS.create(connection, checkfirst=True)
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {quote(trigger)} AFTER UPDATE OF {watched} "
                f"ON {quote(table)} BEGIN "
                f"INSERT INTO lamin_pipes_edits (table_name, version) VALUES ('{table}', 1) "
                "ON CONFLICT (table_name) DO UPDATE SET version = version + 1; END"
            )
    except sa_exc.OperationalError:  # a read-only database file: no counter
        return False
    return True


__all__ = ["EDITS", "edit_count"]
