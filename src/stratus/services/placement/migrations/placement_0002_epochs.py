"""placement change epochs: a structure and a usage counter, and each provider's last usage
change, so candidate searches refresh only what changed

Revision ID: placement_0002
Revises: placement_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "placement_0002"
down_revision = "placement_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    epochs = op.create_table(
        "placement_epochs",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(epochs, [{"name": "structure", "seq": 0}, {"name": "usage", "seq": 0}])
    with op.batch_alter_table("placement_resource_providers") as batch:
        batch.add_column(sa.Column("usage_seq", sa.BigInteger, nullable=False, server_default="0"))
        batch.create_index("ix_placement_resource_providers_usage_seq", ["usage_seq"])


def downgrade() -> None:
    with op.batch_alter_table("placement_resource_providers") as batch:
        batch.drop_index("ix_placement_resource_providers_usage_seq")
        batch.drop_column("usage_seq")
    op.drop_table("placement_epochs")
