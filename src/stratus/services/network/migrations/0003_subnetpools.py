"""network subnet pools, address scopes, auto-allocated topologies

Revision ID: network_0003
Revises: network_0002
"""

import sqlalchemy as sa
from alembic import op

from stratus.db.base import JSONType, UTCDateTime

revision = "network_0003"
down_revision = "network_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_address_scopes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_address_scopes")),
    )
    op.create_index(
        op.f("ix_network_address_scopes_project_id"),
        "network_address_scopes",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "network_subnetpools",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("prefixes", JSONType(), nullable=False),
        sa.Column("default_prefixlen", sa.Integer(), nullable=False),
        sa.Column("min_prefixlen", sa.Integer(), nullable=False),
        sa.Column("max_prefixlen", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("default_quota", sa.Integer(), nullable=True),
        sa.Column("address_scope_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_scope_id"],
            ["network_address_scopes.id"],
            name=op.f("fk_network_subnetpools_address_scope_id_network_address_scopes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_subnetpools")),
    )
    op.create_index(
        op.f("ix_network_subnetpools_project_id"),
        "network_subnetpools",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "network_auto_allocated_topologies",
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=True),
        sa.Column("router_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network_networks.id"],
            name=op.f("fk_network_auto_allocated_topologies_network_id_network_networks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["router_id"],
            ["network_routers.id"],
            name=op.f("fk_network_auto_allocated_topologies_router_id_network_routers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_network_auto_allocated_topologies")),
    )


def downgrade() -> None:
    op.drop_table("network_auto_allocated_topologies")
    op.drop_index(op.f("ix_network_subnetpools_project_id"), table_name="network_subnetpools")
    op.drop_table("network_subnetpools")
    op.drop_index(op.f("ix_network_address_scopes_project_id"), table_name="network_address_scopes")
    op.drop_table("network_address_scopes")
