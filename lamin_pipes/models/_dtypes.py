"""Feature data types: parsing, serializing and checking values against them.

A feature's ``dtype`` is stored as a string (``Feature._dtype_str``), as in lamindb:

- simple types: ``num, int, float, str, bool, date, datetime, dict, path, url``;
- categoricals, whose values are records of a registry: ``cat[ULabel]``,
  ``cat[Record]``, ``cat[Project]``, optionally with the field that names a value
  (``cat[ULabel.reference]``), restricted to the records of one type
  (``cat[ULabel[<type uid>]]``, stored by uid; a type's name is accepted on input) or
  a union (``cat[ULabel|Record]``);
- lists of either: ``list[int]``, ``list[cat[ULabel]]``.

Registries (``ln.ULabel``), type records, Python types (``int``, ``datetime.date``)
and ``list[...]`` of them are accepted where a string is (:func:`serialize_dtype`).

Examples:
    >>> parse_dtype("list[cat[ULabel|Record]]").registries
    ('ULabel', 'Record')
    >>> parse_dtype("cat[ULabel[Abc123Def456]]").targets[0].type_uid
    'Abc123Def456'
    >>> parse_dtype("int").is_cat, parse_dtype("list[int]").is_list
    (False, True)
    >>> parse_dtype("integer")
    Traceback (most recent call last):
    ...
    lamin_pipes.errors.ValidationError: Invalid dtype 'integer'. Valid dtypes: num, int, float, str, bool, date, datetime, dict, path, url, cat[ULabel], cat[Record], cat[Project], cat[ULabel[<type name or uid>]], cat[ULabel|Record], list[<dtype>], or a registry such as ln.ULabel.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, get_args, get_origin

from ..errors import InvalidArgument, ValidationError
from ..orm._catalog import model_named

#: The simple (non-categorical) dtypes, in lamindb's order.
SIMPLE_DTYPES = ("num", "int", "float", "str", "bool", "date", "datetime", "dict", "path", "url")
#: Registries whose records can be the values of a categorical feature.
CAT_REGISTRIES = ("ULabel", "Record", "Project")
#: Registries whose records can be types in ``cat[Registry[<type>]]``.
TYPED_REGISTRIES = ("ULabel", "Record", "Project")

VALID_FORMS = (
    ", ".join(SIMPLE_DTYPES) + ", cat[ULabel], cat[Record], cat[Project], "
    "cat[ULabel[<type name or uid>]], cat[ULabel|Record], list[<dtype>], "
    "or a registry such as ln.ULabel"
)

_PYTHON_TYPES: dict[Any, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    dict: "dict",
    dt.date: "date",
    dt.datetime: "datetime",
    PurePath: "path",
}
_TARGET = re.compile(
    r"^(?P<registry>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<type>.*)\])?(?:\.(?P<field>[a-z_]+))?$"
)


def _invalid(text: Any, reason: str = "") -> ValidationError:
    extra = f" ({reason})" if reason else ""
    return ValidationError(f"Invalid dtype {text!r}{extra}. Valid dtypes: {VALID_FORMS}.")


@dataclass(frozen=True)
class CatTarget:
    """One registry of a categorical dtype.

    Attributes:
        registry: The registry's class name (``"ULabel"``).
        field: The field that names a value (the registry's name field by default).
        type_ref: The type that values must belong to, as written (a uid once stored).
    """

    registry: str
    field: str
    type_ref: str | None = None

    @property
    def model(self) -> Any:
        """The registry class."""
        return model_named(self.registry)

    @property
    def type_uid(self) -> str | None:
        """The uid of the type values must belong to (stored dtypes hold uids)."""
        return self.type_ref

    def text(self) -> str:
        out = self.registry
        if self.type_ref is not None:
            out += f"[{self.type_ref}]"
        if self.field != _name_field(self.registry):
            out += f".{self.field}"
        return out


@dataclass(frozen=True)
class Dtype:
    """A parsed dtype string.

    Attributes:
        text: The dtype string.
        base: A simple dtype, or ``"cat"``.
        is_list: Whether values are lists of ``base``.
        targets: For categoricals, the registries values may come from.
    """

    text: str
    base: str
    is_list: bool = False
    targets: tuple[CatTarget, ...] = ()

    @property
    def is_cat(self) -> bool:
        return self.base == "cat"

    @property
    def registries(self) -> tuple[str, ...]:
        return tuple(t.registry for t in self.targets)

    @property
    def is_numeric(self) -> bool:
        return self.base in ("int", "float", "num") and not self.is_list


def _name_field(registry: str) -> str:
    model = model_named(registry)
    return getattr(model, "_name_field", "name") if model is not None else "name"


@functools.lru_cache(maxsize=1024)
def parse_dtype(text: str) -> Dtype:
    """Parse a dtype string (without looking anything up in the database).

    Raises:
        ValidationError: Naming the string and listing the valid forms.
    """
    if not isinstance(text, str):
        raise _invalid(text)
    stripped = text.strip()
    is_list = False
    inner = stripped
    if inner.startswith("list[") and inner.endswith("]"):
        is_list = True
        inner = inner[5:-1].strip()
        if inner.startswith("list["):
            raise _invalid(text, "lists of lists are not supported")
    if inner in SIMPLE_DTYPES:
        return Dtype(text=stripped, base=inner, is_list=is_list)
    if not (inner.startswith("cat[") and inner.endswith("]")):
        raise _invalid(text)
    body = inner[4:-1].strip()
    if not body:
        raise _invalid(text, "cat[...] needs a registry")
    targets = []
    for part in _split_union(body, text):
        match = _TARGET.match(part.strip())
        if match is None:
            raise _invalid(text, f"cannot read {part.strip()!r}")
        registry = match["registry"]
        if registry not in CAT_REGISTRIES:
            raise _invalid(
                text,
                f"{registry!r} is no registry of categorical values; use one of "
                f"{', '.join(CAT_REGISTRIES)}",
            )
        type_ref = match["type"]
        if type_ref is not None:
            type_ref = type_ref.strip()
            if not type_ref:
                raise _invalid(text, f"{registry}[] names no type")
        field = match["field"] or _name_field(registry)
        model = model_named(registry)
        if model is not None and field not in model._meta.str_fields:
            raise _invalid(
                text,
                f"{registry} has no string field {field!r}; use one of "
                f"{', '.join(model._meta.str_fields)}",
            )
        targets.append(CatTarget(registry=registry, field=field, type_ref=type_ref))
    return Dtype(text=stripped, base="cat", is_list=is_list, targets=tuple(targets))


def _split_union(body: str, text: str) -> list[str]:
    """Split ``ULabel[a]|Record`` at the ``|`` outside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise _invalid(text, "unbalanced brackets")
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth != 0:
        raise _invalid(text, "unbalanced brackets")
    parts.append("".join(current))
    return parts


# --- from user input to the stored string ------------------------------------------------


def serialize_dtype(dtype: Any) -> str:
    """The stored dtype string for what a user passes as ``Feature(dtype=...)``.

    Type names in ``cat[ULabel[<name>]]`` are looked up and stored by uid.

    Raises:
        ValidationError: For anything that is no valid dtype.

    Examples:
        >>> import lamin_pipes as ln
        >>> serialize_dtype(int), serialize_dtype(ln.ULabel), serialize_dtype(list[float])
        ('int', 'cat[ULabel]', 'list[float]')
        >>> serialize_dtype([ln.ULabel, ln.Record])
        'cat[ULabel|Record]'
        >>> perturbation = ln.ULabel(name="Perturbation", is_type=True).save()
        >>> serialize_dtype("cat[ULabel[Perturbation]]") == f"cat[ULabel[{perturbation.uid}]]"
        True
    """
    if isinstance(dtype, str):
        parsed = parse_dtype(dtype)
        if not parsed.is_cat or all(t.type_ref is None for t in parsed.targets):
            return parsed.text
        targets = [
            CatTarget(t.registry, t.field, _resolve_type(t, dtype).uid if t.type_ref else None)
            for t in parsed.targets
        ]
        return _cat_text(targets, is_list=parsed.is_list)
    if get_origin(dtype) is list:
        args = get_args(dtype)
        if len(args) != 1:
            raise _invalid(dtype, "list[...] takes one type")
        inner = serialize_dtype(args[0])
        if inner.startswith("list["):
            raise _invalid(dtype, "lists of lists are not supported")
        return f"list[{inner}]"
    if isinstance(dtype, type) and dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, type) and issubclass(dtype, PurePath):
        return "path"
    if isinstance(dtype, (list, tuple)):
        if not dtype:
            raise _invalid(dtype, "an empty union")
        return _cat_text(
            [_target_of(one, dtype, union=len(dtype) > 1) for one in dtype], is_list=False
        )
    return _cat_text([_target_of(dtype, dtype, union=False)], is_list=False)


def _cat_text(targets: list[CatTarget], *, is_list: bool) -> str:
    text = f"cat[{'|'.join(t.text() for t in targets)}]"
    return f"list[{text}]" if is_list else text


def _target_of(one: Any, whole: Any, *, union: bool) -> CatTarget:
    """A registry class or a type record as a categorical target."""
    if (
        isinstance(one, type)
        and one.__name__ in CAT_REGISTRIES
        and model_named(one.__name__) is one
    ):
        return CatTarget(one.__name__, _name_field(one.__name__))
    name = type(one).__name__
    if name in TYPED_REGISTRIES and model_named(name) is type(one):
        if union:
            msg = (
                "Cannot create a union dtype that includes a type record; unions take "
                f"registries such as [ln.ULabel, ln.Record], got {whole!r}"
            )
            raise InvalidArgument(msg)
        if one.id is None:
            msg = f"Cannot use the unsaved {one._label()} as a dtype: save it first."
            raise InvalidArgument(msg)
        if not one.is_type:
            msg = (
                f"Cannot use {one._label()} as a dtype: it has is_type=False. Only types "
                "(is_type=True) restrict a categorical feature."
            )
            raise InvalidArgument(msg)
        return CatTarget(name, _name_field(name), one.uid)
    raise _invalid(whole)


def _resolve_type(target: CatTarget, text: str) -> Any:
    """The type record that ``ULabel[<uid or name>]`` names (nested: ``A[B]``)."""
    model = target.model
    ref = target.type_ref
    assert ref is not None
    names = _nested_names(ref)
    qs = model.filter(is_type=True)
    if len(names) == 1:
        found = qs.filter(uid=names[0]).first()
        if found is not None:
            return found
    candidates = qs.filter(name=names[-1]).order_by("id").to_list()
    for candidate in candidates:
        chain = [t.name for t in candidate.query_types()][::-1]
        if chain[-len(names) + 1 :] == names[:-1] or len(names) == 1:
            return candidate
    types = qs.order_by("name").to_list("name")
    msg = (
        f"Invalid dtype {text!r}: no {target.registry} type {ref!r}. "
        f"{target.registry} types: {', '.join(map(repr, types[:20])) or 'none yet'}"
    )
    raise ValidationError(msg)


def _nested_names(ref: str) -> list[str]:
    """``"A[B[C]]"`` -> ``["A", "B", "C"]``."""
    names = []
    rest = ref
    while "[" in rest and rest.endswith("]"):
        head, _, tail = rest.partition("[")
        names.append(head.strip())
        rest = tail[:-1]
    names.append(rest.strip())
    return names


# --- values ----------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return type(value).__name__


def is_missing(value: Any) -> bool:
    """``None``, NaN, ``pd.NA`` and empty lists: values ``add_values`` skips, as lamindb."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (list, tuple, set, dict)) and not value:
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def _scalar(value: Any) -> Any:
    """numpy scalars as Python scalars."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value


def check_simple(base: str, value: Any) -> Any:
    """``value`` as stored (JSON) for the simple dtype ``base``, else raise ``TypeError``.

    Examples:
        >>> check_simple("float", 3), check_simple("date", "2024-01-02")
        (3, '2024-01-02')
        >>> check_simple("int", "3")
        Traceback (most recent call last):
        ...
        TypeError: expected int, got str '3'
    """
    value = _scalar(value)
    if base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif base in ("float", "num"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and math.isinf(value):
                raise TypeError(f"expected a finite {base}, got {value!r}")
            return value
    elif base in ("str", "url"):
        if isinstance(value, str):
            return value
    elif base == "path":
        if isinstance(value, str):
            return value
        if isinstance(value, PurePath) or hasattr(value, "as_posix"):
            return value.as_posix().rstrip("/")
    elif base == "bool":
        if isinstance(value, bool):
            return value
    elif base == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and _is_iso(value, date_only=True):
            return value
    elif base == "datetime":
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and _is_iso(value, date_only=False):
            return value
    elif base == "dict" and isinstance(value, dict):
        return value
    expected = {"num": "a number", "float": "float", "path": "str or path"}.get(base, base)
    raise TypeError(f"expected {expected}, got {_type_name(value)} {value!r}")


def _is_iso(value: str, *, date_only: bool) -> bool:
    try:
        if date_only:
            dt.date.fromisoformat(value)
        else:
            dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def infer_dtype(value: Any) -> str:
    """The dtype a value suggests, for "create the feature like this" hints.

    Examples:
        >>> infer_dtype(3), infer_dtype([1.5]), infer_dtype("T cell")
        ('int', 'list[float]', 'cat ? str')
    """
    value = _scalar(value)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "cat ? str"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, PurePath):
        return "path"
    name = type(value).__name__
    if name in CAT_REGISTRIES:
        return f"cat[{name}]"
    if isinstance(value, (list, tuple, set)) and value:
        inner = {infer_dtype(v) for v in value}
        if len(inner) == 1:
            return f"list[{inner.pop()}]"
    return "?"


__all__ = [
    "CAT_REGISTRIES",
    "SIMPLE_DTYPES",
    "CatTarget",
    "Dtype",
    "check_simple",
    "infer_dtype",
    "is_missing",
    "parse_dtype",
    "serialize_dtype",
]
