"""``QueryManager``: the accessor of many-to-many and reverse relations.

``record.parents``, ``user.created_records`` and the like return a manager bound to
the record; it queries the related records and adds or removes links.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import attributes

from ..errors import FieldValidationError, InvalidArgument
from ._options import MANY_TO_MANY, REVERSE_FK, REVERSE_M2M, FieldInfo
from ._records import record_instance, table_of
from .query_set import BasicQuerySet, QuerySet

if TYPE_CHECKING:
    import pandas as pd

    from .query_set import QuerySet


class QueryManager:
    """Manage the records linked to one record through a relation.

    Examples:
        >>> import lamin_pipes as ln
        >>> labels = ln.Record.from_values(["Label1", "Label2", "Label3"], create=True).save()
        >>> label1 = ln.Record.get(name="Label1")
        >>> label1.parents.set(ln.Record.filter(name__in=["Label2", "Label3"]))
        >>> sorted(label1.parents.to_list("name"))
        ['Label2', 'Label3']
    """

    def __init__(self, owner: Any, info: FieldInfo) -> None:
        self.owner = owner
        self.info = info
        self.model = info.related_model

    def _owner_id(self) -> Any:
        if self.owner.id is None:
            msg = (
                f"Save the {type(self.owner).__name__} before using its "
                f"'{self.info.name}' relation."
            )
            raise InvalidArgument(msg)
        return self.owner.id

    def _instance(self) -> Any:
        return record_instance(self.owner)

    def get_queryset(self) -> QuerySet[Any]:
        """The related records as a query set (trash hidden, like every query)."""
        info = self.info
        owner_id = self._owner_id()
        table = self.model.__table__  # type: ignore[attr-defined]
        if info.kind == REVERSE_FK:
            clause = table.c[info.source_column] == owner_id
        else:
            link = info.link_table
            assert link is not None
            ids = select(link.c[info.target_column]).where(link.c[info.source_column] == owner_id)
            clause = table.c.id.in_(ids)
        qs: QuerySet[Any] = QuerySet(self.model, instance=self._instance())
        return qs._where_clause(clause)  # type: ignore[return-value]

    def all(self) -> QuerySet[Any]:
        """All related records."""
        return self.get_queryset()

    def filter(self, *queries: Any, **expressions: Any) -> QuerySet[Any]:
        """Related records matching the lookups."""
        return self.get_queryset().filter(*queries, **expressions)

    def exclude(self, *queries: Any, **expressions: Any) -> QuerySet[Any]:
        return self.get_queryset().exclude(*queries, **expressions)  # type: ignore[return-value]

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.get_queryset().get(*args, **kwargs)

    def _prefetched(self) -> list[Any] | None:
        return self.owner.__dict__.get(f"_lp_prefetch_{self.info.name}")  # type: ignore[no-any-return]

    def to_list(self, field: str | None = None) -> list[Any]:
        """The related records (or one field of them) as a list."""
        cached = self._prefetched()
        if cached is not None:
            return list(cached) if field is None else [getattr(r, field) for r in cached]
        return self.get_queryset().to_list(field)

    def to_dataframe(self, **kwargs: Any) -> pd.DataFrame:
        """The related records as a DataFrame (see ``QuerySet.to_dataframe``)."""
        return self.get_queryset().to_dataframe(**kwargs)

    def df(self, **kwargs: Any) -> pd.DataFrame:
        return self.to_dataframe(**kwargs)

    def search(self, string: str, **kwargs: Any) -> QuerySet[Any]:
        """Search among the related records."""
        return self.get_queryset().search(string, **kwargs)

    def lookup(self, field: Any = None, **kwargs: Any) -> Any:
        """Auto-complete object over the related records."""
        return self.get_queryset().lookup(field, **kwargs)

    def count(self) -> int:
        cached = self._prefetched()
        return len(cached) if cached is not None else self.get_queryset().count()

    def exists(self) -> bool:
        return self.count() > 0 if self._prefetched() is not None else self.get_queryset().exists()

    def first(self) -> Any:
        return self.get_queryset().first()

    def last(self) -> Any:
        return self.get_queryset().last()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.to_list())

    def __len__(self) -> int:
        return self.count()

    def __repr__(self) -> str:
        return f"<QueryManager {type(self.owner).__name__}.{self.info.name}>"

    # --- writes ---------------------------------------------------------------------

    def _targets(self, records: Iterable[Any]) -> list[Any]:
        out: list[Any] = []
        for item in records:
            if isinstance(item, (BasicQuerySet, list, tuple, set)):
                out.extend(self._targets(item))
                continue
            if not isinstance(item, self.model):
                msg = f"'{self.info.name}' takes {self.model.__name__} records, got {item!r}"
                raise FieldValidationError(msg)
            if item.id is None:
                msg = f"Save {item!r} before adding it to '{self.info.name}'."
                raise InvalidArgument(msg)
            out.append(item)
        return out

    def add(self, *records: Any) -> None:
        """Link records (already linked ones are skipped)."""
        owner_id = self._owner_id()
        targets = self._targets(records)
        if not targets:
            return
        self.owner._check_writable()
        validate = getattr(self.owner, f"_validate_add_{self.info.name}", None)
        if validate is not None:
            validate(targets)
        info = self.info
        inst = self._instance()
        if info.kind == REVERSE_FK:
            table = table_of(self.model)
            with inst.session() as session:
                session.execute(
                    update(table)
                    .where(table.c.id.in_([t.id for t in targets]))
                    .values({info.source_column: owner_id})
                )
            for target in targets:
                attributes.set_committed_value(target, info.source_column, owner_id)
            return
        link = info.link_table
        assert link is not None
        wanted = {t.id for t in targets}
        with inst.atomic() as session:
            existing = set(
                session.scalars(
                    select(link.c[info.target_column]).where(
                        link.c[info.source_column] == owner_id,
                        link.c[info.target_column].in_(wanted),
                    )
                )
            )
            rows = [
                {info.source_column: owner_id, info.target_column: t}
                for t in sorted(wanted - existing)
            ]
            if rows:
                session.execute(insert(link), rows)

    def remove(self, *records: Any) -> None:
        """Unlink records."""
        owner_id = self._owner_id()
        targets = self._targets(records)
        if not targets:
            return
        self.owner._check_writable()
        info = self.info
        inst = self._instance()
        ids = [t.id for t in targets]
        if info.kind == REVERSE_FK:
            self._unset_reverse(ids)
            return
        link = info.link_table
        assert link is not None
        with inst.session() as session:
            session.execute(
                delete(link).where(
                    link.c[info.source_column] == owner_id, link.c[info.target_column].in_(ids)
                )
            )

    def _unset_reverse(self, ids: list[Any] | None) -> None:
        info = self.info
        fk = self.model._meta.fields[info.related_name]  # type: ignore[attr-defined,index]
        if not fk.null:
            msg = (
                f"Cannot remove {self.model.__name__} records from '{info.name}': their "
                f"'{fk.name}' cannot be empty. Delete them or assign another {fk.name}."
            )
            raise InvalidArgument(msg)
        table = table_of(self.model)
        stmt = update(table).where(table.c[info.source_column] == self._owner_id())
        if ids is not None:
            stmt = stmt.where(table.c.id.in_(ids))
        with self._instance().session() as session:
            session.execute(stmt.values({info.source_column: None}))

    def clear(self) -> None:
        """Unlink all records."""
        owner_id = self._owner_id()
        self.owner._check_writable()
        info = self.info
        if info.kind == REVERSE_FK:
            self._unset_reverse(None)
            return
        link = info.link_table
        assert link is not None
        with self._instance().session() as session:
            session.execute(delete(link).where(link.c[info.source_column] == owner_id))

    def set(self, records: Iterable[Any]) -> None:
        """Replace the linked records with ``records``."""
        targets = self._targets([records])
        with self._instance().atomic():
            self.clear()
            self.add(*targets)

    def create(self, **kwargs: Any) -> Any:
        """Create a related record and link it."""
        if self.info.kind == REVERSE_FK:
            kwargs[self.info.related_name] = self.owner  # type: ignore[index]
            return self.model(**kwargs).save()
        record = self.model(**kwargs).save()
        self.add(record)
        return record


__all__ = ["MANY_TO_MANY", "REVERSE_M2M", "QueryManager"]
