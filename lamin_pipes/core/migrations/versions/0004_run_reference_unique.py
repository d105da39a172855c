"""one run per Dagster run or step reference

A partial unique index on ``lamindb_run (reference_type, reference)`` for the reference
types that name exactly one run (``dagster_run_id``, ``dagster_step``): the step
processes of one Dagster run create its registry runs at most once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_WHERE = sa.text("reference_type IN ('dagster_run_id', 'dagster_step')")


def upgrade() -> None:
    op.create_index(
        'uq_lamindb_run_reference',
        'lamindb_run',
        ['reference_type', 'reference'],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index('uq_lamindb_run_reference', table_name='lamindb_run')
