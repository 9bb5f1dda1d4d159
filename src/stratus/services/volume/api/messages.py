"""User messages (3.3): list (paged and filtered from 3.5), show, delete."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.services.volume import repository as repo
from stratus.services.volume.api.common import (
    listing,
    reply,
    require,
    services,
    version,
    viewer,
)
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.views import message_view

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("event_id", "resource_type", "resource_uuid", "message_level", "request_id")


@router.get("/messages")
async def list_messages(project_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.3")
    if version(ctx).at_least("3.5"):
        query = listing(request, ctx, "messages", filters=_FILTERS)
    else:
        query = repo.Listing(project_id=None if ctx.is_admin else ctx.project_id)
    if (
        ctx.is_admin
        and query.project_id == ctx.project_id
        and "project_id" not in request.query_params
    ):
        # cinder shows an admin every project's messages
        query.project_id = None
    rows = await services(request).messages.list_messages(ctx, query)
    v = viewer(request, ctx, project_id)
    body: dict[str, Any] = {"messages": [message_view(m, v) for m in rows]}
    if query.limit and len(rows) == query.limit:
        body["messages_links"] = _next_link(request, v, "messages", rows[-1].id)
    return reply(body)


@router.get("/messages/{message_id}")
async def get_message(project_id: str, message_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.3")
    row = await services(request).messages.get(ctx, message_id)
    return reply({"message": message_view(row, viewer(request, ctx, project_id))})


@router.delete("/messages/{message_id}")
async def delete_message(message_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.3")
    await services(request).messages.delete(ctx, message_id)
    return Response(status_code=204)
