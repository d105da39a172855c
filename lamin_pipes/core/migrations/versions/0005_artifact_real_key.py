"""artifact real key

Adds lamindb's ``Artifact._real_key``: the path, relative to its storage root, of an
artifact registered in place under a virtual ``key`` that differs from that path.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds the column in place: no batch (a copy of the table) is needed.
    op.add_column('lamindb_artifact', sa.Column('_real_key', sa.String(length=1024), nullable=True))
    op.create_index(op.f('ix_lamindb_artifact__real_key'), 'lamindb_artifact', ['_real_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_lamindb_artifact__real_key'), table_name='lamindb_artifact')
    op.drop_column('lamindb_artifact', '_real_key')  # SQLite >= 3.35 drops it in place
