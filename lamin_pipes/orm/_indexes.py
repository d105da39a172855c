"""Indexes declared on demand instead of at import.

Partial indexes (``sqlite_where=``, ``postgresql_where=``) make SQLAlchemy import every
dialect, about 40 ms of ``import lamin_pipes``, and nothing at run time needs them in
the table metadata: the shipped migrations create them. A registry layer that wants
such indexes hands a function that declares them to :func:`declare_later`; whatever
builds or compares schemas from the metadata (creating a user registry's table,
:func:`~lamin_pipes.orm.sqlrecord.schema_metadata`) calls :func:`declare_pending`
first.

Examples:
    >>> declared = []
    >>> declare_later(lambda: declared.append("ix"))
    >>> declare_pending()
    >>> declare_pending()  # each declaration runs once
    >>> declared
    ['ix']
"""

from __future__ import annotations

from collections.abc import Callable

_PENDING: list[Callable[[], None]] = []


def declare_later(declare: Callable[[], None]) -> None:
    """Run ``declare`` (which adds indexes to table metadata) when schemas are built."""
    _PENDING.append(declare)


def declare_pending() -> None:
    """Declare every index handed to :func:`declare_later` so far (idempotent)."""
    while _PENDING:
        _PENDING.pop(0)()
