"""Run a prepared ``SELECT`` of one registry on a pooled driver connection.

For the hottest reads (``get(name=...)``, the records of a ``search()``) SQLAlchemy's
per-execution work — the Core execution context, the ORM's row processors, a session
to open and close — cost as much as the database round trip (0.15 ms for raw psycopg
against 0.3 ms through Core and 0.5 ms through the ORM). Here a statement is compiled
once per purpose, run on a connection taken from the engine's pool, and the records
are built from the rows exactly as an ORM load followed by closing the session leaves
them: detached, all columns loaded, no history.

It applies outside ``ln.atomic()`` only (inside, reads must see the block's
transaction), to registries without polymorphic loading whose columns all come back.
Callers get ``None`` whenever it does not apply or the driver failed, and then take
the ORM path, which gives the same records or raises its usual errors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import attributes

from ..core._instance import get_engine

_LOCK = threading.Lock()
_PREPARED: dict[tuple[Any, ...], _Prepared | None] = {}


@dataclass
class _Prepared:
    """A statement as the driver runs it, and how to turn its rows into records."""

    sql: str
    positions: tuple[str, ...] | None  # parameter order, for positional drivers
    params: dict[str, Any]  # the bound values fixed at preparation (a LIMIT, say)
    binds: dict[str, Any]  # the bind processor of each per-call value that has one
    keys: tuple[str, ...]  # the attribute of each selected column
    types: tuple[Any, ...]  # each column's SQLAlchemy type
    #: Each column's result processor (or None), known from the first result's
    #: description: some depend on the type the driver reports.
    processors: tuple[Any, ...] | None = None


def _prepare(model: Any, statement: Any, names: tuple[str, ...], dialect: Any) -> _Prepared | None:
    mapper = model.__mapper__
    columns = list(statement.selected_columns)
    if mapper.polymorphic_on is not None or len(columns) != len(mapper.column_attrs):
        return None
    try:
        keys = [mapper.get_property_by_column(c).key for c in columns]
    except Exception:  # a column that is no attribute: not for this path
        return None
    compiled = statement.compile(dialect=dialect)
    binds = dict(compiled._bind_processors)  # values as the driver takes them (arrays, say)
    params = compiled.construct_params(dict.fromkeys(names))
    for name in names:
        del params[name]
    for name, process in binds.items():
        if name in params and params[name] is not None:
            params[name] = process(params[name])
    return _Prepared(
        sql=compiled.string,
        positions=tuple(compiled.positiontup) if compiled.positional else None,  # type: ignore[arg-type]
        params=params,
        binds={name: binds[name] for name in names if name in binds},
        keys=tuple(keys),
        types=tuple(c.type for c in columns),
    )


def fetch_records(
    inst: Any, model: Any, purpose: tuple[Any, ...], statement: Any, values: dict[str, Any]
) -> list[Any] | None:
    """The records ``statement`` selects with ``values`` bound, or ``None`` (use the ORM).

    Args:
        inst: The instance to read from.
        model: The registry the statement selects (``select(model)``).
        purpose: What identifies the statement, for its cache (with the backend).
        statement: The ``select(model)`` with bound parameters named as in ``values``.
        values: The values of the parameters that change per call.
    """
    if inst.atomic_session() is not None:
        return None
    engine = get_engine(inst.db, autocommit=True)
    key = (*purpose, engine.dialect.name)
    if key in _PREPARED:
        prepared = _PREPARED[key]
    else:
        prepared = _prepare(model, statement, tuple(values), engine.dialect)
        with _LOCK:
            _PREPARED[key] = prepared
    if prepared is None:
        return None
    rows = _run(engine, prepared, values)
    if rows is None:
        return None
    return [_record(model, prepared, row, inst) for row in rows]


def fetch_value(inst: Any, sql: str) -> tuple[bool, Any]:
    """``(True, value)`` of a one-value statement without parameters, else ``(False, None)``.

    Like :func:`fetch_records`, ``False`` means: not here (inside ``ln.atomic()``, or the
    driver failed); run it the usual way.
    """
    if inst.atomic_session() is not None:
        return False, None
    return _first_value(_execute(get_engine(inst.db, autocommit=True), sql, None))


def fetch_rows(inst: Any, sql: str, arguments: Any) -> list[Any] | None:
    """The rows of a compiled ``SELECT`` (``sql`` with its driver ``arguments``).

    ``None`` means: not here (inside ``ln.atomic()``, or the driver failed); run it on a
    session instead, which sees the block's writes or reports the error.
    """
    if inst.atomic_session() is not None:
        return None
    result = _execute(get_engine(inst.db, autocommit=True), sql, arguments)
    return None if result is None else result[0]


_SCALARS: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}


def fetch_first(
    inst: Any, purpose: tuple[Any, ...], statement: Any, values: dict[str, Any]
) -> tuple[bool, Any]:
    """``(True, first column of the first row or None)``, else ``(False, None)``.

    For a ``SELECT`` of plain values (no records), compiled once per purpose; like
    :func:`fetch_records`, ``False`` means: run it the usual way.
    """
    if inst.atomic_session() is not None:
        return False, None
    engine = get_engine(inst.db, autocommit=True)
    key = (*purpose, engine.dialect.name)
    compiled = _SCALARS.get(key)
    if compiled is None:
        done = statement.compile(dialect=engine.dialect)
        if done._bind_processors:
            return False, None
        params = done.construct_params(dict.fromkeys(values))
        positions = tuple(done.positiontup) if done.positional else None  # type: ignore[arg-type]
        compiled = (done.string, positions, params)
        with _LOCK:
            _SCALARS[key] = compiled
    sql, positions, fixed = compiled
    return _first_value(_execute(engine, sql, _arguments({**fixed, **values}, positions)))


def _first_value(result: tuple[list[Any], Any] | None) -> tuple[bool, Any]:
    if result is None:
        return False, None
    rows = result[0]
    return True, rows[0][0] if rows else None


def _arguments(params: dict[str, Any], positions: tuple[str, ...] | None) -> Any:
    """The parameters as the driver takes them: by name, or in order for qmark drivers."""
    return params if positions is None else tuple(params[p] for p in positions)


def _run(engine: Any, prepared: _Prepared, values: dict[str, Any]) -> list[Any] | None:
    """The rows, or ``None`` if the driver failed (the ORM path then runs and reports)."""
    params = {**prepared.params, **values}
    for name, process in prepared.binds.items():
        if params[name] is not None:
            params[name] = process(params[name])
    result = _execute(engine, prepared.sql, _arguments(params, prepared.positions))
    if result is None:
        return None
    rows, description = result
    if prepared.processors is None:
        prepared.processors = _processors(engine.dialect, prepared, description)
    return rows


def _execute(engine: Any, sql: str, arguments: Any) -> tuple[list[Any], Any] | None:
    """Rows and cursor description of ``sql`` on a pooled driver connection.

    ``None`` if the driver failed; the connection is then invalidated, so that a
    broken one never goes back to the pool.
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            if arguments is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, arguments)
            return list(cursor.fetchall()), cursor.description
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        connection.invalidate()
        return None
    finally:
        connection.close()


def _processors(dialect: Any, prepared: _Prepared, description: Any) -> tuple[Any, ...]:
    return tuple(
        kind.dialect_impl(dialect).result_processor(dialect, column[1])
        for kind, column in zip(prepared.types, description, strict=True)
    )


def _record(model: Any, prepared: _Prepared, row: Any, inst: Any) -> Any:
    """A detached record from a row, as an ORM load followed by closing the session."""
    mapper = model.__mapper__
    record = mapper.class_manager.new_instance()
    state = attributes.instance_state(record)
    values = state.dict
    processors = prepared.processors or (None,) * len(prepared.keys)
    for name, process, item in zip(prepared.keys, processors, row, strict=True):
        values[name] = item if process is None or item is None else process(item)
    state.key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    state._commit_all(values)  # loaded values carry no history
    values["_lp_instance"] = inst
    return record


__all__ = ["fetch_first", "fetch_records", "fetch_rows", "fetch_value"]
