"""Snapshots: create (force on in-use volumes), list, show, update, delete, metadata,
reset/update status, force delete, manage/unmanage."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import core as st
from stratus.services.volume import policies, quota
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core, snapshot_spec, volume_spec
from stratus.services.volume.errors import (
    InvalidInput,
    InvalidSnapshot,
    InvalidVolume,
    VolumeNotFound,
)
from stratus.services.volume.message import Action, Detail, Field, Origin, Resource
from stratus.services.volume.models import Snapshot, Volume
from stratus.services.volume.volume import check_metadata, check_text, parse_bool


class SnapshotService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    async def get(self, ctx: RequestContext, snapshot_id: str) -> Snapshot:
        async with self.db.reader() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_GET, {"project_id": row.project_id})
            return row

    async def list_snapshots(self, ctx: RequestContext, listing: repo.Listing) -> list[Snapshot]:
        ctx.can(policies.SNAPSHOT_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.reader() as s:
            if listing.marker is not None and await repo.get_snapshot(s, listing.marker) is None:
                raise NotFound(f"Marker {listing.marker} could not be found.")
            return await repo.list_snapshots(s, listing)

    async def create(
        self, ctx: RequestContext, body: Mapping[str, Any], *, allow_in_use: bool = False
    ) -> Snapshot:
        """``allow_in_use`` (3.66): an in-use volume is snapshotted without ``force``."""
        volume_id = body.get("volume_id")
        if not isinstance(volume_id, str) or not volume_id:
            raise VolumeNotFound(str(volume_id))
        force = parse_bool(body.get("force", False), "force") or allow_in_use
        name = check_text(body.get("name", body.get("display_name")), "name")
        description = check_text(
            body.get("description", body.get("display_description")), "description"
        )
        metadata = check_metadata(body.get("metadata") or {})
        async with self.db.session() as s:
            vol = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.SNAPSHOT_CREATE, {"project_id": vol.project_id})
            if vol.status == st.MAINTENANCE:
                raise InvalidVolume("Volume is in maintenance.")
            allowed = (st.AVAILABLE, st.IN_USE) if force else (st.AVAILABLE,)
            if vol.status not in allowed:
                raise InvalidVolume(
                    f"Volume {vol.id} status must be available, but current status is: "
                    f"{vol.status}."
                    if not force or vol.status != st.IN_USE
                    else f"Volume {vol.id} status must be available or in-use."
                )
            if vol.host is None:
                raise InvalidVolume(f"Volume {vol.id} has no backend.")
            row = await claim_snapshot(
                self.core, s, ctx, vol, name=name, description=description, metadata=metadata
            )
            backend = self.core.backend_of(vol)
            vspec = volume_spec(vol)
        sspec = snapshot_spec(row)
        sid = row.id
        origin = Origin.of(ctx, row.project_id)

        async def take() -> None:
            provider = await backend.driver.create_snapshot(sspec, vspec)
            await self.core.set_snapshot(
                sid, status="available", progress="100%", provider_id=provider
            )

        async def failed(_err: BaseException) -> None:
            await self.core.set_snapshot(sid, status="error")
            await self._tell(origin, Action.SNAPSHOT_CREATE, Detail.SNAPSHOT_CREATE_ERROR, sid)

        self.core.later(take, failed)
        return row

    async def update(
        self, ctx: RequestContext, snapshot_id: str, body: Mapping[str, Any]
    ) -> Snapshot:
        allowed = {"name", "description", "display_name", "display_description"}
        if not body:
            raise InvalidInput("Update body is empty.")
        unknown = set(body) - allowed
        if unknown:
            raise InvalidInput(
                f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
            )
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_UPDATE, {"project_id": row.project_id})
            if "name" in body or "display_name" in body:
                row.name = check_text(body.get("name", body.get("display_name")), "name")
            if "description" in body or "display_description" in body:
                row.description = check_text(
                    body.get("description", body.get("display_description")), "description"
                )
            row.updated_at = utcnow()
            return row

    async def delete(self, ctx: RequestContext, snapshot_id: str, *, force: bool = False) -> None:
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            if force:
                ctx.can(policies.SNAPSHOT_FORCE_DELETE, {"project_id": row.project_id})
            else:
                ctx.can(policies.SNAPSHOT_DELETE, {"project_id": row.project_id})
                if row.status not in ("available", "error"):
                    raise InvalidSnapshot("Volume Snapshot status must be available or error.")
            if row.group_snapshot_id:
                # it goes with its group snapshot
                raise InvalidSnapshot(
                    f"Unable to delete snapshot {row.id}, because it is part of a group snapshot."
                )
            row.status = "deleting"
            row.updated_at = utcnow()
            origin = Origin.of(ctx, row.project_id)
            vol = await repo.get_volume(s, row.volume_id)
            backend = self.core.backend_of(vol) if vol is not None and vol.host else None
            spec = snapshot_spec(row)

        async def remove() -> None:
            if backend is not None:
                await backend.driver.delete_snapshot(spec)
            async with self.db.session() as s2:
                found = await repo.get_snapshot(s2, snapshot_id)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(_err: BaseException) -> None:
            await self.core.set_snapshot(snapshot_id, status="error_deleting")
            await self._tell(
                origin, Action.SNAPSHOT_DELETE, Detail.SNAPSHOT_DELETE_ERROR, snapshot_id
            )

        self.core.later(remove, failed)

    async def _tell(self, origin: Origin, action: Field, detail: Field, snapshot_id: str) -> None:
        messages = self.core.client("volume-messages")
        if messages is not None:
            await messages.tell(
                origin,
                action,
                detail,
                resource_type=Resource.VOLUME_SNAPSHOT,
                resource_uuid=snapshot_id,
            )

    async def reset_status(self, ctx: RequestContext, snapshot_id: str, status: Any) -> None:
        if status not in st.SNAPSHOT_STATUSES:
            raise InvalidInput(f"Must specify a valid status: {status} is not valid.")
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_RESET_STATUS, {"project_id": row.project_id})
            row.status = str(status)
            row.updated_at = utcnow()

    async def update_status(
        self, ctx: RequestContext, snapshot_id: str, body: Mapping[str, Any]
    ) -> None:
        """Nova's assisted snapshots report progress: creating → available/error only."""
        status = body.get("status")
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_UPDATE, {"project_id": row.project_id})
            allowed = {
                "creating": ("creating", "available", "error"),
                "deleting": ("deleting", "error_deleting"),
            }.get(row.status, ())
            if status not in allowed:
                raise InvalidSnapshot(
                    f"Provided snapshot status {status} not allowed for snapshot with status "
                    f"{row.status}."
                )
            row.status = str(status)
            if "progress" in body:
                row.progress = str(body["progress"])
            row.updated_at = utcnow()

    async def metadata(self, ctx: RequestContext, snapshot_id: str) -> dict[str, str]:
        return dict((await self.get(ctx, snapshot_id)).metadata_ or {})

    async def set_metadata(
        self, ctx: RequestContext, snapshot_id: str, meta: Any, *, replace: bool
    ) -> dict[str, str]:
        clean = check_metadata(meta)
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_METADATA, {"project_id": row.project_id})
            row.metadata_ = clean if replace else {**(row.metadata_ or {}), **clean}
            row.updated_at = utcnow()
            return dict(row.metadata_)

    async def delete_metadata(self, ctx: RequestContext, snapshot_id: str, key: str) -> None:
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_METADATA, {"project_id": row.project_id})
            meta = dict(row.metadata_ or {})
            if key not in meta:
                raise NotFound(f"Snapshot {snapshot_id} has no metadata with key {key}.")
            del meta[key]
            row.metadata_ = meta

    # -- manage ----------------------------------------------------------------------------

    async def manage(self, ctx: RequestContext, body: Mapping[str, Any]) -> Snapshot:
        ctx.can(policies.SNAPSHOT_MANAGE, {"project_id": ctx.project_id})
        volume_id = body.get("volume_id")
        ref = body.get("ref")
        if not isinstance(volume_id, str) or not volume_id:
            raise InvalidInput("'volume_id' is a required property")
        if not isinstance(ref, dict) or not ref:
            raise InvalidInput("Manage existing snapshot requires 'ref'.")
        name = check_text(body.get("name"), "name")
        description = check_text(body.get("description"), "description")
        metadata = check_metadata(body.get("metadata") or {})
        ref_clean = {str(k): str(v) for k, v in ref.items()}
        async with self.db.session() as s:
            vol = await self.core.volume(s, ctx, volume_id)
            if vol.host is None:
                raise InvalidVolume(f"Volume {vol.id} has no backend.")
            vtype = await repo.get_type(s, vol.volume_type_id)
            await quota.claim(
                self.core.quota,
                s,
                vol.project_id,
                snapshots=1,
                type_name=vtype.name if vtype else None,
            )
            row = new_snapshot(ctx, vol, name=name, description=description, metadata=metadata)
            await repo.add(s, row)
            backend = self.core.backend_of(vol)
        sid = row.id
        spec = snapshot_spec(row)

        async def adopt() -> None:
            size, provider = await backend.driver.manage_snapshot(spec, ref_clean)
            await self.core.set_snapshot(
                sid, status="available", progress="100%", provider_id=provider, size=size
            )

        async def failed(_err: BaseException) -> None:
            await self.core.set_snapshot(sid, status="error")

        self.core.later(adopt, failed)
        return row

    async def unmanage(self, ctx: RequestContext, snapshot_id: str) -> None:
        async with self.db.session() as s:
            row = await self.core.snapshot(s, ctx, snapshot_id)
            ctx.can(policies.SNAPSHOT_UNMANAGE, {"project_id": row.project_id})
            if row.status not in ("available", "error"):
                raise InvalidSnapshot("Snapshot status must be available or error to unmanage.")
            row.status = "unmanaging"
            vol = await repo.get_volume(s, row.volume_id)
            backend = self.core.backend_of(vol) if vol is not None and vol.host else None
            spec = snapshot_spec(row)

        async def forget() -> None:
            if backend is not None:
                await backend.driver.unmanage_snapshot(spec)
            async with self.db.session() as s2:
                found = await repo.get_snapshot(s2, snapshot_id)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(_err: BaseException) -> None:
            await self.core.set_snapshot(snapshot_id, status="error")

        self.core.later(forget, failed)


def new_snapshot(
    ctx: RequestContext,
    vol: Volume,
    *,
    name: str | None,
    description: str | None,
    metadata: dict[str, Any],
    group_snapshot_id: str | None = None,
) -> Snapshot:
    """The row of a new ``creating`` snapshot of ``vol`` (not yet added to a session)."""
    return Snapshot(
        id=uuid_str(),
        project_id=vol.project_id,
        user_id=ctx.user_id,
        volume_id=vol.id,
        volume_type_id=vol.volume_type_id,
        name=name,
        description=description,
        size=vol.size,
        status="creating",
        progress="0%",
        group_snapshot_id=group_snapshot_id,
        metadata_=metadata,
        created_at=utcnow(),
    )


async def claim_snapshot(
    core: Core,
    s: AsyncSession,
    ctx: RequestContext,
    vol: Volume,
    *,
    name: str | None,
    description: str | None,
    metadata: dict[str, Any] | None = None,
    group_snapshot_id: str | None = None,
) -> Snapshot:
    """A new ``creating`` snapshot of ``vol``, its quota (snapshots, gigabytes, per type)
    claimed in the caller's transaction."""
    vtype = await repo.get_type(s, vol.volume_type_id)
    await quota.claim(
        core.quota,
        s,
        vol.project_id,
        snapshots=1,
        gigabytes=vol.size,
        type_name=vtype.name if vtype else None,
    )
    row = new_snapshot(
        ctx,
        vol,
        name=name,
        description=description,
        metadata=metadata or {},
        group_snapshot_id=group_snapshot_id,
    )
    await repo.add(s, row)
    return row
