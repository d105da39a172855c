"""Truncating dates and datetimes for ``QuerySet.dates`` and ``datetimes``, in SQL.

The database truncates and de-duplicates, so a query set of a million records sends
back one row per distinct day (or month, …), not a million timestamps. Both backends
give the same values: datetimes are truncated in UTC, weeks start on Monday.
A time zone other than UTC (``datetimes(..., tzinfo=...)``) is applied in Python,
since SQLite knows no time zones; :func:`truncate` does that.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, cast, func, literal_column

from ..errors import InvalidArgument

#: SQLite ``strftime`` formats of a truncated value, by kind (weeks are done apart).
_SQLITE_FORMATS = {
    "year": "%Y-01-01 00:00:00",
    "month": "%Y-%m-01 00:00:00",
    "day": "%Y-%m-%d 00:00:00",
    "hour": "%Y-%m-%d %H:00:00",
    "minute": "%Y-%m-%d %H:%M:00",
    "second": "%Y-%m-%d %H:%M:%S",
}


def truncated(column: Any, kind: str, dialect: str, *, is_datetime: bool) -> Any:
    """A SQL expression of ``column`` truncated to ``kind`` (in UTC for datetimes)."""
    if dialect == "postgresql":
        if is_datetime:  # timestamptz -> the UTC wall-clock time
            value = column.op("AT TIME ZONE")(literal_column("'UTC'"))
        else:  # a date, as a timestamp without time zone (not in the session's zone)
            value = cast(column, DateTime(timezone=False))
        return func.date_trunc(kind, value)
    if kind == "week":
        monday = func.date(column, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-%d 00:00:00", monday)
    return func.strftime(_SQLITE_FORMATS[kind], column)


def from_database(value: Any, *, as_date: bool) -> Any:
    """A truncated value as the database returns it, as a date or an aware UTC datetime."""
    if isinstance(value, str):  # SQLite
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if as_date:
            return value.date()
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    if isinstance(value, dt.date) and not as_date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value


def truncate(value: Any, kind: str) -> Any:
    """``value`` truncated to ``kind`` in Python (for time zones other than UTC).

    Examples:
        >>> truncate(dt.datetime(2024, 5, 16, 13, 45), "week")
        datetime.datetime(2024, 5, 13, 0, 0)
    """
    if kind == "year":
        value = value.replace(month=1, day=1)
    elif kind == "month":
        value = value.replace(day=1)
    elif kind == "week":
        value = value - dt.timedelta(days=value.weekday())
    if isinstance(value, dt.datetime):
        keep = ("year", "month", "week", "day", "hour", "minute", "second")
        index = keep.index(kind)
        if index <= 3:
            value = value.replace(hour=0, minute=0, second=0, microsecond=0)
        elif kind == "hour":
            value = value.replace(minute=0, second=0, microsecond=0)
        elif kind == "minute":
            value = value.replace(second=0, microsecond=0)
        else:
            value = value.replace(microsecond=0)
    return value


def order_values(values: list[Any], order: str) -> list[Any]:
    if order not in ("ASC", "DESC"):
        raise InvalidArgument(f"Invalid order {order!r}. Valid options: ('ASC', 'DESC')")
    return values[::-1] if order == "DESC" else values
