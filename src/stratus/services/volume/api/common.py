"""Helpers every block storage handler uses: the service container, views, JSON answers,
list query parameters."""

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.microversion import Version
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.volume import repository as repo
from stratus.services.volume.api.versions import MINIMUM
from stratus.services.volume.attachment import AttachmentService
from stratus.services.volume.backup import BackupService
from stratus.services.volume.core import Core
from stratus.services.volume.group import GroupService
from stratus.services.volume.group_snapshot import GroupSnapshotService
from stratus.services.volume.group_type import GroupTypeService
from stratus.services.volume.host import HostService
from stratus.services.volume.message import MessageService
from stratus.services.volume.qos import QosService
from stratus.services.volume.quota import QuotaService
from stratus.services.volume.snapshot import SnapshotService
from stratus.services.volume.transfer import TransferService
from stratus.services.volume.views import Links, Viewer
from stratus.services.volume.volume import VolumeService
from stratus.services.volume.volume_type import TypeService


@dataclass
class VolumeServices:
    core: Core
    volumes: VolumeService
    snapshots: SnapshotService
    backups: BackupService
    attachments: AttachmentService
    transfers: TransferService
    types: TypeService
    qos: QosService
    quotas: QuotaService
    hosts: HostService
    groups: GroupService
    group_types: GroupTypeService
    group_snapshots: GroupSnapshotService
    messages: MessageService


# Scope state key set when the request's URL had no project id (3.67; see api/root.py).
PROJECTLESS = "volume.projectless"


def services(request: Request) -> VolumeServices:
    svc: VolumeServices = request.app.state.volume
    return svc


def version(ctx: RequestContext) -> Version:
    return ctx.version or MINIMUM


def require(ctx: RequestContext, minimum: str) -> None:
    """Routes that appear at a microversion answer 404 below it, as cinder does."""
    if not version(ctx).at_least(minimum):
        raise NotFound("The resource could not be found.")


def viewer(request: Request, ctx: RequestContext, project_id: str) -> Viewer:
    base = str(request.app.state.runtime.settings.base_url)
    if request.scope.get("state", {}).get(PROJECTLESS):
        project_id = ""  # the URL had no project id (3.67): neither have the links
    return Viewer(version=version(ctx), is_admin=ctx.is_admin, links=Links(base, project_id))


def reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def accepted() -> Response:
    return Response(status_code=202)


async def body_of(request: Request, key: str) -> Any:
    data = await json_body(request)
    if not isinstance(data, dict) or key not in data:
        raise BadRequest(f"Missing required element '{key}' in request body.")
    value = data[key]
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid input for field/attribute {key}: it must be an object.")
    return value


async def metadata_body(request: Request) -> Any:
    """The ``metadata`` of a volume or snapshot metadata create/replace body."""
    body = await json_body(request)
    if not isinstance(body, dict) or "metadata" not in body:
        raise BadRequest("Malformed request body")
    return body["metadata"]


def flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    return raw is not None and raw.strip().lower() in ("1", "true", "yes", "on", "t", "y")


_TRUE = ("1", "t", "true", "on", "y", "yes")
_FALSE = ("0", "f", "false", "off", "n", "no")


def bool_param(raw: str, name: str) -> bool:
    """A strict boolean query parameter, as cinder's get_bool_param reads one."""
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise BadRequest(f"Value '{raw}' for '{name}' is not a boolean.")
    return value in _TRUE


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Invalid input received: {name} must be an integer.") from None
    if value < 0:
        raise BadRequest(f"Invalid input received: {name} must be >= 0.")
    return value


_SORT_KEYS = {
    "volumes": (
        "id",
        "name",
        "status",
        "size",
        "created_at",
        "updated_at",
        "availability_zone",
        "bootable",
        "project_id",
    ),
    "snapshots": ("id", "name", "status", "size", "created_at", "updated_at", "volume_id"),
    "groups": ("id", "name", "status", "created_at", "updated_at", "availability_zone"),
    "group_snapshots": ("id", "name", "status", "created_at", "updated_at", "group_id"),
    "messages": (
        "id",
        "event_id",
        "resource_type",
        "resource_uuid",
        "message_level",
        "request_id",
        "created_at",
    ),
    "backups": (
        "id",
        "name",
        "status",
        "size",
        "created_at",
        "updated_at",
        "volume_id",
        "container",
    ),
}
_NAME_ALIASES = {"display_name": "name", "display_description": "description"}


def listing(
    request: Request,
    ctx: RequestContext,
    kind: str,
    *,
    filters: tuple[str, ...],
) -> repo.Listing:
    """Filters, sort and page of a collection GET, cinder's way: ``all_tenants`` for admins,
    ``sort=key:dir,...`` or ``sort_key``/``sort_dir``, ``limit``/``marker``/``offset``."""
    q = request.query_params
    all_projects = ctx.is_admin and flag(request, "all_tenants")
    project = q.get("project_id") if ctx.is_admin and q.get("project_id") else None
    out = repo.Listing(project_id=project or (None if all_projects else ctx.project_id))
    allowed_sort = _SORT_KEYS[kind]
    sort: list[tuple[str, str]] = []
    if q.get("sort"):
        for part in q["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            sort.append((key, direction or "desc"))
    elif q.get("sort_key") or q.get("sort_dir"):
        keys = (q.get("sort_key") or "created_at").split(",")
        dirs = (q.get("sort_dir") or "desc").split(",")
        for i, key in enumerate(keys):
            sort.append((key, dirs[i] if i < len(dirs) else dirs[-1]))
    for key, direction in sort:
        key = _NAME_ALIASES.get(key, key)
        if key not in allowed_sort:
            raise BadRequest(f"Invalid input received: Invalid sort key: {key}")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid input received: Invalid sort direction: {direction}")
    out.sort = [(_NAME_ALIASES.get(k, k), d) for k, d in sort]
    out.limit = int_param(request, "limit")
    out.offset = int_param(request, "offset")
    out.marker = q.get("marker")
    if kind in ("volumes", "snapshots") and version(ctx).at_least("3.65"):
        raw = q.get("consumes_quota")
        if raw is not None:
            out.consumes_quota = bool_param(raw, "consumes_quota")
    for raw_key, value in q.items():
        key = _NAME_ALIASES.get(raw_key, raw_key)
        if key.endswith("~") and key[:-1] in ("name", "status"):
            out.like[key[:-1]] = value
            continue
        if key == "metadata":
            try:
                meta = json.loads(value.replace("'", '"'))
            except ValueError:
                raise BadRequest(
                    "Invalid input received: metadata must be a JSON object."
                ) from None
            if isinstance(meta, dict):
                out.metadata.update({str(k): str(v) for k, v in meta.items()})
            continue
        if key in filters:
            if key == "bootable":
                out.equals["bootable"] = value.strip().lower() in ("true", "1", "yes")
            else:
                out.equals[key] = value
    return out
