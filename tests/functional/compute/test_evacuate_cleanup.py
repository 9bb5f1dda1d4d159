"""A host that fails keeps its guests as they were; after they are evacuated elsewhere and
the host comes back, it destroys its stale copies (nova's clean-up at nova-compute start-up)
and the evacuations go from done to completed."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES, Caller


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    # A short service_down_time: a silent host is down (and a host back is up) within seconds.
    compute = {"fake_hosts": 2, "service_down_time": 4}
    with running_cloud(
        tmp_path_factory.mktemp("evacuate-cleanup"), services=SERVICES, compute=compute
    ) as c:
        yield c


@pytest.fixture(scope="module")
def api(cloud: RunningCloud) -> Caller:
    return Caller(cloud, cloud.connection("stratus-admin").auth_token)


def _until(probe: Any, what: str) -> Any:
    for _ in range(1200):
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _server(api: Caller, sid: str) -> dict[str, Any]:
    server: dict[str, Any] = api("GET", f"/servers/{sid}", version="2.88").json()["server"]
    return server


def _compute_state(api: Caller, host: str) -> str:
    services = api("GET", "/os-services", version="2.53").json()["services"]
    (svc,) = [s for s in services if s["host"] == host and s["binary"] == "nova-compute"]
    state: str = svc["state"]
    return state


def _evacuation(api: Caller, sid: str) -> dict[str, Any]:
    moves = api("GET", f"/os-migrations?instance_uuid={sid}", version="2.59").json()
    (evac,) = moves["migrations"]
    return dict(evac)


def test_a_host_back_destroys_its_evacuated_guests(cloud: RunningCloud, api: Caller) -> None:
    driver = cloud.cloud.runtime.clients["compute.services"].servers.driver
    image = cloud.connection("stratus-admin").image.create_image(
        name="evac-img", disk_format="raw", container_format="bare", data=b"\0" * 512
    )
    body = {"server": {"name": "evac", "imageRef": image.id, "flavorRef": "1", "networks": "none"}}
    sid = api("POST", "/servers", json=body, version="2.37").json()["server"]["id"]
    server = _until(
        lambda: (
            (s := _server(api, sid))["status"] == "ACTIVE"
            and s["OS-EXT-STS:task_state"] is None
            and s
        ),
        "server ACTIVE",
    )
    source = server["OS-EXT-SRV-ATTR:host"]
    # The host fails: no more heartbeats, its guest stays where it was.
    driver.stop_agent(source)
    try:
        _until(lambda: _compute_state(api, source) == "down", f"{source} down")
        resp = api("POST", f"/servers/{sid}/action", json={"evacuate": {}}, version="2.29")
        assert resp.status_code == 200, resp.text
        moved = _until(
            lambda: (s := _server(api, sid))["OS-EXT-STS:task_state"] is None and s,
            "evacuated",
        )
        dest = moved["OS-EXT-SRV-ATTR:host"]
        assert moved["status"] == "ACTIVE" and dest != source
        assert _evacuation(api, sid)["status"] == "done"
        # The failed host still holds its stale copy.
        assert sid in driver.instances_on(source) and sid in driver.instances_on(dest)
    finally:
        driver.start_agent(source)
    # Back up: the stale copy goes, the evacuated guest runs on.
    _until(lambda: _evacuation(api, sid)["status"] == "completed", "evacuation completed")
    assert sid not in driver.instances_on(source)
    assert sid in driver.instances_on(dest)
    assert _compute_state(api, source) == "up"
    shown = _server(api, sid)
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-STS:power_state"] == 1
