"""Attachments: the 3.27+ attachments API (create/reserve, update with a connector,
complete, delete) and the older volume actions (reserve, attach, begin/roll detaching,
detach, initialize/terminate connection, force detach). Both drive the same records."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import core as st
from stratus.services.volume import policies
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core, volume_spec
from stratus.services.volume.errors import (
    AttachmentNotFound,
    InvalidInput,
    InvalidVolume,
    NovaUsingAttachment,
)
from stratus.services.volume.models import Attachment, Volume


def _reserve_error(v: Volume) -> InvalidVolume:
    return InvalidVolume(
        f"Volume {v.id} status must be available or downloading to reserve, but the current "
        f"status is {v.status}."
    )


class AttachmentService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    async def _volume_after(self, s: AsyncSession, v: Volume) -> None:
        """Volume status and attach status from its remaining attachments."""
        rest = await repo.attachments_of(s, [v.id])
        if any(a.attach_status == "attached" for a in rest):
            v.status = st.IN_USE
            v.attach_status = "attached"
        elif any(a.attach_status == "attaching" for a in rest):
            v.status = st.ATTACHING
            v.attach_status = "attaching"
        elif rest:
            v.status = st.RESERVED
            v.attach_status = "detached"
        else:
            v.status = st.AVAILABLE
            v.attach_status = "detached"
        v.updated_at = utcnow()

    def _check_reservable(
        self, v: Volume, instance_id: str | None, existing: list[Attachment]
    ) -> None:
        if v.status in (st.AVAILABLE, st.DOWNLOADING):
            return
        if v.status in (st.IN_USE, st.RESERVED, st.ATTACHING) and v.multiattach:
            if instance_id and any(a.instance_uuid == instance_id for a in existing):
                raise InvalidVolume(f"Volume {v.id} is already attached to instance {instance_id}.")
            return
        raise _reserve_error(v)

    # -- 3.27+ -----------------------------------------------------------------------------

    async def create(
        self,
        ctx: RequestContext,
        *,
        volume_id: str,
        instance_id: str | None,
        connector: Mapping[str, Any] | None,
        mode: str = "rw",
    ) -> Attachment:
        if mode not in ("rw", "ro"):
            raise InvalidInput("Invalid attach mode: must be rw or ro.")
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.ATTACHMENT_CREATE, {"project_id": v.project_id})
            existing = await repo.attachments_of(s, [v.id])
            self._check_reservable(v, instance_id, existing)
            row = Attachment(
                id=uuid_str(),
                volume_id=v.id,
                project_id=v.project_id,
                instance_uuid=instance_id,
                attach_mode="ro" if v.read_only else mode,
                attach_status="reserved",
                created_at=utcnow(),
            )
            if connector:
                row.connector = dict(connector)
                row.connection_info = self._connection(v, connector, row)
                row.attach_status = "attaching"
                row.attached_host = str(connector.get("host") or "") or None
                row.mountpoint = connector.get("mountpoint")
            await repo.add(s, row)
            await self._volume_after(s, v)
            return row

    def _connection(self, v: Volume, connector: Mapping[str, Any], a: Attachment) -> dict[str, Any]:
        info = self.core.backend_of(v).driver.connection_info(volume_spec(v), dict(connector))
        info.setdefault("data", {})["access_mode"] = a.attach_mode
        info["attachment_id"] = a.id
        return info

    async def get(self, ctx: RequestContext, attachment_id: str) -> Attachment:
        async with self.db.reader() as s:
            row = await repo.get_attachment(s, attachment_id)
            if row is None or not (ctx.is_admin or ctx.project_id == row.project_id):
                raise AttachmentNotFound(attachment_id)
            return row

    async def list_attachments(
        self,
        ctx: RequestContext,
        *,
        all_projects: bool,
        volume_id: str | None,
        instance_id: str | None,
        status: str | None,
    ) -> list[Attachment]:
        async with self.db.reader() as s:
            return await repo.list_attachments(
                s,
                project_id=None if all_projects and ctx.is_admin else ctx.project_id,
                volume_id=volume_id,
                instance_id=instance_id,
                status=status,
            )

    async def update(
        self, ctx: RequestContext, attachment_id: str, connector: Mapping[str, Any]
    ) -> Attachment:
        if not isinstance(connector, dict) or not connector:
            raise InvalidInput("connector is required and must be an object.")
        async with self.db.session() as s:
            row = await repo.get_attachment(s, attachment_id)
            if row is None or not (ctx.is_admin or ctx.project_id == row.project_id):
                raise AttachmentNotFound(attachment_id)
            ctx.can(policies.ATTACHMENT_UPDATE, {"project_id": row.project_id})
            v = await repo.get_volume(s, row.volume_id)
            if v is None:
                raise AttachmentNotFound(attachment_id)
            if row.attach_status == "attached" and row.connector:
                raise InvalidVolume(
                    f"Attachment {attachment_id} is already attached: it cannot be updated."
                )
            row.connector = dict(connector)
            row.attached_host = str(connector.get("host") or "") or None
            row.mountpoint = connector.get("mountpoint") or row.mountpoint
            row.connection_info = self._connection(v, connector, row)
            row.attach_status = "attaching"
            await self._volume_after(s, v)
            return row

    async def complete(self, ctx: RequestContext, attachment_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_attachment(s, attachment_id)
            if row is None or not (ctx.is_admin or ctx.project_id == row.project_id):
                raise AttachmentNotFound(attachment_id)
            ctx.can(policies.ATTACHMENT_COMPLETE, {"project_id": row.project_id})
            v = await repo.get_volume(s, row.volume_id)
            if v is None:
                raise AttachmentNotFound(attachment_id)
            row.attach_status = "attached"
            row.attach_time = row.attach_time or utcnow()
            await self._volume_after(s, v)

    async def check_user_detach(
        self,
        service_roles: tuple[str, ...],
        *,
        volume_id: str | None = None,
        attachment_id: str | None = None,
    ) -> None:
        """Cinder's fix for OSSA-2023-003: a user may not remove, through the block storage
        API, an attachment compute is using (its host would keep the disk connected); only a
        request carrying a service token with the ``service`` role (compute acting) may. An
        attachment without a server, not connected, or whose server compute does not know
        may go. Called by the API handlers; compute reaches the service in-process."""
        if "service" in service_roles:
            return
        async with self.db.reader() as s:
            if attachment_id:
                row = await repo.get_attachment(s, attachment_id)
            else:
                rows = await repo.attachments_of(s, [volume_id] if volume_id else [])
                row = rows[0] if len(rows) == 1 else None
        if row is None:
            return
        if volume_id and row.volume_id != volume_id:
            raise InvalidInput("Mismatched volumes on attachment request.")
        if not row.instance_uuid or not row.connection_info:
            return
        compute = self.core.client("compute")
        if compute is not None and await compute.server_exists(row.instance_uuid):
            raise NovaUsingAttachment(row.instance_uuid)

    async def delete(self, ctx: RequestContext, attachment_id: str) -> list[Attachment]:
        async with self.db.session() as s:
            row = await repo.get_attachment(s, attachment_id)
            if row is None or not (ctx.is_admin or ctx.project_id == row.project_id):
                raise AttachmentNotFound(attachment_id)
            ctx.can(policies.ATTACHMENT_DELETE, {"project_id": row.project_id})
            v = await repo.get_volume(s, row.volume_id)
            await repo.remove(s, row)
            if v is not None:
                await self._volume_after(s, v)
                return await repo.attachments_of(s, [v.id])
            return []

    # -- legacy volume actions -------------------------------------------------------------

    async def reserve(self, ctx: RequestContext, volume_id: str) -> None:
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_RESERVE, {"project_id": v.project_id})
            existing = await repo.attachments_of(s, [v.id])
            self._check_reservable(v, None, existing)
            if v.status == st.AVAILABLE:
                v.status = st.ATTACHING
                v.updated_at = utcnow()

    async def unreserve(self, ctx: RequestContext, volume_id: str) -> None:
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_UNRESERVE, {"project_id": v.project_id})
            if v.status == st.ATTACHING:
                await self._volume_after(s, v)

    async def attach(self, ctx: RequestContext, volume_id: str, body: Mapping[str, Any]) -> None:
        instance_id = body.get("instance_uuid")
        host_name = body.get("host_name")
        mountpoint = body.get("mountpoint")
        mode = body.get("mode", "rw")
        if instance_id is None and host_name is None:
            raise InvalidInput("Invalid request to attach volume to an invalid target")
        if mountpoint is None:
            raise InvalidInput("mountpoint must be specified.")
        if mode not in ("rw", "ro"):
            raise InvalidInput(
                "Invalid request to attach volume with an invalid mode. Attaching mode should be 'rw' or 'ro'"
            )
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_ATTACH, {"project_id": v.project_id})
            existing = await repo.attachments_of(s, [v.id])
            if v.status != st.ATTACHING:
                self._check_reservable(v, instance_id, existing)
            if v.read_only and mode == "rw":
                raise InvalidVolume("Volume is read-only: it can only be attached 'ro'.")
            row = Attachment(
                id=uuid_str(),
                volume_id=v.id,
                project_id=v.project_id,
                instance_uuid=instance_id,
                attached_host=host_name,
                mountpoint=mountpoint,
                attach_mode=mode,
                attach_status="attached",
                attach_time=utcnow(),
                created_at=utcnow(),
            )
            await repo.add(s, row)
            await self._volume_after(s, v)

    async def begin_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_BEGIN_DETACHING, {"project_id": v.project_id})
            if v.status != st.IN_USE or v.attach_status != "attached":
                raise InvalidVolume(
                    f"Unable to detach volume. Volume status must be 'in-use' and attach_status "
                    f"must be 'attached' to detach. Currently: status: '{v.status}', "
                    f"attach_status: '{v.attach_status}.'"
                )
            v.status = st.DETACHING
            v.updated_at = utcnow()

    async def roll_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_ROLL_DETACHING, {"project_id": v.project_id})
            if v.status == st.DETACHING:
                await self._volume_after(s, v)

    async def detach(
        self, ctx: RequestContext, volume_id: str, attachment_id: str | None, *, force: bool = False
    ) -> None:
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(
                policies.VOLUME_FORCE_DETACH if force else policies.VOLUME_DETACH,
                {"project_id": v.project_id},
            )
            existing = await repo.attachments_of(s, [v.id])
            if not existing:
                # cinder's API casts the detach and answers 202 whatever the manager finds
                if v.status in (st.DETACHING, st.ATTACHING, st.RESERVED) or force:
                    await self._volume_after(s, v)
                return
            if attachment_id:
                chosen = [a for a in existing if a.id == attachment_id]
                if not chosen:
                    raise AttachmentNotFound(attachment_id)
            elif len(existing) > 1:
                raise InvalidVolume(
                    "Detach volume failed: more than one attachment, but no attachment_id provided."
                )
            else:
                chosen = existing
            for a in chosen:
                await repo.remove(s, a)
            await self._volume_after(s, v)

    async def initialize_connection(
        self, ctx: RequestContext, volume_id: str, connector: Any
    ) -> dict[str, Any]:
        if not isinstance(connector, dict):
            raise InvalidInput("Must specify 'connector'")
        async with self.db.reader() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_INIT_CONNECTION, {"project_id": v.project_id})
            if v.host is None:
                raise InvalidVolume(f"Volume {volume_id} has no backend.")
            info = self.core.backend_of(v).driver.connection_info(volume_spec(v), connector)
            info.setdefault("data", {})["access_mode"] = "ro" if v.read_only else "rw"
            return info

    async def terminate_connection(
        self, ctx: RequestContext, volume_id: str, connector: Any
    ) -> None:
        if not isinstance(connector, dict):
            raise InvalidInput("Must specify 'connector'")
        async with self.db.reader() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_TERM_CONNECTION, {"project_id": v.project_id})
