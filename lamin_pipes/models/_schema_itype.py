"""A schema's ``itype``: the registry field that names a dataset's columns.

A DataFrame's columns are usually features (``itype="Feature"``: column names are
``Feature.name`` values). The columns of a transposed ``var`` (``var.T`` of an AnnData)
are gene identifiers instead: ``itype`` then names another registry and field, e.g.
``"Record[<uid of the Gene type>]"`` (names of records of a type) or ``"Gene.symbol"``
(a field of a user registry). The stored string is ``Registry[<type uid>].field``,
where the type and the field are optional (the field defaults to the registry's name
field), as feature dtypes store their categorical targets.

Examples:
    >>> import lamin_pipes as ln
    >>> serialize_itype(ln.Feature), serialize_itype(ln.Record.name)
    ('Feature', 'Record')
    >>> serialize_itype(ln.ULabel.uid)
    'ULabel.uid'
    >>> gene = ln.Record(name="Gene", is_type=True).save()
    >>> serialize_itype(gene) == f"Record[{gene.uid}]" == serialize_itype("Record[Gene]")
    True
    >>> parse_itype(f"Record[{gene.uid}]").field
    'name'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgument
from ..orm._catalog import model_named
from ._dtypes import CatTarget, _resolve_type

_ITYPE = re.compile(
    r"^(?P<registry>[A-Za-z_][A-Za-z0-9_.]*?)(?:\[(?P<type>.*)\])?(?:\.(?P<field>[a-z_][a-z0-9_]*))?$"
)
_FORMS = (
    "ln.Feature, a feature type, a registry (ln.Record), a registry field (ln.Record.name, "
    "Gene.symbol), a type record (a Record with is_type=True), or a string such as "
    "'Feature', 'Record[Gene]', 'ULabel.uid'"
)


def _invalid(itype: Any, reason: str = "") -> InvalidArgument:
    extra = f" ({reason})" if reason else ""
    return InvalidArgument(f"Invalid itype {itype!r}{extra}. Valid: {_FORMS}.")


@dataclass(frozen=True)
class Itype:
    """A parsed itype.

    Attributes:
        registry: The registry's class name (``"Feature"``, ``"Record"``, ``"Gene"``).
        field: The string field holding the identifiers.
        type_uid: The uid of the type whose records are valid identifiers, if any.
    """

    registry: str
    field: str
    type_uid: str | None = None

    @property
    def model(self) -> Any:
        """The registry class."""
        return model_named(self.registry)

    @property
    def is_feature(self) -> bool:
        """Whether the identifiers are feature names (the columns are features)."""
        return self.registry == "Feature" and self.field == "name"

    def text(self) -> str:
        """The stored form."""
        out = self.registry
        if self.type_uid is not None:
            out += f"[{self.type_uid}]"
        if self.field != _name_field(self.model):
            out += f".{self.field}"
        return out


def _name_field(model: Any) -> str:
    return getattr(model, "_name_field", "name") if model is not None else "name"


def _registry(model: Any) -> bool:
    return isinstance(model, type) and hasattr(model, "_meta") and hasattr(model, "__table__")


def _check_field(model: Any, field: str, itype: Any) -> None:
    if field not in model._meta.str_fields:
        raise _invalid(
            itype,
            f"{model.__name__} has no string field {field!r}; use one of "
            f"{', '.join(model._meta.str_fields)}",
        )


def serialize_itype(itype: Any) -> str:
    """The stored itype for what a user passes as ``Schema(itype=...)``.

    Raises:
        InvalidArgument: For anything that names no registry field.
    """
    if isinstance(itype, str):
        parsed = parse_itype(itype)
        if parsed.type_uid is not None and model_named(parsed.registry) is not None:
            found = _resolve_type(CatTarget(parsed.registry, parsed.field, parsed.type_uid), itype)
            parsed = Itype(parsed.registry, parsed.field, found.uid)
        return parsed.text()
    if _registry(itype):
        return Itype(itype.__name__, _name_field(itype)).text()
    model: Any = getattr(itype, "class_", None)
    key = getattr(itype, "key", None)
    if _registry(model) and isinstance(key, str):
        _check_field(model, key, itype)
        return Itype(model.__name__, key).text()
    model = type(itype)
    if _registry(model) and "is_type" in model._meta.fields:
        if itype.id is None:
            msg = f"Please save the type {itype._label()} before using it as itype."
            raise InvalidArgument(msg)
        if not itype.is_type:
            raise _invalid(itype, f"{itype._label()} is no type (is_type=False)")
        return Itype(model.__name__, _name_field(model), itype.uid).text()
    raise _invalid(itype)


@functools.lru_cache(maxsize=512)
def parse_itype(text: str) -> Itype:
    """Parse a stored (or user-written) itype string.

    Raises:
        InvalidArgument: If it is malformed or names no registry.
    """
    match = _ITYPE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _invalid(text)
    registry = match["registry"].rsplit(".", 1)[-1]  # "bionty.Gene" -> "Gene"
    field = match["field"]
    model = model_named(registry)
    if model is None and match["type"] is None and field is None and "." in match["registry"]:
        head, _, tail = match["registry"].rpartition(".")  # "Gene.symbol"
        registry, field, model = head.rsplit(".", 1)[-1], tail, model_named(head)
    if model is None:
        raise _invalid(text, f"no registry named {registry!r}")
    field = field or _name_field(model)
    _check_field(model, field, text)
    type_ref = match["type"]
    if type_ref is not None:
        type_ref = type_ref.strip()
        if not type_ref or "is_type" not in model._meta.fields:
            raise _invalid(text, f"{registry} has no types")
    return Itype(registry=model.__name__, field=field, type_uid=type_ref)


def itype_records(itype: Itype) -> Any:
    """The query set of records whose field values are valid identifiers.

    Records of the type (and its sub-types) when the itype names one; otherwise all
    records of the registry (types themselves excluded where the registry has types).
    """
    model = itype.model
    if itype.type_uid is None:
        qs = model.filter()
        return qs.filter(is_type=False) if "is_type" in model._meta.fields else qs
    type_record = model.filter(uid=itype.type_uid).one_or_none()
    if type_record is None:
        return model.filter().none()
    return type_record.query_records().filter(is_type=False)


__all__ = ["Itype", "itype_records", "parse_itype", "serialize_itype"]
