"""Truncating dates and datetimes for ``QuerySet.dates`` and ``datetimes``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import InvalidArgument


def truncate(value: Any, kind: str) -> Any:
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
