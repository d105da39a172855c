"""The Features and Labels sections of ``describe()``.

``Features`` lists each feature with values: name, dtype (categoricals as their
registry, ``ULabel[Perturbation]`` for a type) and values; ``Labels`` lists the labels
linked to an artifact or collection by accessor (``.ulabels``, ``.records``, …), with or
without a feature. Each section reads with a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..orm._records import record_instance
from ._annotation_links import LABEL_ACCESSORS, label_links, value_link
from ._describe import ARTIFACT_SECTIONS, COLLECTION_SECTIONS, RECORD_SECTIONS, Section
from ._dtypes import parse_dtype
from ._feature_read import read_values

#: At most this many values per line.
_SHOWN = 10


def display_dtype(dtype: str, type_names: dict[str, str] | None = None) -> str:
    """A dtype as ``describe()`` shows it: categoricals by their registry.

    Examples:
        >>> display_dtype("cat[ULabel]"), display_dtype("list[cat[Record|ULabel]]")
        ('ULabel', 'list[Record|ULabel]')
        >>> display_dtype("cat[ULabel[abc]]", {"abc": "Perturbation"})
        'ULabel[Perturbation]'
        >>> display_dtype("int")
        'int'
    """
    parsed = parse_dtype(dtype)
    if not parsed.is_cat:
        return parsed.text
    names = type_names or {}
    parts = []
    for target in parsed.targets:
        text = target.registry
        if target.type_uid is not None:
            text += f"[{names.get(target.type_uid, target.type_uid)}]"
        parts.append(text)
    inner = "|".join(parts)
    return f"list[{inner}]" if parsed.is_list else inner


def _format(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=str)
        shown = ", ".join(_format(v) for v in items[:_SHOWN])
        return shown + (", ..." if len(items) > _SHOWN else "")
    if isinstance(value, list):
        return (
            "["
            + ", ".join(_format(v) for v in value[:_SHOWN])
            + (", ...]" if len(value) > _SHOWN else "]")
        )
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _table_rows(rows: list[tuple[str, str, str]]) -> list[str]:
    first = max((len(r[0]) for r in rows), default=0)
    second = max((len(r[1]) for r in rows), default=0)
    return [f"{a:<{first}}  {b:<{second}}  {c}".rstrip() for a, b, c in rows]


def _type_names(dtypes: list[str]) -> dict[str, str]:
    """The names of the types that typed categoricals name by uid (one query per registry)."""
    uids: dict[Any, list[str]] = {}
    for dtype in dtypes:
        for target in parse_dtype(dtype).targets:
            if target.type_uid is not None:
                uids.setdefault(target.model, []).append(target.type_uid)
    names: dict[str, str] = {}
    for model, wanted in uids.items():
        for uid, name in model.filter(uid__in=wanted).values_list("uid", "name"):
            names[uid] = name
    return names


def features_section(host: Any) -> Section | None:
    """Each feature with values: name, dtype, values (``None`` when there are none)."""
    if host.id is None or (value_link(host) is None and not label_links(host)):
        return None
    inst = record_instance(host)
    read = read_values(inst, type(host), [host.id])
    infos = [info for fid, info in read.features.items() if host.id in read.columns[fid]]
    if not infos:
        return None
    names = _type_names([info.dtype for info in infos])
    rows = [
        (info.name, display_dtype(info.dtype, names), _format(read.value(host.id, info.id)))
        for info in sorted(infos, key=lambda i: i.name)
    ]
    return Section("Features", list(_table_rows(rows)))


def labels_section(host: Any) -> Section | None:
    """The labels linked to an artifact or collection, by accessor."""
    if host.id is None or type(host) not in LABEL_ACCESSORS:
        return None
    inst = record_instance(host)
    rows = []
    with inst.read_session() as session:
        for link in label_links(host):
            registry = link.registry
            target = registry.__table__
            name_field = registry._meta.name_field
            stmt = (
                select(target.c[name_field])
                .select_from(
                    link.table.join(target, target.c.id == link.table.c[link.label_column])
                )
                .where(link.table.c[link.host_column] == host.id)
                .order_by(link.table.c.id)
            )
            found = list(dict.fromkeys(session.scalars(stmt)))
            if found:
                shown = ", ".join(str(n) for n in found[:_SHOWN])
                if len(found) > _SHOWN:
                    shown += ", ..."
                rows.append((f".{link.accessor}", registry.__name__, shown))
    if not rows:
        return None
    return Section("Labels", list(_table_rows(rows)))


def _artifact_features(host: Any) -> Section | None:
    return features_section(host)


def _record_features(host: Any) -> Section | None:
    if value_link(host) is None or type(host) not in LABEL_ACCESSORS:
        return None
    return features_section(host)


def install() -> None:
    """Add the sections to the descriptions of artifacts, collections, runs and records."""
    if labels_section not in ARTIFACT_SECTIONS:
        ARTIFACT_SECTIONS.extend([_artifact_features, labels_section])
        COLLECTION_SECTIONS.append(labels_section)
        RECORD_SECTIONS.append(_record_features)


__all__ = ["display_dtype", "features_section", "install", "labels_section"]
