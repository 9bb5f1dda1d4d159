"""Server actions that keep a server where it is (and evacuation), over HTTP: shelve to
SHELVED_OFFLOADED (placement freed) and unshelve to an AZ, rescue/unrescue, createImage and
createBackup with rotation in the image service, trigger_crash_dump, changePassword,
security groups, interface attach/detach, external events; evacuate from a forced-down host."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller


def _wait(api: Caller, sid: str, *statuses: str) -> dict[str, Any]:
    for _ in range(600):
        server: dict[str, Any] = api("GET", f"/servers/{sid}", version="2.88").json()["server"]
        if server["status"] in statuses and server["OS-EXT-STS:task_state"] is None:
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {sid} never reached {statuses}")


def _allocs(admin: Any, consumer: str) -> dict[str, Any]:
    body: dict[str, Any] = admin.placement.get(f"/allocations/{consumer}").json()["allocations"]
    return body


def _driver(cloud: RunningCloud) -> Any:
    return cloud.cloud.runtime.clients["compute.services"].servers.driver


@pytest.fixture
def server(demo_api: Caller, image: Any, network: Any) -> Iterator[dict[str, Any]]:
    body = {
        "name": "acted",
        "imageRef": image.id,
        "flavorRef": "1",
        "networks": [{"uuid": network.id}],
    }
    resp = demo_api("POST", "/servers", version="2.37", json={"server": body})
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    yield _wait(demo_api, sid, "ACTIVE")
    demo_api("DELETE", f"/servers/{sid}")


def _act(api: Caller, sid: str, body: Any, version: str = "2.88") -> Any:
    return api("POST", f"/servers/{sid}/action", json=body, version=version)


def test_shelve_offload_and_unshelve(
    admin: Any, demo: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    assert _act(demo_api, sid, {"shelve": None}).status_code == 202
    shelved = _wait(admin_api, sid, "SHELVED_OFFLOADED")
    # Offloaded at once (shelved_offload_time 0): no host, no allocations.
    assert shelved["OS-EXT-SRV-ATTR:host"] is None and shelved["OS-EXT-STS:power_state"] == 0
    assert _allocs(admin, sid) == {}
    (snapshot,) = [i for i in demo.image.images() if i.name == "acted-shelved"]
    assert snapshot.status == "active" and snapshot.instance_uuid == sid
    # Unshelving into a zone that does not exist is 400; nothing changes.
    bad = _act(demo_api, sid, {"unshelve": {"availability_zone": "nowhere"}}, "2.77")
    assert bad.status_code == 400
    assert _act(demo_api, sid, {"shelve": None}).status_code == 409
    assert (
        _act(demo_api, sid, {"unshelve": {"availability_zone": "nova"}}, "2.77").status_code == 202
    )
    back = _wait(admin_api, sid, "ACTIVE")
    assert back["OS-EXT-SRV-ATTR:host"] and back["OS-EXT-AZ:availability_zone"] == "nova"
    (held,) = _allocs(admin, sid).values()
    assert held["resources"] == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    # The shelve snapshot is deleted once the server is back.
    assert [i for i in demo.image.images() if i.name == "acted-shelved"] == []
    actions = demo_api("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions][:2] == ["unshelve", "shelve"]
    # shelveOffload is admin-only by default.
    assert _act(demo_api, sid, {"shelveOffload": None}).status_code == 403


def test_rescue_and_unrescue(
    cloud: RunningCloud, image: Any, server: dict[str, Any], demo_api: Caller
) -> None:
    sid = server["id"]
    assert _act(demo_api, sid, {"unrescue": None}).status_code == 409
    bad = _act(
        demo_api, sid, {"rescue": {"rescue_image_ref": "4f5a3b1c-0000-4000-8000-000000000000"}}
    )
    assert bad.status_code == 400
    resp = _act(demo_api, sid, {"rescue": {"adminPass": "s3cret", "rescue_image_ref": image.id}})
    assert resp.status_code == 200 and resp.json() == {"adminPass": "s3cret"}
    _wait(demo_api, sid, "RESCUE")
    assert _driver(cloud).rescued_with(sid) == image.id
    assert _act(demo_api, sid, {"os-stop": None}).status_code == 409
    assert _act(demo_api, sid, {"unrescue": None}).status_code == 202
    _wait(demo_api, sid, "ACTIVE")
    assert _driver(cloud).rescued_with(sid) is None


def _image_status(api: Caller, image_id: str) -> str | None:
    """The image's status through the image API (None once it is gone)."""
    url = f"{api.cloud.url}/image/v2/images/{image_id}"
    resp = httpx.get(url, headers={"X-Auth-Token": api.token})
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    status: str = resp.json()["status"]
    return status


def _wait_image(api: Caller, image_id: str, status: str | None) -> None:
    """Like a client: poll until the image is ``status`` (None: deleted)."""
    for _ in range(600):
        if _image_status(api, image_id) == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"image {image_id} never became {status}")


def _task(api: Caller, sid: str) -> str | None:
    server = api("GET", f"/servers/{sid}", version="2.88").json()["server"]
    task: str | None = server["OS-EXT-STS:task_state"]
    return task


def _events(api: Caller, sid: str, action: str) -> list[dict[str, Any]]:
    actions = api("GET", f"/servers/{sid}/os-instance-actions", version="2.58").json()
    request_id = next(a for a in actions["instanceActions"] if a["action"] == action)["request_id"]
    shown = api("GET", f"/servers/{sid}/os-instance-actions/{request_id}", version="2.58")
    events: list[dict[str, Any]] = shown.json()["instanceAction"]["events"]
    return events


@pytest.fixture
def held(cloud: RunningCloud) -> Iterator[Any]:
    """The fake driver's snapshots wait until the test lets them go."""
    driver = _driver(cloud)
    driver.hold_snapshots(True)
    try:
        yield driver
    finally:
        driver.hold_snapshots(False)


def test_create_image_and_backup_rotation(
    admin: Any, demo: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    resp = _act(demo_api, sid, {"createImage": {"name": "snap-1", "metadata": {"k": "v"}}}, "2.45")
    assert resp.status_code == 202
    image_id = resp.json()["image_id"]
    _wait_image(demo_api, image_id, "active")
    img = demo.image.get_image(image_id)
    assert img.status == "active" and img.name == "snap-1" and img.size
    assert img.properties["k"] == "v" and img.properties["image_type"] == "snapshot"
    assert img.instance_uuid == sid
    _wait(demo_api, sid, "ACTIVE")
    old = _act(demo_api, sid, {"createImage": {"name": "snap-2"}}, "2.44")
    assert old.status_code == 202 and old.text == ""
    location = old.headers["Location"]
    assert location.startswith(f"{demo_api.cloud.url}/compute/v2.1/images/")
    _wait_image(demo_api, location[-36:], "active")
    _wait(demo_api, sid, "ACTIVE")
    assert _act(demo_api, sid, {"createImage": {}}).status_code == 400
    backups = []
    for n in range(3):
        body = {"name": f"bk-{n}", "backup_type": "daily", "rotation": 2}
        made = _act(demo_api, sid, {"createBackup": body}, "2.45")
        assert made.status_code == 202, made.text
        backups.append(made.json()["image_id"])
        # the next backup can start once this one is done (409 before)
        _wait(demo_api, sid, "ACTIVE")
    _wait_image(demo_api, backups[0], None)  # the oldest rotated away
    names = sorted(i.name for i in demo.image.images() if i.name and i.name.startswith("bk-"))
    assert names == ["bk-1", "bk-2"]
    assert [e["event"] for e in _events(admin_api, sid, "createBackup")] == [
        "compute_backup_instance"
    ]
    bad = _act(
        demo_api, sid, {"createBackup": {"name": "x", "backup_type": "daily", "rotation": -1}}
    )
    assert bad.status_code == 400
    # rotation 0: the answer still names the image (2.45), which is rotated away at once;
    # before 2.45 there is no Location then.
    zero = {"createBackup": {"name": "bk-0", "backup_type": "weekly", "rotation": 0}}
    made = _act(demo_api, sid, zero, "2.45")
    assert made.status_code == 202
    _wait_image(demo_api, made.json()["image_id"], None)
    _wait(demo_api, sid, "ACTIVE")
    old = _act(demo_api, sid, zero, "2.44")
    assert old.status_code == 202 and "Location" not in old.headers
    _wait(demo_api, sid, "ACTIVE")


def test_snapshot_holds_the_server_until_uploaded(
    held: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    """createImage answers at once with a queued image; the server keeps its snapshot task
    (a second createImage or createBackup is 409) until the upload is done."""
    sid = server["id"]
    resp = _act(demo_api, sid, {"createImage": {"name": "slow"}}, "2.45")
    assert resp.status_code == 202, resp.text
    image_id = resp.json()["image_id"]
    assert _image_status(demo_api, image_id) == "queued"
    # nova's steps: image_snapshot → image_snapshot_pending → image_pending_upload, where
    # the held driver keeps it
    seen = {_task(demo_api, sid)}
    for _ in range(600):
        if "image_pending_upload" in seen:
            break
        time.sleep(0.05)
        seen.add(_task(demo_api, sid))
    assert seen <= {"image_snapshot", "image_snapshot_pending", "image_pending_upload"}
    assert "image_pending_upload" in seen
    again = _act(demo_api, sid, {"createImage": {"name": "second"}}, "2.45")
    assert again.status_code == 409
    message = again.json()["conflictingRequest"]["message"]
    assert "Cannot 'createImage' instance" in message and "while it is in task_state" in message
    backup = {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}}
    assert _act(demo_api, sid, backup).status_code == 409
    assert _act(demo_api, sid, {"os-stop": None}).status_code == 409
    held.hold_snapshots(False)
    _wait_image(demo_api, image_id, "active")
    assert _wait(demo_api, sid, "ACTIVE")["OS-EXT-STS:task_state"] is None
    (event,) = _events(admin_api, sid, "createImage")
    assert event["event"] == "compute_snapshot_instance" and event["result"] == "Success"
    images = demo_api("GET", "/images/detail", version="2.35").json()["images"]
    assert [i["name"] for i in images if i["id"] == image_id] == ["slow"]


def test_failed_snapshot_deletes_the_image(
    cloud: RunningCloud, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    _driver(cloud).inject_failure("snapshot")
    resp = _act(demo_api, sid, {"createImage": {"name": "doomed"}}, "2.45")
    assert resp.status_code == 202, resp.text
    image_id = resp.json()["image_id"]
    _wait_image(demo_api, image_id, None)
    shown = _wait(demo_api, sid, "ACTIVE")
    assert shown["OS-EXT-STS:vm_state"] == "active"
    (event,) = _events(admin_api, sid, "createImage")
    assert event["event"] == "compute_snapshot_instance" and event["result"] == "Error"
    assert "injected failure: snapshot" in event["traceback"]
    # the server takes snapshots again
    resp = _act(demo_api, sid, {"createImage": {"name": "fine"}}, "2.45")
    _wait_image(demo_api, resp.json()["image_id"], "active")


def test_image_or_server_deleted_mid_snapshot(
    held: Any, image: Any, network: Any, server: dict[str, Any], demo_api: Caller
) -> None:
    sid = server["id"]
    # The image deleted while it is being saved: the server's task ends, no fault.
    image_id = _act(demo_api, sid, {"createImage": {"name": "gone"}}, "2.45").json()["image_id"]
    url = f"{demo_api.cloud.url}/image/v2/images/{image_id}"
    assert httpx.delete(url, headers={"X-Auth-Token": demo_api.token}).status_code == 204
    held.hold_snapshots(False)
    shown = _wait(demo_api, sid, "ACTIVE")
    assert "fault" not in shown and _image_status(demo_api, image_id) is None
    # The server deleted mid-snapshot: its image goes too.
    held.hold_snapshots(True)
    image_id = _act(demo_api, sid, {"createImage": {"name": "orphan"}}, "2.45").json()["image_id"]
    assert demo_api("DELETE", f"/servers/{sid}").status_code == 204
    held.hold_snapshots(False)
    _wait_image(demo_api, image_id, None)


def test_crash_dump_password_and_events(
    cloud: RunningCloud, admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    assert _act(demo_api, sid, {"trigger_crash_dump": None}, "2.16").status_code == 404
    assert _act(demo_api, sid, {"trigger_crash_dump": None}, "2.17").status_code == 202
    assert _driver(cloud).crash_dumps(sid) == 1
    assert _act(demo_api, sid, {"changePassword": {"adminPass": "n3w"}}).status_code == 202
    assert _driver(cloud).admin_password(sid) == "n3w"
    assert _act(demo_api, sid, {"changePassword": {}}).status_code == 400
    assert _act(demo_api, sid, {"os-stop": None}).status_code == 202
    _wait(demo_api, sid, "SHUTOFF")
    assert _act(demo_api, sid, {"changePassword": {"adminPass": "x"}}).status_code == 409
    assert _act(demo_api, sid, {"trigger_crash_dump": None}, "2.17").status_code == 409
    # External events: one known server, one unknown → 207 with a code each.
    events = {
        "events": [
            {"name": "network-changed", "server_uuid": sid},
            {"name": "network-vif-plugged", "server_uuid": "00000000-0000-4000-8000-000000000000"},
        ]
    }
    resp = admin_api("POST", "/os-server-external-events", json=events)
    assert resp.status_code == 207
    assert [e["code"] for e in resp.json()["events"]] == [200, 404]
    power = {"events": [{"name": "power-update", "server_uuid": sid, "tag": "POWER_ON"}]}
    assert (
        admin_api("POST", "/os-server-external-events", json=power, version="2.75").status_code
        == 400
    )
    assert (
        admin_api("POST", "/os-server-external-events", json=power, version="2.76").status_code
        == 200
    )
    assert _wait(demo_api, sid, "ACTIVE")["OS-EXT-STS:power_state"] == 1
    assert demo_api("POST", "/os-server-external-events", json=events).status_code == 403
    # volume-extended (2.51): nova records an extend_volume action with the host's event
    grown = {"events": [{"name": "volume-extended", "server_uuid": sid, "tag": "a-volume"}]}
    resp = admin_api("POST", "/os-server-external-events", json=grown, version="2.51")
    assert resp.status_code == 200, resp.text
    listed = demo_api("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    [extend] = [a for a in listed if a["action"] == "extend_volume"]
    shown = admin_api("GET", f"/servers/{sid}/os-instance-actions/{extend['request_id']}")
    events = shown.json()["instanceAction"]["events"]
    assert [(e["event"], e["result"]) for e in events] == [("compute_extend_volume", "Success")]


def test_security_groups_and_interfaces(
    demo: Any, network: Any, server: dict[str, Any], demo_api: Caller
) -> None:
    sid = server["id"]
    group = demo.network.create_security_group(name="extra-sg")
    assert _act(demo_api, sid, {"addSecurityGroup": {"name": "extra-sg"}}).status_code == 202
    (port,) = demo.network.ports(device_id=sid)
    assert group.id in port.security_group_ids
    listed = demo_api("GET", f"/servers/{sid}/os-security-groups").json()["security_groups"]
    assert "extra-sg" in {g["name"] for g in listed}
    assert _act(demo_api, sid, {"addSecurityGroup": {"name": "extra-sg"}}).status_code == 400
    assert _act(demo_api, sid, {"addSecurityGroup": {"name": "missing"}}).status_code == 404
    assert _act(demo_api, sid, {"removeSecurityGroup": {"name": "extra-sg"}}).status_code == 202
    assert group.id not in demo.network.get_port(port.id).security_group_ids
    assert _act(demo_api, sid, {"removeSecurityGroup": {"name": "extra-sg"}}).status_code == 400
    # Attach an interface on the network, then detach it: the port goes away again.
    resp = demo_api(
        "POST", f"/servers/{sid}/os-interface", json={"interfaceAttachment": {"net_id": network.id}}
    )
    assert resp.status_code == 200, resp.text
    attached = resp.json()["interfaceAttachment"]
    assert attached["net_id"] == network.id and attached["fixed_ips"]
    ifaces = demo_api("GET", f"/servers/{sid}/os-interface").json()["interfaceAttachments"]
    assert {i["port_id"] for i in ifaces} == {port.id, attached["port_id"]}
    both = {"interfaceAttachment": {"net_id": network.id, "port_id": port.id}}
    assert demo_api("POST", f"/servers/{sid}/os-interface", json=both).status_code == 400
    gone = demo_api("DELETE", f"/servers/{sid}/os-interface/{attached['port_id']}")
    assert gone.status_code == 202
    assert [p.id for p in demo.network.ports(device_id=sid)] == [port.id]
    missing = demo_api("DELETE", f"/servers/{sid}/os-interface/{attached['port_id']}")
    assert missing.status_code == 404


def test_evacuate_from_a_forced_down_host(
    cloud: RunningCloud, admin: Any, server: dict[str, Any], demo_api: Caller, admin_api: Caller
) -> None:
    sid = server["id"]
    source = admin_api("GET", f"/servers/{sid}", version="2.88").json()["server"][
        "OS-EXT-SRV-ATTR:host"
    ]
    services = admin_api("GET", "/os-services", version="2.53").json()["services"]
    svc = next(s for s in services if s["host"] == source and s["binary"] == "nova-compute")
    assert _act(admin_api, sid, {"evacuate": {}}).status_code == 400  # the host is up
    down = admin_api("PUT", f"/os-services/{svc['id']}", json={"forced_down": True}, version="2.53")
    assert down.status_code == 200
    try:
        resp = _act(admin_api, sid, {"evacuate": {}}, "2.29")
        assert resp.status_code == 200, resp.text
        shown = _wait(demo_api, sid, "ACTIVE")
        dest = admin_api("GET", f"/servers/{sid}", version="2.88").json()["server"][
            "OS-EXT-SRV-ATTR:host"
        ]
        assert dest != source and shown["id"] == sid
        moves = admin_api("GET", f"/os-migrations?instance_uuid={sid}", version="2.59").json()
        (evac,) = moves["migrations"]
        assert evac["migration_type"] == "evacuation" and evac["status"] == "done"
        hvs = admin_api("GET", "/os-hypervisors", version="2.53").json()["hypervisors"]
        by_name = {h["hypervisor_hostname"]: h["id"] for h in hvs}
        assert list(_allocs(admin, sid)) == [by_name[dest]]
        (port,) = admin.network.ports(device_id=sid)
        assert port.binding_host_id == dest
    finally:
        admin_api("PUT", f"/os-services/{svc['id']}", json={"forced_down": False}, version="2.53")
