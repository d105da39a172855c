"""Distinct terms against the registries of a categorical feature or an itype.

A categorical feature's dtype names one or more *targets* (``cat[ULabel[Tissue]|Record]``):
a registry, the field that holds the term, and optionally the type whose records
are valid. :func:`match_terms` looks the distinct terms up target by target with one
query each (all terms travel as one bound parameter), and only for terms left over
looks for synonyms, other casings and close matches to suggest.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, func, select

from ..models._curate_match import map_values
from ..orm._catalog import model_named

#: Terms for which close matches are searched (each costs a query).
_SUGGEST_MAX = 5


@dataclass(frozen=True)
class TermTarget:
    """Where valid terms live: a registry's field, optionally below a type.

    Attributes:
        registry: The registry's class name.
        field: The string field holding terms.
        type_uid: The uid of the type whose records (and sub-types' records) count.
    """

    registry: str
    field: str
    type_uid: str | None = None

    @property
    def model(self) -> Any:
        """The registry class."""
        return model_named(self.registry)

    def label(self) -> str:
        """``ULabel.name`` or ``Record[Tissue].name`` for messages."""
        if self.type_uid is None:
            return f"{self.registry}.{self.field}"
        type_record = self.type_record()
        name = type_record.name if type_record is not None else self.type_uid
        return f"{self.registry}[{name}].{self.field}"

    def type_record(self) -> Any:
        """The type record, if the target names one (``None`` if it no longer exists)."""
        if self.type_uid is None:
            return None
        return self.model.filter(uid=self.type_uid).one_or_none()

    def records(self) -> Any:
        """The query set of records whose field values are valid terms."""
        model = self.model
        if self.type_uid is None:
            return model.filter()
        type_record = self.type_record()
        if type_record is None:
            return model.filter().none()
        return type_record.query_records()


@dataclass
class TermMatch:
    """How distinct terms matched.

    Attributes:
        found: Term -> (registry name, record id) of the record it names.
        missing: Terms no target has, in input order.
        synonyms: Missing terms that are a synonym or another casing of a valid term,
            mapped to that term.
        close: Missing terms mapped to close matches (suggestions only).
    """

    found: dict[str, tuple[str, int]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    close: dict[str, list[str]] = field(default_factory=dict)


def match_terms(targets: list[TermTarget], terms: list[str], *, suggest: bool = True) -> TermMatch:
    """Look up distinct ``terms`` in the targets, in order; suggest fixes for the rest.

    Costs one query per target while terms are left, and, with ``suggest``, one or
    two per target for synonyms plus one per term (at most five) for close matches.
    """
    result = TermMatch()
    left = list(dict.fromkeys(terms))
    for target in targets:
        if not left:
            break
        for record_id, value in _lookup(target, left):
            result.found.setdefault(value, (target.registry, record_id))
        left = [t for t in left if t not in result.found]
    result.missing = left
    if not left or not suggest:
        return result
    for target in targets:
        pending = [t for t in left if t not in result.synonyms]
        if not pending:
            break
        mapping = map_values(target.records(), target.field, pending, case_sensitive=False)
        for term, canonical in mapping.targets.items():
            if isinstance(canonical, list):
                canonical = canonical[0]
            if canonical != term:
                result.synonyms[term] = canonical
    first = targets[0]
    for term in [t for t in left if t not in result.synonyms][:_SUGGEST_MAX]:
        try:
            close = first.records().search(term, field=first.field, limit=3).to_list(first.field)
        except Exception:  # suggestions are best effort
            close = []
        close = [c for c in close if c != term]
        if close:
            result.close[term] = close
    return result


def _lookup(target: TermTarget, terms: list[str]) -> list[tuple[int, str]]:
    """(id, term) of the records of ``target`` whose field holds one of ``terms``, by id."""
    model = target.model
    inst = model.filter().instance
    dialect = inst.dialect
    stmt = _lookup_statement(model, target.field, target.type_uid is not None, dialect)
    params: dict[str, Any] = {"terms": json.dumps(list(terms))}
    if target.type_uid is not None:
        params["type_uid"] = target.type_uid
    with inst.read_session() as session:
        return [(row[0], row[1]) for row in session.execute(stmt, params)]


@functools.lru_cache(maxsize=256)
def _lookup_statement(model: Any, field_name: str, typed: bool, dialect: str) -> Any:
    """One statement per registry, field and backend, so its compiled form is reused.

    The terms travel as one parameter, a JSON array (a thousand terms dump faster as
    one string than as a PostgreSQL array), joined to the registry; a typed target's records are those whose
    type is the type or one of its sub-types (a recursive CTE over types on the main
    branch).
    """
    table = model.__table__
    column = table.c[model._meta.fields[field_name].attname]
    if dialect == "postgresql":
        # A join, not IN (subquery): PostgreSQL's planner, without statistics of a table
        # filled moments ago, would expand the terms once per row of the registry.
        terms = cast(bindparam("terms", type_=Text()), JSON)
        values = func.json_array_elements_text(terms).table_valued("value").alias("lp_terms")
        stmt = select(table.c.id, column).select_from(table.join(values, column == values.c.value))
    else:  # SQLite looks each term up in the index (a join would scan the registry)
        values = func.json_each(bindparam("terms")).table_valued("value")
        stmt = select(table.c.id, column).where(column.in_(select(values.c.value)))
    stmt = stmt.where(table.c.branch_id == 1)
    if typed:
        root = select(table.c.id).where(table.c.uid == bindparam("type_uid"))
        types = root.where(table.c.branch_id == 1).cte("lp_term_types", recursive=True)
        child = table.alias("lp_child_type")
        types = types.union(
            select(child.c.id).where(
                child.c.type_id == types.c.id, child.c.is_type.is_(True), child.c.branch_id == 1
            )
        )
        stmt = stmt.where(table.c.type_id.in_(select(types.c.id)))
    return stmt.order_by(table.c.id)


__all__ = ["TermMatch", "TermTarget", "match_terms"]
