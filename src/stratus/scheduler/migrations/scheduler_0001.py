"""scheduler tables: per-host NUMA/PCI usage and each instance's exact placement

Revision ID: scheduler_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0001"
down_revision = None
branch_labels = ("scheduler",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_host_usage",
        sa.Column("node_uuid", sa.String(36), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("usage", sa.Text, nullable=False),
    )
    op.create_table(
        "scheduler_instance_topology",
        sa.Column("instance_uuid", sa.String(36), primary_key=True),
        sa.Column("node_uuid", sa.String(36), nullable=False, index=True),
        sa.Column("topology", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_instance_topology")
    op.drop_table("scheduler_host_usage")
