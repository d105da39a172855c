"""transform predecessors

Adds lamindb's ``Transform.predecessors`` / ``successors``: a link table between
transforms that users fill by hand (data lineage does not need it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:14:47.027135
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lamindb_transform_predecessors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_transform_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_transform_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['from_transform_id'], ['lamindb_transform.id'], name=op.f('fk_lamindb_transform_predecessors_from_transform_id_lamindb_transform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_transform_id'], ['lamindb_transform.id'], name=op.f('fk_lamindb_transform_predecessors_to_transform_id_lamindb_transform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_transform_predecessors')),
    sa.UniqueConstraint('from_transform_id', 'to_transform_id', name=op.f('uq_lamindb_transform_predecessors_from_transform_id_to_transform_id'))
    )
    with op.batch_alter_table('lamindb_transform_predecessors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_transform_predecessors_from_transform_id'), ['from_transform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_transform_predecessors_to_transform_id'), ['to_transform_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lamindb_transform_predecessors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_transform_predecessors_to_transform_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_transform_predecessors_from_transform_id'))

    op.drop_table('lamindb_transform_predecessors')
