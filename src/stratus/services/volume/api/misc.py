"""Limits, quota sets, availability zones, services, pools and capabilities, extensions."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.api.microversion import Version
from stratus.kit.errors import BadRequest, Forbidden, NotFound, NotImplementedYet
from stratus.kit.timeutil import isotime_plain, utcnow
from stratus.services.volume import policies
from stratus.services.volume.api.common import body_of, flag, reply, services, version
from stratus.services.volume.host import ServiceRow

router = APIRouter(prefix="/v3/{project_id}")


# -- limits ------------------------------------------------------------------------------


@router.get("/limits")
async def get_limits(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.LIMITS, {"project_id": ctx.project_id})
    target = ctx.project_id or project_id
    asked = request.query_params.get("project_id")
    if asked and version(ctx).at_least("3.39") and ctx.is_admin:
        target = asked
    quotas = services(request).quotas
    limits = await quotas.limits(target)
    usage = await quotas.usage(target)
    absolute = {
        "maxTotalVolumes": limits.get("volumes", -1),
        "maxTotalSnapshots": limits.get("snapshots", -1),
        "maxTotalVolumeGigabytes": limits.get("gigabytes", -1),
        "maxTotalBackups": limits.get("backups", -1),
        "maxTotalBackupGigabytes": limits.get("backup_gigabytes", -1),
        "totalVolumesUsed": usage.get("volumes", 0),
        "totalSnapshotsUsed": usage.get("snapshots", 0),
        "totalGigabytesUsed": usage.get("gigabytes", 0),
        "totalBackupsUsed": usage.get("backups", 0),
        "totalBackupGigabytesUsed": usage.get("backup_gigabytes", 0),
    }
    return reply({"limits": {"rate": [], "absolute": absolute}})


# -- quota sets --------------------------------------------------------------------------


def _can_see(ctx: Ctx, target: str) -> None:
    ctx.can(policies.QUOTA_SHOW, {"project_id": target})
    if not ctx.is_admin and ctx.project_id != target:
        raise Forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")


@router.get("/os-quota-sets/{target}")
async def get_quota_set(target: str, request: Request, ctx: Ctx) -> Response:
    _can_see(ctx, target)
    quotas = services(request).quotas
    limits = await quotas.limits(target)
    out: dict[str, Any] = {"id": target}
    if flag(request, "usage"):
        usage = await quotas.usage(target)
        for name, limit in limits.items():
            out[name] = {
                "limit": limit,
                "in_use": usage.get(name, 0),
                "reserved": 0,
                "allocated": 0,
            }
    else:
        out.update(limits)
    return reply({"quota_set": out})


@router.get("/os-quota-sets/{target}/defaults")
async def get_quota_defaults(target: str, request: Request, ctx: Ctx) -> Response:
    _can_see(ctx, target)
    return reply({"quota_set": {"id": target, **services(request).quotas.defaults()}})


@router.put("/os-quota-sets/{target}")
async def update_quota_set(target: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_UPDATE, {"project_id": target})
    body = dict(await body_of(request, "quota_set"))
    body.pop("tenant_id", None)
    body.pop("id", None)
    if not body:
        raise BadRequest("Missing required element 'quota_set' in request body.")
    quotas = services(request).quotas
    await quotas.update(target, body)
    return reply({"quota_set": await quotas.limits(target)})


@router.delete("/os-quota-sets/{target}")
async def delete_quota_set(target: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_DELETE, {"project_id": target})
    await services(request).quotas.reset(target)
    return Response(status_code=200)


@router.get("/os-quota-class-sets/{class_name}")
async def get_quota_class(class_name: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_CLASS)
    values = await services(request).quotas.get_class(class_name)
    return reply({"quota_class_set": {"id": class_name, **values}})


@router.put("/os-quota-class-sets/{class_name}")
async def update_quota_class(class_name: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_CLASS)
    body = await body_of(request, "quota_class_set")
    values = await services(request).quotas.update_class(class_name, body)
    return reply({"quota_class_set": values})


# -- availability zones, services, pools -------------------------------------------------


@router.get("/os-availability-zone")
async def list_availability_zones(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AZ_LIST)
    zones = services(request).core.backends.zones()
    return reply(
        {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}} for z in zones]}
    )


def _service_view(row: ServiceRow, version: Version) -> dict[str, Any]:
    out: dict[str, Any] = {
        "binary": row.binary,
        "host": row.host,
        "zone": row.zone,
        "status": "disabled" if row.disabled else "enabled",
        "state": "up",
        "updated_at": isotime_plain(row.updated_at),
        "disabled_reason": row.disabled_reason,
    }
    if row.binary == "cinder-volume":
        out["frozen"] = row.frozen
        out["replication_status"] = "disabled"
        out["active_backend_id"] = None
    if version.at_least("3.7"):
        out["cluster"] = None
    return out


@router.get("/os-services")
async def list_services(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES)
    rows = await services(request).hosts.list_services(
        host=request.query_params.get("host"), binary=request.query_params.get("binary")
    )
    return reply({"services": [_service_view(r, version(ctx)) for r in rows]})


@router.put("/os-services/{action}")
async def update_service(action: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("Malformed request body")
    hosts = services(request).hosts
    if action in ("enable", "disable", "disable-log-reason"):
        reason = body.get("disabled_reason")
        if action == "disable-log-reason" and (
            not isinstance(reason, str) or not reason.strip() or len(reason) > 255
        ):
            raise BadRequest("Disabled reason contains invalid characters or is too long")
        row = await hosts.set_enabled(
            body.get("host"), body.get("binary"), enabled=action == "enable", reason=reason
        )
        out: dict[str, Any] = {
            "host": row.host,
            "binary": row.binary,
            "status": "disabled" if row.disabled else "enabled",
            "disabled": row.disabled,
        }
        if action == "disable-log-reason":
            out["disabled_reason"] = row.disabled_reason
        return reply(out)
    if action in ("freeze", "thaw"):
        await hosts.set_frozen(body.get("host"), frozen=action == "freeze")
        return reply({})
    if action == "failover_host" or action == "failover":
        raise NotImplementedYet("Replication failover is not implemented in Stratus.")
    raise NotFound(f"Unknown action {action}")


@router.get("/os-hosts")
async def list_hosts(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES)
    rows = await services(request).hosts.list_services(host=None, binary=None)
    return reply(
        {
            "hosts": [
                {
                    "service-status": "unavailable" if r.disabled else "available",
                    "service": r.binary,
                    "zone": r.zone,
                    "service-state": "disabled" if r.disabled else "enabled",
                    "host_name": r.host,
                    "last-update": isotime_plain(r.updated_at),
                }
                for r in rows
            ]
        }
    )


@router.get("/os-hosts/{host}")
async def get_host(host: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES)
    return reply({"host": await services(request).hosts.host_resources(host)})


@router.get("/scheduler-stats/get_pools")
async def get_pools(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.POOLS)
    core = services(request).core
    stats = core.backends.stats(await core.allocated())
    detail = flag(request, "detail")
    pools = []
    for backend, st in stats:
        entry: dict[str, Any] = {"name": backend.pool_host}
        if detail:
            entry["capabilities"] = {
                "pool_name": st.pool_name,
                "volume_backend_name": backend.name,
                "total_capacity_gb": st.total_capacity_gb,
                "free_capacity_gb": st.free_capacity_gb,
                "allocated_capacity_gb": st.extra.get("allocated_capacity_gb", 0),
                "provisioned_capacity_gb": st.extra.get("allocated_capacity_gb", 0),
                "thin_provisioning_support": st.thin_provisioning_support,
                "thick_provisioning_support": st.thick_provisioning_support,
                "max_over_subscription_ratio": st.max_over_subscription_ratio,
                "reserved_percentage": st.reserved_percentage,
                "QoS_support": st.qos_support,
                "multiattach": st.multiattach,
                "online_extend_support": st.online_extend_support,
                "storage_protocol": st.storage_protocol,
                "vendor_name": st.vendor_name,
                "driver_version": st.driver_version,
                "timestamp": isotime_plain(utcnow()),
            }
        pools.append(entry)
    return reply({"pools": pools})


@router.get("/capabilities/{host}")
async def get_capabilities(host: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.CAPABILITIES)
    core = services(request).core
    try:
        backend = core.backends.of_host(host)
    except LookupError:
        raise NotFound(f"Service {host} could not be found.") from None
    st = backend.driver.stats(0)
    return reply(
        {
            "namespace": f"OS::Storage::Capabilities::{backend.host}",
            "vendor_name": st.vendor_name,
            "volume_backend_name": backend.name,
            "pool_name": st.pool_name,
            "driver_version": st.driver_version,
            "storage_protocol": st.storage_protocol,
            "display_name": None,
            "description": None,
            "visibility": None,
            "replication_targets": [],
            "properties": {
                "thin_provisioning": {
                    "title": "Thin Provisioning",
                    "description": "Sets thin provisioning.",
                    "type": "boolean",
                },
                "compression": {
                    "title": "Compression",
                    "description": "Enables compression.",
                    "type": "boolean",
                },
                "qos": {"title": "QoS", "description": "Enables QoS.", "type": "boolean"},
            },
        }
    )


# -- extensions --------------------------------------------------------------------------

_EXTENSIONS = (
    ("os-admin-actions", "AdminActions", "Enable admin actions."),
    ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones."),
    ("backups", "Backups", "Backups support."),
    ("capabilities", "Capabilities", "Capabilities support."),
    ("cgsnapshots", "Cgsnapshots", "cgsnapshots support."),
    ("consistencygroups", "Consistencygroups", "consistency groups support."),
    ("encryption", "VolumeTypeEncryption", "Encryption support for volume types."),
    (
        "os-extended-snapshot-attributes",
        "ExtendedSnapshotAttributes",
        "Extended snapshot attributes.",
    ),
    ("os-quota-sets", "Quotas", "Quota management support."),
    ("qos-specs", "Qos_specs_manage", "QoS specs support."),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
    ("os-services", "Services", "Services support."),
    ("os-snapshot-actions", "SnapshotActions", "Enable snapshot manager actions."),
    ("os-snapshot-manage", "SnapshotManage", "Allows existing backend storage to be 'managed'."),
    ("os-snapshot-unmanage", "SnapshotUnmanage", "Enable volume unmanage operation."),
    ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."),
    ("os-types-manage", "TypesManage", "Types manage support."),
    ("os-used-limits", "UsedLimits", "Provide data on limited resources that are being used."),
    ("os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume."),
    ("os-vol-image-meta", "VolumeImageMetadata", "Show image metadata associated with the volume."),
    (
        "os-vol-mig-status-attr",
        "VolumeMigStatusAttribute",
        "Expose migration_status as an attribute of a volume.",
    ),
    (
        "os-vol-tenant-attr",
        "VolumeTenantAttribute",
        "Expose the internal project_id as an attribute of a volume.",
    ),
    ("os-volume-actions", "VolumeActions", "Enable volume actions."),
    ("os-volume-manage", "VolumeManage", "Allows existing backend storage to be 'managed'."),
    ("os-volume-transfer", "VolumeTransfer", "Volume transfer management support."),
    ("os-volume-type-access", "VolumeTypeAccess", "Volume type access support."),
    ("os-volume-unmanage", "VolumeUnmanage", "Enable volume unmanage operation."),
)


@router.get("/extensions")
async def list_extensions(ctx: Ctx) -> Response:
    ctx.can(policies.EXTENSIONS)
    return reply(
        {
            "extensions": [
                {
                    "alias": alias,
                    "name": name,
                    "description": description,
                    "links": [],
                    "updated": "2013-04-18T00:00:00+00:00",
                }
                for alias, name, description in _EXTENSIONS
            ]
        }
    )
