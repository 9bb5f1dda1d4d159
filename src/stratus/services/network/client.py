"""What other services (compute) import to wire instances to networks: create, bind and
delete ports for a device, and read the network info a guest needs. In-process calls run with
the service's own privileges; the interface is what an HTTP-backed client would offer too."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stratus.api.auth import AuthInfo
from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.services.network import ipam
from stratus.services.network import models as m
from stratus.services.network import repository as repo


@dataclass(frozen=True, slots=True)
class SubnetInfo:
    id: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    dns_nameservers: tuple[str, ...]
    host_routes: tuple[dict[str, str], ...]
    ips: tuple[str, ...]
    enable_dhcp: bool
    ipv6_address_mode: str | None


@dataclass(frozen=True, slots=True)
class VIF:
    """One interface of a device: what Nova's ``network_info`` holds for it."""

    port_id: str
    mac_address: str
    network_id: str
    network_name: str
    mtu: int
    vif_type: str
    vif_details: dict[str, Any]
    vnic_type: str
    active: bool
    subnets: tuple[SubnetInfo, ...]
    floating_ips: tuple[str, ...]
    physical_network: str | None
    segmentation_id: int | None
    network_type: str | None


def _service_context(runtime: Runtime, project_id: str | None) -> RequestContext:
    auth = AuthInfo(
        user_id="network-client",
        user_name="network-client",
        user_domain_id="default",
        user_domain_name="Default",
        roles=("admin", "member", "reader"),
        project_id=project_id,
    )
    return RequestContext(request_id="req-internal", auth=auth, policy=runtime.policy)


class NetworkClient:
    def __init__(self, runtime: Runtime, services: Any) -> None:
        self.runtime = runtime
        self.services = services

    async def create_port(
        self,
        *,
        project_id: str,
        network_id: str,
        device_id: str = "",
        device_owner: str = "",
        host: str = "",
        fixed_ips: list[dict[str, str]] | None = None,
        security_groups: list[str] | None = None,
        vnic_type: str = "normal",
    ) -> dict[str, Any]:
        ctx = _service_context(self.runtime, project_id)
        body: dict[str, Any] = {
            "network_id": network_id,
            "project_id": project_id,
            "device_id": device_id,
            "device_owner": device_owner,
            "binding:vnic_type": vnic_type,
        }
        if host:
            body["binding:host_id"] = host
        if fixed_ips is not None:
            body["fixed_ips"] = fixed_ips
        if security_groups is not None:
            body["security_groups"] = security_groups
        result: dict[str, Any] = await self.services.l2.create_port(ctx, body)
        return result

    async def bind_port(
        self,
        port_id: str,
        *,
        host: str,
        device_id: str,
        device_owner: str,
        profile: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ctx = _service_context(self.runtime, None)
        body: dict[str, Any] = {
            "binding:host_id": host,
            "device_id": device_id,
            "device_owner": device_owner,
        }
        if profile is not None:
            body["binding:profile"] = profile
        result: dict[str, Any] = await self.services.l2.update_port(ctx, port_id, body)
        return result

    async def set_security_groups(self, port_id: str, group_ids: Sequence[str]) -> dict[str, Any]:
        """Replace a port's security groups (compute's add/removeSecurityGroup)."""
        ctx = _service_context(self.runtime, None)
        body = {"security_groups": list(group_ids)}
        result: dict[str, Any] = await self.services.l2.update_port(ctx, port_id, body)
        return result

    async def unbind_port(self, port_id: str) -> dict[str, Any]:
        ctx = _service_context(self.runtime, None)
        body = {"binding:host_id": "", "device_id": "", "device_owner": "", "binding:profile": {}}
        result: dict[str, Any] = await self.services.l2.update_port(ctx, port_id, body)
        return result

    async def get_port(self, port_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.l2.get_port(
            _service_context(self.runtime, None), port_id
        )
        return result

    async def delete_port(self, port_id: str) -> None:
        await self.services.l2.delete_port(_service_context(self.runtime, None), port_id)

    async def delete_ports_for_device(
        self, device_id: str, *, keep: Sequence[str] = ()
    ) -> list[str]:
        """Delete the ports bound to a device (compute:*), returning their ids; the ports in
        ``keep`` (those the user created and attached) are unbound instead, as Nova does on
        server delete."""
        async with self.runtime.db.reader() as session:
            ports = await repo.ports_by_device(session, device_id)
        deleted = []
        for port in ports:
            if not port.device_owner.startswith("compute:"):
                continue
            if port.id in keep:
                await self.unbind_port(port.id)
            else:
                await self.delete_port(port.id)
                deleted.append(port.id)
        return deleted

    async def get_network(self, network_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.l2.get_network(
            _service_context(self.runtime, None), network_id
        )
        return result

    async def network_info(self, device_id: str) -> list[VIF]:
        """The interfaces of ``device_id``, in port creation order, with their subnets."""
        async with self.runtime.db.reader() as session:
            ports = sorted(
                await repo.ports_by_device(session, device_id), key=lambda p: (p.created_at, p.id)
            )
            allocs = await repo.allocations_for_ports(session, [p.id for p in ports])
            nets = {p.network_id: await repo.get(session, m.Network, p.network_id) for p in ports}
            subnets = await repo.subnets_for(session, list(nets))
            segments = await repo.segments_for(session, list(nets))
            out = []
            for port in ports:
                net = nets[port.network_id]
                ips_by_subnet: dict[str, list[str]] = {}
                for alloc in allocs.get(port.id, []):
                    ips_by_subnet.setdefault(alloc.subnet_id, []).append(alloc.ip_address)
                infos = tuple(
                    SubnetInfo(
                        id=s.id,
                        cidr=s.cidr,
                        ip_version=s.ip_version,
                        gateway_ip=s.gateway_ip,
                        dns_nameservers=tuple(s.dns_nameservers),
                        host_routes=tuple(dict(r) for r in s.host_routes),
                        ips=tuple(sorted(ips_by_subnet[s.id], key=ipam.version_of)),
                        enable_dhcp=s.enable_dhcp,
                        ipv6_address_mode=s.ipv6_address_mode,
                    )
                    for s in subnets.get(port.network_id, [])
                    if s.id in ips_by_subnet
                )
                fips = await repo.floating_ips_where(session, m.FloatingIP.port_id == port.id)
                segs = segments.get(port.network_id) or []
                seg = segs[0] if segs else None
                out.append(
                    VIF(
                        port_id=port.id,
                        mac_address=port.mac_address,
                        network_id=port.network_id,
                        network_name=net.name if net else "",
                        mtu=net.mtu if net else 1500,
                        vif_type=port.binding_vif_type,
                        vif_details=dict(port.binding_vif_details),
                        vnic_type=port.binding_vnic_type,
                        active=port.status == "ACTIVE",
                        subnets=infos,
                        floating_ips=tuple(f.floating_ip_address for f in fips),
                        physical_network=seg.physical_network if seg else None,
                        segmentation_id=seg.segmentation_id if seg else None,
                        network_type=seg.network_type if seg else None,
                    )
                )
            return out

    async def networks_for_project(self, project_id: str) -> list[dict[str, Any]]:
        """The networks a project's member sees (its own, shared, external), as the API
        lists them: what Nova picks from when a server asks for no particular network."""
        from stratus.services.network.query import Query

        auth = AuthInfo(
            user_id="network-client",
            user_name="network-client",
            user_domain_id="default",
            user_domain_name="Default",
            roles=("member", "reader"),
            project_id=project_id,
        )
        ctx = RequestContext(request_id="req-internal", auth=auth, policy=self.runtime.policy)
        result: list[dict[str, Any]] = await self.services.l2.list_networks(ctx, Query())
        return result

    async def security_groups_for_project(self, project_id: str) -> list[dict[str, Any]]:
        """The security groups a project's member sees (its ``default`` created if missing),
        for Nova's security group names on boot."""
        from stratus.services.network.query import Query

        auth = AuthInfo(
            user_id="network-client",
            user_name="network-client",
            user_domain_id="default",
            user_domain_name="Default",
            roles=("member", "reader"),
            project_id=project_id,
        )
        ctx = RequestContext(request_id="req-internal", auth=auth, policy=self.runtime.policy)
        query = Query(fields=["id", "name", "project_id"])
        result: list[dict[str, Any]] = await self.services.sg.list_groups(ctx, query)
        return result

    async def default_security_group_id(self, project_id: str) -> str:
        """The id of the project's ``default`` group (created if missing): what Nova's boot
        resolves the name ``default`` to (the project owns exactly one group of that name)."""
        return str(await self.services.sg.default_group_id(project_id))

    # -- compute's proxy APIs (os-security-groups, os-floating-ips, os-networks, ...) ------
    # These run with the caller's own context, so network policies and visibility apply as if
    # the user had called the network API (nova calls neutron with the user's token).

    async def list_security_groups(
        self, ctx: RequestContext, *, project_id: str | None
    ) -> list[dict[str, Any]]:
        from stratus.services.network.query import Query

        filters = {"project_id": [project_id]} if project_id else {}
        result: list[dict[str, Any]] = await self.services.sg.list_groups(
            ctx, Query(filters=filters)
        )
        return result

    async def get_security_group(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.sg.get_group(ctx, group_id)
        return result

    async def create_security_group(
        self, ctx: RequestContext, *, name: str, description: str
    ) -> dict[str, Any]:
        body = {"name": name, "description": description}
        result: dict[str, Any] = await self.services.sg.create_group(ctx, body)
        return result

    async def update_security_group(
        self, ctx: RequestContext, group_id: str, *, name: str, description: str
    ) -> dict[str, Any]:
        body = {"name": name, "description": description}
        result: dict[str, Any] = await self.services.sg.update_group(ctx, group_id, body)
        return result

    async def delete_security_group(self, ctx: RequestContext, group_id: str) -> None:
        await self.services.sg.delete_group(ctx, group_id)

    async def get_security_group_rule(self, ctx: RequestContext, rule_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.sg.get_rule(ctx, rule_id)
        return result

    async def create_security_group_rule(
        self, ctx: RequestContext, body: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.sg.create_rule(ctx, body)
        return result

    async def delete_security_group_rule(self, ctx: RequestContext, rule_id: str) -> None:
        await self.services.sg.delete_rule(ctx, rule_id)

    async def list_networks(self, ctx: RequestContext) -> list[dict[str, Any]]:
        from stratus.services.network.query import Query

        result: list[dict[str, Any]] = await self.services.l2.list_networks(ctx, Query())
        return result

    async def show_network(self, ctx: RequestContext, network_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.l2.get_network(ctx, network_id)
        return result

    async def list_subnets(self, ctx: RequestContext, network_id: str) -> list[dict[str, Any]]:
        from stratus.services.network.query import Query

        query = Query(filters={"network_id": [network_id]})
        result: list[dict[str, Any]] = await self.services.l2.list_subnets(ctx, query)
        return result

    async def list_floating_ips(
        self, ctx: RequestContext, *, project_id: str | None
    ) -> list[dict[str, Any]]:
        from stratus.services.network.query import Query

        filters = {"project_id": [project_id]} if project_id else {}
        result: list[dict[str, Any]] = await self.services.l3.list_fips(ctx, Query(filters=filters))
        return result

    async def get_floating_ip(self, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.services.l3.get_fip(ctx, fip_id)
        return result

    async def create_floating_ip(
        self, ctx: RequestContext, *, network_id: str, project_id: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"floating_network_id": network_id}
        if project_id:
            body["project_id"] = project_id
        result: dict[str, Any] = await self.services.l3.create_fip(ctx, body)
        return result

    async def delete_floating_ip(self, ctx: RequestContext, fip_id: str) -> None:
        await self.services.l3.delete_fip(ctx, fip_id)

    async def external_networks(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """The external networks the caller can allocate floating IPs from."""
        from stratus.services.network.query import Query

        query = Query(filters={"router:external": ["True"]})
        result: list[dict[str, Any]] = await self.services.l2.list_networks(ctx, query)
        return result

    async def floating_ips_by_address(
        self, ctx: RequestContext, address: str
    ) -> list[dict[str, Any]]:
        from stratus.services.network.query import Query

        query = Query(filters={"floating_ip_address": [address]})
        result: list[dict[str, Any]] = await self.services.l3.list_fips(ctx, query)
        return result

    async def associate_floating_ip(
        self, ctx: RequestContext, fip_id: str, *, port_id: str | None, fixed_ip: str | None
    ) -> dict[str, Any]:
        """Point a floating IP at a port's fixed address (None for both disassociates)."""
        body = {"port_id": port_id, "fixed_ip_address": fixed_ip}
        result: dict[str, Any] = await self.services.l3.update_fip(ctx, fip_id, body)
        return result

    async def auto_allocated_network(self, project_id: str) -> str:
        """The project's auto-allocated network (nova's ``networks: auto`` when the project
        sees none), made on first use; Conflict when the deployment has no default external
        network or subnet pool."""
        view: dict[str, Any] = await self.services.auto.get(
            _service_context(self.runtime, project_id), project_id
        )
        return str(view["id"])

    async def devices_with_fixed_ip(self, address: str) -> list[tuple[str, str]]:
        """(device_id, project_id) of each compute port holding ``address`` as a fixed IP
        (how the metadata service finds an instance by its source address)."""
        async with self.runtime.db.reader() as session:
            ports = await repo.ports_holding_ip(session, address)
        return [
            (p.device_id, p.project_id)
            for p in ports
            if p.device_id and p.device_owner.startswith("compute:")
        ]
