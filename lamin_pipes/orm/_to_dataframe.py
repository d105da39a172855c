"""``to_dataframe``: one query for the rows, one more per ``include``.

``features=`` (and ``include="features"``) add one column per feature; the registry
layer builds them (the ``feature_columns`` extension point) with a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..errors import FieldError, InvalidArgument
from ._extensions import implementation
from ._options import COLUMN, FOREIGN_KEY
from ._query_compiler import get_field, resolve_multi_path

if TYPE_CHECKING:
    import pandas as pd

    from .query_set import BasicQuerySet


def _columns(model: Any, privates: bool) -> list[str]:
    names = [c.key for c in model.__table__.columns if privates or not c.key.startswith("_")]
    if "uid" in names:
        names.remove("uid")
        names.insert(1, "uid")
    return names


def frame_columns(
    model: Any, includes: list[str], privates: bool = False, *, reduced: bool = False
) -> list[str]:
    """The columns of ``to_dataframe(include=includes)``, ``id`` (the index) first.

    Without ``include``, every field (foreign keys as ids). With it (or ``reduced``, as
    for feature columns), lamindb's frame: ``uid`` and the first field after it (the
    name, key or root), then the included paths in the order given.

    Examples:
        >>> import lamin_pipes as ln
        >>> frame_columns(ln.Record, ["type__name", "description"])
        ['id', 'uid', 'name', 'type__name', 'description']
        >>> frame_columns(ln.Transform, ["created_by__handle"])
        ['id', 'uid', 'key', 'created_by__handle']
    """
    names = _columns(model, privates)
    if not includes and not reduced:
        return names
    names = names[:3]
    return names + [path for path in dict.fromkeys(includes) if path not in names]


def to_dataframe(
    qs: BasicQuerySet[Any],
    *,
    include: str | list[str] | None = None,
    features: bool | str | list[str] | None = None,
    limit: int | None = 100,
    order_by: str | None = "-id",
) -> pd.DataFrame:
    import pandas as pd

    model = qs.model
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        msg = f"to_dataframe() takes limit=None or a non-negative int, got {limit!r}"
        raise InvalidArgument(msg)
    includes = [include] if isinstance(include, str) else list(include or [])
    privates = "privates" in includes
    includes = [i for i in includes if i != "privates"]
    if "features" in includes:
        includes = [i for i in includes if i != "features"]
        features = features or True
    if features is not None and features is not False:
        if not getattr(model, "_filter_by_features", False):
            msg = (
                f"to_dataframe(features=...) is only available for Artifact, Record and Run, "
                f"not {model.__name__}."
            )
            raise InvalidArgument(msg)
        feature_columns = implementation("feature_columns")
    else:
        features = None
    if not qs.ordered and order_by is not None:
        try:
            qs = qs.order_by(order_by)
        except FieldError:
            pass  # documented: an order_by field the registry lacks is ignored
    if limit is not None and qs._limit is None:
        qs = qs[:limit]
    columns = frame_columns(model, includes, privates, reduced=features is not None)
    # included columns of the registry itself come with the rows, the rest one query each
    table_columns = {c.key for c in model.__table__.columns}
    names = [name for name in columns if name in table_columns]
    rows = qs._rows(names)
    if features is not None:
        # the frame is built at once from columns; the feature columns come from one
        # call with a fixed number of queries, whatever the number of rows
        data: dict[str, Any] = {name: [] for name in names}
        if rows:
            data = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
        ids = data["id"]
        for path in columns:
            if path not in table_columns:
                data[path] = _include_values(qs, path, ids)
        data = {path: data[path] for path in columns}
        for name, values in feature_columns(qs, ids, features).items():
            data.setdefault(name, values)
        index = pd.Index(data.pop("id"), name="id")
        return pd.DataFrame(data, index=index)
    # plain tuples: pandas probes each record, and SQLAlchemy Rows make that slow
    df = pd.DataFrame.from_records([tuple(row) for row in rows], columns=names)
    ids = df["id"].tolist()
    for path in columns:
        if path not in table_columns:
            df[path] = _include_values(qs, path, ids)
    return df[columns].set_index("id")


def _include_values(qs: BasicQuerySet[Any], path: str, ids: list[Any]) -> list[Any]:
    model = qs.model
    first = get_field(model, path.split("__")[0])
    if first.kind == COLUMN or (first.kind == FOREIGN_KEY and "__" not in path):
        values = dict(qs._rows(["id", path])) if ids else {}
        return [values.get(i) for i in ids]
    owner_col, value, join = resolve_multi_path(model, path)
    stmt = select(owner_col, value).select_from(join).where(owner_col.in_(ids))
    with qs.instance.read_session() as session:
        pairs = session.execute(stmt).all() if ids else []
    if first.kind == FOREIGN_KEY:
        single: dict[Any, Any] = dict(pairs)
        return [single.get(i) for i in ids]
    grouped: dict[Any, list[Any]] = {i: [] for i in ids}
    for owner, val in pairs:
        if val is not None:
            grouped[owner].append(val)
    return [sorted(set(grouped[i]), key=str) for i in ids]
