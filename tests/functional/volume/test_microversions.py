"""Block storage microversions 3.65 to 3.71 over real HTTP: consumes_quota, snapshots of
in-use volumes without force, URLs without a project id, re-imaging a volume, transfers of
encrypted volumes, os-extend_volume_completion."""

import io
import os
import uuid
from typing import Any

import httpx
import pytest

from stratus.kit import qcow2
from tests.functional.volume.conftest import Caller
from tests.functional.volume.test_data import _create, _volume_file, _write
from tests.functional.volume.test_qcow2_images import _wait_image

MIB = 1 << 20


def _action(api: Caller, vid: str, body: dict[str, Any], version: str) -> httpx.Response:
    return api("POST", f"/volumes/{vid}/action", json=body, version=version)


def _in_use(api: Caller) -> dict[str, Any]:
    vol = _create(api)
    server = str(uuid.uuid4())
    resp = _action(
        api, vol["id"], {"os-attach": {"instance_uuid": server, "mountpoint": "/dev/vdc"}}, "3.0"
    )
    assert resp.status_code == 202, resp.text
    return api.wait(f"/volumes/{vol['id']}", "volume", "in-use")


def _detach_delete(api: Caller, vol: dict[str, Any]) -> None:
    shown = api("GET", f"/volumes/{vol['id']}").json()["volume"]
    for a in shown["attachments"]:
        _action(api, vol["id"], {"os-detach": {"attachment_id": a["attachment_id"]}}, "3.0")
    for snap in api("GET", f"/snapshots?volume_id={vol['id']}").json()["snapshots"]:
        api("DELETE", f"/snapshots/{snap['id']}")
        api.wait(f"/snapshots/{snap['id']}", "snapshot", "deleted")
    assert api("DELETE", f"/volumes/{vol['id']}").status_code == 202


# -- 3.65 ----------------------------------------------------------------------------------


def test_consumes_quota_field_and_filter(demo_api: Caller) -> None:
    vol = _create(demo_api, name="cq")
    snap = demo_api("POST", "/snapshots", json={"snapshot": {"volume_id": vol["id"]}}).json()
    demo_api.wait(f"/snapshots/{snap['snapshot']['id']}", "snapshot", "available")
    shown = demo_api("GET", f"/volumes/{vol['id']}", version="3.65").json()["volume"]
    assert shown["consumes_quota"] is True
    assert (
        "consumes_quota"
        not in demo_api("GET", f"/volumes/{vol['id']}", version="3.64").json()["volume"]
    )
    shown_snap = demo_api("GET", f"/snapshots/{snap['snapshot']['id']}", version="3.65").json()[
        "snapshot"
    ]
    assert shown_snap["consumes_quota"] is True
    for kind, key in (("volumes", "volumes"), ("snapshots", "snapshots")):
        on = demo_api("GET", f"/{kind}/detail?consumes_quota=true", version="3.65").json()[key]
        off = demo_api("GET", f"/{kind}/detail?consumes_quota=false", version="3.65").json()[key]
        assert {i["id"] for i in on} >= {vol["id"] if kind == "volumes" else shown_snap["id"]}
        assert all(i["consumes_quota"] is True for i in on)
        assert off == []
        # below 3.65 the filter is not one: everything is listed
        old = demo_api("GET", f"/{kind}/detail?consumes_quota=false", version="3.64").json()[key]
        assert len(old) == len(on)
        bad = demo_api("GET", f"/{kind}?consumes_quota=maybe", version="3.65")
        assert bad.status_code == 400
        assert "is not a boolean" in bad.json()["badRequest"]["message"]
    _detach_delete(demo_api, vol)


# -- 3.66 ----------------------------------------------------------------------------------


def test_snapshot_of_in_use_volume_without_force(demo_api: Caller) -> None:
    vol = _in_use(demo_api)
    body = {"snapshot": {"volume_id": vol["id"]}}
    # before 3.66 force is needed
    resp = demo_api("POST", "/snapshots", json=body, version="3.65")
    assert resp.status_code == 400
    before = demo_api("GET", f"/snapshots?volume_id={vol['id']}").json()["snapshots"]
    assert before == []
    # 3.66: force false (or not a boolean) is refused, nothing is made
    for force in (False, "false", "nope"):
        resp = demo_api(
            "POST",
            "/snapshots",
            json={"snapshot": {**body["snapshot"], "force": force}},
            version="3.66",
        )
        assert resp.status_code == 400, (force, resp.text)
    assert demo_api("GET", f"/snapshots?volume_id={vol['id']}").json()["snapshots"] == []
    # no force, or force true (ignored), snapshots the in-use volume
    resp = demo_api("POST", "/snapshots", json=body, version="3.66")
    assert resp.status_code == 202, resp.text
    demo_api.wait(f"/snapshots/{resp.json()['snapshot']['id']}", "snapshot", "available")
    resp = demo_api(
        "POST",
        "/snapshots",
        json={"snapshot": {**body["snapshot"], "force": True}},
        version="3.66",
    )
    assert resp.status_code == 202, resp.text
    demo_api.wait(f"/snapshots/{resp.json()['snapshot']['id']}", "snapshot", "available")
    # an available volume is unaffected
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "in-use"
    _detach_delete(demo_api, vol)


# -- 3.67 ----------------------------------------------------------------------------------


def test_urls_without_project_id(cloud: Any, demo_api: Caller) -> None:
    headers = {"X-Auth-Token": demo_api.token, "OpenStack-API-Version": "volume 3.67"}
    base = f"{cloud.url}/volume/v3"
    resp = httpx.post(
        f"{base}/volumes", json={"volume": {"size": 1, "name": "nopid"}}, headers=headers
    )
    assert resp.status_code == 202, resp.text
    vid = resp.json()["volume"]["id"]
    links = resp.json()["volume"]["links"]
    assert links[0]["href"] == f"{base}/volumes/{vid}"
    assert links[1]["href"] == f"{cloud.url}/volume/volumes/{vid}"
    demo_api.wait(f"/volumes/{vid}", "volume", "available")
    # the same volume through both URLs; links follow the request's form
    short = httpx.get(f"{base}/volumes/{vid}", headers=headers).json()["volume"]
    long = demo_api("GET", f"/volumes/{vid}", version="3.67").json()["volume"]
    assert short["id"] == long["id"] == vid and short["name"] == "nopid"
    assert long["links"][0]["href"] == f"{base}/{demo_api.project_id}/volumes/{vid}"
    listed = httpx.get(f"{base}/volumes/detail?limit=1", headers=headers).json()
    assert listed["volumes_links"][0]["href"].startswith(f"{base}/volumes/detail?")
    # the project is the token's: another project's token does not see the volume
    assert httpx.get(f"{base}/volumes/{vid}", headers=headers).status_code == 200
    assert httpx.get(f"{base}/types", headers=headers).status_code == 200
    assert httpx.get(f"{base}/limits", headers=headers).status_code == 200
    # actions and sub-resources too
    resp = httpx.post(
        f"{base}/volumes/{vid}/metadata", json={"metadata": {"k": "v"}}, headers=headers
    )
    assert resp.status_code == 200 and resp.json()["metadata"] == {"k": "v"}
    # routes not served still answer 501, unknown ones 404
    assert httpx.get(f"{base}/workers", headers=headers).status_code == 501
    missing = httpx.get(f"{base}/no-such-thing", headers=headers, follow_redirects=True)
    assert missing.status_code == 404
    assert httpx.delete(f"{base}/volumes/{vid}", headers=headers).status_code == 202
    demo_api.wait(f"/volumes/{vid}", "volume", "deleted")


def test_projectless_url_is_scoped_to_the_token(
    cloud: Any, admin_api: Caller, demo_api: Caller
) -> None:
    vol = _create(demo_api, name="mine")
    base = f"{cloud.url}/volume/v3"
    admin_headers = {"X-Auth-Token": admin_api.token, "OpenStack-API-Version": "volume 3.67"}
    listed = httpx.get(f"{base}/volumes", headers=admin_headers).json()["volumes"]
    assert vol["id"] not in {v["id"] for v in listed}
    everyone = httpx.get(f"{base}/volumes?all_tenants=1", headers=admin_headers).json()
    assert vol["id"] in {v["id"] for v in everyone["volumes"]}
    _detach_delete(demo_api, vol)


# -- 3.68 ----------------------------------------------------------------------------------


def test_reimage_writes_the_image_disk(cloud: Any, demo: Any, demo_api: Caller) -> None:
    disk = bytearray(4 * MIB)
    disk[0:4096] = os.urandom(4096)
    disk[3 * MIB : 3 * MIB + 1000] = os.urandom(1000)
    out = io.BytesIO()
    qcow2.write(iter([bytes(disk)]), len(disk), out)
    image = demo.image.create_image(
        name="reimage-q", disk_format="qcow2", container_format="bare", data=out.getvalue()
    )
    _wait_image(demo, image.id)
    vol = _create(demo_api, name="to-reimage", metadata={"keep": "yes"})
    path = _volume_file(cloud, vol["id"])
    _write(path, b"\xaa" * 8192, 0)
    _write(path, b"\xbb" * 4096, 10 * MIB)  # beyond the image's disk: must become zeros
    body = {"os-reimage": {"image_id": image.id}}
    # not before 3.68
    assert _action(demo_api, vol["id"], body, "3.67").status_code == 404
    # bad input: nothing changes
    for bad in (
        {"os-reimage": {}},
        {"os-reimage": {"image_id": "not-a-uuid"}},
        {"os-reimage": {"image_id": image.id, "extra": 1}},
        {"os-reimage": {"image_id": image.id, "reimage_reserved": "perhaps"}},
    ):
        assert _action(demo_api, vol["id"], bad, "3.68").status_code == 400, bad
    assert (
        _action(
            demo_api, vol["id"], {"os-reimage": {"image_id": str(uuid.uuid4())}}, "3.68"
        ).status_code
        == 404
    )
    missing = _action(demo_api, str(uuid.uuid4()), {"os-reimage": {"image_id": image.id}}, "3.68")
    assert missing.status_code == 404 and "Volume" in missing.json()["itemNotFound"]["message"]
    with open(path, "rb") as fh:
        assert fh.read(8192) == b"\xaa" * 8192
    resp = _action(demo_api, vol["id"], body, "3.68")
    assert resp.status_code == 202, resp.text
    done = demo_api.wait(f"/volumes/{vol['id']}", "volume", ("available", "error"))
    assert done["status"] == "available"
    assert done["volume_image_metadata"]["image_id"] == image.id
    assert done["volume_image_metadata"]["disk_format"] == "qcow2"
    assert done["metadata"] == {"keep": "yes"}
    with open(path, "rb") as fh:
        assert fh.read(len(disk)) == bytes(disk)  # the guest disk, not the qcow2 file
        fh.seek(10 * MIB)
        assert fh.read(4096) == bytes(4096)
    # an in-use volume is refused; a reserved one only with reimage_reserved
    attached = _in_use(demo_api)
    resp = _action(demo_api, attached["id"], body, "3.68")
    assert resp.status_code == 400 and "status must be" in resp.json()["badRequest"]["message"]
    _detach_delete(demo_api, attached)
    reserved = _create(demo_api)
    resp = demo_api(
        "POST",
        "/attachments",
        json={"attachment": {"volume_uuid": reserved["id"], "instance_uuid": str(uuid.uuid4())}},
        version="3.27",
    )
    assert resp.status_code == 200, resp.text
    attachment = resp.json()["attachment"]["id"]
    assert demo_api.wait(f"/volumes/{reserved['id']}", "volume", "reserved")
    assert _action(demo_api, reserved["id"], body, "3.68").status_code == 400
    resp = _action(
        demo_api,
        reserved["id"],
        {"os-reimage": {"image_id": image.id, "reimage_reserved": True}},
        "3.68",
    )
    assert resp.status_code == 202, resp.text
    assert (
        demo_api.wait(f"/volumes/{reserved['id']}", "volume", ("reserved", "error"))["status"]
        == "reserved"
    )
    assert demo_api("DELETE", f"/attachments/{attachment}", version="3.27").status_code == 200
    demo_api.wait(f"/volumes/{reserved['id']}", "volume", "available")
    _detach_delete(demo_api, reserved)
    _detach_delete(demo_api, vol)


def test_reimage_refuses_an_image_larger_than_the_volume(demo: Any, demo_api: Caller) -> None:
    out = io.BytesIO()
    qcow2.write(iter([b""]), 3 * 1024**3, out)
    image = demo.image.create_image(
        name="too-big", disk_format="qcow2", container_format="bare", data=out.getvalue()
    )
    _wait_image(demo, image.id)
    vol = _create(demo_api)
    resp = _action(demo_api, vol["id"], {"os-reimage": {"image_id": image.id}}, "3.71")
    assert resp.status_code == 400, resp.text
    shown = demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert shown["status"] == "available" and "volume_image_metadata" not in shown
    _detach_delete(demo_api, vol)


# -- 3.70 ----------------------------------------------------------------------------------


def test_transfer_of_encrypted_volume(admin_api: Caller, demo_api: Caller) -> None:
    resp = admin_api("POST", "/types", json={"volume_type": {"name": "enc-370"}})
    assert resp.status_code == 200, resp.text
    tid = resp.json()["volume_type"]["id"]
    resp = admin_api(
        "POST",
        f"/types/{tid}/encryption",
        json={
            "encryption": {
                "provider": "luks",
                "cipher": "aes-xts-plain64",
                "key_size": 256,
                "control_location": "front-end",
            }
        },
    )
    assert resp.status_code == 200, resp.text
    vol = _create(demo_api, volume_type="enc-370")
    assert vol["encrypted"] is True
    body = {"transfer": {"volume_id": vol["id"], "name": "enc"}}
    resp = demo_api("POST", "/volume-transfers", json=body, version="3.69")
    assert resp.status_code == 400, resp.text
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"
    resp = demo_api("POST", "/volume-transfers", json=body, version="3.70")
    assert resp.status_code == 202, resp.text
    transfer = resp.json()["transfer"]
    resp = admin_api(
        "POST",
        f"/volume-transfers/{transfer['id']}/accept",
        json={"accept": {"auth_key": transfer["auth_key"]}},
        version="3.70",
    )
    assert resp.status_code == 202, resp.text
    moved = admin_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert moved["os-vol-tenant-attr:tenant_id"] == admin_api.project_id
    assert moved["encrypted"] is True and moved["status"] == "available"
    assert admin_api("DELETE", f"/volumes/{vol['id']}").status_code == 202
    admin_api.wait(f"/volumes/{vol['id']}", "volume", "deleted")
    assert admin_api("DELETE", f"/types/{tid}").status_code == 202


# -- 3.71 ----------------------------------------------------------------------------------


def test_extend_volume_completion(admin_api: Caller, demo_api: Caller) -> None:
    vol = _create(demo_api)
    body = {"os-extend_volume_completion": {"error": False}}
    # admin only
    resp = _action(demo_api, vol["id"], body, "3.71")
    assert resp.status_code == 403, resp.text
    # a volume that is not extending
    resp = _action(admin_api, vol["id"], body, "3.71")
    assert resp.status_code == 400
    assert "not being extended" in resp.json()["badRequest"]["message"]
    # schema: error is a string, null or boolean; nothing else is accepted
    for bad in ({"error": 3}, {"error": [1]}, {"other": True}):
        resp = _action(admin_api, vol["id"], {"os-extend_volume_completion": bad}, "3.71")
        assert resp.status_code == 400, bad
    assert _action(admin_api, str(uuid.uuid4()), body, "3.71").status_code == 404
    # a volume extending on its backend has no compute-side extend to complete
    admin_api(
        "POST", f"/volumes/{vol['id']}/action", json={"os-reset_status": {"status": "extending"}}
    )
    resp = _action(admin_api, vol["id"], body, "3.71")
    assert resp.status_code == 400
    assert "admin metadata" in resp.json()["badRequest"]["message"]
    shown = admin_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert shown["status"] == "extending" and shown["size"] == 1
    admin_api(
        "POST", f"/volumes/{vol['id']}/action", json={"os-reset_status": {"status": "available"}}
    )
    _detach_delete(demo_api, vol)


def test_version_range_and_shared_targets(demo_api: Caller) -> None:
    resp = demo_api("GET", "/volumes", version="3.71")
    assert resp.headers["OpenStack-API-Version"] == "volume 3.71"
    assert demo_api("GET", "/volumes", version="3.72").status_code == 406
    latest = demo_api("GET", "/volumes", version="latest")
    assert latest.headers["OpenStack-API-Version"] == "volume 3.71"
    vol = _create(demo_api)
    for v in ("3.48", "3.69", "3.71"):
        shown = demo_api("GET", f"/volumes/{vol['id']}", version=v).json()["volume"]
        assert shown["shared_targets"] is False
    _detach_delete(demo_api, vol)


def test_openstacksdk_sees_the_new_fields_and_actions(admin: Any, demo: Any) -> None:
    """openstacksdk negotiates up to 3.71: it reads consumes_quota, snapshots an in-use
    volume without force, and its complete_volume_extend gets cinder's refusal."""
    from openstack import exceptions

    vol = demo.block_storage.create_volume(size=1, name="sdk-371")
    demo.block_storage.wait_for_status(vol, "available", wait=120)
    assert demo.block_storage.get_volume(vol.id).consumes_quota is True
    with_false = list(demo.block_storage.volumes(consumes_quota=False))
    assert with_false == []
    with pytest.raises(exceptions.ForbiddenException):
        demo.block_storage.complete_volume_extend(vol.id)
    with pytest.raises(exceptions.BadRequestException, match="not being extended"):
        admin.block_storage.complete_volume_extend(vol.id, error=False)
    demo.block_storage.delete_volume(vol.id)
    demo.block_storage.wait_for_delete(vol, wait=120)
