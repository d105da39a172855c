"""The registry base classes: ``Registry`` (metaclass), ``BaseSQLRecord``, ``SQLRecord``.

A registry is a SQLAlchemy declarative class whose fields are declared with
:mod:`lamin_pipes.fields`. The :class:`Registry` metaclass turns field specifications
into columns, foreign keys and link tables, records them in ``cls._meta`` and carries
the class-level query API (``filter``, ``get``, ``to_dataframe``, ``search``,
``lookup``, ``connect``).

Records are active records: ``record.save()`` writes at once, in its own transaction
unless an ``ln.atomic()`` block is open. Between operations records are detached from
any session, so unsaved edits never leak into another record's save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import BigInteger, Integer, MetaData, Table, UniqueConstraint, event
from sqlalchemy import Column as SAColumn
from sqlalchemy import ForeignKey as SAForeignKey
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, attributes, mapped_column
from sqlalchemy.orm import loading as _sa_loading
from sqlalchemy.orm import make_transient_to_detached as _make_detached
from sqlalchemy.orm.decl_api import DeclarativeAttributeIntercept
from sqlalchemy.orm.instrumentation import manager_of_class

from .. import fields as _fields
from ..core._types import BigIntPK
from ..errors import (
    DoesNotExist,
    FieldError,
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
    MultipleResultsFound,
    ReadOnlyInstanceError,
    RecordLockedError,
)
from ._options import (
    COLUMN,
    FOREIGN_KEY,
    MANY_TO_MANY,
    REVERSE_FK,
    REVERSE_M2M,
    FieldInfo,
    Options,
)
from ._relations import ForeignKeyDescriptor, RelatedManagerDescriptor, pending_related

if TYPE_CHECKING:
    import pandas as pd

    from ..core._instance import Instance
    from .query_set import QuerySet

T = TypeVar("T", bound="BaseSQLRecord")

_SPEC_TYPES = (_fields.ColumnSpec, _fields.ForeignKeySpec, _fields.ManyToManySpec)
FKType = BigInteger().with_variant(Integer(), "sqlite")

#: Registries by class name and by table name.
_MODELS: dict[str, type[BaseSQLRecord]] = {}
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
    name = target.rsplit(".", 1)[-1]
    if name in _MODELS:
        return _MODELS[name]._meta.table_name
    # A registry defined further down: built-in registries only point to built-in
    # ones (lamindb_<name>); user registries are defined after all built-in ones, so
    # a forward reference from them names another user registry (<name>).
    return _table_name_for(name, "lamindb" if builtin else None)


def resolve_model(target: Any, owner: Any) -> type[BaseSQLRecord]:
    """Return the registry class that ``target`` (a class, its name or ``"self"``) names."""
    if isinstance(target, type):
        return target
    if target == "self":
        return owner  # type: ignore[no-any-return]
    name = target.rsplit(".", 1)[-1]
    try:
        return _MODELS[name]
    except KeyError:
        msg = f"Registry {target!r} (referenced by {owner.__name__}) is not defined."
        raise FieldError(msg) from None


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
            return super().__new__(mcs, name, bases, ns, **kw)
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
        manager_of_class(cls).expired_attribute_loader = _load_expired_attributes  # type: ignore[assignment]
        _MODELS[name] = cls
        _resolve_pending()
        return cls

    # --- the class-level query API -------------------------------------------------

    @property
    def objects(cls: Any) -> QuerySet[Any]:
        """All records, trash included (like Django's default manager)."""
        from .query_set import QuerySet

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
        from .query_set import QuerySet

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
        from .query_set import QuerySet

        return QuerySet(cls).get(idlike, **expressions)

    def to_dataframe(
        cls: Any,
        *,
        include: str | list[str] | None = None,
        features: str | list[str] | None = None,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """Evaluate the registry into a ``pandas.DataFrame`` (see ``QuerySet.to_dataframe``)."""
        from .query_set import QuerySet

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
        from .query_set import QuerySet

        return QuerySet(cls).search(string, field=field, limit=limit, case_sensitive=case_sensitive)

    def lookup(cls: Any, field: Any = None, return_field: Any = None, keep: Any = "first") -> Any:
        """Return an auto-complete object for a field (see ``QuerySet.lookup``)."""
        from .query_set import QuerySet

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
        from .query_db import open_instance
        from .query_set import QuerySet

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
    link = Table(
        f"{table}_{fname}",
        cls.metadata,
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
        UniqueConstraint(source_col, target_col),
    )
    return FieldInfo(
        name=fname,
        kind=MANY_TO_MANY,
        model=cls,
        target=spec.to,
        related_name=spec.related_name,
        link_table=link,
        source_column=source_col,
        target_column=target_col,
        doc=spec.doc,
    )


def _resolve_pending() -> None:
    """Add reverse accessors for relations whose target registry now exists."""
    for info in list(_PENDING):
        target = info.target
        if not isinstance(target, type):
            name = "self" if target in ("self", info.model.__name__) else target
            if name != "self" and name not in _MODELS:
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
                related_name=info.name,
            )
        target_cls._meta.add(reverse)
        setattr(target_cls, related_name, RelatedManagerDescriptor(reverse))


class Base(DeclarativeBase, metaclass=Registry):
    """The declarative base holding every registry's table."""

    __allow_unmapped__ = True
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Base, "load", propagate=True)
def _remember_instance(target: Any, context: Any) -> None:
    target._lp_instance = context.session.info.get("instance")


def life_cycle_values(model: Any, branch_id: int) -> dict[str, Any]:
    """Column values that move records to another branch (and stamp ``updated_at``)."""
    values: dict[str, Any] = {"branch_id": branch_id}
    if "updated_at" in model._meta.fields:
        from ..core._types import utcnow

        values["updated_at"] = utcnow()
    return values


def table_of(model: Any) -> Table:
    """The :class:`~sqlalchemy.Table` of a registry (typed for mypy)."""
    return model.__table__  # type: ignore[no-any-return]


def _load_expired_attributes(state: Any, attribute_names: Any, passive: Any) -> None:
    """Load expired or deferred columns, also for records detached from any session.

    Records are detached between operations; a column left out by ``only()``/``defer()``
    is loaded on first access with one query through the record's instance.
    """
    if state.session is not None:
        _sa_loading._load_scalar_attributes(state.mapper, state, attribute_names, passive)
        return
    record = state.obj()
    if record is None or not state.key or not attribute_names:
        return
    from sqlalchemy import select

    table = type(record).__table__
    names = sorted(attribute_names)
    with record_instance(record).read_session() as session:
        row = session.execute(
            select(*[table.c[n] for n in names]).where(table.c.id == state.key[1][0])
        ).first()
    if row is None:
        from ..errors import DoesNotExist

        msg = f"{type(record).__name__} {record._ident()} no longer exists in the database."
        raise DoesNotExist(msg)
    for name, value in zip(names, row, strict=True):
        attributes.set_committed_value(record, name, value)


def record_instance(record: Any) -> Instance:
    """The instance a record was loaded from or saved to (else the current one)."""
    inst = record.__dict__.get("_lp_instance")
    if inst is None:
        from ..core._settings import settings

        inst = settings.instance
    ensure_registry_table(inst, type(record))
    return inst  # type: ignore[no-any-return]


#: (database URL, pid) -> registries whose tables are known to exist there.
_CREATED: dict[tuple[str, int], set[type]] = {}


def _is_user_registry(model: Any) -> bool:
    return not model.__module__.startswith("lamin_pipes.")


def _connected_user_registries(model: Any) -> list[Any]:
    """``model`` and every user registry reachable from it through relations."""
    found = [model]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        for info in current._meta.fields.values():
            if not info.is_relation:
                continue
            try:
                related = info.related_model
            except FieldError:
                continue  # a forward reference to a registry not defined yet
            if _is_user_registry(related) and related not in found:
                found.append(related)
    return found


def ensure_registry_table(inst: Instance, model: Any) -> None:
    """Create the tables of a user-defined registry on first use.

    Built-in registries are created by the shipped migrations; a registry defined by a
    user (a ``SQLRecord`` subclass outside lamin_pipes) gets its table, its link
    tables and those of the user registries it relates to here, once per process and
    database. Read-only instances are never written to.
    """
    import os

    if not _is_user_registry(model):
        return
    key = (inst.db, os.getpid())
    done = _CREATED.setdefault(key, set())
    if model in done or inst.read_only:
        return
    models = _connected_user_registries(model)
    tables: list[Table] = []
    for related in models:
        tables.append(related.__table__)
        tables.extend(
            f.link_table
            for f in related._meta.fields.values()
            if f.kind == MANY_TO_MANY and f.link_table is not None
        )
    model.metadata.create_all(inst.engine, tables=tables, checkfirst=True)
    done.update(models)


def _convert_integrity_error(error: sa_exc.IntegrityError, record: Any = None) -> IntegrityError:
    detail = str(error.orig) if error.orig is not None else str(error)
    what = f" {type(record).__name__}" if record is not None else ""
    msg = f"The database refused to write{what}: {detail.strip()}"
    return IntegrityError(msg)


def format_field_value(value: Any) -> str | None:
    """Format a field value for ``__repr__`` as lamindb does."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return None
    return str(value)


_REPR_LAST = ("created_at", "is_locked", "created_on", "version_tag", "is_latest")


class BaseSQLRecord(Base):
    """A record of a registry without the branch/space fields of :class:`SQLRecord`.

    Construct records with keyword arguments only; unknown fields raise
    :class:`~lamin_pipes.errors.FieldValidationError`.
    """

    __abstract__ = True
    _app_label = "lamindb"
    _name_field = "name"
    _lp_instance: Instance | None = None
    #: Raised by ``get`` when nothing matches (also ``ln.errors.DoesNotExist``).
    DoesNotExist = DoesNotExist
    #: Raised by ``get`` when several records match.
    MultipleResultsFound = MultipleResultsFound
    if TYPE_CHECKING:
        id: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        meta = cls._meta
        if args:
            msg = (
                f"{cls.__name__}() takes keyword arguments only, got positional {args!r}. "
                f"Valid fields: {', '.join(meta.valid_init_names())}"
            )
            raise FieldValidationError(msg)
        fields = meta.fields
        state = self.__dict__
        # Defaults go straight into the instance dict: a new record has no history to
        # track, and this keeps constructing thousands of records cheap.
        for attname, default, is_callable in meta.init_defaults():
            if attname not in kwargs:
                state[attname] = default() if is_callable else default
        for key, value in kwargs.items():
            found = fields.get(key)
            if found is None:
                if (
                    key.endswith("_id")
                    and key[:-3] in fields
                    and fields[key[:-3]].kind == FOREIGN_KEY
                ):
                    setattr(self, key, value)
                    continue
                msg = (
                    f"{key!r} is not a valid field for {cls.__name__}. "
                    f"Valid fields: {', '.join(meta.valid_init_names())}"
                )
                raise FieldValidationError(msg)
            if found.kind in (MANY_TO_MANY, REVERSE_M2M, REVERSE_FK):
                msg = (
                    f"Cannot set {key!r} when constructing a {cls.__name__}: save the record,"
                    f" then use .{key}.add(...)."
                )
                raise FieldValidationError(msg)
            setattr(self, key, value)

    # --- persistence ----------------------------------------------------------------

    def _check_writable(self) -> Instance:
        inst = record_instance(self)
        if inst.read_only:
            msg = (
                f"{type(self).__name__} records of instance {inst.name!r} are read-only "
                "here: they were loaded through QueryDB or Registry.connect()."
            )
            raise ReadOnlyInstanceError(msg)
        return inst

    def _check_not_locked(self, action: str) -> None:
        if "is_locked" not in type(self)._meta.fields or self.id is None:
            return
        history = attributes.get_history(self, "is_locked")
        was_locked = bool(history.deleted[0]) if history.deleted else bool(self.is_locked)  # type: ignore[attr-defined]
        if not was_locked:
            return
        if action == "save":
            changed = [
                c.key
                for c in type(self).__table__.columns  # type: ignore[attr-defined]
                if c.key != "is_locked" and attributes.get_history(self, c.key).has_changes()
            ]
            if not changed:
                return
            action = f"save changes to {', '.join(changed)} of"
        msg = (
            f"Cannot {action} {type(self).__name__} {self._ident()}: it is locked. "
            "Unlock it first with record.is_locked = False; record.save()."
        )
        raise RecordLockedError(msg)

    def _ident(self) -> str:
        uid = self.__dict__.get("uid")
        return f"'{uid}'" if uid else f"id={self.id}"

    def _label(self) -> str:
        """A short description for messages: ``Record 'Experiment'`` (else by uid/id)."""
        value = self.__dict__.get(type(self)._meta.name_field)
        if value is None:
            return f"{type(self).__name__} {self._ident()}"
        return f"{type(self).__name__} {value!r}"

    def _prepare_save(self) -> None:
        """Fill foreign keys assigned as unsaved objects, then run the mixins' hooks.

        Capability mixins (``TracksRun``, ``TracksUpdates``, …) define ``_before_save``;
        the hooks of a registry are collected from its MRO once and run in order.
        """
        state = self.__dict__
        if state.get("_lp_fk_assigned"):
            self._prepare_foreign_keys()
        for hook in _save_hooks(type(self)):
            hook(self)

    def _prepare_foreign_keys(self) -> None:
        for info in type(self)._meta.fk_fields:
            related = pending_related(self, info)
            if related is not None and getattr(self, info.attname) is None:
                if related.id is None:
                    msg = (
                        f"Save the {type(related).__name__} assigned to "
                        f"{type(self).__name__}.{info.name} before saving this record."
                    )
                    raise InvalidArgument(msg)
                setattr(self, info.attname, related.id)

    def save(self: T, *args: Any, **kwargs: Any) -> T:
        """Save the record to the database at once and return it.

        Examples:
            >>> import lamin_pipes as ln
            >>> project = ln.Project(name="save-example").save()
            >>> project.id is not None
            True
        """
        inst = self._check_writable()
        state = sa_inspect(self)
        if state.key is not None and not state.modified:
            return self  # saved and unchanged: nothing to write
        self._check_not_locked("save")
        self._prepare_save()
        try:
            with inst.session() as session:
                session.add(self)
                session.flush()
        except sa_exc.IntegrityError as error:
            raise _convert_integrity_error(error, self) from None
        self._lp_instance = inst
        self._after_save()
        return self

    def _after_save(self) -> None:
        """Hook for mixins (e.g. pending many-to-many links)."""

    def delete(self, permanent: bool | None = None) -> None:
        """Delete the record permanently (``BaseSQLRecord`` has no trash).

        Args:
            permanent: ``False`` raises, since soft delete is impossible here.
        """
        if permanent is False:
            msg = (
                f"Soft delete is not possible for {type(self).__name__}; use "
                "permanent=True or permanent=None."
            )
            raise InvalidArgument(msg)
        self._hard_delete()

    def _hard_delete(self) -> None:
        from sqlalchemy import delete as sa_delete

        inst = self._check_writable()
        self._check_not_locked("delete")
        if self.id is None:
            return
        table = table_of(type(self))
        try:
            with inst.session() as session:
                session.execute(sa_delete(table).where(table.c.id == self.id))
                if self in session:
                    session.expunge(self)
        except sa_exc.IntegrityError as error:
            msg = (
                f"Cannot delete {type(self).__name__} {self._ident()}: other records still "
                f"reference it ({error.orig})."
            )
            raise IntegrityError(msg) from None

    def refresh_from_db(
        self, using: Any = None, fields: list[str] | None = None, from_queryset: Any = None
    ) -> None:
        """Reload field values from the database (all of them, or only ``fields``)."""
        from sqlalchemy import select

        inst = record_instance(self)
        table = type(self).__table__  # type: ignore[attr-defined]
        names = [type(self)._meta.get_field(f).attname for f in fields] if fields else None
        columns = [table.c[n] for n in names] if names else list(table.columns)
        with inst.read_session() as session:
            row = session.execute(select(*columns).where(table.c.id == self.id)).first()
        if row is None:
            from ..errors import DoesNotExist

            msg = f"{type(self).__name__} {self._ident()} no longer exists in the database."
            raise DoesNotExist(msg)
        for column, value in zip(columns, row, strict=True):
            attributes.set_committed_value(self, column.key, value)
        for info in type(self)._meta.fk_fields:
            self.__dict__.pop(f"_lp_fk_{info.name}", None)

    async def arefresh_from_db(
        self, using: Any = None, fields: list[str] | None = None, from_queryset: Any = None
    ) -> None:
        """Async twin of :meth:`refresh_from_db`."""
        import asyncio

        await asyncio.to_thread(self.refresh_from_db, using, fields)

    # --- identity and display -------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):
            return False
        return self.id is not None and self.id == other.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id)) if self.id is not None else id(self)

    def __repr__(self, include_foreign_keys: bool = True) -> str:
        meta = type(self)._meta
        names = [
            f.name
            for f in meta.fields.values()
            if f.kind == COLUMN
            and f.name not in ("id", "updated_at")
            and not f.name.startswith("_")
        ]
        if include_foreign_keys:
            names += [f.attname for f in meta.fk_fields if f.attname]
        for last in _REPR_LAST:
            if last in names:
                names.remove(last)
                names.append(last)
        state = self.__dict__
        parts = []
        for name in names:
            formatted = format_field_value(state.get(name))
            if formatted is not None:
                parts.append(f"{name}={formatted}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


def _save_hooks(model: type) -> list[Any]:
    """The ``_before_save`` hooks of ``model``'s classes, most general first."""
    hooks = model.__dict__.get("_lp_save_hooks")
    if hooks is None:
        hooks = [
            k.__dict__["_before_save"]
            for k in reversed(model.__mro__)
            if "_before_save" in k.__dict__
        ]
        model._lp_save_hooks = hooks  # type: ignore[attr-defined]
    return hooks  # type: ignore[no-any-return]


def make_saved(record: Any, instance: Instance) -> None:
    """Mark a bulk-inserted record (its id already set) as saved and clean."""
    _make_detached(record)
    record._lp_instance = instance


class SQLRecord(BaseSQLRecord):
    """A record of a registry with a life cycle: branch (main/archive/trash) and space.

    Sub-classing ``SQLRecord`` creates a new registry; its table is created the first
    time it is used::

        from lamin_pipes import SQLRecord, fields

        class Experiment(SQLRecord):
            name: str = fields.CharField()

        experiment = Experiment(name="my experiment").save()
        df = Experiment.filter(name__startswith="my ").to_dataframe()
    """

    __abstract__ = True

    branch: Any = _fields.ForeignKey(
        "Branch",
        _fields.PROTECT,
        default=1,
        related_name="+",
        doc="Life cycle state: main (1), archive (0), trash (-1) or a user branch.",
    )
    space: Any = _fields.ForeignKey(
        "Space",
        _fields.PROTECT,
        default=1,
        related_name="+",
        doc="The space that governs access to the record.",
    )
    is_locked: bool = _fields.BooleanField(
        default=False, doc="Whether the record is locked for edits."
    )
    created_on: Any = _fields.ForeignKey(
        "Branch",
        _fields.PROTECT,
        default=1,
        related_name="+",
        doc="The branch on which the record was created.",
    )
    _aux: Any = _fields.JSONField(default=None, null=True, doc="Auxiliary fields (JSON).")

    def delete(self, permanent: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Delete the record: to the trash first, permanently with ``permanent=True``.

        A record already in the trash is deleted permanently. Deleting a type
        (``is_type=True``) deletes the records under it, too.

        Examples:
            >>> import lamin_pipes as ln
            >>> label = ln.ULabel(name="delete-example").save()
            >>> label.delete()
            >>> label.branch_id
            -1
            >>> label.restore()
            >>> label.branch_id
            1
        """
        self._check_writable()
        self._check_not_locked("delete")
        if self.id is None:
            msg = f"Cannot delete an unsaved {type(self).__name__}."
            raise InvalidArgument(msg)
        is_type = bool(self.__dict__.get("is_type"))
        inst = record_instance(self)
        if permanent is True or (permanent is None and self.branch_id == -1):  # type: ignore[attr-defined]
            with inst.atomic():
                if is_type:
                    from .has_type import delete_type_tree

                    delete_type_tree(self)
                self._hard_delete()
            return
        with inst.atomic():
            if is_type:
                self.query_records().update(branch_id=-1)  # type: ignore[attr-defined]
            self._set_branch(-1)

    def restore(self) -> None:
        """Restore the record from the trash onto the main branch."""
        self._check_writable()
        self._set_branch(1)

    def _set_branch(self, branch_id: int) -> None:
        from sqlalchemy import update

        table = table_of(type(self))
        inst = record_instance(self)
        values = life_cycle_values(type(self), branch_id)
        with inst.session() as session:
            session.execute(update(table).where(table.c.id == self.id).values(**values))
        for key, value in values.items():
            attributes.set_committed_value(self, key, value)
        self.__dict__.pop("_lp_fk_branch", None)
