"""Compile Django-style lookups and ``Q`` objects into SQLAlchemy expressions.

Everything that filters, orders or selects by a field path goes through this module.

A path such as ``created_by__handle__startswith`` is walked field by field:

- a column ends the path, optionally followed by a transform (``year``, ``month``,
  ``day``) and an operator (``exact``, ``icontains``, ``in``, …, see :data:`OPERATORS`);
- a foreign key either compares its id (``created_by=user``, ``created_by__in=[…]``) or
  continues into the related registry as ``fk_id IN (SELECT id FROM related WHERE …)``;
- a many-to-many or reverse relation continues as
  ``id IN (SELECT source FROM link JOIN related … WHERE …)``.

Subqueries instead of joins mean rows are never multiplied by a join, so no
``DISTINCT`` is needed, and ``exclude()`` negates cleanly.

Text is compared and ordered by the database's collation, as in lamindb: by bytes on
SQLite, by the server's rules on PostgreSQL (usually a language collation, where
``"Z" > "a"``). Orders that carry meaning inside lamin_pipes, such as the version
counters at the end of uids, use :func:`bytewise` and are the same everywhere.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Boolean, Text, and_, bindparam, extract, false, func, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..errors import FieldError, FieldValidationError, InvalidArgument
from ._options import COLUMN, FOREIGN_KEY, MANY_TO_MANY, REVERSE_FK, REVERSE_M2M, FieldInfo
from ._records import is_query_set, is_record


class _ColumnAs(ColumnElement[Any]):
    """A column rendered differently per backend; by default as the plain column."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(_ColumnAs)
def _compile_plain(element: _ColumnAs, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)  # type: ignore[no-any-return]


class _Unindexed(_ColumnAs):
    """A column the planner must not pick an index for (``+col``, ``(col + 0)``)."""

    inherit_cache = True


@compiles(_Unindexed, "sqlite")
def _compile_unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)  # type: ignore[no-any-return]


@compiles(_Unindexed, "postgresql")
def _compile_unindexed_postgresql(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} + 0)"


def unindexed(column: Any) -> Any:
    """``column`` for a condition that should never drive the choice of index.

    The default ``branch_id = 1`` filter matches nearly every row; without statistics
    (a new instance, a fresh bulk load) SQLite and PostgreSQL may still combine or
    prefer the branch index over a selective one such as ``name``. This renders the
    column as ``+branch_id`` on SQLite (its documented remedy) and ``(branch_id + 0)``
    on PostgreSQL, expressions no index covers.
    """
    return _Unindexed(column)


class _Bytewise(_ColumnAs):
    """A string expression compared byte by byte, whatever the database's collation.

    SQLite's default collation (and so the plain column) is bytewise already.
    """

    inherit_cache = True


@compiles(_Bytewise, "postgresql")
def _compile_bytewise_postgresql(element: _Bytewise, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.column, **kw)} COLLATE "C")'


def bytewise(column: Any) -> Any:
    """``column`` sorted and compared by its bytes (code points), not by language rules.

    Most PostgreSQL servers sort text with a language collation (``en_US.UTF-8``, ICU
    ``en-US``) in which ``"000a" < "000Z"``. Orders that carry meaning, such as the
    base62 version counters at the end of uids, must not depend on that: this renders
    ``column COLLATE "C"`` on PostgreSQL and the plain column on SQLite, whose default
    collation is already bytewise.
    """
    return _Bytewise(column)


#: Above this many values an ``in`` lookup sends them as one parameter: databases cap
#: the parameters of a statement (PostgreSQL at 65,535, SQLite at 32,766).
LARGE_IN = 1000


class _InMany(ColumnElement[bool]):
    """``column IN (values)`` with all values bound as one parameter."""

    inherit_cache = False  # the values are part of the element, not of a cache key

    def __init__(self, column: Any, values: list[Any]) -> None:
        self.column = column
        self.values = values
        self.type = Boolean()


@compiles(_InMany)
def _compile_in_many(element: _InMany, compiler: Any, **kw: Any) -> str:
    # SQLite (and others): a JSON array, unpacked by json_each.
    payload = bindparam(None, json.dumps(element.values), type_=Text())
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(payload, **kw)}))"


@compiles(_InMany, "postgresql")
def _compile_in_many_postgresql(element: _InMany, compiler: Any, **kw: Any) -> str:
    from sqlalchemy.dialects.postgresql import ARRAY  # loads the dialect; only used here

    payload = bindparam(None, element.values, type_=ARRAY(element.column.type))
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(payload, **kw)})"


def _pattern(value: Any) -> str:
    """A regular expression for ``__regex``/``__iregex``, checked before it is sent.

    An invalid pattern raised a raw driver error (SQLite runs Python's ``re``,
    PostgreSQL its own engine); here it raises one clear error on both.
    """
    if not isinstance(value, str):
        msg = f"The regex lookups take a pattern string, got {type(value).__name__} {value!r}"
        raise InvalidArgument(msg)
    try:
        re.compile(value)
    except re.error as error:
        msg = f"Invalid regular expression {value!r}: {error}"
        raise InvalidArgument(msg) from None
    return value


def in_values(column: Any, values: Any) -> Any:
    """``column IN values``; many plain values (str, int) travel as one parameter.

    Examples:
        >>> import lamin_pipes as ln
        >>> column = ln.ULabel.__table__.c.name
        >>> type(in_values(column, [f"n{i}" for i in range(5000)])).__name__
        '_InMany'
    """
    if (
        isinstance(values, list)
        and len(values) > LARGE_IN
        and all(type(v) is str or type(v) is int for v in values)
    ):
        return _InMany(column, values)
    return column.in_(values)


def _like_escape(value: Any) -> str:
    return str(value)


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "exact": lambda c, v: c.is_(None) if v is None else c == v,
    "iexact": lambda c, v: c.is_(None) if v is None else func.lower(c) == func.lower(v),
    "contains": lambda c, v: c.contains(_like_escape(v), autoescape=True),
    "icontains": lambda c, v: c.icontains(_like_escape(v), autoescape=True),
    "startswith": lambda c, v: c.startswith(_like_escape(v), autoescape=True),
    "istartswith": lambda c, v: c.istartswith(_like_escape(v), autoescape=True),
    "endswith": lambda c, v: c.endswith(_like_escape(v), autoescape=True),
    "iendswith": lambda c, v: c.iendswith(_like_escape(v), autoescape=True),
    "in": in_values,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "range": lambda c, v: c.between(v[0], v[1]),
    "isnull": lambda c, v: c.is_(None) if v else c.isnot(None),
    "regex": lambda c, v: c.regexp_match(_pattern(v)),
    # "(?i)" is understood by Python's re (SQLite) and by PostgreSQL's AREs alike
    "iregex": lambda c, v: c.regexp_match("(?i)" + _pattern(v).removeprefix("(?i)")),
}
TRANSFORMS = ("year", "month", "day")
#: Operators that make sense on the id of a relation.
RELATION_OPERATORS = ("exact", "in", "isnull", "gt", "gte", "lt", "lte", "range")


class Q:
    """A composable filter condition: combine with ``&``, ``|`` and ``~``.

    Examples:
        >>> q = Q(name__startswith="a") | ~Q(name="b")
        >>> q.connector
        'OR'
    """

    AND = "AND"
    OR = "OR"

    def __init__(
        self, *args: Q, _connector: str = "AND", _negated: bool = False, **kwargs: Any
    ) -> None:
        self.children: list[Q | tuple[str, Any]] = [*args, *sorted(kwargs.items())]
        self.connector = _connector
        self.negated = _negated

    def _combine(self, other: Q, connector: str) -> Q:
        if not isinstance(other, Q):
            msg = f"Cannot combine Q with {type(other).__name__}: {other!r}"
            raise TypeError(msg)
        return Q(self, other, _connector=connector)

    def __and__(self, other: Q) -> Q:
        return self._combine(other, self.AND)

    def __or__(self, other: Q) -> Q:
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        return Q(self, _negated=True)

    def flatten_keys(self) -> Iterable[str]:
        """All lookup keys in this tree."""
        for child in self.children:
            if isinstance(child, Q):
                yield from child.flatten_keys()
            else:
                yield child[0]

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(
            repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" for c in self.children
        )
        return f"{'NOT ' if self.negated else ''}Q({inner})"


def compile_q(model: Any, q: Q) -> ColumnElement[bool]:
    """Compile a ``Q`` tree for ``model``."""
    parts = [
        compile_q(model, c) if isinstance(c, Q) else compile_lookup(model, c[0], c[1])
        for c in q.children
    ]
    if not parts:
        expr: Any = true()
    elif len(parts) == 1:
        expr = parts[0]
    else:
        expr = and_(*parts) if q.connector == Q.AND else or_(*parts)
    return not_(expr) if q.negated else expr  # type: ignore[no-any-return]


def compile_filters(model: Any, queries: tuple[Any, ...], expressions: dict[str, Any]) -> list[Any]:
    """Compile ``filter(*queries, **expressions)`` arguments into a list of clauses."""
    clauses = []
    for query in queries:
        if isinstance(query, Q):
            clauses.append(compile_q(model, query))
        elif isinstance(query, dict):
            clauses.extend(compile_lookup(model, k, v) for k, v in query.items())
        else:
            msg = f"filter() takes Q objects and keyword lookups, got {query!r}"
            raise FieldError(msg)
    clauses.extend(compile_lookup(model, key, value) for key, value in expressions.items())
    return clauses


def _unknown_operator(info: FieldInfo, op: str) -> FieldError:
    valid = ", ".join(list(OPERATORS) + list(TRANSFORMS))
    msg = f"Unsupported lookup '{op}' for field '{info.name}'. Valid lookups: {valid}"
    return FieldError(msg)


def _invalid_relation_lookup(info: FieldInfo, value: Any) -> FieldError:
    related = info.related_model
    name_field = (
        related._meta.name_field if related._meta.name_field in related._meta.fields else "uid"
    )
    if name_field not in related._meta.fields:
        name_field = "id"
    msg = f"Invalid lookup '{value}' for {info.name}. Did you mean {info.name}__{name_field}?"
    return FieldError(msg)


def _suggest(meta: Any, name: str) -> FieldError:
    available = meta.lookup_names()
    close = difflib.get_close_matches(name, available, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    msg = f"Unknown field '{name}'. Available fields: {', '.join(available)}.{hint}"
    return FieldError(msg)


def get_field(model: Any, name: str) -> FieldInfo:
    """``model._meta.get_field`` with a 'did you mean' hint."""
    try:
        return model._meta.get_field(name)  # type: ignore[no-any-return]
    except FieldError:
        raise _suggest(model._meta, name) from None


def _to_id(value: Any) -> Any:
    if is_record(value):
        return value.id
    return value


def _ids(value: Any) -> Any:
    if is_query_set(value):
        return value.id_subquery()
    return [_to_id(v) for v in value]


def _column_values(op: str, value: Any) -> Any:
    if op == "in":
        if is_query_set(value):
            return value.values_subquery()
        if isinstance(value, str) or not isinstance(value, Iterable):
            msg = f"The 'in' lookup takes a list of values, got {value!r}"
            raise FieldError(msg)
        return list(value)
    if op == "range":
        if isinstance(value, str) or len(value) != 2:
            msg = f"The 'range' lookup takes (low, high), got {value!r}"
            raise FieldError(msg)
        return tuple(value)
    return value


#: Names a query may use for another field of the registry, as lamindb maps them:
#: versioned registries are filtered by ``version`` (the ``version_tag`` column).
_FIELD_ALIASES = {"version": "version_tag"}


def _field_name(model: Any, name: str) -> str:
    """``name``, or the field it stands for when the registry has no field of that name."""
    alias = _FIELD_ALIASES.get(name)
    fields = model._meta.fields
    if alias is not None and name not in fields and alias in fields:
        return alias
    return name


def compile_lookup(model: Any, key: str, value: Any) -> ColumnElement[bool]:
    """Compile one ``key=value`` lookup (``key`` may traverse relations)."""
    return _compile_parts(model, model.__table__, key.split("__"), value)


def _compile_parts(model: Any, table: Any, parts: list[str], value: Any) -> Any:
    """Compile a lookup path on ``model`` whose rows come from ``table`` (or an alias)."""
    info = get_field(model, _field_name(model, parts[0]))
    rest = parts[1:]
    if info.kind == COLUMN:
        return _compile_column(info, table.c[info.attname], rest, value)
    if info.kind == FOREIGN_KEY:
        return _compile_fk(info, table, parts[0], rest, value)
    return _compile_multi(info, table, rest, value)


def _compile_column(info: FieldInfo, column: Any, rest: list[str], value: Any) -> Any:
    expr = column
    if rest and rest[0] in TRANSFORMS:
        expr = extract(rest[0], column)
        rest = rest[1:]
    if len(rest) > 1:
        raise _unknown_operator(info, "__".join(rest))
    op = rest[0] if rest else "exact"
    operator = OPERATORS.get(op)
    if operator is None:
        raise _unknown_operator(info, op)
    values = _column_values(op, value)
    if expr is column and _is_integer(info) and op in _NUMBER_OPERATORS:
        values = _as_integers(info, op, values)
    if isinstance(values, str):
        _check_text(info, values)
    elif isinstance(values, (list, tuple)):
        for item in values:
            if isinstance(item, str):
                _check_text(info, item)
    return operator(expr, values)


def _check_text(info: FieldInfo, value: str) -> None:
    """Refuse text no database stores (NUL, lone surrogates), as saving does.

    SQLite compared such text and matched nothing; PostgreSQL's driver raised.
    """
    problem = None
    if "\0" in value:
        problem = "a NUL character (\\x00)"
    else:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problem = "a lone surrogate, which is not valid UTF-8"
    if problem is not None:
        msg = f"Field '{info.name}' cannot be compared with {value!r}: the text contains {problem}."
        raise FieldValidationError(msg)


#: Operators whose values an integer column compares as numbers.
_NUMBER_OPERATORS = ("exact", "in", "gt", "gte", "lt", "lte", "range")
_INT64 = (-(2**63), 2**63 - 1)


def _is_integer(info: FieldInfo) -> bool:
    if info.kind == FOREIGN_KEY:
        return True
    return info.spec is not None and info.spec.kind in ("int", "bigint")


def _as_integer(info: FieldInfo, value: Any) -> Any:
    """``value`` as an int, as Django compares integer fields (``"5"`` is 5)."""
    if isinstance(value, bool) or value is None:
        return value
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif not isinstance(value, int):
        number = getattr(value, "__index__", lambda: None)()
    if not isinstance(number, int):
        msg = f"Field '{info.name}' expected a number but got {value!r}."
        raise FieldValidationError(msg)
    if not _INT64[0] <= number <= _INT64[1]:
        msg = f"Field '{info.name}' takes numbers from {_INT64[0]} to {_INT64[1]}, got {number}."
        raise FieldValidationError(msg)
    return number


def _as_integers(info: FieldInfo, op: str, values: Any) -> Any:
    if op == "in":
        return (
            values
            if is_query_set(values) or not isinstance(values, list)
            else [_as_integer(info, v) for v in values]
        )
    if op == "range":
        return tuple(_as_integer(info, v) for v in values)
    return _as_integer(info, values)


def _compile_fk(info: FieldInfo, table: Any, used_name: str, rest: list[str], value: Any) -> Any:
    column = table.c[info.attname]
    if used_name == info.attname:  # created_by_id=…, created_by_id__in=…
        return _compile_column(info, column, rest, value)
    if not rest or rest[0] in RELATION_OPERATORS:
        op = rest[0] if rest else "exact"
        if len(rest) > 1:
            raise _unknown_operator(info, "__".join(rest))
        return _compare_relation_ids(info, column, op, value)
    if rest == ["id"] or (rest[0] == "id" and len(rest) == 2):
        return _compile_column(info, column, rest[1:], value)
    related = info.related_model
    alias = related.__table__.alias()
    condition = _compile_parts(related, alias, rest, value)
    subquery = select(alias.c.id).where(condition)
    return and_(column.isnot(None), column.in_(subquery))


def _compare_relation_ids(info: FieldInfo, column: Any, op: str, value: Any) -> Any:
    if op == "isnull":
        return column.is_(None) if value else column.isnot(None)
    if op == "in":
        ids = _ids(value)
        return column.in_(ids) if is_query_set(value) else in_values(column, ids)
    if isinstance(value, str):
        raise _invalid_relation_lookup(info, value)
    if op == "range":
        return column.between(_to_id(value[0]), _to_id(value[1]))
    return OPERATORS[op](column, _to_id(value))


def _multi_source(info: FieldInfo) -> tuple[Any, Any, Any]:
    """For a many-valued relation: (from-clause, column with the owner id, column with
    the related id). Reverse foreign keys read an alias of the related table."""
    if info.kind in (MANY_TO_MANY, REVERSE_M2M):
        link = info.link.alias()
        return link, link.c[info.source_column], link.c[info.target_column]
    related = info.related_model.__table__.alias()
    return related, related.c[info.source_column], related.c.id


def _compile_multi(info: FieldInfo, table: Any, rest: list[str], value: Any) -> Any:
    own_id = table.c.id
    _, source_col, related_col = _multi_source(info)
    if not rest or rest[0] in RELATION_OPERATORS:
        op = rest[0] if rest else "exact"
        if len(rest) > 1:
            raise _unknown_operator(info, "__".join(rest))
        if op == "isnull":
            has_any = own_id.in_(select(source_col).where(source_col.isnot(None)))
            return not_(has_any) if value else has_any
        if isinstance(value, str):
            raise _invalid_relation_lookup(info, value)
        if op == "in":
            condition = related_col.in_(_ids(value))
        elif op == "range":
            condition = related_col.between(_to_id(value[0]), _to_id(value[1]))
        else:
            condition = OPERATORS[op](related_col, _to_id(value))
        return own_id.in_(select(source_col).where(condition))
    if rest == ["id"] or (rest[0] == "id" and len(rest) == 2):
        condition = _compile_column(info, related_col, rest[1:], value)
        return own_id.in_(select(source_col).where(condition))
    related = info.related_model
    alias = related.__table__.alias()
    condition = _compile_parts(related, alias, rest, value)
    related_ids = select(alias.c.id).where(condition)
    subquery = select(source_col).where(related_col.in_(related_ids), source_col.isnot(None))
    return own_id.in_(subquery)


def resolve_path(model: Any, path: str, table: Any = None) -> Any:
    """A SQL expression for a single-valued field path, for ordering and ``values``.

    Columns resolve to the column of ``table`` (default: the registry's table); paths
    through foreign keys resolve to a correlated scalar subquery over an alias of the
    related table (``created_by__handle`` → ``(SELECT handle FROM user AS u WHERE …)``).

    Raises:
        FieldError: For unknown fields or many-valued relations.
    """
    table = model.__table__ if table is None else table
    parts = path.split("__")
    info = get_field(model, parts[0])
    if info.kind == COLUMN:
        if len(parts) > 1:
            raise _unknown_operator(info, "__".join(parts[1:]))
        return table.c[info.attname]
    if info.kind == FOREIGN_KEY:
        column = table.c[info.attname]
        if len(parts) == 1 or parts[1:] == ["id"]:
            return column
        related = info.related_model
        alias = related.__table__.alias()
        inner = resolve_path(related, "__".join(parts[1:]), alias)
        return select(inner).where(alias.c.id == column).scalar_subquery()
    msg = (
        f"'{path}' goes through the many-valued relation '{info.name}'; it cannot be "
        "used for ordering or as a single value. Use to_dataframe(include=...) instead."
    )
    raise FieldError(msg)


def resolve_multi_path(model: Any, path: str) -> tuple[Any, Any, Any]:
    """For ``include="parents__name"`` and aggregates over relations.

    Returns ``(owner_id, value, from_clause)``: selecting ``owner_id, value`` from
    ``from_clause`` gives the related values of every owner with one query.
    """
    parts = path.split("__")
    info = get_field(model, parts[0])
    if info.kind == COLUMN or (len(parts) == 1 and info.kind == FOREIGN_KEY):
        msg = f"'{path}' is not a relation path."
        raise FieldError(msg)
    related = info.related_model
    rel = related.__table__.alias()
    if info.kind == FOREIGN_KEY:
        owner = model.__table__.alias()
        owner_col = owner.c.id
        join = owner.join(rel, rel.c.id == owner.c[info.attname])
    elif info.kind == REVERSE_FK:
        owner_col = rel.c[info.source_column]
        join = rel
    else:
        link, owner_col, related_col = _multi_source(info)
        join = link.join(rel, rel.c.id == related_col)
    name_field = related._meta.name_field
    rest = parts[1:] or [name_field if name_field in related._meta.fields else "id"]
    value = resolve_path(related, "__".join(rest), rel)
    return owner_col, value, join


def known_operator(name: str) -> bool:
    return name in OPERATORS or name in TRANSFORMS


__all__ = [
    "Q",
    "bytewise",
    "compile_filters",
    "compile_lookup",
    "compile_q",
    "false",
    "resolve_path",
]
