"""Wire views of block storage resources, per microversion, as cinder's view builders
shape them."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from stratus.api.microversion import Version
from stratus.kit.timeutil import isotime_plain
from stratus.services.volume.group import GroupData
from stratus.services.volume.message import user_message
from stratus.services.volume.models import (
    Attachment,
    Backup,
    GroupSnapshot,
    GroupType,
    Message,
    QosSpecs,
    Snapshot,
    Transfer,
    VolumeType,
)
from stratus.services.volume.volume import VolumeData

# Every volume and snapshot Stratus stores is charged to its project's quota: it makes no
# temporary volumes or snapshots (cinder's use_quota=False ones, for migrations and backups).
CONSUMES_QUOTA = True


def ts(value: dt.datetime | None) -> str | None:
    return isotime_plain(value) if value is not None else None


@dataclass(frozen=True)
class Links:
    base: str  # http://host:port
    project_id: str  # "" when the request's URL had none (3.67): links then have none either

    @property
    def _project(self) -> str:
        return f"/{self.project_id}" if self.project_id else ""

    def collection(self, collection: str) -> str:
        return f"{self.base}/volume/v3{self._project}/{collection}"

    def of(self, collection: str, item_id: str) -> list[dict[str, str]]:
        return [
            {"href": f"{self.collection(collection)}/{item_id}", "rel": "self"},
            {
                "href": f"{self.base}/volume{self._project}/{collection}/{item_id}",
                "rel": "bookmark",
            },
        ]


@dataclass(frozen=True)
class Viewer:
    version: Version
    is_admin: bool
    links: Links


def volume_brief(d: VolumeData, v: Viewer) -> dict[str, Any]:
    return {"id": d.volume.id, "name": d.volume.name, "links": v.links.of("volumes", d.volume.id)}


def attachment_in_volume(a: Attachment) -> dict[str, Any]:
    return {
        "server_id": a.instance_uuid,
        "attachment_id": a.id,
        "attached_at": ts(a.attach_time),
        "host_name": a.attached_host,
        "volume_id": a.volume_id,
        "device": a.mountpoint,
        "id": a.volume_id,
    }


def volume_detail(d: VolumeData, v: Viewer, *, extended: bool = True) -> dict[str, Any]:
    """``extended``: the attributes cinder's extensions add to show and detail (tenant,
    host, migration status, image metadata), absent from create and update answers."""
    vol = d.volume
    out: dict[str, Any] = {
        "id": vol.id,
        "name": vol.name,
        "description": vol.description,
        "status": vol.status,
        "size": vol.size,
        "availability_zone": vol.availability_zone,
        "created_at": ts(vol.created_at),
        "updated_at": ts(vol.updated_at),
        "attachments": [
            attachment_in_volume(a) for a in d.attachments if a.attach_status == "attached"
        ],
        "bootable": "true" if vol.bootable else "false",
        "encrypted": vol.encrypted,
        "multiattach": vol.multiattach,
        "metadata": dict(vol.metadata_ or {}),
        "links": v.links.of("volumes", vol.id),
        "snapshot_id": vol.snapshot_id,
        "source_volid": vol.source_volid,
        "user_id": vol.user_id,
        "volume_type": d.type.name if d.type else None,
        "consistencygroup_id": None,
        "replication_status": None,
        "migration_status": vol.migration_status,
    }
    if extended:
        out["os-vol-tenant-attr:tenant_id"] = vol.project_id
    if extended and vol.image_metadata:
        out["volume_image_metadata"] = dict(vol.image_metadata)
    if extended and v.is_admin:
        out["os-vol-host-attr:host"] = vol.host
        out["os-vol-mig-status-attr:migstat"] = vol.migration_status
        out["os-vol-mig-status-attr:name_id"] = None
    ver = v.version
    if ver.at_least("3.13"):
        out["group_id"] = vol.group_id
    if ver.at_least("3.21") and v.is_admin:
        out["provider_id"] = None
    if ver.at_least("3.48"):
        out["service_uuid"] = None
        out["shared_targets"] = False
    if ver.at_least("3.61") and v.is_admin:
        out["cluster_name"] = None
    if ver.at_least("3.63"):
        out["volume_type_id"] = vol.volume_type_id
    if ver.at_least("3.64"):
        out["encryption_key_id"] = None
    if ver.at_least("3.65"):
        out["consumes_quota"] = CONSUMES_QUOTA
    return out


def snapshot_view(sn: Snapshot, v: Viewer, *, detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sn.id,
        "name": sn.name,
        "description": sn.description,
        "status": sn.status,
        "size": sn.size,
        "volume_id": sn.volume_id,
        "metadata": dict(sn.metadata_ or {}),
        "created_at": ts(sn.created_at),
        "updated_at": ts(sn.updated_at),
    }
    if detail:
        out["os-extended-snapshot-attributes:progress"] = sn.progress
        out["os-extended-snapshot-attributes:project_id"] = sn.project_id
    if v.version.at_least("3.14"):
        out["group_snapshot_id"] = sn.group_snapshot_id
    if v.version.at_least("3.41"):
        out["user_id"] = sn.user_id
    if v.version.at_least("3.65"):
        out["consumes_quota"] = CONSUMES_QUOTA
    return out


def backup_brief(b: Backup, v: Viewer) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "links": v.links.of("backups", b.id)}


def backup_detail(b: Backup, v: Viewer, *, has_dependents: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": b.id,
        "name": b.name,
        "description": b.description,
        "status": b.status,
        "size": b.size,
        "object_count": b.object_count,
        "container": b.container,
        "availability_zone": b.availability_zone,
        "created_at": ts(b.created_at),
        "updated_at": ts(b.updated_at),
        "volume_id": b.volume_id,
        "fail_reason": b.fail_reason,
        "links": v.links.of("backups", b.id),
        "is_incremental": b.is_incremental,
        "has_dependent_backups": has_dependents,
        "snapshot_id": b.snapshot_id,
        "data_timestamp": ts(b.data_timestamp),
    }
    ver = v.version
    if ver.at_least("3.18") and v.is_admin:
        out["os-backup-project-attr:project_id"] = b.project_id
    if ver.at_least("3.43"):
        out["metadata"] = dict(b.metadata_ or {})
    if ver.at_least("3.56"):
        out["user_id"] = b.user_id
    if ver.at_least("3.64"):
        out["encryption_key_id"] = None
    return out


def type_view(t: VolumeType, v: Viewer, *, show_specs: bool, show_qos: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "is_public": t.is_public,
        "os-volume-type-access:is_public": t.is_public,
    }
    if show_specs:
        out["extra_specs"] = dict(t.extra_specs or {})
    if show_qos:
        out["qos_specs_id"] = t.qos_specs_id
    return out


def qos_view(q: QosSpecs) -> dict[str, Any]:
    return {"id": q.id, "name": q.name, "consumer": q.consumer, "specs": dict(q.specs or {})}


def transfer_view(t: Transfer, v: Viewer, *, detail: bool, collection: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "volume_id": t.volume_id,
        "links": v.links.of(collection, t.id),
    }
    if detail:
        out["created_at"] = ts(t.created_at)
        if v.version.at_least("3.55"):
            out["no_snapshots"] = t.no_snapshots
        if v.version.at_least("3.57"):
            out["destination_project_id"] = t.destination_project_id
            out["source_project_id"] = t.project_id
            out["accepted"] = t.accepted
    return out


def attachment_view(a: Attachment, *, detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "status": a.attach_status,
        "instance": a.instance_uuid,
        "volume_id": a.volume_id,
    }
    if detail:
        out.update(
            attached_at=ts(a.attach_time),
            detached_at=None,
            attach_mode=a.attach_mode,
            connection_info=a.connection_info,
        )
    return out


# -- groups, group types, group snapshots, messages ----------------------------------------


def group_brief(d: GroupData) -> dict[str, Any]:
    return {"id": d.group.id, "name": d.group.name}


def group_detail(d: GroupData, v: Viewer, *, list_volume: bool) -> dict[str, Any]:
    g = d.group
    out: dict[str, Any] = {
        "id": g.id,
        "status": g.status,
        "availability_zone": g.availability_zone,
        "created_at": ts(g.created_at),
        "name": g.name,
        "description": g.description,
        "group_type": g.group_type_id,
        "volume_types": list(d.volume_types),
    }
    ver = v.version
    if ver.at_least("3.14"):
        out["group_snapshot_id"] = g.group_snapshot_id
        out["source_group_id"] = g.source_group_id
    if ver.at_least("3.25") and list_volume:
        out["volumes"] = list(d.volumes)
    if ver.at_least("3.38"):
        out["replication_status"] = "disabled"
    if ver.at_least("3.58") and v.is_admin:
        out["project_id"] = g.project_id
    return out


def group_type_view(t: GroupType, *, show_specs: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "is_public": t.is_public,
    }
    if show_specs:
        out["group_specs"] = dict(t.group_specs or {})
    return out


def group_snapshot_view(gs: GroupSnapshot, v: Viewer, *, detail: bool) -> dict[str, Any]:
    if not detail:
        return {"id": gs.id, "name": gs.name, "group_type_id": gs.group_type_id}
    out: dict[str, Any] = {
        "id": gs.id,
        "group_id": gs.group_id,
        "group_type_id": gs.group_type_id,
        "status": gs.status,
        "created_at": ts(gs.created_at),
        "name": gs.name,
        "description": gs.description,
    }
    if v.version.at_least("3.58") and v.is_admin:
        out["project_id"] = gs.project_id
    return out


def message_view(m: Message, v: Viewer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "event_id": m.event_id,
        "user_message": user_message(m.action_id, m.detail_id),
        "message_level": m.message_level,
        "created_at": ts(m.created_at),
        "guaranteed_until": ts(m.expires_at),
        "request_id": m.request_id,
        "links": v.links.of("messages", m.id),
    }
    if m.resource_type:
        out["resource_type"] = m.resource_type
    if m.resource_uuid:
        out["resource_uuid"] = m.resource_uuid
    return out
