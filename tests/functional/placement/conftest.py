"""The placement suite runs on SQLite and on PostgreSQL (skipped when unreachable)."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.conftest import postgres_database, postgres_reachable
from tests.functional.identity.helpers import admin_token


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCloud]:
    data_dir = tmp_path_factory.mktemp(f"placement-{request.param}")
    services = ("identity", "placement")
    if request.param == "sqlite":
        with running_cloud(data_dir, services=services) as c:
            yield c
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url, running_cloud(data_dir, db_url=url, services=services) as c:
        yield c


@pytest.fixture(scope="session")
def token(cloud: RunningCloud) -> str:
    return admin_token(cloud)


Api = Callable[..., httpx.Response]


@pytest.fixture(scope="session")
def api(cloud: RunningCloud, token: str) -> Api:
    """``api(method, path, version="1.39", **httpx kwargs)`` against /placement."""
    client = httpx.Client(base_url=f"{cloud.url}/placement", timeout=60)

    def call(method: str, path: str, *, version: str = "1.39", **kw: Any) -> httpx.Response:
        headers = {"x-auth-token": token, "openstack-api-version": f"placement {version}"}
        headers.update(kw.pop("headers", {}))
        return client.request(method, path, headers=headers, **kw)

    return call


@pytest.fixture(scope="session")
def admin(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus-admin")
