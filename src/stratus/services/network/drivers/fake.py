"""The ``fake`` mechanism driver: binds every port instantly and records the wiring it would
do, publishing the same agent messages a real driver does on the ``network.agent`` topic."""

import dataclasses
from typing import Any

from stratus.bus.base import Bus, Message
from stratus.services.network.drivers.base import (
    Binding,
    Capabilities,
    FloatingIPSpec,
    NetworkSpec,
    PortSpec,
    RouterSpec,
    SecurityGroupSpec,
)

AGENT_TOPIC = "network.agent"

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
        # (event, payload) in the order they happened: what tests and the dashboard inspect.
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def start(self) -> None:
        return None

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
        await self._record("port_update", payload)

    async def port_deleted(self, port: PortSpec) -> None:
        await self._record("port_delete", dataclasses.asdict(port))

    async def router_updated(self, router: RouterSpec) -> None:
        await self._record("router_update", dataclasses.asdict(router))

    async def router_deleted(self, router_id: str) -> None:
        await self._record("router_delete", {"id": router_id})

    async def floatingip_updated(self, fip: FloatingIPSpec) -> None:
        await self._record("floatingip_update", dataclasses.asdict(fip))

    async def floatingip_deleted(self, fip_id: str) -> None:
        await self._record("floatingip_delete", {"id": fip_id})

    async def security_group_updated(self, group: SecurityGroupSpec) -> None:
        await self._record("security_group_update", dataclasses.asdict(group))

    async def security_group_deleted(self, group_id: str) -> None:
        await self._record("security_group_delete", {"id": group_id})
