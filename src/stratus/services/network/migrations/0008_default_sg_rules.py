"""network: default security group rule templates (security-groups-default-rules), seeded
with neutron's four legacy rules

Revision ID: network_0008
Revises: network_0007
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "network_0008"
down_revision = "network_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "network_default_sg_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("ethertype", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.String(length=40), nullable=True),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(length=64), nullable=True),
        sa.Column("remote_group_id", sa.String(length=36), nullable=True),
        sa.Column("remote_address_group_id", sa.String(length=36), nullable=True),
        sa.Column("used_in_default_sg", sa.Boolean(), nullable=False),
        sa.Column("used_in_non_default_sg", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_default_sg_rules")),
    )
    legacy = []
    for ethertype in ("IPv4", "IPv6"):
        legacy.append(
            {
                "id": str(uuid.uuid4()),
                "description": "Legacy default SG rule for egress traffic",
                "direction": "egress",
                "ethertype": ethertype,
                "remote_group_id": None,
                "used_in_default_sg": True,
                "used_in_non_default_sg": True,
            }
        )
        legacy.append(
            {
                "id": str(uuid.uuid4()),
                "description": "Legacy default SG rule for ingress traffic",
                "direction": "ingress",
                "ethertype": ethertype,
                "remote_group_id": "PARENT",
                "used_in_default_sg": True,
                "used_in_non_default_sg": False,
            }
        )
    op.bulk_insert(table, legacy)


def downgrade() -> None:
    op.drop_table("network_default_sg_rules")
