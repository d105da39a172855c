"""Query sets: lazy, chainable queries over one registry.

A query set wraps the parts of a SQLAlchemy ``Select`` (where-clauses, ordering,
limits); nothing runs until it is iterated, counted or converted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy import and_, case, except_, false, func, intersect, not_, select, union, union_all
from sqlalchemy.orm import defer as sa_defer
from sqlalchemy.orm import load_only
from sqlalchemy.sql.elements import UnaryExpression

from ..core._instance import redact_url
from ..core._open import open_instance
from ..core._settings import settings
from ..errors import (
    DoesNotExist,
    FieldError,
    IntegrityError,
    InvalidArgument,
    MultipleResultsFound,
    ReadOnlyInstanceError,
    RecordLockedError,
)
from ._aggregates import Aggregate
from ._dates import from_database, order_values, truncate, truncated
from ._extensions import implementation
from ._feature_keywords import check_field_keywords, split_feature_filters
from ._field_get import fetch_by_field, field_statement
from ._options import FOREIGN_KEY
from ._prefetch import expire_unloaded, fill_foreign_keys, prefetch_many
from ._query_compiler import (
    Q,
    compile_filters,
    get_field,
    resolve_multi_path,
    resolve_path,
    unindexed,
)
from ._query_writes import delete_records, update_records
from ._to_dataframe import to_dataframe
from ._user_tables import ensure_registry_table
from .save import bulk_insert, bulk_update

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sqlalchemy import Select

    from ..core._instance import Instance

T = TypeVar("T")

_BRANCH_KEYS = ("branch", "branch_id")
_ID_KEYS = {"id", "uid", "hash", "id__in", "uid__in", "hash__in", "pk", "uid__startswith"}


def _mentions_branch(keys: Iterable[str]) -> bool:
    return any(k.split("__", 1)[0] in _BRANCH_KEYS for k in keys)


def _all_branches(expressions: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Drop ``branch=None`` / ``branch_id=None``, which lamindb reads as "every branch".

    The column is never NULL, so the lookup would match nothing; lamindb instead skips
    its default main-branch condition. Returns the other lookups and whether one was
    dropped.
    """
    dropped = [k for k in _BRANCH_KEYS if k in expressions and expressions[k] is None]
    if not dropped:
        return expressions, False
    return {k: v for k, v in expressions.items() if k not in dropped}, True


def _async(name: str) -> Callable[..., Any]:
    async def method(self: BasicQuerySet[Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self, name), *args, **kwargs)

    method.__name__ = f"a{name}"
    method.__doc__ = f"Async twin of :meth:`{name}` (runs it in a worker thread)."
    return method


_MIXED: dict[tuple[type, type], type] = {}


def _with_mixin(cls: type, mixin: type) -> type:
    """``cls`` extended by ``mixin`` (one class per pair, created on first use)."""
    found = _MIXED.get((cls, mixin))
    if found is None:
        name = f"{mixin.__name__.removesuffix('Set')}{cls.__name__}"
        found = type(name, (mixin, cls), {"__module__": cls.__module__})
        _MIXED[(cls, mixin)] = found
    return found


class BasicQuerySet(Generic[T]):
    """Records of one registry matching a query.

    Any filter statement produces a query set::

        queryset = Registry.filter(name__startswith="keyword")

    Examples:
        >>> import lamin_pipes as ln
        >>> qs = ln.ULabel.filter(name__startswith="doc")
        >>> qs.count() >= 0
        True
    """

    def __new__(cls, model: Any = None, *args: Any, **kwargs: Any) -> Any:
        # Registries may add methods to their query sets (Artifact adds ArtifactSet's
        # load/open): ``model._queryset_mixin`` is mixed into the requested class.
        mixin = getattr(model, "_queryset_mixin", None)
        if mixin is not None and not issubclass(cls, mixin):
            cls = _with_mixin(cls, mixin)
        return object.__new__(cls)

    def __init__(
        self,
        model: type[T],
        *,
        instance: Instance | None = None,
        include_trash: bool = False,
    ) -> None:
        self.model = model
        self._instance = instance
        self._clauses: list[Any] = []
        self._include_trash = include_trash
        self._branch_given = False
        self._order: list[Any] = []
        self._limit: int | None = None
        self._offset: int | None = None
        self._distinct = False
        self._none = False
        self._load_options: list[Any] = []
        self._select_related: list[str] = []
        self._prefetch: list[str] = []
        self._annotations: dict[str, Any] = {}
        self._cache: list[T] | None = None
        #: Ids of the features that filter() conditions use (to_dataframe(features="queryset")).
        self._features_used: tuple[int, ...] = ()

    # --- construction ---------------------------------------------------------------

    def _clone(self) -> BasicQuerySet[T]:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._clauses = list(self._clauses)
        new._order = list(self._order)
        new._load_options = list(self._load_options)
        new._select_related = list(self._select_related)
        new._prefetch = list(self._prefetch)
        new._annotations = dict(self._annotations)
        new._cache = None
        return new

    @property
    def instance(self) -> Instance:
        """The instance this query set reads from."""
        inst = self._instance
        if inst is None:
            inst = settings.instance
        ensure_registry_table(inst, self.model)
        return inst

    @property
    def db(self) -> str:
        """The database URL this query runs against, its password replaced by ``***``."""
        return redact_url(self.instance.db)

    @property
    def ordered(self) -> bool:
        """Whether the query set has an explicit ordering."""
        return bool(self._order)

    @property
    def query(self) -> Select[Any]:
        """The SQLAlchemy ``Select`` this query set runs."""
        return self._statement()

    def _narrowed(
        self,
        queries: tuple[Any, ...],
        expressions: dict[str, Any],
        *,
        negate: bool,
        compiled: list[Any] | None = None,
    ) -> BasicQuerySet[T]:
        """A copy with the conditions (or their negation) ANDed to the existing ones."""
        if self._limit is not None or self._offset is not None:
            msg = "Cannot filter a query set once it has been sliced."
            raise InvalidArgument(msg)
        expressions, all_branches = _all_branches(expressions)
        clauses = compile_filters(self.model, queries, expressions) + list(compiled or ())
        keys = list(expressions)
        for query in queries:
            if isinstance(query, Q):
                keys.extend(query.flatten_keys())
        new = self._clone()
        if all_branches or _mentions_branch(keys) or _ID_KEYS.intersection(keys):
            new._branch_given = True
        if clauses:
            combined = and_(*clauses) if len(clauses) > 1 else clauses[0]
            new._clauses.append(not_(combined) if negate else combined)
        return new

    def filter(self, *queries: Any, **expressions: Any) -> BasicQuerySet[T]:
        """Return a new query set with the conditions ANDed to the existing ones.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.ULabel.filter(ln.Q(name="a") | ln.Q(name="b")).count() >= 0
            True
        """
        compiled: list[Any] = []
        feature_ids: tuple[int, ...] = ()
        if getattr(self.model, "_filter_by_features", False) and (expressions or queries):
            if self._limit is not None or self._offset is not None:
                msg = "Cannot filter a query set once it has been sliced."
                raise InvalidArgument(msg)
            queries, expressions, compiled, feature_ids = split_feature_filters(
                self.model, lambda: self.instance, queries, expressions
            )
        new = self._narrowed(queries, expressions, negate=False, compiled=compiled)
        if feature_ids:
            new._features_used = tuple(dict.fromkeys(self._features_used + feature_ids))
        return new

    def exclude(self, *queries: Any, **expressions: Any) -> BasicQuerySet[T]:
        """Return a new query set with NOT (conditions) ANDed to the existing ones."""
        return self._narrowed(queries, expressions, negate=True)

    def complex_filter(self, filter_obj: Q | dict[str, Any]) -> BasicQuerySet[T]:
        """Filter with a ``Q`` object or a dictionary of lookups."""
        if isinstance(filter_obj, dict):
            return self.filter(**filter_obj)
        return self.filter(filter_obj)

    def _where_clause(self, clause: Any) -> BasicQuerySet[T]:
        new = self._clone()
        new._clauses.append(clause)
        return new

    def all(self) -> BasicQuerySet[T]:
        """A copy of this query set."""
        return self._clone()

    def none(self) -> BasicQuerySet[T]:
        """An empty query set."""
        new = self._clone()
        new._none = True
        return new

    def order_by(self, *field_names: str) -> BasicQuerySet[T]:
        """Order by field paths; prefix ``-`` for descending (``"-created_at"``)."""
        new = self._clone()
        new._order = [self._order_expr(name) for name in field_names]
        return new

    def _order_expr(self, name: Any) -> Any:
        if not isinstance(name, str):
            return name
        descending = name.startswith("-")
        path = name[1:] if name.startswith(("-", "+")) else name
        if path.startswith(("-", "+")):
            msg = f"Invalid order_by({name!r}): prefix a field with one '-' (descending) at most"
            raise FieldError(msg)
        if path == "?":
            return func.random()
        if path in self._annotations:
            expr = self._annotation_expr(path, self._annotations[path])
        else:
            expr = resolve_path(self.model, path)
        return expr.desc() if descending else expr.asc()

    def reverse(self) -> BasicQuerySet[T]:
        """Reverse the ordering (by default ``id`` descending)."""
        new = self._clone()
        order = new._order or [self.model.__table__.c.id.asc()]  # type: ignore[attr-defined]
        new._order = [_flip(o) for o in order]
        return new

    def distinct(self, *field_names: str) -> BasicQuerySet[T]:
        """Distinct results (rows are never duplicated by relation lookups anyway).

        ``distinct(*fields)`` (Django's PostgreSQL-only ``DISTINCT ON``) is refused
        rather than ignored.
        """
        if field_names:
            msg = (
                f"distinct() takes no field names here, got {field_names!r}: DISTINCT ON is "
                "PostgreSQL-only; use values_list(...) for distinct values"
            )
            raise InvalidArgument(msg)
        new = self._clone()
        new._distinct = True
        return new

    def only(self, *fields: str) -> BasicQuerySet[T]:
        """Load only these fields now; the others load on first access."""
        attrs = [getattr(self.model, get_field(self.model, f).attname) for f in fields]  # type: ignore[arg-type]
        new = self._clone()
        new._load_options.append(load_only(*attrs))
        return new

    def defer(self, *fields: str | None) -> BasicQuerySet[T]:
        """Defer loading these fields until accessed (``defer(None)`` clears)."""
        new = self._clone()
        if fields == (None,):
            new._load_options = []
            return new
        for f in fields:
            attname = get_field(self.model, f).attname  # type: ignore[arg-type]
            new._load_options.append(sa_defer(getattr(self.model, attname)))  # type: ignore[arg-type]
        return new

    def select_related(self, *fields: str | None) -> BasicQuerySet[T]:
        """Load these foreign-key targets together with the records (one query each)."""
        return self._with_loaded("_select_related", fields, "foreign keys", multi=False)

    def prefetch_related(self, *lookups: str | None) -> BasicQuerySet[T]:
        """Load these many-valued relations for all records (one query each)."""
        return self._with_loaded("_prefetch", lookups, "many-valued relations", multi=True)

    def _with_loaded(
        self, attribute: str, names: tuple[str | None, ...], what: str, *, multi: bool
    ) -> BasicQuerySet[T]:
        new = self._clone()
        if names == (None,):  # Django's way of clearing the list
            setattr(new, attribute, [])
            return new
        for name in names:
            info = get_field(self.model, name)  # type: ignore[arg-type]
            if info.is_multi != multi or (not multi and info.kind != FOREIGN_KEY):
                method = "prefetch_related" if multi else "select_related"
                msg = f"{method}() takes {what}; '{name}' is a {info.kind} field."
                raise FieldError(msg)
            getattr(new, attribute).append(info.name)
        return new

    def using(self, alias: Any) -> BasicQuerySet[T]:
        """Run this query against another instance (a URL, path or Instance)."""

        new = self._clone()
        new._instance = open_instance(alias)
        return new

    def annotate(self, *args: Aggregate, **kwargs: Aggregate) -> BasicQuerySet[T]:
        """Annotate each record with an aggregate over a related field.

        Examples:
            >>> import lamin_pipes as ln
            >>> qs = ln.Record.filter(is_type=True).annotate(n=ln.models.Count("records"))
            >>> all(isinstance(r.n, int) for r in qs)
            True
        """
        new = self._clone()
        for aggregate in args:
            kwargs[aggregate.default_alias] = aggregate
        for alias, aggregate in kwargs.items():
            if not isinstance(aggregate, Aggregate):
                msg = f"annotate() takes aggregates such as Count('field'), got {aggregate!r}"
                raise InvalidArgument(msg)
            new._annotations[alias] = aggregate
        return new

    def alias(self, *args: Aggregate, **kwargs: Aggregate) -> BasicQuerySet[T]:
        """Like :meth:`annotate`; the aggregates can be used in ``order_by``."""
        return self.annotate(*args, **kwargs)

    def _annotation_expr(self, alias: str, aggregate: Aggregate) -> Any:
        model = self.model
        parts = aggregate.field.split("__")
        info = get_field(model, parts[0])
        if info.is_multi:
            owner_col, value, join = resolve_multi_path(
                model, aggregate.field if len(parts) > 1 else f"{parts[0]}__id"
            )
            function = aggregate.sql_function(value)
            if aggregate.function == "count":
                function = func.coalesce(function, 0)
            return (
                select(function)
                .select_from(join)
                .where(owner_col == model.__table__.c.id)  # type: ignore[attr-defined]
                .scalar_subquery()
                .label(alias)
            )
        expr = resolve_path(model, aggregate.field)
        if aggregate.function == "count":
            return case((expr.is_(None), 0), else_=1).label(alias)
        return expr.label(alias)

    # --- SQL ------------------------------------------------------------------------

    def _where(self) -> list[Any]:
        clauses = list(self._clauses)
        if self._none:
            clauses.append(false())
        if (
            not self._include_trash
            and not self._branch_given
            and "branch" in self.model._meta.fields  # type: ignore[attr-defined]
        ):
            clauses.append(unindexed(self.model.__table__.c.branch_id) == 1)  # type: ignore[attr-defined]
        return clauses

    def _apply_window(self, stmt: Any) -> Any:
        if self._order:
            stmt = stmt.order_by(*self._order)
        if self._limit is not None:
            stmt = stmt.limit(self._limit)
        if self._offset:
            stmt = stmt.offset(self._offset)
        return stmt

    def _statement(self, *entities: Any) -> Any:
        stmt = select(*(entities or (self.model,))).where(*self._where())
        if self._distinct:
            stmt = stmt.distinct()
        return self._apply_window(stmt)

    def id_subquery(self) -> Any:
        """``SELECT id`` of this query set, for use inside other queries."""
        return self.values_subquery("id")

    def values_subquery(self, field: str = "id") -> Any:
        table = self.model.__table__  # type: ignore[attr-defined]
        stmt = select(table.c[field] if field in table.c else resolve_path(self.model, field))
        return self._apply_window(stmt.where(*self._where()))

    # --- evaluation -----------------------------------------------------------------

    def _fetch(self) -> list[T]:
        if self._cache is not None:
            return self._cache
        if self._none:
            self._cache = []
            return self._cache
        inst = self.instance
        stmt = self._statement()
        if self._annotations:
            extras = [self._annotation_expr(a, g) for a, g in self._annotations.items()]
            stmt = stmt.add_columns(*extras)
        if self._load_options:
            stmt = stmt.options(*self._load_options)
        stmt = stmt.execution_options(populate_existing=True)
        with inst.read_session() as session:
            if self._annotations:
                records = []
                for row in session.execute(stmt):
                    record = row[0]
                    for alias, value in zip(self._annotations, row[1:], strict=True):
                        record.__dict__[alias] = value
                    records.append(record)
            else:
                records = list(session.scalars(stmt))
            if self._load_options:
                expire_unloaded(session, records)
        self._after_fetch(records, inst)
        self._cache = records
        return records

    def _after_fetch(self, records: list[Any], inst: Instance) -> None:
        if not records:
            return
        for name in self._select_related:
            fill_foreign_keys(self.model, records, name, inst)
        for name in self._prefetch:
            prefetch_many(self.model, records, name, inst)

    def __iter__(self) -> Iterator[T]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())

    def __bool__(self) -> bool:
        return bool(self._fetch())

    @overload
    def __getitem__(self, key: int) -> T: ...
    @overload
    def __getitem__(self, key: slice) -> BasicQuerySet[T]: ...
    def __getitem__(self, key: int | slice) -> T | BasicQuerySet[T]:
        if self._cache is not None:
            return self._cache[key]  # type: ignore[return-value]
        if isinstance(key, slice):
            if (key.start or 0) < 0 or (key.stop is not None and key.stop < 0) or key.step:
                msg = f"Query sets support non-negative slices without step, got {key!r}"
                raise InvalidArgument(msg)
            new = self._clone()
            start = key.start or 0
            new._offset = (self._offset or 0) + start
            if key.stop is not None:
                stop = key.stop - start
                new._limit = stop if self._limit is None else min(self._limit, stop)
            return new
        if key < 0:
            msg = f"Negative indexing is not supported on query sets, got {key}"
            raise InvalidArgument(msg)
        records = list(self[key : key + 1])
        if not records:
            raise IndexError(f"Query set index {key} out of range")
        return records[0]

    def __repr__(self) -> str:
        records = list(self[:21]) if self._cache is None else self._cache[:21]
        body = ", ".join(repr(r) for r in records[:20])
        more = ", ..." if len(records) > 20 else ""
        return f"<{type(self).__name__} [{body}{more}]>"

    def iterator(self, chunk_size: int | None = None) -> Iterator[T]:
        """Stream records from the database ``chunk_size`` (default 2000) at a time."""
        if chunk_size is None:
            chunk_size = 2000
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            msg = f"iterator() takes a positive chunk_size, got {chunk_size!r}"
            raise InvalidArgument(msg)
        if self._none:
            return
        inst = self.instance
        stmt = self._statement().execution_options(yield_per=chunk_size, populate_existing=True)
        if self._load_options:
            stmt = stmt.options(*self._load_options)
        with inst.read_transaction() as session:
            for partition in session.scalars(stmt).partitions(chunk_size):
                records = list(partition)
                self._after_fetch(records, inst)
                yield from records

    async def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[T]:
        """Async twin of :meth:`iterator`."""
        chunks: Iterator[T] = self.iterator(chunk_size)
        sentinel = object()
        while True:
            record = await asyncio.to_thread(next, chunks, sentinel)
            if record is sentinel:
                return
            yield record  # type: ignore[misc]

    def count(self) -> int:
        """Number of records (``SELECT COUNT``)."""
        if self._cache is not None:
            return len(self._cache)
        if self._none:
            return 0
        inner = self._statement(self.model.__table__.c.id).subquery()  # type: ignore[attr-defined]
        with self.instance.read_session() as session:
            return int(session.execute(select(func.count()).select_from(inner)).scalar_one())

    def exists(self) -> bool:
        """Whether the query set has any record."""
        if self._cache is not None:
            return bool(self._cache)
        if self._none:
            return False
        stmt = self._statement(self.model.__table__.c.id).limit(1)  # type: ignore[attr-defined]
        with self.instance.read_session() as session:
            return session.execute(stmt).first() is not None

    def contains(self, obj: Any) -> bool:
        """Whether ``obj`` is in the query set."""
        if not isinstance(obj, self.model) or obj.id is None:  # type: ignore[attr-defined]
            return False
        return self.filter(id=obj.id).exists()  # type: ignore[attr-defined]

    def first(self) -> T | None:
        """The first record (by ``id`` unless ordered), or ``None``."""
        qs = self if self._order else self.order_by("id")
        records = list(qs[:1])
        return records[0] if records else None

    def last(self) -> T | None:
        """The last record (by ``id`` unless ordered), or ``None``."""
        qs = self if self._order else self.order_by("id")
        records = list(qs.reverse()[:1])
        return records[0] if records else None

    def _one(
        self,
        does_not_exist_msg: str | None = None,
        raise_doesnotexist: bool = True,
        raise_multiple: bool = True,
    ) -> T | None:
        return self._single(list(self[:2]), does_not_exist_msg, raise_doesnotexist, raise_multiple)

    def _single(
        self,
        records: list[T],
        does_not_exist_msg: str | None = None,
        raise_doesnotexist: bool = True,
        raise_multiple: bool = True,
    ) -> T | None:
        if not records:
            if raise_doesnotexist:
                msg = does_not_exist_msg or (
                    f"{self.model.__name__} matching query does not exist."
                )
                raise DoesNotExist(msg)
            return None
        if len(records) > 1 and raise_multiple:
            msg = (
                f"Found more than one {self.model.__name__} matching the query; "
                "add conditions or use .first()."
            )
            raise MultipleResultsFound(msg)
        return records[0]

    def one(self) -> T:
        """Exactly one record; raises if there are none or several."""
        return self._one()  # type: ignore[return-value]

    def one_or_none(self) -> T | None:
        """At most one record: it, or ``None``; raises if there are several."""
        return self._one(raise_doesnotexist=False)

    def get(self, *args: Any, **kwargs: Any) -> T:
        """The single record matching the lookups."""
        check_field_keywords(self.model, kwargs)
        return self.filter(*args, **kwargs).one()

    def latest(self, *fields: str) -> T:
        """The latest record by ``fields`` (default ``created_at``, else ``id``)."""
        fields = fields or (self._default_latest_field(),)
        record = self.order_by(
            *[f"-{f.lstrip('-')}" if not f.startswith("-") else f.lstrip("-") for f in fields]
        ).first()
        if record is None:
            raise DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        return record

    def earliest(self, *fields: str) -> T:
        """The earliest record by ``fields`` (default ``created_at``, else ``id``)."""
        fields = fields or (self._default_latest_field(),)
        record = self.order_by(*fields).first()
        if record is None:
            raise DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        return record

    def _default_latest_field(self) -> str:
        return "created_at" if "created_at" in self.model._meta.fields else "id"  # type: ignore[attr-defined]

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, T]:
        """A dictionary mapping ``field_name`` values to records."""
        field_name = "id" if field_name == "pk" else field_name
        qs = self if id_list is None else self.filter(**{f"{field_name}__in": list(id_list)})
        return {getattr(r, field_name): r for r in qs}

    def to_list(self, field: str | None = None) -> list[Any]:
        """The records as a list, or the values of one field.

        Examples:
            >>> import lamin_pipes as ln
            >>> names = ln.ULabel.filter().to_list("name")
            >>> isinstance(names, list)
            True
        """
        if field is None:
            return list(self._fetch())
        return self.values_list(field, flat=True)

    def values(self, *fields: str, **expressions: Any) -> list[dict[str, Any]]:
        """Rows as dictionaries of field values (all columns by default).

        Expressions (``values(n=Count(...))``) are refused rather than ignored.
        """
        if expressions:
            msg = (
                f"values() takes field names only here, got expressions {sorted(expressions)}; "
                "use annotate() and then values()"
            )
            raise InvalidArgument(msg)
        names = list(fields) or self.model._meta.attnames()  # type: ignore[attr-defined]
        rows = self._rows(names)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def values_list(self, *fields: str, flat: bool = False, named: bool = False) -> list[Any]:
        """Rows as tuples (``flat=True`` for one field: a list of values)."""
        if flat and len(fields) != 1:
            msg = f"values_list(flat=True) takes exactly one field, got {fields!r}"
            raise InvalidArgument(msg)
        names = list(fields) or self.model._meta.attnames()  # type: ignore[attr-defined]
        rows = self._rows(names)
        if flat:
            return [row[0] for row in rows]
        if named:
            Row = namedtuple("Row", [n.replace("__", "_") for n in names])  # type: ignore[misc]
            return [Row(*row) for row in rows]
        return [tuple(row) for row in rows]

    def _rows(self, names: list[str]) -> list[Any]:
        if self._none:
            return []
        exprs = [self._value_expr(n) for n in names]
        stmt = self._statement(*exprs)
        with self.instance.read_session() as session:
            return list(session.execute(stmt))

    def _value_expr(self, name: str) -> Any:
        if name in self._annotations:
            return self._annotation_expr(name, self._annotations[name])
        if name == "pk":
            name = "id"
        return resolve_path(self.model, name).label(name)

    def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        """Aggregates over the whole query set: ``aggregate(n=Count("id"))``.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.ULabel.filter().aggregate(ln.models.Count("id"))["id__count"] >= 0
            True
        """
        for aggregate in args:
            kwargs[aggregate.default_alias] = aggregate
        if not kwargs:
            return {}
        inner = self._statement(self.model.__table__.c.id).subquery()  # type: ignore[attr-defined]
        table = self.model.__table__  # type: ignore[attr-defined]
        exprs = []
        for alias, aggregate in kwargs.items():
            parts = aggregate.field.split("__")
            info = get_field(self.model, parts[0])
            if info.is_multi:
                owner_col, value, join = resolve_multi_path(
                    self.model, aggregate.field if len(parts) > 1 else f"{parts[0]}__id"
                )
                sub = (
                    select(aggregate.sql_function(value))
                    .select_from(join)
                    .where(owner_col.in_(select(inner.c.id)))
                )
                exprs.append(sub.scalar_subquery().label(alias))
            else:
                expr = resolve_path(self.model, aggregate.field)
                sub = select(aggregate.sql_function(expr)).where(table.c.id.in_(select(inner.c.id)))
                exprs.append(sub.scalar_subquery().label(alias))
        with self.instance.read_session() as session:
            row = session.execute(select(*exprs)).one()
        return dict(zip(kwargs, row, strict=True))

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> list[dt.date]:
        """Distinct dates of ``field_name`` truncated to ``kind`` (year, month, week, day).

        The database truncates and de-duplicates (datetimes in UTC; weeks start on
        Monday), so one row per distinct date comes back.
        """
        kinds = ("year", "month", "week", "day")
        if kind not in kinds:
            raise InvalidArgument(f"Invalid kind {kind!r}. Valid options: {kinds}")
        order_values([], order)  # checks order before the query runs
        values = self._truncated(field_name, kind)
        return order_values(sorted({from_database(v, as_date=True) for v in values}), order)

    def datetimes(
        self, field_name: str, kind: str, order: str = "ASC", tzinfo: dt.tzinfo | None = None
    ) -> list[dt.datetime]:
        """Distinct datetimes truncated to ``kind`` (year … second).

        Truncated in UTC by the database; with another ``tzinfo`` the values are
        converted and truncated in Python, since SQLite knows no time zones.
        """
        kinds = ("year", "month", "week", "day", "hour", "minute", "second")
        if kind not in kinds:
            raise InvalidArgument(f"Invalid kind {kind!r}. Valid options: {kinds}")
        order_values([], order)
        if tzinfo is not None and dt.datetime(
            2000, 1, 1, tzinfo=tzinfo
        ).utcoffset() != dt.timedelta(0):
            values = [v.astimezone(tzinfo) for v in self.values_list(field_name, flat=True) if v]
            return order_values(sorted({truncate(v, kind) for v in values}), order)
        values = self._truncated(field_name, kind)
        found = {from_database(v, as_date=False) for v in values}
        if tzinfo is not None:
            found = {v.astimezone(tzinfo) for v in found}
        return order_values(sorted(found), order)

    def _truncated(self, field_name: str, kind: str) -> list[Any]:
        """The distinct non-null values of a date/datetime field truncated to ``kind``."""
        if self._none:
            return []
        info = get_field(self.model, field_name)
        spec = info.spec
        if spec is None or spec.kind not in ("date", "datetime"):
            msg = f"'{field_name}' is not a date or datetime field of {self.model.__name__}"
            raise FieldError(msg)
        inst = self.instance
        column = resolve_path(self.model, field_name)
        expr = truncated(column, kind, inst.dialect, is_datetime=spec.kind == "datetime")
        inner = self._statement(expr.label("value")).where(column.isnot(None)).subquery()
        stmt = select(inner.c.value).distinct()
        with inst.read_session() as session:
            return list(session.scalars(stmt))

    def explain(self, *, format: str | None = None, **options: Any) -> str:
        """The database's query plan for this query set."""
        inst = self.instance
        stmt = self._statement()
        with inst.read_session() as session:
            dialect = session.get_bind().dialect
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if inst.dialect == "sqlite" else "EXPLAIN "
            rows = session.connection().exec_driver_sql(prefix + sql).fetchall()
        return "\n".join(" ".join(str(c) for c in row) for row in rows)

    # --- set operations -------------------------------------------------------------

    def _compound(
        self, others: tuple[BasicQuerySet[Any], ...], op: str, all: bool = False
    ) -> BasicQuerySet[T]:
        for other in others:
            if other.model is not self.model:
                msg = (
                    f"Cannot combine {self.model.__name__} with {other.model.__name__} query sets."
                )
                raise InvalidArgument(msg)
        selects = [self.id_subquery(), *(o.id_subquery() for o in others)]
        combine = {
            "union": union_all if all else union,
            "intersection": intersect,
            "difference": except_,
        }[op]
        compound = combine(*selects).subquery()
        new = type(self)(self.model, instance=self._instance, include_trash=True)
        table = self.model.__table__  # type: ignore[attr-defined]
        return new._where_clause(table.c.id.in_(select(compound.c.id)))

    def union(self, *other_qs: BasicQuerySet[Any], all: bool = False) -> BasicQuerySet[T]:
        """Records in this or any of the other query sets."""
        return self._compound(other_qs, "union", all)

    def intersection(self, *other_qs: BasicQuerySet[Any]) -> BasicQuerySet[T]:
        """Records in this and all the other query sets."""
        return self._compound(other_qs, "intersection")

    def difference(self, *other_qs: BasicQuerySet[Any]) -> BasicQuerySet[T]:
        """Records in this query set but in none of the others."""
        return self._compound(other_qs, "difference")

    # --- writes ---------------------------------------------------------------------

    def _writable(self) -> Instance:
        inst = self.instance
        if inst.read_only:
            msg = f"Instance {inst.name!r} is read-only here (opened via QueryDB/connect)."
            raise ReadOnlyInstanceError(msg)
        return inst

    def _refuse_locked(self, action: str) -> None:
        if "is_locked" not in self.model._meta.fields:  # type: ignore[attr-defined]
            return
        locked = self.filter(is_locked=True).values_list("id", flat=True)
        if locked:
            msg = (
                f"Cannot {action} {len(locked)} locked {self.model.__name__} record(s) "
                f"(ids {locked[:10]}); unlock them first."
            )
            raise RecordLockedError(msg)

    def update(self, **kwargs: Any) -> int:
        """Set fields on every record in the query set; returns the number updated.

        Foreign keys take records (or ids); locked records make the whole call fail,
        unless only ``is_locked`` is set; ``updated_at`` is stamped where it exists.
        """
        return update_records(self, kwargs)

    def delete(self, *args: Any, permanent: bool | None = None, **kwargs: Any) -> None:
        """Delete the records: to the trash, or for good with ``permanent=True``.

        Registries without a ``branch`` field are always deleted permanently. Calling
        ``delete()`` twice never deletes permanently: use ``permanent=True``.
        """
        if getattr(self.model, "_delete_one_by_one", False):
            # Artifacts and collections: each record's delete() keeps its family's head
            # and removes stored content.
            for record in list(self):
                record.delete(permanent=permanent)  # type: ignore[attr-defined]
            return
        delete_records(self, permanent)

    def create(self, **kwargs: Any) -> T:
        """Create a record in this query set's instance, save and return it."""
        inst = self._writable()
        record: Any = self.model(**kwargs)
        record._lp_instance = inst
        return record.save()  # type: ignore[no-any-return]

    def get_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[T, bool]:
        """Get the record matching ``kwargs`` or create it; returns ``(record, created)``."""
        record = self.filter(**kwargs).first()
        if record is not None:
            return record, False
        try:
            # a savepoint inside an enclosing atomic(): a lost race must not abort it
            with self._writable().atomic():
                return self.create(**{**_plain(kwargs), **(defaults or {})}), True
        except IntegrityError:  # a concurrent writer won the race
            record = self.filter(**kwargs).first()
            if record is None:
                raise
            return record, False

    def update_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        create_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[T, bool]:
        """Update the record matching ``kwargs`` with ``defaults``, or create it."""
        record = self.filter(**kwargs).first()
        if record is None:
            values = create_defaults if create_defaults is not None else defaults
            return self.create(**{**_plain(kwargs), **(values or {})}), True
        for key, value in (defaults or {}).items():
            setattr(record, key, value)
        record.save()  # type: ignore[attr-defined]
        return record, False

    def bulk_create(
        self,
        objs: Iterable[T],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: list[str] | None = None,
        unique_fields: list[str] | None = None,
    ) -> list[T]:
        """Insert many records with few statements; sets their ids."""
        if update_conflicts or update_fields or unique_fields:
            msg = (
                "bulk_create() does not update on conflicts here (update_conflicts, "
                "update_fields, unique_fields); save the records, or bulk_update() them"
            )
            raise InvalidArgument(msg)
        records = list(objs)
        bulk_insert(
            records, self._writable(), batch_size=batch_size, ignore_conflicts=ignore_conflicts
        )
        return records

    def bulk_update(
        self, objs: Iterable[T], fields: list[str], batch_size: int | None = None
    ) -> int:
        """Write ``fields`` of many records with one executemany statement."""
        return bulk_update(list(objs), fields, self._writable(), batch_size=batch_size)

    # --- registry-level helpers implemented elsewhere -------------------------------

    def to_dataframe(
        self,
        *,
        include: str | list[str] | None = None,
        features: bool | str | list[str] | None = None,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """Evaluate into a ``pandas.DataFrame`` indexed by ``id``.

        Simple fields and foreign-key ids become columns; ``include`` adds related
        values (``"created_by__handle"``, ``"parents__name"``), each with one extra
        query. ``"privates"`` adds the private fields. For ``Artifact``, ``Record`` and
        ``Run``, ``include="features"`` or ``features=True`` adds one column per
        feature, ``features=["name", ...]`` the named ones and ``features="queryset"``
        those the query filters by (a fixed number of queries, whatever the rows).

        Examples:
            >>> import lamin_pipes as ln
            >>> df = ln.ULabel.filter().to_dataframe(include="created_by__handle")
            >>> "created_by__handle" in df.columns
            True
        """
        return to_dataframe(
            self, include=include, features=features, limit=limit, order_by=order_by
        )

    def df(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Alias of :meth:`to_dataframe` kept from older lamindb releases."""
        return self.to_dataframe(*args, **kwargs)

    def search(
        self,
        string: str,
        *,
        field: Any = None,
        limit: int | None = 20,
        case_sensitive: bool = False,
    ) -> QuerySet[T]:
        """Search string fields; returns a query set, best matches first.

        Exact matches rank first, then synonym, prefix, token and fuzzy matches, so a
        typo such as ``"lable2"`` still finds ``"Label2"``. Each record carries its
        ``score`` (0 to 100).

        Examples:
            >>> import lamin_pipes as ln
            >>> _ = ln.ULabel.from_values(["Label1", "Label2"], create=True).save()
            >>> ln.ULabel.search("lable2").first().name
            'Label2'
        """
        search = implementation("search")
        return search(self, string, field=field, limit=limit, case_sensitive=case_sensitive)  # type: ignore[no-any-return]

    def lookup(self, field: Any = None, return_field: Any = None, keep: Any = "first") -> Any:
        """An auto-complete object of the field's values (see :func:`lookup`)."""
        return implementation("lookup")(self, field=field, return_field=return_field, keep=keep)

    def validate(self, values: Any, field: Any = None, **kwargs: Any) -> np.ndarray:
        """Which ``values`` exist in this query set's field (a boolean array)."""
        return implementation("validate")(self, values, field, **kwargs)  # type: ignore[no-any-return]

    def inspect(self, values: Any, field: Any = None, **kwargs: Any) -> Any:
        """Inspect which ``values`` are validated against this query set's field.

        Returns:
            An :class:`~lamin_pipes.models.InspectResult`.
        """
        return implementation("inspect")(self, values, field, **kwargs)  # type: ignore[no-any-return]

    def standardize(self, values: Iterable[Any], field: Any = None, **kwargs: Any) -> Any:
        """Map synonyms in ``values`` to the standardized names of this query set."""
        return implementation("standardize")(self, values, field, **kwargs)

    # --- async twins ----------------------------------------------------------------

    acount = _async("count")
    aexists = _async("exists")
    acontains = _async("contains")
    afirst = _async("first")
    alast = _async("last")
    aget = _async("get")
    alatest = _async("latest")
    aearliest = _async("earliest")
    ain_bulk = _async("in_bulk")
    aupdate = _async("update")
    adelete = _async("delete")
    acreate = _async("create")
    aget_or_create = _async("get_or_create")
    aupdate_or_create = _async("update_or_create")
    abulk_create = _async("bulk_create")
    abulk_update = _async("bulk_update")
    aaggregate = _async("aggregate")
    aexplain = _async("explain")


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Lookup kwargs usable as constructor arguments (``name__exact`` → ``name``)."""
    out = {}
    for key, value in kwargs.items():
        if key.endswith("__exact"):
            key = key[: -len("__exact")]
        if "__" not in key:
            out[key] = value
    return out


def _flip(order: Any) -> Any:
    if isinstance(order, UnaryExpression) and order.modifier is not None:
        element = order.element
        name = getattr(order.modifier, "__name__", "")
        return element.asc() if name == "desc_op" else element.desc()
    return order.desc()


class QuerySet(BasicQuerySet[T]):
    """Query set of a registry with lamindb's extras (``get`` by uid prefix, search, …).

    Examples:
        >>> import lamin_pipes as ln
        >>> queryset = ln.ULabel.filter(name="my label")
        >>> isinstance(queryset, ln.models.QuerySet)
        True
    """

    def get(self, idlike: int | str | Q | None = None, **expressions: Any) -> T:  # type: ignore[override]
        """A single record by integer id, full uid, uid prefix, or lookups.

        Raises:
            DoesNotExist: With a hint to pass a keyword if a string matched no uid.
            MultipleResultsFound: If several records match.
        """
        check_field_keywords(self.model, expressions)
        if isinstance(idlike, Q):
            return self.filter(idlike, **expressions).one()
        if isinstance(idlike, bool):
            raise InvalidArgument(f"get() takes an id, a uid or lookups, not {idlike!r}")
        if isinstance(idlike, int):
            if not expressions:
                return self._get_by_field("id", idlike, latest=False)
            return self.filter(id=idlike, **expressions).one()
        if isinstance(idlike, str):
            model = self.model
            name_field = getattr(model, "_name_field", "name")
            msg = (
                f"No record found with uid '{idlike}'. Did you forget a keyword as in "
                f"{model.__name__}.get({name_field}='{idlike}')?"
            )
            if "uid" not in model._meta.fields:  # type: ignore[attr-defined]
                raise DoesNotExist(msg)
            qs = self.filter(uid__startswith=idlike, **expressions)
            versioned = "is_latest" in model._meta.fields  # type: ignore[attr-defined]
            uid_len = model._meta.fields["uid"].spec.max_length  # type: ignore[attr-defined]
            if versioned and len(idlike) < uid_len:
                latest = qs.filter(is_latest=True)._one(
                    msg, raise_doesnotexist=False, raise_multiple=False
                )
                if latest is not None:
                    return latest
                return qs.order_by("-id")._one(msg, raise_multiple=False)  # type: ignore[return-value]
            return qs._one(msg)  # type: ignore[return-value]
        if idlike is not None:
            raise InvalidArgument(f"get() takes an int id, a uid string or lookups, got {idlike!r}")
        if not expressions:
            return self.one()
        if len(expressions) == 1:
            ((key, value),) = expressions.items()
            return self._get_by_field(key, value)
        return self._get_by_lookups(expressions)

    def _get_by_field(self, key: str, value: Any, *, latest: bool = True) -> T:
        """``get(key=value)``: a prepared statement where it applies (see ``_field_get``)."""
        fresh = not (
            self._clauses
            or self._none
            or self._include_trash
            or self._limit is not None
            or self._offset
            or self._order
            or self._distinct
            or self._load_options
            or self._select_related
            or self._prefetch
            or self._annotations
        )
        statement = field_statement(self.model, key, value) if fresh else None
        if statement is None:
            if not latest:
                return self.filter(**{key: value}).one()
            return self._get_by_lookups({key: value})
        records = fetch_by_field(self.instance, self.model, key, statement, value)
        return self._single(records)  # type: ignore[return-value]

    def _get_by_lookups(self, expressions: dict[str, Any]) -> T:
        if "is_latest" in self.model._meta.fields and "is_latest" not in expressions:  # type: ignore[attr-defined]
            # Versioned registries: the latest version matches (lamindb does the same),
            # else the newest matching one.
            try:
                return self.filter(**expressions, is_latest=True).one()
            except DoesNotExist:
                found = self.filter(**expressions).order_by("-created_at", "-id").first()
                if found is None:
                    raise
                return found
        return self.filter(**expressions).one()

    def filter(self, *queries: Any, **expressions: Any) -> QuerySet[T]:
        return super().filter(*queries, **expressions)  # type: ignore[return-value]
