"""Trunks: a parent port carrying VLAN-tagged sub-ports (RA1's trunk and trunk-details)."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.errors import HTTPBadRequest, InvalidInput, PortNotFound
from stratus.services.network.query import Query
from stratus.services.network.service import NetworkService

SEGMENTATION_TYPES = ("vlan", "inherit")
SUBPORT_OWNER = "trunk:subport"


class TrunkNotFound(NotFound):
    def __init__(self, trunk_id: str) -> None:
        super().__init__(f"Trunk {trunk_id} could not be found.")


class TrunkPortInUse(Conflict):
    def __init__(self, port_id: str) -> None:
        super().__init__(f"Port {port_id} is in use by another trunk.")


class PortInUseAsSubPort(Conflict):
    def __init__(self, port_id: str, trunk_id: str) -> None:
        super().__init__(f"Port {port_id} is currently a subport for trunk {trunk_id}.")


class DuplicateSubPort(Conflict):
    def __init__(self, seg_type: str, seg_id: int, trunk_id: str) -> None:
        super().__init__(
            f"segmentation_type {seg_type} and segmentation_id {seg_id} already in use on trunk {trunk_id}."
        )


class TrunkInUse(Conflict):
    def __init__(self, trunk_id: str) -> None:
        super().__init__(f"Trunk {trunk_id} is currently in use.")


class TrunkDisabled(Conflict):
    def __init__(self, trunk_id: str) -> None:
        super().__init__(f"Trunk {trunk_id} is currently disabled.")


class SubPortNotFound(NotFound):
    def __init__(self, trunk_id: str, port_id: str) -> None:
        super().__init__(
            f"SubPort on trunk {trunk_id} with parent port {port_id} could not be found."
        )


class SubPortMtuGreaterThanTrunkPortMtu(Conflict):
    def __init__(self, port_id: str, port_mtu: int, trunk_port_id: str, trunk_mtu: int) -> None:
        super().__init__(
            f"MTU {port_mtu} of subport {port_id} cannot be greater than MTU {trunk_mtu} "
            f"of trunk {trunk_port_id}."
        )


def subports_body(value: Any, *, removing: bool = False) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise HTTPBadRequest(f"Invalid input for sub_ports. Reason: '{value}' is not a list.")
    out: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or "port_id" not in item:
            raise HTTPBadRequest(
                f"Invalid input for sub_ports. Reason: Invalid subport details '{item}': missing 'port_id'."
            )
        try:
            entry: dict[str, Any] = {"port_id": attrs.uuid(item["port_id"])}
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for sub_ports. Reason: {err}.") from None
        if not removing:
            if "segmentation_type" not in item or (
                "segmentation_id" not in item and item.get("segmentation_type") != "inherit"
            ):
                raise HTTPBadRequest(
                    f"Invalid input for sub_ports. Reason: Invalid subport details '{item}': missing segmentation_type or segmentation_id."
                )
            seg_type = item["segmentation_type"]
            if seg_type not in SEGMENTATION_TYPES:
                raise HTTPBadRequest(
                    f"Invalid input for sub_ports. Reason: Invalid segmentation_type '{seg_type}'."
                )
            seg_id = item.get("segmentation_id")
            if seg_type == "vlan":
                try:
                    seg_id = attrs.integer(1, 4094)(seg_id)
                except ValueError as err:
                    raise HTTPBadRequest(
                        f"Invalid input for sub_ports. Reason: segmentation_id {err}."
                    ) from None
            entry.update(segmentation_type=seg_type, segmentation_id=seg_id or 0)
        if (
            not removing
            and entry["segmentation_type"] == "vlan"
            and any(
                o["segmentation_type"] == "vlan"
                and o["segmentation_id"] == entry["segmentation_id"]
                for o in out
            )
        ):
            raise HTTPBadRequest(
                f"Invalid input for sub_ports. Reason: duplicate segmentation_id {entry['segmentation_id']}."
            )
        out.append(entry)
    return out


TRUNK = {
    **attrs.standard(),
    "name": attrs.Attr("name", attrs.string(255), default=""),
    "description": attrs.Attr("description", attrs.string(255), default=""),
    "admin_state_up": attrs.Attr("admin_state_up", attrs.to_bool, default=True),
    "port_id": attrs.Attr("port_id", attrs.uuid, put=False),
    "status": attrs.Attr("status", None, post=False, put=False),
    "sub_ports": attrs.Attr("sub_ports", None, put=False, default=[], filter=False, sort=False),
}


class TrunkService(Core):
    def __init__(self, *, l2: NetworkService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.l2 = l2

    async def _trunk(self, session: AsyncSession, ctx: RequestContext, trunk_id: str) -> m.Trunk:
        trunk = await repo.get(session, m.Trunk, trunk_id)
        if trunk is None or (not self.is_admin(ctx) and trunk.project_id != ctx.project_id):
            raise TrunkNotFound(trunk_id)
        return trunk

    async def _subports(
        self, session: AsyncSession, trunk_ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        return await repo.subports_of(session, trunk_ids)

    async def views(self, session: AsyncSession, rows: Sequence[m.Trunk]) -> list[dict[str, Any]]:
        tags = await repo.tags_for(session, [r.id for r in rows])
        subs = await self._subports(session, [r.id for r in rows])
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            view.update(
                name=row.name,
                admin_state_up=row.admin_state_up,
                status=row.status,
                port_id=row.port_id,
                sub_ports=[
                    {k: v for k, v in s.items() if k != "mac_address"} for s in subs.get(row.id, [])
                ],
            )
            out.append(view)
        return out

    async def list_trunks(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.Trunk,
                TRUNK,
                query,
                scope=None if admin else repo.owned(m.Trunk, ctx.project_id or ""),
            )
            return await self.views(session, rows)

    async def get_trunk(self, ctx: RequestContext, trunk_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return (await self.views(session, [await self._trunk(session, ctx, trunk_id)]))[0]

    async def _check_port_free(self, session: AsyncSession, port_id: str) -> None:
        role = await repo.trunk_role(session, port_id)
        if role is not None and role[0] == "parent":
            raise TrunkPortInUse(port_id)
        if role is not None:
            raise PortInUseAsSubPort(port_id, role[1])

    async def _add(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        trunk: m.Trunk,
        subports: Sequence[Mapping[str, Any]],
    ) -> None:
        existing = {
            (s["segmentation_type"], s["segmentation_id"])
            for s in (await self._subports(session, [trunk.id])).get(trunk.id, [])
        }
        parent = await repo.get(session, m.Port, trunk.port_id)
        parent_net = await repo.get(session, m.Network, parent.network_id) if parent else None
        for item in subports:
            port = await self.l2.get_port_row(session, ctx, item["port_id"])
            if port.id == trunk.port_id:
                raise TrunkPortInUse(port.id)
            net = await repo.get(session, m.Network, port.network_id)
            # neutron's SubPortsValidator: a subport's network MTU may not exceed the parent's
            if parent_net is not None and net is not None and net.mtu > parent_net.mtu:
                raise SubPortMtuGreaterThanTrunkPortMtu(
                    port.id, net.mtu, trunk.port_id, parent_net.mtu
                )
            if item["segmentation_type"] == "inherit":
                item = {**item, **await self._inherited(session, port.network_id)}
            await self._check_port_free(session, port.id)
            if port.device_id and port.device_owner != SUBPORT_OWNER:
                raise Conflict(
                    f"Port {port.id} is in use by device {port.device_id}; it cannot become a subport."
                )
            key = (item["segmentation_type"], item["segmentation_id"])
            if key in existing and item["segmentation_type"] == "vlan":
                raise DuplicateSubPort(key[0], key[1], trunk.id)
            existing.add(key)
            session.add(
                m.SubPort(
                    port_id=port.id,
                    trunk_id=trunk.id,
                    segmentation_type=key[0],
                    segmentation_id=key[1],
                )
            )
            port.device_owner = SUBPORT_OWNER
            port.device_id = trunk.id
            if parent is not None:
                port.binding_host_id = parent.binding_host_id
            self.bump(port)
        await session.flush()

    async def _inherited(self, session: AsyncSession, network_id: str) -> dict[str, Any]:
        """'inherit': the subport takes its network's segment; only VLAN is a trunk type."""
        segs = (await repo.segments_for(session, [network_id])).get(network_id, [])
        first = min(segs, key=lambda s: s.segment_index) if segs else None
        seg_type = first.network_type if first else None
        if seg_type != "vlan" or first is None or first.segmentation_id is None:
            raise InvalidInput(f"Unknown segmentation_type '{seg_type}'")
        return {"segmentation_type": "vlan", "segmentation_id": first.segmentation_id}

    async def create_trunk(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        raw_subs = body.get("sub_ports", [])
        data = attrs.prepare_create(TRUNK, {k: v for k, v in body.items() if k != "sub_ports"})
        subs = subports_body(raw_subs)
        owner = self.owner_of(ctx, data)
        self.enforce(ctx, "create_trunk", {"project_id": owner, "tenant_id": owner})
        async with self.db.session() as session:
            try:
                parent = await self.l2.get_port_row(session, ctx, data["port_id"])
            except PortNotFound:
                raise PortNotFound(data["port_id"]) from None
            await self._check_port_free(session, parent.id)
            trunk = self.new_std(
                m.Trunk,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                admin_state_up=data["admin_state_up"],
                port_id=parent.id,
                status="ACTIVE" if parent.binding_host_id else "DOWN",
            )
            session.add(trunk)
            await session.flush()
            await self._add(session, ctx, trunk, subs)
            self.bump(parent)
            if data.get("tags"):
                await repo.set_tags(session, "trunk", trunk.id, data["tags"])
            return (await self.views(session, [trunk]))[0]

    async def update_trunk(
        self,
        ctx: RequestContext,
        trunk_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(TRUNK, body)
        async with self.db.session() as session:
            trunk = await self._trunk(session, ctx, trunk_id)
            self.enforce(
                ctx, "update_trunk", {"project_id": trunk.project_id, "tenant_id": trunk.project_id}
            )
            self.check_revision(trunk, if_match)
            for key in ("name", "description", "admin_state_up"):
                if key in data:
                    setattr(trunk, key, data[key])
            self.bump(trunk)
            await session.flush()
            return (await self.views(session, [trunk]))[0]

    async def delete_trunk(
        self, ctx: RequestContext, trunk_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            trunk = await self._trunk(session, ctx, trunk_id)
            self.enforce(
                ctx, "delete_trunk", {"project_id": trunk.project_id, "tenant_id": trunk.project_id}
            )
            self.check_revision(trunk, if_match)
            if not trunk.admin_state_up:
                raise TrunkDisabled(trunk.id)
            parent = await repo.get(session, m.Port, trunk.port_id)
            if parent is not None and parent.binding_host_id and parent.device_id:
                raise TrunkInUse(trunk.id)
            for sub in (await self._subports(session, [trunk.id])).get(trunk.id, []):
                port = await repo.get(session, m.Port, sub["port_id"])
                if port is not None:
                    port.device_owner = ""
                    port.device_id = ""
            await repo.drop_tags(session, trunk.id)
            await session.delete(trunk)

    async def add_subports(self, ctx: RequestContext, trunk_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "sub_ports" not in body:
            raise BadRequest(
                "Failed to parse request. Required attribute 'sub_ports' not specified"
            )
        subs = subports_body(body["sub_ports"])
        async with self.db.session() as session:
            trunk = await self._trunk(session, ctx, trunk_id)
            self.enforce(
                ctx, "add_subports", {"project_id": trunk.project_id, "tenant_id": trunk.project_id}
            )
            if not trunk.admin_state_up:
                raise TrunkDisabled(trunk.id)
            await self._add(session, ctx, trunk, subs)
            self.bump(trunk)
            await session.flush()
            return (await self.views(session, [trunk]))[0]

    async def remove_subports(
        self, ctx: RequestContext, trunk_id: str, body: Any
    ) -> dict[str, Any]:
        if not isinstance(body, dict) or "sub_ports" not in body:
            raise BadRequest(
                "Failed to parse request. Required attribute 'sub_ports' not specified"
            )
        subs = subports_body(body["sub_ports"], removing=True)
        async with self.db.session() as session:
            trunk = await self._trunk(session, ctx, trunk_id)
            self.enforce(
                ctx,
                "remove_subports",
                {"project_id": trunk.project_id, "tenant_id": trunk.project_id},
            )
            if not trunk.admin_state_up:
                raise TrunkDisabled(trunk.id)
            for item in subs:
                sub = await session.get(m.SubPort, item["port_id"])
                if sub is None or sub.trunk_id != trunk.id:
                    raise SubPortNotFound(trunk.id, item["port_id"])
                await session.delete(sub)
                port = await repo.get(session, m.Port, item["port_id"])
                if port is not None:
                    port.device_owner = ""
                    port.device_id = ""
                    self.bump(port)
            self.bump(trunk)
            await session.flush()
            return (await self.views(session, [trunk]))[0]

    async def get_subports(self, ctx: RequestContext, trunk_id: str) -> list[dict[str, Any]]:
        async with self.db.reader() as session:
            trunk = await self._trunk(session, ctx, trunk_id)
            return (await self.views(session, [trunk]))[0]["sub_ports"]  # type: ignore[no-any-return]
