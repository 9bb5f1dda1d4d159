"""compute metadata: passwords posted by guests

Revision ID: compute_metadata_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_metadata_0001"
down_revision = None
branch_labels = ("compute_metadata",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_instance_passwords",
        sa.Column("instance_uuid", sa.String(36), primary_key=True),
        sa.Column("password", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("compute_instance_passwords")
