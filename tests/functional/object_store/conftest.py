"""In-process object storage for tests: a real database and data dir, tokens resolved by a
stub validator (three personas in three projects), driven over ASGI with httpx."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.conftest import postgres_database, postgres_reachable
from tests.functional.stub_identity import PERSONAS as BASE_PERSONAS
from tests.functional.stub_identity import StubValidator, persona, upgrade_branches

from stratus.api.auth import CachingValidator
from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.bus.inproc import InProcBus
from stratus.conf.settings import load_settings
from stratus.db import Database
from stratus.services.object_store.spec import SPEC

PERSONAS = {
    **BASE_PERSONAS,
    "reseller": persona("ops", "ops", ("ResellerAdmin",)),
}


@dataclass
class Clients:
    admin: httpx.AsyncClient
    demo: httpx.AsyncClient
    alt: httpx.AsyncClient
    reader: httpx.AsyncClient
    reseller: httpx.AsyncClient
    anon: httpx.AsyncClient
    data_dir: Path
    runtime: Runtime


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """Each test on SQLite, and on PostgreSQL when one is reachable."""
    if request.param == "sqlite":
        yield None
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


@contextlib.asynccontextmanager
async def swift_clients(
    tmp_path: Path, db_url: str | None, **settings: Any
) -> AsyncIterator[Clients]:
    """The object storage app with its personas' clients; ``settings`` go to load_settings."""
    conf = load_settings(data_dir=tmp_path, db_url=db_url, services=("object-store",), **settings)
    db = Database(conf.database_url)
    runtime = Runtime(
        settings=conf,
        db=db,
        bus=InProcBus(),
        policy=PolicyEngine(),
        validator=CachingValidator(StubValidator(PERSONAS), ttl=0),
    )
    await upgrade_branches(db, ("quota@head", "object_store@head"))
    app = Starlette(routes=[Mount(SPEC.mount, app=SPEC.build(runtime))])
    transport = httpx.ASGITransport(app=app)

    def client(token: str | None) -> httpx.AsyncClient:
        headers = {"X-Auth-Token": token} if token else {}
        return httpx.AsyncClient(
            transport=transport, base_url="http://stratus/object-store", headers=headers
        )

    clients = Clients(
        admin=client("admin"),
        demo=client("demo"),
        alt=client("alt"),
        reader=client("reader"),
        reseller=client("reseller"),
        anon=client(None),
        data_dir=tmp_path,
        runtime=runtime,
    )
    try:
        yield clients
    finally:
        for c in (
            clients.admin,
            clients.demo,
            clients.alt,
            clients.reader,
            clients.reseller,
            clients.anon,
        ):
            await c.aclose()
        await db.dispose()


@pytest.fixture
async def swift_api(tmp_path: Path, db_url: str | None) -> AsyncIterator[Clients]:
    async with swift_clients(tmp_path, db_url) as clients:
        yield clients
