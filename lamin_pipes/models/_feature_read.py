"""Reading feature values of many annotated records at once.

:func:`read_values` answers "which values do these artifacts (runs, records) have" with
a fixed number of queries whatever the number of records: one for the feature values,
one per label registry, one for the features. ``get_values()``, ``describe()`` and
``to_dataframe(features=...)`` all read through it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..orm._query_compiler import in_values
from ._annotation_links import label_links, value_link
from ._dtypes import Dtype, parse_dtype
from .feature import Feature, FeatureValue

if TYPE_CHECKING:
    from ..core._instance import Instance


@dataclass
class FeatureInfo:
    """A feature as read alongside its values."""

    id: int
    uid: str
    name: str
    dtype: str

    @property
    def parsed(self) -> Dtype:
        return parse_dtype(self.dtype)


@dataclass
class FeatureValues:
    """The feature values of several records.

    Attributes:
        features: The features that have values (or were asked for), by id, in id order.
        values: host id -> feature id -> the values in link order (JSON values, or the
            names of labels).
        labels: host id -> feature id -> ``(registry name, label id)`` of each label.
    """

    features: dict[int, FeatureInfo] = field(default_factory=dict)
    values: dict[int, dict[int, list[Any]]] = field(default_factory=dict)
    labels: dict[int, dict[int, list[tuple[str, int]]]] = field(default_factory=dict)

    def of(self, host_id: int) -> dict[int, list[Any]]:
        return self.values.get(host_id, {})


def _host_filter(column: Any, hosts: Any) -> Any:
    if isinstance(hosts, list):
        return in_values(column, hosts)
    return column.in_(hosts)


def read_values(
    inst: Instance,
    session: Any,
    model: Any,
    hosts: list[int] | Any,
    *,
    feature_ids: list[int] | None = None,
    with_labels: bool = False,
) -> FeatureValues:
    """The feature values of the ``model`` records with ids ``hosts`` (a list or a subquery).

    Args:
        inst: The instance.
        session: A session of ``inst``.
        model: The annotated registry (``Artifact``, ``Run``, ``Record``, ``Collection``).
        hosts: Their ids, or a ``SELECT`` of ids.
        feature_ids: Only these features (default: every feature with values).
        with_labels: Also collect the label ids (for ``features["name"]``).
    """
    out = FeatureValues()
    rows: list[tuple[int, int, Any, int]] = []  # host, feature, value, order
    link = value_link(model)
    if link is not None:
        values = FeatureValue.__table__  # type: ignore[attr-defined]
        table = link.table
        stmt = (
            select(table.c[link.host_column], values.c.feature_id, values.c.value)
            .select_from(table.join(values, values.c.id == table.c[link.value_column]))
            .where(_host_filter(table.c[link.host_column], hosts))
            .order_by(table.c.id)
        )
        if feature_ids is not None:
            stmt = stmt.where(values.c.feature_id.in_(feature_ids))
        rows.extend((h, f, v, 0) for h, f, v in session.execute(stmt))
    label_rows: list[tuple[int, int, str, int, str]] = []
    for label in label_links(model):
        table = label.table
        registry = label.registry
        target = registry.__table__
        name_field = registry._meta.name_field
        stmt = (
            select(
                table.c[label.host_column],
                table.c[label.feature_column],
                target.c[name_field],
                target.c.id,
            )
            .select_from(table.join(target, target.c.id == table.c[label.label_column]))
            .where(
                _host_filter(table.c[label.host_column], hosts),
                table.c[label.feature_column].isnot(None),
            )
            .order_by(table.c.id)
        )
        if feature_ids is not None:
            stmt = stmt.where(table.c[label.feature_column].in_(feature_ids))
        label_rows.extend((h, f, n, i, registry.__name__) for h, f, n, i in session.execute(stmt))
    wanted = set(feature_ids or ()) | {r[1] for r in rows} | {r[1] for r in label_rows}
    if not wanted:
        return out
    features = Feature.__table__  # type: ignore[attr-defined]
    stmt = (
        select(features.c.id, features.c.uid, features.c.name, features.c._dtype_str)
        .where(features.c.id.in_(sorted(wanted)))
        .order_by(features.c.id)
    )
    for fid, uid, name, dtype in session.execute(stmt):
        out.features[fid] = FeatureInfo(fid, uid, name, dtype or "str")
    decoders = {fid: _decoder(info.parsed) for fid, info in out.features.items()}
    by_host: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for host, fid, value, _ in rows:
        by_host[host][fid].append(decoders[fid](value))
    labels: dict[int, dict[int, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for host, fid, name, label_id, registry_name in label_rows:
        by_host[host][fid].append(name)
        if with_labels:
            labels[host][fid].append((registry_name, label_id))
    out.values = {h: dict(v) for h, v in by_host.items()}
    out.labels = {h: dict(v) for h, v in labels.items()}
    return out


def _same(value: Any) -> Any:
    return value


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


def _decoder(parsed: Dtype) -> Any:
    base = {"date": _to_date, "datetime": _to_datetime}.get(parsed.base)
    if base is None:
        return _same
    if parsed.is_list:
        return lambda value: [base(v) for v in value] if isinstance(value, list) else value
    return base


def collapse(info: FeatureInfo, items: list[Any]) -> Any:
    """The value of one feature as ``get_values()`` shows it (lamindb's rules).

    One value: the value; several: a set (a list for unhashable values); lists of a
    ``list[...]`` dtype: the list (several lists: joined).

    Examples:
        >>> info = FeatureInfo(1, "u", "f", "int")
        >>> collapse(info, [3]), collapse(info, [3, 4])
        (3, {3, 4})
        >>> collapse(FeatureInfo(1, "u", "f", "list[cat[ULabel]]"), ["a", "b"])
        ['a', 'b']
    """
    parsed = info.parsed
    if parsed.is_list:
        if parsed.is_cat:
            return list(items)
        if len(items) == 1:
            return items[0]
        return [v for item in items for v in (item if isinstance(item, list) else [item])]
    if len(items) == 1:
        return items[0]
    try:
        return set(items)
    except TypeError:
        return list(items)


__all__ = ["FeatureInfo", "FeatureValues", "collapse", "read_values"]
