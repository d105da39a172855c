"""The input side of curation: which field to curate, and which values.

Every curation entry point (``validate``, ``inspect``, ``standardize``, ``from_values``,
the lookups and the search) starts here: it resolves the ``field`` argument to a string
column of the registry (:func:`str_field`, :func:`column_field`), turns ``values`` into a
list (:func:`as_list`) and keeps its distinct, non-empty strings (:func:`unique_strings`).
:func:`format_values` quotes values for log messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from ..errors import FieldError, InvalidArgument
from ..orm._options import COLUMN, FOREIGN_KEY

Keep = Literal["first", "last", False]
KEEP_OPTIONS: tuple[Any, ...] = ("first", "last", False)


def check_keep(keep: Any) -> None:
    """Raise :class:`InvalidArgument` unless ``keep`` is ``"first"``, ``"last"`` or ``False``."""
    if not any(
        keep is option or (isinstance(keep, str) and keep == option) for option in KEEP_OPTIONS
    ):
        msg = f"Invalid keep={keep!r}. Valid options: 'first', 'last', False"
        raise InvalidArgument(msg)


def field_name_of(field: Any) -> str:
    """The name of a field given as a string, a class attribute or a ``FieldInfo``."""
    if isinstance(field, str):
        return field
    for attribute in ("key", "name"):  # InstrumentedAttribute.key, FieldInfo.name
        value = getattr(field, attribute, None)
        if isinstance(value, str):
            return value
    info = getattr(field, "info", None)  # relation descriptors
    if info is not None and isinstance(getattr(info, "name", None), str):
        return info.name  # type: ignore[no-any-return]
    msg = f"Pass a field as a string or a registry attribute such as ULabel.name, got {field!r}"
    raise InvalidArgument(msg)


def str_field(model: Any, field: Any = None) -> str:
    """Resolve ``field`` (default: the registry's name field) to a string field name.

    Raises:
        FieldError: If the field does not exist or does not hold strings; the message
            lists the registry's string fields.

    Examples:
        >>> import lamin_pipes as ln
        >>> str_field(ln.ULabel), str_field(ln.User), str_field(ln.ULabel, ln.ULabel.abbr)
        ('name', 'handle', 'abbr')
    """
    meta = model._meta
    name = meta.name_field if field is None else field_name_of(field)
    info = meta.fields.get(name)
    if info is None or not info.is_str:
        what = "Unknown field" if info is None else "Not a string field:"
        msg = f"{what} '{name}' of {model.__name__}. String fields: {', '.join(meta.str_fields)}"
        raise FieldError(msg)
    return name


def column_field(model: Any, field: Any) -> str:
    """Resolve ``field`` to the attribute name of a column or foreign key (``type_id``)."""
    name = field_name_of(field)
    info = model._meta.get_field(name)
    if info.kind not in (COLUMN, FOREIGN_KEY):
        columns = ", ".join(f.name for f in model._meta.concrete_fields)
        msg = f"'{name}' of {model.__name__} is a relation, not a column. Columns: {columns}"
        raise FieldError(msg)
    return info.attname  # type: ignore[no-any-return]


def is_empty(value: Any) -> bool:
    """Whether a value counts as missing: ``None``, ``""``, NaN, ``pd.NA`` or ``NaT``."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NAType", "NaTType")


def as_list(values: Any) -> list[Any]:
    """Values as a list: a string, list, tuple, set, array, Series, Index or Categorical.

    A list of lists is concatenated, as lamindb does.
    """
    if values is None:
        msg = "values must be a string or a list-like of strings, got None"
        raise InvalidArgument(msg)
    if isinstance(values, str):
        return [values]
    if isinstance(values, dict):
        msg = "values must be a string or a list-like of strings, got a dict"
        raise InvalidArgument(msg)
    tolist = getattr(values, "tolist", None)
    items = list(tolist()) if callable(tolist) else list(values)
    if items and isinstance(items[0], list):
        items = [v for sub in items if isinstance(sub, list) for v in sub]
    return items


def unique_strings(items: list[Any], model: Any, field: str) -> list[str]:
    """Distinct non-empty values in input order, as plain ``str``.

    Raises:
        InvalidArgument: If a non-empty value is not a string.
    """
    seen: dict[str, None] = {}
    for value in items:
        if is_empty(value):
            continue
        if not isinstance(value, str):
            msg = (
                f"{model.__name__}.{field} holds strings; got {value!r} "
                f"({type(value).__name__}). Convert the values to strings first."
            )
            raise InvalidArgument(msg)
        seen[str(value)] = None
    return list(seen)


def format_values(values: Iterable[Any], n: int = 20) -> str:
    """``'a', 'b', ...``: at most ``n`` distinct values for a log message."""
    unique = list(dict.fromkeys(str(v) for v in values))
    text = ", ".join(f"'{v}'" for v in unique[:n])
    return text + (", ..." if len(unique) > n else "")


def plural(n: int, word: str) -> str:
    """``"1 term"``, ``"2 terms"``: a count with its noun, for log messages."""
    return f"{n} {word}" + ("" if n == 1 else "s")
