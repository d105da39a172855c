"""Aggregates for ``QuerySet.aggregate`` and ``annotate``: Count, Sum, Min, Max, Avg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func


class Aggregate:
    """An aggregate over a field path: ``Count``, ``Sum``, ``Min``, ``Max``, ``Avg``."""

    function = ""

    def __init__(self, field: str = "id", *, distinct: bool = False) -> None:
        self.field = field
        self.distinct = distinct

    @property
    def default_alias(self) -> str:
        return f"{self.field}__{self.function}"

    def sql_function(self, expr: Any) -> Any:
        if self.distinct:
            expr = expr.distinct()
        return getattr(func, self.function)(expr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r})"


class Count(Aggregate):
    """Count rows (or related rows: ``Count("parents")``)."""

    function = "count"


class Sum(Aggregate):
    """Sum of a numeric field."""

    function = "sum"


class Min(Aggregate):
    """Smallest value of a field."""

    function = "min"


class Max(Aggregate):
    """Largest value of a field."""

    function = "max"


class Avg(Aggregate):
    """Mean of a numeric field."""

    function = "avg"
