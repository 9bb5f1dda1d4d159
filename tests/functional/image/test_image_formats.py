"""Upload inspection, as Glance does it: a bare image's content must match its disk_format,
unsafe disk images (backing files, external data files, multi-file VMDKs) are refused with 415
and the image stays queued with nothing stored; a rich format declared raw is kept as raw."""

import os

import pytest
from tests.functional.image.test_image_api import OCTET, blobs, make

from stratus.services.image import formats


def qcow2(virtual: int, *, version: int = 3, backing: int = 0, incompatible: int = 0) -> bytes:
    """A qcow2 header (the fields the inspector reads), padded to 4 KiB."""
    head = bytearray(4096)
    head[0:4] = formats.QCOW2_MAGIC
    head[4:8] = version.to_bytes(4, "big")
    head[8:16] = backing.to_bytes(8, "big")
    head[20:24] = (16).to_bytes(4, "big")  # 64 KiB clusters
    head[24:32] = virtual.to_bytes(8, "big")
    if version == 3:
        head[72:80] = incompatible.to_bytes(8, "big")
        head[100:104] = (104).to_bytes(4, "big")
    return bytes(head)


def vmdk(descriptor: bytes) -> bytes:
    head = bytearray(2048)
    head[0:4] = formats.VMDK_MAGIC
    head[4:8] = (1).to_bytes(4, "little")
    head[12:20] = (2048).to_bytes(8, "little")
    head[28:36] = (1).to_bytes(8, "little")
    head[36:44] = (2).to_bytes(8, "little")
    head[512 : 512 + len(descriptor)] = descriptor
    return bytes(head)


async def upload(api, data: bytes, **image: object) -> tuple[dict, int, str]:
    created = await make(api, **image)
    r = await api.put(f"/v2/images/{created['id']}/file", content=data, headers=OCTET)
    shown = (await api.get(f"/v2/images/{created['id']}")).json()
    return shown, r.status_code, r.text


async def test_matching_qcow2_is_stored_with_its_virtual_size(image_api):
    shown, status, _ = await upload(image_api.demo, qcow2(5 << 30), disk_format="qcow2")
    assert status == 204
    assert shown["status"] == "active" and shown["virtual_size"] == 5 << 30


@pytest.mark.parametrize("declared", ["qcow2", "vmdk", "vhd", "iso"])
async def test_content_not_matching_disk_format_is_refused(image_api, declared):
    shown, status, text = await upload(image_api.demo, os.urandom(8192), disk_format=declared)
    assert status == 415
    assert f"Image disk_format {declared} does not match stream data raw" in text
    assert shown["status"] == "queued" and shown["checksum"] is None
    assert blobs(image_api.data_dir) == []


async def test_another_rich_format_is_refused(image_api):
    _, status, text = await upload(image_api.demo, qcow2(1 << 30), disk_format="vmdk")
    assert status == 415 and "does not match stream data qcow2" in text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (qcow2(1 << 30, backing=4096), "backing file"),
        (qcow2(1 << 30, version=2, backing=512), "backing file"),
        (qcow2(1 << 30, incompatible=1 << 2), "external data file"),
        (qcow2(1 << 30, incompatible=1 << 9), "unknown incompatible features"),
    ],
    ids=["backing-v3", "backing-v2", "data-file", "unknown-feature"],
)
@pytest.mark.parametrize("declared", ["qcow2", "raw"])
async def test_unsafe_qcow2_is_refused_whatever_it_is_declared(image_api, data, reason, declared):
    """The attack Glance's inspection closes: a qcow2 pointing at a host file, uploaded as
    qcow2 or smuggled in as raw."""
    shown, status, text = await upload(image_api.demo, data, disk_format=declared)
    assert status == 415
    assert "Image failed safety checks" in text and reason in text
    assert shown["status"] == "queued"
    assert blobs(image_api.data_dir) == []


async def test_safe_qcow2_declared_raw_is_kept_as_raw(image_api):
    data = qcow2(7 << 30)
    shown, status, _ = await upload(image_api.demo, data, disk_format="raw")
    assert status == 204
    assert shown["virtual_size"] == len(data)


async def test_vmdk_must_be_one_sparse_file(image_api):
    good = b'createType="monolithicSparse"\nRW 2048 SPARSE "disk.vmdk"\n'
    shown, status, _ = await upload(image_api.demo, vmdk(good), disk_format="vmdk")
    assert status == 204 and shown["virtual_size"] == 2048 * 512
    flat = b'createType="monolithicFlat"\nRW 2048 FLAT "/etc/shadow" 0\n'
    _, status, text = await upload(image_api.demo, vmdk(flat), disk_format="vmdk")
    assert status == 415 and "createType monolithicFlat is not allowed" in text
    two = b'createType="monolithicSparse"\nRW 1024 SPARSE "a.vmdk"\nRW 1024 SPARSE "b.vmdk"\n'
    _, status, _ = await upload(image_api.demo, vmdk(two), disk_format="vmdk")
    assert status == 415


async def test_two_formats_in_one_file_are_refused(image_api):
    """A qcow2 header in the system area of an ISO: which one a reader sees depends on it."""
    data = bytearray(qcow2(1 << 30) + bytes(0x9000 - 4096))
    data[0x8001:0x8006] = b"CD001"
    _, status, text = await upload(image_api.demo, bytes(data), disk_format="iso")
    assert status == 415 and "Multiple formats detected: iso, qcow2" in text


@pytest.mark.parametrize(
    ("image", "data"),
    [
        ({"disk_format": "qcow2", "container_format": "ovf"}, b"not inspected" * 100),
        ({"disk_format": "ami", "container_format": "ami"}, b"kernel" * 100),
        ({"disk_format": "ami", "container_format": "bare"}, b"kernel" * 100),
        ({"disk_format": "raw"}, b"anything at all" * 100),
    ],
    ids=["non-bare-container", "ami", "ami-bare", "raw"],
)
async def test_uninspected_or_unrecognised_content_is_accepted(image_api, image, data):
    shown, status, _ = await upload(image_api.demo, data, **image)
    assert status == 204 and shown["status"] == "active"


async def test_glance_direct_import_inspects_the_staged_data(image_api):
    created = await make(image_api.demo, disk_format="qcow2")
    url = f"/v2/images/{created['id']}"
    staged = await image_api.demo.put(f"{url}/stage", content=b"plain bytes", headers=OCTET)
    assert staged.status_code == 204
    r = await image_api.demo.post(f"{url}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 415 and "does not match stream data raw" in r.text
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "uploading" and shown["checksum"] is None


async def test_operator_may_relax_the_match_but_not_the_safety(image_api):
    image_api.runtime.settings.image = {"require_image_format_match": False}
    shown, status, _ = await upload(image_api.demo, b"\0" * 4096, disk_format="qcow2")
    assert status == 204 and shown["status"] == "active" and shown["virtual_size"] is None
    _, status, _ = await upload(image_api.demo, qcow2(1 << 30, backing=4096), disk_format="raw")
    assert status == 415


@pytest.mark.parametrize(
    ("head", "name", "virtual"),
    [
        (formats.VHD_MAGIC + bytes(40) + (3 << 30).to_bytes(8, "big"), "vhd", 3 << 30),
        (formats.VHDX_MAGIC + bytes(100), "vhdx", None),
        (formats.LUKS_MAGIC + bytes(100), "luks", None),
        (
            bytes(0x40) + (0xBEDA107F).to_bytes(4, "little") + bytes(0x12C) + (9 << 20).to_bytes(8, "little"),
            "vdi",
            9 << 20,
        ),
    ],
)  # fmt: skip
def test_detected_formats(head, name, virtual):
    (found,) = formats.detect(head)
    assert (found.name, found.virtual_size, found.unsafe) == (name, virtual, ())


def test_qed_and_bare_vmdk_descriptors_are_unsafe():
    (qed,) = formats.detect(formats.QED_MAGIC + bytes(60))
    assert qed.name == "qed" and qed.unsafe
    (text,) = formats.detect(
        b'# Disk DescriptorFile\ncreateType="vmfs"\nRW 10 VMFS "x-flat.vmdk"\n'
    )
    assert text.name == "vmdk" and text.unsafe
