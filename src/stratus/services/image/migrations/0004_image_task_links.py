"""image tasks name their image, request and user (GET /v2/images/{id}/tasks)

Revision ID: image_0004
Revises: image_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "image_0004"
down_revision = "image_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("image_tasks") as batch:
        batch.add_column(sa.Column("image_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("request_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("user_id", sa.String(64), nullable=True))
        batch.create_index("ix_image_tasks_image_id", ["image_id"])


def downgrade() -> None:
    with op.batch_alter_table("image_tasks") as batch:
        batch.drop_index("ix_image_tasks_image_id")
        batch.drop_column("user_id")
        batch.drop_column("request_id")
        batch.drop_column("image_id")
