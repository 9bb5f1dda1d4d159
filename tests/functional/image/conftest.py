"""In-process image service for tests: a real database and data dir, tokens resolved by a
stub validator (three personas in three projects), driven over ASGI with httpx."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.conftest import postgres_database, postgres_reachable
from tests.functional.stub_identity import StubValidator, upgrade_branches

from stratus.api.auth import CachingValidator
from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.bus.inproc import InProcBus
from stratus.conf.settings import load_settings
from stratus.db import Database
from stratus.services.image.spec import SPEC


@dataclass
class Clients:
    admin: httpx.AsyncClient
    demo: httpx.AsyncClient
    alt: httpx.AsyncClient
    reader: httpx.AsyncClient
    anon: httpx.AsyncClient
    data_dir: Path
    runtime: Runtime
    app: Any = None  # the service's ASGI app (middleware around FastAPI)

    async def drain(self) -> None:
        """Wait for the service's background imports."""
        service = getattr(self.app.app.state, "images", None)
        if service is not None:
            await service.drain()


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


@pytest.fixture
async def image_api(tmp_path: Path, db_url: str | None) -> AsyncIterator[Clients]:
    settings = load_settings(data_dir=tmp_path, db_url=db_url, services=("image", "object-store"))
    db = Database(settings.database_url)
    runtime = Runtime(
        settings=settings,
        db=db,
        bus=InProcBus(),
        policy=PolicyEngine(),
        validator=CachingValidator(StubValidator(), ttl=0),
    )
    await upgrade_branches(db, ("quota@head", "image@head", "object_store@head"))
    service_app = SPEC.build(runtime)
    app = Starlette(routes=[Mount(SPEC.mount, app=service_app)])
    transport = httpx.ASGITransport(app=app)

    def client(token: str | None) -> httpx.AsyncClient:
        headers = {"X-Auth-Token": token} if token else {}
        return httpx.AsyncClient(
            transport=transport, base_url="http://stratus/image", headers=headers
        )

    clients = Clients(
        admin=client("admin"),
        demo=client("demo"),
        alt=client("alt"),
        reader=client("reader"),
        anon=client(None),
        data_dir=tmp_path,
        runtime=runtime,
        app=service_app,
    )
    yield clients
    await clients.drain()
    for c in (clients.admin, clients.demo, clients.alt, clients.reader, clients.anon):
        await c.aclose()
    await db.dispose()
