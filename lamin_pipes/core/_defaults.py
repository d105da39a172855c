"""Rows every instance has: the main/archive/trash branches and the ``all`` space."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, Table, select, text

from ._types import utcnow
from ._uid import base62_12

BRANCHES = (
    (1, "main", "The main branch."),
    (0, "archive", "Archived records."),
    (-1, "trash", "Records in the trash."),
)


def insert_defaults(connection: Any) -> None:
    """Insert the default branches and space if they are missing (idempotent)."""
    metadata = MetaData()
    branch = Table("lamindb_branch", metadata, autoload_with=connection)
    space = Table("lamindb_space", metadata, autoload_with=connection)
    existing = set(connection.execute(select(branch.c.id)).scalars())
    now = utcnow()
    for branch_id, name, description in BRANCHES:
        if branch_id not in existing:
            connection.execute(
                branch.insert().values(
                    id=branch_id,
                    uid=base62_12(),
                    name=name,
                    description=description,
                    created_at=now
                    if connection.dialect.name != "sqlite"
                    else now.replace(tzinfo=None),
                )
            )
    if connection.execute(select(space.c.id).where(space.c.id == 1)).first() is None:
        connection.execute(
            space.insert().values(
                id=1,
                uid=base62_12(),
                name="all",
                description="Every record lives here by default.",
                created_at=now if connection.dialect.name != "sqlite" else now.replace(tzinfo=None),
            )
        )
    if connection.dialect.name == "postgresql":
        # explicit ids do not advance the sequences

        for table in ("lamindb_branch", "lamindb_space"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                )
            )
