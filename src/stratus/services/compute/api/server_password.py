"""``os-server-password``: the encrypted password a guest posted through the metadata
service, shown to the server's project and cleared by it."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import NotImplementedYet
from stratus.services.compute import policies
from stratus.services.compute.api.common import no_content, reply, services
from stratus.services.compute.metadata.service import MetadataService

router = APIRouter(prefix="/v2.1")


def _metadata(request: Request) -> MetadataService:
    metadata = services(request).metadata
    if metadata is None:
        raise NotImplementedYet("The metadata service is not enabled.")
    return metadata


@router.get("/servers/{server_id}/os-server-password")
async def get_server_password(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.PASSWORD_SHOW, {"project_id": inst.project_id, "user_id": inst.user_id})
    return reply({"password": await _metadata(request).password(inst.uuid)})


@router.delete("/servers/{server_id}/os-server-password")
async def clear_server_password(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.PASSWORD_CLEAR, {"project_id": inst.project_id, "user_id": inst.user_id})
    await _metadata(request).clear_password(inst.uuid)
    return no_content(204)
