"""Remote consoles: ``POST /servers/{id}/remote-consoles`` (2.6+) and the legacy
``os-getVNCConsole``/``os-getSPICEConsole``/``os-getSerialConsole``/``os-getRDPConsole``
actions (2.1-2.5). Requests are checked as upstream (protocol and type, the server's state);
a console URL needs a driver that runs a console server for the guest and a console proxy,
and no Stratus driver has either yet, so a valid request answers 501 as nova does for a
driver without consoles."""

from typing import Any, NoReturn

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, Conflict, NotFound, NotImplementedYet
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import body_of, services, version
from stratus.services.compute.models import Instance

router = APIRouter(prefix="/v2.1")

# protocol -> the console types it offers
_TYPES = {
    "vnc": ("novnc", "xvpvnc"),
    "spice": ("spice-html5",),
    "serial": ("serial",),
    "rdp": ("rdp-html5",),
    "mks": ("webmks",),
}
# legacy action -> protocol
ACTIONS = {
    "os-getVNCConsole": "vnc",
    "os-getSPICEConsole": "spice",
    "os-getSerialConsole": "serial",
    "os-getRDPConsole": "rdp",
}


def _check(ctx: RequestContext, inst: Instance, protocol: str, kind: str) -> NoReturn:
    """Everything nova checks before it asks the driver; then the driver has no console."""
    if protocol == "rdp":
        raise BadRequest("Unavailable console type rdp.")
    if kind not in _TYPES[protocol]:
        raise BadRequest(f"Invalid console type {kind}")
    if not inst.host or inst.vm_state != "active":
        raise Conflict(f"Instance {inst.uuid} is not ready")
    raise NotImplementedYet(
        f"Unable to get {protocol} console: the compute driver offers no remote consoles yet."
    )


@router.post("/servers/{server_id}/remote-consoles")
async def create_remote_console(server_id: str, request: Request, ctx: Ctx) -> Response:
    v = version(ctx)
    if not v.at_least("2.6"):
        raise NotFound("The resource could not be found.")
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.REMOTE_CONSOLES, {"project_id": inst.project_id})
    body = await body_of(request, "remote_console")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute remote_console.")
    protocols = ["vnc", "spice", "serial", "rdp"] + (["mks"] if v.at_least("2.8") else [])
    types = [t for p in protocols for t in _TYPES[p]]
    protocol, kind = body.get("protocol"), body.get("type")
    for key, value, allowed in (("protocol", protocol, protocols), ("type", kind, types)):
        if value is None:
            raise BadRequest(
                f"Invalid input for field/attribute remote_console. '{key}' is a required property"
            )
        if value not in allowed:
            raise BadRequest(
                f"Invalid input for field/attribute {key}. Value: {value}. "
                f"{value!r} is not one of {allowed}"
            )
    _check(ctx, inst, str(protocol), str(kind))


async def dispatch(
    request: Request, ctx: RequestContext, inst: Instance, name: str, args: Any
) -> Response | None:
    """The legacy console actions; None for any other action."""
    protocol = ACTIONS.get(name)
    if protocol is None:
        return None
    if version(ctx).at_least("2.6"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.REMOTE_CONSOLES, {"project_id": inst.project_id})
    kind = args.get("type") if isinstance(args, dict) else None
    if kind is None:
        raise BadRequest(f"Invalid input for field/attribute {name}. 'type' is a required property")
    if protocol != "rdp" and kind not in _TYPES[protocol]:
        raise BadRequest(
            f"Invalid input for field/attribute type. Value: {kind}. "
            f"{kind!r} is not one of {list(_TYPES[protocol])}"
        )
    _check(ctx, inst, protocol, str(kind))
