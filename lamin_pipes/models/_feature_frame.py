"""Feature columns of ``to_dataframe(features=...)`` / ``to_dataframe(include="features")``.

One column per feature, named after it; a record without a value has ``None`` (NaN in
numeric columns), several values of a categorical feature come as a set (see
:func:`~lamin_pipes.models._feature_read.collapse`). The values of all rows are read
with a fixed number of queries (:func:`~lamin_pipes.models._feature_read.read_values`).
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import select

from ..errors import ValidationError
from ..orm._extensions import implements
from ._feature_read import Many, collapse, read_values
from .feature import Feature


def _feature_ids(inst: Any, session: Any, names: list[str]) -> list[int]:
    table = Feature.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(table.c.id, table.c.name)
        .where(table.c.name.in_(names), table.c.branch_id == 1, table.c.is_type.is_(False))
        .order_by(table.c.id)
    ).all()
    by_name: dict[str, int] = {}
    for fid, name in rows:
        by_name.setdefault(name, fid)
    missing = [n for n in names if n not in by_name]
    if missing:
        known = list(session.scalars(select(table.c.name).where(table.c.branch_id == 1)))
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, known, n=3)
            if close:
                hints.append(f"{name!r}: did you mean {', '.join(map(repr, close))}?")
        msg = f"Features not found: {', '.join(map(repr, missing))}." + (
            " " + " ".join(hints) if hints else ""
        )
        raise ValidationError(msg)
    return [by_name[n] for n in names]


@implements("feature_columns")
def feature_columns(qs: Any, ids: list[int], features: Any) -> dict[str, list[Any]]:
    """``{feature name: values in the order of ids}`` for the rows ``ids`` of ``qs``.

    Args:
        qs: The query set being converted.
        ids: The ids of its rows, in frame order.
        features: ``True`` (every feature with values in these rows), a feature name,
            a list of names, or ``"queryset"`` (the features ``qs`` filters by; all
            when it filters by none).
    """
    inst = qs.instance
    model = qs.model
    if features is True:
        wanted: list[int] | None = None
    elif features == "queryset":
        wanted = list(qs._features_used) or None
    else:
        names = [features] if isinstance(features, str) else list(features)
        with inst.read_session() as session:
            wanted = _feature_ids(inst, session, names)
    read = read_values(inst, model, ids, feature_ids=wanted)
    order = wanted if wanted is not None else list(read.features)
    columns: dict[str, list[Any]] = {}
    for fid in order:
        info = read.features.get(fid)
        if info is None:
            continue
        found = read.columns[fid]
        get = found.get
        column = [get(host) for host in ids]
        if any(type(v) is Many for v in found.values()):
            column = [v if type(v) is not Many else collapse(info, v) for v in column]
        columns[info.name] = column
    return columns


__all__ = ["feature_columns"]
