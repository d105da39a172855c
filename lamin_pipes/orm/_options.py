"""Per-registry metadata (``Registry._meta``): the fields and relations of a registry.

The query compiler, ``to_dataframe``, ``__repr__`` and record construction read fields
from here, never from SQLAlchemy internals directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import FieldError
from ._catalog import resolve_model

if TYPE_CHECKING:
    from sqlalchemy import Column, Table

    from .fields import ColumnSpec
    from .sqlrecord import BaseSQLRecord

COLUMN = "column"
FOREIGN_KEY = "fk"
MANY_TO_MANY = "m2m"
REVERSE_FK = "reverse_fk"
REVERSE_M2M = "reverse_m2m"

#: Field kinds that hold many related records.
MULTI_VALUED = (MANY_TO_MANY, REVERSE_FK, REVERSE_M2M)


@dataclass(eq=False)
class FieldInfo:
    """One field of a registry.

    Attributes:
        name: The attribute name (``"name"``, ``"created_by"``, ``"parents"``).
        kind: One of ``column``, ``fk``, ``m2m``, ``reverse_fk``, ``reverse_m2m``.
        model: The registry that owns the field.
        attname: For columns and foreign keys, the column attribute (``created_by_id``).
        spec: The column specification, for columns.
        target: For relations, the related registry (or its name until resolved).
        related_name: For forward relations, the reverse accessor on ``target``.
        link_table: For many-to-many relations, the link table.
        source_column: Link-table column pointing to ``model`` (m2m) or FK column on
            ``target`` pointing to ``model`` (reverse FK).
        target_column: Link-table column pointing to ``target``.
        qualifier_column: For many-to-many relations with a qualifier, the link-table
            column that holds it (``feature_id``).
        null: Whether the field accepts ``None``.
        on_delete: For foreign keys, the ``ON DELETE`` action.
    """

    name: str
    kind: str
    model: Any
    attname: str = ""
    spec: ColumnSpec | None = None
    target: Any = None
    related_name: str | None = None
    link_table: Table | None = None
    source_column: str = ""
    target_column: str = ""
    qualifier_column: str = ""
    null: bool = True
    on_delete: str | None = None
    default: Any = None
    doc: str | None = None

    @property
    def is_relation(self) -> bool:
        return self.kind != COLUMN

    @property
    def is_multi(self) -> bool:
        return self.kind in MULTI_VALUED

    @property
    def is_str(self) -> bool:
        return self.kind == COLUMN and self.spec is not None and self.spec.is_str

    @property
    def related_model(self) -> type[BaseSQLRecord]:
        if not isinstance(self.target, type):
            self.target = resolve_model(self.target, self.model)
        return self.target  # type: ignore[no-any-return]

    @property
    def column(self) -> Column[Any]:
        """The SQLAlchemy column of a column or foreign-key field."""
        return self.model.__table__.c[self.attname]  # type: ignore[no-any-return]

    @property
    def link(self) -> Table:
        """The link table of a many-to-many field."""
        if self.link_table is None:
            msg = f"{self.model.__name__}.{self.name} is not a many-to-many field."
            raise FieldError(msg)
        return self.link_table


@dataclass(eq=False)
class Options:
    """Metadata of one registry, like Django's ``Model._meta``."""

    model: Any
    table_name: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    name_field: str = "name"

    def add(self, info: FieldInfo) -> None:
        self.fields[info.name] = info

    @property
    def column_fields(self) -> list[FieldInfo]:
        return [f for f in self.fields.values() if f.kind == COLUMN]

    @property
    def fk_fields(self) -> list[FieldInfo]:
        return [f for f in self.fields.values() if f.kind == FOREIGN_KEY]

    @property
    def concrete_fields(self) -> list[FieldInfo]:
        """Columns and foreign keys: the fields stored in the registry's table."""
        return [f for f in self.fields.values() if f.kind in (COLUMN, FOREIGN_KEY)]

    @property
    def str_fields(self) -> list[str]:
        """Names of string columns, in definition order (uid last)."""
        names = [f.name for f in self.column_fields if f.is_str and not f.name.startswith("_")]
        if "uid" in names:
            names.remove("uid")
            names.append("uid")
        return names

    def attnames(self) -> list[str]:
        """Column attribute names in table order (``id``, ``uid``, …, ``created_by_id``)."""
        return [c.key for c in self.model.__table__.columns]

    def init_defaults(self) -> list[tuple[str, Any, bool]]:
        """``(attname, default, is_callable)`` of every column set at construction."""
        cached = self.__dict__.get("_init_defaults")
        if cached is None:
            cached = []
            for f in self.fields.values():
                if (f.kind == COLUMN and f.name != "id") or f.kind == FOREIGN_KEY:
                    cached.append((f.attname, f.default, callable(f.default)))
            self.__dict__["_init_defaults"] = cached
        return cached  # type: ignore[no-any-return]

    def valid_init_names(self) -> list[str]:
        names: list[str] = []
        for f in self.fields.values():
            if f.kind == COLUMN:
                names.append(f.name)
            elif f.kind == FOREIGN_KEY:
                names.extend([f.name, f.attname or f"{f.name}_id"])
        return names

    def lookup_names(self) -> list[str]:
        """Every name a query may start with (fields plus ``<fk>_id``)."""
        names = list(self.fields)
        names.extend(f.attname for f in self.fk_fields if f.attname)
        return sorted(set(names))

    def get_field(self, name: str) -> FieldInfo:
        """Return the field called ``name`` (``<fk>_id`` names resolve to the FK).

        Raises:
            FieldError: Naming the unknown field and listing the available ones.
        """
        info = self.fields.get(name)
        if info is not None:
            return info
        if name.endswith("_id"):
            fk = self.fields.get(name[:-3])
            if fk is not None and fk.kind == FOREIGN_KEY:
                return fk
        if name == "pk":
            return self.fields["id"]
        available = ", ".join(self.lookup_names())
        msg = f"Unknown field '{name}'. Available fields: {available}"
        raise FieldError(msg)
