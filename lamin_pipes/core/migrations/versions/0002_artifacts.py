"""artifacts, collections and storage; transforms become versioned

Adds the Storage, Artifact and Collection registries with their run links, and the
version-family indexes of Artifact, Collection and Transform (see
``lamin_pipes.models._is_versioned``): the stem index, one head per family, one head
per family key, unique version tags. The expression and partial indexes are written by
hand: alembic's autogenerate skips expression indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:38:36.881565
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lamin_pipes.core._types import UTCDateTime

# (table, stem length, family key columns)
FAMILIES = (
    ("lamindb_artifact", 16, ("storage_id", "key")),
    ("lamindb_collection", 16, ("key",)),
    ("lamindb_transform", 12, ("key",)),
)


def _family_indexes() -> None:
    is_latest = "is_latest = 1" if op.get_bind().dialect.name == "sqlite" else "is_latest"
    for table, stem_len, key_cols in FAMILIES:
        stem = sa.text(f"substr(uid, 1, {stem_len})")
        op.create_index(f"ix_{table}_stem", table, [stem])
        latest = sa.text(is_latest)
        op.create_index(
            f"uq_{table}_latest",
            table,
            [stem],
            unique=True,
            sqlite_where=latest,
            postgresql_where=latest,
        )
        key_where = sa.text(f"{is_latest} AND key IS NOT NULL")
        op.create_index(
            f"uq_{table}_key_latest",
            table,
            list(key_cols),
            unique=True,
            sqlite_where=key_where,
            postgresql_where=key_where,
        )
        tag_where = sa.text("version_tag IS NOT NULL")
        op.create_index(
            f"uq_{table}_version_tag",
            table,
            [stem, sa.text("version_tag")],
            unique=True,
            sqlite_where=tag_where,
            postgresql_where=tag_where,
        )


def _drop_family_indexes() -> None:
    for table, _, _ in FAMILIES:
        for name in ("version_tag", "key_latest", "latest"):
            op.drop_index(f"uq_{table}_{name}", table_name=table)
        op.drop_index(f"ix_{table}_stem", table_name=table)


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lamindb_storage',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=12), nullable=False),
    sa.Column('root', sa.String(length=767), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('instance_uid', sa.String(length=12), nullable=True),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_storage_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_storage_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_storage_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_storage_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_storage_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_storage')),
    sa.UniqueConstraint('root', name=op.f('uq_lamindb_storage_root')),
    sa.UniqueConstraint('uid', name=op.f('uq_lamindb_storage_uid'))
    )
    with op.batch_alter_table('lamindb_storage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_storage_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_created_on_id'), ['created_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_instance_uid'), ['instance_uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_storage_updated_at'), ['updated_at'], unique=False)

    op.create_table('lamindb_artifact',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=1024), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('storage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('suffix', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('otype', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('hash', sa.String(length=22), nullable=True),
    sa.Column('n_files', sa.BigInteger(), nullable=True),
    sa.Column('n_observations', sa.BigInteger(), nullable=True),
    sa.Column('_hash_type', sa.String(length=30), nullable=True),
    sa.Column('_key_is_virtual', sa.Boolean(), nullable=False),
    sa.Column('_overwrite_versions', sa.Boolean(), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('version_tag', sa.String(length=30), nullable=True),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_artifact_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_artifact_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_artifact_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_artifact_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_artifact_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['storage_id'], ['lamindb_storage.id'], name=op.f('fk_lamindb_artifact_storage_id_lamindb_storage'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact')),
    sa.UniqueConstraint('uid', name=op.f('uq_lamindb_artifact_uid'))
    )
    with op.batch_alter_table('lamindb_artifact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact__hash_type'), ['_hash_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_created_on_id'), ['created_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_description'), ['description'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_hash'), ['hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_is_latest'), ['is_latest'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_n_files'), ['n_files'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_n_observations'), ['n_observations'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_otype'), ['otype'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_size'), ['size'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_storage_id'), ['storage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_suffix'), ['suffix'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_version_tag'), ['version_tag'], unique=False)

    op.create_table('lamindb_artifact_input_of_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_input_of_runs_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_artifact_input_of_runs_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_input_of_runs')),
    sa.UniqueConstraint('artifact_id', 'run_id', name=op.f('uq_lamindb_artifact_input_of_runs_artifact_id_run_id'))
    )
    with op.batch_alter_table('lamindb_artifact_input_of_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_input_of_runs_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_input_of_runs_run_id'), ['run_id'], unique=False)

    op.create_table('lamindb_artifact_recreating_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifact_recreating_runs_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_artifact_recreating_runs_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifact_recreating_runs')),
    sa.UniqueConstraint('artifact_id', 'run_id', name=op.f('uq_lamindb_artifact_recreating_runs_artifact_id_run_id'))
    )
    with op.batch_alter_table('lamindb_artifact_recreating_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_recreating_runs_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_artifact_recreating_runs_run_id'), ['run_id'], unique=False)

    op.create_table('lamindb_collection',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('hash', sa.String(length=22), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('reference_type', sa.String(length=25), nullable=True),
    sa.Column('meta_artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('version_tag', sa.String(length=30), nullable=True),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_collection_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_collection_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_collection_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['meta_artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_collection_meta_artifact_id_lamindb_artifact'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_collection_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_collection_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection')),
    sa.UniqueConstraint('uid', name=op.f('uq_lamindb_collection_uid'))
    )
    with op.batch_alter_table('lamindb_collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_created_on_id'), ['created_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_description'), ['description'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_hash'), ['hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_is_latest'), ['is_latest'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_meta_artifact_id'), ['meta_artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_reference_type'), ['reference_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_version_tag'), ['version_tag'], unique=False)

    op.create_table('lamindb_collection_artifacts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_collection_artifacts_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_artifacts_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_artifacts')),
    sa.UniqueConstraint('collection_id', 'artifact_id', name=op.f('uq_lamindb_collection_artifacts_collection_id_artifact_id'))
    )
    with op.batch_alter_table('lamindb_collection_artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_artifacts_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_artifacts_collection_id'), ['collection_id'], unique=False)

    op.create_table('lamindb_collection_input_of_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_input_of_runs_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_collection_input_of_runs_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_input_of_runs')),
    sa.UniqueConstraint('collection_id', 'run_id', name=op.f('uq_lamindb_collection_input_of_runs_collection_id_run_id'))
    )
    with op.batch_alter_table('lamindb_collection_input_of_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_input_of_runs_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_input_of_runs_run_id'), ['run_id'], unique=False)

    op.create_table('lamindb_collection_recreating_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['lamindb_collection.id'], name=op.f('fk_lamindb_collection_recreating_runs_collection_id_lamindb_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_collection_recreating_runs_run_id_lamindb_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_collection_recreating_runs')),
    sa.UniqueConstraint('collection_id', 'run_id', name=op.f('uq_lamindb_collection_recreating_runs_collection_id_run_id'))
    )
    with op.batch_alter_table('lamindb_collection_recreating_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lamindb_collection_recreating_runs_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lamindb_collection_recreating_runs_run_id'), ['run_id'], unique=False)

    _family_indexes()


def downgrade() -> None:
    _drop_family_indexes()
    with op.batch_alter_table('lamindb_collection_recreating_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_recreating_runs_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_recreating_runs_collection_id'))

    op.drop_table('lamindb_collection_recreating_runs')
    with op.batch_alter_table('lamindb_collection_input_of_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_input_of_runs_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_input_of_runs_collection_id'))

    op.drop_table('lamindb_collection_input_of_runs')
    with op.batch_alter_table('lamindb_collection_artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_artifacts_collection_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_artifacts_artifact_id'))

    op.drop_table('lamindb_collection_artifacts')
    with op.batch_alter_table('lamindb_collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_version_tag'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_updated_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_space_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_reference_type'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_reference'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_meta_artifact_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_key'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_is_latest'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_hash'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_description'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_created_on_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_created_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_collection_branch_id'))

    op.drop_table('lamindb_collection')
    with op.batch_alter_table('lamindb_artifact_recreating_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_recreating_runs_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_recreating_runs_artifact_id'))

    op.drop_table('lamindb_artifact_recreating_runs')
    with op.batch_alter_table('lamindb_artifact_input_of_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_input_of_runs_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_input_of_runs_artifact_id'))

    op.drop_table('lamindb_artifact_input_of_runs')
    with op.batch_alter_table('lamindb_artifact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_version_tag'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_updated_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_suffix'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_storage_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_space_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_size'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_otype'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_n_observations'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_n_files'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_kind'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_key'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_is_latest'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_hash'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_description'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_created_on_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_created_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact_branch_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_artifact__hash_type'))

    op.drop_table('lamindb_artifact')
    with op.batch_alter_table('lamindb_storage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_updated_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_type'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_space_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_run_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_region'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_instance_uid'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_created_on_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_created_at'))
        batch_op.drop_index(batch_op.f('ix_lamindb_storage_branch_id'))

    op.drop_table('lamindb_storage')
