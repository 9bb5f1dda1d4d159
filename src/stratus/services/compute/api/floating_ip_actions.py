"""The server actions of nova's floating IP proxy, ``addFloatingIp`` and
``removeFloatingIp`` (up to 2.43): associate a floating IP of the network service with one
of the server's fixed addresses, or take it off again."""

import ipaddress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import services, version
from stratus.services.compute.floating_ip import FloatingIPProxy
from stratus.services.compute.models import Instance

ACTIONS = ("addFloatingIp", "removeFloatingIp")


def _address(name: str, args: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise BadRequest(f"Invalid input for field/attribute {name}. Value: {args}.")
    if "address" not in args:
        raise BadRequest(
            f"Invalid input for field/attribute {name}. Value: {args}. "
            "'address' is a required property"
        )
    extra = set(args) - allowed
    if extra:
        raise BadRequest(
            f"Invalid input for field/attribute {name}. Additional properties are not allowed "
            f"({', '.join(repr(k) for k in sorted(extra))} was unexpected)"
        )
    for key in allowed & set(args):
        value = args[key]
        if not isinstance(value, str) or not _is_ip(value):
            raise BadRequest(
                f"Invalid input for field/attribute {key}. Value: {value}. "
                f"{value!r} is not a 'ipv4' or 'ipv6'"
            )
    return args


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


async def dispatch(
    request: Request, ctx: RequestContext, inst: Instance, name: str, args: Any
) -> Response | None:
    """Handle ``name`` when it is one of these actions; None when it is not."""
    if name not in ACTIONS:
        return None
    if version(ctx).at_least("2.44"):
        raise NotFound("The resource could not be found.")
    target = {"project_id": inst.project_id, "user_id": inst.user_id}
    svc = services(request).servers
    proxy = FloatingIPProxy(svc.network)
    if name == "addFloatingIp":
        ctx.can(policies.FIP_ADD, target)
        body = _address(name, args, {"address", "fixed_address"})
        previous = await proxy.associate(
            ctx, inst.uuid, list(inst.network_info), body["address"], body.get("fixed_address")
        )
        if previous is not None:
            await svc.sync_network_info(previous)
    else:
        ctx.can(policies.FIP_REMOVE, target)
        body = _address(name, args, {"address"})
        await proxy.disassociate(ctx, inst.uuid, list(inst.network_info), body["address"])
    await svc.sync_network_info(inst.uuid)
    return Response(status_code=202)
