"""Placement consistency as a Hypothesis state machine: after any sequence of boots (shared
and pinned flavors, with and without ports), failed boots (nothing fits; a port that cannot
be made) and deletes, every compute host's placement usage equals the sum of the flavors of
the live instances on it, every pinned CPU is held by exactly one live instance, and no port
outlives its server."""

import time
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller

# Shared (VCPU) and pinned (PCPU, isolate + huge pages) flavors of the default set.
FLAVORS = {
    "1": {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1},
    "2": {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20},
    "3": {"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 40},
    "ra1.h.medium": {"PCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 40},
}


def _wait(api: Caller, server_id: str) -> dict[str, Any]:
    for _ in range(1200):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}", version="2.47").json()[
            "server"
        ]
        if server["status"] in ("ACTIVE", "ERROR"):
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never settled")


class Consistency(RuleBasedStateMachine):
    cloud: RunningCloud
    admin: Any
    api: Caller
    image_id: str
    network_id: str

    live = Bundle("live")

    def __init__(self) -> None:
        super().__init__()
        self.mine: set[str] = set()

    def _boot(self, flavor: str, networks: Any) -> dict[str, Any]:
        resp = self.api(
            "POST",
            "/servers",
            version="2.37",
            json={
                "server": {
                    "name": "sm",
                    "imageRef": self.image_id,
                    "flavorRef": flavor,
                    "networks": networks,
                }
            },
        )
        assert resp.status_code == 202, resp.text
        sid = str(resp.json()["server"]["id"])
        self.mine.add(sid)
        return _wait(self.api, sid)

    @rule(target=live, flavor=st.sampled_from(sorted(FLAVORS)), wired=st.booleans())
    def boot(self, flavor: str, wired: bool) -> str:
        networks: Any = [{"uuid": self.network_id}] if wired else "none"
        server = self._boot(flavor, networks)
        # Pinned guests run out (one per host): ERROR with NoValidHost is a valid outcome.
        if server["status"] == "ERROR":
            assert "No valid host was found" in server["fault"]["message"]
        return str(server["id"])

    @rule(target=live)
    def boot_too_big(self) -> str:
        # No host has 300 vCPUs: NoValidHost, nothing claimed.
        server = self._boot(self.huge, "none")
        assert server["status"] == "ERROR"
        return str(server["id"])

    @rule(target=live)
    def boot_bad_port(self) -> str:
        # The address is outside the subnet: the port cannot be made after the claim, the
        # build fails and gives the claim back.
        server = self._boot("1", [{"uuid": self.network_id, "fixed_ip": "192.0.2.77"}])
        assert server["status"] == "ERROR"
        return str(server["id"])

    @rule(server_id=consumes(live))
    def delete(self, server_id: str) -> None:
        assert self.api("DELETE", f"/servers/{server_id}").status_code == 204
        for _ in range(600):
            if self.api("GET", f"/servers/{server_id}").status_code == 404:
                self.mine.discard(server_id)
                return
            time.sleep(0.05)
        raise AssertionError(f"server {server_id} was not deleted")

    @invariant()
    def usages_match_live_instances(self) -> None:
        servers = self.api(
            "GET", "/servers/detail?all_tenants=1&limit=1000", version="2.47"
        ).json()["servers"]
        expected: dict[str, dict[str, int]] = {}
        for server in servers:
            if server["status"] != "ACTIVE":
                continue
            flavor = server["flavor"]
            dedicated = flavor.get("extra_specs", {}).get("hw:cpu_policy") == "dedicated"
            want = expected.setdefault(server["OS-EXT-SRV-ATTR:hypervisor_hostname"], {})
            cpu = "PCPU" if dedicated else "VCPU"
            want[cpu] = want.get(cpu, 0) + flavor["vcpus"]
            want["MEMORY_MB"] = want.get("MEMORY_MB", 0) + flavor["ram"]
            disk = flavor["disk"] + flavor["ephemeral"] + (flavor["swap"] + 1023) // 1024
            want["DISK_GB"] = want.get("DISK_GB", 0) + disk
        headers = {"OpenStack-API-Version": "placement 1.39"}
        rps = self.admin.placement.get("/resource_providers", headers=headers).json()
        for rp in rps["resource_providers"]:
            if not rp["name"].startswith("compute-"):
                continue
            usages = self.admin.placement.get(
                f"/resource_providers/{rp['uuid']}/usages", headers=headers
            ).json()["usages"]
            have = {rc: n for rc, n in usages.items() if n}
            assert have == expected.get(rp["name"], {}), rp["name"]

    @invariant()
    def no_leaked_ports_or_pins(self) -> None:
        live = {
            s["id"]
            for s in self.api(
                "GET", "/servers/detail?all_tenants=1&limit=1000", version="2.47"
            ).json()["servers"]
        }
        ports = self.admin.network.get("/ports").json()["ports"]
        for port in ports:
            owner = port["device_id"]
            if owner in self.mine or (port["device_owner"] or "").startswith("compute:"):
                assert owner in live, f"port {port['id']} outlives server {owner}"
        pinned: list[tuple[str, int]] = []
        for sid in self.mine & live:
            resp = self.api("GET", f"/servers/{sid}/diagnostics")
            if resp.status_code != 200:
                continue
            topo = resp.json().get("numa_topology") or {}
            for cell in topo.get("cells", []):
                host = resp.json()["host"]
                pinned += [
                    (host, cpu) for cpu in [*cell["cpu_pinning"].values(), *cell["cpuset_reserved"]]
                ]
        assert len(pinned) == len(set(pinned))

    def teardown(self) -> None:
        for sid in list(self.mine):
            self.api("DELETE", f"/servers/{sid}")
        for sid in list(self.mine):
            for _ in range(600):
                if self.api("GET", f"/servers/{sid}").status_code == 404:
                    break
                time.sleep(0.05)

    huge = ""


def test_placement_consistency(
    cloud: RunningCloud, admin: Any, admin_api: Caller, image: Any
) -> None:
    resp = admin_api(
        "PUT",
        f"/os-quota-sets/{admin.current_project_id}",
        json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}},
    )
    assert resp.status_code == 200, resp.text
    huge = admin_api(
        "POST",
        "/flavors",
        json={"flavor": {"name": "sm-huge", "ram": 512, "vcpus": 300, "disk": 1}},
    )
    assert huge.status_code == 200, huge.text
    network = admin.network.create_network(name="consistency-net")
    admin.network.create_subnet(network_id=network.id, cidr="10.77.0.0/24", ip_version=4)
    Consistency.cloud = cloud
    Consistency.admin = admin
    Consistency.api = admin_api
    Consistency.image_id = str(image.id)
    Consistency.network_id = str(network.id)
    Consistency.huge = str(huge.json()["flavor"]["id"])
    run_state_machine_as_test(
        Consistency,
        settings=settings(
            max_examples=6,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
