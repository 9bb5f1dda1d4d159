"""image tasks

Revision ID: image_0003
Revises: image_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "image_0003"
down_revision = "image_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("owner", sa.String(255), index=True),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("image_tasks")
