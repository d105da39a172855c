"""``HasParents``: ontologies built from a ``parents``/``children`` many-to-many relation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from .query_set import QuerySet


def _field_name(field: Any, model: Any) -> str:
    if field is None:
        return model._meta.name_field  # type: ignore[no-any-return]
    if isinstance(field, str):
        return field
    return str(field.key)  # an InstrumentedAttribute


class HasParents:
    """Mixin for hierarchical registries (ontologies): ``parents`` and ``children``.

    Examples:
        >>> import lamin_pipes as ln
        >>> animal = ln.ULabel(name="animal").save()
        >>> dog = ln.ULabel(name="dog").save()
        >>> dog.parents.add(animal)
        >>> [r.name for r in dog.query_parents()]
        ['animal']
    """

    def _relatives(self, direction: str, distance: int | None = None) -> dict[int, int]:
        """Ids of ancestors (``up``) or descendants (``down``) with their distance."""
        from sqlalchemy import literal, select

        model = type(self)
        link = model._meta.fields["parents"].link_table  # type: ignore[attr-defined]
        info = model._meta.fields["parents"]  # type: ignore[attr-defined]
        child_col, parent_col = link.c[info.source_column], link.c[info.target_column]
        here, there = (child_col, parent_col) if direction == "up" else (parent_col, child_col)
        tree = (
            select(there.label("id"), literal(1).label("depth"))
            .where(here == self.id)  # type: ignore[attr-defined]
            .cte(f"tree_{direction}", recursive=True)
        )
        limit = distance if distance is not None else 1000
        tree = tree.union_all(
            select(there.label("id"), (tree.c.depth + 1).label("depth"))
            .where(here == tree.c.id, tree.c.depth < limit)
        )
        from .sqlrecord import record_instance

        with record_instance(self).session() as session:
            rows = session.execute(select(tree.c.id, tree.c.depth)).all()
        depths: dict[int, int] = {}
        for rid, depth in rows:
            depths[rid] = min(depth, depths.get(rid, depth))
        return depths

    def _query_ids(self, ids: list[int]) -> QuerySet[Any]:
        from .query_set import QuerySet
        from .sqlrecord import record_instance

        model = type(self)
        qs: QuerySet[Any] = QuerySet(model, instance=record_instance(self))
        return qs._where_clause(model.__table__.c.id.in_(ids))  # type: ignore[attr-defined, return-value]

    def query_parents(self) -> QuerySet[Any]:
        """All ancestors of the record (parents, their parents, …) as a query set."""
        return self._query_ids(list(self._relatives("up")))

    def query_children(self) -> QuerySet[Any]:
        """All descendants of the record as a query set."""
        return self._query_ids(list(self._relatives("down")))

    def _validate_add_parents(self, targets: list[Any]) -> None:
        descendants = set(self._relatives("down"))
        for target in targets:
            if target.id == self.id or target.id in descendants:  # type: ignore[attr-defined]
                msg = (
                    f"Cannot add {target!r} as a parent of {self!r}: it is the record itself "
                    "or one of its descendants, which would create a cycle."
                )
                raise InvalidArgument(msg)

    def _validate_add_children(self, targets: list[Any]) -> None:
        ancestors = set(self._relatives("up"))
        for target in targets:
            if target.id == self.id or target.id in ancestors:  # type: ignore[attr-defined]
                msg = (
                    f"Cannot add {target!r} as a child of {self!r}: it is the record itself "
                    "or one of its ancestors, which would create a cycle."
                )
                raise InvalidArgument(msg)

    def view_parents(self, field: Any = None, with_children: bool = False,
                     distance: int = 5) -> Any:
        """Show the ancestors (and optionally children) as a graph.

        Returns a :class:`~lamin_pipes.models._graph.Graph`: printed as a text tree in a
        terminal; ``.dot`` is Graphviz source and ``_repr_svg_`` renders in notebooks
        where the ``dot`` executable exists.
        """
        from ._graph import build_graph

        return build_graph(self, _field_name(field, type(self)), up=distance,
                           down=1 if with_children else 0)

    def view_children(self, field: Any = None, distance: int = 5) -> Any:
        """Show the descendants as a graph (see :meth:`view_parents`)."""
        from ._graph import build_graph

        return build_graph(self, _field_name(field, type(self)), up=0, down=distance)
