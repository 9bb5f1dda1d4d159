"""Glance v2 behaviour over HTTP (in-process app, several projects): status machine, data,
JSON-patch, listing, sharing, quotas."""

import hashlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest

OCTET = {"Content-Type": "application/octet-stream"}
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


async def make(client: httpx.AsyncClient, **body: object) -> dict:
    body.setdefault("disk_format", "raw")
    body.setdefault("container_format", "bare")
    r = await client.post("/v2/images", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def blobs(data_dir) -> list[str]:
    root = data_dir / "images"
    if not root.exists():
        return []
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


async def test_create_shows_upstream_fields_and_location(image_api):
    r = await image_api.demo.post(
        "/v2/images",
        json={
            "name": "cirros",
            "disk_format": "qcow2",
            "container_format": "bare",
            "min_ram": 64,
            "tags": ["a", "b"],
            "os_distro": "cirros",
        },
    )
    assert r.status_code == 201
    image = r.json()
    assert r.headers["location"].endswith(f"/image/v2/images/{image['id']}")
    assert image["status"] == "queued"
    assert image["visibility"] == "shared"
    assert image["owner"] == "p-demo"
    assert image["size"] is None and image["checksum"] is None
    assert image["os_distro"] == "cirros"
    assert sorted(image["tags"]) == ["a", "b"]
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert image["created_at"].endswith("Z")
    shown = (await image_api.demo.get(f"/v2/images/{image['id']}")).json()
    assert shown == image


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"disk_format": "floppy"}, 400),
        ({"container_format": "tarball"}, 400),
        ({"visibility": "everyone"}, 400),
        ({"min_ram": -1}, 400),
        ({"name": "x" * 256}, 400),
        ({"size": 10}, 403),
        ({"status": "active"}, 403),
        ({"checksum": "abc"}, 403),
        ({"deleted": True}, 403),
        ({"os_glance_foo": "x"}, 403),
        ({"id": "not-a-uuid"}, 400),
        ({"custom": 5}, 400),
    ],
)
async def test_create_rejects_bad_input_and_stores_nothing(image_api, body, status):
    r = await image_api.demo.post("/v2/images", json=body)
    assert r.status_code == status, r.text
    listed = (await image_api.demo.get("/v2/images")).json()["images"]
    assert listed == []


async def test_publicize_needs_admin(image_api):
    r = await image_api.demo.post("/v2/images", json={"visibility": "public"})
    assert r.status_code == 403
    r = await image_api.admin.post("/v2/images", json={"visibility": "public"})
    assert r.status_code == 201


async def test_reader_cannot_create(image_api):
    r = await image_api.reader.post("/v2/images", json={"name": "x"})
    assert r.status_code == 403
    r = await image_api.anon.get("/v2/images")
    assert r.status_code == 401


async def test_upload_download_checksums_and_status(image_api):
    image = await make(image_api.demo, name="data")
    payload = os.urandom(3 * 1024 * 1024 + 17)
    r = await image_api.demo.put(f"/v2/images/{image['id']}/file", content=payload, headers=OCTET)
    assert r.status_code == 204, r.text
    shown = (await image_api.demo.get(f"/v2/images/{image['id']}")).json()
    assert shown["status"] == "active"
    assert shown["size"] == len(payload)
    assert shown["virtual_size"] == len(payload)
    assert shown["checksum"] == hashlib.md5(payload).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(payload).hexdigest()
    assert shown["stores"] == "file"
    r = await image_api.demo.get(f"/v2/images/{image['id']}/file")
    assert r.status_code == 200
    assert r.content == payload
    assert r.headers["content-md5"] == shown["checksum"]
    assert r.headers["content-type"] == "application/octet-stream"
    r = await image_api.demo.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == payload[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(payload)}"
    r = await image_api.demo.get(
        f"/v2/images/{image['id']}/file", headers={"Range": f"bytes={len(payload) + 5}-"}
    )
    assert r.status_code == 416
    # Data is written once.
    r = await image_api.demo.put(f"/v2/images/{image['id']}/file", content=b"x", headers=OCTET)
    assert r.status_code == 409
    assert blobs(image_api.data_dir) == [image["id"]]


async def test_qcow2_virtual_size_read_from_header(image_api):
    image = await make(image_api.demo, disk_format="qcow2")
    header = bytearray(512)
    header[0:4] = b"QFI\xfb"
    header[4:8] = (3).to_bytes(4, "big")
    header[24:32] = (10 * 1024**3).to_bytes(8, "big")
    r = await image_api.demo.put(
        f"/v2/images/{image['id']}/file", content=bytes(header), headers=OCTET
    )
    assert r.status_code == 204
    shown = (await image_api.demo.get(f"/v2/images/{image['id']}")).json()
    assert shown["virtual_size"] == 10 * 1024**3
    assert shown["size"] == 512


async def test_vmdk_and_raw_virtual_size(image_api):
    # A monolithic sparse VMDK: "KDMV", version, flags, then the capacity in 512-byte sectors;
    # sent in small pieces so the header straddles network chunks.
    image = await make(image_api.demo, disk_format="vmdk")
    header = bytearray(1024)
    header[0:4] = b"KDMV"
    header[4:8] = (1).to_bytes(4, "little")
    header[12:20] = (4 * 1024 * 1024).to_bytes(8, "little")
    # The embedded descriptor (sector 1, one sector long): one sparse extent, this file.
    header[28:36] = (1).to_bytes(8, "little")
    header[36:44] = (1).to_bytes(8, "little")
    descriptor = (
        b'# Disk DescriptorFile\ncreateType="monolithicSparse"\nRW 8388608 SPARSE "d.vmdk"\n'
    )
    header[512 : 512 + len(descriptor)] = descriptor

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(header), 7):
            yield bytes(header[i : i + 7])

    r = await image_api.demo.put(f"/v2/images/{image['id']}/file", content=pieces(), headers=OCTET)
    assert r.status_code == 204
    shown = (await image_api.demo.get(f"/v2/images/{image['id']}")).json()
    assert shown["virtual_size"] == 4 * 1024 * 1024 * 512
    raw = await make(image_api.demo, disk_format="raw")
    r = await image_api.demo.put(f"/v2/images/{raw['id']}/file", content=b"r" * 777, headers=OCTET)
    assert r.status_code == 204
    assert (await image_api.demo.get(f"/v2/images/{raw['id']}")).json()["virtual_size"] == 777


async def test_download_of_queued_image_is_empty(image_api):
    image = await make(image_api.demo)
    r = await image_api.demo.get(f"/v2/images/{image['id']}/file")
    assert r.status_code == 204


async def test_upload_rules(image_api):
    image = await make(image_api.demo)
    r = await image_api.demo.put(
        f"/v2/images/{image['id']}/file", content=b"abc", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    bare = (await image_api.demo.post("/v2/images", json={"name": "noformat"})).json()
    r = await image_api.demo.put(f"/v2/images/{bare['id']}/file", content=b"abc", headers=OCTET)
    assert r.status_code == 400
    assert (await image_api.demo.get(f"/v2/images/{bare['id']}")).json()["status"] == "queued"
    r = await image_api.alt.put(f"/v2/images/{image['id']}/file", content=b"abc", headers=OCTET)
    assert r.status_code == 404
    assert blobs(image_api.data_dir) == []


async def test_broken_upload_kills_image_and_leaves_no_bytes(image_api):
    image = await make(image_api.demo)

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * (2 * 1024 * 1024)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await image_api.demo.put(f"/v2/images/{image['id']}/file", content=broken(), headers=OCTET)
    shown = (await image_api.demo.get(f"/v2/images/{image['id']}")).json()
    assert shown["status"] == "killed"
    assert shown["size"] is None
    assert blobs(image_api.data_dir) == []


async def test_size_quota_rejects_upload_and_restores_queued(image_api):
    runtime = image_api.runtime
    async with runtime.db.session() as session:
        await runtime.quota.set_limit(session, "p-demo", "image.image_size_total", 1)
    image = await make(image_api.demo)

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"y" * (1024 * 1024)

    r = await image_api.demo.put(f"/v2/images/{image['id']}/file", content=stream(), headers=OCTET)
    assert r.status_code == 413
    assert (await image_api.demo.get(f"/v2/images/{image['id']}")).json()["status"] == "queued"
    assert blobs(image_api.data_dir) == []
    # Within the limit it works.
    r = await image_api.demo.put(
        f"/v2/images/{image['id']}/file", content=b"z" * 1000, headers=OCTET
    )
    assert r.status_code == 204


async def test_image_count_quota(image_api):
    runtime = image_api.runtime
    async with runtime.db.session() as session:
        await runtime.quota.set_limit(session, "p-demo", "image.image_count_total", 1)
    await make(image_api.demo)
    r = await image_api.demo.post("/v2/images", json={"name": "second"})
    assert r.status_code == 413
    assert len((await image_api.demo.get("/v2/images")).json()["images"]) == 1


async def test_json_patch(image_api):
    image = await make(image_api.demo, name="before", extra="1")
    url = f"/v2/images/{image['id']}"
    r = await image_api.demo.patch(
        url,
        json=[
            {"op": "replace", "path": "/name", "value": "after"},
            {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
            {"op": "remove", "path": "/extra"},
            {"op": "replace", "path": "/tags", "value": ["t1"]},
            {"op": "replace", "path": "/min_disk", "value": 2},
        ],
        headers=PATCH,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "after"
    assert body["hw_disk_bus"] == "scsi"
    assert "extra" not in body
    assert body["tags"] == ["t1"]
    assert body["min_disk"] == 2
    assert (await image_api.demo.get(url)).json() == body


@pytest.mark.parametrize(
    ("ops", "status"),
    [
        ([{"op": "replace", "path": "/size", "value": 5}], 403),
        ([{"op": "replace", "path": "/status", "value": "active"}], 403),
        ([{"op": "remove", "path": "/name"}], 403),
        ([{"op": "remove", "path": "/nothing"}], 409),
        ([{"op": "replace", "path": "/nothing", "value": "x"}], 409),
        ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], 400),
        ([{"op": "move", "path": "/name"}], 400),
        ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
        ({"op": "replace"}, 400),
    ],
)
async def test_json_patch_rejections_change_nothing(image_api, ops, status):
    image = await make(image_api.demo, name="keep")
    url = f"/v2/images/{image['id']}"
    r = await image_api.demo.patch(
        url,
        json=[{"op": "replace", "path": "/name", "value": "changed"}, *ops]
        if isinstance(ops, list)
        else ops,
        headers=PATCH,
    )
    assert r.status_code == status, r.text
    assert (await image_api.demo.get(url)).json()["name"] == "keep"


async def test_patch_needs_json_patch_media_type(image_api):
    image = await make(image_api.demo)
    r = await image_api.demo.patch(
        f"/v2/images/{image['id']}", json=[{"op": "replace", "path": "/name", "value": "x"}]
    )
    assert r.status_code == 415


async def test_formats_fixed_after_upload(image_api):
    image = await make(image_api.demo)
    await image_api.demo.put(f"/v2/images/{image['id']}/file", content=b"abc", headers=OCTET)
    r = await image_api.demo.patch(
        f"/v2/images/{image['id']}",
        json=[{"op": "replace", "path": "/disk_format", "value": "qcow2"}],
        headers=PATCH,
    )
    assert r.status_code == 403


async def test_list_filters_sort_and_pagination(image_api):
    ids = []
    for i in range(5):
        image = await make(image_api.demo, name=f"img-{i}", tags=["even"] if i % 2 == 0 else [])
        ids.append(image["id"])
        await image_api.demo.put(
            f"/v2/images/{image['id']}/file", content=b"x" * (i + 1) * 10, headers=OCTET
        )
    hidden = await make(image_api.demo, name="hidden", os_hidden=True)

    async def names(query: str) -> list[str]:
        r = await image_api.demo.get(f"/v2/images?{query}")
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["images"]]

    assert await names("sort=name:asc") == [f"img-{i}" for i in range(5)]
    assert await names("sort_key=name&sort_dir=desc") == [f"img-{i}" for i in reversed(range(5))]
    assert await names("name=img-3") == ["img-3"]
    assert sorted(await names("tag=even")) == ["img-0", "img-2", "img-4"]
    assert sorted(await names("size_min=30&size_max=40")) == ["img-2", "img-3"]
    assert await names("os_hidden=true") == ["hidden"]
    assert "hidden" not in await names("")
    assert await names(f"id=in:{ids[0]},{ids[1]}&sort=name:asc") == ["img-0", "img-1"]
    assert await names("status=queued") == []
    assert await names("status=queued&os_hidden=true") == ["hidden"]
    assert (await image_api.demo.get("/v2/images?sort=bogus:asc")).status_code == 400
    assert (await image_api.demo.get("/v2/images?sort_dir=sideways")).status_code == 400
    assert (await image_api.demo.get("/v2/images?status=nope")).status_code == 400
    assert (await image_api.demo.get(f"/v2/images?marker={hidden['id']}x")).status_code == 400
    # Marker pagination walks every image once, in order.
    seen: list[str] = []
    url = "/v2/images?limit=2&sort=name:asc"
    while url:
        body = (await image_api.demo.get(url)).json()
        seen += [i["name"] for i in body["images"]]
        assert body["first"].startswith("/v2/images")
        url = body.get("next")
    assert seen == [f"img-{i}" for i in range(5)]
    # Time filters with Glance's operators.
    five = [f"img-{i}" for i in range(5)]
    first = (await image_api.demo.get(f"/v2/images/{ids[0]}")).json()
    assert await names("created_at=lt:2000-01-01T00:00:00Z&sort=name:asc") == []
    assert await names("created_at=gt:2000-01-01T00:00:00Z&sort=name:asc") == five
    assert await names("updated_at=lte:2999-01-01T00:00:00Z&sort=name:asc") == five
    assert "img-0" in await names(f"created_at=eq:{first['created_at']}")
    assert "img-0" not in await names(f"created_at=neq:{first['created_at']}")
    assert "img-0" in await names(f"updated_at=gte:{first['updated_at']}")
    for bad in ("created_at=bogus:2000-01-01T00:00:00Z", "updated_at=gt:yesterday"):
        assert (await image_api.demo.get(f"/v2/images?{bad}")).status_code == 400


async def test_property_filter(image_api):
    await make(image_api.demo, name="a", os_distro="ubuntu")
    await make(image_api.demo, name="b", os_distro="fedora")
    r = await image_api.demo.get("/v2/images?os_distro=fedora")
    assert [i["name"] for i in r.json()["images"]] == ["b"]


async def test_sharing_with_members(image_api):
    image = await make(image_api.demo, name="shared-one")
    url = f"/v2/images/{image['id']}"
    assert (await image_api.alt.get(url)).status_code == 404
    r = await image_api.alt.post(f"{url}/members", json={"member": "p-alt"})
    assert r.status_code == 404
    r = await image_api.demo.post(f"{url}/members", json={"member": "p-alt"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending"
    assert r.json()["schema"] == "/v2/schemas/member"
    assert (
        await image_api.demo.post(f"{url}/members", json={"member": "p-alt"})
    ).status_code == 409
    # Pending: visible by id, not in the default list.
    assert (await image_api.alt.get(url)).status_code == 200
    assert (await image_api.alt.get("/v2/images")).json()["images"] == []
    listed = (await image_api.alt.get("/v2/images?member_status=pending")).json()["images"]
    assert [i["id"] for i in listed] == [image["id"]]
    # Only the member answers for itself.
    r = await image_api.demo.put(f"{url}/members/p-alt", json={"status": "accepted"})
    assert r.status_code == 403
    r = await image_api.alt.put(f"{url}/members/p-alt", json={"status": "maybe"})
    assert r.status_code == 400
    r = await image_api.alt.put(f"{url}/members/p-alt", json={"status": "accepted"})
    assert r.status_code == 200
    assert [i["id"] for i in (await image_api.alt.get("/v2/images")).json()["images"]] == [
        image["id"]
    ]
    members = (await image_api.demo.get(f"{url}/members")).json()
    assert [m["member_id"] for m in members["members"]] == ["p-alt"]
    assert members["schema"] == "/v2/schemas/members"
    # The member cannot change the image or share it on.
    r = await image_api.alt.patch(
        url, json=[{"op": "replace", "path": "/name", "value": "mine"}], headers=PATCH
    )
    assert r.status_code == 403
    assert (await image_api.alt.delete(url)).status_code == 403
    # Removing the member hides the image again.
    assert (await image_api.demo.delete(f"{url}/members/p-alt")).status_code == 204
    assert (await image_api.alt.get(url)).status_code == 404
    assert (await image_api.demo.get(f"{url}/members/p-alt")).status_code == 404


async def test_private_images_have_no_members(image_api):
    image = await make(image_api.demo, visibility="private")
    r = await image_api.demo.post(f"/v2/images/{image['id']}/members", json={"member": "p-alt"})
    assert r.status_code == 403


async def test_visibility_listing(image_api):
    community = await make(image_api.demo, name="comm", visibility="community")
    public = await make(image_api.admin, name="pub", visibility="public")
    private = await make(image_api.demo, name="priv", visibility="private")

    async def names(client, query=""):
        return sorted(i["name"] for i in (await client.get(f"/v2/images?{query}")).json()["images"])

    assert await names(image_api.alt) == ["pub"]
    assert await names(image_api.alt, "visibility=community") == ["comm"]
    assert await names(image_api.alt, "visibility=all") == ["comm", "pub"]
    assert await names(image_api.alt, "visibility=private") == []
    assert (await image_api.alt.get(f"/v2/images/{community['id']}")).status_code == 200
    assert (await image_api.alt.get(f"/v2/images/{public['id']}")).status_code == 200
    assert (await image_api.alt.get(f"/v2/images/{private['id']}")).status_code == 404
    assert "priv" in await names(image_api.admin)


async def test_deactivate_reactivate(image_api):
    image = await make(image_api.demo)
    url = f"/v2/images/{image['id']}"
    assert (await image_api.demo.post(f"{url}/actions/deactivate")).status_code == 403
    await image_api.demo.put(f"{url}/file", content=b"payload", headers=OCTET)
    assert (await image_api.demo.post(f"{url}/actions/deactivate")).status_code == 204
    assert (await image_api.demo.get(url)).json()["status"] == "deactivated"
    assert (await image_api.demo.get(f"{url}/file")).status_code == 403
    r = await image_api.admin.get(f"{url}/file")
    assert r.status_code == 200 and r.content == b"payload"
    assert (await image_api.demo.post(f"{url}/actions/reactivate")).status_code == 204
    assert (await image_api.demo.get(url)).json()["status"] == "active"
    assert (await image_api.demo.get(f"{url}/file")).content == b"payload"


async def test_protected_and_delete_removes_bytes(image_api):
    image = await make(image_api.demo, protected=True)
    url = f"/v2/images/{image['id']}"
    await image_api.demo.put(f"{url}/file", content=b"abc", headers=OCTET)
    assert (await image_api.demo.delete(url)).status_code == 403
    assert blobs(image_api.data_dir) == [image["id"]]
    r = await image_api.demo.patch(
        url, json=[{"op": "replace", "path": "/protected", "value": False}], headers=PATCH
    )
    assert r.status_code == 200
    assert (await image_api.demo.delete(url)).status_code == 204
    assert (await image_api.demo.get(url)).status_code == 404
    assert blobs(image_api.data_dir) == []
    assert (await image_api.demo.delete(url)).status_code == 404


async def test_tags(image_api):
    image = await make(image_api.demo)
    url = f"/v2/images/{image['id']}"
    assert (await image_api.demo.put(f"{url}/tags/blue")).status_code == 204
    assert (await image_api.demo.put(f"{url}/tags/blue")).status_code == 204
    assert (await image_api.demo.get(url)).json()["tags"] == ["blue"]
    assert (await image_api.demo.delete(f"{url}/tags/blue")).status_code == 204
    assert (await image_api.demo.delete(f"{url}/tags/blue")).status_code == 404
    assert (await image_api.alt.put(f"{url}/tags/x")).status_code == 404


async def test_glance_direct_import(image_api):
    info = (await image_api.demo.get("/v2/info/import")).json()
    assert info["import-methods"]["value"] == ["glance-direct", "web-download", "copy-image"]
    stores = (await image_api.demo.get("/v2/info/stores")).json()["stores"]
    assert stores[0]["id"] == "file" and stores[0]["default"] is True
    image = await make(image_api.demo)
    url = f"/v2/images/{image['id']}"
    r = await image_api.demo.post(f"{url}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 409
    assert (
        await image_api.demo.put(f"{url}/stage", content=b"staged!", headers=OCTET)
    ).status_code == 204
    assert (await image_api.demo.get(url)).json()["status"] == "uploading"
    r = await image_api.demo.post(f"{url}/import", json={"method": {"name": "web-download"}})
    assert r.status_code == 400
    r = await image_api.demo.post(f"{url}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 202
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(b"staged!").hexdigest()
    assert (await image_api.demo.get(f"{url}/file")).content == b"staged!"
    assert blobs(image_api.data_dir) == [image["id"]]
    # One api_image_import task: the refused attempts (409, 400) recorded none.
    tasks = (await image_api.demo.get(f"{url}/tasks")).json()["tasks"]
    assert [(t["type"], t["status"], t["image_id"]) for t in tasks] == [
        ("api_image_import", "success", image["id"])
    ]
    assert tasks[0]["input"]["import_req"] == {"method": {"name": "glance-direct"}}
    assert tasks[0]["result"] == {"image_id": image["id"]}
    assert tasks[0]["user_id"] and tasks[0]["request_id"]
    # Another project cannot see the image, nor its tasks.
    assert (await image_api.alt.get(f"{url}/tasks")).status_code == 404


async def test_schemas_and_versions(image_api):
    for name in ("image", "images", "member", "members"):
        r = await image_api.demo.get(f"/v2/schemas/{name}")
        assert r.status_code == 200
        assert r.json()["name"] == name
    schema = (await image_api.demo.get("/v2/schemas/image")).json()
    assert schema["properties"]["size"]["readOnly"] is True
    assert "qcow2" in schema["properties"]["disk_format"]["enum"]
    assert schema["additionalProperties"] == {"type": "string"}
    r = await image_api.anon.get("/")
    assert r.status_code == 300
    versions = r.json()["versions"]
    assert versions[0]["id"] == "v2.9" and versions[0]["status"] == "CURRENT"
    assert versions[0]["links"][0]["href"].endswith("/image/v2/")
    assert (await image_api.anon.get("/versions")).status_code == 200
    assert (await image_api.demo.get("/v2/cache")).status_code == 501


async def test_json_patch_v20_dialect(image_api):
    image = await make(image_api.demo, name="old", color="red")
    url = f"/v2/images/{image['id']}"
    v20 = {"Content-Type": "application/openstack-images-v2.0-json-patch"}
    r = await image_api.demo.patch(
        url,
        json=[{"replace": "/name", "value": "new"}, {"add": "/size_hint", "value": "s"}],
        headers=v20,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "new" and r.json()["size_hint"] == "s"
    r = await image_api.demo.patch(url, json=[{"add": "/color", "value": "blue"}], headers=v20)
    assert r.status_code == 409
    r = await image_api.demo.patch(url, json=[{"replace": "/name", "value": "x"}], headers=PATCH)
    assert r.status_code == 400
    assert (await image_api.demo.get(url)).json()["color"] == "red"


async def test_null_image_id(image_api):
    assert (await image_api.demo.get("/v2/images/")).status_code == 404
    assert (await image_api.demo.delete("/v2/images/")).status_code == 404


def object_blobs(data_dir) -> list[str]:
    root = data_dir / "objects"
    if not root.exists():
        return []
    return sorted(f for _, _, files in os.walk(root) for f in files)


async def test_swift_store_upload_copy_and_delete(image_api):
    stores = (await image_api.demo.get("/v2/info/stores")).json()["stores"]
    assert {s["id"]: s.get("default", False) for s in stores} == {"file": True, "swift": False}
    payload = os.urandom(3 * 1024 * 1024)
    image = await make(image_api.demo, name="in-swift")
    url = f"/v2/images/{image['id']}"
    r = await image_api.demo.put(
        f"{url}/file", content=payload, headers={**OCTET, "X-Image-Meta-Store": "swift"}
    )
    assert r.status_code == 204, r.text
    shown = (await image_api.demo.get(url)).json()
    assert shown["stores"] == "swift"
    assert shown["checksum"] == hashlib.md5(payload).hexdigest()
    assert blobs(image_api.data_dir) == []  # nothing left in the file store or its spool
    assert len(object_blobs(image_api.data_dir)) == 1
    assert (await image_api.demo.get(f"{url}/file")).content == payload
    r = await image_api.demo.get(f"{url}/file", headers={"Range": "bytes=5-9"})
    assert r.content == payload[5:10]
    # copy-image is an admin's act (upstream default).
    body = {"method": {"name": "copy-image"}, "stores": ["file"]}
    assert (await image_api.demo.post(f"{url}/import", json=body)).status_code == 403
    assert (await image_api.admin.post(f"{url}/import", json=body)).status_code == 202
    assert (await image_api.demo.get(url)).json()["stores"] == "swift,file"
    assert blobs(image_api.data_dir) == [image["id"]]
    assert (await image_api.admin.post(f"{url}/import", json=body)).status_code == 409
    progress = (await image_api.demo.get(url)).json()
    assert progress["os_glance_importing_to_stores"] == ""
    assert progress["os_glance_failed_import"] == ""
    # Data can leave one store, never the last one.
    assert (await image_api.demo.delete(f"/v2/stores/swift/{image['id']}")).status_code == 403
    assert (await image_api.admin.delete(f"/v2/stores/swift/{image['id']}")).status_code == 204
    assert (await image_api.demo.get(url)).json()["stores"] == "file"
    assert object_blobs(image_api.data_dir) == []
    assert (await image_api.admin.delete(f"/v2/stores/file/{image['id']}")).status_code == 409
    assert (await image_api.admin.delete(f"/v2/stores/tape/{image['id']}")).status_code == 404
    assert (await image_api.demo.get(f"{url}/file")).content == payload
    assert (await image_api.demo.delete(url)).status_code == 204
    assert blobs(image_api.data_dir) == []
    assert object_blobs(image_api.data_dir) == []
    bad = await make(image_api.demo)
    r = await image_api.demo.put(
        f"/v2/images/{bad['id']}/file",
        content=b"x",
        headers={**OCTET, "X-Image-Meta-Store": "tape"},
    )
    assert r.status_code == 400


async def test_glance_direct_import_to_all_stores(image_api):
    image = await make(image_api.demo)
    url = f"/v2/images/{image['id']}"
    await image_api.demo.put(f"{url}/stage", content=b"everywhere", headers=OCTET)
    r = await image_api.demo.post(
        f"{url}/import", json={"method": {"name": "glance-direct"}, "all_stores": True}
    )
    assert r.status_code == 202, r.text
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "active"
    assert sorted(shown["stores"].split(",")) == ["file", "swift"]
    assert blobs(image_api.data_dir) == [image["id"]]
    assert len(object_blobs(image_api.data_dir)) == 1
