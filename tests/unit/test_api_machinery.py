"""Shared HTTP machinery: request ids, body limits, error bodies, paging helpers, validation."""

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from stratus.api.body import parse
from stratus.api.errors import compute_error, identity_error, network_error, placement_error
from stratus.api.microversion import MicroversionPolicy, Version
from stratus.api.paging import fields, limit_marker, next_href, sort_keys
from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.api.service import make_service_app
from stratus.bus.inproc import InProcBus
from stratus.conf import load_settings
from stratus.db import Database
from stratus.kit.errors import BadRequest, Conflict, NotFound


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int = 1


router = APIRouter()


@router.post("/things")
async def create_thing(request: Request) -> dict[str, object]:
    thing = await parse(request, Thing)
    return {"thing": thing.model_dump()}


@router.get("/things/{thing_id}")
async def get_thing(thing_id: str) -> dict[str, object]:
    if thing_id == "busy":
        raise Conflict("Thing busy is in use.")
    raise NotFound(f"Thing {thing_id} could not be found.")


@router.get("/page")
async def page(request: Request) -> dict[str, object]:
    limit, marker = limit_marker(request)
    return {
        "limit": limit,
        "marker": marker,
        "sort": sort_keys(request, ["id", "name"]),
        "fields": sorted(fields(request) or []),
        "next": next_href(request, "http://x", "m2"),
    }


def client(formatter, tmp_path) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path)
    runtime = Runtime(
        settings=settings,
        db=Database("sqlite+aiosqlite://"),
        bus=InProcBus(),
        policy=PolicyEngine(),
    )
    app = make_service_app(
        runtime=runtime,
        routers=[router],
        formatter=formatter,
        microversion=MicroversionPolicy("compute", Version(2, 1), Version(2, 5)),
        body_limit=1000,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_errors_in_each_services_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with client(identity_error, tmp_path) as c:
        resp = await c.get("/things/x")
        assert resp.status_code == 404
        assert resp.json() == {
            "error": {"code": 404, "title": "Not Found", "message": "Thing x could not be found."}
        }
        assert resp.headers["x-openstack-request-id"].startswith("req-")
    async with client(compute_error, tmp_path) as c:
        assert (await c.get("/things/busy")).json() == {
            "conflictingRequest": {"code": 409, "message": "Thing busy is in use."}
        }
    async with client(network_error, tmp_path) as c:
        body = (await c.get("/things/x")).json()
        assert body["NeutronError"]["type"] == "NotFound"
    async with client(placement_error, tmp_path) as c:
        resp = await c.get("/things/x")
        error = resp.json()["errors"][0]
        assert error["status"] == 404 and error["code"] == "placement.undefined_code"
        assert error["request_id"] == resp.headers["x-openstack-request-id"]


async def test_validation_is_400_naming_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with client(identity_error, tmp_path) as c:
        assert (await c.post("/things", json={"name": "a"})).status_code == 200
        bad_type = await c.post("/things", json={"name": "a", "size": "big"})
        assert bad_type.status_code == 400
        assert "'size'" in bad_type.json()["error"]["message"]
        missing = await c.post("/things", json={})
        assert "'name'" in missing.json()["error"]["message"]
        extra = await c.post("/things", json={"name": "a", "colour": "red"})
        assert extra.status_code == 400 and "colour" in extra.json()["error"]["message"]
        broken = await c.post(
            "/things", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400


async def test_body_limit_and_unknown_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with client(compute_error, tmp_path) as c:
        big = await c.post("/things", json={"name": "x" * 5000})
        assert big.status_code == 413
        assert big.json()["overLimit"]["code"] == 413
        unknown = await c.get("/nowhere")
        assert unknown.status_code == 404
        assert "itemNotFound" in unknown.json()
        wrong_method = await c.delete("/things")
        assert wrong_method.status_code == 405


async def test_paging_helpers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with client(identity_error, tmp_path) as c:
        body = (
            await c.get("/page?limit=5&marker=m1&sort_key=name&sort_dir=desc&fields=id&fields=name")
        ).json()
        assert body["limit"] == 5 and body["marker"] == "m1"
        assert body["sort"] == [["name", "desc"]]
        assert body["fields"] == ["id", "name"]
        assert body["next"].startswith("http://x/page?") and "marker=m2" in body["next"]
        assert "marker=m1" not in body["next"]
        assert (await c.get("/page?limit=-1")).status_code == 400
        assert (await c.get("/page?limit=abc")).status_code == 400
        assert (await c.get("/page?sort_key=secret")).status_code == 400


def test_domain_errors_carry_status() -> None:
    assert BadRequest.status == 400 and NotFound.status == 404 and Conflict.status == 409
    with pytest.raises(NotFound):
        raise NotFound("x")
