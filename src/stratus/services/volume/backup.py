"""Backups into object storage: the volume read in fixed chunks, each zlib-compressed and
stored as one object with its sha256 in the backup's manifest; all-zero chunks are not
stored. Incremental backups store only the chunks whose sha256 differs from the parent's and
point at the parent's objects for the rest. Restore verifies every chunk's sha256. Export
and import move a backup's record (manifest included) between clouds sharing the store."""

import base64
import hashlib
import json
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import isotime_plain, parse_isotime, utcnow
from stratus.services.volume import core as st
from stratus.services.volume import policies, quota
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core, volume_spec
from stratus.services.volume.errors import InvalidBackup, InvalidInput, InvalidVolume
from stratus.services.volume.message import Action, Detail, Field, Origin, Resource
from stratus.services.volume.models import Backup, Volume
from stratus.services.volume.volume import check_metadata, check_text, parse_bool

# The record names the driver as cinder's do: backups go to the object storage (Swift) API.
BACKUP_SERVICE = "cinder.backup.drivers.swift"


def object_store(runtime: Runtime) -> Any:
    """The object storage service's client (registered by that service, or made here)."""
    client = runtime.clients.get("object-store")
    if client is None:
        from stratus.services.object_store.client import ObjectStoreClient

        client = ObjectStoreClient(runtime)
        runtime.clients["object-store"] = client
    return client


async def _rechunk(stream: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    buf = bytearray()
    async for piece in stream:
        buf += piece
        while len(buf) >= size:
            yield bytes(buf[:size])
            del buf[:size]
    if buf:
        yield bytes(buf)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


class BackupService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    def _store(self) -> Any:
        return object_store(self.core.runtime)

    # -- reading ---------------------------------------------------------------------------

    async def get(self, ctx: RequestContext, backup_id: str) -> Backup:
        async with self.db.reader() as s:
            row = await self.core.backup(s, ctx, backup_id)
            ctx.can(policies.BACKUP_GET, {"project_id": row.project_id})
            return row

    async def list_backups(self, ctx: RequestContext, listing: repo.Listing) -> list[Backup]:
        ctx.can(policies.BACKUP_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.reader() as s:
            if listing.marker is not None and await repo.get_backup(s, listing.marker) is None:
                raise NotFound(f"Marker {listing.marker} could not be found.")
            return await repo.list_backups(s, listing)

    async def has_dependents(self, backup_id: str) -> bool:
        async with self.db.reader() as s:
            return await repo.children_of_backup(s, backup_id) > 0

    # -- create ----------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> Backup:
        volume_id = body.get("volume_id")
        if not isinstance(volume_id, str) or not volume_id:
            raise InvalidInput("'volume_id' is a required property")
        name = check_text(body.get("name"), "name")
        description = check_text(body.get("description"), "description")
        container = check_text(body.get("container"), "container") or self.core.cfg.backup_container
        incremental = parse_bool(body.get("incremental", False), "incremental")
        force = parse_bool(body.get("force", False), "force")
        metadata = check_metadata(body.get("metadata") or {})
        snapshot_id = body.get("snapshot_id")
        async with self.db.session() as s:
            vol = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.BACKUP_CREATE, {"project_id": vol.project_id})
            # the backup belongs to the project that makes it (an admin's backup of a user's
            # volume is the admin project's), as in cinder
            owner = ctx.project_id or vol.project_id
            snap = None
            if snapshot_id:
                snap = await self.core.snapshot(s, ctx, str(snapshot_id))
                if snap.volume_id != vol.id:
                    raise InvalidInput(
                        f"Snapshot {snapshot_id} is not a snapshot of volume {volume_id}."
                    )
                if snap.status != "available":
                    raise InvalidInput(
                        f"Invalid snapshot: Snapshot to be backed up must be available, but "
                        f'the current status is "{snap.status}".'
                    )
            else:
                allowed = (st.AVAILABLE, st.IN_USE) if force else (st.AVAILABLE,)
                if vol.status not in allowed:
                    if vol.status == st.IN_USE:
                        raise InvalidVolume(
                            f"Volume to be backed up must be available or in-use, but the "
                            f'current status is "{vol.status}". Backing up an in-use volume '
                            "requires force=True."
                        )
                    raise InvalidVolume(
                        "Volume to be backed up must be available or in-use, but the current "
                        f'status is "{vol.status}".'
                    )
            parent: Backup | None = None
            if incremental:
                candidates = [
                    b
                    for b in await repo.backups_of(s, vol.id)
                    # a backup is its creator's: incrementals chain within one project
                    if b.status == "available" and b.project_id == owner
                ]
                if not candidates:
                    raise InvalidBackup("No backups available to do an incremental backup.")
                parent = max(candidates, key=lambda b: (b.data_timestamp, b.created_at))
            await quota.claim(self.core.quota, s, owner, backups=1, backup_gigabytes=vol.size)
            now = utcnow()
            row = Backup(
                id=uuid_str(),
                project_id=owner,
                user_id=ctx.user_id,
                volume_id=vol.id,
                snapshot_id=snap.id if snap else None,
                parent_id=parent.id if parent else None,
                name=name,
                description=description,
                size=vol.size,
                object_count=0,
                status="creating",
                availability_zone=self.core.cfg.backup_availability_zone,
                container=container,
                is_incremental=parent is not None,
                metadata_=metadata,
                data_timestamp=snap.created_at if snap else now,
                created_at=now,
            )
            await repo.add(s, row)
            previous = vol.status
            if snap is None:
                vol.status = st.BACKING_UP
                vol.previous_status = previous
            else:
                snap.status = "backing-up"
            backend = self.core.backend_of(vol)
            if snap is not None:
                from stratus.services.volume.core import snapshot_spec

                stream = backend.driver.read_snapshot(
                    snapshot_spec(snap), self.core.cfg.backup_chunk_size
                )
            else:
                stream = backend.driver.read(volume_spec(vol), self.core.cfg.backup_chunk_size)
            parent_manifest = dict(parent.manifest or {}) if parent else None
            extras = {
                "volume_metadata": dict(vol.metadata_ or {}),
                "bootable": vol.bootable,
                "volume_image_metadata": dict(vol.image_metadata or {}) or None,
            }
            account = f"AUTH_{owner}"
        bid = row.id
        sid = snap.id if snap else None
        origin = Origin.of(ctx, row.project_id)

        async def run() -> None:
            manifest = await self._write(bid, account, container, stream, parent_manifest)
            manifest.update(extras)
            await self.core.set_backup(
                bid,
                status="available",
                manifest=manifest,
                object_count=sum(1 for c in manifest["chunks"] if c.get("owner") == bid),
            )
            if sid is None:
                await self.core.set_volume(volume_id, status=previous, previous_status=None)
            else:
                await self.core.set_snapshot(sid, status="available")

        async def failed(err: BaseException) -> None:
            await self.core.set_backup(bid, status="error", fail_reason=str(err)[:255])
            if sid is None:
                await self.core.set_volume(volume_id, status=previous, previous_status=None)
            else:
                await self.core.set_snapshot(sid, status="available")
            await self._tell(origin, Action.BACKUP_CREATE, Detail.BACKUP_CREATE_DRIVER_ERROR, bid)

        self.core.later(run, failed)
        return row

    async def _write(
        self,
        backup_id: str,
        account: str,
        container: str,
        stream: AsyncIterator[bytes],
        parent: dict[str, Any] | None,
    ) -> dict[str, Any]:
        store = self._store()
        await store.ensure_container(account, container)
        chunk_size = self.core.cfg.backup_chunk_size
        if parent is not None and parent.get("chunk_size") != chunk_size:
            parent = None  # a different chunking cannot be compared: store everything
        parent_chunks: list[dict[str, Any]] = parent["chunks"] if parent else []
        chunks: list[dict[str, Any]] = []
        total = 0
        index = 0
        async for data in _rechunk(stream, chunk_size):
            digest = hashlib.sha256(data).hexdigest()
            entry: dict[str, Any] = {"sha256": digest, "length": len(data)}
            before = parent_chunks[index] if index < len(parent_chunks) else None
            if data.count(0) == len(data):
                entry["object"] = None
            elif before is not None and before.get("sha256") == digest and before.get("object"):
                entry.update(
                    object=before["object"],
                    owner=before["owner"],
                    compression=before.get("compression"),
                )
            else:
                name = f"backup_{backup_id}-{index:05d}"
                await store.put(account, container, name, _one(zlib.compress(data, 6)))
                entry.update(object=name, owner=backup_id, compression="zlib")
            chunks.append(entry)
            total += len(data)
            index += 1
        return {
            "version": 1,
            "account": account,
            "container": container,
            "chunk_size": chunk_size,
            "size_bytes": total,
            "chunks": chunks,
        }

    # -- restore ---------------------------------------------------------------------------

    async def restore(
        self, ctx: RequestContext, backup_id: str, volume_id: str | None, name: Any
    ) -> tuple[Backup, Volume]:
        vol_name = check_text(name, "name")
        async with self.db.session() as s:
            b = await self.core.backup(s, ctx, backup_id)
            ctx.can(policies.BACKUP_RESTORE, {"project_id": b.project_id})
            if b.status != "available":
                raise InvalidBackup(
                    f"Backup status must be available, but current status is: {b.status}."
                )
            if volume_id:
                vol = await self.core.volume(s, ctx, volume_id)
                if vol.status != st.AVAILABLE:
                    raise InvalidVolume(
                        "Volume to be restored to must be available, but the current status "
                        f'is "{vol.status}".'
                    )
                if vol.size < b.size:
                    raise InvalidVolume(
                        f"volume size {vol.size} is too small to restore backup of size {b.size}."
                    )
                vol.status = st.RESTORING_BACKUP
                vol.updated_at = utcnow()
                b.status = "restoring"
                target = vol
            else:
                target = None
        if target is None:
            from stratus.services.volume.volume import VolumeService

            created = await VolumeService(self.core).create(
                ctx,
                {
                    "size": b.size,
                    "name": vol_name or f"restore_backup_{b.id}",
                    "backup_id": b.id,
                },
            )
            await self.core.set_backup(b.id, status="restoring")
            return b, created.volume
        vid = target.id
        origin = Origin.of(ctx, b.project_id)

        async def run() -> None:
            await self.restore_into(backup_id, vid)
            await self.core.set_volume(vid, status=st.AVAILABLE)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(vid, status=st.ERROR_RESTORING)
            await self.core.set_backup(backup_id, status="available")
            await self._tell(origin, Action.BACKUP_RESTORE, Detail.BACKUP_RESTORE_ERROR, backup_id)

        self.core.later(run, failed)
        return b, target

    async def restore_into(self, backup_id: str, volume_id: str) -> None:
        """Write the backup's bytes into the volume, verifying each chunk's sha256."""
        async with self.db.reader() as s:
            b = await repo.get_backup(s, backup_id)
            v = await repo.get_volume(s, volume_id)
            if b is None or v is None or not b.manifest:
                raise NotFound(f"Backup {backup_id} or volume {volume_id} is gone.")
            manifest = dict(b.manifest)
            backend = self.core.backend_of(v)
            spec = volume_spec(v)
        store = self._store()

        async def chunks() -> AsyncIterator[bytes]:
            for entry in manifest["chunks"]:
                if entry.get("object") is None:
                    yield bytes(entry["length"])
                    continue
                raw = bytearray()
                async for piece in store.read(
                    manifest["account"], manifest["container"], entry["object"]
                ):
                    raw += piece
                data = (
                    zlib.decompress(bytes(raw))
                    if entry.get("compression") == "zlib"
                    else bytes(raw)
                )
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    raise ValueError(
                        f"backup {backup_id}: chunk {entry['object']} is corrupt "
                        f"({len(raw)} bytes stored, {len(data)} of {entry['length']} restored)"
                    )
                yield data

        try:
            await backend.driver.write(spec, chunks())
        finally:
            await self.core.set_backup(backup_id, status="available")
        async with self.db.session() as s:
            v2 = await repo.get_volume(s, volume_id)
            if v2 is not None:
                v2.bootable = bool(manifest.get("bootable", v2.bootable))
                # cinder restores the backed-up volume metadata over the target's
                v2.metadata_ = {**(v2.metadata_ or {}), **(manifest.get("volume_metadata") or {})}
                if manifest.get("volume_image_metadata"):
                    v2.image_metadata = dict(manifest["volume_image_metadata"])

    # -- update / delete / status ----------------------------------------------------------

    async def update(self, ctx: RequestContext, backup_id: str, body: Mapping[str, Any]) -> Backup:
        allowed = {"name", "description", "metadata"}
        unknown = set(body) - allowed
        if unknown:
            raise InvalidInput(
                f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
            )
        async with self.db.session() as s:
            row = await self.core.backup(s, ctx, backup_id)
            ctx.can(policies.BACKUP_UPDATE, {"project_id": row.project_id})
            if "name" in body:
                row.name = check_text(body["name"], "name")
            if "description" in body:
                row.description = check_text(body["description"], "description")
            if "metadata" in body:
                row.metadata_ = check_metadata(body["metadata"] or {})
            row.updated_at = utcnow()
            return row

    async def delete(self, ctx: RequestContext, backup_id: str, *, force: bool = False) -> None:
        async with self.db.session() as s:
            row = await self.core.backup(s, ctx, backup_id)
            if force:
                ctx.can(policies.BACKUP_FORCE_DELETE, {"project_id": row.project_id})
            else:
                ctx.can(policies.BACKUP_DELETE, {"project_id": row.project_id})
                if row.status not in ("available", "error"):
                    raise InvalidBackup("Backup status must be available or error")
            if await repo.children_of_backup(s, backup_id):
                raise InvalidBackup("Incremental backups exist for this backup.")
            row.status = "deleting"
            manifest = dict(row.manifest or {})
            origin = Origin.of(ctx, row.project_id)

        async def remove() -> None:
            store = self._store()
            for entry in manifest.get("chunks", []):
                if entry.get("owner") == backup_id and entry.get("object"):
                    await store.delete(manifest["account"], manifest["container"], entry["object"])
            async with self.db.session() as s2:
                found = await repo.get_backup(s2, backup_id)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(err: BaseException) -> None:
            await self.core.set_backup(backup_id, status="error", fail_reason=str(err)[:255])
            await self._tell(
                origin, Action.BACKUP_DELETE, Detail.BACKUP_DELETE_DRIVER_ERROR, backup_id
            )

        self.core.later(remove, failed)

    async def _tell(self, origin: Origin, action: Field, detail: Field, backup_id: str) -> None:
        messages = self.core.client("volume-messages")
        if messages is not None:
            await messages.tell(
                origin,
                action,
                detail,
                resource_type=Resource.VOLUME_BACKUP,
                resource_uuid=backup_id,
            )

    async def reset_status(self, ctx: RequestContext, backup_id: str, status: Any) -> None:
        if status not in ("available", "error"):
            raise InvalidInput(f"Must specify a valid status: {status} is not valid.")
        async with self.db.session() as s:
            row = await self.core.backup(s, ctx, backup_id)
            ctx.can(policies.BACKUP_RESET_STATUS, {"project_id": row.project_id})
            row.status = str(status)
            row.updated_at = utcnow()

    # -- export / import -------------------------------------------------------------------

    async def export(self, ctx: RequestContext, backup_id: str) -> dict[str, str]:
        async with self.db.reader() as s:
            row = await self.core.backup(s, ctx, backup_id)
            ctx.can(policies.BACKUP_EXPORT, {"project_id": row.project_id})
            if row.status != "available":
                raise InvalidBackup(f"Backup status must be available and not {row.status}.")
            record = {
                "id": row.id,
                "project_id": row.project_id,
                "user_id": row.user_id,
                "volume_id": row.volume_id,
                "snapshot_id": row.snapshot_id,
                "parent_id": row.parent_id,
                "name": row.name,
                "description": row.description,
                "size": row.size,
                "object_count": row.object_count,
                "availability_zone": row.availability_zone,
                "container": row.container,
                "is_incremental": row.is_incremental,
                "metadata": row.metadata_,
                "manifest": row.manifest,
                "data_timestamp": isotime_plain(row.data_timestamp),
                "created_at": isotime_plain(row.created_at),
            }
        url = base64.b64encode(json.dumps(record).encode()).decode()
        return {"backup_service": BACKUP_SERVICE, "backup_url": url}

    async def import_record(self, ctx: RequestContext, service: Any, url: Any) -> Backup:
        ctx.can(policies.BACKUP_IMPORT, {"project_id": ctx.project_id})
        if service != BACKUP_SERVICE:
            raise InvalidInput(f"Backup service {service} is not supported.")
        if not isinstance(url, str):
            raise InvalidInput("backup_url must be a string.")
        try:
            record = json.loads(base64.b64decode(url.encode(), validate=True))
            if not isinstance(record, dict) or not isinstance(record.get("manifest"), dict):
                raise ValueError("no manifest")
        except ValueError:
            raise InvalidInput("Can't parse backup record.") from None
        manifest = record["manifest"]
        store = self._store()
        for entry in manifest.get("chunks", []):
            if entry.get("object"):
                try:
                    async for _ in store.read(
                        manifest["account"], manifest["container"], entry["object"], 0, 0
                    ):
                        break
                except LookupError:
                    raise InvalidBackup(
                        f"The backup's object {entry['object']} is not in the store."
                    ) from None
        async with self.db.session() as s:
            existing = await repo.get_backup(s, str(record.get("id")))
            if existing is not None and existing.status != "deleted":
                raise InvalidBackup("Backup already exists in database.")
            project_id = ctx.project_id or str(record.get("project_id"))
            await quota.claim(
                self.core.quota,
                s,
                project_id,
                backups=1,
                backup_gigabytes=int(record.get("size") or 0),
            )
            now = utcnow()
            row = Backup(
                id=str(record.get("id") or uuid_str()),
                project_id=project_id,
                user_id=ctx.user_id,
                volume_id=str(record.get("volume_id")),
                snapshot_id=record.get("snapshot_id"),
                parent_id=record.get("parent_id"),
                name=record.get("name"),
                description=record.get("description"),
                size=int(record.get("size") or 0),
                object_count=int(record.get("object_count") or 0),
                status="available",
                availability_zone=record.get("availability_zone"),
                container=record.get("container"),
                is_incremental=bool(record.get("is_incremental")),
                metadata_=record.get("metadata") or {},
                manifest=manifest,
                data_timestamp=parse_isotime(record["data_timestamp"])
                if record.get("data_timestamp")
                else now,
                created_at=now,
            )
            await repo.add(s, row)
            return row
