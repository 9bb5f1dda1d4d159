"""Service flavors and service profiles (the ``flavors`` extension); routers may name one."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.query import Query

SERVICE_TYPES = ("L3_ROUTER_NAT", "FLAVORS")

FLAVOR = {
    "id": attrs.Attr("id", attrs.uuid, post=False, put=False),
    "name": attrs.Attr("name", attrs.string(255), default=""),
    "description": attrs.Attr("description", attrs.string(1024, nullable=True), default=""),
    "service_type": attrs.Attr("service_type", attrs.one_of(*SERVICE_TYPES), put=False),
    "service_profiles": attrs.Attr(
        "service_profiles", attrs.uuid_list, default=[], filter=False, sort=False
    ),
    "enabled": attrs.Attr("enabled", attrs.to_bool, default=True),
}

SERVICE_PROFILE = {
    "id": attrs.Attr("id", attrs.uuid, post=False, put=False),
    "description": attrs.Attr("description", attrs.string(1024, nullable=True), default=""),
    "driver": attrs.Attr("driver", attrs.string(1024), default=""),
    "metainfo": attrs.Attr("metainfo", attrs.string(4096), default=""),
    "enabled": attrs.Attr("enabled", attrs.to_bool, default=True),
}


class FlavorNotFound(NotFound):
    def __init__(self, flavor_id: str) -> None:
        super().__init__(f"Flavor {flavor_id} could not be found.")


class ServiceProfileNotFound(NotFound):
    def __init__(self, sp_id: str) -> None:
        super().__init__(f"Service Profile {sp_id} could not be found.")


class FlavorService(Core):
    async def _profiles_of(self, session: AsyncSession, flavor_id: str) -> list[str]:
        rows = await session.execute(
            select(m.FlavorProfile.service_profile_id).where(m.FlavorProfile.flavor_id == flavor_id)
        )
        return sorted(rows.scalars())

    async def _flavor_view(self, session: AsyncSession, row: m.Flavor) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "service_type": row.service_type,
            "enabled": row.enabled,
            "service_profiles": await self._profiles_of(session, row.id),
        }

    @staticmethod
    def _profile_view(row: m.ServiceProfile) -> dict[str, Any]:
        return {
            "id": row.id,
            "description": row.description,
            "driver": row.driver,
            "metainfo": row.metainfo,
            "enabled": row.enabled,
        }

    async def _flavor(self, session: AsyncSession, flavor_id: str) -> m.Flavor:
        row = await repo.get(session, m.Flavor, flavor_id)
        if row is None:
            raise FlavorNotFound(flavor_id)
        return row

    async def _profile(self, session: AsyncSession, sp_id: str) -> m.ServiceProfile:
        row = await repo.get(session, m.ServiceProfile, sp_id)
        if row is None:
            raise ServiceProfileNotFound(sp_id)
        return row

    async def list_flavors(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_flavor", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            rows = await self.list_rows(session, m.Flavor, FLAVOR, query, scope=None)
            return [await self._flavor_view(session, r) for r in rows]

    async def get_flavor(self, ctx: RequestContext, flavor_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_flavor", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            return await self._flavor_view(session, await self._flavor(session, flavor_id))

    async def create_flavor(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        self.enforce(ctx, "create_flavor", {"project_id": ctx.project_id})
        data = attrs.prepare_create(FLAVOR, body)
        async with self.db.session() as session:
            row = m.Flavor(
                id=uuid_str(),
                name=data["name"],
                description=data["description"],
                service_type=data["service_type"],
                enabled=data["enabled"],
            )
            session.add(row)
            await session.flush()
            for sp_id in data["service_profiles"]:
                await self._profile(session, sp_id)
                session.add(m.FlavorProfile(flavor_id=row.id, service_profile_id=sp_id))
            await session.flush()
            return await self._flavor_view(session, row)

    async def update_flavor(
        self,
        ctx: RequestContext,
        flavor_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        self.enforce(ctx, "update_flavor", {"project_id": ctx.project_id})
        data = attrs.prepare_update(FLAVOR, body)
        async with self.db.session() as session:
            row = await self._flavor(session, flavor_id)
            for key in ("name", "description", "enabled"):
                if key in data:
                    setattr(row, key, data[key])
            if "service_profiles" in data:
                await session.execute(
                    delete(m.FlavorProfile).where(m.FlavorProfile.flavor_id == row.id)
                )
                for sp_id in data["service_profiles"]:
                    await self._profile(session, sp_id)
                    session.add(m.FlavorProfile(flavor_id=row.id, service_profile_id=sp_id))
            await session.flush()
            return await self._flavor_view(session, row)

    async def delete_flavor(
        self, ctx: RequestContext, flavor_id: str, if_match: int | None = None
    ) -> None:
        self.enforce(ctx, "delete_flavor", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            row = await self._flavor(session, flavor_id)
            used = (
                await session.execute(
                    select(m.Router.id).where(m.Router.flavor_id == row.id).limit(1)
                )
            ).first()
            if used is not None:
                raise Conflict(f"Flavor {row.id} is used by at least one service instance.")
            await session.delete(row)

    async def list_profiles(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_service_profile", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session, m.ServiceProfile, SERVICE_PROFILE, query, scope=None
            )
            return [self._profile_view(r) for r in rows]

    async def get_profile(self, ctx: RequestContext, sp_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_service_profile", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            return self._profile_view(await self._profile(session, sp_id))

    async def create_profile(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        self.enforce(ctx, "create_service_profile", {"project_id": ctx.project_id})
        data = attrs.prepare_create(SERVICE_PROFILE, body)
        if not data["driver"] and not data["metainfo"]:
            raise BadRequest("Service Profile needs either a driver or metainfo.")
        async with self.db.session() as session:
            row = m.ServiceProfile(id=uuid_str(), **data)
            session.add(row)
            await session.flush()
            return self._profile_view(row)

    async def update_profile(
        self, ctx: RequestContext, sp_id: str, body: Mapping[str, Any], if_match: int | None = None
    ) -> dict[str, Any]:
        self.enforce(ctx, "update_service_profile", {"project_id": ctx.project_id})
        data = attrs.prepare_update(SERVICE_PROFILE, body)
        async with self.db.session() as session:
            row = await self._profile(session, sp_id)
            for key, value in data.items():
                setattr(row, key, value)
            await session.flush()
            return self._profile_view(row)

    async def delete_profile(
        self, ctx: RequestContext, sp_id: str, if_match: int | None = None
    ) -> None:
        self.enforce(ctx, "delete_service_profile", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            row = await self._profile(session, sp_id)
            used = (
                await session.execute(
                    select(m.FlavorProfile.flavor_id)
                    .where(m.FlavorProfile.service_profile_id == row.id)
                    .limit(1)
                )
            ).first()
            if used is not None:
                raise Conflict(f"Service Profile {row.id} is used by some service instance.")
            await session.delete(row)

    async def associate(self, ctx: RequestContext, flavor_id: str, body: Any) -> dict[str, Any]:
        self.enforce(ctx, "create_flavor_service_profile", {"project_id": ctx.project_id})
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("service_profile"), dict)
            or "id" not in body["service_profile"]
        ):
            raise BadRequest("Unable to find 'service_profile' in request body")
        sp_id = str(body["service_profile"]["id"])
        async with self.db.session() as session:
            flavor = await self._flavor(session, flavor_id)
            await self._profile(session, sp_id)
            if not await repo.flush_unique(
                session, m.FlavorProfile(flavor_id=flavor.id, service_profile_id=sp_id)
            ):
                raise Conflict(
                    f"Service Profile {sp_id} is already associated with flavor {flavor.id}."
                )
            return {"id": sp_id}

    async def disassociate(self, ctx: RequestContext, flavor_id: str, sp_id: str) -> None:
        self.enforce(ctx, "delete_flavor_service_profile", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            flavor = await self._flavor(session, flavor_id)
            result = await session.execute(
                delete(m.FlavorProfile).where(
                    m.FlavorProfile.flavor_id == flavor.id,
                    m.FlavorProfile.service_profile_id == sp_id,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(
                    f"Service Profile {sp_id} is not associated with flavor {flavor.id}."
                )

    async def check_router_flavor(self, session: AsyncSession, flavor_id: str | None) -> None:
        if flavor_id is None:
            return
        row = await self._flavor(session, flavor_id)
        if row.service_type != "L3_ROUTER_NAT":
            raise BadRequest(
                f"Invalid flavor {flavor_id}: it is not a flavor of the L3_ROUTER_NAT service."
            )
        if not row.enabled:
            raise BadRequest(f"Flavor {flavor_id} is disabled.")
