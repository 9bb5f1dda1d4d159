"""Block storage under test: identity, image, object storage and block storage on a free
port (the ``file`` backend in the test's data dir), openstacksdk connections, and an ``api``
helper for exact statuses and bodies."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.conftest import postgres_database, postgres_reachable

SERVICES = ("identity", "image", "object-store", "block-storage")


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCloud]:
    data_dir = tmp_path_factory.mktemp(f"volume-{request.param}")
    if request.param == "sqlite":
        with running_cloud(data_dir, services=SERVICES) as c:
            yield c
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url, running_cloud(data_dir, db_url=url, services=SERVICES) as c:
        yield c


@pytest.fixture(scope="package")
def admin(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus-admin")


@pytest.fixture(scope="package")
def demo(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus")


@dataclass
class Caller:
    cloud: RunningCloud
    token: str
    project_id: str

    def __call__(
        self, method: str, path: str, *, version: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        if version:
            headers["OpenStack-API-Version"] = f"volume {version}"
        url = f"{self.cloud.url}/volume/v3/{self.project_id}{path}"
        return httpx.request(method, url, headers=headers, timeout=60, **kw)

    def wait(
        self,
        path: str,
        key: str,
        status: str | tuple[str, ...],
        *,
        timeout: float = 60,
        version: str | None = None,
    ) -> dict[str, Any]:
        """Poll until the resource reaches ``status`` (or is gone when status is 'deleted')."""
        wanted = (status,) if isinstance(status, str) else status
        deadline = time.monotonic() + timeout
        while True:
            resp = self("GET", path, version=version)
            if resp.status_code == 404 and "deleted" in wanted:
                return {}
            body: dict[str, Any] = resp.json().get(key, {}) if resp.status_code == 200 else {}
            if body.get("status") in wanted:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} stuck at {body.get('status')} ({resp.status_code})")
            time.sleep(0.05)


Api = Callable[..., httpx.Response]


@pytest.fixture(scope="package")
def admin_api(cloud: RunningCloud, admin: Any) -> Caller:
    return Caller(cloud, admin.auth_token, admin.current_project_id)


@pytest.fixture(scope="package")
def demo_api(cloud: RunningCloud, demo: Any) -> Caller:
    return Caller(cloud, demo.auth_token, demo.current_project_id)
