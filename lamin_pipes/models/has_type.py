"""``HasType``: group records under types (``is_type=True`` records of the same registry)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import FieldValidationError, InvalidArgument

if TYPE_CHECKING:
    from .query_set import QuerySet


class HasType:
    """Mixin for registries whose records can be grouped under a ``type``.

    A type is a record of the same registry with ``is_type=True``; types can be nested.

    Examples:
        >>> import lamin_pipes as ln
        >>> experiment_type = ln.Record(name="Experiment", is_type=True).save()
        >>> experiment1 = ln.Record(name="Experiment 1", type=experiment_type).save()
        >>> experiment1.query_types()[0] == experiment_type
        True
    """

    def _validate_type(self, value: Any) -> None:
        if not value.is_type:
            msg = (
                f"Cannot use {type(value).__name__} {value._ident()} as a type: it has "
                "is_type=False. Create types with is_type=True."
            )
            raise FieldValidationError(msg)
        own_id = getattr(self, "id", None)
        if own_id is None:
            return
        if value.id == own_id or any(t.id == own_id for t in value.query_types()):
            msg = (
                f"Cannot make {type(value).__name__} {value._ident()} the type of "
                f"{self._ident()}: it would create a cycle of types."  # type: ignore[attr-defined]
            )
            raise InvalidArgument(msg)

    def query_types(self) -> list[Any]:
        """The types above this record, from the nearest to the farthest.

        Uses one recursive SQL query.
        """
        from sqlalchemy import literal, select

        model = type(self)
        table = model.__table__  # type: ignore[attr-defined]
        start = getattr(self, "type_id", None)
        if start is None:
            return []
        chain = (
            select(table.c.id, table.c.type_id, literal(1).label("depth"))
            .where(table.c.id == start)
            .cte("type_chain", recursive=True)
        )
        chain = chain.union_all(
            select(table.c.id, table.c.type_id, (chain.c.depth + 1).label("depth"))
            .where(table.c.id == chain.c.type_id, chain.c.depth < 100)
        )
        from .sqlrecord import record_instance

        inst = record_instance(self)
        with inst.session() as session:
            rows = session.execute(select(chain.c.id, chain.c.depth)).all()
            depth = {row[0]: row[1] for row in rows}
            records = list(session.scalars(select(model).where(table.c.id.in_(list(depth)))))
        return sorted(records, key=lambda r: depth[r.id])

    def query_records(self) -> QuerySet[Any]:
        """All records under this type, at any depth (a query set)."""
        from sqlalchemy import select

        model = type(self)
        table = model.__table__  # type: ignore[attr-defined]
        tree = select(table.c.id).where(table.c.type_id == self.id).cte(  # type: ignore[attr-defined]
            "type_tree", recursive=True
        )
        tree = tree.union_all(select(table.c.id).where(table.c.type_id == tree.c.id))
        from .query_set import QuerySet
        from .sqlrecord import record_instance

        qs: QuerySet[Any] = QuerySet(model, instance=record_instance(self))
        return qs._where_clause(table.c.id.in_(select(tree.c.id)))  # type: ignore[return-value]
