"""The registry base classes: ``BaseSQLRecord`` and ``SQLRecord``.

A registry is a SQLAlchemy declarative class whose fields are declared with
:mod:`lamin_pipes.orm.fields`. The :class:`Registry` metaclass turns field specifications
into columns, foreign keys and link tables, records them in ``cls._meta`` and carries
the class-level query API (``filter``, ``get``, ``to_dataframe``, ``search``,
``lookup``, ``connect``).

Records are active records: ``record.save()`` writes at once, in its own transaction
unless an ``ln.atomic()`` block is open. Between operations records are detached from
any session, so unsaved edits never leak into another record's save.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import MetaData, event, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, attributes

from ..core._settings import settings
from ..errors import (
    DoesNotExist,
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
    MultipleResultsFound,
    ReadOnlyInstanceError,
    RecordLockedError,
)
from . import fields as _fields
from ._indexes import declare_pending
from ._options import (
    COLUMN,
    FOREIGN_KEY,
    MANY_TO_MANY,
    REVERSE_FK,
    REVERSE_M2M,
)
from ._records import (
    become_existing,
    convert_integrity_error,
    format_field_value,
    life_cycle_values,
    record_instance,
    table_of,
)
from ._registry import NAMING_CONVENTION, Registry
from ._relations import pending_related
from ._values import check_key, check_record

if TYPE_CHECKING:
    from ..core._instance import Instance

T = TypeVar("T", bound="BaseSQLRecord")
logger = logging.getLogger("lamin_pipes")


class Base(DeclarativeBase, metaclass=Registry):
    """The declarative base holding every registry's table."""

    __allow_unmapped__ = True
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def schema_metadata() -> MetaData:
    """The complete table metadata of all registries, for schema work (migrations, tests).

    Some indexes are only declared on demand (see :mod:`lamin_pipes.orm._indexes`);
    this declares them.
    """
    declare_pending()
    return Base.metadata


@event.listens_for(Base, "load", propagate=True)
def _remember_instance(target: Any, context: Any) -> None:
    target._lp_instance = context.session.info.get("instance")


_REPR_LAST = ("created_at", "is_locked", "created_on", "version_tag", "is_latest")


class BaseSQLRecord(Base):
    """A record of a registry without the branch/space fields of :class:`SQLRecord`.

    Construct records with keyword arguments only. As in lamindb, construction
    refuses an unknown field or a missing required one with
    :class:`~lamin_pipes.errors.FieldValidationError`, and a ``key`` with ``.`` or
    ``..`` segments with :class:`~lamin_pipes.errors.InvalidArgument`. Registries add
    their own checks as ``_check_init(self, kwargs)`` hooks (collected from the MRO).
    """

    __abstract__ = True
    _app_label = "lamindb"
    _name_field = "name"
    #: lamindb filters this registry by features too: a ``filter()`` keyword that is no
    #: field raises ``InvalidArgument``, not ``FieldError`` (see ``orm._feature_keywords``).
    _filter_by_features: bool = False
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
        search_names = kwargs.pop("_search_names", None)
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
        # lamindb validates at construction, before anything reaches the database:
        # after the field names, the required fields, the key's path segments and the
        # registry's own checks.
        missing = [name for name in _required_on_init(cls) if kwargs.get(name) is None]
        if missing:
            msg = (
                f"{missing!r} are required: pass them to {cls.__name__}(), e.g. "
                f"{cls.__name__}({missing[0]}=...)."
            )
            raise FieldValidationError(msg)
        if kwargs.get("key") is not None and "key" in fields:
            check_key(kwargs["key"], cls.__name__)
        for hook in _hooks(cls, "_check_init"):
            hook(self, kwargs)
        # Registries may answer a construction with an existing record (lamindb's
        # "returning existing record with same name"): the hook finds it, and this
        # record then stands for it (see ``become_existing``).
        find_existing = getattr(cls, "_existing_on_init", None)
        if find_existing is not None and "uid" not in kwargs:
            if search_names is None:
                search_names = settings.creation.search_names
            if search_names:
                existing = find_existing(kwargs)
                if existing is not None:
                    become_existing(self, existing, kwargs)

    @property
    def pk(self) -> int:
        """The primary key: another name for ``id``, as in Django (``None`` until saved)."""
        return self.id

    @pk.setter
    def pk(self, value: int) -> None:
        self.id = value

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
        for hook in _hooks(type(self), "_before_save"):
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
        check_record(self, required=False)
        self._prepare_save()
        check_record(self, types=False)
        try:
            with inst.session() as session:
                session.add(self)
                session.flush()
        except sa_exc.IntegrityError as error:
            raise convert_integrity_error(error, self) from None
        self._lp_instance = inst
        return self

    def delete(self, permanent: bool | None = None) -> None:
        """Delete the record permanently (``BaseSQLRecord`` has no trash).

        Args:
            permanent: ``False`` raises, since soft delete is impossible here.

        Raises:
            InvalidArgument: For ``permanent=False``, or when the record was never
                saved (as lamindb, which has Django refuse a record without an id).
        """
        if permanent is False:
            msg = (
                f"Soft delete is not possible for {type(self).__name__}; use "
                "permanent=True or permanent=None."
            )
            raise InvalidArgument(msg)
        if self.id is None:
            msg = f"Cannot delete {type(self).__name__} {self._label()}: it was never saved."
            raise InvalidArgument(msg)
        self._hard_delete()

    def _hard_delete(self) -> None:
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
        inst = record_instance(self)
        table = type(self).__table__  # type: ignore[attr-defined]
        names = [type(self)._meta.get_field(f).attname for f in fields] if fields else None
        columns = [table.c[n] for n in names] if names else list(table.columns)
        with inst.read_session() as session:
            row = session.execute(select(*columns).where(table.c.id == self.id)).first()
        if row is None:
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


def _hooks(model: type, name: str) -> list[Any]:
    """The ``name`` hooks (``_before_save``, …) of ``model``'s classes, most general first.

    Collected from the MRO once per registry, so a mixin's hook runs whatever its
    position among the bases.
    """
    cache = model.__dict__.get("_lp_hooks")
    if cache is None:
        cache = {}
        model._lp_hooks = cache  # type: ignore[attr-defined]
    hooks = cache.get(name)
    if hooks is None:
        hooks = [k.__dict__[name] for k in reversed(model.__mro__) if name in k.__dict__]
        cache[name] = hooks
    return hooks  # type: ignore[no-any-return]


def _required_on_init(model: Any) -> tuple[str, ...]:
    """The scalar fields a constructor must be given: not nullable and without a default.

    lamindb's rule (``['name'] are required.``). Foreign keys are left out: registries
    such as ``Artifact`` fill theirs (``storage``) on save, and ``Run`` checks its
    ``transform`` itself. Computed once per registry.
    """
    cached = model.__dict__.get("_lp_required_on_init")
    if cached is None:
        cached = tuple(
            info.name
            for info in model._meta.fields.values()
            if info.kind == COLUMN
            and not info.null
            and info.default is None
            and not (info.spec is not None and info.spec.primary_key)
        )
        model._lp_required_on_init = cached
    return cached  # type: ignore[no-any-return]


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

        A record already in the trash is deleted permanently; an unsaved record is
        left alone with a warning (as lamindb). Capability mixins act
        first, in the same transaction, through ``_before_delete(permanent=...)``
        hooks: deleting a type (``is_type=True``) deletes the records under it, too.

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
        if self.id is None:  # lamindb: a warning, and nothing happens
            logger.warning("%s is not saved yet: delete() has no effect", self._label())
            return
        self._check_writable()
        self._check_not_locked("delete")
        inst = record_instance(self)
        permanent = permanent is True or (permanent is None and self.branch_id == -1)  # type: ignore[attr-defined]
        with inst.atomic():
            for hook in _hooks(type(self), "_before_delete"):
                hook(self, permanent=permanent)
            if permanent:
                self._hard_delete()
            else:
                self._set_branch(-1)

    def restore(self) -> None:
        """Restore the record from the trash onto the main branch."""
        self._check_writable()
        self._set_branch(1)

    def _set_branch(self, branch_id: int) -> None:
        table = table_of(type(self))
        inst = record_instance(self)
        values = life_cycle_values(type(self), branch_id)
        with inst.session() as session:
            session.execute(update(table).where(table.c.id == self.id).values(**values))
        for key, value in values.items():
            attributes.set_committed_value(self, key, value)
        self.__dict__.pop("_lp_fk_branch", None)
