"""The ``Registry`` metaclass: from Django-style field specs to SQLAlchemy tables.

Sub-classing :class:`~lamin_pipes.models.SQLRecord` runs :meth:`Registry.__new__`,
which turns the field specifications of the class, its mixins and abstract bases into
columns, foreign keys and link tables, records them in ``cls._meta`` and wires the
relation descriptors (reverse accessors included) before SQLAlchemy maps the class.
The metaclass also carries the class-level query API (``filter``, ``get``, …).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Index, Integer, Table, UniqueConstraint
from sqlalchemy import Column as SAColumn
from sqlalchemy import ForeignKey as SAForeignKey
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.orm.decl_api import DeclarativeAttributeIntercept
from sqlalchemy.orm.instrumentation import manager_of_class

from ..core._open import open_instance
from ..core._types import BigIntPK
from ..errors import FieldError
from . import fields as _fields
from ._catalog import model_named, register, resolve_model
from ._indexes import declare_later
from ._loading import load_expired_attributes
from ._options import (
    COLUMN,
    FOREIGN_KEY,
    MANY_TO_MANY,
    REVERSE_FK,
    REVERSE_M2M,
    FieldInfo,
    Options,
)
from ._relations import ForeignKeyDescriptor, RelatedManagerDescriptor
from .query_set import QuerySet

if TYPE_CHECKING:
    import pandas as pd

    from .query_set import QuerySet

_SPEC_TYPES = (_fields.ColumnSpec, _fields.ForeignKeySpec, _fields.ManyToManySpec)
FKType = BigInteger().with_variant(Integer(), "sqlite")

#: Relations whose target registry was not defined yet when they were declared.
_PENDING: list[FieldInfo] = []

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _table_name_for(name: str, app_label: str | None) -> str:
    lower = name.lower()
    return f"{app_label}_{lower}" if app_label else lower


def _target_table(target: Any, own_name: str, own_table: str, *, builtin: bool) -> str:
    if isinstance(target, type):
        return target._meta.table_name  # type: ignore[no-any-return, attr-defined]
    if target == "self" or target == own_name:
        return own_table
    found = model_named(target)
    if found is not None:
        return found._meta.table_name  # type: ignore[no-any-return]
    name = target.rsplit(".", 1)[-1]
    # A registry defined further down: built-in registries only point to built-in
    # ones (lamindb_<name>); user registries are defined after all built-in ones, so
    # a forward reference from them names another user registry (<name>).
    return _table_name_for(name, "lamindb" if builtin else None)


#: The text builders of ``describe()``, handed down by the registries' layer (models),
#: which draws descriptions: one for a registry class, one for any record.
_DESCRIBERS: dict[str, Callable[[Any], str]] = {}


def set_describers(registry: Callable[[Any], str], record: Callable[[Any], str]) -> None:
    """Name the functions that describe a registry class and a record."""
    _DESCRIBERS["registry"] = registry
    _DESCRIBERS["record"] = record


def _describe_registry(model: Any, return_str: bool = False) -> str | None:
    text = _DESCRIBERS["registry"](model)
    if return_str:
        return text
    print(text)
    return None


def _describe_record(record: Any, return_str: bool = False) -> str | None:
    text = _DESCRIBERS["record"](record)
    if return_str:
        return text
    print(text)
    return None


class _Describe:
    """``describe`` of class and instance, as lamindb's ``class_and_instance_method``.

    On a registry (``ln.ULabel.describe()``) it prints the registry's fields; on a
    record it runs the registry's own ``describe`` (Artifact's, Collection's) or the
    generic description of a record.
    """

    def __init__(self, method: Callable[..., Any] | None) -> None:
        self.method = method or _describe_record
        self.__doc__ = getattr(method, "__doc__", None) or _describe_record.__doc__

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return functools.partial(_describe_registry, owner)
        return types.MethodType(self.method, obj)


def _install_describe(cls: Any, ns: dict[str, Any]) -> None:
    """Make ``describe`` work on the class and on records (see :class:`_Describe`)."""
    own = ns.get("describe")
    if isinstance(own, types.FunctionType):
        type.__setattr__(cls, "describe", _Describe(own))
    elif not any(isinstance(c.__dict__.get("describe"), _Describe) for c in cls.__mro__):
        type.__setattr__(cls, "describe", _Describe(None))


class Registry(DeclarativeAttributeIntercept):
    """Metaclass of :class:`SQLRecord`: every registry class is an instance of it.

    Sub-classing ``SQLRecord`` creates a new registry (a table); its class-level
    methods query that table.

    Examples:
        >>> import lamin_pipes as ln
        >>> isinstance(ln.Record, ln.models.Registry)
        True
    """

    _meta: Options

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> Any:
        if ns.get("__abstract__") or any(b is DeclarativeBase for b in bases):
            base: Any = super().__new__(mcs, name, bases, ns, **kw)
            _install_describe(base, ns)
            return base
        if "__tablename__" not in ns:
            builtin = _is_builtin_module(ns.get("__module__", ""))
            app_label = ns.get("_app_label") or ("lamindb" if builtin else None)
            ns["__tablename__"] = _table_name_for(name, app_label)
        table = ns["__tablename__"]
        specs = _collect_specs(bases, ns)
        new_ns = dict(ns)
        if "id" not in new_ns:
            new_ns["id"] = mapped_column(BigIntPK, primary_key=True, doc="Internal id.")
        m2m: dict[str, _fields.ManyToManySpec] = {}
        for fname, spec in specs.items():
            new_ns.pop(fname, None)
            if isinstance(spec, _fields.ColumnSpec):
                new_ns[fname] = spec.make_column()
            elif isinstance(spec, _fields.ForeignKeySpec):
                target_table = _target_table(
                    spec.to, name, table, builtin=_is_builtin_module(ns.get("__module__", ""))
                )
                ondelete = "RESTRICT" if spec.on_delete == _fields.PROTECT else spec.on_delete
                new_ns[f"{fname}_id"] = mapped_column(
                    FKType,
                    SAForeignKey(f"{target_table}.id", ondelete=ondelete),
                    nullable=spec.null,
                    index=spec.db_index or None,
                    doc=spec.doc,
                )
            else:
                m2m[fname] = spec
        cls: Any = super().__new__(mcs, name, bases, new_ns, **kw)
        cls._meta = _build_options(cls, table, specs, m2m)
        _install_describe(cls, ns)
        manager_of_class(cls).expired_attribute_loader = load_expired_attributes  # type: ignore[assignment]
        register(cls)
        _resolve_pending()
        return cls

    # --- the class-level query API -------------------------------------------------

    @property
    def objects(cls: Any) -> QuerySet[Any]:
        """All records, trash included (like Django's default manager)."""
        return QuerySet(cls, include_trash=True)

    def filter(cls: Any, *queries: Any, **expressions: Any) -> QuerySet[Any]:
        """Query records with ``Q`` objects and Django-style lookups.

        Args:
            *queries: ``Q`` objects, combined with AND.
            **expressions: Lookups such as ``name__startswith="my"``.

        Returns:
            A lazy :class:`~lamin_pipes.models.QuerySet`.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.Project(name="my project").save()  # doctest: +ELLIPSIS
            Project(...)
            >>> ln.Project.filter(name__startswith="my").count() >= 1
            True
        """
        return QuerySet(cls).filter(*queries, **expressions)

    def get(cls: Any, idlike: int | str | None = None, **expressions: Any) -> Any:
        """Get a single record by id, uid (or uid prefix), or lookups.

        Raises:
            lamin_pipes.errors.DoesNotExist: If no record matches.
            lamin_pipes.errors.MultipleResultsFound: If several match.

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="get-example").save()
            >>> ln.Record.get(name="get-example") == record
            True
        """
        return QuerySet(cls).get(idlike, **expressions)

    def to_dataframe(
        cls: Any,
        *,
        include: str | list[str] | None = None,
        features: bool | str | list[str] | None = None,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """Evaluate the registry into a ``pandas.DataFrame`` (see ``QuerySet.to_dataframe``)."""
        return QuerySet(cls).to_dataframe(
            include=include, features=features, limit=limit, order_by=order_by
        )

    def df(cls: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Alias of ``to_dataframe`` kept from older lamindb releases."""
        return cls.to_dataframe(*args, **kwargs)  # type: ignore[no-any-return]

    def search(
        cls: Any,
        string: str,
        *,
        field: Any = None,
        limit: int | None = 20,
        case_sensitive: bool = False,
    ) -> QuerySet[Any]:
        """Search string fields; best matches first (see ``QuerySet.search``)."""
        return QuerySet(cls).search(string, field=field, limit=limit, case_sensitive=case_sensitive)

    def lookup(cls: Any, field: Any = None, return_field: Any = None, keep: Any = "first") -> Any:
        """Return an auto-complete object for a field (see ``QuerySet.lookup``)."""
        return QuerySet(cls).lookup(field=field, return_field=return_field, keep=keep)

    def connect(cls: Any, instance: Any) -> QuerySet[Any]:
        """Query this registry in another instance (read-only).

        Args:
            instance: A database URL, a path to an instance directory or SQLite file,
                or an :class:`~lamin_pipes.core.Instance`.

        Examples:
            >>> import lamin_pipes as ln
            >>> qs = ln.Record.connect(ln.settings.instance.db)
            >>> qs.count() >= 0
            True
        """
        return QuerySet(cls, instance=open_instance(instance))


def _is_builtin_module(module: str) -> bool:
    return module.startswith("lamin_pipes.")


def _collect_specs(bases: tuple[type, ...], ns: dict[str, Any]) -> dict[str, Any]:
    """Field specs of the class, its mixins and abstract bases, in column order."""
    own = {k: v for k, v in ns.items() if isinstance(v, _SPEC_TYPES)}
    inherited: dict[str, Any] = {}
    seen: set[type] = set()
    for base in bases:
        for klass in base.__mro__:
            if klass in seen:
                continue
            seen.add(klass)
            for key, value in vars(klass).items():
                if isinstance(value, _SPEC_TYPES) and key not in own and key not in inherited:
                    inherited[key] = value
    ordered: dict[str, Any] = {}
    if "uid" in own:
        ordered["uid"] = own.pop("uid")
    elif "uid" in inherited:
        ordered["uid"] = inherited.pop("uid")
    ordered.update(own)
    ordered.update(inherited)
    return ordered


def _build_options(
    cls: Any, table: str, specs: dict[str, Any], m2m: dict[str, _fields.ManyToManySpec]
) -> Options:
    meta = Options(model=cls, table_name=table, name_field=getattr(cls, "_name_field", "name"))
    meta.add(
        FieldInfo(
            name="id",
            kind=COLUMN,
            model=cls,
            attname="id",
            spec=_fields.ColumnSpec(kind="bigint", primary_key=True),
            null=False,
        )
    )
    for fname, spec in specs.items():
        if isinstance(spec, _fields.ColumnSpec):
            meta.add(
                FieldInfo(
                    name=fname,
                    kind=COLUMN,
                    model=cls,
                    attname=fname,
                    spec=spec,
                    null=spec.null,
                    default=spec.default,
                    doc=spec.doc,
                )
            )
        elif isinstance(spec, _fields.ForeignKeySpec):
            info = FieldInfo(
                name=fname,
                kind=FOREIGN_KEY,
                model=cls,
                attname=f"{fname}_id",
                target=spec.to,
                related_name=spec.related_name,
                null=spec.null,
                on_delete=spec.on_delete,
                default=spec.default,
                doc=spec.doc,
            )
            meta.add(info)
            setattr(cls, fname, ForeignKeyDescriptor(info))
            _PENDING.append(info)
    for fname, spec in m2m.items():
        info = _make_link_table(cls, table, fname, spec)
        meta.add(info)
        setattr(cls, fname, RelatedManagerDescriptor(info))
        _PENDING.append(info)
    return meta


def _make_link_table(cls: Any, table: str, fname: str, spec: _fields.ManyToManySpec) -> FieldInfo:
    target_table = _target_table(
        spec.to, cls.__name__, table, builtin=_is_builtin_module(cls.__module__)
    )
    own = table.split("_", 1)[-1]
    other = target_table.split("_", 1)[-1]
    if target_table == table:
        source_col, target_col = f"from_{own}_id", f"to_{own}_id"
    else:
        source_col, target_col = f"{own}_id", f"{other}_id"
    link_name = f"{table}_{fname}"
    columns: list[Any] = [
        SAColumn("id", BigIntPK, primary_key=True),
        SAColumn(
            source_col,
            FKType,
            SAForeignKey(f"{table}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        SAColumn(
            target_col,
            FKType,
            SAForeignKey(f"{target_table}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    ]
    qualifier_col = ""
    if spec.qualifier is None:
        columns.append(UniqueConstraint(source_col, target_col))
    else:
        qualifier_table = _target_table(
            spec.qualifier, cls.__name__, table, builtin=_is_builtin_module(cls.__module__)
        )
        qualifier_col = f"{qualifier_table.split('_', 1)[-1]}_id"
        columns.append(
            SAColumn(
                qualifier_col,
                FKType,
                SAForeignKey(f"{qualifier_table}.id", ondelete="RESTRICT"),
                nullable=True,
                index=True,
            )
        )
        # Explicit names: the convention's would pass PostgreSQL's 63 characters.
        columns.append(
            UniqueConstraint(source_col, target_col, qualifier_col, name=f"uq_{link_name}")
        )
    link = Table(link_name, cls.metadata, *columns)
    if qualifier_col:
        declare_later(functools.partial(_declare_unqualified_index, link, qualifier_col))
    return FieldInfo(
        name=fname,
        kind=MANY_TO_MANY,
        model=cls,
        target=spec.to,
        related_name=spec.related_name,
        link_table=link,
        source_column=source_col,
        target_column=target_col,
        qualifier_column=qualifier_col,
        doc=spec.doc,
    )


def _declare_unqualified_index(link: Table, qualifier_col: str) -> None:
    """A pair is linked at most once without a qualifier (a partial unique index)."""
    source_col, target_col = (c.name for c in link.columns if c.name not in ("id", qualifier_col))
    where = link.c[qualifier_col].is_(None)
    Index(
        f"uq_{link.name}_unqualified",
        link.c[source_col],
        link.c[target_col],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def add_many_to_many(cls: Any, fname: str, spec: _fields.ManyToManySpec) -> FieldInfo:
    """Give the existing registry ``cls`` a many-to-many relation ``fname``.

    For relations that a registry layer declares apart from the class body (the
    annotation links of :mod:`lamin_pipes.models`); the link table, the accessor and
    the reverse accessor are made as for a field of the class.

    Raises:
        FieldError: If ``cls`` has a field of that name already.
    """
    if fname in cls._meta.fields:
        msg = f"{cls.__name__} already has a field {fname!r}."
        raise FieldError(msg)
    info = _make_link_table(cls, cls._meta.table_name, fname, spec)
    cls._meta.add(info)
    setattr(cls, fname, RelatedManagerDescriptor(info))
    _PENDING.append(info)
    _resolve_pending()
    return info


def _resolve_pending() -> None:
    """Add reverse accessors for relations whose target registry now exists."""
    for info in list(_PENDING):
        target = info.target
        if not isinstance(target, type):
            name = "self" if target in ("self", info.model.__name__) else target
            if name != "self" and model_named(name) is None:
                continue
            info.target = resolve_model(name, info.model)
        _PENDING.remove(info)
        related_name = info.related_name
        if related_name == "+" or (related_name is None and info.kind == FOREIGN_KEY):
            continue
        if related_name is None:
            related_name = f"{info.model.__name__.lower()}_set"
        target_cls = info.target
        if info.kind == FOREIGN_KEY:
            reverse = FieldInfo(
                name=related_name,
                kind=REVERSE_FK,
                model=target_cls,
                target=info.model,
                source_column=info.attname,
                related_name=info.name,
            )
        else:
            reverse = FieldInfo(
                name=related_name,
                kind=REVERSE_M2M,
                model=target_cls,
                target=info.model,
                link_table=info.link_table,
                source_column=info.target_column,
                target_column=info.source_column,
                qualifier_column=info.qualifier_column,
                related_name=info.name,
            )
        target_cls._meta.add(reverse)
        setattr(target_cls, related_name, RelatedManagerDescriptor(reverse))
