"""compute quota classes

Revision ID: compute_0004
Revises: compute_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_0004"
down_revision = "compute_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_quota_classes",
        sa.Column("class_name", sa.String(255), primary_key=True),
        sa.Column("resource", sa.String(255), primary_key=True),
        sa.Column("hard_limit", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("compute_quota_classes")
