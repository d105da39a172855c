"""``get(field=value)`` on one plain field: a statement built once, reused for every value.

``ULabel.get(name="T cell")`` is the most frequent query of a pipeline that resolves
labels one by one. Going through :meth:`QuerySet.filter` costs about as much as the
database round trip itself: parsing the lookup, building the ``WHERE`` clause and
SQLAlchemy's cache key, every call. For the simple case — one equality on a string or
integer column, no other condition — the statement is built once per registry and
field with a bound parameter, so a call only binds the value and runs it.

The statement runs on the driver where it can (see ``_driver_select``).

Anything else (lookups with ``__``, relations, other value types, versioned
registries, query sets that already carry conditions) takes the general path, which
gives the same answer.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import bindparam, select

from ._driver_select import fetch_records
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


def fetch_by_field(inst: Any, model: Any, key: str, statement: Any, value: Any) -> list[Any]:
    """The records (at most two) that ``statement`` finds for ``value``."""
    records = fetch_records(inst, model, ("get", model, key), statement, {VALUE: value})
    if records is not None:
        return records
    with inst.read_session() as session:
        return list(session.scalars(statement, {VALUE: value}))


__all__ = ["VALUE", "fetch_by_field", "field_statement"]
