"""Column checks that cost a pass over the column's memory, never a Python loop per row.

A column is summarized by its *distinct* values (:func:`distinct`): the categories a
``category`` column uses, the values of a string column, a numeric column's null
count. Registries are then asked about the distinct values only, so validating a
million rows of a few hundred labels costs what validating a few hundred does, plus
one vectorized pass per column.

Distinct values of an ``object`` column are found by object identity first: a column
of strings usually holds the same few ``str`` objects many times (pandas and pyarrow
de-duplicate strings when they read files, and building a column from a list of labels
repeats the labels' objects), so hashing the object addresses (integers) is several
times faster than hashing and comparing the strings; the few distinct objects are
then de-duplicated by value. Where objects do not repeat, the values are hashed as
usual.

Examples:
    >>> import pandas as pd
    >>> column = pd.Series(["b", "a", None, "b"] * 3)
    >>> found = distinct(column)
    >>> sorted(found.values), found.has_null
    (['a', 'b'], True)
    >>> distinct(pd.Series(["x", "y"], dtype="category")).values
    ['x', 'y']
"""

from __future__ import annotations

import ctypes
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Columns shorter than this are hashed by value directly.
_IDENTITY_MIN_ROWS = 50_000
#: Object addresses mapped back to objects at most (each costs a ctypes call).
_IDENTITY_MAX_DISTINCT = 100_000


@dataclass
class Distinct:
    """The distinct non-null values of a column and whether it has nulls.

    Attributes:
        values: The distinct values, nulls excluded (in order of first appearance,
            or category order for a ``category`` column).
        has_null: Whether some row is null (``None``, ``NaN``, ``pd.NA``, ``NaT``).
        n_null: How many rows are null (``-1`` when only known to be positive).
    """

    values: list[Any] = field(default_factory=list)
    has_null: bool = False
    n_null: int = 0


def is_null(value: Any) -> bool:
    """``None``, ``NaN``, ``pd.NA`` or ``NaT``."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType") or (
        isinstance(value, np.floating) and bool(np.isnan(value))
    )


def _addresses(array: np.ndarray) -> np.ndarray | None:
    """The object addresses an ``object`` array holds, as integers (a view, no copy).

    Valid while ``array`` lives; ``None`` where the array is not one plain block.
    """
    if array.dtype != object or not array.flags.c_contiguous or array.ndim != 1:
        return None
    address = array.__array_interface__["data"][0]
    buffer = (ctypes.c_ssize_t * len(array)).from_address(address)
    return np.ctypeslib.as_array(buffer)


def _object_distinct(array: np.ndarray) -> np.ndarray:
    """Distinct values of an ``object`` array (nulls included), by identity first."""
    if len(array) >= _IDENTITY_MIN_ROWS:
        addresses = _addresses(array)
        if addresses is not None:
            found = pd.unique(addresses)
            if len(found) <= min(_IDENTITY_MAX_DISTINCT, len(array) // 4):
                objects = np.empty(len(found), dtype=object)
                # Each address is an object the array holds a reference to: alive.
                objects[:] = [ctypes.cast(int(a), ctypes.py_object).value for a in found]
                del addresses, found
                return _hashable_distinct(objects)
            del addresses, found
    return _hashable_distinct(array)


def _hashable_distinct(array: np.ndarray) -> np.ndarray:
    try:
        return pd.unique(array)
    except TypeError:  # unhashable values (lists, dicts): keep them, in order
        return array


def distinct(series: pd.Series) -> Distinct:
    """The distinct non-null values of a column, with one vectorized pass over it."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        present = np.bincount(codes[codes >= 0], minlength=len(dtype.categories)) > 0
        n_null = int((codes < 0).sum())
        return Distinct(list(dtype.categories[present]), has_null=n_null > 0, n_null=n_null)
    if dtype.kind in "iub":
        return Distinct(list(pd.unique(series.to_numpy())))
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        values = series.to_numpy()
        nulls = np.isnan(values)
        n_null = int(nulls.sum())
        return Distinct([], has_null=n_null > 0, n_null=n_null)  # numbers: values not needed
    if dtype.kind == "O":
        found = _object_distinct(series.to_numpy())
        values = [v for v in found if not is_null(v)]
        n_null = -1 if len(values) < len(found) else 0
        return Distinct(values, has_null=n_null != 0, n_null=n_null)
    found = series.dropna().unique()
    n_null = int(series.isna().sum())
    return Distinct(list(found), has_null=n_null > 0, n_null=n_null)


# --- dtypes --------------------------------------------------------------------------


def _is_int_dtype(dtype: Any) -> bool:
    return dtype.kind in "iu" and dtype.kind != "b"


def _is_float_dtype(dtype: Any) -> bool:
    return dtype.kind == "f"


def _describe_dtype(series: pd.Series) -> str:
    return str(series.dtype)


def _value_types(values: list[Any]) -> str:
    names = sorted({type(v).__name__ for v in values})
    return ", ".join(names)


@dataclass
class DtypeCheck:
    """The outcome of checking a column against a feature dtype.

    Attributes:
        ok: Whether the column has the dtype (after coercion, if asked).
        expected: The dtype, in words.
        got: What the column has, in words.
        coerced: The coerced column, where coercion changed it.
        distinct: The column's distinct values (computed once, reused for labels).
    """

    ok: bool
    expected: str
    got: str
    coerced: pd.Series | None = None
    distinct: Distinct | None = None


def _passed(expected: str, got: str, **kwargs: Any) -> DtypeCheck:
    return DtypeCheck(ok=True, expected=expected, got=got, **kwargs)


def _failed(expected: str, got: str, **kwargs: Any) -> DtypeCheck:
    return DtypeCheck(ok=False, expected=expected, got=got, **kwargs)


def _strings(found: Distinct) -> bool:
    return all(isinstance(v, str) for v in found.values)


def check_dtype(series: pd.Series, base: str, *, is_list: bool, coerce: bool) -> DtypeCheck:
    """Check (and with ``coerce`` convert) a column against a feature dtype.

    Args:
        series: The column.
        base: The feature's base dtype: ``cat``, ``str``, ``int``, ``float``, ``num``,
            ``bool``, ``date``, ``datetime``, ``dict``, ``path``, ``url``.
        is_list: Whether each value is a list of ``base`` values.
        coerce: Whether to convert values losslessly where the dtype differs.

    Examples:
        >>> import pandas as pd
        >>> check_dtype(pd.Series([1.0, 2.0]), "int", is_list=False, coerce=False).ok
        False
        >>> result = check_dtype(pd.Series([1.0, 2.0]), "int", is_list=False, coerce=True)
        >>> result.ok, str(result.coerced.dtype)
        (True, 'int64')
        >>> check_dtype(pd.Series(["a", 1]), "cat", is_list=False, coerce=False).got
        'object with int, str values'
    """
    dtype = series.dtype
    got = _describe_dtype(series)
    if is_list:
        return _check_lists(series, base, coerce=coerce)
    if base in ("cat", "str", "url", "path"):
        expected = "labels (str)" if base == "cat" else "str"
        found = (
            distinct(series)
            if dtype.kind in "OUS" or str(dtype) in ("category", "string", "str")
            else None
        )
        if found is not None and _strings(found):
            return _passed(expected, got, distinct=found)
        if found is not None:
            got = f"{got} with {_value_types(found.values)} values"
        if coerce:
            coerced = series.astype(object).where(series.notna(), None)
            mask = coerced.notna()
            coerced[mask] = coerced[mask].astype(str)
            return _passed(expected, got, coerced=coerced, distinct=distinct(coerced))
        return _failed(expected, got, distinct=found)
    if base in ("int", "float", "num"):
        expected = {"int": "int", "float": "float", "num": "a number (int or float)"}[base]
        if base == "num" and (_is_int_dtype(dtype) or _is_float_dtype(dtype)):
            return _passed(expected, got)
        if base == "int" and _is_int_dtype(dtype):
            return _passed(expected, got)
        if base == "float" and _is_float_dtype(dtype):
            return _passed(expected, got)
        if not coerce or dtype.kind == "b":
            return _failed(expected, got)
        return _coerce_number(series, base, expected, got)
    if base == "bool":
        if dtype.kind == "b" or str(dtype) == "boolean":
            return _passed("bool", got)
        found = distinct(series) if dtype.kind == "O" else None
        if found is not None and all(isinstance(v, (bool, np.bool_)) for v in found.values):
            return _passed("bool", got, distinct=found)
        return _failed("bool", got)
    if base in ("datetime", "date"):
        if dtype.kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
            return _passed(base, got)
        if base == "date" and dtype.kind == "O":
            found = distinct(series)
            if all(isinstance(v, dt.date) for v in found.values):
                return _passed(base, got, distinct=found)
        if coerce:
            try:
                converted = pd.to_datetime(series)
            except (ValueError, TypeError):
                return _failed(base, got)
            if int(converted.isna().sum()) == int(series.isna().sum()):
                return _passed(base, got, coerced=converted)
        return _failed(base, got)
    if base == "dict":
        # Dicts are not hashable: this is the one check that looks at every value.
        values = series.dropna()
        ok = bool(values.map(lambda v: isinstance(v, dict)).all()) if len(values) else True
        return DtypeCheck(ok, "dict", got)
    return _failed(base, got)


def _coerce_number(series: pd.Series, base: str, expected: str, got: str) -> DtypeCheck:
    numbers = pd.to_numeric(series, errors="coerce")
    if int(numbers.isna().sum()) != int(series.isna().sum()):
        return _failed(expected, got)
    if base == "float":
        return _passed(expected, got, coerced=numbers.astype(float))
    if base == "num":
        return _passed(expected, got, coerced=numbers)
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    finite = values[~np.isnan(values)]
    if not np.all(np.mod(finite, 1) == 0):
        return _failed(expected, got)  # 1.5 is no int: coercion is lossless only
    if len(finite) < len(values):
        return _passed(expected, got, coerced=numbers.astype("Int64"))
    return _passed(expected, got, coerced=numbers.astype("int64"))


def _check_lists(series: pd.Series, base: str, *, coerce: bool) -> DtypeCheck:
    """Columns of lists (``list[cat[...]]``, ``list[int]``): one ``explode`` pass."""
    expected = f"lists of {'labels (str)' if base == 'cat' else base}"
    got = _describe_dtype(series)
    if series.dtype.kind != "O":
        return _failed(expected, got)
    values = series.dropna()
    items = values.explode()
    # Lists are Python objects: telling them from scalars looks at each row's type.
    scalars = ~values.map(type).isin((list, tuple, np.ndarray))
    if bool(scalars.any()):
        return _failed(expected, f"{got} with values that are no lists")
    found = distinct(items.dropna().reset_index(drop=True))
    if base in ("cat", "str", "url", "path"):
        return DtypeCheck(_strings(found), expected, got, distinct=found)
    checks = {
        "int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)),
        "float": lambda v: isinstance(v, (float, np.floating)),
        "num": lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, (bool, np.bool_)),
    }
    check = checks.get(base)
    ok = check is not None and all(check(v) for v in found.values)
    return DtypeCheck(ok, expected, got, distinct=found)


__all__ = ["Distinct", "DtypeCheck", "check_dtype", "distinct", "is_null"]
