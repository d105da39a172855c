"""``HasParents``: ontologies built from a ``parents``/``children`` many-to-many relation.

``record.parents`` and ``record.children`` manage the direct links (``add``, ``remove``,
``set``, ``clear``); :meth:`HasParents.query_parents` and
:meth:`HasParents.query_children` follow them to any depth, and
:meth:`HasParents.view_parents` / :meth:`HasParents.view_children` draw them.

The links form a directed acyclic graph: a record can have several parents, but a link
that would make a record its own ancestor is refused with
:class:`~lamin_pipes.errors.InvalidArgument`.

Walks follow records on the main branch only, as every default query does: a record
in the trash hides the records beyond it.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..errors import FieldError, InvalidArgument
from ..orm._options import COLUMN, FOREIGN_KEY
from ..orm._query_compiler import get_field
from ..orm._records import record_instance
from ..orm.query_set import QuerySet
from ._graph import build_graph

if TYPE_CHECKING:
    from sqlalchemy import CTE

    from ..orm.query_set import QuerySet
    from ._graph import Graph

#: The branch that default queries show.
_MAIN_BRANCH = 1
#: Unique names for recursive CTEs, so that two walks can meet in one statement.
_CTE_NAMES = itertools.count()


def field_name(field: Any, model: Any) -> str:
    """The name of a column or foreign key given as a name or a class attribute.

    Args:
        field: ``None`` (the registry's name field), a field name such as ``"name"``,
            or a class attribute such as ``ln.ULabel.name``.
        model: The registry.

    Raises:
        FieldError: If the registry has no such column or foreign key.

    Examples:
        >>> import lamin_pipes as ln
        >>> field_name(ln.ULabel.description, ln.ULabel)
        'description'
        >>> field_name(None, ln.ULabel)
        'name'
    """
    meta = model._meta
    if field is None:
        name = meta.name_field if meta.name_field in meta.fields else "uid"
        return name if name in meta.fields else "id"
    if isinstance(field, str):
        name = field
    else:
        key = getattr(field, "key", None) or getattr(field, "name", None)
        if not isinstance(key, str):
            msg = f"Expected a field name or a class attribute such as {model.__name__}.name, got {field!r}"
            raise FieldError(msg)
        name = key
    info = get_field(model, name)
    if info.kind not in (COLUMN, FOREIGN_KEY):
        msg = (
            f"Cannot label records with '{name}': it holds many values. Pick a column "
            f"such as {', '.join(model._meta.str_fields[:3]) or 'id'}."
        )
        raise FieldError(msg)
    return info.attname or name


def _link_columns(model: Any) -> tuple[Any, Any, Any]:
    """The ``parents`` link table and its (child, parent) columns."""
    info = model._meta.fields["parents"]
    link = info.link_table
    return link, link.c[info.source_column], link.c[info.target_column]


def relatives_cte(model: Any, start_id: int, direction: str, *, main_only: bool) -> CTE:
    """A recursive CTE of the ids of ancestors (``"up"``) or descendants (``"down"``).

    The walk uses ``UNION``, so it ends on any graph, even one holding a loop written
    by other means. With ``main_only``, it follows records on the main branch only.
    """
    _, child_col, parent_col = _link_columns(model)
    here, there = (child_col, parent_col) if direction == "up" else (parent_col, child_col)
    name = f"relatives_{direction}_{next(_CTE_NAMES)}"
    seed = select(there.label("id")).where(here == start_id)
    if main_only:
        table = model.__table__.alias()
        seed = seed.join(table, table.c.id == there).where(table.c.branch_id == _MAIN_BRANCH)
    tree = seed.cte(name, recursive=True)
    step = select(there.label("id")).join(tree, here == tree.c.id)
    if main_only:
        table = model.__table__.alias()
        step = step.join(table, table.c.id == there).where(table.c.branch_id == _MAIN_BRANCH)
    return tree.union(step)


class HasParents:
    """Mixin for hierarchical registries (ontologies): ``parents`` and ``children``.

    Examples:
        >>> import lamin_pipes as ln
        >>> animal = ln.ULabel(name="animal").save()
        >>> mammal = ln.ULabel(name="mammal").save()
        >>> dog = ln.ULabel(name="dog").save()
        >>> mammal.parents.add(animal)
        >>> dog.parents.add(mammal)
        >>> sorted(dog.query_parents().to_list("name"))
        ['animal', 'mammal']
        >>> print(dog.view_parents())
        Parents of ULabel 'dog' (distance ≤ 5):
        dog
        └── mammal
            └── animal
    """

    if TYPE_CHECKING:  # provided by BaseSQLRecord, which every registry derives from

        def _label(self) -> str: ...

    def _own_id(self, action: str) -> int:
        own_id = self.__dict__.get("id")
        if own_id is None:
            msg = f"Save {self._label()} before {action}."
            raise InvalidArgument(msg)
        return own_id  # type: ignore[no-any-return]

    def _relatives_qs(self, direction: str) -> QuerySet[Any]:
        what = "parents" if direction == "up" else "children"
        own_id = self._own_id(f"querying its {what}")
        model = type(self)
        tree = relatives_cte(model, own_id, direction, main_only=True)
        qs: QuerySet[Any] = QuerySet(model, instance=record_instance(self))
        table = model.__table__  # type: ignore[attr-defined]
        return qs._where_clause(table.c.id.in_(select(tree.c.id)))  # type: ignore[return-value]

    def query_parents(self) -> QuerySet[Any]:
        """All ancestors: the parents, their parents and so on, as a query set.

        While ``.parents`` holds the direct parents, this method follows them to any
        depth with one recursive SQL query.

        Examples:
            >>> import lamin_pipes as ln
            >>> cell = ln.Record(name="cell").save()
            >>> t_cell = ln.Record(name="T cell").save()
            >>> cd4 = ln.Record(name="CD4 T cell").save()
            >>> t_cell.parents.add(cell)
            >>> cd4.parents.add(t_cell)
            >>> sorted(cd4.query_parents().to_list("name"))
            ['T cell', 'cell']
        """
        return self._relatives_qs("up")

    def query_children(self) -> QuerySet[Any]:
        """All descendants: the children, their children and so on, as a query set.

        Examples:
            >>> import lamin_pipes as ln
            >>> org = ln.Project(name="org").save()
            >>> team = ln.Project(name="team").save()
            >>> squad = ln.Project(name="squad").save()
            >>> org.children.add(team)
            >>> team.children.add(squad)
            >>> sorted(org.query_children().to_list("name"))
            ['squad', 'team']
        """
        return self._relatives_qs("down")

    def _cycle_members(self, direction: str, targets: list[Any]) -> list[Any]:
        """The targets that are this record or lie ``direction`` of it (any branch)."""
        own_id = self.__dict__.get("id")
        ids = {t.id for t in targets}
        found = {own_id} & ids
        tree = relatives_cte(type(self), own_id, direction, main_only=False)  # type: ignore[arg-type]
        with record_instance(self).session() as session:
            found.update(session.scalars(select(tree.c.id).where(tree.c.id.in_(list(ids)))))
        return [t for t in targets if t.id in found]

    def _refuse_cycle(self, targets: list[Any], relation: str, direction: str) -> None:
        bad = self._cycle_members(direction, targets)
        if not bad:
            return
        target = bad[0]
        if target.id == self.__dict__.get("id"):
            reason = f"a record can't be its own {relation}"
        else:
            where = "below" if direction == "down" else "above"
            reason = f"{target._label()} already lies {where} {self._label()}"
        msg = (
            f"Cannot add {target._label()} as a {relation} of {self._label()}: {reason}, so "
            "the link would create a cycle."
        )
        raise InvalidArgument(msg)

    def _validate_add_parents(self, targets: list[Any]) -> None:
        """Hook of ``record.parents.add``: refuse links that would make a cycle."""
        self._refuse_cycle(targets, "parent", "down")

    def _validate_add_children(self, targets: list[Any]) -> None:
        """Hook of ``record.children.add``: refuse links that would make a cycle."""
        self._refuse_cycle(targets, "child", "up")

    def view_parents(
        self, field: Any = None, with_children: bool = False, distance: int = 5
    ) -> Graph:
        """Show the ancestors (and optionally the descendants) of the record.

        Args:
            field: The field that labels the records: a name (``"name"``) or a class
                attribute (``ln.ULabel.name``); defaults to the name field.
            with_children: Whether to show the descendants, too.
            distance: The largest number of links between the record and a record
                shown (``1``: direct parents only).

        Returns:
            A :class:`~lamin_pipes.models._graph.Graph`: printed as a text tree in a
            terminal, Graphviz source in ``.dot``, and an SVG in notebooks where the
            ``dot`` executable exists.

        Examples:
            >>> import lamin_pipes as ln
            >>> tube = ln.ULabel(name="respiratory tube").save()
            >>> bronchus = ln.ULabel(name="bronchus").save()
            >>> lobar = ln.ULabel(name="lobar bronchus").save()
            >>> bronchus.parents.add(tube)
            >>> lobar.parents.add(bronchus)
            >>> print(bronchus.view_parents(with_children=True, distance=1))
            Parents of ULabel 'bronchus' (distance ≤ 1):
            bronchus
            └── respiratory tube
            <BLANKLINE>
            Children of ULabel 'bronchus' (distance ≤ 1):
            bronchus
            └── lobar bronchus
        """
        return self._view(field, parents=True, children=with_children, distance=distance)

    def view_children(self, field: Any = None, distance: int = 5) -> Graph:
        """Show the descendants of the record (see :meth:`view_parents`).

        Examples:
            >>> import lamin_pipes as ln
            >>> tissue = ln.ULabel(name="tissue").save()
            >>> lung = ln.ULabel(name="lung").save()
            >>> lung.parents.add(tissue)
            >>> print(tissue.view_children(field=ln.ULabel.name))
            Children of ULabel 'tissue' (distance ≤ 5):
            tissue
            └── lung
        """
        return self._view(field, parents=False, children=True, distance=distance)

    def _view(self, field: Any, *, parents: bool, children: bool, distance: int) -> Graph:
        if isinstance(distance, bool) or not isinstance(distance, int) or distance < 0:
            msg = f"distance must be a non-negative integer, got {distance!r}"
            raise InvalidArgument(msg)
        self._own_id("viewing its relatives")
        name = field_name(field, type(self))
        return build_graph(
            self,
            name,
            up=distance if parents else None,
            down=distance if children else None,
        )
