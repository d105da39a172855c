"""One run per orchestrator reference: the partial unique index on runs.

Runs that stand for a Dagster run or step carry its id in ``reference`` (types
:data:`UNIQUE_REFERENCE_TYPES`); the database keeps one row per such reference, so the
processes of one Dagster run that each look for "their" run and create it when missing
end up with the same row. Other references (free text, as lamindb allows) may repeat.
The index is declared on demand, as the version-family indexes are.
"""

from __future__ import annotations

from sqlalchemy import Index

from ..orm._indexes import declare_later
from .run import Run

#: Reference types of which a reference names exactly one run.
UNIQUE_REFERENCE_TYPES = ("dagster_run_id", "dagster_step")


def _declare() -> None:
    table = Run.__table__  # type: ignore[attr-defined]
    where = table.c.reference_type.in_(UNIQUE_REFERENCE_TYPES)
    Index(
        "uq_lamindb_run_reference",
        table.c.reference_type,
        table.c.reference,
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


declare_later(_declare)

__all__ = ["UNIQUE_REFERENCE_TYPES"]
