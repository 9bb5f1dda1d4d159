"""os-assisted-volume-snapshots: a block storage backend that keeps volumes as files asks
compute to snapshot an in-use volume; the server's host switches the guest's disk to the new
overlay file and compute reports the snapshot to block storage (creating at 90 %, or error);
delete merges a file out of the chain (deleting at 90 %, or error_deleting). nova's 400s.
Also: a volume-backed server has no backup (400) and is rescued only from 2.87."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.versioned_api import Api as VersionedApi
from tests.functional.compute.versioned_api import poll

SERVICES = ("identity", "placement", "network", "image", "compute", "block-storage")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("assisted"), services=SERVICES) as c:
        yield c


class Api(VersionedApi):
    compute_version = "2.79"
    volume_version = "3.60"


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Api:
    return Api(cloud, cloud.connection("stratus-admin"))


@pytest.fixture(scope="module")
def demo(cloud: RunningCloud) -> Api:
    return Api(cloud, cloud.connection("stratus"))


@pytest.fixture(scope="module")
def attached(cloud: RunningCloud, demo: Api) -> dict[str, str]:
    """A running server of the demo project with a volume attached."""
    conn = cloud.connection("stratus")
    image = conn.image.create_image(
        name="avs-image", disk_format="raw", container_format="bare", data=b"\0" * 4096
    )
    net = conn.network.create_network(name="avs-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.41.0.0/24", ip_version=4)
    body = {"name": "avs", "imageRef": image.id, "flavorRef": "1", "networks": [{"uuid": net.id}]}
    sid = demo.compute("POST", "/servers", json={"server": body}).json()["server"]["id"]
    poll(
        lambda: demo.compute("GET", f"/servers/{sid}").json()["server"],
        lambda s: s["status"] == "ACTIVE" and s["OS-EXT-STS:task_state"] is None,
    )
    vid = demo.volume("POST", "/volumes", json={"volume": {"size": 1}}).json()["volume"]["id"]
    poll(
        lambda: demo.volume("GET", f"/volumes/{vid}").json()["volume"]["status"], "available".__eq__
    )
    attach = {"volumeAttachment": {"volumeId": vid}}
    resp = demo.compute("POST", f"/servers/{sid}/os-volume_attachments", json=attach)
    assert resp.status_code == 200, resp.text
    poll(lambda: demo.volume("GET", f"/volumes/{vid}").json()["volume"]["status"], "in-use".__eq__)
    return {"server": sid, "volume": vid}


def _chain(cloud: RunningCloud, sid: str, vid: str) -> list[str]:
    driver = cloud.cloud.runtime.clients["compute.services"].servers.driver
    chain: list[str] = driver.volume_chain(sid, vid)
    return chain


def _snapshot_in(admin: Api, vid: str, status: str) -> str:
    """A block storage snapshot record of ``vid`` in ``status`` (as a remotefs driver keeps it
    while compute works)."""
    made = admin.volume(
        "POST", "/snapshots", json={"snapshot": {"volume_id": vid, "force": True}}
    ).json()["snapshot"]
    poll(
        lambda: admin.volume("GET", f"/snapshots/{made['id']}").json()["snapshot"]["status"],
        lambda st: st not in ("creating",),
    )
    reset = {"os-reset_status": {"status": status}}
    assert admin.volume("POST", f"/snapshots/{made['id']}/action", json=reset).status_code == 202
    return str(made["id"])


def _snapshot(admin: Api, snap_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = admin.volume("GET", f"/snapshots/{snap_id}").json()["snapshot"]
    return shown


def _create(api: Api, vid: str, **info: Any) -> httpx.Response:
    body = {"snapshot": {"volume_id": vid, "create_info": {"type": "qcow2", **info}}}
    return api.compute("POST", "/os-assisted-volume-snapshots", json=body)


def _delete(api: Api, snap_id: str, info: Any, version: str = "2.79", **extra: str) -> Any:
    params = {"delete_info": json.dumps(info), **extra}
    return api.compute(
        "DELETE", f"/os-assisted-volume-snapshots/{snap_id}", version=version, params=params
    )


def test_create_and_delete_report_to_block_storage(
    cloud: RunningCloud, admin: Api, attached: dict[str, str]
) -> None:
    sid, vid = attached["server"], attached["volume"]
    snap_id = _snapshot_in(admin, vid, "creating")
    resp = _create(admin, vid, snapshot_id=snap_id, new_file="volume.snap-1", id=snap_id)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"snapshot": {"id": snap_id, "volumeId": vid}}
    shown = poll(
        lambda: _snapshot(admin, snap_id),
        lambda s: s["os-extended-snapshot-attributes:progress"] == "90%",
    )
    assert shown["status"] == "creating"
    assert _chain(cloud, sid, vid) == ["volume.snap-1"]
    # Without create_info.id the answer's id is null, as nova's.
    resp = _create(admin, vid, snapshot_id=snap_id, new_file="volume.snap-2")
    assert resp.status_code == 200 and resp.json()["snapshot"]["id"] is None
    poll(lambda: _chain(cloud, sid, vid), ["volume.snap-1", "volume.snap-2"].__eq__)
    # Delete: the host merges the file out of the chain, block storage hears "deleting".
    gone = _snapshot_in(admin, vid, "deleting")
    info = {
        "volume_id": vid,
        "type": "qcow2",
        "file_to_merge": "volume.snap-1",
        "merge_target_file": None,
    }
    assert _delete(admin, gone, info).status_code == 204
    poll(lambda: _chain(cloud, sid, vid), ["volume.snap-2"].__eq__)
    shown = poll(
        lambda: _snapshot(admin, gone),
        lambda s: s["os-extended-snapshot-attributes:progress"] == "90%",
    )
    assert shown["status"] == "deleting"


def test_failures_reach_block_storage(
    cloud: RunningCloud, admin: Api, attached: dict[str, str]
) -> None:
    sid, vid = attached["server"], attached["volume"]
    before = _chain(cloud, sid, vid)
    # A file the guest's chain does not have: the host cannot merge it → error_deleting.
    bad = _snapshot_in(admin, vid, "deleting")
    info = {"volume_id": vid, "type": "qcow2", "file_to_merge": "nope", "merge_target_file": None}
    assert _delete(admin, bad, info).status_code == 204
    poll(lambda: _snapshot(admin, bad)["status"], "error_deleting".__eq__)
    # The host fails the overlay (the server is stopped) → error.
    assert (
        admin.compute("POST", f"/servers/{sid}/action", json={"os-stop": None}).status_code == 202
    )
    poll(
        lambda: admin.compute("GET", f"/servers/{sid}").json()["server"]["status"],
        "SHUTOFF".__eq__,
    )
    try:
        failing = _snapshot_in(admin, vid, "creating")
        resp = _create(admin, vid, snapshot_id=failing, new_file="volume.snap-x")
        assert resp.status_code == 200
        poll(lambda: _snapshot(admin, failing)["status"], "error".__eq__)
        assert _chain(cloud, sid, vid) == before
    finally:
        admin.compute("POST", f"/servers/{sid}/action", json={"os-start": None})
        poll(
            lambda: admin.compute("GET", f"/servers/{sid}").json()["server"]["status"],
            "ACTIVE".__eq__,
        )


def test_refusals(demo: Api, admin: Api, attached: dict[str, str]) -> None:
    vid = attached["volume"]
    some = "8a3b1c2d-0000-4000-8000-000000000001"
    # Block storage's (service or admin) API only.
    assert _create(demo, vid, snapshot_id=some, new_file="f").status_code == 403
    assert _delete(demo, some, {"volume_id": vid}).status_code == 403
    # nova's schema: type is qcow2, new_file and snapshot_id are required, nothing else.
    assert _create(admin, vid, snapshot_id=some, new_file="f", type="raw").status_code == 400
    assert _create(admin, vid, snapshot_id=some).status_code == 400
    assert _create(admin, vid, snapshot_id=some, new_file="f", extra=1).status_code == 400
    # A volume attached to no server.
    free = admin.volume("POST", "/volumes", json={"volume": {"size": 1}}).json()["volume"]["id"]
    resp = _create(admin, free, snapshot_id=some, new_file="f")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == (
        f"No volume Block Device Mapping with id {free}."
    )
    assert _delete(admin, some, {"volume_id": free}).status_code == 400
    # delete_info is required and names the volume; 2.75 refuses other query parameters.
    url = f"/os-assisted-volume-snapshots/{some}"
    assert admin.compute("DELETE", url).status_code == 400
    assert _delete(admin, some, {"file_to_merge": "x"}).status_code == 400
    assert _delete(admin, some, {"volume_id": vid}, "2.75", other="1").status_code == 400
    # Accepted: the host's failure (no such file to merge) is block storage's to hear about.
    assert _delete(admin, some, {"volume_id": vid}, "2.74", other="1").status_code == 204


def test_volume_backed_server_backup_and_rescue(cloud: RunningCloud, demo: Api) -> None:
    """A server whose root disk is a volume: createBackup is 400, as nova's; rescue is 400
    before 2.87 and works from it (stable device rescue, the host reports
    COMPUTE_RESCUE_BFV)."""
    conn = cloud.connection("stratus")
    image = conn.image.create_image(
        name="bfv-image", disk_format="raw", container_format="bare", data=b"\0" * 4096
    )
    root = {
        "boot_index": 0,
        "uuid": image.id,
        "source_type": "image",
        "destination_type": "volume",
        "volume_size": 1,
        "delete_on_termination": True,
    }
    body = {
        "server": {
            "name": "bfv",
            "flavorRef": "1",
            "networks": "none",
            "block_device_mapping_v2": [root],
        }
    }
    resp = demo.compute("POST", "/servers", json=body)
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    poll(
        lambda: demo.compute("GET", f"/servers/{sid}").json()["server"],
        lambda s: s["status"] == "ACTIVE" and s["OS-EXT-STS:task_state"] is None,
    )
    backup = {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}}
    resp = demo.compute("POST", f"/servers/{sid}/action", json=backup)
    assert resp.status_code == 400
    assert "backup volume backed instance" in resp.json()["badRequest"]["message"]
    shown = demo.compute("GET", f"/servers/{sid}").json()["server"]
    assert shown["OS-EXT-STS:task_state"] is None
    rescue = {"rescue": {"rescue_image_ref": image.id}}
    url = f"/servers/{sid}/action"
    old = demo.compute("POST", url, json=rescue, version="2.86")
    assert old.status_code == 400
    assert old.json()["badRequest"]["message"] == (
        f"Instance {sid} cannot be rescued: Cannot rescue a volume-backed instance"
    )
    assert demo.compute("POST", url, json=rescue, version="2.87").status_code == 200
    poll(lambda: demo.compute("GET", f"/servers/{sid}").json()["server"]["status"], "RESCUE".__eq__)
    assert demo.compute("POST", url, json={"unrescue": None}).status_code == 202
    poll(lambda: demo.compute("GET", f"/servers/{sid}").json()["server"]["status"], "ACTIVE".__eq__)
    assert demo.compute("DELETE", f"/servers/{sid}").status_code == 204
