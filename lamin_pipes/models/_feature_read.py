"""Reading the feature values of many annotated records at once.

:func:`read_values` answers "which values do these artifacts (runs, records) have" with
three statements whatever the number of records: the feature values, the labels of every
label registry (one ``UNION ALL``) and the features. The statements are compiled once
per purpose and backend and run on a driver connection, as the engine's hottest reads
do; the ids travel as one parameter. ``get_values()``, ``describe()`` and
``to_dataframe(features=...)`` all read through it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ._annotation_links import LABEL_ACCESSORS, label_links, value_link
from ._dtypes import Dtype, parse_dtype
from ._prepared import InList, list_param, run_prepared
from .feature import Feature, FeatureValue

if TYPE_CHECKING:
    from ..core._instance import Instance


class Many(list):  # type: ignore[type-arg]
    """Several values of one feature for one record (one value is kept as is)."""


@dataclass
class FeatureInfo:
    """A feature as read alongside its values."""

    id: int
    uid: str
    name: str
    dtype: str
    parsed: Dtype = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.parsed = parse_dtype(self.dtype)


@dataclass
class FeatureValues:
    """The feature values of several records, by feature.

    Attributes:
        features: The features that have values (or were asked for), by id, in id order.
        columns: feature id -> host id -> the value, or :class:`Many` values in link
            order (JSON values, or label names).
        labels: With ``with_labels``: host id -> feature id -> ``(registry, label id)``.
    """

    features: dict[int, FeatureInfo] = field(default_factory=dict)
    columns: dict[int, dict[int, Any]] = field(default_factory=dict)
    labels: dict[int, dict[int, list[tuple[str, int]]]] = field(default_factory=dict)

    def items(self, host: int, feature_id: int) -> list[Any]:
        """The values of one feature of one record, as a list."""
        found = self.columns.get(feature_id, {}).get(host, _MISSING)
        if found is _MISSING:
            return []
        return list(found) if type(found) is Many else [found]

    def value(self, host: int, feature_id: int) -> Any:
        """The value as ``get_values()`` shows it (see :func:`collapse`); ``None`` if absent."""
        found = self.columns.get(feature_id, {}).get(host, _MISSING)
        if found is _MISSING:
            return None
        return collapse(self.features[feature_id], found)


_MISSING: Any = object()


class _Stored(ColumnElement[Any]):
    """A JSON value as the driver returns it cheapest, decoded by :func:`_decode_all`.

    SQLite stores numbers natively (the column's affinity is numeric) and everything
    else as JSON text; reading the column as it is keeps floats exact (``json_extract``
    would round them to 15 digits). PostgreSQL: ``value #>> '{}'``, the scalar as text
    (strings unquoted); psycopg's decoding of ``jsonb`` costs ten times the query.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = Text()


@compiles(_Stored)
def _compile_stored(element: _Stored, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)  # type: ignore[no-any-return]


@compiles(_Stored, "postgresql")
def _compile_stored_postgresql(element: _Stored, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} #>> '{{}}')"


def host_registry(model: Any) -> Any:
    """The annotated registry of ``model`` (itself, or the registry it derives from)."""
    for host in LABEL_ACCESSORS:
        if issubclass(model, host):
            return host
    return model


def _value_statement(model: Any, by_feature: bool) -> Any:
    link = value_link(model)
    assert link is not None
    values = FeatureValue.__table__  # type: ignore[attr-defined]
    table = link.table
    stmt = (
        select(table.c[link.host_column], values.c.feature_id, _Stored(values.c.value))
        .select_from(table.join(values, values.c.id == table.c[link.value_column]))
        .where(InList(table.c[link.host_column], "ids"))
    )
    if by_feature:
        stmt = stmt.where(InList(values.c.feature_id, "feature_ids"))
    return stmt


def _label_statement(model: Any, by_feature: bool) -> Any:
    parts = []
    for label in label_links(model):
        table = label.table
        target = label.registry.__table__
        name_field = label.registry._meta.name_field
        part = (
            select(
                table.c[label.host_column],
                table.c[label.feature_column],
                target.c[name_field],
                target.c.id,
                literal_column(f"'{label.registry.__name__}'"),
                table.c.id,
            )
            .select_from(table.join(target, target.c.id == table.c[label.label_column]))
            .where(
                InList(table.c[label.host_column], "ids"), table.c[label.feature_column].isnot(None)
            )
        )
        if by_feature:
            part = part.where(InList(table.c[label.feature_column], "feature_ids"))
        parts.append(part)
    return union_all(*parts)


def _feature_statement() -> Any:
    features = Feature.__table__  # type: ignore[attr-defined]
    return select(features.c.id, features.c.uid, features.c.name, features.c._dtype_str).where(
        InList(features.c.id, "feature_ids")
    )


def read_values(
    inst: Instance,
    model: Any,
    hosts: list[int],
    *,
    feature_ids: list[int] | None = None,
    with_labels: bool = False,
) -> FeatureValues:
    """The feature values of the ``model`` records with ids ``hosts``.

    Args:
        inst: The instance.
        model: The annotated registry (``Artifact``, ``Run``, ``Record``, ``Collection``).
        hosts: Their ids.
        feature_ids: Only these features (default: every feature with values).
        with_labels: Also collect the label ids (for ``features["name"]``).
    """
    out = FeatureValues()
    if not hosts:
        return out
    model = host_registry(model)
    by_feature = feature_ids is not None
    params: dict[str, Any] = {"ids": list_param(inst.dialect, hosts)}
    if by_feature:
        params["feature_ids"] = list_param(inst.dialect, feature_ids or [])
    rows: list[Any] = []
    if value_link(model) is not None:
        rows = run_prepared(
            inst,
            ("feature-values", model, by_feature),
            lambda: _value_statement(model, by_feature),
            params,
        )
    label_rows = run_prepared(
        inst,
        ("feature-labels", model, by_feature),
        lambda: _label_statement(model, by_feature),
        params,
    )
    wanted = set(feature_ids or ()) | {r[1] for r in rows} | {r[1] for r in label_rows}
    if not wanted:
        return out
    features = run_prepared(
        inst,
        ("feature-rows",),
        _feature_statement,
        {"feature_ids": list_param(inst.dialect, sorted(wanted))},
    )
    for fid, uid, name, dtype in sorted(features):
        out.features[fid] = FeatureInfo(fid, uid, name, dtype or "str")
    columns: dict[int, dict[int, Any]] = {fid: {} for fid in out.features}
    # values by feature, decoded feature by feature (in bulk where the text allows)
    grouped: dict[int, tuple[list[int], list[Any]]] = {}
    for host, fid, value in rows:
        found = grouped.get(fid)
        if found is None:
            grouped[fid] = ([host], [value])
        else:
            found[0].append(host)
            found[1].append(value)
    for fid, (owners, stored) in grouped.items():
        decoded = _decode_all(out.features[fid].parsed, inst.dialect, stored)
        column = dict(zip(owners, decoded, strict=True))
        if len(column) != len(owners):  # several values for some records
            column = {}
            for host, value in zip(owners, decoded, strict=True):
                _put(column, host, value)
        columns[fid] = column
    if label_rows:
        lists = {fid for fid, info in out.features.items() if info.parsed.is_list}
        if lists or with_labels:  # labels in the order they were linked
            label_rows.sort(key=lambda row: (row[4], row[5]))
        for host, fid, name, label_id, registry, _ in label_rows:
            column = columns[fid]
            if fid in lists and host not in column:
                column[host] = Many((name,))
            else:
                _put(column, host, name)
            if with_labels:
                out.labels.setdefault(host, {}).setdefault(fid, []).append((registry, label_id))
    out.columns = columns
    return out


def _put(column: dict[int, Any], host: int, value: Any) -> None:
    previous = column.get(host, _MISSING)
    if previous is _MISSING:
        column[host] = value
    elif type(previous) is Many:
        previous.append(value)
    else:
        column[host] = Many((previous, value))


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _to_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _decode_all(parsed: Dtype, dialect: str, stored: list[Any]) -> list[Any]:
    """The values of one feature as Python values (see :class:`_Stored`).

    Text that is JSON (all of it on SQLite but numbers; on PostgreSQL numbers, booleans,
    lists and dicts) is parsed in one call, as one JSON array.
    """
    sqlite = dialect != "postgresql"
    plain_text = not sqlite and not parsed.is_list and parsed.base not in _JSON_SCALARS
    if plain_text:  # PostgreSQL strings (and dates) come unquoted
        values = stored
    elif all(type(v) is str for v in stored):
        try:
            values = json.loads("[" + ",".join(stored) + "]")
        except ValueError:  # a value that is no JSON on its own: one by one
            values = [_loads(v) for v in stored]
    else:
        values = [_loads(v) for v in stored]
    convert = {"date": _to_date, "datetime": _to_datetime}.get(parsed.base)
    if convert is not None:
        if parsed.is_list:
            return [[convert(v) for v in item] for item in values]
        return [convert(v) for v in values]
    if parsed.base == "bool" and sqlite:
        return [bool(v) for v in values]
    return list(values)


#: dtypes whose values PostgreSQL's ``#>> '{}'`` gives as JSON text (not strings).
_JSON_SCALARS = ("int", "float", "num", "bool", "dict")


def collapse(info: FeatureInfo, found: Any) -> Any:
    """The value of one feature of one record as ``get_values()`` shows it (lamindb's rules).

    One value: the value; several: a set (a list for unhashable values); a
    ``list[cat[...]]`` feature: the list of label names; several lists: joined.

    Examples:
        >>> info = FeatureInfo(1, "u", "f", "int")
        >>> collapse(info, 3), collapse(info, Many([3, 4]))
        (3, {3, 4})
        >>> collapse(FeatureInfo(1, "u", "f", "list[cat[ULabel]]"), Many(["a", "b"]))
        ['a', 'b']
    """
    if type(found) is not Many:
        return found
    if info.parsed.is_list:
        if info.parsed.is_cat:
            return list(found)
        return [v for item in found for v in (item if isinstance(item, list) else [item])]
    try:
        return set(found)
    except TypeError:
        return list(found)


__all__ = ["FeatureInfo", "FeatureValues", "Many", "collapse", "read_values", "run_prepared"]
