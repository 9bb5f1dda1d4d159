"""network port bindings, flavors, router gateway QoS

Revision ID: network_0006
Revises: network_0005
"""

import sqlalchemy as sa
from alembic import op

from stratus.db.base import JSONType

revision = "network_0006"
down_revision = "network_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_flavors",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("service_type", sa.String(length=36), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_flavors")),
    )
    op.create_table(
        "network_service_profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("driver", sa.String(length=1024), nullable=False),
        sa.Column("metainfo", sa.String(length=4096), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_service_profiles")),
    )
    op.create_table(
        "network_flavor_profiles",
        sa.Column("flavor_id", sa.String(length=36), nullable=False),
        sa.Column("service_profile_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["flavor_id"],
            ["network_flavors.id"],
            name=op.f("fk_network_flavor_profiles_flavor_id_network_flavors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_profile_id"],
            ["network_service_profiles.id"],
            name=op.f("fk_network_flavor_profiles_service_profile_id_network_service_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "flavor_id", "service_profile_id", name=op.f("pk_network_flavor_profiles")
        ),
    )
    op.create_table(
        "network_port_bindings",
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("vnic_type", sa.String(length=64), nullable=False),
        sa.Column("profile", JSONType(), nullable=False),
        sa.Column("vif_type", sa.String(length=64), nullable=False),
        sa.Column("vif_details", JSONType(), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_port_bindings_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("port_id", "host", name=op.f("pk_network_port_bindings")),
    )
    op.add_column(
        "network_routers", sa.Column("gw_qos_policy_id", sa.String(length=36), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("network_routers", "gw_qos_policy_id")
    op.drop_table("network_port_bindings")
    op.drop_table("network_flavor_profiles")
    op.drop_table("network_service_profiles")
    op.drop_table("network_flavors")
