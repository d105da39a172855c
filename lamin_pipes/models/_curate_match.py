"""Matching values against a registry: one query for the field, one for synonyms.

:func:`map_values` is the core of curation: it maps distinct input values onto a string
field by exact match, then by another casing, then (on the name field) through the
``"|"``-separated synonyms, and returns a :class:`Mapping`. Below it sit the SQL
primitives: :func:`match_field` and :func:`match_synonyms` send all values as one array
(PostgreSQL) or JSON (SQLite) parameter via :func:`in_values`, so a call costs a fixed
number of queries whatever the number of values; :func:`select_from` and :func:`fetch`
run them over a query set's records (its filters and slice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, any_, bindparam, func, or_, select
from sqlalchemy.types import NullType

from ..errors import FieldError
from ._curate_values import Keep

#: Values per ``IN (...)`` list where a list of values has to be spelled out.
IN_CHUNK = 900
#: Up to this many synonyms are looked up with ``LIKE`` filters; more scan the column.
SYNONYM_FILTER_MAX = 100
SYNONYM_SEP = "|"


# --- SQL -----------------------------------------------------------------------------


def restrict(qs: Any, organism: Any = None, source: Any = None, strict_source: bool = False) -> Any:
    """Narrow a query set by ``organism`` / ``source`` where the registry has such fields.

    lamin_pipes' built-in registries have neither; the arguments exist for lamindb
    compatibility and for user-defined registries that add them.
    """
    fields = qs.model._meta.fields
    if organism is not None and "organism" in fields:
        qs = (
            qs.filter(organism__name=organism)
            if isinstance(organism, str)
            else qs.filter(organism=organism)
        )
    if source is not None and strict_source and "source" in fields:
        qs = qs.filter(source=source)
    return qs


def select_from(qs: Any, *columns: Any) -> Any:
    """``SELECT columns`` over the records of a query set (its filters and slice)."""
    table = qs.model.__table__
    stmt = select(*columns)
    if qs._limit is not None or qs._offset:
        ids = qs.id_subquery().subquery()
        return stmt.where(table.c.id.in_(select(ids.c.id)))
    return stmt.where(*qs._where())


def read_session(inst: Any) -> Any:
    """A session for reading (see ``Instance.read_session``)."""
    return inst.read_session()


def fetch(qs: Any, stmt: Any) -> list[Any]:
    """Run a statement in the query set's instance; returns the rows."""
    if qs._none:
        return []
    with read_session(qs.instance) as session:
        return session.execute(stmt).all()  # type: ignore[no-any-return]


def _ci_needs_scan(values: list[str]) -> bool:
    # SQL lower() may fold only ASCII letters (SQLite; PostgreSQL under the C locale):
    # match values in other scripts in Python.
    return not all(v.isascii() for v in values)


def in_values(expression: Any, values: list[Any], dialect: str) -> Any:
    """``expression IN values`` as one bound parameter, whatever the number of values.

    PostgreSQL: ``= ANY(:array)``; SQLite: ``IN (SELECT value FROM json_each(:json))``.
    Both use an index on the expression where there is one.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        element = Text() if isinstance(expression.type, NullType) else expression.type
        array = bindparam(None, list(values), type_=ARRAY(element), unique=True)
        return expression == any_(array)
    if dialect == "sqlite":
        items = func.json_each(bindparam(None, json.dumps(values), unique=True))
        return expression.in_(select(items.table_valued("value").c.value))
    return expression.in_(values)


def match_field(
    qs: Any, attname: str, values: list[str], *, case_sensitive: bool, extra: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """Rows ``(id, value, *extra)`` whose field equals one of ``values``, by id.

    One query: the values travel as one array (PostgreSQL) or JSON list (SQLite).
    Case-insensitive matching compares ``str.lower()``; values outside ASCII are
    compared in Python after one read of the field.
    """
    if not values:
        return []
    table = qs.model.__table__
    column = table.c[attname]
    columns = (table.c.id, column, *(table.c[e] for e in extra))
    dialect = qs.instance.dialect
    if dialect not in ("sqlite", "postgresql") and len(values) > IN_CHUNK:
        rows: list[Any] = []  # another backend: bounded IN lists
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            rows += match_field(qs, attname, chunk, case_sensitive=case_sensitive, extra=extra)
        return sorted(set(rows), key=lambda r: r[0])
    if case_sensitive:
        rows = fetch(qs, select_from(qs, *columns).where(in_values(column, values, dialect)))
    else:
        lowered = sorted({v.lower() for v in values})
        if _ci_needs_scan(values):
            condition = column.is_not(None)
        else:
            condition = or_(
                in_values(column, values, dialect),
                in_values(func.lower(column), lowered, dialect),
            )
        rows = fetch(qs, select_from(qs, *columns).where(condition))
        wanted = set(values)
        wanted_lower = set(lowered)
        rows = [r for r in rows if r[1] in wanted or (r[1] or "").lower() in wanted_lower]
    rows.sort(key=lambda r: r[0])
    return [tuple(r) for r in rows]


def match_synonyms(
    qs: Any,
    attname: str,
    synonyms_attname: str,
    terms: list[str],
    *,
    case_sensitive: bool,
    extra: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Rows ``(id, value, *extra, synonyms)`` of records that may hold one of ``terms``.

    Few terms are pre-filtered with ``LIKE``; callers split and compare exactly.
    """
    table = qs.model.__table__
    synonyms = table.c[synonyms_attname]
    columns = (table.c.id, table.c[attname], *(table.c[e] for e in extra), synonyms)
    stmt = select_from(qs, *columns).where(synonyms.is_not(None), synonyms != "")
    if terms and len(terms) <= SYNONYM_FILTER_MAX and (case_sensitive or not _ci_needs_scan(terms)):
        target = synonyms if case_sensitive else func.lower(synonyms)
        stmt = stmt.where(or_(*(target.contains(t, autoescape=True) for t in terms)))
    rows = fetch(qs, stmt.order_by(table.c.id))
    return [tuple(r) for r in rows]


def split_synonyms(text: str | None) -> list[str]:
    """``"a|b"`` → ``["a", "b"]`` (empty parts dropped)."""
    if not text:
        return []
    return [s for s in text.split(SYNONYM_SEP) if s]


# --- mapping values to the registry's spelling ---------------------------------------


@dataclass
class Mapping:
    """How distinct input values map onto a field (the core of ``standardize``).

    Attributes:
        targets: Input value → field value (exact, other casing or via a synonym), or a
            list of field values when a synonym is ambiguous and ``keep=False``.
        exact: Inputs found verbatim in the field.
        via_synonym: Inputs mapped through a synonym.
        rows: Rows ``(id, value, *extra)`` that matched, by id; synonym owners included.
        casing: Whether some input matched only in another casing.
    """

    targets: dict[str, Any] = field(default_factory=dict)
    exact: set[str] = field(default_factory=set)
    via_synonym: set[str] = field(default_factory=set)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    casing: bool = False


def synonyms_attname(model: Any, field: str, synonyms_field: str | None) -> str | None:
    """The synonyms column to use when mapping values of ``field``, if any.

    Synonyms map onto the registry's name field only (as in lamindb).
    """
    if synonyms_field is None or field != model._meta.name_field:
        return None
    info = model._meta.fields.get(synonyms_field)
    if info is None:
        if synonyms_field != "synonyms":
            msg = (
                f"Unknown synonyms_field '{synonyms_field}' of {model.__name__}. "
                f"String fields: {', '.join(model._meta.str_fields)}"
            )
            raise FieldError(msg)
        return None
    if not info.is_str or synonyms_field == field:
        msg = f"synonyms_field must be a string field other than '{field}', got '{synonyms_field}'"
        raise FieldError(msg)
    return info.attname  # type: ignore[no-any-return]


def map_values(
    qs: Any,
    field: str,
    values: list[str],
    *,
    case_sensitive: bool = False,
    keep: Keep = "first",
    synonyms_field: str | None = "synonyms",
    extra: tuple[str, ...] = (),
) -> Mapping:
    """Map distinct values onto ``field``: exact match, then casing, then synonyms.

    One query matches the field; one more looks at synonyms for what is left.
    """
    model = qs.model
    attname = model._meta.fields[field].attname
    rows = match_field(qs, attname, values, case_sensitive=case_sensitive, extra=extra)
    result = Mapping(rows=rows)
    present = {r[1] for r in rows}
    by_lower: dict[str, str] = {}
    if not case_sensitive:
        for r in rows:
            by_lower.setdefault(r[1].lower(), r[1])
    left: list[str] = []
    for value in values:
        if value in present:
            result.targets[value] = value
            result.exact.add(value)
        elif value.lower() in by_lower:
            result.targets[value] = by_lower[value.lower()]
            result.casing = True
        else:
            left.append(value)
    syn_attname = synonyms_attname(model, field, synonyms_field)
    if not left or syn_attname is None:
        return result

    def key(text: str) -> str:
        return text if case_sensitive else text.lower()

    terms = sorted({key(v) for v in left})
    owners: dict[str, list[str]] = {}
    seen_ids = {r[0] for r in rows}
    wanted = set(terms)
    for row in match_synonyms(
        qs, attname, syn_attname, terms, case_sensitive=case_sensitive, extra=extra
    ):
        name, synonyms = row[1], row[-1]
        hit = False
        for synonym in split_synonyms(synonyms):
            if synonym == name or key(synonym) not in wanted:
                continue
            names = owners.setdefault(key(synonym), [])
            if name not in names:
                names.append(name)
            hit = True
        if hit and row[0] not in seen_ids:
            seen_ids.add(row[0])
            result.rows.append(row[:-1])
    result.rows.sort(key=lambda r: r[0])
    for value in left:
        found = owners.get(key(value))
        if not found:
            continue
        if keep == "first":
            result.targets[value] = found[0]
        elif keep == "last":
            result.targets[value] = found[-1]
        else:
            result.targets[value] = found if len(found) > 1 else found[0]
        result.via_synonym.add(value)
    return result


def return_field_converter(mapping: Mapping, keep: Keep) -> Any:
    """A function mapping field values (or lists of them) to ``return_field`` values."""
    grouped: dict[str, list[Any]] = {}
    for row in mapping.rows:
        grouped.setdefault(row[1], []).append(row[2])

    def one(value: str) -> Any:
        found = grouped.get(value)
        if not found:
            return value
        if keep == "first":
            return found[0]
        if keep == "last":
            return found[-1]
        return found if len(found) > 1 else found[0]

    def convert(target: Any) -> Any:
        if not isinstance(target, list):
            return one(target)
        out: list[Any] = []
        for item in target:
            converted = one(item)
            out.extend(converted if isinstance(converted, list) else [converted])
        return out

    return convert
