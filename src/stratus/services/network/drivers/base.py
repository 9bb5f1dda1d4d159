"""The mechanism-driver protocol: how the network service tells a data plane what to wire.

Shaped after ML2: ``bind_port`` runs inside the request (it decides ``binding:vif_type`` and
``binding:vif_details``); everything else is a post-commit notification carrying typed specs
(never ORM rows), which a real driver turns into agent work pushed over the bus."""

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Capabilities:
    vnic_types: tuple[str, ...]
    network_types: tuple[str, ...]
    supports_security_groups: bool = True
    supports_qos: bool = True


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    id: str
    network_type: str
    physical_network: str | None
    segmentation_id: int | None


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    id: str
    project_id: str
    mtu: int
    external: bool
    admin_state_up: bool
    segments: tuple[SegmentSpec, ...]


@dataclass(frozen=True, slots=True)
class FixedIP:
    subnet_id: str
    ip_address: str


@dataclass(frozen=True, slots=True)
class PortSpec:
    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: tuple[FixedIP, ...]
    device_id: str
    device_owner: str
    host: str
    vnic_type: str
    profile: dict[str, Any]
    admin_state_up: bool
    port_security_enabled: bool
    security_group_ids: tuple[str, ...]
    allowed_address_pairs: tuple[dict[str, str], ...]
    segments: tuple[SegmentSpec, ...]
    mtu: int


@dataclass(frozen=True, slots=True)
class Binding:
    """What a driver decided for a port: ``vif_type`` ``binding_failed`` when it cannot."""

    vif_type: str
    vif_details: dict[str, Any]
    status: str  # the port status after binding: ACTIVE, DOWN, BUILD
    segment_id: str | None = None


@dataclass(frozen=True, slots=True)
class RouterSpec:
    id: str
    project_id: str
    admin_state_up: bool
    gateway_network_id: str | None
    gateway_ips: tuple[str, ...]
    enable_snat: bool
    interfaces: tuple[PortSpec, ...]
    routes: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class FloatingIPSpec:
    id: str
    floating_ip_address: str
    floating_network_id: str
    router_id: str | None
    port_id: str | None
    fixed_ip_address: str | None


@dataclass(frozen=True, slots=True)
class SecurityGroupRuleSpec:
    id: str
    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None


@dataclass(frozen=True, slots=True)
class SecurityGroupSpec:
    id: str
    project_id: str
    stateful: bool
    rules: tuple[SecurityGroupRuleSpec, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One agent a data plane runs on a host, as ``GET /v2.0/agents`` shows it. A driver
    declares only the agents whose work it really does (no DHCP agent without DHCP)."""

    agent_type: str  # neutron's names: "Open vSwitch agent", "L3 agent", "DHCP agent", ...
    binary: str
    topic: str
    host: str
    availability_zone: str | None = None
    configurations: dict[str, Any] = field(default_factory=dict)


class MechanismDriver(Protocol):
    """What a data plane implements. Notes for the real (Linux) driver behind this protocol:

    - ``bind_port`` runs inside the port's transaction and must not block: it decides from
      the spec (host, vnic type, the network's segments) and returns the VIF; the wiring
      itself happens after commit, on the host's agent, from ``port_updated``.
    - Every other call is a post-commit notification with the full desired state (specs, not
      deltas), so an agent that missed a message converges on the next one; a real driver
      publishes them on the bus to the agents of the hosts concerned (ports: their binding
      host; routers, floating IPs: the L3 agent's host; security groups: every host with a
      member port) and must tolerate repeats and any order.
    - ``agents`` is called at every heartbeat: the agents this process runs and their live
      counters (devices, routers, networks served); the service stores them as agent rows.
    """

    name: str
    capabilities: Capabilities

    def agents(
        self, host: str, zone: str, physical_networks: tuple[str, ...]
    ) -> tuple[AgentSpec, ...]:
        """The agents running for this driver on ``host`` and what they currently serve."""
        ...

    async def start(self) -> None:
        """Register agents, open bus consumers."""
        ...

    def bind_port(self, port: PortSpec) -> Binding:
        """Choose a segment and VIF for ``port`` on ``port.host`` (called in the transaction)."""
        ...

    async def network_created(self, network: NetworkSpec) -> None: ...

    async def network_updated(self, network: NetworkSpec) -> None: ...

    async def network_deleted(self, network_id: str) -> None: ...

    async def port_updated(self, port: PortSpec, binding: Binding | None) -> None: ...

    async def port_deleted(self, port: PortSpec) -> None: ...

    async def router_updated(self, router: RouterSpec) -> None: ...

    async def router_deleted(self, router_id: str) -> None: ...

    async def floatingip_updated(self, fip: FloatingIPSpec) -> None: ...

    async def floatingip_deleted(self, fip_id: str) -> None: ...

    async def security_group_updated(self, group: SecurityGroupSpec) -> None: ...

    async def security_group_deleted(self, group_id: str) -> None: ...
