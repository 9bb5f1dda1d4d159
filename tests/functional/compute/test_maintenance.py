"""Host maintenance, the operator's story: three simulated hosts, thirty servers (anti-affinity
and affinity groups among them); `stratus host drain compute-0` disables the host and moves
every server that may move, keeping every group rule, and names the ones that cannot move
and why. Then a host whose agent stops heartbeating goes down after service_down_time and its
servers are evacuated. Placement matches the servers on every host throughout."""

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES

STRATUS = str(Path(sys.executable).parent / "stratus")


@pytest.fixture(scope="module")
def cloud3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(
        tmp_path_factory.mktemp("maint"),
        services=SERVICES,
        compute={"fake_hosts": 3, "service_down_time": 3},
    ) as c:
        yield c


class Api:
    def __init__(self, cloud: RunningCloud) -> None:
        self.cloud = cloud
        self.conn = cloud.connection("stratus-admin")
        self.token = self.conn.auth_token

    def __call__(self, method: str, path: str, version: str = "2.88", **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": self.token, "OpenStack-API-Version": f"compute {version}"}
        return httpx.request(
            method, f"{self.cloud.url}/compute/v2.1{path}", headers=headers, timeout=60, **kw
        )

    def server(self, sid: str) -> dict[str, Any]:
        body: dict[str, Any] = self(method="GET", path=f"/servers/{sid}").json()["server"]
        return body

    def wait(self, sid: str, *statuses: str) -> dict[str, Any]:
        for _ in range(1200):
            server = self.server(sid)
            if server["status"] in statuses and server["OS-EXT-STS:task_state"] is None:
                return server
            time.sleep(0.05)
        raise AssertionError(f"{sid} never reached {statuses}: {server}")


def _usage_matches_servers(api: Api) -> None:
    """Placement usages on each host == the flavors of the servers the API puts there."""
    hvs = api("GET", "/os-hypervisors/detail", "2.53").json()["hypervisors"]
    servers = api("GET", "/servers/detail?all_tenants=1").json()["servers"]
    for hv in hvs:
        name = hv["hypervisor_hostname"]
        here = [s for s in servers if s["OS-EXT-SRV-ATTR:host"] == name]
        usages = api.conn.placement.get(f"/resource_providers/{hv['id']}/usages").json()["usages"]
        assert usages.get("MEMORY_MB", 0) == sum(s["flavor"]["ram"] for s in here), name
        assert usages.get("VCPU", 0) == sum(s["flavor"]["vcpus"] for s in here), name


def test_drain_keeps_group_rules_and_reports_what_cannot_move(cloud3: RunningCloud) -> None:
    api = Api(cloud3)
    project = api.conn.current_project_id
    quota = {
        "quota_set": {"instances": 60, "cores": 200, "ram": 512000, "server_group_members": 20}
    }
    assert api("PUT", f"/os-quota-sets/{project}", json=quota).status_code == 200
    image = api.conn.image.create_image(
        name="maint-img", disk_format="raw", container_format="bare", data=b"\0" * 1024
    )

    def group(policy: str) -> str:
        body = {"server_group": {"name": f"g-{policy}", "policy": policy}}
        return str(api("POST", "/os-server-groups", json=body).json()["server_group"]["id"])

    def boot(host: str, name: str, group_id: str | None = None) -> str:
        body: dict[str, Any] = {
            "server": {
                "name": name,
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
                "availability_zone": f"nova:{host}",
            }
        }
        if group_id:
            body["os:scheduler_hints"] = {"group": group_id}
        resp = api("POST", "/servers", json=body)
        assert resp.status_code == 202, resp.text
        return str(resp.json()["server"]["id"])

    g3, g1, g2, aff = (
        group("anti-affinity"),
        group("anti-affinity"),
        group("anti-affinity"),
        group("affinity"),
    )
    layout = [
        ("compute-0", "g3-a", g3),
        ("compute-1", "g3-b", g3),
        ("compute-2", "g3-c", g3),
        ("compute-0", "g1-a", g1),
        ("compute-1", "g1-b", g1),
        ("compute-0", "g2-a", g2),
        ("compute-2", "g2-b", g2),
        ("compute-0", "aff-a", aff),
        ("compute-0", "aff-b", aff),
    ]
    layout += [("compute-0", f"plain-0-{i}", None) for i in range(12)]
    layout += [("compute-1", f"plain-1-{i}", None) for i in range(5)]
    layout += [("compute-2", f"plain-2-{i}", None) for i in range(4)]
    assert len(layout) == 30
    ids = {name: boot(host, name, gid) for host, name, gid in layout}
    for sid in ids.values():
        api.wait(sid, "ACTIVE")
    assert (
        api("POST", f"/servers/{ids['plain-0-0']}/action", json={"os-stop": None}).status_code
        == 202
    )
    api.wait(ids["plain-0-0"], "SHUTOFF")
    _usage_matches_servers(api)

    out = subprocess.run(
        [STRATUS, "host", "drain", "compute-0"],
        env=cloud3.env("stratus-admin"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 2, out.stdout + out.stderr
    not_moved = {
        line.split()[2].rstrip(":"): line
        for line in out.stdout.splitlines()
        if line.startswith("NOT")
    }
    # The anti-affinity member with a sibling on each other host, and both affinity members
    # (their group lives on the drained host) cannot move; the scheduler says why.
    assert set(not_moved) == {ids["g3-a"], ids["aff-a"], ids["aff-b"]}
    assert all("No valid host" in line for line in not_moved.values())
    assert "14 moved, 3 could not move" in out.stdout
    hosts = {name: api.server(sid)["OS-EXT-SRV-ATTR:host"] for name, sid in ids.items()}
    on_0 = sorted(n for n, h in hosts.items() if h == "compute-0")
    assert on_0 == ["aff-a", "aff-b", "g3-a"]
    for prefix in ("g3", "g1", "g2"):
        members = [h for n, h in hosts.items() if n.startswith(prefix + "-")]
        assert len(set(members)) == len(members), (prefix, members)
    assert hosts["g1-a"] == "compute-2" and hosts["g2-a"] == "compute-1"
    stopped = api.wait(ids["plain-0-0"], "SHUTOFF")
    assert stopped["OS-EXT-SRV-ATTR:host"] != "compute-0"
    # The drained host is disabled: no new placements land there.
    services = api("GET", "/os-services?binary=nova-compute", "2.53").json()["services"]
    svc0 = next(s for s in services if s["host"] == "compute-0")
    assert svc0["status"] == "disabled" and svc0["disabled_reason"] == "stratus host drain"
    body = {"server": {"name": "new", "imageRef": image.id, "flavorRef": "1", "networks": "none"}}
    fresh = api("POST", "/servers", json=body).json()["server"]["id"]
    assert api.wait(fresh, "ACTIVE")["OS-EXT-SRV-ATTR:host"] != "compute-0"
    moves = api("GET", "/os-migrations?host=compute-0", "2.59").json()["migrations"]
    kinds = Counter((m["migration_type"], m["status"]) for m in moves)
    assert kinds[("live-migration", "completed")] == 13
    assert kinds[("migration", "confirmed")] == 1
    _usage_matches_servers(api)


def test_a_silent_host_goes_down_and_is_evacuated(cloud3: RunningCloud) -> None:
    api = Api(cloud3)
    services = api("GET", "/os-services?binary=nova-compute", "2.53").json()["services"]
    svc0 = next(s for s in services if s["host"] == "compute-0")
    assert (
        api("PUT", f"/os-services/{svc0['id']}", "2.53", json={"status": "enabled"}).status_code
        == 200
    )
    fake = cloud3.cloud.runtime.clients["compute.services"].servers.driver
    servers = api("GET", "/servers/detail?all_tenants=1&host=compute-2").json()["servers"]
    plain = [s["id"] for s in servers if s["name"].startswith("plain-")]
    assert plain
    fake.stop_agent("compute-2")
    try:
        for _ in range(400):
            services = api("GET", "/os-services?binary=nova-compute", "2.53").json()["services"]
            state = {s["host"]: s["state"] for s in services}
            if state["compute-2"] == "down":
                break
            time.sleep(0.05)
        assert state == {"compute-0": "up", "compute-1": "up", "compute-2": "down"}
        # A down host gets nothing new, and its servers can be rebuilt elsewhere.
        for sid in plain:
            resp = api("POST", f"/servers/{sid}/action", "2.68", json={"evacuate": {}})
            assert resp.status_code == 200, resp.text
        for sid in plain:
            # Rebuilt elsewhere in the state it had (a stopped server stays stopped).
            rebuilt = api.wait(sid, "ACTIVE", "SHUTOFF")
            assert rebuilt["OS-EXT-SRV-ATTR:host"] in ("compute-0", "compute-1")
        _usage_matches_servers(api)
    finally:
        fake.start_agent("compute-2")
