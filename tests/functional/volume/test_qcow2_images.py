"""qcow2 images and volumes, as Cinder converts them: a volume created from a qcow2 image
holds the guest disk (not the qcow2 file), a volume uploaded as qcow2 is a qcow2 image of
its disk, a qcow2 image whose disk is larger than the volume is refused."""

import hashlib
import io
import os
import time
from typing import Any

from stratus.kit import qcow2
from tests.functional.volume.conftest import Caller
from tests.functional.volume.test_data import GIB, _create, _volume_file, _write

MIB = 1 << 20


def _disk(size: int) -> bytes:
    data = bytearray(size)
    data[0:4096] = os.urandom(4096)
    data[2 * MIB + 5 : 2 * MIB + 70_000] = os.urandom(70_000 - 5)
    data[size - 512 :] = os.urandom(512)
    return bytes(data)


def _as_qcow2(data: bytes, size: int) -> bytes:
    out = io.BytesIO()
    qcow2.write(iter([data]), size, out)
    return out.getvalue()


def _wait_image(demo: Any, image_id: str) -> Any:
    deadline = time.monotonic() + 300
    while (image := demo.image.get_image(image_id)).status != "active":
        assert image.status in ("queued", "saving"), image.status
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return image


def test_volume_from_qcow2_image_holds_the_disk(cloud: Any, demo: Any, demo_api: Caller) -> None:
    disk = _disk(8 * MIB)
    image = demo.image.create_image(
        name="q", disk_format="qcow2", container_format="bare", data=_as_qcow2(disk, 8 * MIB)
    )
    assert demo.image.get_image(image.id).virtual_size == 8 * MIB
    vol = _create(demo_api, imageRef=image.id)
    assert vol["status"] == "available"
    path = _volume_file(cloud, vol["id"])
    with open(path, "rb") as fh:
        assert fh.read(len(disk)) == disk
        assert fh.read(MIB) == bytes(MIB)  # the rest of the volume stays zero
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_qcow2_disk_larger_than_the_volume_is_refused(demo: Any, demo_api: Caller) -> None:
    image = demo.image.create_image(
        name="big", disk_format="qcow2", container_format="bare", data=_as_qcow2(b"", 3 * GIB)
    )
    before = demo_api("GET", "/volumes").json()["volumes"]
    resp = demo_api("POST", "/volumes", json={"volume": {"size": 2, "imageRef": image.id}})
    assert resp.status_code == 400
    assert "Image virtual size is 3GB and doesn't fit in a volume of size 2GB." in resp.text
    assert demo_api("GET", "/volumes").json()["volumes"] == before


def test_volume_uploaded_as_qcow2(cloud: Any, demo: Any, demo_api: Caller) -> None:
    vol = _create(demo_api)
    path = _volume_file(cloud, vol["id"])
    head, tail = os.urandom(MIB), os.urandom(4096)
    _write(path, head)
    _write(path, tail, GIB - 4096)
    resp = demo_api(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={"os-volume_upload_image": {"image_name": "as-q", "disk_format": "qcow2"}},
    )
    assert resp.status_code == 202, resp.text
    image = _wait_image(demo, resp.json()["os-volume_upload_image"]["image_id"])
    assert image.disk_format == "qcow2" and image.virtual_size == GIB
    assert image.size < 4 * MIB  # the zero clusters are not stored
    blob = demo.image.download_image(image).content
    assert hashlib.md5(blob).hexdigest() == image.checksum
    runs = dict(qcow2.raw_runs(io.BytesIO(blob)))
    assert runs[0][: len(head)] == head
    assert runs[GIB - qcow2.CLUSTER][-4096:] == tail
    # and back: a volume from that image holds the same disk
    again = _create(demo_api, imageRef=image.id)
    with open(_volume_file(cloud, again["id"]), "rb") as fh:
        assert fh.read(MIB) == head
        fh.seek(GIB - 4096)
        assert fh.read() == tail


def test_formats_that_cannot_be_converted_are_refused(demo_api: Caller) -> None:
    vol = _create(demo_api)
    resp = demo_api(
        "POST",
        f"/volumes/{vol['id']}/action",
        json={"os-volume_upload_image": {"image_name": "v", "disk_format": "vmdk"}},
    )
    assert resp.status_code == 400 and "use raw or qcow2" in resp.text
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"
