"""Filtering artifacts, runs and records by feature values.

``ln.Artifact.filter(cell_type="T cell", n_cells__gt=1000, key__startswith="data/")``
mixes fields and features: the engine hands the keywords that are no field (and
``Feature`` predicates such as ``n_cells > 1000``) to :func:`compile_feature_filters`,
which looks the features up (one query) and turns each condition into
``id IN (SELECT <host> FROM <link> …)``:

- values of simple dtypes are compared inside their JSON, numerically for ``int``,
  ``float`` and ``num`` features and as text otherwise (ISO dates compare in time
  order); ``exact``/``in`` match the stored value exactly through its hash;
- categorical values are compared on the name field of their registries;
  a name no label has raises ``DoesNotExist``, as in lamindb;
- ``__isnull=True`` finds the records without a value for the feature.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Text, exists, false, not_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..errors import DoesNotExist, FieldError, InvalidArgument, ValidationError
from ..orm._extensions import implements
from ..orm._feature_keywords import check_feature_keywords
from ..orm._query_compiler import compile_lookup, in_values
from ..orm._records import is_query_set, is_record, record_instance
from ._annotation_links import label_link, value_link
from ._dtypes import Dtype, check_simple, parse_dtype
from ._prepared import InList, list_param, run_prepared
from .feature import Feature, FeaturePredicate, FeatureValue, value_hash

#: The lookups a feature condition takes.
COMPARATORS = (
    "exact",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "isnull",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
)
_ORDERING = ("gt", "gte", "lt", "lte")
_TEXT_MATCH = ("contains", "icontains", "startswith", "istartswith")


class _JsonScalar(ColumnElement[Any]):
    """The scalar inside a JSON value, as a number or as text."""

    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("kind", InternalTraversal.dp_string),
    ]

    def __init__(self, column: Any, kind: str) -> None:
        self.column = column
        self.kind = kind
        self.type = Float() if kind == "number" else Text()


@compiles(_JsonScalar)
def _compile_sqlite(element: _JsonScalar, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if element.kind == "number":
        # numbers are stored as numbers (numeric affinity): exact, no JSON to read
        return column  # type: ignore[no-any-return]
    return f"json_extract({column}, '$')"  # strings unquoted


@compiles(_JsonScalar, "postgresql")
def _compile_postgresql(element: _JsonScalar, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if element.kind == "number":
        # guarded: a cast of a non-number would fail (the planner may evaluate it on
        # rows of other features)
        return (
            f"(CASE WHEN jsonb_typeof({column}) = 'number' "
            f"THEN CAST(({column} #>> '{{}}') AS DOUBLE PRECISION) END)"
        )
    return f"({column} #>> '{{}}')"


def _split(key: str) -> tuple[str, str]:
    name, _, op = key.partition("__")
    return name, op or "exact"


@implements("feature_filters")
def compile_feature_filters(
    model: Any, inst: Any, lookups: list[tuple[str, Any]], predicates: list[Any]
) -> tuple[list[Any], list[int]]:
    """SQL conditions on ``model`` for feature lookups and predicates (see module doc).

    Raises:
        InvalidArgument: Keywords that are no field and no feature, unsupported lookups.
        FieldError: Positional arguments that are no ``Q`` and no feature predicate.
        DoesNotExist: A categorical value that no label of the feature's registries has.
    """
    for predicate in predicates:
        if not isinstance(predicate, FeaturePredicate):
            msg = f"filter() takes Q objects, keyword lookups and Feature predicates, got {predicate!r}"
            raise FieldError(msg)
    features = _features_by_name(model, inst, [_split(k)[0] for k, _ in lookups])
    clauses = []
    used: list[int] = []
    for key, value in lookups:
        name, op = _split(key)
        feature = features[name]
        clauses.append(_condition(model, inst, feature, op, value))
        used.append(feature.id)
    for predicate in predicates:
        feature = predicate.feature
        if feature.id is None:
            msg = f"Save feature {feature.name!r} before filtering by it."
            raise InvalidArgument(msg)
        if record_instance(feature).db != inst.db:
            feature = Feature.connect(inst).get(uid=feature.uid)
        comparator = predicate.comparator.removeprefix("__")
        if comparator == "ne":
            clauses.append(not_(_condition(model, inst, feature, "exact", predicate.value)))
        else:
            clauses.append(_condition(model, inst, feature, comparator or "exact", predicate.value))
        used.append(feature.id)
    return clauses, used


def _feature_statement() -> Any:
    table = Feature.__table__  # type: ignore[attr-defined]
    return (
        select(table.c.id, table.c.uid, table.c.name, table.c._dtype_str, table.c.type_id)
        .where(InList(table.c.name, "names"), table.c.branch_id == 1, table.c.is_type.is_(False))
        .order_by(table.c.id)
    )


@dataclass(frozen=True)
class _FeatureRow:
    id: int
    uid: str
    name: str
    _dtype_str: str
    type_id: int | None


def _features_by_name(model: Any, inst: Any, names: list[str]) -> dict[str, Any]:
    if not names:
        return {}
    params = {"names": list_param(inst.dialect, sorted(set(names)))}
    rows = [
        _FeatureRow(*row)
        for row in run_prepared(inst, ("filter-features",), _feature_statement, params)
    ]
    by_name: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_name[row.name].append(row)
    unknown = [n for n in dict.fromkeys(names) if n not in by_name]
    if unknown:
        check_feature_keywords(model, unknown)
    found = {}
    for name, candidates in by_name.items():
        if len(candidates) > 1:
            candidates = [c for c in candidates if c.type_id is None] or candidates
        if len(candidates) > 1:
            msg = (
                f"Several features are named {name!r}; filter with the Feature object "
                f"instead: feature = ln.Feature.get(name={name!r}, type__name=...); "
                "ln.Artifact.filter(feature == value)."
            )
            raise InvalidArgument(msg)
        found[name] = candidates[0]
    return found


def _condition(model: Any, inst: Any, feature: Any, op: str, value: Any) -> Any:
    parsed = parse_dtype(feature._dtype_str)
    if op not in COMPARATORS:
        msg = (
            f"Unsupported lookup {op!r} for feature {feature.name!r} ({parsed.text}). "
            f"Valid lookups: {', '.join(COMPARATORS)}"
        )
        raise InvalidArgument(msg)
    host_id = model.__table__.c.id
    if parsed.is_cat:
        return _categorical(model, inst, feature, parsed, op, value, host_id)
    return _simple(model, feature, parsed, op, value, host_id)


def _simple(model: Any, feature: Any, parsed: Dtype, op: str, value: Any, host_id: Any) -> Any:
    link = value_link(model)
    assert link is not None
    values = FeatureValue.__table__  # type: ignore[attr-defined]
    hosts = select(link.table.c[link.host_column]).select_from(
        link.table.join(values, values.c.id == link.table.c[link.value_column])
    )
    of_feature = values.c.feature_id == feature.id
    if op == "isnull":
        has = host_id.in_(hosts.where(of_feature))
        return not_(has) if value else has
    condition = _value_condition(feature, parsed, op, value, values)
    return host_id.in_(hosts.where(of_feature, condition))


def _stored(feature: Any, parsed: Dtype, value: Any) -> Any:
    """``value`` as the feature stores it, for an exact match of its hash."""
    try:
        if parsed.is_list:
            items = value if isinstance(value, (list, tuple)) else [value]
            return [check_simple(parsed.base, item) for item in items]
        return check_simple(parsed.base, value)
    except TypeError as error:
        msg = f"Cannot compare feature {feature.name!r} ({parsed.text}) with {value!r}: {error}"
        raise ValidationError(msg) from None


def _number(feature: Any, parsed: Dtype, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"Feature {feature.name!r} ({parsed.text}) compares with numbers, got {value!r}"
        raise ValidationError(msg)
    return value


def _value_condition(feature: Any, parsed: Dtype, op: str, value: Any, values: Any) -> Any:
    column = values.c.value
    if parsed.is_list or parsed.base == "dict":
        if op == "exact":
            return values.c.hash == value_hash(_stored(feature, parsed, value))
        if op == "in":
            return values.c.hash.in_([value_hash(_stored(feature, parsed, v)) for v in value])
        msg = f"Feature {feature.name!r} ({parsed.text}) takes the lookups exact, in and isnull"
        raise InvalidArgument(msg)
    if parsed.is_numeric:
        number = _JsonScalar(column, "number")
        if op in ("exact", *_ORDERING):
            bound = _number(feature, parsed, value)
            return {
                "exact": number == bound,
                "gt": number > bound,
                "gte": number >= bound,
                "lt": number < bound,
                "lte": number <= bound,
            }[op]
        if op == "in":
            return number.in_([_number(feature, parsed, v) for v in _list(value)])
        msg = f"Feature {feature.name!r} ({parsed.text}) takes no text lookup {op!r}"
        raise InvalidArgument(msg)
    if op == "exact":
        return values.c.hash == value_hash(_stored(feature, parsed, value))
    if op == "in":
        return values.c.hash.in_([value_hash(_stored(feature, parsed, v)) for v in _list(value)])
    if parsed.base == "bool":
        msg = f"Feature {feature.name!r} (bool) takes the lookups exact, in and isnull"
        raise InvalidArgument(msg)
    text = _JsonScalar(column, "text")
    if op in _ORDERING:
        bound = _stored(feature, parsed, value)
        return {"gt": text > bound, "gte": text >= bound, "lt": text < bound, "lte": text <= bound}[
            op
        ]
    if not isinstance(value, str):
        msg = f"The lookup {op!r} of feature {feature.name!r} takes a string, got {value!r}"
        raise ValidationError(msg)
    return {
        "contains": text.contains(value, autoescape=True),
        "icontains": text.icontains(value, autoescape=True),
        "startswith": text.startswith(value, autoescape=True),
        "istartswith": text.istartswith(value, autoescape=True),
    }[op]


def _list(value: Any) -> list[Any]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        msg = f"The 'in' lookup takes a list of values, got {value!r}"
        raise InvalidArgument(msg)
    return list(value)


def _categorical(
    model: Any, inst: Any, feature: Any, parsed: Dtype, op: str, value: Any, host_id: Any
) -> Any:
    parts = []
    for target in parsed.targets:
        link = label_link(model, target.registry)
        table = link.table
        hosts = select(table.c[link.host_column]).where(table.c[link.feature_column] == feature.id)
        if op == "isnull":
            parts.append(hosts)
            continue
        labels = _label_condition(target, op, value)
        if labels is None:
            continue
        label_ids = select(target.model.__table__.c.id).where(labels)
        parts.append(hosts.where(table.c[link.label_column].in_(label_ids)))
    if op == "isnull":
        has = or_(*(host_id.in_(p) for p in parts))
        return not_(has) if value else has
    if isinstance(value, str) or (op == "in" and value and all(isinstance(v, str) for v in value)):
        _check_labels_exist(inst, parsed, op, value)
    if not parts:
        return false()
    return or_(*(host_id.in_(p) for p in parts))


def _label_condition(target: Any, op: str, value: Any) -> Any:
    """A condition on the target registry's table, or ``None`` if ``value`` is none of its records."""
    model = target.model
    table = model.__table__
    if is_record(value):
        if not isinstance(value, model):
            return None
        if op != "exact":
            msg = f"Records compare with the lookups exact and in, not {op!r}"
            raise InvalidArgument(msg)
        return table.c.id == value.id
    if is_query_set(value):
        if value.model is not model:
            return None
        return table.c.id.in_(value.id_subquery())
    if op == "in":
        items = _list(value)
        records = [v for v in items if is_record(v)]
        names = [v for v in items if not is_record(v)]
        conditions = []
        if records:
            ids = [r.id for r in records if isinstance(r, model)]
            if ids:
                conditions.append(in_values(table.c.id, ids))
        if names:
            conditions.append(compile_lookup(model, f"{target.field}__in", names))
        return or_(*conditions) if conditions else None
    if op in ("exact", *_ORDERING, *_TEXT_MATCH):
        if not isinstance(value, str):
            msg = (
                f"A categorical feature compares label names (str) or records, got "
                f"{type(value).__name__} {value!r}"
            )
            raise ValidationError(msg)
        return compile_lookup(model, f"{target.field}__{op}", value)
    msg = f"Unsupported lookup {op!r} for a categorical feature"
    raise InvalidArgument(msg)


def _check_labels_exist(inst: Any, parsed: Dtype, op: str, value: Any) -> None:
    """lamindb raises ``DoesNotExist`` when no label matches a name condition."""
    conditions = [c for t in parsed.targets if (c := _label_condition(t, op, value)) is not None]
    if conditions:
        with inst.read_session() as session:
            if session.scalar(select(or_(*(exists().where(c) for c in conditions)))):
                return
    registries = " or ".join(parsed.registries)
    field = parsed.targets[0].field
    lookup = field if op == "exact" else f"{field}__{op}"
    msg = f"Did not find a {registries} matching `{lookup}={value!r}`"
    raise DoesNotExist(msg)


__all__ = ["COMPARATORS", "compile_feature_filters"]
