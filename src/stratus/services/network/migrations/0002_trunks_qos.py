"""network trunks and QoS

Revision ID: network_0002
Revises: network_0001
"""

import sqlalchemy as sa
from alembic import op

from stratus.db.base import UTCDateTime

revision = "network_0002"
down_revision = "network_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_qos_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_qos_policies")),
    )
    op.create_index(
        op.f("ix_network_qos_policies_project_id"),
        "network_qos_policies",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "network_qos_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("qos_policy_id", sa.String(length=36), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("max_kbps", sa.Integer(), nullable=True),
        sa.Column("max_burst_kbps", sa.Integer(), nullable=True),
        sa.Column("min_kbps", sa.Integer(), nullable=True),
        sa.Column("min_kpps", sa.Integer(), nullable=True),
        sa.Column("dscp_mark", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["qos_policy_id"],
            ["network_qos_policies.id"],
            name=op.f("fk_network_qos_rules_qos_policy_id_network_qos_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_qos_rules")),
    )
    op.create_index(
        op.f("ix_network_qos_rules_qos_policy_id"),
        "network_qos_rules",
        ["qos_policy_id"],
        unique=False,
    )
    op.create_table(
        "network_trunks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_trunks_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_trunks")),
        sa.UniqueConstraint("port_id", name=op.f("uq_network_trunks_port_id")),
    )
    op.create_index(
        op.f("ix_network_trunks_project_id"), "network_trunks", ["project_id"], unique=False
    )
    op.create_table(
        "network_subports",
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("trunk_id", sa.String(length=36), nullable=False),
        sa.Column("segmentation_type", sa.String(length=32), nullable=False),
        sa.Column("segmentation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_subports_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trunk_id"],
            ["network_trunks.id"],
            name=op.f("fk_network_subports_trunk_id_network_trunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("port_id", name=op.f("pk_network_subports")),
        sa.UniqueConstraint(
            "trunk_id",
            "segmentation_type",
            "segmentation_id",
            name=op.f("uq_network_subports_trunk_id_segmentation_type_segmentation_id"),
        ),
    )
    op.create_index(
        op.f("ix_network_subports_trunk_id"), "network_subports", ["trunk_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_network_subports_trunk_id"), table_name="network_subports")
    op.drop_table("network_subports")
    op.drop_index(op.f("ix_network_trunks_project_id"), table_name="network_trunks")
    op.drop_table("network_trunks")
    op.drop_index(op.f("ix_network_qos_rules_qos_policy_id"), table_name="network_qos_rules")
    op.drop_table("network_qos_rules")
    op.drop_index(op.f("ix_network_qos_policies_project_id"), table_name="network_qos_policies")
    op.drop_table("network_qos_policies")
