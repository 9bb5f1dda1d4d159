"""compute metadata: files injected at boot or rebuild (personality)

Revision ID: compute_metadata_0002
Revises: compute_metadata_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_metadata_0002"
down_revision = "compute_metadata_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_injected_files",
        sa.Column("instance_uuid", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("contents", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("compute_injected_files")
