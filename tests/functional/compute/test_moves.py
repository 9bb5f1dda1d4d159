"""Moves end to end over HTTP: resize with confirm and revert (allocations on both hosts
during VERIFY_RESIZE, the migration record as the source consumer), cold migration to a
host, live migration with progress, force-complete and abort, evacuation from a down host,
os-migrations and /servers/{id}/migrations; bad input and states leave everything as it was."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller


def _wait(api: Caller, server_id: str, *statuses: str, version: str = "2.88") -> dict[str, Any]:
    for _ in range(600):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}", version=version).json()[
            "server"
        ]
        if server["status"] in statuses and server["OS-EXT-STS:task_state"] is None:
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never reached {statuses}")


def _allocs(admin: Any, consumer: str) -> dict[str, dict[str, int]]:
    body = admin.placement.get(f"/allocations/{consumer}").json()["allocations"]
    return {rp: v["resources"] for rp, v in body.items()}


def _node(admin_api: Caller, host: str) -> str:
    hvs = admin_api("GET", "/os-hypervisors", version="2.53").json()["hypervisors"]
    return next(h["id"] for h in hvs if h["hypervisor_hostname"] == host)


def _migrations(admin_api: Caller, server_id: str) -> list[dict[str, Any]]:
    rows = admin_api("GET", f"/os-migrations?instance_uuid={server_id}", version="2.80").json()
    return list(rows["migrations"])


def driver(cloud: RunningCloud) -> Any:
    return cloud.cloud.runtime.clients["compute.services"].servers.driver


@pytest.fixture
def server(demo_api: Caller, image: Any, network: Any) -> Iterator[dict[str, Any]]:
    body = {
        "name": "mover",
        "imageRef": image.id,
        "flavorRef": "1",
        "networks": [{"uuid": network.id}],
    }
    resp = demo_api("POST", "/servers", version="2.37", json={"server": body})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    yield _wait(demo_api, server_id, "ACTIVE")
    demo_api("DELETE", f"/servers/{server_id}")


def _host(admin_api: Caller, server_id: str) -> str:
    shown = admin_api("GET", f"/servers/{server_id}", version="2.88").json()["server"]
    return str(shown["OS-EXT-SRV-ATTR:host"])


def test_resize_confirm_then_revert(
    admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    source = _host(admin_api, sid)
    act = demo_api("POST", f"/servers/{sid}/action", json={"resize": {"flavorRef": "2"}})
    assert act.status_code == 202, act.text
    shown = _wait(demo_api, sid, "VERIFY_RESIZE")
    assert shown["flavor"]["original_name"] == "m1.small"
    dest = _host(admin_api, sid)
    assert dest != source
    (migration,) = _migrations(admin_api, sid)
    assert migration["status"] == "finished" and migration["migration_type"] == "resize"
    assert (migration["source_compute"], migration["dest_compute"]) == (source, dest)
    # Both hosts hold a claim: the new flavor for the instance on the destination, the old
    # one for the migration on the source.
    assert _allocs(admin, sid) == {
        _node(admin_api, dest): {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}
    }
    assert _allocs(admin, migration["uuid"]) == {
        _node(admin_api, source): {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    }
    hv = admin_api("GET", f"/os-hypervisors/{_node(admin_api, source)}", version="2.53").json()
    assert hv["hypervisor"]["memory_mb_used"] >= 512
    # confirmResize: the source claim goes, the server is ACTIVE on the destination.
    assert (
        demo_api("POST", f"/servers/{sid}/action", json={"confirmResize": None}).status_code == 204
    )
    _wait(demo_api, sid, "ACTIVE")
    assert _allocs(admin, migration["uuid"]) == {}
    assert _migrations(admin_api, sid)[0]["status"] == "confirmed"
    # confirm again: nothing to confirm (409, vm_state active)
    again = demo_api("POST", f"/servers/{sid}/action", json={"confirmResize": None})
    assert again.status_code == 409 and "vm_state active" in again.text
    # Resize once more and revert: back on the destination-now-source with the old flavor.
    assert (
        demo_api("POST", f"/servers/{sid}/action", json={"resize": {"flavorRef": "3"}}).status_code
        == 202
    )
    _wait(demo_api, sid, "VERIFY_RESIZE")
    assert (
        demo_api("POST", f"/servers/{sid}/action", json={"revertResize": None}).status_code == 202
    )
    shown = _wait(demo_api, sid, "ACTIVE")
    assert shown["flavor"]["original_name"] == "m1.small"
    assert _host(admin_api, sid) == dest
    latest = _migrations(admin_api, sid)[0]
    assert (
        latest["status"] == "reverted"
        and latest["new_instance_type_id"] != latest["old_instance_type_id"]
    )
    assert _allocs(admin, sid) == {
        _node(admin_api, dest): {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}
    }
    assert _allocs(admin, latest["uuid"]) == {}
    actions = demo_api("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions][:4] == [
        "revertResize",
        "resize",
        "confirmResize",
        "resize",
    ]
    # The port follows the server.
    (port,) = admin.network.ports(device_id=sid)
    assert port.binding_host_id == dest


def test_bad_moves_change_nothing(
    admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    host = _host(admin_api, sid)
    before = _allocs(admin, sid)

    def act(api: Caller, body: dict[str, Any], version: str = "2.88") -> Any:
        return api("POST", f"/servers/{sid}/action", json=body, version=version)

    same = act(demo_api, {"resize": {"flavorRef": "1"}})
    assert same.status_code == 400 and "must change flavor" in same.text
    assert act(demo_api, {"resize": {"flavorRef": "nope"}}).status_code == 400
    assert act(demo_api, {"resize": {}}).status_code == 400
    assert act(demo_api, {"confirmResize": None}).status_code == 409
    assert act(demo_api, {"revertResize": None}).status_code == 409
    live = act(admin_api, {"os-migrateLive": {"host": host, "block_migration": "auto"}})
    assert live.status_code == 400 and "current host" in live.text
    assert (
        act(
            admin_api, {"os-migrateLive": {"host": "nowhere", "block_migration": "auto"}}
        ).status_code
        == 400
    )
    assert act(admin_api, {"os-migrateLive": {"host": None}}).status_code == 400
    evac = act(admin_api, {"evacuate": {}})
    assert evac.status_code == 400 and "still in use" in evac.text
    assert act(admin_api, {"migrate": {"host": host}}).status_code == 400
    # Non-admins may not move servers between hosts.
    assert act(demo_api, {"migrate": None}).status_code == 403
    assert (
        act(demo_api, {"os-migrateLive": {"host": None, "block_migration": "auto"}}).status_code
        == 403
    )
    # An admin's lock stops the owner's resize with 409.
    assert act(admin_api, {"lock": None}).status_code == 202
    locked = act(demo_api, {"resize": {"flavorRef": "2"}})
    assert locked.status_code == 409 and "locked" in locked.text
    assert act(admin_api, {"unlock": None}).status_code == 202
    shown = _wait(demo_api, sid, "ACTIVE")
    assert shown["flavor"]["original_name"] == "m1.tiny"
    assert _host(admin_api, sid) == host and _allocs(admin, sid) == before
    assert _migrations(admin_api, sid) == []


def test_cold_migrate_to_host(
    admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    source = _host(admin_api, sid)
    target = "compute-1" if source == "compute-0" else "compute-0"
    old = admin_api(
        "POST", f"/servers/{sid}/action", json={"migrate": {"host": target}}, version="2.55"
    )
    assert old.status_code == 400  # the host argument comes with 2.56
    resp = admin_api(
        "POST", f"/servers/{sid}/action", json={"migrate": {"host": target}}, version="2.56"
    )
    assert resp.status_code == 202, resp.text
    _wait(demo_api, sid, "VERIFY_RESIZE")
    assert _host(admin_api, sid) == target
    (migration,) = _migrations(admin_api, sid)
    assert migration["migration_type"] == "migration"
    assert migration["old_instance_type_id"] == migration["new_instance_type_id"]
    assert (
        demo_api("POST", f"/servers/{sid}/action", json={"confirmResize": None}).status_code == 204
    )
    _wait(demo_api, sid, "ACTIVE")
    assert list(_allocs(admin, sid)) == [_node(admin_api, target)]


def test_live_migration_progress_force_complete_and_abort(
    cloud: RunningCloud, admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    source = _host(admin_api, sid)
    fake = driver(cloud)
    fake.hold_live_migrations(True)
    try:
        body = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
        resp = admin_api("POST", f"/servers/{sid}/action", json=body, version="2.25")
        assert resp.status_code == 202, resp.text
        for _ in range(400):
            running = admin_api("GET", f"/servers/{sid}/migrations", version="2.80").json()
            rows = running["migrations"]
            if rows and rows[0]["status"] == "running" and rows[0]["memory_processed_bytes"]:
                break
            time.sleep(0.05)
        (row,) = rows
        assert row["memory_total_bytes"] == 512 * 1024 * 1024
        assert row["memory_processed_bytes"] == row["memory_remaining_bytes"] == 256 * 1024 * 1024
        assert row["disk_total_bytes"] == 1024**3 and row["server_uuid"] == sid
        shown = admin_api("GET", f"/servers/{sid}", version="2.88").json()["server"]
        assert shown["status"] == "MIGRATING"
        # While in flight, the migration holds the source and the instance the destination.
        held = _allocs(admin, row["uuid"])
        assert list(held) == [_node(admin_api, source)]
        # One at a time: a second move is refused (task_state migrating).
        again = admin_api("POST", f"/servers/{sid}/action", json=body, version="2.25")
        assert again.status_code == 409
        one = admin_api("GET", f"/servers/{sid}/migrations/{row['id']}", version="2.23").json()
        assert one["migration"]["id"] == row["id"]
        # abort: the guest stays on the source, the destination claim is gone.
        aborted = admin_api("DELETE", f"/servers/{sid}/migrations/{row['id']}", version="2.24")
        assert aborted.status_code == 202
        _wait(demo_api, sid, "ACTIVE")
        assert _host(admin_api, sid) == source
        assert _migrations(admin_api, sid)[0]["status"] == "cancelled"
        assert list(_allocs(admin, sid)) == [_node(admin_api, source)]
        assert _allocs(admin, row["uuid"]) == {}
        gone = admin_api("GET", f"/servers/{sid}/migrations/{row['id']}", version="2.23")
        assert gone.status_code == 404
        # Again, now forced to complete.
        assert (
            admin_api("POST", f"/servers/{sid}/action", json=body, version="2.25").status_code
            == 202
        )
        for _ in range(400):
            rows = admin_api("GET", f"/servers/{sid}/migrations", version="2.23").json()[
                "migrations"
            ]
            if rows and rows[0]["status"] == "running" and rows[0]["memory_processed_bytes"]:
                break
            time.sleep(0.05)
        forced = admin_api(
            "POST",
            f"/servers/{sid}/migrations/{rows[0]['id']}/action",
            json={"force_complete": None},
            version="2.22",
        )
        assert forced.status_code == 202, forced.text
        _wait(demo_api, sid, "ACTIVE")
    finally:
        fake.hold_live_migrations(False)
    dest = _host(admin_api, sid)
    assert dest != source
    assert _migrations(admin_api, sid)[0]["status"] == "completed"
    assert list(_allocs(admin, sid)) == [_node(admin_api, dest)]
    (port,) = admin.network.ports(device_id=sid)
    assert port.binding_host_id == dest
    listed = admin_api("GET", "/os-migrations?migration_type=live-migration", version="2.23")
    assert sid in {m["instance_uuid"] for m in listed.json()["migrations"]}


def test_failed_resize_rolls_back_to_the_source(
    cloud: RunningCloud, admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    source = _host(admin_api, sid)
    before = _allocs(admin, sid)
    driver(cloud).inject_failure("finish_migration")
    resp = demo_api("POST", f"/servers/{sid}/action", json={"resize": {"flavorRef": "2"}})
    assert resp.status_code == 202
    shown = _wait(demo_api, sid, "ACTIVE")
    assert shown["flavor"]["original_name"] == "m1.tiny"
    assert _host(admin_api, sid) == source and _allocs(admin, sid) == before
    (migration,) = _migrations(admin_api, sid)
    assert migration["status"] == "error" and _allocs(admin, migration["uuid"]) == {}
    actions = demo_api("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    resize = actions[0]
    assert resize["action"] == "resize" and resize["message"] == "Error"


def test_delete_while_verify_resize_frees_both_hosts(
    admin: Any, demo_api: Caller, admin_api: Caller, image: Any
) -> None:
    body = {"name": "short-lived", "imageRef": image.id, "flavorRef": "1", "networks": "none"}
    sid = demo_api("POST", "/servers", version="2.37", json={"server": body}).json()["server"]["id"]
    _wait(demo_api, sid, "ACTIVE")
    assert (
        demo_api("POST", f"/servers/{sid}/action", json={"resize": {"flavorRef": "2"}}).status_code
        == 202
    )
    _wait(demo_api, sid, "VERIFY_RESIZE")
    (migration,) = _migrations(admin_api, sid)
    assert _allocs(admin, migration["uuid"]) and _allocs(admin, sid)
    assert demo_api("DELETE", f"/servers/{sid}").status_code == 204
    for _ in range(200):
        if demo_api("GET", f"/servers/{sid}").status_code == 404:
            break
        time.sleep(0.05)
    assert _allocs(admin, sid) == {} and _allocs(admin, migration["uuid"]) == {}
    assert _migrations(admin_api, sid)[0]["status"] == "confirmed"


def test_resize_sets_disk_config(server: dict[str, Any], demo_api: Caller) -> None:
    sid = server["id"]
    assert server["OS-DCF:diskConfig"] == "MANUAL"
    bad = {"resize": {"flavorRef": "2", "OS-DCF:diskConfig": "SOMETIMES"}}
    assert demo_api("POST", f"/servers/{sid}/action", json=bad).status_code == 400
    body = {"resize": {"flavorRef": "2", "OS-DCF:diskConfig": "AUTO"}}
    assert demo_api("POST", f"/servers/{sid}/action", json=body).status_code == 202
    assert _wait(demo_api, sid, "VERIFY_RESIZE")["OS-DCF:diskConfig"] == "AUTO"
