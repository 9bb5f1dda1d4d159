"""Routers (gateway, interfaces, extra routes) and floating IPs (allocation from external
networks, association with ports through a router)."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import ipam
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.drivers.base import FloatingIPSpec, RouterSpec
from stratus.services.network.errors import (
    ExternalGatewayForFloatingIPNotFound,
    FloatingIPNotFound,
    FloatingIPPortAlreadyAssociated,
    HTTPBadRequest,
    NetworkNotFound,
    PortInUse,
    PortNotFound,
    RouterInterfaceInUseByFloatingIP,
    RouterInterfaceNotFound,
    RouterInUse,
    RouterNotFound,
    SubnetNotFound,
)
from stratus.services.network.query import Query
from stratus.services.network.service import NetworkService

GW_OWNER = "network:router_gateway"
FIP_OWNER = "network:floatingip"
IF_OWNER = "network:router_interface"


class L3Service(Core):
    def __init__(self, *, l2: NetworkService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.l2 = l2

    # ================================================================= routers

    async def _router(self, session: AsyncSession, ctx: RequestContext, router_id: str) -> m.Router:
        router = await repo.get(session, m.Router, router_id)
        if router is None or (not self.is_admin(ctx) and router.project_id != ctx.project_id):
            raise RouterNotFound(router_id)
        return router

    async def router_views(
        self, session: AsyncSession, ctx: RequestContext, rows: Sequence[m.Router]
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = await repo.tags_for(session, ids)
        gw_ports = [r.gw_port_id for r in rows if r.gw_port_id]
        allocs = await repo.allocations_for_ports(session, gw_ports)
        admin_view = ctx.allows("get_router:distributed", {"project_id": ctx.project_id})
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            gw = None
            if row.gw_network_id:
                gw = {
                    "network_id": row.gw_network_id,
                    "enable_snat": row.enable_snat,
                    "qos_policy_id": row.gw_qos_policy_id,
                    "external_fixed_ips": [
                        {"subnet_id": a.subnet_id, "ip_address": a.ip_address}
                        for a in sorted(
                            allocs.get(row.gw_port_id or "", []), key=lambda a: a.ip_address
                        )
                    ],
                }
            view.update(
                name=row.name,
                status=row.status,
                admin_state_up=row.admin_state_up,
                external_gateway_info=gw,
                routes=[dict(r) for r in row.routes],
                availability_zone_hints=list(row.availability_zone_hints),
                availability_zones=list(
                    row.availability_zone_hints or self.config.availability_zones[:1]
                ),
                flavor_id=row.flavor_id,
            )
            if admin_view:
                view.update(distributed=row.distributed, ha=row.ha)
            out.append(view)
        return out

    async def list_routers(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.Router,
                attrs.ROUTER,
                query,
                scope=None if admin else repo.owned(m.Router, ctx.project_id or ""),
            )
            return await self.router_views(session, ctx, rows)

    async def get_router(self, ctx: RequestContext, router_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            router = await self._router(session, ctx, router_id)
            return (await self.router_views(session, ctx, [router]))[0]

    async def create_router(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.ROUTER, body)
        owner = self.owner_of(ctx, data)
        target = {"project_id": owner, "tenant_id": owner}
        self.enforce(ctx, "create_router", target)
        self._enforce_gateway(ctx, "create", data.get("external_gateway_info"), target)
        for key in ("distributed", "ha"):
            if key in body and data[key]:
                self.enforce(ctx, f"create_router:{key}", target)
        for zone in data["availability_zone_hints"]:
            if zone not in self.config.availability_zones:
                from stratus.kit.errors import NotFound

                raise NotFound(f"AvailabilityZone {zone} could not be found.")
        async with self.db.session() as session:
            await self.claim(session, owner, "router")
            if data["flavor_id"] is not None:
                flavor = await repo.get(session, m.Flavor, data["flavor_id"])
                if flavor is None or flavor.service_type != "L3_ROUTER_NAT" or not flavor.enabled:
                    raise BadRequest(f"Invalid flavor {data['flavor_id']} for a router.")
            router = self.new_std(
                m.Router,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                admin_state_up=data["admin_state_up"],
                status="ACTIVE",
                distributed=data["distributed"],
                ha=data["ha"],
                availability_zone_hints=data["availability_zone_hints"],
                flavor_id=data["flavor_id"],
                routes=[],
                enable_snat=True,
            )
            session.add(router)
            await session.flush()
            if data.get("external_gateway_info"):
                await self._set_gateway(session, ctx, router, data["external_gateway_info"])
            if data.get("tags"):
                await repo.set_tags(session, "router", router.id, data["tags"])
            await session.flush()
            view = (await self.router_views(session, ctx, [router]))[0]
            spec = await self._spec(session, router)
        await self.driver.router_updated(spec)
        return view

    def _enforce_gateway(
        self,
        ctx: RequestContext,
        action: str,
        info: Mapping[str, Any] | None,
        target: Mapping[str, Any],
    ) -> None:
        if not info:
            return
        self.enforce(ctx, f"{action}_router:external_gateway_info", target)
        self.enforce(ctx, f"{action}_router:external_gateway_info:network_id", target)
        if "enable_snat" in info:
            self.enforce(ctx, f"{action}_router:external_gateway_info:enable_snat", target)
        if info.get("external_fixed_ips"):
            self.enforce(ctx, f"{action}_router:external_gateway_info:external_fixed_ips", target)
        if info.get("qos_policy_id"):
            self.enforce(ctx, f"{action}_router:external_gateway_info:qos_policy_id", target)

    async def _set_gateway(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        router: m.Router,
        info: Mapping[str, Any] | None,
    ) -> None:
        if not info:
            if router.gw_port_id:
                if await repo.floating_ips_where(session, m.FloatingIP.router_id == router.id):
                    raise Conflict(
                        f"Gateway cannot be updated for router {router.id}, since a gateway to external network {router.gw_network_id} is required by one or more floating IPs."
                    )
                port = await repo.get(session, m.Port, router.gw_port_id)
                if port is not None:
                    await self.l2.delete_port_in(session, port)
            router.gw_port_id = None
            router.gw_network_id = None
            router.enable_snat = True
            router.gw_qos_policy_id = None
            return
        net = await repo.get(session, m.Network, info["network_id"])
        if net is None or not await self.l2._network_visible(session, ctx, net):
            raise NetworkNotFound(info["network_id"])
        if not net.external:
            raise BadRequest(f"Bad router request: Network {net.id} is not an external network.")
        router.enable_snat = info.get("enable_snat", True)
        if "qos_policy_id" in info:
            await self.l2.check_qos(session, ctx, info["qos_policy_id"])
            router.gw_qos_policy_id = info["qos_policy_id"]
        if (
            router.gw_network_id == net.id
            and router.gw_port_id
            and "external_fixed_ips" not in info
        ):
            return
        if router.gw_port_id:
            if router.gw_network_id != net.id and await repo.floating_ips_where(
                session, m.FloatingIP.router_id == router.id
            ):
                raise Conflict(
                    f"Gateway cannot be updated for router {router.id}, since a gateway to external network {router.gw_network_id} is required by one or more floating IPs."
                )
            port = await repo.get(session, m.Port, router.gw_port_id)
            if port is not None:
                await self.l2.delete_port_in(session, port)
        fixed = info.get("external_fixed_ips") or None
        _view, _spec, _binding = await self.l2.create_port_in(
            session,
            None,
            net,
            "",
            {
                "device_owner": GW_OWNER,
                "device_id": router.id,
                "fixed_ips": fixed,
                "port_security_enabled": False,
                "admin_state_up": True,
                "security_groups": [],
            }
            if fixed
            else {
                "device_owner": GW_OWNER,
                "device_id": router.id,
                "port_security_enabled": False,
                "admin_state_up": True,
                "security_groups": [],
            },
        )
        router.gw_port_id = _view["id"]
        router.gw_network_id = net.id

    async def _spec(self, session: AsyncSession, router: m.Router) -> RouterSpec:
        gw_ips: list[str] = []
        if router.gw_port_id:
            gw_ips = [
                a.ip_address
                for a in (await repo.allocations_for_ports(session, [router.gw_port_id])).get(
                    router.gw_port_id, []
                )
            ]
        interfaces = [
            await self.l2.port_spec(session, p)
            for p in await repo.router_interface_ports(session, [router.id])
        ]
        return RouterSpec(
            id=router.id,
            project_id=router.project_id,
            admin_state_up=router.admin_state_up,
            gateway_network_id=router.gw_network_id,
            gateway_ips=tuple(gw_ips),
            enable_snat=router.enable_snat,
            interfaces=tuple(interfaces),
            routes=tuple(dict(r) for r in router.routes),
        )

    async def update_router(
        self,
        ctx: RequestContext,
        router_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.ROUTER, body)
        async with self.db.session() as session:
            router = await self._router(session, ctx, router_id)
            target = {"project_id": router.project_id, "tenant_id": router.project_id}
            self.enforce(ctx, "update_router", target)
            self._enforce_gateway(ctx, "update", data.get("external_gateway_info"), target)
            for key in ("distributed", "ha"):
                if key in data:
                    self.enforce(ctx, f"update_router:{key}", target)
            self.check_revision(router, if_match)
            for key in ("name", "description", "admin_state_up", "distributed", "ha"):
                if key in data:
                    setattr(router, key, data[key])
            if "external_gateway_info" in data:
                await self._set_gateway(session, ctx, router, data["external_gateway_info"])
            if "routes" in data:
                await self._check_routes(session, router, data["routes"])
                router.routes = data["routes"]
            self.bump(router)
            await session.flush()
            view = (await self.router_views(session, ctx, [router]))[0]
            spec = await self._spec(session, router)
        await self.driver.router_updated(spec)
        return view

    async def _check_routes(
        self, session: AsyncSession, router: m.Router, routes: Sequence[Mapping[str, str]]
    ) -> None:
        ports = await repo.router_interface_ports(session, [router.id])
        if router.gw_port_id:
            gw = await repo.get(session, m.Port, router.gw_port_id)
            if gw is not None:
                ports.append(gw)
        allocs = await repo.allocations_for_ports(session, [p.id for p in ports])
        cidrs: list[str] = []
        own_ips: set[str] = set()
        for port_allocs in allocs.values():
            for alloc in port_allocs:
                subnet = await repo.get(session, m.Subnet, alloc.subnet_id)
                if subnet is not None:
                    cidrs.append(subnet.cidr)
                own_ips.add(alloc.ip_address)
        for route in routes:
            nexthop = route["nexthop"]
            if nexthop in own_ips or not any(ipam.contains(c, nexthop) for c in cidrs):
                raise BadRequest(
                    f"Invalid format for routes: {list(routes)}, the nexthop is not connected with router"
                )

    async def change_routes(
        self, ctx: RequestContext, router_id: str, body: Any, *, add: bool
    ) -> dict[str, Any]:
        """extraroute-atomic: add or remove routes without replacing the list."""
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("router"), dict)
            or "routes" not in body["router"]
        ):
            raise BadRequest("Bad router request: 'routes' is required in the 'router' body.")
        try:
            routes = attrs.route_list(body["router"]["routes"])
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for routes. Reason: {err}.") from None
        async with self.db.session() as session:
            router = await self._router(session, ctx, router_id)
            self.enforce(
                ctx,
                "update_router",
                {"project_id": router.project_id, "tenant_id": router.project_id},
            )
            current = [dict(r) for r in router.routes]
            if add:
                await self._check_routes(session, router, routes)
                new = current + [r for r in routes if r not in current]
            else:
                new = [r for r in current if r not in routes]
            router.routes = new
            self.bump(router)
            await session.flush()
            view = (await self.router_views(session, ctx, [router]))[0]
            spec = await self._spec(session, router)
        await self.driver.router_updated(spec)
        return view

    async def floatingip_pools(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """floatingip-pools: the IPv4 subnets of the external networks the caller can use."""
        from sqlalchemy import select

        async with self.db.reader() as session:
            rows = await session.execute(select(m.Network).where(m.Network.external.is_(True)))
            nets = [n for n in rows.scalars() if await self.l2._network_visible(session, ctx, n)]
            subnets = await repo.subnets_for(session, [n.id for n in nets])
        return [
            {
                "subnet_id": s.id,
                "subnet_name": s.name,
                "network_id": s.network_id,
                "project_id": s.project_id,
                "tenant_id": s.project_id,
                "cidr": s.cidr,
            }
            for n in nets
            for s in subnets.get(n.id, [])
            if s.ip_version == 4
        ]

    async def delete_router(
        self, ctx: RequestContext, router_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            router = await self._router(session, ctx, router_id)
            self.enforce(
                ctx,
                "delete_router",
                {"project_id": router.project_id, "tenant_id": router.project_id},
            )
            self.check_revision(router, if_match)
            if await repo.router_interface_ports(session, [router.id]):
                raise RouterInUse(router.id)
            if await repo.floating_ips_where(session, m.FloatingIP.router_id == router.id):
                raise RouterInUse(router.id, "still has floating IPs")  # upstream words it as ports
            if router.gw_port_id:
                port = await repo.get(session, m.Port, router.gw_port_id)
                router.gw_port_id = None
                await session.flush()
                if port is not None:
                    await self.l2.delete_port_in(session, port)
            await repo.drop_tags(session, router.id)
            await session.delete(router)
        await self.driver.router_deleted(router_id)

    async def add_interface(self, ctx: RequestContext, router_id: str, body: Any) -> dict[str, Any]:
        info = _interface_body(body)
        async with self.db.session() as session:
            router = await self._router(session, ctx, router_id)
            self.enforce(
                ctx,
                "add_router_interface",
                {"project_id": router.project_id, "tenant_id": router.project_id},
            )
            existing_ports = await repo.router_interface_ports(session, [router.id])
            existing_allocs = await repo.allocations_for_ports(
                session, [p.id for p in existing_ports]
            )
            attached_subnets = {a.subnet_id for allocs in existing_allocs.values() for a in allocs}
            if "subnet_id" in info:
                subnet = await self.l2.get_subnet_row(session, ctx, info["subnet_id"])
                if not subnet.gateway_ip:
                    raise BadRequest(
                        f"Bad router request: Subnet {subnet.id} does not have a gateway IP."
                    )
                if subnet.id in attached_subnets:
                    raise BadRequest(
                        f"Bad router request: Router already has a port on subnet {subnet.id}."
                    )
                await self._check_overlap(session, router, attached_subnets, [subnet])
                net = await repo.get(session, m.Network, subnet.network_id)
                assert net is not None
                view, _spec, _b = await self.l2.create_port_in(
                    session,
                    None,
                    net,
                    router.project_id,
                    {
                        "device_owner": IF_OWNER,
                        "device_id": router.id,
                        "fixed_ips": [{"subnet_id": subnet.id, "ip_address": subnet.gateway_ip}],
                        "security_groups": [],
                        "port_security_enabled": False,
                    },
                )
                port_id, subnet_ids, network_id = view["id"], [subnet.id], net.id
            else:
                port = await self.l2.get_port_row(session, ctx, info["port_id"])
                if port.device_id or port.device_owner:
                    raise PortInUse(port.id, port.network_id, port.device_id)
                allocs = (await repo.allocations_for_ports(session, [port.id])).get(port.id, [])
                if not allocs:
                    raise BadRequest(
                        "Bad router request: Router port must have at least one fixed IP."
                    )
                subnets = [
                    s
                    for s in [await repo.get(session, m.Subnet, a.subnet_id) for a in allocs]
                    if s is not None
                ]
                for s in subnets:
                    if s.id in attached_subnets:
                        raise BadRequest(
                            f"Bad router request: Router already has a port on subnet {s.id}."
                        )
                await self._check_overlap(session, router, attached_subnets, subnets)
                port.device_owner = IF_OWNER
                port.device_id = router.id
                port.status = "ACTIVE"
                await repo.set_port_security_groups(session, port.id, [])
                self.l2.bump(port)
                port_id, subnet_ids, network_id = (
                    port.id,
                    [a.subnet_id for a in allocs],
                    port.network_id,
                )
            self.bump(router)
            await session.flush()
            spec = await self._spec(session, router)
        await self.driver.router_updated(spec)
        return {
            "id": router.id,
            "tenant_id": router.project_id,
            "project_id": router.project_id,
            "port_id": port_id,
            "subnet_id": subnet_ids[0],
            "subnet_ids": subnet_ids,
            "network_id": network_id,
        }

    async def _check_overlap(
        self, session: AsyncSession, router: m.Router, attached: set[str], new: Sequence[m.Subnet]
    ) -> None:
        for sid in attached:
            other = await repo.get(session, m.Subnet, sid)
            if other is None:
                continue
            for subnet in new:
                if ipam.overlaps(other.cidr, subnet.cidr):
                    raise BadRequest(
                        f"Bad router request: Cidr {subnet.cidr} of subnet {subnet.id} overlaps with cidr {other.cidr} of subnet {other.id}."
                    )

    async def remove_interface(
        self, ctx: RequestContext, router_id: str, body: Any
    ) -> dict[str, Any]:
        info = _interface_body(body, allow_both=True)
        async with self.db.session() as session:
            router = await self._router(session, ctx, router_id)
            self.enforce(
                ctx,
                "remove_router_interface",
                {"project_id": router.project_id, "tenant_id": router.project_id},
            )
            ports = await repo.router_interface_ports(session, [router.id])
            allocs = await repo.allocations_for_ports(session, [p.id for p in ports])
            target = None
            if "port_id" in info:
                target = next((p for p in ports if p.id == info["port_id"]), None)
                if target is None:
                    raise (
                        RouterInterfaceNotFound(router.id, f"id {info['port_id']}")
                        if await repo.get(session, m.Port, info["port_id"])
                        else PortNotFound(info["port_id"])
                    )
                if "subnet_id" in info and info["subnet_id"] not in {
                    a.subnet_id for a in allocs.get(target.id, [])
                }:
                    raise ConflictSubnetMismatch(target.id, info["subnet_id"])
            else:
                subnet = await repo.get(session, m.Subnet, info["subnet_id"])
                if subnet is None:
                    raise SubnetNotFound(info["subnet_id"])
                target = next(
                    (
                        p
                        for p in ports
                        if any(a.subnet_id == info["subnet_id"] for a in allocs.get(p.id, []))
                    ),
                    None,
                )
                if target is None:
                    raise RouterInterfaceNotFound(router.id, f"subnet {info['subnet_id']}")
            subnet_ids = [a.subnet_id for a in allocs.get(target.id, [])]
            for sid in subnet_ids:
                await self._check_fips_need(session, router, sid)
            network_id = target.network_id
            await self.l2.delete_port_in(session, target)
            self.bump(router)
            await session.flush()
            spec = await self._spec(session, router)
        await self.driver.router_updated(spec)
        return {
            "id": router.id,
            "tenant_id": router.project_id,
            "project_id": router.project_id,
            "port_id": target.id,
            "subnet_id": subnet_ids[0] if subnet_ids else None,
            "subnet_ids": subnet_ids,
            "network_id": network_id,
        }

    async def _check_fips_need(
        self, session: AsyncSession, router: m.Router, subnet_id: str
    ) -> None:
        for fip in await repo.floating_ips_where(session, m.FloatingIP.router_id == router.id):
            if fip.port_id is None:
                continue
            for alloc in (await repo.allocations_for_ports(session, [fip.port_id])).get(
                fip.port_id, []
            ):
                if alloc.subnet_id == subnet_id:
                    raise RouterInterfaceInUseByFloatingIP(router.id, subnet_id)

    # ================================================================= floating IPs

    async def _fip(self, session: AsyncSession, ctx: RequestContext, fip_id: str) -> m.FloatingIP:
        fip = await repo.get(session, m.FloatingIP, fip_id)
        if fip is None or (not self.is_admin(ctx) and fip.project_id != ctx.project_id):
            raise FloatingIPNotFound(fip_id)
        return fip

    async def fip_views(
        self, session: AsyncSession, rows: Sequence[m.FloatingIP]
    ) -> list[dict[str, Any]]:
        tags = await repo.tags_for(session, [r.id for r in rows])
        forwardings = await repo.port_forwardings_for(session, [r.id for r in rows])
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            details = None
            if row.port_id:
                port = await repo.get(session, m.Port, row.port_id)
                if port is not None:
                    details = {
                        "name": port.name,
                        "network_id": port.network_id,
                        "mac_address": port.mac_address,
                        "admin_state_up": port.admin_state_up,
                        "status": port.status,
                        "device_id": port.device_id,
                        "device_owner": port.device_owner,
                    }
            view.update(
                floating_network_id=row.floating_network_id,
                floating_ip_address=row.floating_ip_address,
                port_id=row.port_id,
                fixed_ip_address=row.fixed_ip_address,
                router_id=row.router_id,
                status=row.status,
                dns_name=row.dns_name,
                dns_domain=row.dns_domain,
                qos_policy_id=row.qos_policy_id,
                port_details=details,
                port_forwardings=forwardings.get(row.id, []),
            )
            out.append(view)
        return out

    async def list_fips(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.FloatingIP,
                attrs.FLOATINGIP,
                query,
                scope=None if admin else repo.owned(m.FloatingIP, ctx.project_id or ""),
            )
            return await self.fip_views(session, rows)

    async def get_fip(self, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return (await self.fip_views(session, [await self._fip(session, ctx, fip_id)]))[0]

    async def create_fip(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.FLOATINGIP, body)
        owner = self.owner_of(ctx, data)
        target = {"project_id": owner, "tenant_id": owner}
        self.enforce(ctx, "create_floatingip", target)
        if "floating_ip_address" in data:
            self.enforce(ctx, "create_floatingip:floating_ip_address", target)
        async with self.db.session() as session:
            net = await repo.get(session, m.Network, data["floating_network_id"])
            if net is None or not await self.l2._network_visible(session, ctx, net):
                raise NetworkNotFound(data["floating_network_id"])
            if not net.external:
                raise BadRequest(
                    f"Bad floatingip request: Network {net.id} is not a valid external network."
                )
            await self.claim(session, owner, "floatingip")
            await self.l2.check_qos(session, ctx, data["qos_policy_id"])
            fip_id = uuid_str()
            fixed: list[dict[str, str]] | None = None
            if "floating_ip_address" in data or data.get("subnet_id"):
                item: dict[str, str] = {}
                if data.get("subnet_id"):
                    item["subnet_id"] = data["subnet_id"]
                if "floating_ip_address" in data:
                    item["ip_address"] = data["floating_ip_address"]
                fixed = [item]
            else:
                subnets = (await repo.subnets_for(session, [net.id])).get(net.id, [])
                v4 = [s for s in subnets if s.ip_version == 4]
                if not v4:
                    raise BadRequest(
                        f"Bad floatingip request: Network {net.id} does not contain any IPv4 subnet."
                    )
            port_data: dict[str, Any] = {
                "device_owner": FIP_OWNER,
                "device_id": fip_id,
                "port_security_enabled": False,
                "security_groups": [],
            }
            if fixed:
                port_data["fixed_ips"] = fixed
            view, _spec, _b = await self.l2.create_port_in(session, None, net, "", port_data)
            ips = [
                f["ip_address"] for f in view["fixed_ips"] if ipam.version_of(f["ip_address"]) == 4
            ]
            if not ips:
                from stratus.services.network.errors import IpAddressGenerationFailure

                raise IpAddressGenerationFailure(net.id)
            fip = self.new_std(
                m.FloatingIP,
                fip_id,
                project_id=owner,
                floating_network_id=net.id,
                floating_ip_address=ips[0],
                floating_port_id=view["id"],
                description=data["description"],
                status="DOWN",
                dns_name=data["dns_name"],
                dns_domain=data["dns_domain"],
                qos_policy_id=data["qos_policy_id"],
            )
            session.add(fip)
            await session.flush()
            if data.get("port_id"):
                await self._associate(
                    session, ctx, fip, data["port_id"], data.get("fixed_ip_address")
                )
            if data.get("tags"):
                await repo.set_tags(session, "floatingip", fip.id, data["tags"])
            await session.flush()
            out = (await self.fip_views(session, [fip]))[0]
            spec = _fip_spec(fip)
        await self.driver.floatingip_updated(spec)
        return out

    async def _associate(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        fip: m.FloatingIP,
        port_id: str | None,
        fixed_ip: str | None,
    ) -> None:
        if port_id is not None and (await repo.port_forwardings_for(session, [fip.id])).get(fip.id):
            raise Conflict(
                f"Floating IP {fip.id} has port forwardings; it cannot be associated with a port."
            )
        if port_id is None:
            fip.port_id = None
            fip.fixed_ip_address = None
            fip.router_id = None
            fip.status = "DOWN"
            return
        port = await repo.get(session, m.Port, port_id)
        if port is None:
            raise PortNotFound(port_id)
        if not self.is_admin(ctx) and port.project_id != fip.project_id:
            try:
                await self.l2.get_port_row(session, ctx, port_id)
            except PortNotFound:
                raise PortNotFound(port_id) from None
            raise BadRequest(
                f"Bad floatingip request: Cannot associate floating IP with port {port_id} "
                "of another project."
            )
        allocs = [
            a
            for a in (await repo.allocations_for_ports(session, [port.id])).get(port.id, [])
            if ipam.version_of(a.ip_address) == 4
        ]
        if fixed_ip is not None:
            chosen = next((a for a in allocs if a.ip_address == fixed_ip), None)
            if chosen is None:
                raise BadRequest(
                    f"Bad floatingip request: Port {port.id} does not have fixed ip {fixed_ip}."
                )
        else:
            if not allocs:
                raise BadRequest(
                    f"Bad floatingip request: Port {port.id} does not have any IPv4 address."
                )
            if len(allocs) > 1:
                raise BadRequest(
                    f"Bad floatingip request: Port {port.id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP."
                )
            chosen = allocs[0]
        others = await repo.floating_ips_where(
            session,
            m.FloatingIP.port_id == port.id,
            m.FloatingIP.fixed_ip_address == chosen.ip_address,
            m.FloatingIP.floating_network_id == fip.floating_network_id,
            m.FloatingIP.id != fip.id,
        )
        if others:
            raise FloatingIPPortAlreadyAssociated(port.id, others[0].id, chosen.ip_address)
        router_id = await self._router_for(session, fip.floating_network_id, chosen.subnet_id)
        if router_id is None:
            raise ExternalGatewayForFloatingIPNotFound(
                chosen.subnet_id, fip.floating_network_id, port.id
            )
        fip.port_id = port.id
        fip.fixed_ip_address = chosen.ip_address
        fip.router_id = router_id
        fip.status = "ACTIVE"

    async def _router_for(
        self, session: AsyncSession, ext_net_id: str, subnet_id: str
    ) -> str | None:
        routers = await repo.routers_with_gateway_on(session, ext_net_id)
        if not routers:
            return None
        ports = await repo.router_interface_ports(session, [r.id for r in routers])
        allocs = await repo.allocations_for_ports(session, [p.id for p in ports])
        for port in ports:
            if any(a.subnet_id == subnet_id for a in allocs.get(port.id, [])):
                return port.device_id
        return None

    async def update_fip(
        self, ctx: RequestContext, fip_id: str, body: Mapping[str, Any], if_match: int | None = None
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.FLOATINGIP, body)
        async with self.db.session() as session:
            fip = await self._fip(session, ctx, fip_id)
            self.enforce(
                ctx,
                "update_floatingip",
                {"project_id": fip.project_id, "tenant_id": fip.project_id},
            )
            self.check_revision(fip, if_match)
            if "description" in data:
                fip.description = data["description"]
            if "qos_policy_id" in data:
                await self.l2.check_qos(session, ctx, data["qos_policy_id"])
                fip.qos_policy_id = data["qos_policy_id"]
            if not data:
                # neutron's quirk: a blank update clears the association
                await self._associate(session, ctx, fip, None, None)
            if "port_id" in data:
                await self._associate(
                    session, ctx, fip, data["port_id"], data.get("fixed_ip_address")
                )
            self.bump(fip)
            await session.flush()
            out = (await self.fip_views(session, [fip]))[0]
            spec = _fip_spec(fip)
        await self.driver.floatingip_updated(spec)
        return out

    async def delete_fip(
        self, ctx: RequestContext, fip_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            fip = await self._fip(session, ctx, fip_id)
            self.enforce(
                ctx,
                "delete_floatingip",
                {"project_id": fip.project_id, "tenant_id": fip.project_id},
            )
            self.check_revision(fip, if_match)
            if (await repo.port_forwardings_for(session, [fip.id])).get(fip.id):
                raise Conflict(f"Floating IP {fip.id} has port forwardings; delete them first.")
            port = await repo.get(session, m.Port, fip.floating_port_id)
            await repo.drop_tags(session, fip.id)
            await session.delete(fip)
            await session.flush()
            if port is not None:
                await self.l2.delete_port_in(session, port)
        await self.driver.floatingip_deleted(fip_id)


class ConflictSubnetMismatch(Conflict):
    neutron_type = "SubnetMismatchForPort"

    def __init__(self, port_id: str, subnet_id: str) -> None:
        super().__init__(
            f"Subnet on port {port_id} does not match the requested subnet {subnet_id}."
        )


def _interface_body(body: Any, *, allow_both: bool = False) -> dict[str, str]:
    if not isinstance(body, dict):
        raise BadRequest("Bad router request: Either subnet_id or port_id must be specified.")
    unknown = set(body) - {"subnet_id", "port_id"}
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
    out: dict[str, str] = {}
    for key in ("subnet_id", "port_id"):
        if body.get(key) is not None:
            try:
                out[key] = attrs.uuid(body[key])
            except ValueError as err:
                raise HTTPBadRequest(f"Invalid input for {key}. Reason: {err}.") from None
    if not out:
        raise BadRequest("Bad router request: Either subnet_id or port_id must be specified.")
    if len(out) == 2 and not allow_both:
        raise BadRequest("Bad router request: Cannot specify both subnet-id and port-id.")
    return out


def _fip_spec(fip: m.FloatingIP) -> FloatingIPSpec:
    return FloatingIPSpec(
        id=fip.id,
        floating_ip_address=fip.floating_ip_address,
        floating_network_id=fip.floating_network_id,
        router_id=fip.router_id,
        port_id=fip.port_id,
        fixed_ip_address=fip.fixed_ip_address,
    )
