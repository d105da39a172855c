"""``FeatureManager``: ``artifact.features``, ``run.features``, ``record.features``.

Add, set, get and remove feature values of one record (see the reference's
``lamindb.models.FeatureManager``). Values are checked against their features' dtypes
before anything is written, and each call writes in one transaction.

Schemas join through :data:`SCHEMA_HOOKS`: the registry layer that defines ``Schema``
sets ``validate`` (called by ``add_values``/``set_values`` with a ``schema``) and
``slots`` (what ``features.slots`` returns); until then ``slots`` is empty and a
``schema`` argument is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core._context import active_run
from ..errors import InvalidArgument, ValidationError
from ..orm._records import is_query_set, record_instance
from ._feature_read import FeatureInfo, read_values
from ._feature_values import (
    plan_values,
    remove_feature_values,
    resolve_features,
    write_plan,
)
from ._render import Node, render_tree
from .feature import Feature, FeatureValue, value_hash

if TYPE_CHECKING:
    from ..core._instance import Instance

#: Set by the registry layer that defines ``Schema``:
#: ``validate(host, values: dict, schema) -> None`` raises ``ValidationError`` for values
#: a schema refuses; ``slots(host) -> dict[str, Schema]`` gives a record's schemas by slot;
#: ``internal(host) -> set[int]`` the ids of features that come from those schemas
#: (``get_values(external_only=True)`` leaves them out).
SCHEMA_HOOKS: dict[str, Callable[..., Any] | None] = {
    "validate": None,
    "slots": None,
    "internal": None,
}


def set_schema_hooks(
    *,
    validate: Callable[..., Any] | None = None,
    slots: Callable[..., Any] | None = None,
    internal: Callable[..., Any] | None = None,
) -> None:
    """Name the functions through which schemas take part (see :data:`SCHEMA_HOOKS`)."""
    for name, function in (("validate", validate), ("slots", slots), ("internal", internal)):
        if function is not None:
            SCHEMA_HOOKS[name] = function


def _host_ready(host: Any) -> Instance:
    if host.id is None:
        msg = f"Save the {type(host).__name__} before annotating it with features."
        raise InvalidArgument(msg)
    inst = host._check_writable()
    return inst  # type: ignore[no-any-return]


class FeatureManager:
    """The feature values of an artifact, run or record.

    Examples:
        >>> import lamin_pipes as ln
        >>> _ = ln.Feature(name="temperature", dtype=float).save()
        >>> _ = ln.Feature(name="tissue", dtype=ln.ULabel).save()
        >>> _ = ln.ULabel(name="lung").save()
        >>> run = ln.Run(ln.Transform(key="features-example").save()).save()
        >>> run.features.add_values({"temperature": 37.5, "tissue": "lung"})
        >>> run.features.get_values()
        {'temperature': 37.5, 'tissue': 'lung'}
        >>> run.features["tissue"].to_list("name")
        ['lung']
    """

    def __init__(self, host: Any) -> None:
        self._host = host

    def __repr__(self) -> str:
        return self.describe(return_str=True) or ""

    # --- reading --------------------------------------------------------------------

    def _read(self, feature_ids: list[int] | None = None, *, with_labels: bool = False) -> Any:
        host = self._host
        if host.id is None:
            return None
        inst = record_instance(host)
        return read_values(
            inst, type(host), [host.id], feature_ids=feature_ids, with_labels=with_labels
        )

    def get_values(self, external_only: bool = False) -> dict[str, Any]:
        """The feature values as a dictionary ``{feature name: value}``.

        Several values of a feature come as a set; labels as their names.

        Args:
            external_only: Leave out the features of the record's schemas (slots).
        """
        read = self._read()
        if read is None:
            return {}
        internal: set[int] = set()
        hook = SCHEMA_HOOKS["internal"]
        if external_only and hook is not None:
            internal = set(hook(self._host))
        host_id = self._host.id
        out = {
            info.name: read.value(host_id, fid)
            for fid, info in read.features.items()
            if host_id in read.columns[fid] and fid not in internal
        }
        return dict(sorted(out.items()))

    def __getitem__(self, feature: str | Feature) -> Any:
        """The values of one feature: label records (a query set) or the value(s).

        Raises:
            ValidationError: If no feature has that name.
        """
        host = self._host
        inst = record_instance(host)
        with inst.read_session() as session:
            found, missing = resolve_features(inst, session, [feature])
        if missing:
            msg = f"Feature with name {feature!r} not found"
            raise ValidationError(msg)
        row = found[feature]
        read = self._read([row.id], with_labels=True)
        info = FeatureInfo(row.id, row.uid, row.name, row.dtype or "str")
        if info.parsed.is_cat:
            labels = read.labels.get(host.id, {}).get(row.id, []) if read is not None else []
            by_registry: dict[str, list[int]] = {}
            for registry, label_id in labels:
                by_registry.setdefault(registry, []).append(label_id)
            registries = info.parsed.registries
            if len(registries) == 1 or len(by_registry) <= 1:
                registry = next(iter(by_registry), registries[0])
                model = next(t.model for t in info.parsed.targets if t.registry == registry)
                return model.filter(id__in=by_registry.get(registry, []))
            from ..orm.sqlrecord_list import SQLRecordList

            records: list[Any] = []
            for target in info.parsed.targets:
                ids = by_registry.get(target.registry, [])
                if ids:
                    records.extend(target.model.filter(id__in=ids).order_by("id"))
            return SQLRecordList(records)
        items = read.items(host.id, row.id) if read is not None else []
        if not items:
            return None
        return items[0] if len(items) == 1 else items

    @property
    def slots(self) -> dict[str, Any]:
        """The record's schemas by slot (``{"obs": <Schema>, "var.T": <Schema>}``)."""
        hook = SCHEMA_HOOKS["slots"]
        if hook is None or self._host.id is None:
            return {}
        return hook(self._host)  # type: ignore[no-any-return]

    def describe(self, return_str: bool = False) -> str | None:
        """The features and their values as a tree (what ``describe()`` shows).

        Examples:
            >>> import lamin_pipes as ln
            >>> _ = ln.Feature(name="n_cells", dtype=int).save()
            >>> run = ln.Run(ln.Transform(key="describe-features").save()).save()
            >>> run.features.add_values({"n_cells": 1200})
            >>> print(run.features.describe(return_str=True))  # doctest: +ELLIPSIS
            Run: ...
            └── Features
                └── n_cells  int  1200
        """
        from ._describe_features import features_section

        host = self._host
        title = f"{type(host).__name__}: {host.__dict__.get('key') or host.__dict__.get('name') or host.uid}"
        tree = Node(title)
        section = features_section(host)
        if section is not None:
            tree.children.append(section.node())
        text = render_tree(tree)
        if return_str:
            return text
        print(text)
        return None

    # --- writing --------------------------------------------------------------------

    def add_values(
        self,
        values: dict[str | Feature, Any],
        feature_field: Any = None,
        schema: Any = None,
    ) -> None:
        """Add values for features; ``None`` values are skipped.

        Args:
            values: ``{feature name (or Feature): value}``. Values are numbers, strings,
                booleans, dates, dicts, lists, label names or label records.
            feature_field: The Feature field that the keys name (``Feature.name``,
                the default, or ``Feature.uid``).
            schema: A schema to validate the values against.

        Raises:
            ValidationError: Unknown features, values of the wrong type, labels that
                their registry lacks; nothing is written then.
        """
        self._write(values, feature_field, schema, replace=False)

    def set_values(
        self,
        values: dict[str | Feature, Any],
        feature_field: Any = None,
        schema: Any = None,
    ) -> None:
        """Like :meth:`add_values`, but first removes all existing feature values."""
        self._write(values, feature_field, schema, replace=True)

    def _write(self, values: Any, feature_field: Any, schema: Any, *, replace: bool) -> None:
        if not isinstance(values, dict):
            msg = (
                f"add_values() takes a dict of feature names to values, got {type(values).__name__}"
            )
            raise InvalidArgument(msg)
        host = self._host
        inst = _host_ready(host)
        if schema is not None:
            validate = SCHEMA_HOOKS["validate"]
            if validate is None:
                msg = (
                    "add_values(schema=...) needs schemas (ln.Schema), which are not available yet."
                )
                raise InvalidArgument(msg)
            validate(host, values, schema)
        # The current run is named before the transaction: an orchestrator's run provider
        # may create its run on first use, which must not wait on this transaction's
        # SQLite write lock.
        active_run()
        with inst.session() as session:
            plan = plan_values(inst, session, values, feature_field)
            if replace:
                remove_feature_values(session, host, None)
            write_plan(inst, session, host, plan)

    def remove_values(
        self,
        feature: str | Feature | list[str | Feature] | None = None,
        *,
        value: Any = None,
    ) -> None:
        """Remove the values of a feature (several, or all with ``None``).

        Args:
            feature: A feature (name or record), a list of them, or ``None`` for all.
            value: Remove only this value (a label name, label record or JSON value).

        Raises:
            ValidationError: If a feature name is unknown.
        """
        host = self._host
        inst = _host_ready(host)
        with inst.session() as session:
            feature_ids: list[int] | None = None
            rows = []
            if feature is not None:
                keys = feature if isinstance(feature, list) else [feature]
                found, missing = resolve_features(inst, session, keys)
                if missing:
                    msg = f"Feature with name {missing[0]!r} not found"
                    raise ValidationError(msg)
                rows = [found[k] for k in keys]
                feature_ids = [r.id for r in rows]
            if value is None:
                # Only the link tables these features can have values in (fewer deletes).
                kinds = {None if r.dtype is None else r.parsed.is_cat for r in rows}
                remove_feature_values(
                    session,
                    host,
                    feature_ids,
                    json=not rows or kinds != {True},
                    labels=not rows or kinds != {False},
                )
                return
            if not rows:
                msg = "remove_values(value=...) needs the feature the value belongs to."
                raise InvalidArgument(msg)
            self._remove_value(session, rows, value)

    def _remove_value(self, session: Any, rows: list[Any], value: Any) -> None:
        from ._feature_values import check_value

        host = self._host
        values = FeatureValue.__table__  # type: ignore[attr-defined]
        for row in rows:
            info = FeatureInfo(row.id, row.uid, row.name, row.dtype or "str")
            parsed = info.parsed
            if not parsed.is_cat:
                stored = check_value(row, value)
                from sqlalchemy import select

                ids = list(
                    session.scalars(
                        select(values.c.id).where(
                            values.c.feature_id == row.id, values.c.hash == value_hash(stored)
                        )
                    )
                )
                remove_feature_values(session, host, [row.id], json_value_ids_=ids)
                continue
            items = list(value) if is_query_set(value) or isinstance(value, list) else [value]
            label_ids: dict[str, list[int]] = {}
            for item in items:
                if isinstance(item, str):
                    for target in parsed.targets:
                        found = target.model.filter(**{target.field: item}).to_list("id")
                        label_ids.setdefault(target.registry, []).extend(found)
                else:
                    label_ids.setdefault(type(item).__name__, []).append(item.id)
            remove_feature_values(session, host, [row.id], label_ids=label_ids)


__all__ = ["SCHEMA_HOOKS", "FeatureManager", "set_schema_hooks"]
