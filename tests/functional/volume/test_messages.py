"""User messages: a volume no backend can take goes to error and its owner is told why
(cinder's VOLUME_VOLUME_001_003); list, show, delete, who may see them, microversions."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.volume.conftest import Caller


@pytest.fixture
def bogus_type(admin_api: Caller) -> Iterator[dict[str, Any]]:
    body = {
        "name": f"nowhere-{uuid.uuid4().hex[:8]}",
        "extra_specs": {"storage_protocol": "carrier-pigeon", "vendor_name": "Nobody"},
    }
    resp = admin_api("POST", "/types", json={"volume_type": body})
    assert resp.status_code == 200, resp.text
    t = resp.json()["volume_type"]
    yield t
    admin_api("DELETE", f"/types/{t['id']}")


def _failed_volume(api: Caller, vtype: dict[str, Any]) -> tuple[str, str]:
    resp = api("POST", "/volumes", json={"volume": {"size": 1, "volume_type": vtype["id"]}})
    assert resp.status_code == 202, resp.text
    vid = resp.json()["volume"]["id"]
    assert api.wait(f"/volumes/{vid}", "volume", ("available", "error"))["status"] == "error"
    return vid, resp.headers["x-openstack-request-id"]


def test_unschedulable_volume_leaves_a_message(
    demo_api: Caller, admin_api: Caller, bogus_type: dict[str, Any]
) -> None:
    vid, request_id = _failed_volume(demo_api, bogus_type)
    listed = demo_api("GET", "/messages", version="3.3")
    assert listed.status_code == 200, listed.text
    mine = [m for m in listed.json()["messages"] if m.get("resource_uuid") == vid]
    assert len(mine) == 1
    msg = mine[0]
    assert msg["event_id"] == "VOLUME_VOLUME_001_003"
    assert msg["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend."
    )
    assert msg["message_level"] == "ERROR" and msg["resource_type"] == "VOLUME"
    assert msg["request_id"] == request_id
    assert msg["created_at"] < msg["guaranteed_until"]
    assert msg["links"][0]["href"].endswith(f"/messages/{msg['id']}")
    shown = demo_api("GET", f"/messages/{msg['id']}", version="3.3").json()["message"]
    assert shown == msg
    # another project's user does not see it; an admin does
    assert admin_api("GET", f"/messages/{msg['id']}", version="3.3").status_code == 200
    # filters and paging from 3.5
    by_event = demo_api(
        "GET", "/messages?event_id=VOLUME_VOLUME_001_003&limit=1", version="3.5"
    ).json()
    assert len(by_event["messages"]) == 1 and "messages_links" in by_event
    none = demo_api("GET", "/messages?event_id=VOLUME_NOPE", version="3.5").json()
    assert none["messages"] == []
    # delete: 204, then gone
    assert demo_api("DELETE", f"/messages/{msg['id']}", version="3.3").status_code == 204
    assert demo_api("GET", f"/messages/{msg['id']}", version="3.3").status_code == 404
    assert demo_api("DELETE", f"/messages/{msg['id']}", version="3.3").status_code == 404
    demo_api("DELETE", f"/volumes/{vid}")
    demo_api.wait(f"/volumes/{vid}", "volume", "deleted")


def test_messages_are_private_to_the_project(
    demo_api: Caller, admin_api: Caller, bogus_type: dict[str, Any]
) -> None:
    vid, _ = _failed_volume(admin_api, bogus_type)
    admin_msgs = admin_api("GET", "/messages", version="3.3").json()["messages"]
    msg = next(m for m in admin_msgs if m.get("resource_uuid") == vid)
    assert demo_api("GET", f"/messages/{msg['id']}", version="3.3").status_code == 404
    assert demo_api("DELETE", f"/messages/{msg['id']}", version="3.3").status_code == 404
    assert all(
        m.get("resource_uuid") != vid
        for m in demo_api("GET", "/messages", version="3.3").json()["messages"]
    )
    admin_api("DELETE", f"/messages/{msg['id']}", version="3.3")
    admin_api("DELETE", f"/volumes/{vid}")
    admin_api.wait(f"/volumes/{vid}", "volume", "deleted")


def test_messages_need_3_3(demo_api: Caller) -> None:
    assert demo_api("GET", "/messages", version="3.2").status_code == 404
    assert demo_api("GET", f"/messages/{uuid.uuid4()}", version="3.3").status_code == 404


def test_backend_failures_leave_messages(demo_api: Caller, admin_api: Caller, cloud: Any) -> None:
    """The backing file of a volume disappears under the backend: the snapshot and the extend
    that need it fail after their 202, and the owner is told which and why."""
    resp = demo_api("POST", "/volumes", json={"volume": {"size": 1}})
    vid = resp.json()["volume"]["id"]
    demo_api.wait(f"/volumes/{vid}", "volume", "available")
    (backing,) = list(cloud.data_dir.rglob(f"volume-{vid}"))
    backing.unlink()
    snap = demo_api("POST", "/snapshots", json={"snapshot": {"volume_id": vid}})
    assert snap.status_code == 202, snap.text
    sid = snap.json()["snapshot"]["id"]
    demo_api.wait(f"/snapshots/{sid}", "snapshot", ("available", "error"))
    extend = demo_api("POST", f"/volumes/{vid}/action", json={"os-extend": {"new_size": 2}})
    assert extend.status_code == 202, extend.text
    demo_api.wait(f"/volumes/{vid}", "volume", ("available", "error_extending"))
    messages = demo_api("GET", "/messages", version="3.3").json()["messages"]
    events = {m.get("resource_uuid"): m for m in messages}
    assert events[sid]["event_id"] == "VOLUME_VOLUME_SNAPSHOT_009_013"
    assert events[sid]["resource_type"] == "VOLUME_SNAPSHOT"
    assert events[sid]["user_message"] == "create snapshot:Snapshot failed to create."
    assert events[vid]["event_id"] == "VOLUME_VOLUME_007_010"
    assert events[vid]["user_message"] == "extend volume:Volume Driver failed to extend volume."
    for m in (events[sid], events[vid]):
        demo_api("DELETE", f"/messages/{m['id']}", version="3.3")
    admin_api("POST", f"/snapshots/{sid}/action", json={"os-force_delete": {}})
    admin_api.wait(f"/snapshots/{sid}", "snapshot", ("deleted", "error_deleting"))
    admin_api("POST", f"/volumes/{vid}/action", json={"os-force_delete": {}})
    admin_api.wait(f"/volumes/{vid}", "volume", ("deleted", "error_deleting"))
