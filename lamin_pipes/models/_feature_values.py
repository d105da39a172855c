"""Checking feature values and writing them: the write path of ``features.add_values``.

Everything is checked before anything is written: the keys are looked up as features
(one query), each value is checked against its feature's dtype, and categorical
values are looked up in their registries (one query per registry and type). Problems
are collected and raised together as one :class:`~lamin_pipes.errors.ValidationError`
that names each feature, value and the valid options. Then values are stored and
linked in one transaction with a fixed number of statements: feature values are
de-duplicated by ``(feature, hash)`` and links that exist already are kept.
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select

from ..core._context import active_run
from ..core._settings import settings
from ..core._types import utcnow
from ..errors import InvalidArgument, ValidationError
from ..orm._records import is_query_set, is_record
from ._dtypes import CatTarget, Dtype, check_simple, infer_dtype, is_missing, parse_dtype
from ._prepared import InList, execute_prepared, list_param, run_prepared
from .feature import Feature, FeatureValue, value_hash

if TYPE_CHECKING:
    from ..core._instance import Instance

#: Values of simple dtypes that a categorical feature never takes.
_NOT_LABELS = (int, float, bool, dict)


@dataclass
class FeatureRow:
    """The columns of a feature that checking and writing need (no ORM load)."""

    id: int
    uid: str
    name: str
    dtype: str | None
    type_id: int | None = None

    @property
    def parsed(self) -> Dtype:
        assert self.dtype is not None
        return parse_dtype(self.dtype)


@dataclass
class Plan:
    """What ``add_values`` writes: JSON values and label links, by feature."""

    features: list[FeatureRow] = field(default_factory=list)
    #: (feature id, stored JSON value)
    json: list[tuple[int, Any]] = field(default_factory=list)
    #: label registry name -> [(label id, feature id)]
    labels: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))


_FEATURE_COLUMNS = ("id", "uid", "name", "_dtype_str", "type_id")


def _feature_statement(column: str) -> Any:
    table = Feature.__table__  # type: ignore[attr-defined]
    return (
        select(*(table.c[c] for c in _FEATURE_COLUMNS))
        .where(InList(table.c[column], "keys"), table.c.branch_id == 1, table.c.is_type.is_(False))
        .order_by(table.c.id)
    )


def _feature_rows(inst: Instance, session: Any, column: str, keys: list[Any]) -> list[FeatureRow]:
    params = {"keys": list_param(inst.dialect, keys)}
    if session is None:
        rows = run_prepared(
            inst, ("features-by", column), lambda: _feature_statement(column), params
        )
    else:
        rows = execute_prepared(
            session, ("features-by", column), lambda: _feature_statement(column), params, fetch=True
        )
    return [FeatureRow(*row) for row in rows]


def feature_field_name(feature_field: Any) -> str:
    """The Feature field that names features: ``Feature.name`` (default) or ``"uid"``."""
    if feature_field is None:
        return "name"
    name = feature_field if isinstance(feature_field, str) else getattr(feature_field, "key", None)
    if name not in ("name", "uid"):
        msg = f"feature_field must be Feature.name or Feature.uid, got {feature_field!r}"
        raise InvalidArgument(msg)
    return name


def resolve_features(
    inst: Instance, session: Any, keys: Iterable[Any], feature_field: Any = None
) -> tuple[dict[Any, FeatureRow], list[str]]:
    """The features that ``keys`` (names, uids or Feature records) stand for.

    Returns:
        The features by key, and the keys no feature matches.

    Raises:
        ValidationError: If a name matches several features (pass the Feature object).
    """
    column = feature_field_name(feature_field)
    found: dict[Any, FeatureRow] = {}
    wanted: list[str] = []
    for key in keys:
        if isinstance(key, Feature):
            if key.id is None:
                msg = f"Please save feature {key.name!r} before annotating with it."
                raise ValidationError(msg)
            found[key] = FeatureRow(
                key.id, key.uid, key.name, key._dtype_str, key.__dict__.get("type_id")
            )
        elif isinstance(key, str):
            wanted.append(key)
        else:
            msg = f"Feature-value dictionary keys must be str or Feature, got {type(key).__name__} {key!r}"
            raise TypeError(msg)
    if wanted:
        by_key: dict[str, list[FeatureRow]] = defaultdict(list)
        for row in _feature_rows(inst, session, column, wanted):
            by_key[getattr(row, column)].append(row)
        for key in wanted:
            rows = by_key.get(key, [])
            if len(rows) > 1:
                rows = [r for r in rows if r.type_id is None] or rows
            if len(rows) > 1:
                msg = (
                    f"Several features are named {key!r} (in different feature types); pass "
                    f"the Feature object as the key, e.g. ln.Feature.get(name={key!r}, "
                    "type__name=...)."
                )
                raise ValidationError(msg)
            if rows:
                found[key] = rows[0]
    missing = [k for k in wanted if k not in found]
    return found, missing


def _unknown_keys_message(
    inst: Instance, session: Any, missing: list[str], values: dict[Any, Any]
) -> str:
    table = Feature.__table__  # type: ignore[attr-defined]
    names = list(session.scalars(select(table.c.name).where(table.c.branch_id == 1)))
    lines = [f"These keys could not be validated: {missing}"]
    for key in missing:
        close = difflib.get_close_matches(key, names, n=3)
        if close:
            lines.append(f"  {key!r}: did you mean {', '.join(map(repr, close))}?")
    lines.append("Here is how to create a feature:\n")
    for key in missing:
        dtype = infer_dtype(values[key])
        if dtype == "cat ? str":
            dtype = "str"  # or ln.ULabel, for a few permissible values
        elif dtype == "list[cat ? str]":
            dtype = "list[str]"
        lines.append(f"  ln.Feature(name={key!r}, dtype={dtype!r}).save()")
    return "\n".join(lines)


def _items(value: Any) -> list[Any]:
    """A value as a list of items (query sets, sets and tuples included)."""
    if is_query_set(value):
        return list(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if type(value).__module__.startswith(("numpy", "pandas")) and hasattr(value, "tolist"):
        return list(value.tolist())
    return [value]


def check_value(feature: Any, value: Any) -> Any:
    """``value`` as stored for a non-categorical ``feature`` (raising ``ValidationError``).

    Examples:
        >>> import lamin_pipes as ln
        >>> feature = ln.Feature(name="n_reads", dtype="list[int]")
        >>> check_value(feature, (1, 2))
        [1, 2]
        >>> check_value(feature, [1, "2"])
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.ValidationError: Feature 'n_reads' (list[int]) got [1, '2']: expected int, got str '2'
    """
    parsed = parse_dtype(feature._dtype_str if isinstance(feature, Feature) else feature.dtype)
    try:
        return _check_json(parsed, value)
    except TypeError as error:
        msg = f"Feature {feature.name!r} ({parsed.text}) got {value!r}: {error}"
        raise ValidationError(msg) from None


def _check_json(parsed: Dtype, value: Any) -> Any:
    if parsed.is_list:
        if isinstance(value, (str, dict)) or not isinstance(value, Iterable):
            value = [value]
        return [check_simple(parsed.base, item) for item in _items(value)]
    return check_simple(parsed.base, value)


@dataclass
class _CatRequest:
    """The categorical values of one feature: label names to look up, records given."""

    feature: FeatureRow
    names: list[Any] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)


def plan_values(
    inst: Instance, session: Any, values: dict[Any, Any], feature_field: Any = None
) -> Plan:
    """Check ``values`` and resolve what to write, raising one error for all problems.

    Raises:
        ValidationError: Unknown features (with close matches and how to create them),
            values of the wrong type, categorical values their registry lacks.
    """
    present = {k: v for k, v in values.items() if not is_missing(v)}
    features, missing = resolve_features(inst, session, present, feature_field)
    if missing:
        raise ValidationError(_unknown_keys_message(inst, session, missing, present))
    plan = Plan()
    problems: list[str] = []
    requests: list[_CatRequest] = []
    for key, value in present.items():
        row = features[key]
        plan.features.append(row)
        if row.dtype is None:
            problems.append(f"{row.name!r} is a feature type (is_type=True), not a feature")
            continue
        parsed = row.parsed
        if not parsed.is_cat:
            try:
                plan.json.append((row.id, _check_json(parsed, value)))
            except TypeError as error:
                problems.append(f"{row.name!r} ({parsed.text}) = {value!r}: {error}")
            continue
        request = _CatRequest(row)
        for item in _items(value):
            if is_record(item):
                request.records.append(item)
            elif isinstance(item, str) and not isinstance(item, _NOT_LABELS):
                request.names.append(item)
            else:
                problems.append(
                    f"{row.name!r} ({parsed.text}) = {value!r}: expected label names (str) "
                    f"or {' or '.join(parsed.registries)} records, got "
                    f"{type(item).__name__} {item!r}"
                )
        requests.append(request)
    if problems:
        raise ValidationError(_problems_message(problems))
    for request in requests:
        problems.extend(_resolve_labels(session, request, plan))
    if problems:
        raise ValidationError(_problems_message(problems))
    return plan


def _problems_message(problems: list[str]) -> str:
    head = (
        "Values could not be validated:" if len(problems) > 1 else "Value could not be validated:"
    )
    return head + "\n" + "\n".join(f"  {p}" for p in problems)


def _type_id(session: Any, target: CatTarget) -> int | None:
    model = target.model
    table = model.__table__
    return session.scalar(select(table.c.id).where(table.c.uid == target.type_uid))  # type: ignore[no-any-return]


def _allowed_ids(target: CatTarget, ids: list[int]) -> set[int]:
    """Of ``ids``, those of records below ``target``'s type (all, for untyped targets)."""
    if target.type_uid is None:
        return set(ids)
    type_record = target.model.filter(uid=target.type_uid).one_or_none()
    if type_record is None:
        return set()
    return set(type_record.query_records().filter(id__in=ids).to_list("id"))


def _resolve_labels(session: Any, request: _CatRequest, plan: Plan) -> list[str]:
    row = request.feature
    parsed = row.parsed
    problems = []
    pending = list(dict.fromkeys(request.names))
    for target in parsed.targets:
        if not pending:
            break
        found = _lookup_names(session, target, pending)
        for name in pending:
            if name in found:
                plan.labels[target.registry].append((found[name], row.id))
        pending = [n for n in pending if n not in found]
    if pending:
        problems.append(_not_found_message(row, parsed, pending))
    for record in request.records:
        matching = [t for t in parsed.targets if type(record).__name__ == t.registry]
        if not matching:
            problems.append(
                f"{row.name!r} ({parsed.text}) takes {' or '.join(parsed.registries)} records, "
                f"got {record!r}"
            )
            continue
        target = matching[0]
        if record.id is None:
            problems.append(f"{row.name!r}: save {record._label()} before annotating with it")
            continue
        if record.id not in _allowed_ids(target, [record.id]):
            problems.append(
                f"{row.name!r} ({parsed.text}): {record._label()} is not of the feature's type"
            )
            continue
        plan.labels[target.registry].append((record.id, row.id))
    return problems


def _names_statement(target: CatTarget) -> Any:
    table = target.model.__table__
    column = table.c[target.field]
    return (
        select(column, table.c.id)
        .where(InList(column, "names"), table.c.branch_id == 1)
        .order_by(table.c.id)
    )


def _lookup_names(session: Any, target: CatTarget, names: list[str]) -> dict[str, int]:
    """Label ids by name (first by id where names repeat) within the target's type."""
    dialect = session.get_bind().dialect.name
    rows = execute_prepared(
        session,
        ("label-names", target.registry, target.field),
        lambda: _names_statement(target),
        {"names": list_param(dialect, names)},
        fetch=True,
    )
    if target.type_uid is not None:
        if _type_id(session, target) is None:
            return {}
        allowed = _allowed_ids(target, [r[1] for r in rows])
        rows = [r for r in rows if r[1] in allowed]
    found: dict[str, int] = {}
    for name, label_id in rows:
        found.setdefault(name, label_id)
    return found


def _not_found_message(row: FeatureRow, parsed: Dtype, names: list[str]) -> str:
    registries = " | ".join(t.text() for t in parsed.targets)
    target = parsed.targets[0]
    hints = []
    for name in names[:10]:
        try:
            close = target.model.search(name, field=target.field, limit=3).to_list(target.field)
        except Exception:  # suggestions are best effort
            close = []
        close = [c for c in close if c != name]
        if close:
            hints.append(f"    {name!r}: did you mean {', '.join(map(repr, close))}?")
    shown = ", ".join(map(repr, names[:20])) + (" ..." if len(names) > 20 else "")
    lines = [
        f"{row.name!r} ({parsed.text}): {len(names)} term{'s' if len(names) > 1 else ''} "
        f"not validated in {registries}: {shown}",
        *hints,
        "    → fix typos, remove non-existent values, or create them: "
        f"ln.{target.registry}.from_values({names[:20]!r}, create=True).save()",
    ]
    return "\n".join(lines)


# --- writing ---------------------------------------------------------------------------


_VALUE_COLUMNS = (
    "feature_id",
    "value",
    "hash",
    "branch_id",
    "space_id",
    "created_on_id",
    "is_locked",
    "created_at",
    "created_by_id",
    "run_id",
)


def _dialect_insert(dialect: str, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` of ``dialect``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _insert_values_statement(dialect: str) -> Any:
    table = FeatureValue.__table__  # type: ignore[attr-defined]
    stmt = _dialect_insert(dialect, table).values({c: bindparam(c) for c in _VALUE_COLUMNS})
    return stmt.returning(table.c.id, table.c.feature_id, table.c.hash)


def _values_by_hash_statement() -> Any:
    table = FeatureValue.__table__  # type: ignore[attr-defined]
    return select(table.c.id, table.c.feature_id, table.c.hash).where(
        InList(table.c.hash, "hashes")
    )


def _link_statement(dialect: str, table: Any, columns: tuple[str, ...]) -> Any:
    return _dialect_insert(dialect, table).values({c: bindparam(c) for c in columns})


def json_value_ids(
    inst: Instance, pairs: list[tuple[int, Any]], session: Any = None
) -> tuple[list[int], list[bool]]:
    """The ids of the feature values ``(feature id, value)``, created where missing.

    Returns:
        The ids in the order of ``pairs``, and whether each was created now.
    """
    if session is None:
        with inst.session() as own:
            return json_value_ids(inst, pairs, own)
    dialect = session.get_bind().dialect.name
    keys = [(fid, value_hash(value)) for fid, value in pairs]

    def existing(hashes: list[str]) -> dict[tuple[int, str], int]:
        rows = execute_prepared(
            session,
            ("values-by-hash",),
            _values_by_hash_statement,
            {"hashes": list_param(dialect, hashes)},
            fetch=True,
        )
        return {(fid, h): vid for vid, fid, h in rows}

    found = existing(sorted({h for _, h in keys}))
    created: set[tuple[int, str]] = set()
    missing = [
        (key, value) for key, (_, value) in zip(keys, pairs, strict=True) if key not in found
    ]
    if missing:
        now = utcnow()
        user = settings._user if settings._instance is not None else settings.user
        run = active_run()
        rows, seen = [], set()
        for (fid, h), value in missing:
            if (fid, h) in seen:
                continue
            seen.add((fid, h))
            rows.append(
                {
                    "feature_id": fid,
                    "value": value,
                    "hash": h,
                    "branch_id": 1,
                    "space_id": 1,
                    "created_on_id": 1,
                    "is_locked": False,
                    "created_at": now,
                    "created_by_id": user.id if user is not None else None,
                    "run_id": run.id if run is not None else None,
                }
            )
        returned = execute_prepared(
            session,
            ("values-insert",),
            lambda: _insert_values_statement(dialect),
            rows,
            fetch=True,
        )
        for vid, fid, h in returned:
            found[(fid, h)] = vid
            created.add((fid, h))
        still = [key for key, _ in missing if key not in found]
        if still:  # inserted meanwhile by another writer
            found.update(existing(sorted({h for _, h in still})))
    return [found[k] for k in keys], [k in created for k in keys]


def write_plan(inst: Instance, session: Any, host: Any, plan: Plan) -> None:
    """Store and link what ``plan`` holds for ``host`` (inside the caller's transaction).

    Links that exist already are kept (``ON CONFLICT DO NOTHING``).
    """
    from ._annotation_links import label_link, value_link

    dialect = session.get_bind().dialect.name
    if plan.json:
        link = value_link(host)
        if link is None:
            msg = f"{type(host).__name__} records take categorical feature values only."
            raise ValidationError(msg)
        ids, _ = json_value_ids(inst, plan.json, session)
        value_columns = (link.host_column, link.value_column)
        execute_prepared(
            session,
            ("value-links", link.table.name),
            lambda: _link_statement(dialect, link.table, value_columns),
            [{link.host_column: host.id, link.value_column: vid} for vid in dict.fromkeys(ids)],
        )
    for registry, pairs in plan.labels.items():
        label = label_link(host, registry)
        label_columns = (label.host_column, label.label_column, label.feature_column)
        table = label.table
        execute_prepared(
            session,
            ("label-links", table.name),
            functools.partial(_link_statement, dialect, table, label_columns),
            [
                {label.host_column: host.id, label.label_column: lid, label.feature_column: fid}
                for lid, fid in dict.fromkeys(pairs)
            ],
        )


def insert_ignore(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into a link table, keeping the links that exist already."""
    if rows:
        session.execute(_dialect_insert(session.get_bind().dialect.name, table), rows)


def remove_feature_values(
    session: Any,
    host: Any,
    feature_ids: list[int] | None,
    *,
    json_value_ids_: list[int] | None = None,
    label_ids: dict[str, list[int]] | None = None,
    json: bool = True,
    labels: bool = True,
) -> None:
    """Unlink the values of ``feature_ids`` (all features: ``None``) from ``host``.

    With ``json_value_ids_`` / ``label_ids`` only those values are unlinked;
    ``json=False`` / ``labels=False`` skip the JSON-value or the label link tables (the
    caller knows the features have none there: values of a categorical feature are
    label links, the others JSON values).
    """
    from ._annotation_links import label_links, value_link

    link = value_link(host) if json else None
    if link is not None and (label_ids is None or json_value_ids_ is not None):
        values = FeatureValue.__table__  # type: ignore[attr-defined]
        selected = select(values.c.id)
        if feature_ids is not None:
            selected = selected.where(values.c.feature_id.in_(feature_ids))
        if json_value_ids_ is not None:
            selected = selected.where(values.c.id.in_(json_value_ids_))
        session.execute(
            delete(link.table).where(
                link.table.c[link.host_column] == host.id,
                link.table.c[link.value_column].in_(selected),
            )
        )
    if not labels or (json_value_ids_ is not None and label_ids is None):
        return
    for label in label_links(host):
        table = label.table
        condition = [table.c[label.host_column] == host.id]
        if feature_ids is None:
            condition.append(table.c[label.feature_column].isnot(None))
        else:
            condition.append(table.c[label.feature_column].in_(feature_ids))
        if label_ids is not None:
            ids = label_ids.get(label.registry.__name__)
            if not ids:
                continue
            condition.append(table.c[label.label_column].in_(ids))
        session.execute(delete(table).where(*condition))


__all__ = [
    "FeatureRow",
    "Plan",
    "check_value",
    "json_value_ids",
    "plan_values",
    "remove_feature_values",
    "resolve_features",
    "write_plan",
]
