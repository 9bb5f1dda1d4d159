"""quota tables

Revision ID: quota_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "quota_0001"
down_revision = None
branch_labels = ("quota",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_limits",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("resource", sa.String(255), primary_key=True),
        sa.Column("hard_limit", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "quota_locks",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("counter", sa.BigInteger, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("quota_locks")
    op.drop_table("quota_limits")
