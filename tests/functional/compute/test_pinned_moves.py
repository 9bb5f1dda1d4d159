"""Moves of pinned guests: the source host's exact pins stay held (by the migration, as nova's
source resource tracker keeps them) until the move is confirmed; a revert or a failed move
gives them back to the instance and frees the destination's."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES, Caller

# Two hosts of 2 sockets x 8 cores x 2 threads, every CPU dedicated, one NUMA cell a socket.
SHAPE = {
    "sockets": 2,
    "cores": 8,
    "threads": 2,
    "memory_mb": 65536,
    "cpu_dedicated_set": "0-31",
    "cpu_shared_set": "",
}
WHOLE_HOST = {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    compute = {"fake_hosts": 2, "host": SHAPE, "reserved_host_memory_mb": 0}
    with running_cloud(
        tmp_path_factory.mktemp("pinned-moves"), services=SERVICES, compute=compute
    ) as c:
        yield c


@pytest.fixture(scope="module")
def api(cloud: RunningCloud) -> Caller:
    admin = cloud.connection("stratus-admin")
    caller = Caller(cloud, admin.auth_token)
    unlimited = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
    assert caller("PUT", f"/os-quota-sets/{admin.current_project_id}", json=unlimited).is_success
    return caller


@pytest.fixture(scope="module")
def image_id(cloud: RunningCloud) -> str:
    img = cloud.connection("stratus-admin").image.create_image(
        name="pin-img", disk_format="raw", container_format="bare", data=b"\0" * 512
    )
    return str(img.id)


def _flavor(api: Caller, name: str, ram: int) -> str:
    body = {"flavor": {"name": name, "ram": ram, "vcpus": 32, "disk": 1}}
    flavor_id = str(api("POST", "/flavors", json=body).json()["flavor"]["id"])
    specs = {"extra_specs": WHOLE_HOST}
    assert api("POST", f"/flavors/{flavor_id}/os-extra_specs", json=specs).status_code == 200
    return flavor_id


@pytest.fixture(scope="module")
def flavors(api: Caller) -> tuple[str, str]:
    return _flavor(api, "whole-a", 1024), _flavor(api, "whole-b", 2048)


def _show(api: Caller, sid: str) -> dict[str, Any]:
    server: dict[str, Any] = api("GET", f"/servers/{sid}", version="2.88").json()["server"]
    return server


def _settle(api: Caller, sid: str) -> dict[str, Any]:
    for _ in range(1200):
        server = _show(api, sid)
        if (
            server["status"] in ("ACTIVE", "ERROR", "VERIFY_RESIZE")
            and server["OS-EXT-STS:task_state"] is None
        ):
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {sid} never settled")


def _boot(api: Caller, image_id: str, flavor_id: str, name: str) -> dict[str, Any]:
    body = {"server": {"name": name, "imageRef": image_id, "flavorRef": flavor_id}}
    body["server"]["networks"] = "none"
    resp = api("POST", "/servers", json=body, version="2.37")
    assert resp.status_code == 202, resp.text
    return _settle(api, resp.json()["server"]["id"])


def _delete(api: Caller, sid: str) -> None:
    api("DELETE", f"/servers/{sid}")
    for _ in range(600):
        if api("GET", f"/servers/{sid}").status_code == 404:
            return
        time.sleep(0.05)


def _pins(api: Caller, sid: str) -> list[tuple[int, set[int]]]:
    cells = api("GET", f"/servers/{sid}/diagnostics").json()["numa_topology"]["cells"]
    return [(c["host_cell"], set(c["cpu_pinning"].values())) for c in cells]


def _act(api: Caller, sid: str, body: dict[str, Any]) -> int:
    return api("POST", f"/servers/{sid}/action", json=body, version="2.56").status_code


def _fits_a_whole_host(api: Caller, image_id: str, flavor_id: str) -> str | None:
    """The host a new whole-host pinned guest lands on (None: no valid host)."""
    probe = _boot(api, image_id, flavor_id, "probe")
    host = probe["OS-EXT-SRV-ATTR:host"] if probe["status"] == "ACTIVE" else None
    _delete(api, probe["id"])
    return host


def test_revert_gives_the_source_pins_back(
    api: Caller, image_id: str, flavors: tuple[str, str]
) -> None:
    small, big = flavors
    guest = _boot(api, image_id, small, "mover")
    assert guest["status"] == "ACTIVE", guest.get("fault")
    sid, source = guest["id"], guest["OS-EXT-SRV-ATTR:host"]
    pins = _pins(api, sid)
    assert _act(api, sid, {"resize": {"flavorRef": big}}) == 202
    resized = _settle(api, sid)
    assert resized["status"] == "VERIFY_RESIZE" and resized["OS-EXT-SRV-ATTR:host"] != source
    # Both hosts are taken while the resize waits for confirmation.
    assert _fits_a_whole_host(api, image_id, small) is None
    assert _act(api, sid, {"revertResize": None}) == 202
    back = _settle(api, sid)
    assert back["status"] == "ACTIVE" and back["OS-EXT-SRV-ATTR:host"] == source
    assert _pins(api, sid) == pins
    # The destination's pins were given back, the source's are the guest's again.
    dest = resized["OS-EXT-SRV-ATTR:host"]
    assert _fits_a_whole_host(api, image_id, small) == dest
    _delete(api, sid)


def test_failed_migration_keeps_the_source_pins(
    cloud: RunningCloud, api: Caller, image_id: str, flavors: tuple[str, str]
) -> None:
    small, _ = flavors
    guest = _boot(api, image_id, small, "unlucky")
    sid, source = guest["id"], guest["OS-EXT-SRV-ATTR:host"]
    pins = _pins(api, sid)
    driver = cloud.cloud.runtime.clients["compute.services"].servers.driver
    driver.inject_failure("finish_migration")
    try:
        assert _act(api, sid, {"migrate": None}) == 202
        back = _settle(api, sid)
    finally:
        driver.clear_failures()
    assert back["status"] == "ACTIVE" and back["OS-EXT-SRV-ATTR:host"] == source
    assert _pins(api, sid) == pins
    # Only the other host is free: the failed destination's pins did not stay taken.
    other = _fits_a_whole_host(api, image_id, small)
    assert other is not None and other != source
    _delete(api, sid)


def test_confirm_frees_the_source(api: Caller, image_id: str, flavors: tuple[str, str]) -> None:
    small, _ = flavors
    guest = _boot(api, image_id, small, "confirmed")
    sid, source = guest["id"], guest["OS-EXT-SRV-ATTR:host"]
    assert _act(api, sid, {"migrate": None}) == 202
    assert _settle(api, sid)["status"] == "VERIFY_RESIZE"
    assert _act(api, sid, {"confirmResize": None}) == 204
    done = _settle(api, sid)
    assert done["status"] == "ACTIVE" and done["OS-EXT-SRV-ATTR:host"] != source
    assert _fits_a_whole_host(api, image_id, small) == source
    _delete(api, sid)
