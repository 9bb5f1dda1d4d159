"""network tables

Revision ID: network_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from stratus.db.base import JSONType, UTCDateTime

revision = "network_0001"
down_revision = None
branch_labels = ("network",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_agents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agent_type", sa.String(length=255), nullable=False),
        sa.Column("binary", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("availability_zone", sa.String(length=255), nullable=True),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("configurations", JSONType(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_timestamp", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_agents")),
        sa.UniqueConstraint("agent_type", "host", name=op.f("uq_network_agents_agent_type_host")),
    )
    op.create_table(
        "network_networks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("port_security_enabled", sa.Boolean(), nullable=False),
        sa.Column("availability_zone_hints", JSONType(), nullable=False),
        sa.Column("dns_domain", sa.String(length=255), nullable=False),
        sa.Column("qos_policy_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_networks")),
    )
    op.create_index(
        op.f("ix_network_networks_project_id"), "network_networks", ["project_id"], unique=False
    )
    op.create_table(
        "network_rbac_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_project", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_rbac_policies")),
        sa.UniqueConstraint(
            "object_type",
            "object_id",
            "action",
            "target_project",
            name=op.f("uq_network_rbac_policies_object_type_object_id_action_target_project"),
        ),
    )
    op.create_index(
        "ix_network_rbac_policies_object",
        "network_rbac_policies",
        ["object_type", "object_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_rbac_policies_project_id"),
        "network_rbac_policies",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "network_security_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("stateful", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_security_groups")),
    )
    op.create_index(
        op.f("ix_network_security_groups_project_id"),
        "network_security_groups",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "network_tags",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "tag", name=op.f("pk_network_tags")),
    )
    op.create_index(op.f("ix_network_tags_tag"), "network_tags", ["tag"], unique=False)
    op.create_table(
        "network_default_security_groups",
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["network_security_groups.id"],
            name=op.f(
                "fk_network_default_security_groups_security_group_id_network_security_groups"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_network_default_security_groups")),
    )
    op.create_table(
        "network_ports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mac_address", sa.String(length=32), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=255), nullable=False),
        sa.Column("device_owner", sa.String(length=255), nullable=False),
        sa.Column("port_security_enabled", sa.Boolean(), nullable=False),
        sa.Column("binding_host_id", sa.String(length=255), nullable=False),
        sa.Column("binding_vnic_type", sa.String(length=64), nullable=False),
        sa.Column("binding_profile", JSONType(), nullable=False),
        sa.Column("binding_vif_type", sa.String(length=64), nullable=False),
        sa.Column("binding_vif_details", JSONType(), nullable=False),
        sa.Column("allowed_address_pairs", JSONType(), nullable=False),
        sa.Column("extra_dhcp_opts", JSONType(), nullable=False),
        sa.Column("dns_name", sa.String(length=255), nullable=False),
        sa.Column("qos_policy_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network_networks.id"],
            name=op.f("fk_network_ports_network_id_network_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_ports")),
        sa.UniqueConstraint(
            "network_id", "mac_address", name=op.f("uq_network_ports_network_id_mac_address")
        ),
    )
    op.create_index(
        op.f("ix_network_ports_device_id"), "network_ports", ["device_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_ports_device_owner"), "network_ports", ["device_owner"], unique=False
    )
    op.create_index(
        op.f("ix_network_ports_network_id"), "network_ports", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_ports_project_id"), "network_ports", ["project_id"], unique=False
    )
    op.create_table(
        "network_security_group_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("ethertype", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.String(length=40), nullable=True),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(length=64), nullable=True),
        sa.Column("remote_group_id", sa.String(length=36), nullable=True),
        sa.Column("remote_address_group_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_group_id"],
            ["network_security_groups.id"],
            name=op.f("fk_network_security_group_rules_remote_group_id_network_security_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["network_security_groups.id"],
            name=op.f("fk_network_security_group_rules_security_group_id_network_security_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_security_group_rules")),
    )
    op.create_index(
        op.f("ix_network_security_group_rules_project_id"),
        "network_security_group_rules",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_security_group_rules_security_group_id"),
        "network_security_group_rules",
        ["security_group_id"],
        unique=False,
    )
    op.create_table(
        "network_segments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("network_type", sa.String(length=32), nullable=False),
        sa.Column("physical_network", sa.String(length=64), nullable=True),
        sa.Column("segmentation_id", sa.Integer(), nullable=True),
        sa.Column("segment_index", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network_networks.id"],
            name=op.f("fk_network_segments_network_id_network_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_segments")),
    )
    op.create_index(
        op.f("ix_network_segments_network_id"), "network_segments", ["network_id"], unique=False
    )
    op.create_table(
        "network_subnets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("gateway_ip", sa.String(length=64), nullable=True),
        sa.Column("enable_dhcp", sa.Boolean(), nullable=False),
        sa.Column("ipv6_ra_mode", sa.String(length=32), nullable=True),
        sa.Column("ipv6_address_mode", sa.String(length=32), nullable=True),
        sa.Column("subnetpool_id", sa.String(length=36), nullable=True),
        sa.Column("segment_id", sa.String(length=36), nullable=True),
        sa.Column("dns_publish_fixed_ip", sa.Boolean(), nullable=False),
        sa.Column("allocation_pools", JSONType(), nullable=False),
        sa.Column("dns_nameservers", JSONType(), nullable=False),
        sa.Column("host_routes", JSONType(), nullable=False),
        sa.Column("service_types", JSONType(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network_networks.id"],
            name=op.f("fk_network_subnets_network_id_network_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_subnets")),
    )
    op.create_index(
        op.f("ix_network_subnets_network_id"), "network_subnets", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_subnets_project_id"), "network_subnets", ["project_id"], unique=False
    )
    op.create_table(
        "network_floating_ips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("floating_network_id", sa.String(length=36), nullable=False),
        sa.Column("floating_ip_address", sa.String(length=64), nullable=False),
        sa.Column("floating_port_id", sa.String(length=36), nullable=False),
        sa.Column("port_id", sa.String(length=36), nullable=True),
        sa.Column("fixed_ip_address", sa.String(length=64), nullable=True),
        sa.Column("router_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dns_name", sa.String(length=255), nullable=False),
        sa.Column("dns_domain", sa.String(length=255), nullable=False),
        sa.Column("qos_policy_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["floating_network_id"],
            ["network_networks.id"],
            name=op.f("fk_network_floating_ips_floating_network_id_network_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["floating_port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_floating_ips_floating_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_floating_ips")),
        sa.UniqueConstraint(
            "floating_network_id",
            "floating_ip_address",
            name=op.f("uq_network_floating_ips_floating_network_id_floating_ip_address"),
        ),
    )
    op.create_index(
        op.f("ix_network_floating_ips_floating_network_id"),
        "network_floating_ips",
        ["floating_network_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_floating_ips_port_id"), "network_floating_ips", ["port_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_floating_ips_project_id"),
        "network_floating_ips",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_floating_ips_router_id"),
        "network_floating_ips",
        ["router_id"],
        unique=False,
    )
    op.create_table(
        "network_ip_allocations",
        sa.Column("subnet_id", sa.String(length=36), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_ip_allocations_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subnet_id"],
            ["network_subnets.id"],
            name=op.f("fk_network_ip_allocations_subnet_id_network_subnets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subnet_id", "ip_address", name=op.f("pk_network_ip_allocations")),
    )
    op.create_index(
        op.f("ix_network_ip_allocations_network_id"),
        "network_ip_allocations",
        ["network_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_ip_allocations_port_id"),
        "network_ip_allocations",
        ["port_id"],
        unique=False,
    )
    op.create_table(
        "network_port_security_groups",
        sa.Column("port_id", sa.String(length=36), nullable=False),
        sa.Column("security_group_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_port_security_groups_port_id_network_ports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["network_security_groups.id"],
            name=op.f("fk_network_port_security_groups_security_group_id_network_security_groups"),
        ),
        sa.PrimaryKeyConstraint(
            "port_id", "security_group_id", name=op.f("pk_network_port_security_groups")
        ),
    )
    op.create_index(
        op.f("ix_network_port_security_groups_security_group_id"),
        "network_port_security_groups",
        ["security_group_id"],
        unique=False,
    )
    op.create_table(
        "network_routers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("gw_network_id", sa.String(length=36), nullable=True),
        sa.Column("gw_port_id", sa.String(length=36), nullable=True),
        sa.Column("enable_snat", sa.Boolean(), nullable=False),
        sa.Column("routes", JSONType(), nullable=False),
        sa.Column("distributed", sa.Boolean(), nullable=False),
        sa.Column("ha", sa.Boolean(), nullable=False),
        sa.Column("availability_zone_hints", JSONType(), nullable=False),
        sa.Column("flavor_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gw_port_id"],
            ["network_ports.id"],
            name=op.f("fk_network_routers_gw_port_id_network_ports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_routers")),
    )
    op.create_index(
        op.f("ix_network_routers_project_id"), "network_routers", ["project_id"], unique=False
    )
    op.create_table(
        "network_segment_allocations",
        sa.Column("network_type", sa.String(length=32), nullable=False),
        sa.Column("physical_network", sa.String(length=64), nullable=False),
        sa.Column("segmentation_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["network_segments.id"],
            name=op.f("fk_network_segment_allocations_segment_id_network_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "network_type",
            "physical_network",
            "segmentation_id",
            name=op.f("pk_network_segment_allocations"),
        ),
    )
    op.create_index(
        op.f("ix_network_segment_allocations_segment_id"),
        "network_segment_allocations",
        ["segment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_network_segment_allocations_segment_id"), table_name="network_segment_allocations"
    )
    op.drop_table("network_segment_allocations")
    op.drop_index(op.f("ix_network_routers_project_id"), table_name="network_routers")
    op.drop_table("network_routers")
    op.drop_index(
        op.f("ix_network_port_security_groups_security_group_id"),
        table_name="network_port_security_groups",
    )
    op.drop_table("network_port_security_groups")
    op.drop_index(op.f("ix_network_ip_allocations_port_id"), table_name="network_ip_allocations")
    op.drop_index(op.f("ix_network_ip_allocations_network_id"), table_name="network_ip_allocations")
    op.drop_table("network_ip_allocations")
    op.drop_index(op.f("ix_network_floating_ips_router_id"), table_name="network_floating_ips")
    op.drop_index(op.f("ix_network_floating_ips_project_id"), table_name="network_floating_ips")
    op.drop_index(op.f("ix_network_floating_ips_port_id"), table_name="network_floating_ips")
    op.drop_index(
        op.f("ix_network_floating_ips_floating_network_id"), table_name="network_floating_ips"
    )
    op.drop_table("network_floating_ips")
    op.drop_index(op.f("ix_network_subnets_project_id"), table_name="network_subnets")
    op.drop_index(op.f("ix_network_subnets_network_id"), table_name="network_subnets")
    op.drop_table("network_subnets")
    op.drop_index(op.f("ix_network_segments_network_id"), table_name="network_segments")
    op.drop_table("network_segments")
    op.drop_index(
        op.f("ix_network_security_group_rules_security_group_id"),
        table_name="network_security_group_rules",
    )
    op.drop_index(
        op.f("ix_network_security_group_rules_project_id"),
        table_name="network_security_group_rules",
    )
    op.drop_table("network_security_group_rules")
    op.drop_index(op.f("ix_network_ports_project_id"), table_name="network_ports")
    op.drop_index(op.f("ix_network_ports_network_id"), table_name="network_ports")
    op.drop_index(op.f("ix_network_ports_device_owner"), table_name="network_ports")
    op.drop_index(op.f("ix_network_ports_device_id"), table_name="network_ports")
    op.drop_table("network_ports")
    op.drop_table("network_default_security_groups")
    op.drop_index(op.f("ix_network_tags_tag"), table_name="network_tags")
    op.drop_table("network_tags")
    op.drop_index(
        op.f("ix_network_security_groups_project_id"), table_name="network_security_groups"
    )
    op.drop_table("network_security_groups")
    op.drop_index(op.f("ix_network_rbac_policies_project_id"), table_name="network_rbac_policies")
    op.drop_index("ix_network_rbac_policies_object", table_name="network_rbac_policies")
    op.drop_table("network_rbac_policies")
    op.drop_index(op.f("ix_network_networks_project_id"), table_name="network_networks")
    op.drop_table("network_networks")
    op.drop_table("network_agents")
