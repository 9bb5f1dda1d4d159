"""compute server groups and their members

Revision ID: compute_0002
Revises: compute_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_0002"
down_revision = "compute_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_server_groups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False, index=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("policy", sa.String(255), nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "compute_server_group_members",
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("compute_server_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("instance_uuid", sa.String(36), primary_key=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("compute_server_group_members")
    op.drop_table("compute_server_groups")
