"""``networks: "auto"`` (2.37+) with no network to pick: compute asks the network service for
the project's auto-allocated topology, once, and every server of the request lands on it."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES, Caller


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("auto-net"), services=SERVICES) as c:
        yield c


def _active(api: Caller, server_id: str) -> dict[str, Any]:
    for _ in range(600):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}").json()["server"]
        if server["status"] in ("ACTIVE", "ERROR"):
            assert server["status"] == "ACTIVE", server.get("fault")
            return server
        time.sleep(0.05)
    raise AssertionError(f"{server_id} never became ACTIVE")


def test_auto_allocated_network(bare: RunningCloud) -> None:
    admin, demo = bare.connection("stratus-admin"), bare.connection("stratus")
    api = Caller(bare, demo.auth_token)
    image = admin.image.create_image(
        name="auto-img", disk_format="raw", container_format="bare", visibility="public",
        data=b"\0" * 512,
    )  # fmt: skip
    body = {"server": {"name": "auto", "imageRef": image.id, "flavorRef": "1",
                       "networks": "auto", "min_count": 3}}  # fmt: skip
    # No default external network or subnet pool yet: nothing to allocate from.
    resp = api("POST", "/servers", json=body, version="2.37")
    assert resp.status_code == 400
    assert "Unable to automatically allocate a network" in resp.json()["badRequest"]["message"]

    public = admin.network.create_network(name="public", is_router_external=True, is_default=True)
    admin.network.create_subnet(network_id=public.id, cidr="172.25.0.0/24", ip_version=4)
    admin.network.create_subnet_pool(
        name="default-v4",
        prefixes=["10.100.0.0/16"],
        default_prefix_length=26,
        is_default=True,
        is_shared=True,
    )
    resp = api("POST", "/servers", json={"server": {**body["server"], "return_reservation_id": True}},
               version="2.37")  # fmt: skip
    assert resp.status_code == 202, resp.text
    reservation = resp.json()["reservation_id"]
    listed = api("GET", f"/servers?reservation_id={reservation}").json()["servers"]
    assert len(listed) == 3
    nets = set()
    for entry in listed:
        server = _active(api, entry["id"])
        (name,) = server["addresses"]
        nets.add(name)
    assert nets == {"auto_allocated_network"}
    # the project now owns exactly one network, which the next "auto" boot picks
    own = [n for n in demo.network.networks(project_id=demo.current_project_id)]
    assert [n.name for n in own] == ["auto_allocated_network"]
