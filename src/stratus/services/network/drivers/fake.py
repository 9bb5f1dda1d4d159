"""The ``fake`` mechanism driver: binds every port instantly and records the wiring it would
do, publishing the same agent messages a real driver does on the ``network.agent`` topic."""

import dataclasses
from collections import deque
from typing import Any

from stratus.bus.base import Bus, Message
from stratus.services.network.drivers.base import (
    AgentSpec,
    Binding,
    Capabilities,
    FloatingIPSpec,
    NetworkSpec,
    PortSpec,
    RouterSpec,
    SecurityGroupSpec,
)

AGENT_TOPIC = "network.agent"
EVENTS_KEPT = 10_000

_VIF_TYPES = {
    "normal": "ovs",
    "direct": "hw_veb",
    "macvtap": "hw_veb",
    "direct-physical": "hostdev_physical",
    "baremetal": "other",
    "virtio-forwarder": "agilio_ovs",
    "vdpa": "vdpa",
}


class FakeMechanismDriver:
    name = "fake"
    capabilities = Capabilities(
        vnic_types=tuple(_VIF_TYPES),
        network_types=("flat", "vlan", "vxlan", "geneve", "local"),
    )

    def __init__(self, bus: Bus | None = None) -> None:
        self.bus = bus
        # (event, payload) in the order they happened: what tests and the dashboard inspect
        # (the latest EVENTS_KEPT; a long-running cloud must not grow without bound).
        self.events: deque[tuple[str, dict[str, Any]]] = deque(maxlen=EVENTS_KEPT)
        # What the simulated agents currently serve: bound ports, routers, floating IPs.
        self._bound: set[str] = set()
        self._routers: dict[str, RouterSpec] = {}
        self._fips: dict[str, FloatingIPSpec] = {}

    async def start(self) -> None:
        return None

    def agents(
        self, host: str, zone: str, physical_networks: tuple[str, ...]
    ) -> tuple[AgentSpec, ...]:
        # Only the agents whose work this driver does: port wiring (reported as an Open
        # vSwitch agent, the VIF type it binds) and routers/floating IPs (an L3 agent). It
        # serves no DHCP and no metadata, so it reports no DHCP or metadata agent.
        routers = list(self._routers.values())
        return (
            AgentSpec(
                agent_type="Open vSwitch agent",
                binary="neutron-openvswitch-agent",
                topic="N/A",
                host=host,
                configurations={
                    "driver": self.name,
                    "bridge_mappings": {p: f"br-{p}" for p in physical_networks},
                    "tunnel_types": ["geneve", "vxlan"],
                    "devices": len(self._bound),
                },
            ),
            AgentSpec(
                agent_type="L3 agent",
                binary="neutron-l3-agent",
                topic="l3_agent",
                host=host,
                availability_zone=zone,
                configurations={
                    "driver": self.name,
                    "agent_mode": "legacy",
                    "routers": len(routers),
                    "ex_gw_ports": sum(1 for r in routers if r.gateway_network_id),
                    "interfaces": sum(len(r.interfaces) for r in routers),
                    "floating_ips": sum(1 for f in self._fips.values() if f.port_id),
                },
            ),
        )

    def bind_port(self, port: PortSpec) -> Binding:
        if not port.host:
            return Binding(vif_type="unbound", vif_details={}, status="DOWN")
        vif_type = _VIF_TYPES.get(port.vnic_type)
        segment = next(
            (s for s in port.segments if s.network_type in self.capabilities.network_types), None
        )
        if vif_type is None or segment is None:
            return Binding(vif_type="binding_failed", vif_details={}, status="DOWN")
        details: dict[str, Any] = {"connectivity": "l2", "port_filter": True}
        if vif_type == "ovs":
            details.update(ovs_hybrid_plug=False, datapath_type="system", bridge_name="br-int")
        if segment.network_type == "vlan" and vif_type == "hw_veb":
            details["vlan"] = str(segment.segmentation_id)
        status = "ACTIVE" if port.admin_state_up else "DOWN"
        return Binding(vif_type=vif_type, vif_details=details, status=status, segment_id=segment.id)

    async def _record(self, event: str, payload: dict[str, Any]) -> None:
        self.events.append((event, payload))
        if self.bus is not None:
            await self.bus.fanout(Message(topic=AGENT_TOPIC, method=event, payload=payload))

    async def network_created(self, network: NetworkSpec) -> None:
        await self._record("network_create", dataclasses.asdict(network))

    async def network_updated(self, network: NetworkSpec) -> None:
        await self._record("network_update", dataclasses.asdict(network))

    async def network_deleted(self, network_id: str) -> None:
        await self._record("network_delete", {"id": network_id})

    async def port_updated(self, port: PortSpec, binding: Binding | None) -> None:
        payload = dataclasses.asdict(port)
        payload["binding"] = dataclasses.asdict(binding) if binding else None
        if binding is not None and binding.vif_type not in ("unbound", "binding_failed"):
            self._bound.add(port.id)
        elif binding is not None or not port.host:
            self._bound.discard(port.id)
        await self._record("port_update", payload)

    async def port_deleted(self, port: PortSpec) -> None:
        self._bound.discard(port.id)
        await self._record("port_delete", dataclasses.asdict(port))

    async def router_updated(self, router: RouterSpec) -> None:
        self._routers[router.id] = router
        await self._record("router_update", dataclasses.asdict(router))

    async def router_deleted(self, router_id: str) -> None:
        self._routers.pop(router_id, None)
        await self._record("router_delete", {"id": router_id})

    async def floatingip_updated(self, fip: FloatingIPSpec) -> None:
        self._fips[fip.id] = fip
        await self._record("floatingip_update", dataclasses.asdict(fip))

    async def floatingip_deleted(self, fip_id: str) -> None:
        self._fips.pop(fip_id, None)
        await self._record("floatingip_delete", {"id": fip_id})

    async def security_group_updated(self, group: SecurityGroupSpec) -> None:
        await self._record("security_group_update", dataclasses.asdict(group))

    async def security_group_deleted(self, group_id: str) -> None:
        await self._record("security_group_delete", {"id": group_id})
