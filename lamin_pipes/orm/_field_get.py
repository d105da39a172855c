"""``get(field=value)`` on one plain field: a statement built once, reused for every value.

``ULabel.get(name="T cell")`` is the most frequent query of a pipeline that resolves
labels one by one. Going through :meth:`QuerySet.filter` costs about as much as the
database round trip itself: parsing the lookup, building the ``WHERE`` clause and
SQLAlchemy's cache key, every call. For the simple case — one equality on a string or
integer column, no other condition — the statement is built once per registry and
field with a bound parameter, so a call only binds the value and runs it.

On top of that, outside ``ln.atomic()`` the statement runs on a pooled driver
connection and the records are built straight from the rows, as the ORM would build
them, detached: SQLAlchemy's per-execution bookkeeping cost as much as the round trip
on PostgreSQL. A driver error there hands the call to the ORM path, which raises it as
usual.

Anything else (lookups with ``__``, relations, other value types, versioned
registries, query sets that already carry conditions) takes the general path, which
gives the same answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import attributes

from ..core._instance import get_engine
from ._options import COLUMN
from ._query_compiler import unindexed

#: The bound parameter the cached statements take.
VALUE = "lp_field_value"
#: Keys that select a record across branches (no ``branch_id = 1`` condition), as in
#: :meth:`BasicQuerySet.filter`.
_ACROSS_BRANCHES = frozenset({"id", "uid", "hash", "pk"})
_INT_KINDS = frozenset({"int", "bigint"})
_STR_KINDS = frozenset({"char", "text"})

_LOCK = threading.Lock()
_STATEMENTS: dict[tuple[Any, str], Any] = {}
_COMPILED: dict[tuple[Any, str, str], _Compiled | None] = {}


@dataclass
class _Compiled:
    """A cached statement as the driver runs it, and how to turn its rows into records."""

    sql: str
    positions: tuple[str, ...] | None  # parameter order, for positional drivers
    params: dict[str, Any]  # the other bound values (the LIMIT)
    keys: tuple[str, ...]  # the attribute of each selected column
    types: tuple[Any, ...]  # each column's SQLAlchemy type
    #: Each column's result processor (or None), known from the first result's
    #: description: some depend on the type the driver reports.
    processors: tuple[Any, ...] | None = None


def field_statement(model: Any, key: str, value: Any) -> Any:
    """The cached ``SELECT`` for ``model.get(key=value)``, or ``None`` if not eligible.

    Eligible: ``key`` is a plain column (no lookup, no relation) of a registry without
    versions, and ``value`` is a ``str`` (for a text column, without NUL characters)
    or an ``int`` (for an integer column).

    Examples:
        >>> import lamin_pipes as ln
        >>> field_statement(ln.ULabel, "name", "T cell") is not None
        True
        >>> field_statement(ln.ULabel, "name__startswith", "T") is None
        True
    """
    kind = type(value)
    if kind is not str and kind is not int:
        return None
    meta = model._meta
    info = meta.fields.get(key)
    if info is None or info.kind != COLUMN or info.spec is None or "is_latest" in meta.fields:
        return None
    column_kind = info.spec.kind
    if kind is str and (column_kind not in _STR_KINDS or "\0" in value):
        return None
    if kind is int and column_kind not in _INT_KINDS:
        return None
    statement = _STATEMENTS.get((model, key))
    if statement is None:
        statement = _build(model, key, info.attname)
        with _LOCK:
            _STATEMENTS[(model, key)] = statement
    return statement


def _build(model: Any, key: str, attname: str) -> Any:
    table = model.__table__
    clauses = [table.c[attname] == bindparam(VALUE)]
    if key not in _ACROSS_BRANCHES and "branch" in model._meta.fields:
        clauses.append(unindexed(table.c.branch_id) == 1)
    statement = select(model).where(*clauses).limit(2)
    return statement.execution_options(populate_existing=True)


def _compiled(model: Any, key: str, statement: Any, dialect: Any) -> _Compiled | None:
    cache_key = (model, key, dialect.name)
    if cache_key in _COMPILED:
        return _COMPILED[cache_key]
    mapper = model.__mapper__
    columns = list(statement.selected_columns)
    keys = [mapper.get_property_by_column(c).key for c in columns]
    compiled = statement.compile(dialect=dialect)
    plain = (
        mapper.polymorphic_on is None
        and len(set(keys)) == len(mapper.column_attrs)
        and not compiled._bind_processors  # values go to the driver as given
    )
    result = None
    if plain:
        params = compiled.construct_params({VALUE: None})
        del params[VALUE]
        result = _Compiled(
            sql=compiled.string,
            positions=tuple(compiled.positiontup) if compiled.positional else None,  # type: ignore[arg-type]
            params=params,
            keys=tuple(keys),
            types=tuple(c.type for c in columns),
        )
    with _LOCK:
        _COMPILED[cache_key] = result
    return result


def fetch_by_field(inst: Any, model: Any, key: str, statement: Any, value: Any) -> list[Any]:
    """The records (at most two) that ``statement`` finds for ``value``."""
    if inst.atomic_session() is None:
        engine = get_engine(inst.db, autocommit=True)
        compiled = _compiled(model, key, statement, engine.dialect)
        if compiled is not None:
            rows = _run(engine, compiled, value)
            if rows is not None:
                return [_record(model, compiled, row, inst) for row in rows]
    with inst.read_session() as session:
        return list(session.scalars(statement, {VALUE: value}))


def _run(engine: Any, compiled: _Compiled, value: Any) -> list[Any] | None:
    """The rows, or ``None`` if the driver failed (the ORM path then runs and reports)."""
    params = {**compiled.params, VALUE: value}
    arguments: Any = (
        params if compiled.positions is None else tuple(params[p] for p in compiled.positions)
    )
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            rows = list(cursor.fetchall())
            if compiled.processors is None:
                compiled.processors = _processors(engine.dialect, compiled, cursor.description)
            return rows
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        connection.invalidate()  # a broken connection must not go back to the pool
        return None
    finally:
        connection.close()


def _processors(dialect: Any, compiled: _Compiled, description: Any) -> tuple[Any, ...]:
    return tuple(
        kind.dialect_impl(dialect).result_processor(dialect, column[1])
        for kind, column in zip(compiled.types, description, strict=True)
    )


def _record(model: Any, compiled: _Compiled, row: Any, inst: Any) -> Any:
    """A detached record from a row, as an ORM load followed by closing the session."""
    mapper = model.__mapper__
    record = mapper.class_manager.new_instance()
    state = attributes.instance_state(record)
    values = state.dict
    processors = compiled.processors or (None,) * len(compiled.keys)
    for name, process, item in zip(compiled.keys, processors, row, strict=True):
        values[name] = item if process is None or item is None else process(item)
    state.key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    state._commit_all(values)  # loaded values carry no history
    values["_lp_instance"] = inst
    return record


__all__ = ["VALUE", "fetch_by_field", "field_statement"]
