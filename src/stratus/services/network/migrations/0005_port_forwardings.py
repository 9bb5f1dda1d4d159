"""network floating IP port forwardings

Revision ID: network_0005
Revises: network_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "network_0005"
down_revision = "network_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_port_forwardings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("floatingip_id", sa.String(length=36), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("internal_ip_address", sa.String(length=64), nullable=False),
        sa.Column("internal_port", sa.Integer(), nullable=False),
        sa.Column("internal_port_id", sa.String(length=36), nullable=False),
        sa.Column("external_port", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["floatingip_id"],
            ["network_floating_ips.id"],
            name=op.f("fk_network_port_forwardings_floatingip_id_network_floating_ips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["internal_port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_port_forwardings_internal_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_port_forwardings")),
        sa.UniqueConstraint(
            "floatingip_id",
            "protocol",
            "external_port",
            name=op.f("uq_network_port_forwardings_floatingip_id_protocol_external_port"),
        ),
        sa.UniqueConstraint(
            "internal_port_id",
            "protocol",
            "internal_ip_address",
            "internal_port",
            name=op.f(
                "uq_network_port_forwardings_internal_port_id_protocol_internal_ip_address_internal_port"
            ),
        ),
    )
    op.create_index(
        op.f("ix_network_port_forwardings_floatingip_id"),
        "network_port_forwardings",
        ["floatingip_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_port_forwardings_internal_port_id"),
        "network_port_forwardings",
        ["internal_port_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_network_port_forwardings_internal_port_id"), table_name="network_port_forwardings"
    )
    op.drop_index(
        op.f("ix_network_port_forwardings_floatingip_id"), table_name="network_port_forwardings"
    )
    op.drop_table("network_port_forwardings")
