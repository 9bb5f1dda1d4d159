"""Auto-allocated topology (``nova boot --nic auto``): a project's network, subnets from the
default subnet pools and a router to the default external network, made on first request."""

import asyncio
from typing import Any

from sqlalchemy import select

from stratus.api.context import RequestContext
from stratus.kit.errors import Conflict
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.l3 import L3Service
from stratus.services.network.pools import default_pool
from stratus.services.network.service import NetworkService

NETWORK_NAME = "auto_allocated_network"
ROUTER_NAME = "auto_allocated_router"


class AutoAllocationFailure(Conflict):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Deployment error: {reason}.")


class AutoTopologyService(Core):
    def __init__(self, *, l2: NetworkService, l3: L3Service, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.l2 = l2
        self.l3 = l3

    async def _requirements(self) -> tuple[str, list[int]]:
        async with self.db.reader() as session:
            rows = await session.execute(
                select(m.Network.id).where(
                    m.Network.external.is_(True), m.Network.is_default.is_(True)
                )
            )
            external = rows.scalars().first()
            if external is None:
                raise AutoAllocationFailure("No default router:external network")
            versions = [v for v in (4, 6) if await default_pool(session, v) is not None]
            if 4 not in versions:
                raise AutoAllocationFailure("No default subnetpools defined")
            return external, versions

    async def get(
        self, ctx: RequestContext, project_id: str, *, dry_run: bool = False
    ) -> dict[str, Any]:
        project_id = _project(ctx, project_id)
        self.enforce(
            ctx, "get_auto_allocated_topology", {"project_id": project_id, "tenant_id": project_id}
        )
        async with self.db.reader() as session:
            row = await session.get(m.AutoAllocatedTopology, project_id)
            if row is not None and row.network_id and not dry_run:
                return _view(row.network_id, project_id)
        external, versions = await self._requirements()
        if dry_run:
            return {"id": "dry-run=pass", "project_id": project_id, "tenant_id": project_id}
        # claim the project's row; a concurrent request waits for the winner's network
        async with self.db.session() as session:
            won = await repo.flush_unique(session, m.AutoAllocatedTopology(project_id=project_id))
        if not won:
            for _ in range(100):
                async with self.db.reader() as session:
                    row = await session.get(m.AutoAllocatedTopology, project_id)
                if row is not None and row.network_id:
                    return _view(row.network_id, project_id)
                await asyncio.sleep(0.05)
            raise AutoAllocationFailure(
                "the topology of this project is being built by another request"
            )
        created: dict[str, Any] = {}
        try:
            net = await self.l2.create_network(
                ctx, {"name": NETWORK_NAME, "project_id": project_id}
            )
            created["network"] = net["id"]
            subnets = []
            for version in versions:
                subnet = await self.l2.create_subnet(
                    ctx,
                    {
                        "name": f"auto_allocated_subnet_v{version}",
                        "network_id": net["id"],
                        "ip_version": version,
                        "use_default_subnetpool": True,
                        "project_id": project_id,
                        **(
                            {"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}
                            if version == 6
                            else {}
                        ),
                    },
                )
                subnets.append(subnet["id"])
            router = await self.l3.create_router(
                ctx,
                {
                    "name": ROUTER_NAME,
                    "project_id": project_id,
                    "external_gateway_info": {"network_id": external},
                },
            )
            created["router"] = router["id"]
            for subnet_id in subnets:
                await self.l3.add_interface(ctx, router["id"], {"subnet_id": subnet_id})
        except Exception:
            await self._teardown(ctx, created.get("network"), created.get("router"))
            async with self.db.session() as session:
                row = await session.get(m.AutoAllocatedTopology, project_id)
                if row is not None:
                    await session.delete(row)
            raise
        async with self.db.session() as session:
            row = await session.get(m.AutoAllocatedTopology, project_id)
            assert row is not None
            row.network_id = net["id"]
            row.router_id = router["id"]
        return _view(net["id"], project_id)

    async def delete(self, ctx: RequestContext, project_id: str) -> None:
        project_id = _project(ctx, project_id)
        self.enforce(
            ctx,
            "delete_auto_allocated_topology",
            {"project_id": project_id, "tenant_id": project_id},
        )
        async with self.db.reader() as session:
            row = await session.get(m.AutoAllocatedTopology, project_id)
        if row is None:
            from stratus.kit.errors import NotFound

            raise NotFound(f"Auto allocated topology for project {project_id} could not be found.")
        await self._teardown(ctx, row.network_id, row.router_id)
        async with self.db.session() as session:
            found = await session.get(m.AutoAllocatedTopology, project_id)
            if found is not None:
                await session.delete(found)

    async def _teardown(
        self, ctx: RequestContext, network_id: str | None, router_id: str | None
    ) -> None:
        if router_id:
            async with self.db.reader() as session:
                ports = await repo.router_interface_ports(session, [router_id])
            for port in ports:
                await self.l3.remove_interface(ctx, router_id, {"port_id": port.id})
            await self.l3.delete_router(ctx, router_id)
        if network_id:
            await self.l2.delete_network(ctx, network_id)


def _project(ctx: RequestContext, project_id: str) -> str:
    # Clients that know no project send the literal "None" (neutron's auto_allocate reads it
    # as the caller's project).
    if project_id == "None" and ctx.project_id:
        return ctx.project_id
    return project_id


def _view(network_id: str, project_id: str) -> dict[str, Any]:
    return {"id": network_id, "tenant_id": project_id, "project_id": project_id}
