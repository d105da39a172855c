"""schemas

Adds lamindb's ``Schema`` registry (features, identifier types, constraints, content
hash; a partial unique index keeps one saved schema per hash outside the trash), its
member links (``lamindb_schema_features``), the slots of composite schemas
(``lamindb_schemacomponent``), an artifact's schemas by slot
(``lamindb_artifactschema``) and ``Artifact.schema``, the schema an artifact was
validated against.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lamin_pipes.core._types import UTCDateTime

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lamindb_schema',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('n_members', sa.Integer(), nullable=True),
    sa.Column('coerce', sa.Boolean(), nullable=True),
    sa.Column('flexible', sa.Boolean(), nullable=True),
    sa.Column('type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('is_type', sa.Boolean(), nullable=False),
    sa.Column('itype', sa.String(length=120), nullable=True),
    sa.Column('otype', sa.String(length=64), nullable=True),
    sa.Column('_dtype_str', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=22), nullable=True),
    sa.Column('minimal_set', sa.Boolean(), nullable=False),
    sa.Column('ordered_set', sa.Boolean(), nullable=False),
    sa.Column('maximal_set', sa.Boolean(), nullable=False),
    sa.Column('branch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('space_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_on_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('_aux', _JSON, nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_schema_branch_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lamindb_user.id'], name=op.f('fk_lamindb_schema_created_by_id_lamindb_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_on_id'], ['lamindb_branch.id'], name=op.f('fk_lamindb_schema_created_on_id_lamindb_branch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['lamindb_run.id'], name=op.f('fk_lamindb_schema_run_id_lamindb_run'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['lamindb_space.id'], name=op.f('fk_lamindb_schema_space_id_lamindb_space'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['type_id'], ['lamindb_schema.id'], name=op.f('fk_lamindb_schema_type_id_lamindb_schema'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_schema')),
    sa.UniqueConstraint('uid', name=op.f('uq_lamindb_schema_uid'))
    )
    op.create_index(op.f('ix_lamindb_schema_branch_id'), 'lamindb_schema', ['branch_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_created_at'), 'lamindb_schema', ['created_at'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_created_by_id'), 'lamindb_schema', ['created_by_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_created_on_id'), 'lamindb_schema', ['created_on_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_hash'), 'lamindb_schema', ['hash'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_is_type'), 'lamindb_schema', ['is_type'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_itype'), 'lamindb_schema', ['itype'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_maximal_set'), 'lamindb_schema', ['maximal_set'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_minimal_set'), 'lamindb_schema', ['minimal_set'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_name'), 'lamindb_schema', ['name'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_ordered_set'), 'lamindb_schema', ['ordered_set'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_otype'), 'lamindb_schema', ['otype'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_run_id'), 'lamindb_schema', ['run_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_space_id'), 'lamindb_schema', ['space_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_type_id'), 'lamindb_schema', ['type_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_updated_at'), 'lamindb_schema', ['updated_at'], unique=False)
    op.create_index('uq_lamindb_schema_hash', 'lamindb_schema', ['hash'], unique=True, sqlite_where=sa.text('hash IS NOT NULL AND branch_id != -1'), postgresql_where=sa.text('hash IS NOT NULL AND branch_id != -1'))
    op.create_table('lamindb_schema_features',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('schema_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['feature_id'], ['lamindb_feature.id'], name=op.f('fk_lamindb_schema_features_feature_id_lamindb_feature'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schema_id'], ['lamindb_schema.id'], name=op.f('fk_lamindb_schema_features_schema_id_lamindb_schema'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_schema_features')),
    sa.UniqueConstraint('schema_id', 'feature_id', name=op.f('uq_lamindb_schema_features_schema_id_feature_id'))
    )
    op.create_index(op.f('ix_lamindb_schema_features_feature_id'), 'lamindb_schema_features', ['feature_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schema_features_schema_id'), 'lamindb_schema_features', ['schema_id'], unique=False)
    op.create_table('lamindb_schemacomponent',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('composite_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('component_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slot', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['lamindb_schema.id'], name=op.f('fk_lamindb_schemacomponent_component_id_lamindb_schema'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['composite_id'], ['lamindb_schema.id'], name=op.f('fk_lamindb_schemacomponent_composite_id_lamindb_schema'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_schemacomponent')),
    sa.UniqueConstraint('composite_id', 'slot', name=op.f('uq_lamindb_schemacomponent_composite_id_slot'))
    )
    op.create_index(op.f('ix_lamindb_schemacomponent_component_id'), 'lamindb_schemacomponent', ['component_id'], unique=False)
    op.create_index(op.f('ix_lamindb_schemacomponent_composite_id'), 'lamindb_schemacomponent', ['composite_id'], unique=False)
    op.create_table('lamindb_artifactschema',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('schema_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slot', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['artifact_id'], ['lamindb_artifact.id'], name=op.f('fk_lamindb_artifactschema_artifact_id_lamindb_artifact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schema_id'], ['lamindb_schema.id'], name=op.f('fk_lamindb_artifactschema_schema_id_lamindb_schema'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lamindb_artifactschema')),
    sa.UniqueConstraint('artifact_id', 'slot', name=op.f('uq_lamindb_artifactschema_artifact_id_slot'))
    )
    op.create_index(op.f('ix_lamindb_artifactschema_artifact_id'), 'lamindb_artifactschema', ['artifact_id'], unique=False)
    op.create_index(op.f('ix_lamindb_artifactschema_schema_id'), 'lamindb_artifactschema', ['schema_id'], unique=False)

    # Artifact.schema. SQLite adds the column and its foreign key in place (ALTER TABLE
    # ADD COLUMN ... REFERENCES): copying the table instead (alembic's batch mode) would
    # drop its expression indexes and, with foreign keys on, cascade the deletion of the
    # old copy into every link table.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE lamindb_artifact ADD COLUMN {_INLINE_FK}')
        _sqlite_rewrite_artifact_sql(_INLINE_FK, _TABLE_FK)
    else:
        op.add_column('lamindb_artifact', sa.Column('schema_id', _ID, nullable=True))
        op.create_foreign_key(_FK, 'lamindb_artifact', 'lamindb_schema', ['schema_id'], ['id'], ondelete='RESTRICT')
    op.create_index(op.f('ix_lamindb_artifact_schema_id'), 'lamindb_artifact', ['schema_id'], unique=False)


_FK = 'fk_lamindb_artifact_schema_id_lamindb_schema'
_REFERENCES = 'REFERENCES lamindb_schema (id) ON DELETE RESTRICT'
_INLINE_FK = f'schema_id INTEGER CONSTRAINT {_FK} {_REFERENCES}'
_TABLE_FK = f'schema_id INTEGER, CONSTRAINT {_FK} FOREIGN KEY(schema_id) {_REFERENCES}'


def _sqlite_rewrite_artifact_sql(old: str, new: str) -> None:
    """Swap the column's inline foreign key for the same constraint at table level.

    Both forms are the same constraint to SQLite; the stored CREATE TABLE text differs
    only in where it is spelled, and SQLAlchemy reads a constraint's name and ON DELETE
    action from the table level only. The text is rewritten in place, the way SQLite's
    documentation describes for constraint changes that leave the stored rows as they are.
    """
    bind = op.get_bind()
    sql = str(bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'lamindb_artifact'"
    ).scalar())
    if old not in sql:
        raise RuntimeError(f'unexpected lamindb_artifact definition: {sql}')
    version = int(bind.exec_driver_sql('PRAGMA schema_version').scalar() or 0)
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'lamindb_artifact'",
        (sql.replace(old, new),),
    )
    bind.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')
    (check,) = bind.exec_driver_sql('PRAGMA integrity_check').scalars().all()
    if check != 'ok':
        raise RuntimeError(f'lamindb_artifact after rewriting its definition: {check}')


def downgrade() -> None:
    op.drop_index(op.f('ix_lamindb_artifact_schema_id'), table_name='lamindb_artifact')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rewrite_artifact_sql(_TABLE_FK, _INLINE_FK)
        op.execute('ALTER TABLE lamindb_artifact DROP COLUMN schema_id')  # in place
    else:
        op.drop_constraint(_FK, 'lamindb_artifact', type_='foreignkey')
        op.drop_column('lamindb_artifact', 'schema_id')
    op.drop_index(op.f('ix_lamindb_artifactschema_schema_id'), table_name='lamindb_artifactschema')
    op.drop_index(op.f('ix_lamindb_artifactschema_artifact_id'), table_name='lamindb_artifactschema')
    op.drop_table('lamindb_artifactschema')
    op.drop_index(op.f('ix_lamindb_schemacomponent_composite_id'), table_name='lamindb_schemacomponent')
    op.drop_index(op.f('ix_lamindb_schemacomponent_component_id'), table_name='lamindb_schemacomponent')
    op.drop_table('lamindb_schemacomponent')
    op.drop_index(op.f('ix_lamindb_schema_features_schema_id'), table_name='lamindb_schema_features')
    op.drop_index(op.f('ix_lamindb_schema_features_feature_id'), table_name='lamindb_schema_features')
    op.drop_table('lamindb_schema_features')
    op.drop_index('uq_lamindb_schema_hash', table_name='lamindb_schema', sqlite_where=sa.text('hash IS NOT NULL AND branch_id != -1'), postgresql_where=sa.text('hash IS NOT NULL AND branch_id != -1'))
    op.drop_index(op.f('ix_lamindb_schema_updated_at'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_type_id'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_space_id'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_run_id'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_otype'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_ordered_set'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_name'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_minimal_set'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_maximal_set'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_itype'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_is_type'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_hash'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_created_on_id'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_created_by_id'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_created_at'), table_name='lamindb_schema')
    op.drop_index(op.f('ix_lamindb_schema_branch_id'), table_name='lamindb_schema')
    op.drop_table('lamindb_schema')
