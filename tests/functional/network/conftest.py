"""Network service under test, two ways: in-process over ASGI (personas in three projects,
tokens resolved by a stub validator; SQLite and PostgreSQL), and the whole cloud over real
HTTP for openstacksdk and the ``openstack`` CLI."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from alembic import command
from sqlalchemy.engine import Connection
from starlette.applications import Starlette
from starlette.routing import Mount

from stratus.api.auth import AuthInfo, CachingValidator
from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.bus.inproc import InProcBus
from stratus.conf.settings import load_settings
from stratus.db import Database
from stratus.db.migrate import alembic_config
from stratus.services.network import spec as network_spec
from stratus.testing import RunningCloud, running_cloud
from tests.conftest import postgres_database, postgres_reachable


def _persona(name: str, roles: tuple[str, ...], project: str) -> AuthInfo:
    return AuthInfo(
        user_id=f"u-{name}",
        user_name=name,
        user_domain_id="default",
        user_domain_name="Default",
        roles=roles,
        project_id=project,
        project_name=project,
    )


PERSONAS = {
    "admin": _persona("admin", ("admin", "member", "reader"), "p-admin"),
    "demo": _persona("demo", ("member", "reader"), "p-demo"),
    "alt": _persona("alt", ("member", "reader"), "p-alt"),
    "reader": _persona("reader", ("reader",), "p-demo"),
}


class StubValidator:
    async def validate(self, token: str) -> AuthInfo:
        from stratus.kit.errors import NotFound

        try:
            return PERSONAS[token]
        except KeyError:
            raise NotFound("token") from None


async def upgrade_branches(db: Database, targets: tuple[str, ...]) -> None:
    cfg = alembic_config(db.url)

    def _run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        for target in targets:
            command.upgrade(cfg, target)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


@dataclass
class Net:
    admin: httpx.AsyncClient
    demo: httpx.AsyncClient
    alt: httpx.AsyncClient
    reader: httpx.AsyncClient
    anon: httpx.AsyncClient
    runtime: Runtime

    @property
    def services(self) -> Any:
        return self.runtime.clients["network.services"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (SQLite in the data dir) or a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


@pytest_asyncio.fixture(loop_scope="function")
async def net(db_url: str | None, tmp_path: Path) -> AsyncIterator[Net]:
    settings = load_settings(data_dir=tmp_path, services=("network",), db_url=db_url)
    db = Database(settings.database_url)
    runtime = Runtime(
        settings=settings,
        db=db,
        bus=InProcBus(),
        policy=PolicyEngine(),
        validator=CachingValidator(StubValidator(), ttl=0),
    )
    await upgrade_branches(db, ("quota@head", "network@head"))
    spec = network_spec.SPEC
    app = Starlette(routes=[Mount(spec.mount, app=spec.build(runtime))])
    assert spec.bootstrap is not None
    await spec.bootstrap(runtime)
    transport = httpx.ASGITransport(app=app)

    def client(token: str | None) -> httpx.AsyncClient:
        headers = {"X-Auth-Token": token} if token else {}
        return httpx.AsyncClient(
            transport=transport, base_url="http://stratus/network", headers=headers
        )

    clients = Net(
        client("admin"), client("demo"), client("alt"), client("reader"), client(None), runtime
    )
    yield clients
    for c in (clients.admin, clients.demo, clients.alt, clients.reader, clients.anon):
        await c.aclose()
    await db.dispose()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("network"), services=("identity", "network")) as c:
        yield c


@pytest.fixture(scope="module")
def admin_sdk(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus-admin")


@pytest.fixture(scope="module")
def demo_sdk(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus")
