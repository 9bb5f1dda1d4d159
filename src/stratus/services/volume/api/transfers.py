"""Volume transfers: /os-volume-transfer (v2 style) and /volume-transfers (3.55+)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.services.volume.api.common import (
    accepted,
    body_of,
    flag,
    reply,
    require,
    services,
    version,
    viewer,
)
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.views import transfer_view
from stratus.services.volume.volume import parse_bool

router = APIRouter(prefix="/v3/{project_id}")


def _collection(request: Request) -> str:
    return "volume-transfers" if "/volume-transfers" in request.url.path else "os-volume-transfer"


def _check(request: Request, ctx: Ctx) -> None:
    if _collection(request) == "volume-transfers":
        require(ctx, "3.55")


async def _list(project_id: str, request: Request, ctx: Ctx, *, detail: bool) -> Response:
    _check(request, ctx)
    rows = await services(request).transfers.list_transfers(
        ctx, ctx.is_admin and flag(request, "all_tenants")
    )
    v = viewer(request, ctx, project_id)
    coll = _collection(request)
    return reply({"transfers": [transfer_view(t, v, detail=detail, collection=coll) for t in rows]})


for _prefix in ("/os-volume-transfer", "/volume-transfers"):

    @router.get(_prefix)
    async def list_transfers(project_id: str, request: Request, ctx: Ctx) -> Response:
        return await _list(project_id, request, ctx, detail=False)

    @router.get(_prefix + "/detail")
    async def list_transfers_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
        return await _list(project_id, request, ctx, detail=True)

    @router.post(_prefix)
    async def create_transfer(project_id: str, request: Request, ctx: Ctx) -> Response:
        _check(request, ctx)
        body = await body_of(request, "transfer")
        volume_id = body.get("volume_id")
        if not isinstance(volume_id, str) or not volume_id:
            raise InvalidInput("Incorrect request body format: volume_id is required.")
        no_snapshots = False
        if _collection(request) == "volume-transfers":
            no_snapshots = parse_bool(body.get("no_snapshots", False), "no_snapshots")
        row, key = await services(request).transfers.create(
            ctx,
            volume_id,
            body.get("name"),
            no_snapshots=no_snapshots,
            allow_encrypted=version(ctx).at_least("3.70"),
        )
        out: dict[str, Any] = transfer_view(
            row, viewer(request, ctx, project_id), detail=True, collection=_collection(request)
        )
        out["auth_key"] = key
        return reply({"transfer": out}, 202)

    @router.get(_prefix + "/{transfer_id}")
    async def get_transfer(
        project_id: str, transfer_id: str, request: Request, ctx: Ctx
    ) -> Response:
        _check(request, ctx)
        row = await services(request).transfers.get(ctx, transfer_id)
        v = viewer(request, ctx, project_id)
        return reply(
            {"transfer": transfer_view(row, v, detail=True, collection=_collection(request))}
        )

    @router.delete(_prefix + "/{transfer_id}")
    async def delete_transfer(transfer_id: str, request: Request, ctx: Ctx) -> Response:
        _check(request, ctx)
        await services(request).transfers.delete(ctx, transfer_id)
        return accepted()

    @router.post(_prefix + "/{transfer_id}/accept")
    async def accept_transfer(
        project_id: str, transfer_id: str, request: Request, ctx: Ctx
    ) -> Response:
        _check(request, ctx)
        body = await body_of(request, "accept")
        row = await services(request).transfers.accept(ctx, transfer_id, body.get("auth_key"))
        v = viewer(request, ctx, project_id)
        return reply(
            {"transfer": transfer_view(row, v, detail=False, collection=_collection(request))}, 202
        )
