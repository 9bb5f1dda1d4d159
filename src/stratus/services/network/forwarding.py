"""Floating IP port forwardings: an external port of a floating IP forwarded to an internal
address and port, through the router that joins the two networks."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.errors import (
    ExternalGatewayForFloatingIPNotFound,
    FloatingIPNotFound,
    HTTPBadRequest,
    PortNotFound,
)
from stratus.services.network.l3 import L3Service
from stratus.services.network.query import Query

PORT_FORWARDING = {
    "id": attrs.Attr("id", attrs.uuid, post=False, put=False),
    "protocol": attrs.Attr("protocol", attrs.one_of("tcp", "udp")),
    "internal_ip_address": attrs.Attr("internal_ip_address", attrs.ip_address),
    "internal_port": attrs.Attr("internal_port", attrs.integer(1, 65535)),
    "internal_port_id": attrs.Attr("internal_port_id", attrs.uuid),
    "external_port": attrs.Attr("external_port", attrs.integer(1, 65535)),
    "description": attrs.Attr("description", attrs.string(255), default=""),
}


class PortForwardingNotFound(NotFound):
    def __init__(self, pf_id: str) -> None:
        super().__init__(f"Port Forwarding {pf_id} could not be found.")


def view(row: m.PortForwarding) -> dict[str, Any]:
    return {
        "id": row.id,
        "protocol": row.protocol,
        "internal_ip_address": row.internal_ip_address,
        "internal_port": row.internal_port,
        "internal_port_id": row.internal_port_id,
        "external_port": row.external_port,
        "description": row.description,
    }


class PortForwardingService(L3Service):
    async def _parent(
        self, session: AsyncSession, ctx: RequestContext, fip_id: str
    ) -> m.FloatingIP:
        fip = await repo.get(session, m.FloatingIP, fip_id)
        if fip is None or (not self.is_admin(ctx) and fip.project_id != ctx.project_id):
            raise FloatingIPNotFound(fip_id)
        return fip

    def _target(self, fip: m.FloatingIP) -> dict[str, Any]:
        return {
            "project_id": fip.project_id,
            "tenant_id": fip.project_id,
            "ext_parent:project_id": fip.project_id,
            "ext_parent:tenant_id": fip.project_id,
        }

    async def list_pfs(
        self, ctx: RequestContext, fip_id: str, query: Query
    ) -> list[dict[str, Any]]:
        async with self.db.reader() as session:
            fip = await self._parent(session, ctx, fip_id)
            self.enforce(ctx, "get_floatingip_port_forwarding", self._target(fip))
            rows = await self.list_rows(
                session,
                m.PortForwarding,
                PORT_FORWARDING,
                query,
                scope=m.PortForwarding.floatingip_id == fip.id,
            )
            return [view(r) for r in rows]

    async def get_pf(self, ctx: RequestContext, fip_id: str, pf_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            fip = await self._parent(session, ctx, fip_id)
            self.enforce(ctx, "get_floatingip_port_forwarding", self._target(fip))
            row = await repo.get(session, m.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip.id:
                raise PortForwardingNotFound(pf_id)
            return view(row)

    async def _validate(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        fip: m.FloatingIP,
        data: Mapping[str, Any],
        skip: str | None,
    ) -> str:
        if fip.port_id is not None:
            raise Conflict(
                f"A port forwarding cannot be set on floating IP {fip.id}: it is associated with port {fip.port_id}."
            )
        port = await repo.get(session, m.Port, data["internal_port_id"])
        if port is None or (not self.is_admin(ctx) and port.project_id != fip.project_id):
            raise PortNotFound(data["internal_port_id"])
        allocs = (await repo.allocations_for_ports(session, [port.id])).get(port.id, [])
        if await repo.floating_ips_where(session, m.FloatingIP.port_id == port.id):
            raise Conflict(
                f"Port {port.id} already has a floating IP; it cannot also be a port forwarding target."
            )
        alloc = next((a for a in allocs if a.ip_address == data["internal_ip_address"]), None)
        if alloc is None:
            raise BadRequest(
                f"Bad port_forwarding request: the internal IP address {data['internal_ip_address']} is not a fixed IP of port {port.id}."
            )
        router_id = await self._router_for(session, fip.floating_network_id, alloc.subnet_id)
        if router_id is None:
            raise ExternalGatewayForFloatingIPNotFound(
                alloc.subnet_id, fip.floating_network_id, port.id
            )
        clash = await session.execute(
            select(m.PortForwarding.id).where(
                m.PortForwarding.floatingip_id == fip.id,
                m.PortForwarding.protocol == data["protocol"],
                m.PortForwarding.external_port == data["external_port"],
            )
        )
        if any(r != skip for r in clash.scalars()):
            # Neutron answers 400 for both collisions (its _check_port_collisions on create,
            # _check_port_forwarding_update on update), not 409.
            external = data["external_port"]
            raise BadRequest(
                _collision(
                    skip,
                    "external_port_range",
                    f"{external}:{external}",
                    {"floating_ip_address": fip.floating_ip_address, "external_port": external},
                )
            )
        clash = await session.execute(
            select(m.PortForwarding.id).where(
                m.PortForwarding.internal_port_id == port.id,
                m.PortForwarding.protocol == data["protocol"],
                m.PortForwarding.internal_ip_address == data["internal_ip_address"],
                m.PortForwarding.internal_port == data["internal_port"],
            )
        )
        if any(r != skip for r in clash.scalars()):
            internal = data["internal_port"]
            raise BadRequest(
                _collision(
                    skip,
                    "internal_port_range",
                    f"{internal}:{internal}",
                    {
                        "internal_port_id": port.id,
                        "internal_ip_address": data["internal_ip_address"],
                        "internal_port": internal,
                    },
                )
            )
        return router_id

    async def create_pf(self, ctx: RequestContext, fip_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("port_forwarding"), dict):
            raise BadRequest("Unable to find 'port_forwarding' in request body")
        data = attrs.prepare_create(PORT_FORWARDING, body["port_forwarding"])
        async with self.db.session() as session:
            fip = await self._parent(session, ctx, fip_id)
            self.enforce(ctx, "create_floatingip_port_forwarding", self._target(fip))
            fip.router_id = await self._validate(session, ctx, fip, data, None)
            fip.status = "ACTIVE"
            row = m.PortForwarding(id=uuid_str(), floatingip_id=fip.id, **data)
            session.add(row)
            self.bump(fip)
            await session.flush()
            return view(row)

    async def update_pf(
        self, ctx: RequestContext, fip_id: str, pf_id: str, body: Any
    ) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("port_forwarding"), dict):
            raise BadRequest("Unable to find 'port_forwarding' in request body")
        data = attrs.prepare_update(PORT_FORWARDING, body["port_forwarding"])
        async with self.db.session() as session:
            fip = await self._parent(session, ctx, fip_id)
            self.enforce(ctx, "update_floatingip_port_forwarding", self._target(fip))
            row = await repo.get(session, m.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip.id:
                raise PortForwardingNotFound(pf_id)
            merged = {**view(row), **data}
            if "internal_port_id" in data and "internal_ip_address" not in data:
                raise HTTPBadRequest(
                    "Invalid input for operation: internal_ip_address must be given with internal_port_id."
                )
            fip.router_id = await self._validate(session, ctx, fip, merged, row.id)
            for key, value in data.items():
                setattr(row, key, value)
            self.bump(fip)
            await session.flush()
            return view(row)

    async def delete_pf(self, ctx: RequestContext, fip_id: str, pf_id: str) -> None:
        async with self.db.session() as session:
            fip = await self._parent(session, ctx, fip_id)
            self.enforce(ctx, "delete_floatingip_port_forwarding", self._target(fip))
            row = await repo.get(session, m.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip.id:
                raise PortForwardingNotFound(pf_id)
            await session.delete(row)
            await session.flush()
            remaining = (
                await session.execute(
                    select(m.PortForwarding.id)
                    .where(m.PortForwarding.floatingip_id == fip.id)
                    .limit(1)
                )
            ).first()
            if remaining is None and fip.port_id is None:
                fip.router_id = None
                fip.status = "DOWN"
            self.bump(fip)


def _collision(updating: str | None, key: str, ports: str, values: Mapping[str, Any]) -> str:
    """Neutron's wording for a port forwarding that collides with another one."""
    if updating is None:
        return (
            f"Bad port_forwarding request: There is a port collision with the {key}. "
            f"The following ranges collide: {ports} and {ports}."
        )
    return (
        "Bad port_forwarding request: Another port forwarding entry with the same attributes "
        f"already exists, conflicting values are {dict(values)}."
    )
