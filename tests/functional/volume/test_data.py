"""Data integrity on the ``file`` backend: a volume from an image holds the image's bytes,
snapshots/clones/reverts/backups carry the bytes they should, upload to image returns them."""

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from tests.functional.volume.conftest import Caller

GIB = 1024**3


def _volume_file(cloud: Any, volume_id: str) -> Path:
    return Path(cloud.data_dir) / "volumes" / "file" / f"volume-{volume_id}"


def _prefix_sha(path: Path, length: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(length)).hexdigest()


def _write(path: Path, data: bytes, offset: int = 0) -> None:
    """What a guest would do through its block device: write bytes into the volume."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, data, offset)
    finally:
        os.close(fd)


def _create(api: Caller, **body: Any) -> dict[str, Any]:
    resp = api("POST", "/volumes", json={"volume": {"size": 1, **body}})
    assert resp.status_code == 202, resp.text
    return api.wait(f"/volumes/{resp.json()['volume']['id']}", "volume", ("available", "error"))


def test_volume_from_image_holds_the_image_bytes(cloud: Any, demo: Any, demo_api: Caller) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    image = demo.image.create_image(
        name="vol-src", disk_format="raw", container_format="bare", data=payload
    )
    vol = _create(demo_api, imageRef=image.id)
    assert vol["status"] == "available" and vol["bootable"] == "true"
    assert vol["volume_image_metadata"]["image_id"] == image.id
    assert vol["volume_image_metadata"]["checksum"] == hashlib.md5(payload).hexdigest()
    path = _volume_file(cloud, vol["id"])
    assert path.stat().st_size == GIB
    assert _prefix_sha(path, len(payload)) == hashlib.sha256(payload).hexdigest()
    # upload-to-image returns the volume's bytes as a new image
    resp = demo_api(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={"os-volume_upload_image": {"image_name": "from-vol", "disk_format": "raw"}},
    )
    assert resp.status_code == 202, resp.text
    image_id = resp.json()["os-volume_upload_image"]["image_id"]
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "available", timeout=600)
    deadline = time.monotonic() + 600
    while demo.image.get_image(image_id).status != "active":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    md5 = hashlib.md5(payload)
    zeros = bytes(64 * 1024 * 1024)
    left = GIB - len(payload)
    while left:
        n = min(left, len(zeros))
        md5.update(zeros[:n])
        left -= n
    assert demo.image.get_image(image_id).checksum == md5.hexdigest()
    demo.image.delete_image(image_id)
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_snapshot_clone_and_revert_carry_the_right_bytes(cloud: Any, demo_api: Caller) -> None:
    vol = _create(demo_api)
    path = _volume_file(cloud, vol["id"])
    first = os.urandom(1024 * 1024)
    _write(path, first)
    resp = demo_api("POST", "/snapshots", json={"snapshot": {"volume_id": vol["id"], "name": "s1"}})
    assert resp.status_code == 202
    snap = demo_api.wait(f"/snapshots/{resp.json()['snapshot']['id']}", "snapshot", "available")
    second = os.urandom(1024 * 1024)
    _write(path, second)
    # a volume from the snapshot holds the first bytes, a clone the second
    from_snap = _create(demo_api, snapshot_id=snap["id"], size=2)
    assert from_snap["snapshot_id"] == snap["id"] and from_snap["size"] == 2
    assert (
        _prefix_sha(_volume_file(cloud, from_snap["id"]), len(first))
        == hashlib.sha256(first).hexdigest()
    )
    clone = _create(demo_api, source_volid=vol["id"])
    assert clone["source_volid"] == vol["id"]
    assert (
        _prefix_sha(_volume_file(cloud, clone["id"]), len(second))
        == hashlib.sha256(second).hexdigest()
    )
    # revert (3.40) puts the snapshot's bytes back
    resp = demo_api(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={"revert": {"snapshot_id": snap["id"]}},
        version="3.40",
    )
    assert resp.status_code == 202, resp.text
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "available")
    assert _prefix_sha(path, len(first)) == hashlib.sha256(first).hexdigest()
    # a volume with snapshots is not deleted without cascade; nothing changes
    resp = demo_api("DELETE", f"/volumes/{vol['id']}")
    assert resp.status_code == 400
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"
    assert demo_api("DELETE", f"/volumes/{vol['id']}?cascade=true").status_code == 202
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "deleted")
    assert demo_api("GET", f"/snapshots/{snap['id']}").status_code == 404
    assert not path.exists()
    for other in (from_snap, clone):
        demo_api("DELETE", f"/volumes/{other['id']}")


def test_backup_full_incremental_restore(cloud: Any, demo_api: Caller) -> None:
    vol = _create(demo_api)
    path = _volume_file(cloud, vol["id"])
    first = os.urandom(2 * 1024 * 1024)
    _write(path, first)
    resp = demo_api("POST", "/backups", json={"backup": {"volume_id": vol["id"], "name": "full"}})
    assert resp.status_code == 202, resp.text
    full = demo_api.wait(
        f"/backups/{resp.json()['backup']['id']}", "backup", ("available", "error")
    )
    assert full["status"] == "available", full
    assert full["is_incremental"] is False and full["object_count"] >= 1
    second = os.urandom(4096)
    _write(path, second, offset=512 * 1024 * 1024)
    resp = demo_api(
        "POST", "/backups", json={"backup": {"volume_id": vol["id"], "incremental": True}}
    )
    incr = demo_api.wait(
        f"/backups/{resp.json()['backup']['id']}", "backup", ("available", "error")
    )
    assert incr["status"] == "available" and incr["is_incremental"] is True
    # only the changed chunk was stored
    assert incr["object_count"] == 1
    shown = demo_api("GET", f"/backups/{full['id']}").json()["backup"]
    assert shown["has_dependent_backups"] is True
    assert demo_api("DELETE", f"/backups/{full['id']}").status_code == 400
    # restore the incremental into a new volume: both writes are there
    resp = demo_api("POST", f"/backups/{incr['id']}/restore", json={"restore": {"name": "back"}})
    assert resp.status_code == 202, resp.text
    restored_id = resp.json()["restore"]["volume_id"]
    demo_api.wait(f"/volumes/{restored_id}", "volume", "available")
    demo_api.wait(f"/backups/{incr['id']}", "backup", "available")
    rpath = _volume_file(cloud, restored_id)
    assert _prefix_sha(rpath, len(first)) == hashlib.sha256(first).hexdigest()
    with open(rpath, "rb") as f:
        f.seek(512 * 1024 * 1024)
        assert f.read(len(second)) == second
    # restore over an in-use volume is refused
    demo_api(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={
            "os-attach": {
                "instance_uuid": "a8b1ec63-2f4c-4a35-9f8e-3f1b7e1f3a11",
                "mountpoint": "/dev/vdb",
            }
        },
    )
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "in-use"
    resp = demo_api(
        "POST", f"/backups/{full['id']}/restore", json={"restore": {"volume_id": vol["id"]}}
    )
    assert resp.status_code == 400
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "in-use"
    # export / import the record
    rec = demo_api("GET", f"/backups/{incr['id']}/export_record")
    assert rec.status_code == 403  # admin only
    for b in (incr, full):
        assert demo_api("DELETE", f"/backups/{b['id']}").status_code == 202
        demo_api.wait(f"/backups/{b['id']}", "backup", "deleted")
    demo_api("POST", f"/volumes/{vol['id']}/action", json={"os-detach": {}})
    for v in (vol["id"], restored_id):
        demo_api("DELETE", f"/volumes/{v}")


def test_backup_export_import(admin_api: Caller) -> None:
    vol = _create(admin_api)
    resp = admin_api("POST", "/backups", json={"backup": {"volume_id": vol["id"]}})
    b = admin_api.wait(f"/backups/{resp.json()['backup']['id']}", "backup", "available")
    record = admin_api("GET", f"/backups/{b['id']}/export_record").json()["backup-record"]
    assert set(record) == {"backup_service", "backup_url"}
    # importing a record that still exists is refused
    resp = admin_api("POST", "/backups/import_record", json={"backup-record": record})
    assert resp.status_code == 400
    admin_api("DELETE", f"/volumes/{vol['id']}")


def test_backups_belong_to_their_creator(admin_api: Caller, demo_api: Caller) -> None:
    vol = _create(demo_api)
    resp = admin_api("POST", "/backups", json={"backup": {"volume_id": vol["id"]}})
    assert resp.status_code == 202, resp.text
    bid = resp.json()["backup"]["id"]
    admin_api.wait(f"/backups/{bid}", "backup", "available")
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "available")
    # the admin's backup is not the demo project's: no parent for an incremental, not visible
    resp = demo_api(
        "POST", "/backups", json={"backup": {"volume_id": vol["id"], "incremental": True}}
    )
    assert resp.status_code == 400
    assert "No backups available" in resp.json()["badRequest"]["message"]
    assert demo_api("GET", f"/backups/{bid}").status_code == 404
    assert admin_api("DELETE", f"/backups/{bid}").status_code == 202
    admin_api.wait(f"/backups/{bid}", "backup", "deleted")
    demo_api("DELETE", f"/volumes/{vol['id']}")
