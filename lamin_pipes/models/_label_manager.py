"""``LabelManager``: ``artifact.labels`` and ``collection.labels``.

Labels are records of ``ULabel``, ``Record`` and ``Project`` linked to an artifact or a
collection, optionally as the values of a feature (the link row carries the feature).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from ..errors import InvalidArgument, ValidationError
from ..orm._records import is_query_set, record_instance
from ._annotation_links import LABEL_ACCESSORS, label_link, label_links
from ._dtypes import parse_dtype
from ._feature_values import insert_ignore
from ._render import render_tree
from .feature import Feature


def _records(records: Any) -> list[Any]:
    if is_query_set(records) or isinstance(records, (list, tuple, set)):
        return list(records)
    return [records]


class LabelManager:
    """The labels of an artifact or collection, grouped by feature.

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> artifact1 = ln.Artifact(pd.DataFrame(index=[0, 1]), key="one.parquet").save()
        >>> artifact2 = ln.Artifact(pd.DataFrame(index=[2, 3]), key="two.parquet").save()
        >>> records = ln.Record.from_values(["Label1", "Label2"], create=True).save()
        >>> artifact1.records.set(ln.Record.filter(name__startswith="Label"))
        >>> artifact2.labels.add_from(artifact1)
        >>> sorted(artifact2.records.to_list("name"))
        ['Label1', 'Label2']
    """

    def __init__(self, host: Any) -> None:
        self._host = host

    def __repr__(self) -> str:
        return self.describe(return_str=True) or ""

    def _writable(self) -> Any:
        host = self._host
        if host.id is None:
            msg = f"Save the {type(host).__name__} before adding labels to it."
            raise InvalidArgument(msg)
        return host._check_writable()

    def add(self, records: Any, feature: Feature | None = None) -> None:
        """Link one or several labels, as the values of ``feature`` if given.

        Args:
            records: A label record, a list or a query set of them (``ULabel``,
                ``Record``, ``Project``).
            feature: The categorical feature whose values they are.

        Raises:
            ValidationError: If ``feature`` is not categorical or does not take labels of
                that registry, or a record is no label.
        """
        inst = self._writable()
        items = _records(records)
        host = self._host
        registries = LABEL_ACCESSORS[_host_type(host)]
        by_registry: dict[str, list[int]] = defaultdict(list)
        for record in items:
            name = type(record).__name__
            if name not in registries or not hasattr(record, "_meta"):
                msg = (
                    f"{type(host).__name__} labels are {', '.join(registries)} records, "
                    f"got {record!r}"
                )
                raise ValidationError(msg)
            if record.id is None:
                msg = f"Save {record._label()} before adding it as a label."
                raise InvalidArgument(msg)
            by_registry[name].append(record.id)
        feature_id = None
        if feature is not None:
            if isinstance(feature, str):
                feature = Feature.get(name=feature)
            if feature.id is None:
                msg = f"Save feature {feature.name!r} before adding labels with it."
                raise InvalidArgument(msg)
            dtype = feature._dtype_str
            parsed = parse_dtype(dtype) if dtype else None
            if parsed is None or not parsed.is_cat:
                msg = (
                    f"Feature {feature.name!r} has dtype {dtype!r}, not a categorical one: "
                    "it takes no labels."
                )
                raise ValidationError(msg)
            wrong = [r for r in by_registry if r not in parsed.registries]
            if wrong:
                msg = (
                    f"Feature {feature.name!r} ({dtype}) takes {' or '.join(parsed.registries)} "
                    f"labels, not {', '.join(wrong)}."
                )
                raise ValidationError(msg)
            feature_id = feature.id
        with inst.session() as session:
            for registry, ids in by_registry.items():
                link = label_link(host, registry)
                if feature_id is None:
                    existing = set(
                        session.scalars(
                            select(link.table.c[link.label_column]).where(
                                link.table.c[link.host_column] == host.id,
                                link.table.c[link.label_column].in_(ids),
                            )
                        )
                    )
                    ids = [i for i in ids if i not in existing]
                rows = [
                    {
                        link.host_column: host.id,
                        link.label_column: i,
                        link.feature_column: feature_id,
                    }
                    for i in dict.fromkeys(ids)
                ]
                if rows:
                    insert_ignore(session, link.table, rows)

    def get(self, feature: Feature | str, mute: bool = False, flat_names: bool = False) -> Any:
        """The labels linked as values of ``feature``.

        Returns:
            A query set of labels (a dict of query sets by registry for a feature with
            several registries), or their names with ``flat_names=True``.
        """
        if isinstance(feature, str):
            feature = Feature.get(name=feature)
        assert isinstance(feature, Feature)
        host = self._host
        dtype = feature._dtype_str
        parsed = parse_dtype(dtype) if dtype else None
        if parsed is None or not parsed.is_cat:
            msg = f"Feature {feature.name!r} has dtype {dtype!r}: it has no labels."
            raise ValidationError(msg)
        result: dict[str, Any] = {}
        for target in parsed.targets:
            link = label_link(host, target.registry)
            ids = select(link.table.c[link.label_column]).where(
                link.table.c[link.host_column] == host.id,
                link.table.c[link.feature_column] == feature.id,
            )
            qs = target.model.filter()._where_clause(target.model.__table__.c.id.in_(ids))
            result[target.registry] = qs
        if flat_names:
            names: list[Any] = []
            for target in parsed.targets:
                names.extend(result[target.registry].order_by("id").to_list(target.field))
            return names
        if len(result) == 1:
            return next(iter(result.values()))
        return result

    def add_from(self, data: Any, transfer_logs: dict[str, Any] | None = None) -> None:
        """Link the labels of another artifact or collection here, with their features.

        Labels linked already are kept; the missing links are created.
        """
        del transfer_logs  # lamindb's cross-instance transfer; one instance here
        if _host_type(data) is None:
            msg = f"add_from() takes an artifact or a collection, got {data!r}"
            raise InvalidArgument(msg)
        if data.id is None:
            msg = f"Save the {type(data).__name__} before adding labels from it."
            raise InvalidArgument(msg)
        inst = self._writable()
        if record_instance(data).db != inst.db:
            msg = "add_from() takes an artifact or collection of the same instance."
            raise InvalidArgument(msg)
        host = self._host
        with inst.session() as session:
            for source in label_links(data):
                if source.registry.__name__ not in LABEL_ACCESSORS[_host_type(host)]:
                    continue
                target = label_link(host, source.registry.__name__)
                pairs = session.execute(
                    select(
                        source.table.c[source.label_column], source.table.c[source.feature_column]
                    )
                    .where(source.table.c[source.host_column] == data.id)
                    .order_by(source.table.c.id)
                ).all()
                if not pairs:
                    continue
                existing = set(
                    session.execute(
                        select(
                            target.table.c[target.label_column],
                            target.table.c[target.feature_column],
                        ).where(target.table.c[target.host_column] == host.id)
                    ).all()
                )
                rows = [
                    {
                        target.host_column: host.id,
                        target.label_column: label_id,
                        target.feature_column: feature_id,
                    }
                    for label_id, feature_id in dict.fromkeys(pairs)
                    if (label_id, feature_id) not in existing
                ]
                if rows:
                    insert_ignore(session, target.table, rows)

    def describe(self, return_str: bool = True) -> str | None:
        """The labels as a tree, by accessor (what ``describe()`` shows).

        Examples:
            >>> import lamin_pipes as ln
            >>> artifact = ln.Artifact({"a": 1}, key="labelled.json").save()
            >>> artifact.ulabels.add(ln.ULabel(name="train").save())
            >>> print(artifact.labels.describe())
            Labels
            └── .ulabels  ULabel  train
        """
        from ._describe_features import labels_section

        section = labels_section(self._host)
        text = render_tree(section.node()) if section is not None else "no labels"
        if return_str:
            return text
        print(text)
        return None


def _host_type(host: Any) -> Any:
    for model in LABEL_ACCESSORS:
        if isinstance(host, model):
            return model
    return None


__all__ = ["LabelManager"]
