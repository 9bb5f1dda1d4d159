"""User messages: a record, visible to the owning project, of what went wrong in work done
after a request had already answered 202 (cinder's ``/messages``, microversion 3.3). Events
are named as cinder names them: ``VOLUME_<resource>_<action>_<detail>``."""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.db import Database
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import policies
from stratus.services.volume import repository as repo
from stratus.services.volume.errors import MessageNotFound
from stratus.services.volume.models import Message

# cinder's [DEFAULT] message_ttl: a message is kept at least this long.
MESSAGE_TTL = dt.timedelta(seconds=2592000)


class Resource(StrEnum):
    VOLUME = "VOLUME"
    VOLUME_SNAPSHOT = "VOLUME_SNAPSHOT"
    VOLUME_BACKUP = "VOLUME_BACKUP"


@dataclass(frozen=True)
class Field:
    id: str
    text: str


class Action:
    """What was being done (cinder's message_field.Action ids and wording)."""

    SCHEDULE_ALLOCATE_VOLUME = Field("001", "schedule allocate volume")
    ATTACH_VOLUME = Field("002", "attach volume")
    COPY_VOLUME_TO_IMAGE = Field("003", "copy volume to image")
    UPDATE_ATTACHMENT = Field("004", "update attachment")
    COPY_IMAGE_TO_VOLUME = Field("005", "copy image to volume")
    UNMANAGE_VOLUME = Field("006", "unmanage volume")
    EXTEND_VOLUME = Field("007", "extend volume")
    CREATE_VOLUME_FROM_BACKEND = Field("008", "create volume from backend storage")
    SNAPSHOT_CREATE = Field("009", "create snapshot")
    SNAPSHOT_DELETE = Field("010", "delete snapshot")
    SNAPSHOT_UPDATE = Field("011", "update snapshot")
    SNAPSHOT_METADATA_UPDATE = Field("012", "update snapshot metadata")
    BACKUP_CREATE = Field("013", "create backup")
    BACKUP_DELETE = Field("014", "delete backup")
    BACKUP_RESTORE = Field("015", "restore backup")
    REIMAGE_VOLUME = Field("016", "reimage volume")


class Detail:
    """Why it failed (cinder's message_field.Detail ids and wording)."""

    UNKNOWN_ERROR = Field("001", "An unknown error occurred.")
    DRIVER_NOT_INITIALIZED = Field("002", "Driver is not initialized at present.")
    NO_BACKEND_AVAILABLE = Field("003", "Could not find any available weighted backend.")
    FAILED_TO_UPLOAD_VOLUME = Field("004", "Failed to upload volume to image at backend.")
    VOLUME_ATTACH_MODE_INVALID = Field("005", "Volume's attach mode is invalid.")
    QUOTA_EXCEED = Field("006", "Not enough quota resource for operation.")
    NOT_ENOUGH_SPACE_FOR_IMAGE = Field(
        "007", "Image used for creating volume exceeds available space."
    )
    UNMANAGE_ENC_NOT_SUPPORTED = Field("008", "Unmanaging encrypted volumes is not supported.")
    NOTIFY_COMPUTE_SERVICE_FAILED = Field("009", "Compute service failed to extend volume.")
    DRIVER_FAILED_EXTEND = Field("010", "Volume Driver failed to extend volume.")
    SIGNATURE_VERIFICATION_FAILED = Field("011", "Image signature verification failed.")
    DRIVER_FAILED_CREATE = Field("012", "Driver failed to create the volume.")
    SNAPSHOT_CREATE_ERROR = Field("013", "Snapshot failed to create.")
    SNAPSHOT_UPDATE_METADATA_FAILED = Field("014", "Volume snapshot update metadata failed.")
    SNAPSHOT_IS_BUSY = Field("015", "Snapshot is busy.")
    SNAPSHOT_DELETE_ERROR = Field("016", "Snapshot failed to delete.")
    BACKUP_INVALID_STATE = Field("017", "Backup status is invalid.")
    BACKUP_SERVICE_DOWN = Field("018", "Backup service is down.")
    BACKUP_CREATE_DEVICE_ERROR = Field(
        "019", "Failed to get backup device from the volume service."
    )
    BACKUP_CREATE_DRIVER_ERROR = Field("020", "Backup driver failed to create backup.")
    ATTACH_ERROR = Field("021", "Failed to attach volume.")
    DETACH_ERROR = Field("022", "Failed to detach volume.")
    BACKUP_CREATE_CLEANUP_ERROR = Field("023", "Cleanup of temporary volume/snapshot failed.")
    BACKUP_SCHEDULE_ERROR = Field(
        "024", "Backup failed to schedule. Service not found for creating backup."
    )
    BACKUP_DELETE_DRIVER_ERROR = Field("025", "Backup driver failed to delete backup.")
    BACKUP_RESTORE_ERROR = Field("026", "Backup driver failed to restore backup.")
    VOLUME_INVALID_STATE = Field("027", "Volume status is invalid.")


_ACTIONS = {f.id: f.text for f in vars(Action).values() if isinstance(f, Field)}
_DETAILS = {f.id: f.text for f in vars(Detail).values() if isinstance(f, Field)}


def user_message(action_id: str | None, detail_id: str | None) -> str:
    """cinder builds the text when the message is read, from the two ids."""
    action = _ACTIONS.get(action_id or "", "unknown action")
    detail = _DETAILS.get(detail_id or "", Detail.UNKNOWN_ERROR.text)
    return f"{action}:{detail}"


@dataclass(frozen=True)
class Origin:
    """Who asked for the work that may fail later: the message goes to their project and
    carries their request id."""

    project_id: str
    request_id: str

    @classmethod
    def of(cls, ctx: RequestContext, project_id: str | None = None) -> "Origin":
        return cls(project_id=project_id or ctx.project_id or "", request_id=ctx.request_id)


async def record(
    session: AsyncSession,
    origin: Origin,
    action: Field,
    detail: Field,
    *,
    resource_type: Resource = Resource.VOLUME,
    resource_uuid: str | None = None,
    level: str = "ERROR",
) -> Message:
    """Add a message in the caller's transaction."""
    now = utcnow()
    row = Message(
        id=uuid_str(),
        project_id=origin.project_id,
        request_id=origin.request_id,
        resource_type=str(resource_type),
        resource_uuid=resource_uuid,
        event_id=f"VOLUME_{resource_type}_{action.id}_{detail.id}",
        action_id=action.id,
        detail_id=detail.id,
        message_level=level,
        created_at=now,
        expires_at=now + MESSAGE_TTL,
    )
    await repo.add(session, row)
    return row


class MessageService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def tell(
        self,
        origin: Origin,
        action: Field,
        detail: Field,
        *,
        resource_type: Resource = Resource.VOLUME,
        resource_uuid: str | None = None,
    ) -> None:
        """Record a message in its own transaction (from background work)."""
        async with self.db.session() as s:
            await record(
                s,
                origin,
                action,
                detail,
                resource_type=resource_type,
                resource_uuid=resource_uuid,
            )

    async def _visible(self, s: AsyncSession, ctx: RequestContext, message_id: str) -> Message:
        row = await repo.get_message(s, message_id)
        if row is None or (not ctx.is_admin and row.project_id != ctx.project_id):
            raise MessageNotFound(message_id)
        return row

    async def get(self, ctx: RequestContext, message_id: str) -> Message:
        async with self.db.reader() as s:
            row = await self._visible(s, ctx, message_id)
        ctx.can(policies.MESSAGE_GET, {"project_id": row.project_id})
        return row

    async def list_messages(self, ctx: RequestContext, listing: repo.Listing) -> list[Message]:
        ctx.can(policies.MESSAGE_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.session() as s:
            # cinder reaps expired messages periodically; here, before each listing
            await repo.remove_expired_messages(s, utcnow())
            if listing.marker is not None and await repo.get_message(s, listing.marker) is None:
                raise NotFound(f"Marker {listing.marker} could not be found.")
            return await repo.list_messages(s, listing)

    async def delete(self, ctx: RequestContext, message_id: str) -> None:
        async with self.db.session() as s:
            row = await self._visible(s, ctx, message_id)
            ctx.can(policies.MESSAGE_DELETE, {"project_id": row.project_id})
            await repo.remove(s, row)
