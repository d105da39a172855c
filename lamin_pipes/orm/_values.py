"""Field values checked before they are written: one answer on every backend.

SQLite stores almost anything in any column, PostgreSQL refuses some values with a raw
driver error, and sometimes each stores something different (``name=["a"]`` is text
``'{a}'`` on PostgreSQL and an error on SQLite). Every write of records (``save()``,
bulk saves, ``QuerySet.update()``, new versions) passes its values through
:func:`check_values` first, which refuses what either backend would refuse or store
differently, with an error that names the field, the value and what is expected.

Examples:
    >>> import lamin_pipes as ln
    >>> check_values(ln.ULabel, {"name": "lung", "is_type": False})
    >>> check_values(ln.ULabel, {"is_type": "yes"})
    Traceback (most recent call last):
    ...
    lamin_pipes.errors.FieldValidationError: ULabel.is_type takes a bool, got str 'yes'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, NamedTuple

from ..errors import FieldValidationError, IntegrityError, InvalidArgument
from ._options import COLUMN, FOREIGN_KEY

#: The integer ranges of the column types (PostgreSQL's; SQLite's are wider).
_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_ID_RANGE = _INT_RANGES["bigint"]

Checker = Callable[[Any], str | None]  # the problem with a value, or None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text_checker(max_length: int | None) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"takes a str, got {type(value).__name__} {_shown(value)}"
        if max_length is not None and len(value) > max_length:
            return f"takes at most {max_length} characters, got {len(value)}"
        if "\x00" in value:
            return "cannot store the NUL character (\\x00)"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "cannot store a lone surrogate (text that is not valid Unicode)"
        return None

    return check


def _int_checker(low: int, high: int) -> Checker:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, Integral):
            return f"takes an int, got {type(value).__name__} {_shown(value)}"
        if not low <= int(value) <= high:
            return f"takes an int from {low} to {high}, got {value}"
        return None

    return check


def _check_float(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        return f"takes a float, got {type(value).__name__} {_shown(value)}"
    if math.isnan(value):
        return "cannot store NaN (SQLite would store NULL); use None"
    return None


def _check_bool(value: Any) -> str | None:
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's bool too
        return None
    return f"takes a bool, got {type(value).__name__} {_shown(value)}"


def _check_datetime(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return None
    return f"takes a datetime.datetime, got {type(value).__name__} {_shown(value)}"


def _check_date(value: Any) -> str | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return None
    return f"takes a datetime.date, got {type(value).__name__} {_shown(value)}"


def _checker(info: Any) -> Checker | None:
    if info.kind == FOREIGN_KEY:
        return _int_checker(*_ID_RANGE)
    kind = info.spec.kind
    if kind in ("char", "text"):
        return _text_checker(info.spec.max_length if kind == "char" else None)
    if kind in _INT_RANGES:
        return _int_checker(*_INT_RANGES[kind])
    return {
        "float": _check_float,
        "bool": _check_bool,
        "datetime": _check_datetime,
        "date": _check_date,
    }.get(kind)  # json: anything the JSON type can serialize


class _Column(NamedTuple):
    """How to check the values of one column."""

    attname: str
    name: str
    checker: Checker | None
    nullable: bool
    default: Any  # a constant default: a value that is this very object is valid


_NO_DEFAULT: Any = object()


def _columns(model: Any) -> dict[str, _Column]:
    """The checked columns of a registry by attribute name, built once per registry."""
    cached = model.__dict__.get("_lp_value_checkers")
    if cached is None:
        cached = {}
        for info in model._meta.fields.values():
            if (
                info.kind == COLUMN and not (info.spec is not None and info.spec.primary_key)
            ) or info.kind == FOREIGN_KEY:
                default = info.default
                constant = default is not None and not callable(default)
                cached[info.attname] = _Column(
                    info.attname,
                    info.name,
                    _checker(info),
                    info.null,
                    default if constant else _NO_DEFAULT,
                )
        model._lp_value_checkers = cached
    return cached  # type: ignore[no-any-return]


def _fail(model: Any, column: _Column, value: Any, *, types: bool, required: bool) -> None:
    """Raise if ``value`` does not fit ``column``."""
    if value is None:
        if required and not column.nullable:
            # an IntegrityError, as the database (and Django) would raise
            msg = f"{model.__name__}.{column.name} is required (it cannot be None)"
            raise IntegrityError(msg)
        return
    if types and column.checker is not None and value is not column.default:
        problem = column.checker(value)
        if problem is not None:
            msg = f"{model.__name__}.{column.name} {problem}"
            raise FieldValidationError(msg)


def check_key(key: Any, registry: str = "record") -> None:
    """Refuse a ``key`` that is not a plain ``/``-separated path, as lamindb does.

    A key names a place (``"datasets/cells.parquet"``); backslashes and ``.`` or
    ``..`` segments would let two spellings name one place, or climb out of it.
    Values that are not strings are left to the column's type check.

    Args:
        key: The key.
        registry: The registry's name, for the message.

    Raises:
        InvalidArgument: Naming the key and the offending part.

    Examples:
        >>> check_key("a/b.parquet")
        >>> check_key("a/../b", "Transform")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Transform key 'a/../b' has a relative path \
segment '..'; use a plain path such as 'a/b' (no '.' or '..' segments, no backslashes)
    """
    if not isinstance(key, str):
        return
    problem = None
    if "\\" in key:
        problem = "a backslash"
    else:
        for segment in key.split("/"):
            if segment in (".", ".."):
                problem = f"a relative path segment {segment!r}"
                break
    if problem is not None:
        msg = (
            f"{registry} key {key!r} has {problem}; use a plain path such as 'a/b' "
            "(no '.' or '..' segments, no backslashes)"
        )
        raise InvalidArgument(msg)


def check_values(
    model: Any, values: dict[str, Any], *, types: bool = True, required: bool = True
) -> None:
    """Raise for the first value a column cannot take.

    A value of the wrong type, too long or not storable raises
    :class:`~lamin_pipes.errors.FieldValidationError`; ``None`` for a required field
    raises :class:`~lamin_pipes.errors.IntegrityError`, as the database would.

    Args:
        model: The registry.
        values: Column attribute names (``name``, ``created_by_id``) and values; keys
            that are not columns of ``model`` are ignored.
        types: Check the values that are not ``None``.
        required: Check that required fields are not ``None``.
    """
    columns = _columns(model)
    for attname, value in values.items():
        column = columns.get(attname)
        if column is not None:
            _fail(model, column, value, types=types, required=required)


def _type_checks(model: Any) -> tuple[tuple[str, Any, Checker], ...]:
    """``(attname, constant default, checker)`` of the columns whose type is checked."""
    cached = model.__dict__.get("_lp_type_checks")
    if cached is None:
        cached = tuple(
            (c.attname, c.default, c.checker)
            for c in _columns(model).values()
            if c.checker is not None
        )
        model._lp_type_checks = cached
    return cached  # type: ignore[no-any-return]


def check_record(record: Any, *, types: bool = True, required: bool = True) -> None:
    """:func:`check_values` over every column value a record holds.

    A save checks the types before the registry's save hooks run (they may look
    values up) and the required fields after them (they may fill some in). Values
    that are the column's constant default, as construction leaves them, pass at once;
    bulk saves check thousands of records, so the type pass is kept tight.
    """
    state = record.__dict__
    model = type(record)
    if types:
        get = state.get
        for attname, default, checker in _type_checks(model):
            value = get(attname, default)
            if value is not default and value is not None and checker(value) is not None:
                _fail(model, _columns(model)[attname], value, types=True, required=False)
    if required:
        for column in _columns(model).values():
            if column.attname in state and state[column.attname] is None:
                _fail(model, column, None, types=False, required=True)
