"""features and values

Adds lamindb's ``Feature`` registry, ``FeatureValue`` (lamindb 2.x's ``lamindb_jsonvalue``:
non-categorical values, unique per feature and value hash) and the annotation links of
artifacts, runs, records and collections: to ``ULabel``, ``Record`` and ``Project``
records with the feature a label is a value of (``feature_id``, empty for a plain label;
a pair is linked once per feature and once without one, a partial unique index), and
to feature values.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:45:40.112527
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lamin_pipes.core._types import UTCDateTime

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lamindb_feature',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('_dtype_str', sa.String(length=255), nullable=True),
    sa.Column('type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('is_type', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('synonyms', sa.Text(), nullable=True),
    sa.Column('default_value', _JSON, nullable=True),
    sa.Column('nullable', sa.Boolean(), nullable=True),
    sa.Column('coerce', sa.Boolean(), nullable=True),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', _JSON, nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_feature_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_feature_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_feature_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_feature_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_feature_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['type_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_feature_type_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_feature')),
    sa.UniqueConstraint('uid', name=op.f('uq_lamindb_feature_uid'))
    )
    with op.batch_alter_table('lamindb_feature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_feature__dtype_str'), ['_dtype_str'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_created_on_id'), ['created_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_is_type'), ['is_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_type_id'), ['type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_unit'), ['unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_feature_updated_at'), ['updated_at'], unique=False)

    op.create_table('lamindb_jsonvalue',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('value', _JSON, nullable=False),
    sa.Column('hash', sa.String(length=22), nullable=False),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', _JSON, nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_jsonvalue_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_jsonvalue_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_jsonvalue_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_jsonvalue_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_jsonvalue_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_jsonvalue_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_jsonvalue')),
    sa.UniqueConstraint('feature_id', 'hash', name=op.f('uq_lamindb_jsonvalue_feature_id_hash'))
    )
    with op.batch_alter_table('lamindb_jsonvalue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_created_on_id'), ['created_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_jsonvalue_space_id'), ['space_id'], unique=False)

    op.create_table('lamindb_record_linked_projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_record_linked_projects_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['lamindb_project.id'], name=op.f('fk_lamindb_record_linked_projects_project_id_lamindb_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_record_linked_projects_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_record_linked_projects')),
    sa.UniqueConstraint('record_id', 'project_id', 'feature_id', name='uq_lamindb_record_linked_projects')
    )
    with op.batch_alter_table('lamindb_record_linked_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_projects_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_projects_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_projects_record_id'), ['record_id'], unique=False)
        batch_op.create_index('uq_lamindb_record_linked_projects_unqualified', ['record_id', 'project_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_record_linked_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_record_linked_records_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['from_record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_record_linked_records_from_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_record_linked_records_to_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_record_linked_records')),
    sa.UniqueConstraint('from_record_id', 'to_record_id', 'feature_id', name='uq_lamindb_record_linked_records')
    )
    with op.batch_alter_table('lamindb_record_linked_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_records_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_records_from_record_id'), ['from_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_records_to_record_id'), ['to_record_id'], unique=False)
        batch_op.create_index('uq_lamindb_record_linked_records_unqualified', ['from_record_id', 'to_record_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_record_linked_ulabels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ulabel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_record_linked_ulabels_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_record_linked_ulabels_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ulabel_id'], ['lamindb_ulabel.id'], name=op.f('fk_lamindb_record_linked_ulabels_ulabel_id_lamindb_ulabel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_record_linked_ulabels')),
    sa.UniqueConstraint('record_id', 'ulabel_id', 'feature_id', name='uq_lamindb_record_linked_ulabels')
    )
    with op.batch_alter_table('lamindb_record_linked_ulabels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_ulabels_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_ulabels_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_linked_ulabels_ulabel_id'), ['ulabel_id'], unique=False)
        batch_op.create_index('uq_lamindb_record_linked_ulabels_unqualified', ['record_id', 'ulabel_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_run_projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_run_projects_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['lamindb_project.id'], name=op.f('fk_lamindb_run_projects_project_id_lamindb_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_run_projects_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_run_projects')),
    sa.UniqueConstraint('run_id', 'project_id', 'feature_id', name='uq_lamindb_run_projects')
    )
    with op.batch_alter_table('lamindb_run_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_run_projects_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_projects_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_projects_run_id'), ['run_id'], unique=False)
        batch_op.create_index('uq_lamindb_run_projects_unqualified', ['run_id', 'project_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_run_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_run_records_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_run_records_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_run_records_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_run_records')),
    sa.UniqueConstraint('run_id', 'record_id', 'feature_id', name='uq_lamindb_run_records')
    )
    with op.batch_alter_table('lamindb_run_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_run_records_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_records_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_records_run_id'), ['run_id'], unique=False)
        batch_op.create_index('uq_lamindb_run_records_unqualified', ['run_id', 'record_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_run_ulabels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ulabel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_run_ulabels_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_run_ulabels_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ulabel_id'], ['lamindb_ulabel.id'], name=op.f('fk_lamindb_run_ulabels_ulabel_id_lamindb_ulabel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_run_ulabels')),
    sa.UniqueConstraint('run_id', 'ulabel_id', 'feature_id', name='uq_lamindb_run_ulabels')
    )
    with op.batch_alter_table('lamindb_run_ulabels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_run_ulabels_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_ulabels_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_ulabels_ulabel_id'), ['ulabel_id'], unique=False)
        batch_op.create_index('uq_lamindb_run_ulabels_unqualified', ['run_id', 'ulabel_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_artifact_json_values',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('jsonvalue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_json_values_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['jsonvalue_id'], ['lamindb_jsonvalue.id'], name=op.f('fk_lamindb_artifact_json_values_jsonvalue_id_lamindb_jsonvalue'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_json_values')),
    sa.UniqueConstraint('artifact_id', 'jsonvalue_id', name=op.f('uq_lamindb_artifact_json_values_artifact_id_jsonvalue_id'))
    )
    with op.batch_alter_table('lamindb_artifact_json_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_json_values_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_json_values_jsonvalue_id'), ['jsonvalue_id'], unique=False)

    op.create_table('lamindb_artifact_projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_projects_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_artifact_projects_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['lamindb_project.id'], name=op.f('fk_lamindb_artifact_projects_project_id_lamindb_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_projects')),
    sa.UniqueConstraint('artifact_id', 'project_id', 'feature_id', name='uq_lamindb_artifact_projects')
    )
    with op.batch_alter_table('lamindb_artifact_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_projects_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_projects_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_projects_project_id'), ['project_id'], unique=False)
        batch_op.create_index('uq_lamindb_artifact_projects_unqualified', ['artifact_id', 'project_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_artifact_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_records_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_artifact_records_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_artifact_records_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_records')),
    sa.UniqueConstraint('artifact_id', 'record_id', 'feature_id', name='uq_lamindb_artifact_records')
    )
    with op.batch_alter_table('lamindb_artifact_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_records_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_records_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_records_record_id'), ['record_id'], unique=False)
        batch_op.create_index('uq_lamindb_artifact_records_unqualified', ['artifact_id', 'record_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_artifact_ulabels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ulabel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_ulabels_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_artifact_ulabels_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ulabel_id'], ['lamindb_ulabel.id'], name=op.f('fk_lamindb_artifact_ulabels_ulabel_id_lamindb_ulabel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_ulabels')),
    sa.UniqueConstraint('artifact_id', 'ulabel_id', 'feature_id', name='uq_lamindb_artifact_ulabels')
    )
    with op.batch_alter_table('lamindb_artifact_ulabels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_ulabels_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_ulabels_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_ulabels_ulabel_id'), ['ulabel_id'], unique=False)
        batch_op.create_index('uq_lamindb_artifact_ulabels_unqualified', ['artifact_id', 'ulabel_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_record_json_values',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('jsonvalue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['jsonvalue_id'], ['lamindb_jsonvalue.id'], name=op.f('fk_lamindb_record_json_values_jsonvalue_id_lamindb_jsonvalue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_record_json_values_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_record_json_values')),
    sa.UniqueConstraint('record_id', 'jsonvalue_id', name=op.f('uq_lamindb_record_json_values_record_id_jsonvalue_id'))
    )
    with op.batch_alter_table('lamindb_record_json_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_record_json_values_jsonvalue_id'), ['jsonvalue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_record_json_values_record_id'), ['record_id'], unique=False)

    op.create_table('lamindb_run_json_values',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('jsonvalue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['jsonvalue_id'], ['lamindb_jsonvalue.id'], name=op.f('fk_lamindb_run_json_values_jsonvalue_id_lamindb_jsonvalue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_run_json_values_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_run_json_values')),
    sa.UniqueConstraint('run_id', 'jsonvalue_id', name=op.f('uq_lamindb_run_json_values_run_id_jsonvalue_id'))
    )
    with op.batch_alter_table('lamindb_run_json_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_run_json_values_jsonvalue_id'), ['jsonvalue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_run_json_values_run_id'), ['run_id'], unique=False)

    op.create_table('lamindb_collection_projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_projects_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_collection_projects_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['lamindb_project.id'], name=op.f('fk_lamindb_collection_projects_project_id_lamindb_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_projects')),
    sa.UniqueConstraint('collection_id', 'project_id', 'feature_id', name='uq_lamindb_collection_projects')
    )
    with op.batch_alter_table('lamindb_collection_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_projects_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_projects_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_projects_project_id'), ['project_id'], unique=False)
        batch_op.create_index('uq_lamindb_collection_projects_unqualified', ['collection_id', 'project_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_collection_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_records_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_collection_records_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['lamindb_record.id'], name=op.f('fk_lamindb_collection_records_record_id_lamindb_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_records')),
    sa.UniqueConstraint('collection_id', 'record_id', 'feature_id', name='uq_lamindb_collection_records')
    )
    with op.batch_alter_table('lamindb_collection_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_records_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_records_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_records_record_id'), ['record_id'], unique=False)
        batch_op.create_index('uq_lamindb_collection_records_unqualified', ['collection_id', 'record_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))

    op.create_table('lamindb_collection_ulabels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ulabel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_ulabels_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_collection_ulabels_feature_id_lamindb_feature'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ulabel_id'], ['lamindb_ulabel.id'], name=op.f('fk_lamindb_collection_ulabels_ulabel_id_lamindb_ulabel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_ulabels')),
    sa.UniqueConstraint('collection_id', 'ulabel_id', 'feature_id', name='uq_lamindb_collection_ulabels')
    )
    with op.batch_alter_table('lamindb_collection_ulabels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_ulabels_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_ulabels_feature_id'), ['feature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_ulabels_ulabel_id'), ['ulabel_id'], unique=False)
        batch_op.create_index('uq_lamindb_collection_ulabels_unqualified', ['collection_id', 'ulabel_id'], unique=True, sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('lamindb_collection_ulabels', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_collection_ulabels_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_ulabels_ulabel_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_ulabels_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_ulabels_collection_id'))

    op.drop_table('lamindb_collection_ulabels')
    with op.batch_alter_table('lamindb_collection_records', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_collection_records_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_records_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_records_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_records_collection_id'))

    op.drop_table('lamindb_collection_records')
    with op.batch_alter_table('lamindb_collection_projects', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_collection_projects_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_projects_project_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_projects_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_projects_collection_id'))

    op.drop_table('lamindb_collection_projects')
    with op.batch_alter_table('lamindb_run_json_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_run_json_values_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_json_values_jsonvalue_id'))

    op.drop_table('lamindb_run_json_values')
    with op.batch_alter_table('lamindb_record_json_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_record_json_values_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_json_values_jsonvalue_id'))

    op.drop_table('lamindb_record_json_values')
    with op.batch_alter_table('lamindb_artifact_ulabels', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_artifact_ulabels_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_ulabels_ulabel_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_ulabels_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_ulabels_artifact_id'))

    op.drop_table('lamindb_artifact_ulabels')
    with op.batch_alter_table('lamindb_artifact_records', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_artifact_records_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_records_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_records_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_records_artifact_id'))

    op.drop_table('lamindb_artifact_records')
    with op.batch_alter_table('lamindb_artifact_projects', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_artifact_projects_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_projects_project_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_projects_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_projects_artifact_id'))

    op.drop_table('lamindb_artifact_projects')
    with op.batch_alter_table('lamindb_artifact_json_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_json_values_jsonvalue_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_json_values_artifact_id'))

    op.drop_table('lamindb_artifact_json_values')
    with op.batch_alter_table('lamindb_run_ulabels', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_run_ulabels_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_ulabels_ulabel_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_ulabels_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_ulabels_feature_id'))

    op.drop_table('lamindb_run_ulabels')
    with op.batch_alter_table('lamindb_run_records', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_run_records_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_records_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_records_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_records_feature_id'))

    op.drop_table('lamindb_run_records')
    with op.batch_alter_table('lamindb_run_projects', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_run_projects_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_projects_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_projects_project_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_run_projects_feature_id'))

    op.drop_table('lamindb_run_projects')
    with op.batch_alter_table('lamindb_record_linked_ulabels', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_record_linked_ulabels_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_ulabels_ulabel_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_ulabels_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_ulabels_feature_id'))

    op.drop_table('lamindb_record_linked_ulabels')
    with op.batch_alter_table('lamindb_record_linked_records', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_record_linked_records_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_records_to_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_records_from_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_records_feature_id'))

    op.drop_table('lamindb_record_linked_records')
    with op.batch_alter_table('lamindb_record_linked_projects', schema=None) as batch_op:
        batch_op.drop_index('uq_lamindb_record_linked_projects_unqualified', sqlite_where=sa.text('feature_id IS NULL'), postgresql_where=sa.text('feature_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_projects_record_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_projects_project_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_record_linked_projects_feature_id'))

    op.drop_table('lamindb_record_linked_projects')
    with op.batch_alter_table('lamindb_jsonvalue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_space_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_feature_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_created_on_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_created_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_jsonvalue_branch_id'))

    op.drop_table('lamindb_jsonvalue')
    with op.batch_alter_table('lamindb_feature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_updated_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_unit'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_type_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_space_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_name'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_is_type'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_created_on_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_created_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature_branch_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_feature__dtype_str'))

    op.drop_table('lamindb_feature')
