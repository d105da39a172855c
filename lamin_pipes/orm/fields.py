"""Django-style field constructors for defining registries.

Sub-classing :class:`~lamin_pipes.models.SQLRecord` with these fields creates a new
registry with its own table; defaults follow lamindb (``max_length=255``,
``default=None``, ``null=False``)::

    from lamin_pipes import SQLRecord, fields

    class Experiment(SQLRecord):
        name: str = fields.CharField()

Each constructor returns a field specification; the registry metaclass turns it into a
SQLAlchemy column (or a relation) when the class is created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Float, Integer, String, Text
from sqlalchemy.orm import mapped_column

from ..core._types import JSONType, UTCDateTime, utcnow

__all__ = [
    "CASCADE",
    "PROTECT",
    "SET_NULL",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "ManyToManyField",
    "TextField",
]

CASCADE = "CASCADE"
PROTECT = "PROTECT"
SET_NULL = "SET NULL"
_ON_DELETE = {CASCADE, PROTECT, SET_NULL, "RESTRICT"}

_UNSET: Any = object()


@dataclass
class ColumnSpec:
    """A scalar column: its kind, constraints and default."""

    kind: str
    max_length: int | None = None
    default: Any = None
    null: bool = False
    unique: bool = False
    db_index: bool = False
    primary_key: bool = False
    editable: bool = True
    doc: str | None = None

    @property
    def is_str(self) -> bool:
        return self.kind in ("char", "text")

    def sa_type(self) -> Any:
        kind = self.kind
        if kind == "char":
            return String(self.max_length)
        types: dict[str, Callable[[], Any]] = {
            "text": Text,
            "int": Integer,
            "bigint": BigInteger,
            "float": Float,
            "bool": Boolean,
            "datetime": UTCDateTime,
            "date": Date,
            "json": JSONType,
        }
        return types[kind]()

    def make_column(self) -> Any:
        return mapped_column(
            self.sa_type(),
            nullable=self.null,
            unique=self.unique or None,
            index=(self.db_index and not self.unique) or None,
            primary_key=self.primary_key,
            doc=self.doc,
        )


@dataclass
class ForeignKeySpec:
    """A many-to-one relation stored in a ``<name>_id`` column."""

    to: Any
    on_delete: str = CASCADE
    null: bool = False
    related_name: str | None = None
    default: Any = None
    db_index: bool = True
    doc: str | None = None


@dataclass
class ManyToManySpec:
    """A many-to-many relation stored in a link table."""

    to: Any
    related_name: str | None = None
    doc: str | None = None
    #: A registry whose id qualifies each link (a nullable ``<name>_id`` column of the
    #: link table): a pair may be linked once per qualifier, and once without one.
    qualifier: Any = None


def _check_on_delete(on_delete: str) -> str:
    value = on_delete.upper() if isinstance(on_delete, str) else on_delete
    if value not in _ON_DELETE:
        msg = f"Invalid on_delete {on_delete!r}. Valid options: {sorted(_ON_DELETE)}"
        raise ValueError(msg)
    return value


def _column(kind: str, default: Any, null: bool, unique: bool, db_index: bool, **kw: Any) -> Any:
    return ColumnSpec(kind=kind, default=default, null=null, unique=unique, db_index=db_index, **kw)


def CharField(
    max_length: int = 255,
    *,
    default: Any = None,
    null: bool = False,
    unique: bool = False,
    db_index: bool = False,
    primary_key: bool = False,
    editable: bool = True,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A string column of at most ``max_length`` characters.

    Examples:
        >>> CharField(max_length=30).max_length
        30
    """
    del blank
    return _column(
        "char",
        default,
        null,
        unique,
        db_index,
        max_length=max_length,
        primary_key=primary_key,
        editable=editable,
        doc=doc,
    )


def TextField(
    *,
    default: Any = None,
    null: bool = False,
    unique: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """An unbounded text column."""
    del blank
    return _column("text", default, null, unique, db_index, doc=doc)


def IntegerField(
    *,
    default: Any = None,
    null: bool = False,
    unique: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A 32-bit integer column."""
    del blank
    return _column("int", default, null, unique, db_index, doc=doc)


def BigIntegerField(
    *,
    default: Any = None,
    null: bool = False,
    unique: bool = False,
    db_index: bool = False,
    editable: bool = True,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A 64-bit integer column."""
    del blank, editable
    return _column("bigint", default, null, unique, db_index, doc=doc)


def FloatField(
    *,
    default: Any = None,
    null: bool = False,
    unique: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A double-precision float column."""
    del blank
    return _column("float", default, null, unique, db_index, doc=doc)


def BooleanField(
    *,
    default: Any = False,
    null: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A boolean column (default ``False``)."""
    del blank
    return _column("bool", default, null, unique=False, db_index=db_index, doc=doc)


def DateTimeField(
    *,
    default: Any = None,
    null: bool = False,
    db_index: bool = False,
    auto_now_add: bool = False,
    editable: bool = True,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A timezone-aware datetime column stored in UTC.

    ``auto_now_add=True`` fills in the current time when the record is created.
    """
    del blank
    if auto_now_add:
        default = utcnow
    return _column(
        "datetime", default, null, unique=False, db_index=db_index, editable=editable, doc=doc
    )


def DateField(
    *,
    default: Any = None,
    null: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A date column."""
    del blank
    return _column("date", default, null, unique=False, db_index=db_index, doc=doc)


def JSONField(
    *,
    default: Any = None,
    null: bool = False,
    db_index: bool = False,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    del blank
    return _column("json", default, null, unique=False, db_index=db_index, doc=doc)


def ForeignKey(
    to: Any,
    on_delete: str = CASCADE,
    *,
    null: bool = False,
    related_name: str | None = None,
    default: Any = None,
    db_index: bool = True,
    blank: bool = True,
    doc: str | None = None,
) -> Any:
    """A many-to-one relation to ``to`` (a registry, its name, or ``"self"``).

    The id is stored in the column ``<name>_id``; ``related_name`` names the reverse
    accessor on ``to`` (``"+"`` for none).
    """
    del blank
    return ForeignKeySpec(
        to=to,
        on_delete=_check_on_delete(on_delete),
        null=null,
        related_name=related_name,
        default=default,
        db_index=db_index,
        doc=doc,
    )


def ManyToManyField(
    to: Any,
    *,
    related_name: str | None = None,
    through: Any = None,
    symmetrical: bool = False,
    blank: bool = True,
    doc: str | None = None,
    qualifier: Any = None,
) -> Any:
    """A many-to-many relation to ``to`` through a link table.

    Links are managed with the accessor's ``add``, ``remove``, ``set`` and ``clear``.
    ``qualifier`` (a registry or its name) adds a nullable foreign key to the link
    table that says in which role a pair is linked, as lamindb's link models carry a
    ``feature``: the same pair may then be linked once per qualifier.

    Examples:
        >>> ManyToManyField("ULabel", qualifier="Feature").qualifier
        'Feature'
    """
    del blank, through, symmetrical
    return ManyToManySpec(to=to, related_name=related_name, doc=doc, qualifier=qualifier)
