"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:39:13.119535
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lamin_pipes.core._types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lamindb_user",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=8), nullable=False),
        sa.Column("handle", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_user")),
        sa.UniqueConstraint("handle", name=op.f("uq_lamindb_user_handle")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_user_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_user_created_at"), "lamindb_user", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_user_name"), "lamindb_user", ["name"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_user_updated_at"), "lamindb_user", ["updated_at"], unique=False
    )
    op.create_table(
        "lamindb_branch",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_branch_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_branch")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_branch_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_branch_created_at"),
        "lamindb_branch",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_branch_created_by_id"),
        "lamindb_branch",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_branch_name"), "lamindb_branch", ["name"], unique=False
    )
    op.create_table(
        "lamindb_space",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_space_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_space")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_space_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_space_created_at"),
        "lamindb_space",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_space_created_by_id"),
        "lamindb_space",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_space_name"), "lamindb_space", ["name"], unique=False
    )
    op.create_table(
        "lamindb_transform",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_code", sa.Text(), nullable=True),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("version_tag", sa.String(length=30), nullable=True),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "branch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_on_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_transform_branch_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_transform_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_on_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_transform_created_on_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["lamindb_space.id"],
            name=op.f("fk_lamindb_transform_space_id_lamindb_space"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transform")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_transform_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_transform_branch_id"),
        "lamindb_transform",
        ["branch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_created_at"),
        "lamindb_transform",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_created_by_id"),
        "lamindb_transform",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_created_on_id"),
        "lamindb_transform",
        ["created_on_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_hash"), "lamindb_transform", ["hash"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_transform_is_latest"),
        "lamindb_transform",
        ["is_latest"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_key"), "lamindb_transform", ["key"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_transform_kind"), "lamindb_transform", ["kind"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_transform_space_id"),
        "lamindb_transform",
        ["space_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_updated_at"),
        "lamindb_transform",
        ["updated_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_transform_version_tag"),
        "lamindb_transform",
        ["version_tag"],
        unique=False,
    )
    op.create_table(
        "lamindb_run",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column(
            "transform_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "initiated_by_run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "branch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_on_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_run_branch_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_run_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_on_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_run_created_on_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["initiated_by_run_id"],
            ["lamindb_run.id"],
            name=op.f("fk_lamindb_run_initiated_by_run_id_lamindb_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["lamindb_space.id"],
            name=op.f("fk_lamindb_run_space_id_lamindb_space"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transform_id"],
            ["lamindb_transform.id"],
            name=op.f("fk_lamindb_run_transform_id_lamindb_transform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_run")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_run_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_run_branch_id"), "lamindb_run", ["branch_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_created_at"), "lamindb_run", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_created_by_id"),
        "lamindb_run",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_run_created_on_id"),
        "lamindb_run",
        ["created_on_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_run_finished_at"), "lamindb_run", ["finished_at"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_initiated_by_run_id"),
        "lamindb_run",
        ["initiated_by_run_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_run_reference"), "lamindb_run", ["reference"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_reference_type"),
        "lamindb_run",
        ["reference_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_run_space_id"), "lamindb_run", ["space_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_started_at"), "lamindb_run", ["started_at"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_status"), "lamindb_run", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_run_transform_id"),
        "lamindb_run",
        ["transform_id"],
        unique=False,
    )
    op.create_table(
        "lamindb_project",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "type_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("is_type", sa.Boolean(), nullable=False),
        sa.Column("abbr", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "branch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_on_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_project_branch_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_project_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_on_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_project_created_on_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["lamindb_run.id"],
            name=op.f("fk_lamindb_project_run_id_lamindb_run"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["lamindb_space.id"],
            name=op.f("fk_lamindb_project_space_id_lamindb_space"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["lamindb_project.id"],
            name=op.f("fk_lamindb_project_type_id_lamindb_project"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_project_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_project_abbr"), "lamindb_project", ["abbr"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_project_branch_id"),
        "lamindb_project",
        ["branch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_created_at"),
        "lamindb_project",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_created_by_id"),
        "lamindb_project",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_created_on_id"),
        "lamindb_project",
        ["created_on_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_is_type"), "lamindb_project", ["is_type"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_project_name"), "lamindb_project", ["name"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_project_run_id"), "lamindb_project", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_project_space_id"),
        "lamindb_project",
        ["space_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_type_id"), "lamindb_project", ["type_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_project_updated_at"),
        "lamindb_project",
        ["updated_at"],
        unique=False,
    )
    op.create_table(
        "lamindb_record",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column(
            "type_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("is_type", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("synonyms", sa.Text(), nullable=True),
        sa.Column("abbr", sa.String(length=32), nullable=True),
        sa.Column(
            "extra_data",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "branch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_on_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_record_branch_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_record_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_on_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_record_created_on_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["lamindb_run.id"],
            name=op.f("fk_lamindb_record_run_id_lamindb_run"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["lamindb_space.id"],
            name=op.f("fk_lamindb_record_space_id_lamindb_space"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["lamindb_record.id"],
            name=op.f("fk_lamindb_record_type_id_lamindb_record"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_record")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_record_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_record_abbr"), "lamindb_record", ["abbr"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_branch_id"),
        "lamindb_record",
        ["branch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_created_at"),
        "lamindb_record",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_created_by_id"),
        "lamindb_record",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_created_on_id"),
        "lamindb_record",
        ["created_on_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_is_type"), "lamindb_record", ["is_type"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_name"), "lamindb_record", ["name"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_reference"),
        "lamindb_record",
        ["reference"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_reference_type"),
        "lamindb_record",
        ["reference_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_run_id"), "lamindb_record", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_space_id"), "lamindb_record", ["space_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_type_id"), "lamindb_record", ["type_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_record_updated_at"),
        "lamindb_record",
        ["updated_at"],
        unique=False,
    )
    op.create_table(
        "lamindb_ulabel",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uid", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column(
            "type_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("is_type", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("synonyms", sa.Text(), nullable=True),
        sa.Column("abbr", sa.String(length=32), nullable=True),
        sa.Column(
            "branch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_on_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_ulabel_branch_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lamindb_user.id"],
            name=op.f("fk_lamindb_ulabel_created_by_id_lamindb_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_on_id"],
            ["lamindb_branch.id"],
            name=op.f("fk_lamindb_ulabel_created_on_id_lamindb_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["lamindb_run.id"],
            name=op.f("fk_lamindb_ulabel_run_id_lamindb_run"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["lamindb_space.id"],
            name=op.f("fk_lamindb_ulabel_space_id_lamindb_space"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["lamindb_ulabel.id"],
            name=op.f("fk_lamindb_ulabel_type_id_lamindb_ulabel"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_ulabel")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_ulabel_uid")),
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_abbr"), "lamindb_ulabel", ["abbr"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_branch_id"),
        "lamindb_ulabel",
        ["branch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_created_at"),
        "lamindb_ulabel",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_created_by_id"),
        "lamindb_ulabel",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_created_on_id"),
        "lamindb_ulabel",
        ["created_on_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_is_type"), "lamindb_ulabel", ["is_type"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_name"), "lamindb_ulabel", ["name"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_reference"),
        "lamindb_ulabel",
        ["reference"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_reference_type"),
        "lamindb_ulabel",
        ["reference_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_run_id"), "lamindb_ulabel", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_space_id"), "lamindb_ulabel", ["space_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_type_id"), "lamindb_ulabel", ["type_id"], unique=False
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_updated_at"),
        "lamindb_ulabel",
        ["updated_at"],
        unique=False,
    )
    op.create_table(
        "lamindb_project_parents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_project_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "to_project_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["from_project_id"],
            ["lamindb_project.id"],
            name=op.f("fk_lamindb_project_parents_from_project_id_lamindb_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_project_id"],
            ["lamindb_project.id"],
            name=op.f("fk_lamindb_project_parents_to_project_id_lamindb_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_parents")),
        sa.UniqueConstraint(
            "from_project_id",
            "to_project_id",
            name=op.f("uq_lamindb_project_parents_from_project_id_to_project_id"),
        ),
    )
    op.create_index(
        op.f("ix_lamindb_project_parents_from_project_id"),
        "lamindb_project_parents",
        ["from_project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_parents_to_project_id"),
        "lamindb_project_parents",
        ["to_project_id"],
        unique=False,
    )
    op.create_table(
        "lamindb_project_records",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "project_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["lamindb_project.id"],
            name=op.f("fk_lamindb_project_records_project_id_lamindb_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["lamindb_record.id"],
            name=op.f("fk_lamindb_project_records_record_id_lamindb_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_records")),
        sa.UniqueConstraint(
            "project_id",
            "record_id",
            name=op.f("uq_lamindb_project_records_project_id_record_id"),
        ),
    )
    op.create_index(
        op.f("ix_lamindb_project_records_project_id"),
        "lamindb_project_records",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_records_record_id"),
        "lamindb_project_records",
        ["record_id"],
        unique=False,
    )
    op.create_table(
        "lamindb_project_ulabels",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "project_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "ulabel_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["lamindb_project.id"],
            name=op.f("fk_lamindb_project_ulabels_project_id_lamindb_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ulabel_id"],
            ["lamindb_ulabel.id"],
            name=op.f("fk_lamindb_project_ulabels_ulabel_id_lamindb_ulabel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_ulabels")),
        sa.UniqueConstraint(
            "project_id",
            "ulabel_id",
            name=op.f("uq_lamindb_project_ulabels_project_id_ulabel_id"),
        ),
    )
    op.create_index(
        op.f("ix_lamindb_project_ulabels_project_id"),
        "lamindb_project_ulabels",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_project_ulabels_ulabel_id"),
        "lamindb_project_ulabels",
        ["ulabel_id"],
        unique=False,
    )
    op.create_table(
        "lamindb_record_parents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "to_record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["from_record_id"],
            ["lamindb_record.id"],
            name=op.f("fk_lamindb_record_parents_from_record_id_lamindb_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_record_id"],
            ["lamindb_record.id"],
            name=op.f("fk_lamindb_record_parents_to_record_id_lamindb_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_record_parents")),
        sa.UniqueConstraint(
            "from_record_id",
            "to_record_id",
            name=op.f("uq_lamindb_record_parents_from_record_id_to_record_id"),
        ),
    )
    op.create_index(
        op.f("ix_lamindb_record_parents_from_record_id"),
        "lamindb_record_parents",
        ["from_record_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_record_parents_to_record_id"),
        "lamindb_record_parents",
        ["to_record_id"],
        unique=False,
    )
    op.create_table(
        "lamindb_ulabel_parents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_ulabel_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "to_ulabel_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["from_ulabel_id"],
            ["lamindb_ulabel.id"],
            name=op.f("fk_lamindb_ulabel_parents_from_ulabel_id_lamindb_ulabel"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_ulabel_id"],
            ["lamindb_ulabel.id"],
            name=op.f("fk_lamindb_ulabel_parents_to_ulabel_id_lamindb_ulabel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_ulabel_parents")),
        sa.UniqueConstraint(
            "from_ulabel_id",
            "to_ulabel_id",
            name=op.f("uq_lamindb_ulabel_parents_from_ulabel_id_to_ulabel_id"),
        ),
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_parents_from_ulabel_id"),
        "lamindb_ulabel_parents",
        ["from_ulabel_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lamindb_ulabel_parents_to_ulabel_id"),
        "lamindb_ulabel_parents",
        ["to_ulabel_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_lamindb_ulabel_parents_to_ulabel_id"),
        table_name="lamindb_ulabel_parents",
    )
    op.drop_index(
        op.f("ix_lamindb_ulabel_parents_from_ulabel_id"),
        table_name="lamindb_ulabel_parents",
    )
    op.drop_table("lamindb_ulabel_parents")
    op.drop_index(
        op.f("ix_lamindb_record_parents_to_record_id"),
        table_name="lamindb_record_parents",
    )
    op.drop_index(
        op.f("ix_lamindb_record_parents_from_record_id"),
        table_name="lamindb_record_parents",
    )
    op.drop_table("lamindb_record_parents")
    op.drop_index(
        op.f("ix_lamindb_project_ulabels_ulabel_id"),
        table_name="lamindb_project_ulabels",
    )
    op.drop_index(
        op.f("ix_lamindb_project_ulabels_project_id"),
        table_name="lamindb_project_ulabels",
    )
    op.drop_table("lamindb_project_ulabels")
    op.drop_index(
        op.f("ix_lamindb_project_records_record_id"),
        table_name="lamindb_project_records",
    )
    op.drop_index(
        op.f("ix_lamindb_project_records_project_id"),
        table_name="lamindb_project_records",
    )
    op.drop_table("lamindb_project_records")
    op.drop_index(
        op.f("ix_lamindb_project_parents_to_project_id"),
        table_name="lamindb_project_parents",
    )
    op.drop_index(
        op.f("ix_lamindb_project_parents_from_project_id"),
        table_name="lamindb_project_parents",
    )
    op.drop_table("lamindb_project_parents")
    op.drop_index(op.f("ix_lamindb_ulabel_updated_at"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_type_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_space_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_run_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_reference_type"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_reference"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_name"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_is_type"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_created_on_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_created_by_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_created_at"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_branch_id"), table_name="lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_ulabel_abbr"), table_name="lamindb_ulabel")
    op.drop_table("lamindb_ulabel")
    op.drop_index(op.f("ix_lamindb_record_updated_at"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_type_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_space_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_run_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_reference_type"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_reference"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_name"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_is_type"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_created_on_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_created_by_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_created_at"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_branch_id"), table_name="lamindb_record")
    op.drop_index(op.f("ix_lamindb_record_abbr"), table_name="lamindb_record")
    op.drop_table("lamindb_record")
    op.drop_index(op.f("ix_lamindb_project_updated_at"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_type_id"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_space_id"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_run_id"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_name"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_is_type"), table_name="lamindb_project")
    op.drop_index(
        op.f("ix_lamindb_project_created_on_id"), table_name="lamindb_project"
    )
    op.drop_index(
        op.f("ix_lamindb_project_created_by_id"), table_name="lamindb_project"
    )
    op.drop_index(op.f("ix_lamindb_project_created_at"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_branch_id"), table_name="lamindb_project")
    op.drop_index(op.f("ix_lamindb_project_abbr"), table_name="lamindb_project")
    op.drop_table("lamindb_project")
    op.drop_index(op.f("ix_lamindb_run_transform_id"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_status"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_started_at"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_space_id"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_reference_type"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_reference"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_initiated_by_run_id"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_finished_at"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_created_on_id"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_created_by_id"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_created_at"), table_name="lamindb_run")
    op.drop_index(op.f("ix_lamindb_run_branch_id"), table_name="lamindb_run")
    op.drop_table("lamindb_run")
    op.drop_index(
        op.f("ix_lamindb_transform_version_tag"), table_name="lamindb_transform"
    )
    op.drop_index(
        op.f("ix_lamindb_transform_updated_at"), table_name="lamindb_transform"
    )
    op.drop_index(op.f("ix_lamindb_transform_space_id"), table_name="lamindb_transform")
    op.drop_index(op.f("ix_lamindb_transform_kind"), table_name="lamindb_transform")
    op.drop_index(op.f("ix_lamindb_transform_key"), table_name="lamindb_transform")
    op.drop_index(
        op.f("ix_lamindb_transform_is_latest"), table_name="lamindb_transform"
    )
    op.drop_index(op.f("ix_lamindb_transform_hash"), table_name="lamindb_transform")
    op.drop_index(
        op.f("ix_lamindb_transform_created_on_id"), table_name="lamindb_transform"
    )
    op.drop_index(
        op.f("ix_lamindb_transform_created_by_id"), table_name="lamindb_transform"
    )
    op.drop_index(
        op.f("ix_lamindb_transform_created_at"), table_name="lamindb_transform"
    )
    op.drop_index(
        op.f("ix_lamindb_transform_branch_id"), table_name="lamindb_transform"
    )
    op.drop_table("lamindb_transform")
    op.drop_index(op.f("ix_lamindb_space_name"), table_name="lamindb_space")
    op.drop_index(op.f("ix_lamindb_space_created_by_id"), table_name="lamindb_space")
    op.drop_index(op.f("ix_lamindb_space_created_at"), table_name="lamindb_space")
    op.drop_table("lamindb_space")
    op.drop_index(op.f("ix_lamindb_branch_name"), table_name="lamindb_branch")
    op.drop_index(op.f("ix_lamindb_branch_created_by_id"), table_name="lamindb_branch")
    op.drop_index(op.f("ix_lamindb_branch_created_at"), table_name="lamindb_branch")
    op.drop_table("lamindb_branch")
    op.drop_index(op.f("ix_lamindb_user_updated_at"), table_name="lamindb_user")
    op.drop_index(op.f("ix_lamindb_user_name"), table_name="lamindb_user")
    op.drop_index(op.f("ix_lamindb_user_created_at"), table_name="lamindb_user")
    op.drop_table("lamindb_user")
