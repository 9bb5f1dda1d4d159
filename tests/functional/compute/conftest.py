"""Compute under test: a cloud with identity, placement, network, image and compute on a
free port (two simulated hosts), an image to boot, a network for the demo project, and an
``api`` helper for exact statuses, headers and bodies."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud

SERVICES = ("identity", "placement", "network", "image", "compute")


@pytest.fixture(scope="package")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("compute"), services=SERVICES) as c:
        yield c


@pytest.fixture(scope="package")
def admin(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus-admin")


@pytest.fixture(scope="package")
def demo(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus")


@pytest.fixture(scope="package")
def image(admin: Any) -> Any:
    img = admin.image.create_image(
        name="cirros-test",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        data=b"\0" * 4096,
    )
    return admin.image.get_image(img.id)


@pytest.fixture(scope="package")
def network(demo: Any) -> Any:
    net = demo.network.create_network(name="compute-net")
    demo.network.create_subnet(network_id=net.id, cidr="10.20.0.0/24", ip_version=4)
    return net


Api = Callable[..., httpx.Response]


@dataclass
class Caller:
    cloud: RunningCloud
    token: str

    def __call__(
        self, method: str, path: str, *, version: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return httpx.request(
            method, f"{self.cloud.url}/compute/v2.1{path}", headers=headers, timeout=60, **kw
        )


@pytest.fixture(scope="package")
def admin_api(cloud: RunningCloud, admin: Any) -> Caller:
    return Caller(cloud, admin.auth_token)


@pytest.fixture(scope="package")
def demo_api(cloud: RunningCloud, demo: Any) -> Caller:
    return Caller(cloud, demo.auth_token)
