"""``HasType``: group records under types (``is_type=True`` records of the same registry).

A type is a record of the same registry with ``is_type=True``; records point to their
type through the ``type`` foreign key, and types can themselves have a type, which
builds a hierarchy::

    Experiment (type)
    ├── Experiment 1
    └── Screen (type)
        └── Screen 1

Rules kept by this mixin:

- only a record with ``is_type=True`` can be a type, whether it is assigned as an
  object (``record.type = t``) or by id (``Record(type_id=t.id)``, checked on save);
- the chain of types never loops back: a type can't be placed under itself or under
  one of the types below it;
- walks up (:meth:`HasType.query_types`) and down (:meth:`HasType.query_records`)
  follow records on the main branch only, as every default query does: a type in
  the trash hides the records below it.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, literal, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import attributes

from ..errors import FieldValidationError, IntegrityError, InvalidArgument, RecordLockedError
from ..orm._records import record_instance
from ..orm.query_set import QuerySet
from ..orm.sqlrecord_list import SQLRecordList

if TYPE_CHECKING:
    from sqlalchemy import CTE

    from ..core._instance import Instance

#: The branch that default queries show.
_MAIN_BRANCH = 1
#: Unique names for recursive CTEs, so that two walks can meet in one statement.
_CTE_NAMES = itertools.count()


def _type_chain(model: Any, start_id: int, *, main_only: bool) -> CTE:
    """A recursive CTE ``(id, depth)`` of ``start_id`` and the types above it.

    ``start_id`` itself has depth 1. The depth bound makes the walk end even if the
    database already holds a loop written by other means.
    """
    table = model.__table__.alias()
    seed = select(table.c.id, table.c.type_id, literal(1).label("depth")).where(
        table.c.id == start_id
    )
    if main_only:
        seed = seed.where(table.c.branch_id == _MAIN_BRANCH)
    chain = seed.cte(f"type_chain_{next(_CTE_NAMES)}", recursive=True)
    parent = model.__table__.alias()
    step = select(parent.c.id, parent.c.type_id, (chain.c.depth + 1).label("depth")).where(
        parent.c.id == chain.c.type_id, chain.c.depth < 10_000
    )
    if main_only:
        step = step.where(parent.c.branch_id == _MAIN_BRANCH)
    return chain.union_all(step)


def _type_tree(model: Any, type_id: int, *, depth: int | None, main_only: bool) -> CTE:
    """A recursive CTE of the ids of records below the type ``type_id``.

    With ``depth=None`` the walk has no depth column and uses ``UNION``, so it ends on
    any graph; with a depth it stops after ``depth`` type hops.
    """
    name = f"type_tree_{next(_CTE_NAMES)}"
    table = model.__table__.alias()
    child = model.__table__.alias()
    if depth is None:
        seed = select(table.c.id).where(table.c.type_id == type_id)
        if main_only:
            seed = seed.where(table.c.branch_id == _MAIN_BRANCH)
        tree = seed.cte(name, recursive=True)
        step = select(child.c.id).where(child.c.type_id == tree.c.id)
        if main_only:
            step = step.where(child.c.branch_id == _MAIN_BRANCH)
        return tree.union(step)
    seed = select(table.c.id, literal(1).label("depth")).where(table.c.type_id == type_id)
    if main_only:
        seed = seed.where(table.c.branch_id == _MAIN_BRANCH)
    tree = seed.cte(name, recursive=True)
    step = select(child.c.id, (tree.c.depth + 1).label("depth")).where(
        child.c.type_id == tree.c.id, tree.c.depth < depth
    )
    if main_only:
        step = step.where(child.c.branch_id == _MAIN_BRANCH)
    return tree.union_all(step)


def _ancestor_ids(model: Any, inst: Instance, start_id: int) -> set[int]:
    """Ids of ``start_id`` and of every type above it, on any branch."""
    chain = _type_chain(model, start_id, main_only=False)
    with inst.session() as session:
        return set(session.scalars(select(chain.c.id)))


def _check_type(record: Any, value: Any) -> None:
    """Refuse ``value`` as the type of ``record`` unless it is a type and makes no loop."""
    if not value.is_type:
        msg = (
            f"Cannot use {value._label()} as the type of {record._label()}: it has "
            f"is_type=False. Only records with is_type=True are types; create one with "
            f"{type(value).__name__}(name=..., is_type=True)."
        )
        raise FieldValidationError(msg)
    inst = record_instance(record)
    if value.id is not None and record_instance(value).db != inst.db:
        msg = (
            f"Cannot use {value._label()} as the type of {record._label()}: it belongs to "
            f"another instance ({record_instance(value).name!r}, not {inst.name!r})."
        )
        raise InvalidArgument(msg)
    own_id = record.__dict__.get("id")
    if own_id is None or value.id is None:
        return  # a record that is not saved yet can't be above any type
    if own_id in _ancestor_ids(type(record), inst, value.id):
        msg = (
            f"Cannot make {value._label()} the type of {record._label()}: "
            f"{value._label()} is {record._label()} itself or lies below it, which would "
            "create a loop of types."
        )
        raise InvalidArgument(msg)


class _QueryBelow:
    """``query_ulabels``, ``query_projects``…: lamindb's name of ``query_records`` per registry.

    lamindb names the walk after the registry (``ULabel.query_ulabels()``,
    ``Project.query_projects()``, ``Record.query_records()``). The alias exists only on
    the registry it names: elsewhere reading it raises ``AttributeError``.
    """

    def __init__(self, registry: str) -> None:
        self.registry = registry

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        if not any(cls.__name__ == self.registry for cls in owner.__mro__):
            msg = f"type object {owner.__name__!r} has no attribute {self.name!r}"
            if obj is not None:
                msg = f"{owner.__name__!r} object has no attribute {self.name!r}"
            raise AttributeError(msg)
        if obj is None:
            return owner.query_records  # type: ignore[attr-defined]
        return obj.query_records


class HasType:
    """Mixin for registries whose records can be grouped under a ``type``.

    A type is a record of the same registry with ``is_type=True``; types can be nested.
    Assigning a record with ``is_type=False`` as a type raises
    :class:`~lamin_pipes.errors.FieldValidationError`; a type that would end up below
    itself raises :class:`~lamin_pipes.errors.InvalidArgument`. Both checks also run
    on save when the type is given by id (``type_id=...``).

    Deleting a type moves the records below it to the trash, too (deleting it
    permanently deletes them permanently); restoring a type does not restore them.

    Examples:
        >>> import lamin_pipes as ln
        >>> experiment_type = ln.Record(name="Experiment", is_type=True).save()
        >>> experiment1 = ln.Record(name="Experiment 1", type=experiment_type).save()
        >>> experiment2 = ln.Record(name="Experiment 2", type=experiment_type).save()
        >>> experiment1.query_types()[0] == experiment_type
        True
        >>> experiment_type.query_records().order_by("name").to_list("name")
        ['Experiment 1', 'Experiment 2']
    """

    if TYPE_CHECKING:  # provided by BaseSQLRecord, which every registry derives from

        def _label(self) -> str: ...

        # lamindb's per-registry names of query_records (see _QueryBelow)
        def query_ulabels(self, depth: int | None = None) -> QuerySet[Any]: ...
        def query_projects(self, depth: int | None = None) -> QuerySet[Any]: ...
        def query_features(self, depth: int | None = None) -> QuerySet[Any]: ...
        def query_schemas(self, depth: int | None = None) -> QuerySet[Any]: ...
        def query_references(self, depth: int | None = None) -> QuerySet[Any]: ...

    else:
        query_ulabels = _QueryBelow("ULabel")
        query_projects = _QueryBelow("Project")
        query_features = _QueryBelow("Feature")
        query_schemas = _QueryBelow("Schema")
        query_references = _QueryBelow("Reference")

    def _validate_type(self, value: Any) -> None:
        """Hook of the ``type`` descriptor: runs when a record is assigned as type."""
        _check_type(self, value)

    def _before_save(self) -> None:
        """Check a type given by id (``type_id=...``) before the record is written."""
        self._check_type_id()

    def _before_delete(self, *, permanent: bool) -> None:
        """Take the records below a type along: to the trash, or for good."""
        if not self.__dict__.get("is_type") or self.__dict__.get("id") is None:
            return
        if permanent:
            delete_type_tree(self)
        else:
            self.query_records().update(branch_id=-1)

    def _check_type_id(self) -> None:
        state = self.__dict__
        type_id = state.get("type_id")
        if type_id is None:
            return
        cached = state.get("_lp_fk_type")
        if cached is not None and cached.id == type_id:
            return  # assigned as an object: checked by _validate_type then
        if (
            state.get("id") is not None
            and not attributes.get_history(self, "type_id").has_changes()
        ):
            return
        value = record_instance(self).get_by_id(type(self), type_id)
        if value is None:
            msg = (
                f"Cannot use type_id={type_id} for {self._label()}: no "
                f"{type(self).__name__} with id {type_id} exists."
            )
            raise FieldValidationError(msg)
        _check_type(self, value)

    def query_types(self) -> SQLRecordList[Any]:
        """The types above this record, from the nearest to the farthest.

        While ``.type`` is the record's type, this method walks up to the type of
        that type and so on, with one recursive SQL query. The walk stops at a type
        that is not on the main branch (e.g. in the trash).

        Returns:
            A :class:`~lamin_pipes.models.SQLRecordList`, empty if the record has no
            type.

        Examples:
            >>> import lamin_pipes as ln
            >>> type1 = ln.ULabel(name="Type1", is_type=True).save()
            >>> type2 = ln.ULabel(name="Type2", is_type=True, type=type1).save()
            >>> type3 = ln.ULabel(name="Type3", is_type=True, type=type2).save()
            >>> label = ln.ULabel(name="ULabel3", type=type3).save()
            >>> [t.name for t in label.query_types()]
            ['Type3', 'Type2', 'Type1']
        """
        model = type(self)
        start = self.__dict__.get("type_id")
        if start is None:
            return SQLRecordList([])
        chain = _type_chain(model, start, main_only=True)
        inst = record_instance(self)
        with inst.session() as session:
            depth: dict[int, int] = {}
            for rid, level in session.execute(select(chain.c.id, chain.c.depth)):
                depth[rid] = min(level, depth.get(rid, level))
            table = model.__table__  # type: ignore[attr-defined]
            records = list(session.scalars(select(model).where(table.c.id.in_(list(depth)))))
        return SQLRecordList(sorted(records, key=lambda r: depth[r.id]))

    def query_records(self, depth: int | None = None) -> QuerySet[Any]:
        """The records below this type: its records, sub-types and their records.

        While ``.records`` (``.ulabels``, ``.projects``) holds the records whose type
        is this one, this method also follows the sub-types, to any depth. The walk
        follows records on the main branch only.

        Args:
            depth: How many type hops to follow; ``None`` walks the whole tree and
                ``1`` gives only the records whose type is this one.

        Returns:
            A lazy :class:`~lamin_pipes.models.QuerySet` of the same registry (one SQL
            query with a recursive CTE when evaluated).

        Raises:
            InvalidArgument: If the record is not saved or ``depth`` is negative.

        Examples:
            >>> import lamin_pipes as ln
            >>> assays = ln.Record(name="Assays", is_type=True).save()
            >>> screens = ln.Record(name="Screens", is_type=True, type=assays).save()
            >>> screen1 = ln.Record(name="Screen 1", type=screens).save()
            >>> sorted(assays.query_records().to_list("name"))
            ['Screen 1', 'Screens']
            >>> assays.query_records(depth=1).to_list("name")
            ['Screens']
        """
        if depth is not None and (
            isinstance(depth, bool) or not isinstance(depth, int) or depth < 0
        ):
            msg = f"depth must be None or a non-negative integer, got {depth!r}"
            raise InvalidArgument(msg)
        own_id = self.__dict__.get("id")
        if own_id is None:
            msg = f"Save {self._label()} before querying the records below it."
            raise InvalidArgument(msg)
        model = type(self)
        qs: QuerySet[Any] = QuerySet(model, instance=record_instance(self))
        if depth == 0:
            return qs.none()  # type: ignore[return-value]
        tree = _type_tree(model, own_id, depth=depth, main_only=True)
        table = model.__table__  # type: ignore[attr-defined]
        return qs._where_clause(table.c.id.in_(select(tree.c.id)))  # type: ignore[return-value]


def _subtree_levels(session: Any, table: Any, type_id: int) -> list[list[int]]:
    """Ids below the type ``type_id`` on any branch, grouped by depth (nearest first)."""
    levels: list[list[int]] = []
    seen: set[int] = set()
    frontier = [type_id]
    while frontier:
        found = session.scalars(select(table.c.id).where(table.c.type_id.in_(frontier)))
        ids = [i for i in found if i not in seen]
        if not ids:
            break
        seen.update(ids)
        levels.append(ids)
        frontier = ids
    return levels


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def delete_type_tree(type_record: Any) -> int:
    """Permanently delete every record below ``type_record``, on any branch.

    Records go deepest level first, so that no row is removed while another still
    points to it as its type (SQLite checks ``ON DELETE RESTRICT`` row by row).
    Everything happens in one transaction; the type itself is left in place.

    Args:
        type_record: A saved record of a ``HasType`` registry.

    Returns:
        The number of records deleted.

    Raises:
        RecordLockedError: If a record below the type is locked (nothing is deleted).
        IntegrityError: If other records still point to one of them (nothing is
            deleted).

    Examples:
        >>> import lamin_pipes as ln
        >>> from lamin_pipes.models.has_type import delete_type_tree
        >>> tissue = ln.ULabel(name="Tissue", is_type=True).save()
        >>> organ = ln.ULabel(name="Organ", is_type=True, type=tissue).save()
        >>> lung = ln.ULabel(name="lung", type=organ).save()
        >>> delete_type_tree(tissue)
        2
        >>> ln.ULabel.objects.filter(name__in=["Organ", "lung"]).count()
        0
    """
    inst = type_record._check_writable()
    table = type(type_record).__table__
    try:
        with inst.atomic() as session:
            levels = _subtree_levels(session, table, type_record.id)
            all_ids = [i for ids in levels for i in ids]
            locked = [
                i
                for chunk in _chunks(all_ids)
                for i in session.scalars(
                    select(table.c.id).where(table.c.id.in_(chunk), table.c.is_locked.is_(True))
                )
            ]
            if locked:
                msg = (
                    f"Cannot delete the records below {type_record._label()}: {len(locked)} "
                    f"of them are locked (ids {sorted(locked)[:10]}); unlock them first."
                )
                raise RecordLockedError(msg)
            for ids in reversed(levels):
                for chunk in _chunks(ids):
                    session.execute(delete(table).where(table.c.id.in_(chunk)))
    except sa_exc.IntegrityError as error:
        msg = (
            f"Cannot delete the records below {type_record._label()}: other records still "
            f"reference them ({error.orig})."
        )
        raise IntegrityError(msg) from None
    return len(all_ids)
