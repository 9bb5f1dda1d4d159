"""Port bindings (binding-extended): inactive bindings to other hosts, activation, removal;
what Nova's live migration drives. The active binding is the port's own."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network.errors import HTTPBadRequest
from stratus.services.network.service import NetworkService


class PortBindingNotFound(NotFound):
    def __init__(self, port_id: str, host: str) -> None:
        super().__init__(f"Binding for port {port_id} for host {host} could not be found.")


class PortBindingAlreadyExists(Conflict):
    def __init__(self, port_id: str, host: str) -> None:
        super().__init__(f"Binding for port {port_id} on host {host} already exists.")


class PortBindingAlreadyActive(Conflict):
    def __init__(self, port_id: str, host: str) -> None:
        super().__init__(f"Binding for port {port_id} on host {host} is already active.")


def _active(port: m.Port) -> dict[str, Any]:
    return {
        "host": port.binding_host_id,
        "vnic_type": port.binding_vnic_type,
        "profile": dict(port.binding_profile),
        "vif_type": port.binding_vif_type,
        "vif_details": dict(port.binding_vif_details),
        "status": "ACTIVE",
    }


def _inactive(row: m.PortBinding) -> dict[str, Any]:
    return {
        "host": row.host,
        "vnic_type": row.vnic_type,
        "profile": dict(row.profile),
        "vif_type": row.vif_type,
        "vif_details": dict(row.vif_details),
        "status": "INACTIVE",
    }


class BindingService(NetworkService):
    async def _port(
        self, session: AsyncSession, ctx: RequestContext, port_id: str, rule: str
    ) -> m.Port:
        port = await self.get_port_row(session, ctx, port_id)
        self.enforce(ctx, rule, {"project_id": port.project_id, "tenant_id": port.project_id})
        return port

    async def _rows(self, session: AsyncSession, port_id: str) -> list[m.PortBinding]:
        rows = await session.execute(
            select(m.PortBinding)
            .where(m.PortBinding.port_id == port_id)
            .order_by(m.PortBinding.host)
        )
        return list(rows.scalars())

    async def list_bindings(
        self, ctx: RequestContext, port_id: str, filters: Mapping[str, list[str]]
    ) -> list[dict[str, Any]]:
        async with self.db.reader() as session:
            port = await self._port(session, ctx, port_id, "get_port_binding")
            views = ([_active(port)] if port.binding_host_id else []) + [
                _inactive(r) for r in await self._rows(session, port.id)
            ]
        for key, values in filters.items():
            views = [v for v in views if key not in v or str(v[key]) in values]
        return views

    async def create_binding(self, ctx: RequestContext, port_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("binding"), dict):
            raise BadRequest("Unable to find 'binding' in request body")
        spec = body["binding"]
        unknown = set(spec) - {"host", "vnic_type", "profile"}
        if unknown:
            raise HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        if not isinstance(spec.get("host"), str) or not spec["host"]:
            raise HTTPBadRequest("Failed to parse request. Required attribute 'host' not specified")
        try:
            vnic = attrs.one_of(*attrs.VNIC_TYPES)(spec.get("vnic_type", "normal"))
            profile = attrs.dict_or_empty(spec.get("profile"))
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for binding. Reason: {err}.") from None
        async with self.db.session() as session:
            port = await self._port(session, ctx, port_id, "create_port_binding")
            host = spec["host"]
            if (
                port.binding_host_id == host
                or await session.get(m.PortBinding, (port.id, host)) is not None
            ):
                raise PortBindingAlreadyExists(port.id, host)
            port_spec = await self.port_spec(session, port)
            from dataclasses import replace

            decided = self.driver.bind_port(
                replace(port_spec, host=host, vnic_type=vnic, profile=profile)
            )
            row = m.PortBinding(
                port_id=port.id,
                host=host,
                vnic_type=vnic,
                profile=profile,
                vif_type=decided.vif_type,
                vif_details=decided.vif_details,
            )
            if not port.binding_host_id:
                # an unbound port: the new binding is the active one
                port.binding_host_id, port.binding_vnic_type, port.binding_profile = (
                    host,
                    vnic,
                    profile,
                )
                port.binding_vif_type, port.binding_vif_details, port.status = (
                    decided.vif_type,
                    decided.vif_details,
                    decided.status,
                )
                self.bump(port)
                return _active(port)
            session.add(row)
            self.bump(port)
            await session.flush()
            return _inactive(row)

    async def activate(self, ctx: RequestContext, port_id: str, host: str) -> dict[str, Any]:
        async with self.db.session() as session:
            port = await self._port(session, ctx, port_id, "activate")
            if port.binding_host_id == host:
                raise PortBindingAlreadyActive(port.id, host)
            row = await session.get(m.PortBinding, (port.id, host))
            if row is None:
                raise PortBindingNotFound(port.id, host)
            old = m.PortBinding(
                port_id=port.id,
                host=port.binding_host_id,
                vnic_type=port.binding_vnic_type,
                profile=dict(port.binding_profile),
                vif_type=port.binding_vif_type,
                vif_details=dict(port.binding_vif_details),
            )
            port.binding_host_id, port.binding_vnic_type, port.binding_profile = (
                row.host,
                row.vnic_type,
                dict(row.profile),
            )
            port.binding_vif_type, port.binding_vif_details = row.vif_type, dict(row.vif_details)
            port.status = (
                "ACTIVE"
                if port.admin_state_up and row.vif_type not in ("unbound", "binding_failed")
                else "DOWN"
            )
            await session.delete(row)
            await session.flush()
            if old.host:
                session.add(old)
            self.bump(port)
            await session.flush()
            spec = await self.port_spec(session, port)
            view = _active(port)
        await self.driver.port_updated(spec, None)
        return view

    async def delete_binding(self, ctx: RequestContext, port_id: str, host: str) -> None:
        async with self.db.session() as session:
            port = await self._port(session, ctx, port_id, "delete_port_binding")
            row = await session.get(m.PortBinding, (port.id, host))
            if row is not None:
                await session.delete(row)
            elif port.binding_host_id == host:
                port.binding_host_id, port.binding_profile = "", {}
                port.binding_vif_type, port.binding_vif_details, port.status = "unbound", {}, "DOWN"
            else:
                raise PortBindingNotFound(port.id, host)
            self.bump(port)
