"""network: ports carry dns_domain (dns-domain-ports)

Revision ID: network_0007
Revises: network_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "network_0007"
down_revision = "network_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network_ports") as batch:
        batch.add_column(
            sa.Column("dns_domain", sa.String(length=255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("network_ports") as batch:
        batch.drop_column("dns_domain")
