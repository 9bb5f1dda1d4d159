"""Volumes on servers: `openstack server add volume` / `remove volume`, the
os-volume_attachments API, boot from volume (`server create --boot-from-volume` and
block_device_mapping_v2 sources), and the refusals the issue names."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.volume.conftest import Caller
from tests.functional.volume.test_cli import osc

SERVICES = ("identity", "placement", "network", "image", "object-store", "compute", "block-storage")


@pytest.fixture(scope="module")
def ccloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("volume-compute"), services=SERVICES) as c:
        yield c


@pytest.fixture(scope="module")
def conn(ccloud: RunningCloud) -> Any:
    return ccloud.connection("stratus")


@pytest.fixture(scope="module")
def vapi(ccloud: RunningCloud, conn: Any) -> Caller:
    return Caller(ccloud, conn.auth_token, conn.current_project_id)


def napi(ccloud: RunningCloud, conn: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"X-Auth-Token": conn.auth_token, "OpenStack-API-Version": "compute 2.79"}
    return httpx.request(
        method, f"{ccloud.url}/compute/v2.1{path}", headers=headers, timeout=60, **kw
    )


@pytest.fixture(scope="module")
def boot(ccloud: RunningCloud, conn: Any) -> dict[str, str]:
    image = conn.image.create_image(
        name="bfv-image", disk_format="raw", container_format="bare", data=b"\x7fELF" + bytes(8192)
    )
    net = conn.network.create_network(name="vol-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.31.0.0/24", ip_version=4)
    flavor = next(iter(conn.compute.flavors()))
    return {"image": image.id, "network": net.id, "flavor": flavor.name}


def _server(ccloud: RunningCloud, boot: dict[str, str], name: str, *extra: str) -> dict[str, Any]:
    return osc(
        ccloud,
        "server",
        "create",
        "--flavor",
        boot["flavor"],
        "--network",
        boot["network"],
        "--wait",
        *extra,
        name,
        name="stratus",
    )


def _wait_volume(vapi: Caller, vid: str, status: str) -> dict[str, Any]:
    return vapi.wait(f"/volumes/{vid}", "volume", status)


def test_add_and_remove_volume(
    ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]
) -> None:
    server = _server(ccloud, boot, "vm-attach", "--image", boot["image"])
    vol = osc(ccloud, "volume", "create", "--size", "1", "data-1", name="stratus")
    _wait_volume(vapi, vol["id"], "available")
    osc(ccloud, "server", "add", "volume", server["id"], vol["id"], name="stratus")
    shown = _wait_volume(vapi, vol["id"], "in-use")
    assert shown["attachments"][0]["server_id"] == server["id"]
    assert shown["attachments"][0]["device"] == "/dev/vdb"
    listed = napi(ccloud, conn, "GET", f"/servers/{server['id']}/os-volume_attachments").json()
    shown_server = napi(ccloud, conn, "GET", f"/servers/{server['id']}").json()["server"]
    assert shown_server["os-extended-volumes:volumes_attached"] == [
        {"id": vol["id"], "delete_on_termination": False}
    ]
    # the list reads the mappings in its own transaction: the same answer
    in_list = napi(ccloud, conn, "GET", "/servers/detail").json()["servers"]
    assert [
        s["os-extended-volumes:volumes_attached"] for s in in_list if s["id"] == server["id"]
    ] == [[{"id": vol["id"], "delete_on_termination": False}]]
    assert listed["volumeAttachments"] == [
        {
            "id": vol["id"],
            "serverId": server["id"],
            "volumeId": vol["id"],
            "device": "/dev/vdb",
            "tag": None,
            "delete_on_termination": False,
        }
    ]
    # an in-use volume cannot be deleted; a non-multiattach volume cannot be attached twice
    resp = vapi("DELETE", f"/volumes/{vol['id']}")
    assert resp.status_code == 400 and "attached" in resp.json()["badRequest"]["message"]
    other = _server(ccloud, boot, "vm-other", "--image", boot["image"])
    resp = napi(
        ccloud,
        conn,
        "POST",
        f"/servers/{other['id']}/os-volume_attachments",
        json={"volumeAttachment": {"volumeId": vol["id"]}},
    )
    assert resp.status_code == 400, resp.text
    assert _wait_volume(vapi, vol["id"], "in-use")["attachments"][0]["server_id"] == server["id"]
    # extend while attached (3.42)
    resp = vapi(
        "POST", f"/volumes/{vol['id']}/action", json={"os-extend": {"new_size": 2}}, version="3.42"
    )
    assert resp.status_code == 202
    assert _wait_volume(vapi, vol["id"], "in-use")["size"] == 2
    osc(ccloud, "server", "remove", "volume", server["id"], vol["id"], name="stratus", fmt=False)
    after = _wait_volume(vapi, vol["id"], "available")
    assert after["attachments"] == []
    assert (
        napi(
            ccloud, conn, "GET", f"/servers/{server['id']}/os-volume_attachments/{vol['id']}"
        ).status_code
        == 404
    )
    for sid in (server["id"], other["id"]):
        osc(ccloud, "server", "delete", "--wait", sid, name="stratus", fmt=False)
    osc(ccloud, "volume", "delete", vol["id"], name="stratus", fmt=False)


def test_boot_from_volume_cli(
    ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]
) -> None:
    server = _server(ccloud, boot, "vm-bfv", "--image", boot["image"], "--boot-from-volume", "1")
    assert server["status"] == "ACTIVE"
    attached = napi(ccloud, conn, "GET", f"/servers/{server['id']}/os-volume_attachments").json()
    (root,) = attached["volumeAttachments"]
    assert root["device"] == "/dev/vda"
    vol = _wait_volume(vapi, root["volumeId"], "in-use")
    assert vol["bootable"] == "true"
    assert vol["volume_image_metadata"]["image_id"] == boot["image"]
    # the root volume cannot be detached
    resp = napi(
        ccloud, conn, "DELETE", f"/servers/{server['id']}/os-volume_attachments/{root['volumeId']}"
    )
    assert resp.status_code == 400
    osc(ccloud, "server", "delete", "--wait", server["id"], name="stratus", fmt=False)
    # openstackclient asks for delete_on_termination=False by default: the volume stays
    _wait_volume(vapi, root["volumeId"], "available")
    vapi("DELETE", f"/volumes/{root['volumeId']}")


def test_bdm_sources(ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]) -> None:
    resp = vapi("POST", "/volumes", json={"volume": {"size": 1, "imageRef": boot["image"]}})
    src = _wait_volume(vapi, resp.json()["volume"]["id"], "available")
    resp = vapi("POST", "/snapshots", json={"snapshot": {"volume_id": src["id"]}})
    snap = vapi.wait(f"/snapshots/{resp.json()['snapshot']['id']}", "snapshot", "available")
    body = {
        "server": {
            "name": "vm-bdm",
            "flavorRef": next(iter(conn.compute.flavors())).id,
            "imageRef": "",
            "networks": [{"uuid": boot["network"]}],
            "block_device_mapping_v2": [
                {
                    "source_type": "volume",
                    "destination_type": "volume",
                    "uuid": src["id"],
                    "boot_index": 0,
                    "delete_on_termination": False,
                },
                {
                    "source_type": "snapshot",
                    "destination_type": "volume",
                    "uuid": snap["id"],
                    "boot_index": 1,
                    "delete_on_termination": True,
                },
                {
                    "source_type": "blank",
                    "destination_type": "volume",
                    "volume_size": 1,
                    "delete_on_termination": True,
                },
            ],
        }
    }
    resp = napi(ccloud, conn, "POST", "/servers", json=body)
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    atts = napi(ccloud, conn, "GET", f"/servers/{sid}/os-volume_attachments").json()[
        "volumeAttachments"
    ]
    assert [a["device"] for a in atts] == ["/dev/vda", "/dev/vdb", "/dev/vdc"]
    assert atts[0]["volumeId"] == src["id"] and atts[0]["delete_on_termination"] is False
    made = [a["volumeId"] for a in atts[1:]]
    for vid in made:
        assert _wait_volume(vapi, vid, "in-use")
    assert napi(ccloud, conn, "DELETE", f"/servers/{sid}").status_code == 204
    deadline = time.monotonic() + 60
    while napi(ccloud, conn, "GET", f"/servers/{sid}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    _wait_volume(vapi, src["id"], "available")
    for vid in made:  # delete_on_termination
        vapi.wait(f"/volumes/{vid}", "volume", "deleted")
    # a bad mapping creates nothing
    before = len(vapi("GET", "/volumes").json()["volumes"])
    body["server"]["block_device_mapping_v2"] = [
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1, "boot_index": 0},
        {
            "source_type": "volume",
            "destination_type": "volume",
            "uuid": "8f5ab0e3-0c2e-4a36-a0e4-1e3d2c8b5f00",
            "boot_index": 1,
        },
    ]
    resp = napi(ccloud, conn, "POST", "/servers", json=body)
    assert resp.status_code == 400, resp.text
    time.sleep(0.5)
    assert len(vapi("GET", "/volumes").json()["volumes"]) == before
    vapi("DELETE", f"/volumes/{src['id']}?cascade=true")


def test_nova_volume_proxies(ccloud: RunningCloud, conn: Any, vapi: Caller) -> None:
    def nova(method: str, path: str, version: str = "2.35", **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": conn.auth_token, "OpenStack-API-Version": f"compute {version}"}
        return httpx.request(
            method, f"{ccloud.url}/compute/v2.1{path}", headers=headers, timeout=60, **kw
        )

    resp = nova("POST", "/os-volumes", json={"volume": {"size": 1, "display_name": "proxied"}})
    assert resp.status_code == 200, resp.text
    vol = resp.json()["volume"]
    assert vol["displayName"] == "proxied" and vol["attachments"] == [{}]
    _wait_volume(vapi, vol["id"], "available")
    assert nova("GET", f"/os-volumes/{vol['id']}").json()["volume"]["status"] == "available"
    assert any(v["id"] == vol["id"] for v in nova("GET", "/os-volumes/detail").json()["volumes"])
    assert nova("POST", "/os-volumes", json={"volume": {"size": 0}}).status_code == 400
    resp = nova("POST", "/os-snapshots", json={"snapshot": {"volume_id": vol["id"]}})
    assert resp.status_code == 200, resp.text
    snap = resp.json()["snapshot"]
    vapi.wait(f"/snapshots/{snap['id']}", "snapshot", "available")
    assert nova("GET", f"/os-snapshots/{snap['id']}").json()["snapshot"]["volumeId"] == vol["id"]
    assert nova("DELETE", f"/os-snapshots/{snap['id']}").status_code == 202
    vapi.wait(f"/snapshots/{snap['id']}", "snapshot", "deleted")
    assert nova("GET", "/os-volumes", version="2.36").status_code == 404
    assert nova("DELETE", f"/os-volumes/{vol['id']}").status_code == 202
    _wait_volume(vapi, vol["id"], "deleted")
    assert nova("DELETE", f"/os-volumes/{vol['id']}").status_code == 404


def test_legacy_block_device_mapping(
    ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]
) -> None:
    resp = vapi("POST", "/volumes", json={"volume": {"size": 1}})
    vid = _wait_volume(vapi, resp.json()["volume"]["id"], "available")["id"]
    body = {
        "server": {
            "name": "vm-legacy-bdm",
            "flavorRef": next(iter(conn.compute.flavors())).id,
            "imageRef": boot["image"],
            "networks": [{"uuid": boot["network"]}],
            "block_device_mapping": [{"volume_id": vid, "delete_on_termination": "0"}],
        }
    }
    resp = napi(ccloud, conn, "POST", "/servers", json=body)
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    atts = napi(ccloud, conn, "GET", f"/servers/{sid}/os-volume_attachments").json()
    assert [(a["volumeId"], a["device"]) for a in atts["volumeAttachments"]] == [(vid, "/dev/vdb")]
    assert napi(ccloud, conn, "DELETE", f"/servers/{sid}").status_code == 204
    _wait_volume(vapi, vid, "available")
    vapi("DELETE", f"/volumes/{vid}")


def _extend_messages(vapi: Caller, vid: str) -> list[dict[str, Any]]:
    listed = vapi("GET", "/messages", version="3.5").json()["messages"]
    return [
        m
        for m in listed
        if m.get("resource_uuid") == vid and m["event_id"] == "VOLUME_VOLUME_007_009"
    ]


def test_extending_an_attached_volume_tells_compute(
    ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]
) -> None:
    """As cinder: an in-use volume that grew is announced to compute with a volume-extended
    external event for its server; when compute refuses it (no such server), the user gets
    cinder's "Compute service failed to extend volume." message."""
    server = _server(ccloud, boot, "vm-extend", "--image", boot["image"])
    vol = osc(ccloud, "volume", "create", "--size", "1", "grow-me", name="stratus")
    _wait_volume(vapi, vol["id"], "available")
    osc(ccloud, "server", "add", "volume", server["id"], vol["id"], name="stratus")
    _wait_volume(vapi, vol["id"], "in-use")
    # a volume attached (os-attach) to a server compute does not know
    orphan = vapi("POST", "/volumes", json={"volume": {"size": 1}}).json()["volume"]["id"]
    _wait_volume(vapi, orphan, "available")
    resp = vapi(
        "POST",
        f"/volumes/{orphan}/action",
        json={"os-attach": {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdc"}},
    )
    assert resp.status_code == 202, resp.text
    _wait_volume(vapi, orphan, "in-use")
    for vid in (vol["id"], orphan):
        resp = vapi(
            "POST", f"/volumes/{vid}/action", json={"os-extend": {"new_size": 2}}, version="3.42"
        )
        assert resp.status_code == 202, resp.text
        assert _wait_volume(vapi, vid, "in-use")["size"] == 2
    deadline = time.monotonic() + 60
    while not _extend_messages(vapi, orphan):
        assert time.monotonic() < deadline, "no user message for the refused event"
        time.sleep(0.1)
    [msg] = _extend_messages(vapi, orphan)
    assert msg["user_message"] == "extend volume:Compute service failed to extend volume."
    # the real server took its event: no such message for its volume, and nova's record of it
    assert _extend_messages(vapi, vol["id"]) == []
    actions = osc(ccloud, "server", "event", "list", server["id"], name="stratus")
    extend = [a for a in actions if a["Action"] == "extend_volume"]
    assert len(extend) == 1
    shown = osc(
        ccloud, "server", "event", "show", server["id"], extend[0]["Request ID"], name="stratus"
    )
    assert [(e["event"], e["result"]) for e in shown["events"]] == [
        ("compute_extend_volume", "Success")
    ]
    osc(ccloud, "server", "remove", "volume", server["id"], vol["id"], name="stratus", fmt=False)
    _wait_volume(vapi, vol["id"], "available")
    osc(ccloud, "server", "delete", "--wait", server["id"], name="stratus", fmt=False)
    shown = vapi("GET", f"/volumes/{orphan}").json()["volume"]
    vapi(
        "POST",
        f"/volumes/{orphan}/action",
        json={"os-detach": {"attachment_id": shown["attachments"][0]["attachment_id"]}},
    )
    _wait_volume(vapi, orphan, "available")
    for vid in (vol["id"], orphan):
        assert vapi("DELETE", f"/volumes/{vid}").status_code == 202


def test_users_cannot_detach_what_compute_attached(
    ccloud: RunningCloud, conn: Any, vapi: Caller, boot: dict[str, str]
) -> None:
    """OSSA-2023-003, as cinder fixed it: a volume compute attached to a server cannot be
    detached through the block storage API (os-detach, os-force_detach,
    os-terminate_connection, DELETE /attachments) by a user — a normal user's token passed as
    the service token does not help, an invalid one is a 401 — only through compute."""
    server = _server(ccloud, boot, "vm-guarded", "--image", boot["image"])
    vol = osc(ccloud, "volume", "create", "--size", "1", "guarded", name="stratus")
    other = osc(ccloud, "volume", "create", "--size", "1", "other", name="stratus")
    for vid in (vol["id"], other["id"]):
        _wait_volume(vapi, vid, "available")
        osc(ccloud, "server", "add", "volume", server["id"], vid, name="stratus")
        _wait_volume(vapi, vid, "in-use")
    shown = vapi("GET", f"/volumes/{vol['id']}").json()["volume"]
    att_id = shown["attachments"][0]["attachment_id"]
    other_att = vapi("GET", f"/volumes/{other['id']}").json()["volume"]["attachments"][0]
    refused = f"Detach volume from instance {server['id']} using the Compute API"
    calls = [
        ("POST", f"/volumes/{vol['id']}/action", {"os-detach": {}}, None),
        ("POST", f"/volumes/{vol['id']}/action", {"os-force_detach": {}}, None),
        ("POST", f"/volumes/{vol['id']}/action", {"os-terminate_connection": {"connector": {}}}, None),
        ("DELETE", f"/attachments/{att_id}", None, "3.27"),
    ]  # fmt: skip
    for method, path, body, version in calls:
        for service_token in (None, vapi.token):
            headers = {"X-Service-Token": service_token} if service_token else {}
            resp = vapi(method, path, json=body, version=version, headers=headers)
            assert resp.status_code == 409, (path, resp.text)
            assert refused in resp.text
        bogus = {"X-Service-Token": vapi.token[:-1] + ("a" if vapi.token[-1] != "a" else "b")}
        assert vapi(method, path, json=body, version=version, headers=bogus).status_code == 401
    # another volume's attachment named on this volume
    resp = vapi(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={"os-detach": {"attachment_id": other_att["attachment_id"]}},
    )
    assert resp.status_code == 400 and "Mismatched volumes on attachment request" in resp.text
    # nothing changed; compute detaches
    for vid in (vol["id"], other["id"]):
        assert vapi("GET", f"/volumes/{vid}").json()["volume"]["status"] == "in-use"
        osc(ccloud, "server", "remove", "volume", server["id"], vid, name="stratus", fmt=False)
        _wait_volume(vapi, vid, "available")
        assert vapi("DELETE", f"/volumes/{vid}").status_code == 202
    osc(ccloud, "server", "delete", "--wait", server["id"], name="stratus", fmt=False)
