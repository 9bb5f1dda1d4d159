"""Image API views: rows to Glance's wire documents."""

from typing import Any

from stratus.kit.timeutil import isotime_z
from stratus.services.image.models import ImageMember, ImageTask
from stratus.services.image.service import ImageData


def image(data: ImageData) -> dict[str, Any]:
    img = data.image
    out: dict[str, Any] = dict(data.properties)
    out.update(
        {
            "id": img.id,
            "name": img.name,
            "status": img.status,
            "visibility": img.visibility,
            "protected": img.protected,
            "os_hidden": img.os_hidden,
            "checksum": img.checksum,
            "os_hash_algo": img.os_hash_algo,
            "os_hash_value": img.os_hash_value,
            "owner": img.owner,
            "size": img.size,
            "virtual_size": img.virtual_size,
            "min_ram": img.min_ram,
            "min_disk": img.min_disk,
            "disk_format": img.disk_format,
            "container_format": img.container_format,
            "created_at": isotime_z(img.created_at),
            "updated_at": isotime_z(img.updated_at),
            "tags": list(data.tags),
            "self": f"/v2/images/{img.id}",
            "file": f"/v2/images/{img.id}/file",
            "schema": "/v2/schemas/image",
        }
    )
    if img.store and img.location:
        out["stores"] = img.store
    return out


def member(entry: ImageMember) -> dict[str, Any]:
    return {
        "created_at": isotime_z(entry.created_at),
        "updated_at": isotime_z(entry.updated_at),
        "image_id": entry.image_id,
        "member_id": entry.member,
        "status": entry.status,
        "schema": "/v2/schemas/member",
    }


def task(row: ImageTask, *, detail: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "owner": row.owner,
        "expires_at": isotime_z(row.expires_at) if row.expires_at else None,
        "created_at": isotime_z(row.created_at),
        "updated_at": isotime_z(row.updated_at),
        "self": f"/v2/tasks/{row.id}",
        "schema": "/v2/schemas/task",
    }
    if detail:
        out.update({"input": row.input, "result": row.result, "message": row.message})
    return out


def image_task(row: ImageTask) -> dict[str, Any]:
    """A task as ``GET /v2/images/{id}/tasks`` shows it (API 2.12): the task and its links
    to the image, the request and the user that started it."""
    out = task(row)
    del out["self"], out["schema"]
    out.update({"image_id": row.image_id, "request_id": row.request_id, "user_id": row.user_id})
    return out
