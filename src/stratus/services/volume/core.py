"""What every block storage service object shares: the database, the backends, the quota
engine, the type service, the other services' clients, and the helpers that load a
volume/snapshot/backup the caller may see and run backend work after the request."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.db import Database
from stratus.kit.timeutil import utcnow
from stratus.quota import QuotaEngine
from stratus.services.volume import repository as repo
from stratus.services.volume.backend import Backend, Backends
from stratus.services.volume.config import VolumeConfig
from stratus.services.volume.drivers.base import SnapshotSpec, VolumeSpec
from stratus.services.volume.errors import BackupNotFound, SnapshotNotFound, VolumeNotFound
from stratus.services.volume.models import Backup, Snapshot, Volume
from stratus.services.volume.volume_type import TypeService

log = logging.getLogger(__name__)

# cinder's volume statuses (the upstream state machine).
CREATING = "creating"
AVAILABLE = "available"
RESERVED = "reserved"
ATTACHING = "attaching"
IN_USE = "in-use"
DETACHING = "detaching"
DELETING = "deleting"
ERROR = "error"
ERROR_DELETING = "error_deleting"
ERROR_EXTENDING = "error_extending"
ERROR_RESTORING = "error_restoring"
ERROR_MANAGING = "error_managing"
EXTENDING = "extending"
RETYPING = "retyping"
BACKING_UP = "backing-up"
RESTORING_BACKUP = "restoring-backup"
DOWNLOADING = "downloading"
UPLOADING = "uploading"
MAINTENANCE = "maintenance"
REVERTING = "reverting"
AWAITING_TRANSFER = "awaiting-transfer"
MANAGING = "managing"

VOLUME_STATUSES = (
    CREATING,
    AVAILABLE,
    RESERVED,
    ATTACHING,
    IN_USE,
    DETACHING,
    DELETING,
    ERROR,
    ERROR_DELETING,
    ERROR_EXTENDING,
    ERROR_RESTORING,
    ERROR_MANAGING,
    EXTENDING,
    RETYPING,
    BACKING_UP,
    RESTORING_BACKUP,
    DOWNLOADING,
    UPLOADING,
    MAINTENANCE,
    REVERTING,
    AWAITING_TRANSFER,
    MANAGING,
)
SNAPSHOT_STATUSES = (
    "creating",
    "available",
    "deleting",
    "error",
    "error_deleting",
    "unmanaging",
    "backing-up",
    "restoring",
)
BACKUP_STATUSES = ("creating", "available", "deleting", "error", "restoring", "error_restoring")


def volume_spec(v: Volume) -> VolumeSpec:
    return VolumeSpec(id=v.id, size=v.size, provider_id=v.provider_id)


def snapshot_spec(s: Snapshot) -> SnapshotSpec:
    return SnapshotSpec(id=s.id, volume_id=s.volume_id, size=s.size, provider_id=s.provider_id)


@dataclass
class Core:
    runtime: Runtime
    db: Database
    cfg: VolumeConfig
    backends: Backends
    quota: QuotaEngine
    types: TypeService
    # Helpers wired by the spec: "image-data" (VolumeImages), "volume-backups" (BackupService).
    extras: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> Any:
        return self.extras.get(name)

    def backend_of(self, volume: Volume) -> Backend:
        return self.backends.of_host(volume.host)

    # -- loading what the caller may see ---------------------------------------------------

    @staticmethod
    def _visible(ctx: RequestContext | None, project_id: str) -> bool:
        return ctx is None or ctx.is_admin or ctx.project_id == project_id

    async def volume(self, s: AsyncSession, ctx: RequestContext | None, volume_id: str) -> Volume:
        row = await repo.get_volume(s, volume_id)
        if row is None or not self._visible(ctx, row.project_id):
            raise VolumeNotFound(volume_id)
        return row

    async def snapshot(
        self, s: AsyncSession, ctx: RequestContext | None, snapshot_id: str
    ) -> Snapshot:
        row = await repo.get_snapshot(s, snapshot_id)
        if row is None or not self._visible(ctx, row.project_id):
            raise SnapshotNotFound(snapshot_id)
        return row

    async def backup(self, s: AsyncSession, ctx: RequestContext | None, backup_id: str) -> Backup:
        row = await repo.get_backup(s, backup_id)
        if row is None or not self._visible(ctx, row.project_id):
            raise BackupNotFound(backup_id)
        return row

    # -- background work -------------------------------------------------------------------

    async def set_volume(self, volume_id: str, **values: Any) -> None:
        async with self.db.session() as s:
            row = await repo.get_volume(s, volume_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    async def set_snapshot(self, snapshot_id: str, **values: Any) -> None:
        async with self.db.session() as s:
            row = await repo.get_snapshot(s, snapshot_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    async def set_backup(self, backup_id: str, **values: Any) -> None:
        async with self.db.session() as s:
            row = await repo.get_backup(s, backup_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    def later(
        self,
        work: Callable[[], Awaitable[None]],
        on_error: Callable[[BaseException], Awaitable[None]],
    ) -> None:
        """Run ``work`` after the request (cinder's cast to its volume manager); on failure
        ``on_error`` records the error state."""

        async def run() -> None:
            try:
                await work()
            except Exception as err:  # the resource goes to its error state, as upstream
                log.warning("volume backend work failed: %s", err, exc_info=True)
                try:
                    await on_error(err)
                except Exception:
                    log.exception("could not record the error state")

        self.backends.spawn(run())

    async def allocated(self) -> dict[str, int]:
        async with self.db.reader() as s:
            return await repo.allocated_by_host(s)
