"""compute moves: migration records, instance system metadata

Revision ID: compute_0005
Revises: compute_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_0005"
down_revision = "compute_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("compute_instances") as batch:
        batch.add_column(sa.Column("system_metadata", sa.Text, nullable=False, server_default="{}"))
    op.create_table(
        "compute_migrations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False, index=True),
        sa.Column("migration_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("source_compute", sa.String(255), nullable=True),
        sa.Column("source_node", sa.String(255), nullable=True),
        sa.Column("dest_compute", sa.String(255), nullable=True),
        sa.Column("dest_node", sa.String(255), nullable=True),
        sa.Column("dest_host", sa.String(255), nullable=True),
        sa.Column("old_instance_type_id", sa.Integer, nullable=True),
        sa.Column("new_instance_type_id", sa.Integer, nullable=True),
        sa.Column("old_flavor", sa.Text, nullable=True),
        sa.Column("new_flavor", sa.Text, nullable=True),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("memory_total", sa.BigInteger, nullable=True),
        sa.Column("memory_processed", sa.BigInteger, nullable=True),
        sa.Column("memory_remaining", sa.BigInteger, nullable=True),
        sa.Column("disk_total", sa.BigInteger, nullable=True),
        sa.Column("disk_processed", sa.BigInteger, nullable=True),
        sa.Column("disk_remaining", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("compute_migrations")
    with op.batch_alter_table("compute_instances") as batch:
        batch.drop_column("system_metadata")
