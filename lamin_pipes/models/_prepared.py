"""Statements compiled once and run on the driver: the hot paths of features.

Annotating an artifact, reading the values of a thousand and filtering by a feature run
a handful of statements each; SQLAlchemy's per-execution work (cache keys, result
processing, the ORM session) would cost more than the database. Here a statement is
built and compiled once per purpose and backend, lists travel as one parameter
(:class:`InList`: a JSON array read by ``json_each`` on SQLite, an array on PostgreSQL),
and rows come back as the driver's tuples.

Reads run on a pooled connection outside ``ln.atomic()`` (:func:`run_prepared`); writes
run on the connection of the caller's session, inside its transaction
(:func:`execute_prepared`), and driver errors become SQLAlchemy's, which the session
turns into lamin_pipes errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, bindparam
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..orm._driver_select import fetch_rows

if TYPE_CHECKING:
    from ..core._instance import Instance


class InList(ColumnElement[bool]):
    """``column IN <values>`` with the values bound as the one parameter ``name``.

    The statement text does not depend on how many values there are.
    """

    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: Any, name: str) -> None:
        self.column = column
        self.name = name
        self.type = Boolean()


@compiles(InList)
def _compile_in_list_sqlite(element: InList, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    param = compiler.process(bindparam(element.name), **kw)
    return f"{column} IN (SELECT value FROM json_each({param}))"


@compiles(InList, "postgresql")
def _compile_in_list_postgresql(element: InList, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY({compiler.process(bindparam(element.name), **kw)})"


def list_param(dialect: str, values: list[Any]) -> Any:
    """The value of an :class:`InList` parameter."""
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


@dataclass(frozen=True)
class Prepared:
    """A compiled statement: its SQL, parameter order, fixed values and bind processors."""

    sql: str
    positions: tuple[str, ...] | None
    fixed: dict[str, Any]  # literals of the statement (``branch_id = 1``), processed
    binds: dict[str, Callable[[Any], Any]]  # processors of the values passed per call

    def arguments(self, params: dict[str, Any]) -> Any:
        params = {**self.fixed, **params}
        for name, process in self.binds.items():
            if params.get(name) is not None:
                params[name] = process(params[name])
        if self.positions is None:
            return params
        return tuple(params[p] for p in self.positions)


_COMPILED: dict[tuple[Any, ...], Prepared] = {}


def prepared(dialect: Any, purpose: tuple[Any, ...], build: Callable[[], Any]) -> Prepared:
    """The statement ``build()`` makes, compiled once per ``purpose`` and backend."""
    key = (*purpose, dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = build().compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positional else None  # type: ignore[arg-type]
        processors = {
            name: process
            for name, process in compiled._bind_processors.items()
            if not isinstance(process, tuple)
        }
        fixed = {k: v for k, v in compiled.params.items() if v is not None}
        for name in fixed:
            if name in processors:
                fixed[name] = processors.pop(name)(fixed[name])
        found = Prepared(compiled.string, positions, fixed, processors)
        _COMPILED[key] = found
    return found


def run_prepared(
    inst: Instance, purpose: tuple[Any, ...], build: Callable[[], Any], params: dict[str, Any]
) -> list[Any]:
    """The rows of a read statement (see :func:`prepared`).

    Outside ``ln.atomic()`` it runs on a pooled driver connection; inside, on the
    block's connection, so that it sees the block's writes.
    """
    statement = prepared(inst.engine.dialect, purpose, build)
    arguments = statement.arguments(params)
    rows = fetch_rows(inst, statement.sql, arguments)
    if rows is not None:
        return rows
    with inst.read_session() as session:  # inside atomic(), or to report a driver error
        return list(session.connection().exec_driver_sql(statement.sql, arguments))


def execute_prepared(
    session: Any,
    purpose: tuple[Any, ...],
    build: Callable[[], Any],
    params: dict[str, Any] | list[dict[str, Any]],
    *,
    fetch: bool = False,
) -> list[Any]:
    """Run a statement on the connection of ``session`` (in its transaction).

    ``params`` as a list runs it once per item (``executemany``). With ``fetch`` the
    rows come back (``RETURNING``, ``SELECT``).

    Raises:
        sqlalchemy.exc.DBAPIError: For driver errors (the session's context turns it
            into a lamin_pipes error).
    """
    found = session.info.get("_lp_driver")
    if found is None:  # once per session: SQLAlchemy's connection() costs per call
        connection = session.connection()
        found = (connection.dialect, connection.connection.driver_connection)
        session.info["_lp_driver"] = found
    dialect, dbapi = found
    statement = prepared(dialect, purpose, build)
    cursor = dbapi.cursor()
    try:
        if isinstance(params, list):
            if not params:
                return []
            if fetch:
                rows = []
                for item in params:
                    cursor.execute(statement.sql, statement.arguments(item))
                    rows.extend(cursor.fetchall())
                return rows
            cursor.executemany(statement.sql, [statement.arguments(p) for p in params])
            return []
        cursor.execute(statement.sql, statement.arguments(params))
        return list(cursor.fetchall()) if fetch else []
    except dialect.loaded_dbapi.Error as error:
        raise sa_exc.DBAPIError.instance(
            statement.sql, None, error, dialect.loaded_dbapi.Error
        ) from None
    finally:
        cursor.close()


__all__ = ["InList", "execute_prepared", "list_param", "prepared", "run_prepared"]
