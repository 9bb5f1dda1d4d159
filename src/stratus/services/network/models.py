"""Network tables. Every standard-attribute resource carries ``description``,
``revision_number``, ``created_at`` and ``updated_at``; tags live in one table keyed by id."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db.base import Base, JSONType, UTCDateTime
from stratus.kit.timeutil import utcnow


class StandardAttrs:
    """Columns neutron's standard-attr extensions expose on every resource."""

    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Network(StandardAttrs, Base):
    __tablename__ = "network_networks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    mtu: Mapped[int] = mapped_column(Integer, default=1450)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    availability_zone_hints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    dns_domain: Mapped[str] = mapped_column(String(255), default="")
    qos_policy_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Segment(StandardAttrs, Base):
    __tablename__ = "network_segments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_networks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    network_type: Mapped[str] = mapped_column(String(32))
    physical_network: Mapped[str | None] = mapped_column(String(64), nullable=True)
    segmentation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    segment_index: Mapped[int] = mapped_column(Integer, default=0)


class SegmentAllocation(Base):
    """One row per segmentation id in use: the primary key makes double allocation impossible.
    Flat networks use segmentation id 0 on their physical network; overlays use ''."""

    __tablename__ = "network_segment_allocations"

    network_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    physical_network: Mapped[str] = mapped_column(String(64), primary_key=True)
    segmentation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_segments.id", ondelete="CASCADE"), index=True
    )


class Subnet(StandardAttrs, Base):
    __tablename__ = "network_subnets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_networks.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ipv6_address_mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subnetpool_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    segment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    dns_publish_fixed_ip: Mapped[bool] = mapped_column(Boolean, default=False)
    allocation_pools: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    dns_nameservers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    host_routes: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    service_types: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Port(StandardAttrs, Base):
    __tablename__ = "network_ports"
    __table_args__ = (UniqueConstraint("network_id", "mac_address"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_networks.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default="", index=True)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    binding_host_id: Mapped[str] = mapped_column(String(255), default="")
    binding_vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    binding_profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    binding_vif_type: Mapped[str] = mapped_column(String(64), default="unbound")
    binding_vif_details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    allowed_address_pairs: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    extra_dhcp_opts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    dns_name: Mapped[str] = mapped_column(String(255), default="")
    dns_domain: Mapped[str] = mapped_column(String(255), default="", server_default="")
    qos_policy_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class IPAllocation(Base):
    """An address held by a port. The primary key (subnet, address) is what makes a double
    allocation impossible, whatever the concurrency."""

    __tablename__ = "network_ip_allocations"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True
    )
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), index=True
    )
    network_id: Mapped[str] = mapped_column(String(36), index=True)


class SecurityGroup(StandardAttrs, Base):
    __tablename__ = "network_security_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)


class DefaultSecurityGroup(Base):
    """One row per project: the primary key keeps concurrent first uses to one default group."""

    __tablename__ = "network_default_security_groups"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_security_groups.id", ondelete="CASCADE")
    )


class SecurityGroupRule(StandardAttrs, Base):
    __tablename__ = "network_security_group_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_security_groups.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(16))
    protocol: Mapped[str | None] = mapped_column(String(40), nullable=True)
    port_range_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    port_range_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote_group_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("network_security_groups.id", ondelete="CASCADE"), nullable=True
    )
    remote_address_group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class DefaultSecurityGroupRule(Base):
    """A rule template (security-groups-default-rules): copied into every new ``default``
    group and/or every other new group; ``remote_group_id`` "PARENT" is the new group."""

    __tablename__ = "network_default_sg_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(16))
    protocol: Mapped[str | None] = mapped_column(String(40), nullable=True)
    port_range_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    port_range_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote_group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    remote_address_group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    used_in_default_sg: Mapped[bool] = mapped_column(Boolean, default=False)
    used_in_non_default_sg: Mapped[bool] = mapped_column(Boolean, default=True)


class PortSecurityGroup(Base):
    __tablename__ = "network_port_security_groups"

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True
    )
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_security_groups.id"), primary_key=True, index=True
    )


class Router(StandardAttrs, Base):
    __tablename__ = "network_routers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    gw_network_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    gw_port_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="SET NULL"), nullable=True
    )
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    routes: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    ha: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    flavor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    gw_qos_policy_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class FloatingIP(StandardAttrs, Base):
    __tablename__ = "network_floating_ips"
    __table_args__ = (UniqueConstraint("floating_network_id", "floating_ip_address"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    floating_network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_networks.id"), index=True
    )
    floating_ip_address: Mapped[str] = mapped_column(String(64))
    floating_port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE")
    )
    port_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    router_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    dns_name: Mapped[str] = mapped_column(String(255), default="")
    dns_domain: Mapped[str] = mapped_column(String(255), default="")
    qos_policy_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class RBACPolicy(Base):
    __tablename__ = "network_rbac_policies"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id", "action", "target_project"),
        Index("ix_network_rbac_policies_object", "object_type", "object_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))
    target_project: Mapped[str] = mapped_column(String(255))


class Tag(Base):
    __tablename__ = "network_tags"

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    resource_type: Mapped[str] = mapped_column(String(32))


class Agent(Base):
    """Agents that report to the bus (the fake driver registers its own on bootstrap)."""

    __tablename__ = "network_agents"
    __table_args__ = (UniqueConstraint("agent_type", "host"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_type: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255), nullable=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    configurations: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_timestamp: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Trunk(StandardAttrs, Base):
    __tablename__ = "network_trunks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), unique=True
    )


class SubPort(Base):
    """A port carried by a trunk; the primary key keeps a port on one trunk at most."""

    __tablename__ = "network_subports"
    __table_args__ = (UniqueConstraint("trunk_id", "segmentation_type", "segmentation_id"),)

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True
    )
    trunk_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_trunks.id", ondelete="CASCADE"), index=True
    )
    segmentation_type: Mapped[str] = mapped_column(String(32))
    segmentation_id: Mapped[int] = mapped_column(Integer)


class QosPolicy(StandardAttrs, Base):
    __tablename__ = "network_qos_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class QosRule(Base):
    """One rule of a policy; ``rule_type`` says which of the value columns mean something."""

    __tablename__ = "network_qos_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    qos_policy_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_qos_policies.id", ondelete="CASCADE"), index=True
    )
    rule_type: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    max_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_burst_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_kpps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dscp_mark: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AddressScope(StandardAttrs, Base):
    __tablename__ = "network_address_scopes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer)


class SubnetPool(StandardAttrs, Base):
    __tablename__ = "network_subnetpools"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer)
    prefixes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    default_prefixlen: Mapped[int] = mapped_column(Integer)
    min_prefixlen: Mapped[int] = mapped_column(Integer)
    max_prefixlen: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    default_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address_scope_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("network_address_scopes.id"), nullable=True
    )


class AutoAllocatedTopology(Base):
    """One row per project: the primary key settles concurrent first requests."""

    __tablename__ = "network_auto_allocated_topologies"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    network_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("network_networks.id", ondelete="SET NULL"), nullable=True
    )
    router_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("network_routers.id", ondelete="SET NULL"), nullable=True
    )


class SegmentRange(StandardAttrs, Base):
    """Segmentation ids tenant networks are allocated from; ``default`` rows mirror the
    configured ranges, others are shared or reserved for one project."""

    __tablename__ = "network_segment_ranges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    default: Mapped[bool] = mapped_column(Boolean, default=False)
    shared: Mapped[bool] = mapped_column(Boolean, default=True)
    project_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    network_type: Mapped[str] = mapped_column(String(32))
    physical_network: Mapped[str | None] = mapped_column(String(64), nullable=True)
    minimum: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int] = mapped_column(Integer)


class PortForwarding(Base):
    __tablename__ = "network_port_forwardings"
    __table_args__ = (
        UniqueConstraint("floatingip_id", "protocol", "external_port"),
        UniqueConstraint("internal_port_id", "protocol", "internal_ip_address", "internal_port"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    floatingip_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_floating_ips.id", ondelete="CASCADE"), index=True
    )
    protocol: Mapped[str] = mapped_column(String(16))
    internal_ip_address: Mapped[str] = mapped_column(String(64))
    internal_port: Mapped[int] = mapped_column(Integer)
    internal_port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), index=True
    )
    external_port: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(255), default="")


class PortBinding(Base):
    """An inactive binding of a port to another host (binding-extended, for live migration);
    the active binding lives on the port row itself."""

    __tablename__ = "network_port_bindings"

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True
    )
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    vif_type: Mapped[str] = mapped_column(String(64), default="unbound")
    vif_details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Flavor(Base):
    __tablename__ = "network_flavors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    service_type: Mapped[str] = mapped_column(String(36))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceProfile(Base):
    __tablename__ = "network_service_profiles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    driver: Mapped[str] = mapped_column(String(1024), default="")
    metainfo: Mapped[str] = mapped_column(String(4096), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class FlavorProfile(Base):
    __tablename__ = "network_flavor_profiles"

    flavor_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_flavors.id", ondelete="CASCADE"), primary_key=True
    )
    service_profile_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("network_service_profiles.id", ondelete="CASCADE"), primary_key=True
    )
