"""Placement stays consistent through every move (a hypothesis state machine over HTTP):
boots, resizes, confirms, reverts, cold and live migrations, evacuations from a forced-down
host, deletes, and injected driver failures. After every step, each host's placement usages
equal the flavors of the servers the API says are there, plus the old flavor of each server
waiting in VERIFY_RESIZE on its source host (the migration's claim)."""

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller

FLAVORS = {"1": (1, 512, 1), "2": (1, 2048, 20), "3": (2, 4096, 40)}
FAILABLE = ("finish_migration", "migrate_disk", "pre_live_migration", "live_migration", "spawn")
SETTLED = ("ACTIVE", "SHUTOFF", "VERIFY_RESIZE", "ERROR")


@pytest.fixture
def machine_env(
    cloud: RunningCloud, admin: Any, admin_api: Caller, image: Any
) -> tuple[RunningCloud, Any, Caller, Any]:
    return cloud, admin, admin_api, image


def test_placement_consistent_through_moves(
    machine_env: tuple[RunningCloud, Any, Caller, Any],
) -> None:
    cloud, admin, api, image = machine_env
    driver = cloud.cloud.runtime.clients["compute.services"].servers.driver
    hvs = api("GET", "/os-hypervisors", version="2.53").json()["hypervisors"]
    nodes = {h["hypervisor_hostname"]: h["id"] for h in hvs}
    services = api("GET", "/os-services?binary=nova-compute", version="2.53").json()["services"]
    service_ids = {s["host"]: s["id"] for s in services}

    class Moves(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # server id -> (flavor now, flavor before the resize awaiting confirmation)
            self.flavor: dict[str, str] = {}
            self.old: dict[str, str] = {}
            # Servers whose boot failed after scheduling: ERROR on a host, nothing claimed.
            self.unclaimed: set[str] = set()

        def teardown(self) -> None:
            driver.clear_failures()
            for sid in list(self.flavor):
                api("DELETE", f"/servers/{sid}")
            for sid in list(self.flavor):
                for _ in range(400):
                    if api("GET", f"/servers/{sid}").status_code == 404:
                        break
                    time.sleep(0.05)

        # -- helpers ---------------------------------------------------------------------

        def show(self, sid: str) -> dict[str, Any]:
            body: dict[str, Any] = api("GET", f"/servers/{sid}", version="2.88").json()["server"]
            return body

        def settle(self, sid: str) -> dict[str, Any]:
            for _ in range(600):
                server = self.show(sid)
                if server["status"] in SETTLED and server["OS-EXT-STS:task_state"] is None:
                    if server["status"] != "VERIFY_RESIZE":
                        self.old.pop(sid, None)
                    return server
                time.sleep(0.05)
            raise AssertionError(f"{sid} never settled")

        def pick(self, data: st.DataObject, *statuses: str) -> tuple[str, dict[str, Any]] | None:
            candidates = sorted(self.flavor)
            if not candidates:
                return None
            sid = data.draw(st.sampled_from(candidates))
            server = self.show(sid)
            return (sid, server) if server["status"] in statuses else None

        def act(self, sid: str, body: Any, version: str = "2.88") -> int:
            return api("POST", f"/servers/{sid}/action", json=body, version=version).status_code

        # -- rules -----------------------------------------------------------------------

        @precondition(lambda self: len(self.flavor) < 6)
        @rule(flavor=st.sampled_from(sorted(FLAVORS)))
        def boot(self, flavor: str) -> None:
            body = {"name": "prop", "imageRef": image.id, "flavorRef": flavor, "networks": "none"}
            resp = api("POST", "/servers", version="2.37", json={"server": body})
            assert resp.status_code == 202, resp.text
            sid = resp.json()["server"]["id"]
            self.flavor[sid] = flavor
            if self.settle(sid)["status"] == "ERROR":
                self.unclaimed.add(sid)

        @rule(data=st.data(), flavor=st.sampled_from(sorted(FLAVORS)))
        def resize(self, data: st.DataObject, flavor: str) -> None:
            picked = self.pick(data, "ACTIVE", "SHUTOFF")
            if picked is None:
                return
            sid, _ = picked
            code = self.act(sid, {"resize": {"flavorRef": flavor}})
            if flavor == self.flavor[sid] or FLAVORS[flavor][2] < FLAVORS[self.flavor[sid]][2]:
                assert code == 400
                return
            assert code in (202, 400)
            if code == 202 and self.settle(sid)["status"] == "VERIFY_RESIZE":
                self.old[sid], self.flavor[sid] = self.flavor[sid], flavor

        @rule(data=st.data())
        def migrate(self, data: st.DataObject) -> None:
            picked = self.pick(data, "ACTIVE", "SHUTOFF")
            if picked is None:
                return
            sid, _ = picked
            moved = self.act(sid, {"migrate": None}) == 202
            if moved and self.settle(sid)["status"] == "VERIFY_RESIZE":
                self.old[sid] = self.flavor[sid]

        @rule(data=st.data(), confirm=st.booleans())
        def finish_resize(self, data: st.DataObject, confirm: bool) -> None:
            picked = self.pick(data, "VERIFY_RESIZE")
            if picked is None:
                return
            sid, _ = picked
            if confirm:
                assert self.act(sid, {"confirmResize": None}) == 204
            else:
                assert self.act(sid, {"revertResize": None}) == 202
                self.flavor[sid] = self.old[sid]
            self.settle(sid)
            self.old.pop(sid, None)

        @rule(data=st.data())
        def live_migrate(self, data: st.DataObject) -> None:
            picked = self.pick(data, "ACTIVE")
            if picked is None:
                return
            sid, _ = picked
            body = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
            if self.act(sid, body, "2.25") == 202:
                self.settle(sid)

        @rule(data=st.data())
        def evacuate(self, data: st.DataObject) -> None:
            picked = self.pick(data, "ACTIVE", "SHUTOFF", "ERROR")
            if picked is None:
                return
            sid, server = picked
            host = server["OS-EXT-SRV-ATTR:host"]
            if not host:
                return
            down = {"forced_down": True}
            path = f"/os-services/{service_ids[host]}"
            assert api("PUT", path, json=down, version="2.53").status_code == 200
            try:
                moved = self.act(sid, {"evacuate": {}}, "2.68") == 200
                if moved and self.settle(sid)["status"] != "ERROR":
                    self.unclaimed.discard(sid)
            finally:
                api("PUT", path, json={"forced_down": False}, version="2.53")

        @rule(data=st.data())
        def stop(self, data: st.DataObject) -> None:
            picked = self.pick(data, "ACTIVE")
            if picked is not None:
                assert self.act(picked[0], {"os-stop": None}) == 202
                self.settle(picked[0])

        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            picked = self.pick(data, *SETTLED)
            if picked is None:
                return
            sid, _ = picked
            assert api("DELETE", f"/servers/{sid}").status_code == 204
            for _ in range(400):
                if api("GET", f"/servers/{sid}").status_code == 404:
                    break
                time.sleep(0.05)
            self.flavor.pop(sid)
            self.old.pop(sid, None)
            self.unclaimed.discard(sid)

        @rule(operation=st.sampled_from(FAILABLE))
        def inject_failure(self, operation: str) -> None:
            driver.inject_failure(operation)

        # -- the invariant ---------------------------------------------------------------

        @invariant()
        def usages_equal_claims(self) -> None:
            expected = {host: [0, 0, 0] for host in nodes}
            servers = api("GET", "/servers/detail?all_tenants=1", version="2.88").json()["servers"]
            for server in servers:
                host = server["OS-EXT-SRV-ATTR:host"]
                if host is None or server["id"] not in self.flavor:
                    continue
                if server["id"] in self.unclaimed:
                    continue
                for i, amount in enumerate(FLAVORS[self.flavor[server["id"]]]):
                    expected[host][i] += amount
            moves = api("GET", "/os-migrations?status=finished", version="2.59").json()
            for move in moves["migrations"]:
                sid = move["instance_uuid"]
                if sid in self.old:
                    for i, amount in enumerate(FLAVORS[self.old[sid]]):
                        expected[move["source_compute"]][i] += amount
            for host, uuid in nodes.items():
                got = admin.placement.get(f"/resource_providers/{uuid}/usages").json()["usages"]
                ours = self._foreign(host)
                actual = [
                    got.get("VCPU", 0) - ours[0],
                    got.get("MEMORY_MB", 0) - ours[1],
                    got.get("DISK_GB", 0) - ours[2],
                ]
                assert actual == expected[host], (host, actual, expected[host])

        def _foreign(self, host: str) -> list[int]:
            """What servers of other tests (not this machine's) hold on ``host``."""
            servers = api("GET", f"/servers/detail?all_tenants=1&host={host}", version="2.88")
            out = [0, 0, 0]
            for server in servers.json()["servers"]:
                if server["id"] in self.flavor:
                    continue
                flavor = server["flavor"]
                for i, key in enumerate(("vcpus", "ram", "disk")):
                    out[i] += int(flavor[key])
            return out

    Moves.TestCase.settings = settings(
        max_examples=4,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    Moves.TestCase().runTest()
