"""network segment ranges

Revision ID: network_0004
Revises: network_0003
"""

import sqlalchemy as sa
from alembic import op

from stratus.db.base import UTCDateTime

revision = "network_0004"
down_revision = "network_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_segment_ranges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("default", sa.Boolean(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("network_type", sa.String(length=32), nullable=False),
        sa.Column("physical_network", sa.String(length=64), nullable=True),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_segment_ranges")),
    )
    op.create_index(
        op.f("ix_network_segment_ranges_project_id"),
        "network_segment_ranges",
        ["project_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_network_segment_ranges_project_id"), table_name="network_segment_ranges")
    op.drop_table("network_segment_ranges")
