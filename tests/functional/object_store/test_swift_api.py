"""Swift v1 behaviour over HTTP (in-process app, several projects): containers, objects,
listings, conditionals, ranges, copies, large objects, temp URLs, ACLs, quotas, expiry."""

import asyncio
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest

A = "/v1/AUTH_p-demo"


def blobs(data_dir) -> list[str]:
    root = data_dir / "objects"
    if not root.exists():
        return []
    return sorted(f for _, _, files in os.walk(root) for f in files)


async def put(client, path, data=b"", **headers):
    r = await client.put(A + path, content=data, headers=headers)
    assert r.status_code in (201, 202), (r.status_code, r.text)
    return r


async def test_container_lifecycle_and_counters(swift_api):
    c = swift_api.demo
    r = await c.put(A + "/box", headers={"X-Container-Meta-Color": "red"})
    assert r.status_code == 201
    assert (await c.put(A + "/box")).status_code == 202
    await put(c, "/box/one", b"12345")
    await put(c, "/box/two", b"abc")
    r = await c.head(A + "/box")
    assert r.status_code == 204
    assert r.headers["x-container-object-count"] == "2"
    assert r.headers["x-container-bytes-used"] == "8"
    assert r.headers["x-container-meta-color"] == "red"
    assert r.headers["x-storage-policy"] == "Policy-0"
    r = await c.head(A)
    assert r.status_code == 204
    assert r.headers["x-account-container-count"] == "1"
    assert r.headers["x-account-object-count"] == "2"
    assert r.headers["x-account-bytes-used"] == "8"
    # Overwrite adjusts bytes, not count.
    await put(c, "/box/one", b"1")
    r = await c.head(A + "/box")
    assert (r.headers["x-container-object-count"], r.headers["x-container-bytes-used"]) == (
        "2",
        "4",
    )
    r = await c.delete(A + "/box")
    assert r.status_code == 409
    assert "Conflict" in r.text
    assert (await c.delete(A + "/box/one")).status_code == 204
    assert (await c.delete(A + "/box/one")).status_code == 404
    assert (await c.delete(A + "/box/two")).status_code == 204
    assert (await c.delete(A + "/box")).status_code == 204
    assert (await c.head(A + "/box")).status_code == 404
    assert blobs(swift_api.data_dir) == []


async def test_container_and_metadata_validation(swift_api):
    c = swift_api.demo
    assert (await c.put(A + "/" + "c" * 257)).status_code == 400
    assert (
        await c.put(A + "/ok", headers={"X-Container-Meta-" + "k" * 129: "v"})
    ).status_code == 400
    assert (await c.put(A + "/ok", headers={"X-Container-Meta-K": "v" * 257})).status_code == 400
    assert (await c.head(A + "/ok")).status_code == 404
    await put(c, "/ok")
    r = await c.put(A + "/ok/" + "o" * 1025, content=b"x")
    assert r.status_code == 400
    r = await c.put(A + "/ok", headers={"X-Storage-Policy": "gold"})
    assert r.status_code == 400


async def test_account_and_container_metadata_post(swift_api):
    c = swift_api.demo
    assert (await c.post(A, headers={"X-Account-Meta-Owner": "team"})).status_code == 204
    assert (await c.head(A)).headers["x-account-meta-owner"] == "team"
    assert (await c.post(A, headers={"X-Remove-Account-Meta-Owner": "x"})).status_code == 204
    assert "x-account-meta-owner" not in (await c.head(A)).headers
    await put(c, "/m")
    assert (await c.post(A + "/m", headers={"X-Container-Meta-A": "1"})).status_code == 204
    assert (await c.post(A + "/m", headers={"X-Container-Meta-A": ""})).status_code == 204
    assert "x-container-meta-a" not in (await c.head(A + "/m")).headers
    assert (await c.post(A + "/absent", headers={"X-Container-Meta-A": "1"})).status_code == 404
    assert (await c.put(A)).status_code == 405


async def test_object_roundtrip_metadata_and_post(swift_api):
    c = swift_api.demo
    await put(c, "/docs")
    payload = os.urandom(1024 * 1024 * 2 + 5)
    r = await c.put(
        A + "/docs/report.pdf",
        content=payload,
        headers={
            "X-Object-Meta-Author": "ana",
            "Content-Disposition": "attachment",
            "Content-Encoding": "identity",
        },
    )
    assert r.status_code == 201
    assert r.headers["etag"] == hashlib.md5(payload).hexdigest()
    r = await c.get(A + "/docs/report.pdf")
    assert r.status_code == 200
    assert r.content == payload
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-object-meta-author"] == "ana"
    assert r.headers["content-disposition"] == "attachment"
    assert r.headers["content-length"] == str(len(payload))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["x-trans-id"].startswith("tx")
    r = await c.post(A + "/docs/report.pdf", headers={"X-Object-Meta-Reviewer": "bo"})
    assert r.status_code == 202
    r = await c.head(A + "/docs/report.pdf")
    assert r.headers["x-object-meta-reviewer"] == "bo"
    assert "x-object-meta-author" not in r.headers
    assert r.headers["etag"] == hashlib.md5(payload).hexdigest()
    assert (await c.post(A + "/docs/none", headers={"X-Object-Meta-A": "b"})).status_code == 404
    assert (await c.get(A + "/nocontainer/x")).status_code == 404
    assert (await c.put(A + "/nocontainer/x", content=b"1")).status_code == 404


async def test_etag_mismatch_stores_nothing(swift_api):
    c = swift_api.demo
    await put(c, "/e")
    r = await c.put(A + "/e/obj", content=b"hello", headers={"ETag": "0" * 32})
    assert r.status_code == 422
    assert "Unprocessable Entity" in r.text
    assert (await c.head(A + "/e/obj")).status_code == 404
    assert (await c.head(A + "/e")).headers["x-container-object-count"] == "0"
    assert blobs(swift_api.data_dir) == []
    r = await c.put(
        A + "/e/obj", content=b"hello", headers={"ETag": hashlib.md5(b"hello").hexdigest()}
    )
    assert r.status_code == 201


async def test_broken_stream_leaves_nothing(swift_api):
    c = swift_api.demo
    await put(c, "/b")
    await put(c, "/b/keep", b"old")

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * (2 * 1024 * 1024)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await c.put(A + "/b/keep", content=broken())
    assert (await c.get(A + "/b/keep")).content == b"old"
    assert len(blobs(swift_api.data_dir)) == 1


async def test_chunked_upload(swift_api):
    c = swift_api.demo
    await put(c, "/ch")

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(5):
            yield bytes([i]) * 100_000

    r = await c.put(A + "/ch/obj", content=chunks())
    assert r.status_code == 201
    body = (await c.get(A + "/ch/obj")).content
    assert len(body) == 500_000 and body[-1] == 4


async def test_listings(swift_api):
    c = swift_api.demo
    await put(c, "/l")
    names = ["a", "b/1", "b/2", "c/x/1", "d"]
    for name in names:
        await put(c, f"/l/{name}", name.encode(), **{"Content-Type": "text/plain"})

    async def listing(query: str) -> list:
        r = await c.get(A + f"/l?format=json&{query}")
        assert r.status_code == 200, r.text
        return [e.get("name") or e.get("subdir") for e in r.json()]

    assert await listing("") == names
    assert await listing("prefix=b/") == ["b/1", "b/2"]
    assert await listing("delimiter=/") == ["a", "b/", "c/", "d"]
    assert await listing("delimiter=/&reverse=true") == ["d", "c/", "b/", "a"]
    assert await listing("prefix=c/&delimiter=/") == ["c/x/"]
    assert await listing("marker=b/1") == ["b/2", "c/x/1", "d"]
    assert await listing("end_marker=b/2") == ["a", "b/1"]
    assert await listing("limit=2") == ["a", "b/1"]
    assert await listing("reverse=on&limit=2") == ["d", "c/x/1"]
    entry = (await c.get(A + "/l?format=json&prefix=d")).json()[0]
    assert entry["hash"] == hashlib.md5(b"d").hexdigest()
    assert entry["bytes"] == 1 and entry["content_type"] == "text/plain"
    assert "T" in entry["last_modified"]
    r = await c.get(A + "/l")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "".join(n + "\n" for n in names)
    r = await c.get(A + "/l?format=xml&limit=1")
    assert r.headers["content-type"].startswith("application/xml")
    assert '<container name="l"><object><name>a</name>' in r.text.replace("\n", "")
    r = await c.get(A + "/l", headers={"Accept": "application/json"})
    assert r.json()[0]["name"] == "a"
    assert (await c.get(A + "/l?limit=10001")).status_code == 412
    await put(c, "/empty")
    assert (await c.get(A + "/empty")).status_code == 204
    assert (await c.get(A + "/empty?format=json")).json() == []
    containers = (await c.get(A + "?format=json")).json()
    assert [x["name"] for x in containers] == ["empty", "l"]
    assert containers[1]["count"] == 5
    assert (await c.get(A)).text == "empty\nl\n"


async def test_conditional_requests(swift_api):
    c = swift_api.demo
    await put(c, "/cond")
    r = await put(c, "/cond/o", b"data")
    etag = r.headers["etag"]
    url = A + "/cond/o"
    assert (await c.get(url, headers={"If-None-Match": etag})).status_code == 304
    assert (await c.get(url, headers={"If-None-Match": '"other"'})).status_code == 200
    assert (await c.get(url, headers={"If-Match": '"other"'})).status_code == 412
    assert (await c.get(url, headers={"If-Match": f'"{etag}"'})).status_code == 200
    future = formatdate(time.time() + 3600, usegmt=True)
    past = formatdate(time.time() - 3600, usegmt=True)
    assert (await c.get(url, headers={"If-Modified-Since": future})).status_code == 304
    assert (await c.get(url, headers={"If-Modified-Since": past})).status_code == 200
    assert (await c.get(url, headers={"If-Unmodified-Since": past})).status_code == 412
    assert (await c.head(url, headers={"If-Match": '"x"'})).status_code == 412
    r = await c.put(url, content=b"new", headers={"If-None-Match": "*"})
    assert r.status_code == 412
    assert (await c.get(url)).content == b"data"
    r = await c.put(A + "/cond/fresh", content=b"new", headers={"If-None-Match": "*"})
    assert r.status_code == 201
    r = await c.put(A + "/cond/fresh", content=b"new", headers={"If-None-Match": "abc"})
    assert r.status_code == 400


async def test_ranges(swift_api):
    c = swift_api.demo
    await put(c, "/r")
    payload = bytes(range(256)) * 10
    await put(c, "/r/o", payload)
    url = A + "/r/o"
    r = await c.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == payload[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(payload)}"
    r = await c.get(url, headers={"Range": "bytes=-5"})
    assert r.content == payload[-5:]
    r = await c.get(url, headers={"Range": "bytes=2550-"})
    assert r.content == payload[2550:]
    r = await c.get(url, headers={"Range": "bytes=0-1,100-101"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges")
    assert payload[0:2] in r.content and payload[100:102] in r.content
    assert r.content.count(b"Content-Range: bytes") == 2
    r = await c.get(url, headers={"Range": "bytes=9999-"})
    assert r.status_code == 416
    r = await c.get(url, headers={"Range": "pages=1-2"})
    assert r.status_code == 200 and r.content == payload


async def test_copy_and_copy_from(swift_api):
    c = swift_api.demo
    await put(c, "/src")
    await put(c, "/dst")
    await put(c, "/src/o", b"copy me", **{"X-Object-Meta-Tag": "one", "Content-Type": "text/x"})
    r = await c.request(
        "COPY", A + "/src/o", headers={"Destination": "/dst/o2", "X-Object-Meta-Extra": "2"}
    )
    assert r.status_code == 201, r.text
    assert r.headers["x-copied-from"] == "src/o"
    r = await c.get(A + "/dst/o2")
    assert r.content == b"copy me"
    assert r.headers["x-object-meta-tag"] == "one"
    assert r.headers["x-object-meta-extra"] == "2"
    assert r.headers["content-type"] == "text/x"
    r = await c.put(
        A + "/dst/o3", content=b"", headers={"X-Copy-From": "src/o", "X-Fresh-Metadata": "true"}
    )
    assert r.status_code == 201
    r = await c.get(A + "/dst/o3")
    assert r.content == b"copy me" and "x-object-meta-tag" not in r.headers
    # The copy stands alone: deleting the source keeps it.
    assert (await c.delete(A + "/src/o")).status_code == 204
    assert (await c.get(A + "/dst/o2")).content == b"copy me"
    r = await c.request("COPY", A + "/src/missing", headers={"Destination": "dst/x"})
    assert r.status_code == 404
    r = await c.request("COPY", A + "/dst/o2")
    assert r.status_code == 412


async def test_bulk_delete(swift_api):
    c = swift_api.demo
    await put(c, "/bulk")
    for i in range(3):
        await put(c, f"/bulk/o{i}", b"x")
    await put(c, "/full")
    await put(c, "/full/keep", b"x")
    body = "\n".join(["/bulk/o0", "/bulk/o1", "/bulk/o2", "/bulk/missing", "/bulk", "/full"])
    r = await c.post(
        A + "?bulk-delete",
        content=body.encode(),
        headers={"Content-Type": "text/plain", "Accept": "application/json"},
    )
    assert r.status_code == 200
    result = r.json()
    assert result["Number Deleted"] == 4
    assert result["Number Not Found"] == 1
    assert result["Errors"] == [["/full", "409 Conflict"]]
    assert (await c.head(A + "/bulk")).status_code == 404
    assert (await c.head(A + "/full/keep")).status_code == 200


async def test_static_large_object(swift_api):
    c = swift_api.demo
    await put(c, "/segs")
    await put(c, "/slo")
    parts = [os.urandom(1000), os.urandom(2000), os.urandom(10)]
    manifest = []
    for i, part in enumerate(parts):
        r = await put(c, f"/segs/p{i}", part)
        manifest.append({"path": f"/segs/p{i}", "etag": r.headers["etag"], "size_bytes": len(part)})
    bad = [*manifest, {"path": "/segs/missing", "etag": None, "size_bytes": None}]
    r = await c.put(A + "/slo/big?multipart-manifest=put", content=json.dumps(bad))
    assert r.status_code == 400
    assert "/segs/missing" in r.text
    r = await c.put(A + "/slo/big?multipart-manifest=put", content=json.dumps(manifest))
    assert r.status_code == 201, r.text
    expected_etag = hashlib.md5(
        "".join(hashlib.md5(p).hexdigest() for p in parts).encode()
    ).hexdigest()
    assert r.headers["etag"] == f'"{expected_etag}"'
    r = await c.get(A + "/slo/big")
    assert r.content == b"".join(parts)
    assert r.headers["x-static-large-object"] == "True"
    assert r.headers["content-length"] == "3010"
    r = await c.get(A + "/slo/big", headers={"Range": "bytes=990-1009"})
    assert r.content == b"".join(parts)[990:1010]
    r = await c.get(A + "/slo/big?multipart-manifest=get")
    assert [e["name"] for e in r.json()] == ["/segs/p0", "/segs/p1", "/segs/p2"]
    listing = (await c.get(A + "/slo?format=json")).json()
    assert listing[0]["bytes"] == 3010
    r = await c.delete(
        A + "/slo/big?multipart-manifest=delete", headers={"Accept": "application/json"}
    )
    assert r.status_code == 200
    assert r.json()["Number Deleted"] == 4
    assert (await c.get(A + "/segs?format=json")).json() == []


async def test_dynamic_large_object(swift_api):
    c = swift_api.demo
    await put(c, "/dseg")
    for i in range(3):
        await put(c, f"/dseg/part/{i:03d}", f"chunk{i};".encode())
    await put(c, "/dseg/manifest", b"", **{"X-Object-Manifest": "dseg/part/"})
    r = await c.get(A + "/dseg/manifest")
    assert r.content == b"chunk0;chunk1;chunk2;"
    assert r.headers["x-object-manifest"] == "dseg/part/"
    assert r.headers["etag"].startswith('"')
    r = await c.get(A + "/dseg/manifest", headers={"Range": "bytes=5-9"})
    assert r.content == b"0;chu"
    await put(c, "/dseg/part/003", b"more")
    assert (await c.get(A + "/dseg/manifest")).content.endswith(b"more")


def sign(key: str, method: str, expires: int, path: str) -> str:
    return hmac.new(
        key.encode(), f"{method}\n{expires}\n{path}".encode(), hashlib.sha256
    ).hexdigest()


async def test_temp_url(swift_api):
    c = swift_api.demo
    await put(c, "/t")
    await put(c, "/t/file.txt", b"secret", **{"X-Object-Meta-Private": "p"})
    assert (await c.post(A, headers={"X-Account-Meta-Temp-URL-Key": "k1"})).status_code == 204
    expires = int(time.time()) + 600
    path = f"{A}/t/file.txt"
    sig = sign("k1", "GET", expires, path)
    anon = swift_api.anon
    r = await anon.get(f"{path}?temp_url_sig={sig}&temp_url_expires={expires}")
    assert r.status_code == 200, r.text
    assert r.content == b"secret"
    assert r.headers["content-disposition"].startswith('attachment; filename="file.txt"')
    assert "x-object-meta-private" not in r.headers
    r = await anon.get(f"{path}?temp_url_sig={sig}&temp_url_expires={expires}&inline")
    assert r.headers["content-disposition"] == "inline"
    # Signed with the mount prefix, as clients that sign the whole endpoint path do.
    full = "/object-store" + path
    sig_full = sign("k1", "GET", expires, full)
    assert (
        await anon.get(f"{path}?temp_url_sig={sig_full}&temp_url_expires={expires}")
    ).status_code == 200
    r = await anon.get(f"{path}?temp_url_sig={'0' * 64}&temp_url_expires={expires}")
    assert r.status_code == 401
    old = int(time.time()) - 10
    r = await anon.get(f"{path}?temp_url_sig={sign('k1', 'GET', old, path)}&temp_url_expires={old}")
    assert r.status_code == 401
    r = await anon.put(f"{path}?temp_url_sig={sig}&temp_url_expires={expires}", content=b"x")
    assert r.status_code == 401
    # A PUT signature lets an anonymous client upload (container key this time).
    assert (
        await c.post(A + "/t", headers={"X-Container-Meta-Temp-URL-Key": "k2"})
    ).status_code == 204
    up = f"{A}/t/upload.bin"
    r = await anon.put(
        f"{up}?temp_url_sig={sign('k2', 'PUT', expires, up)}&temp_url_expires={expires}",
        content=b"uploaded",
    )
    assert r.status_code == 201
    assert (await c.get(up)).content == b"uploaded"


async def test_acls_and_public_containers(swift_api):
    c = swift_api.demo
    await put(c, "/shared")
    await put(c, "/shared/o", b"data")
    alt = swift_api.alt
    assert (await alt.get(A + "/shared/o")).status_code == 403
    assert (await swift_api.anon.get(A + "/shared/o")).status_code == 401
    assert (await alt.get(A)).status_code == 403
    await c.post(A + "/shared", headers={"X-Container-Read": "p-alt:*"})
    assert (await alt.get(A + "/shared/o")).content == b"data"
    assert (await alt.get(A + "/shared?format=json")).status_code == 200
    assert (await alt.put(A + "/shared/new", content=b"x")).status_code == 403
    assert "x-container-read" not in (await alt.head(A + "/shared")).headers
    await c.post(A + "/shared", headers={"X-Container-Write": "p-alt:u-alt"})
    assert (await alt.put(A + "/shared/new", content=b"x")).status_code == 201
    assert (await alt.delete(A + "/shared")).status_code == 403
    await c.post(A + "/shared", headers={"X-Container-Read": ".r:*"})
    assert (await swift_api.anon.get(A + "/shared/o")).content == b"data"
    assert (await swift_api.anon.get(A + "/shared")).status_code == 401
    await c.post(A + "/shared", headers={"X-Container-Read": ".r:*,.rlistings"})
    assert (await swift_api.anon.get(A + "/shared")).status_code == 200
    r = await c.post(A + "/shared", headers={"X-Container-Write": ".r:*"})
    assert r.status_code == 400


async def test_quotas(swift_api):
    c = swift_api.demo
    await put(
        c, "/q", b"", **{"X-Container-Meta-Quota-Bytes": "10", "X-Container-Meta-Quota-Count": "2"}
    )
    await put(c, "/q/a", b"12345")
    r = await c.put(A + "/q/b", content=b"1234567")
    assert r.status_code == 413
    assert (await c.head(A + "/q/b")).status_code == 404
    await put(c, "/q/b", b"12345")
    r = await c.put(A + "/q/c", content=b"")
    assert r.status_code == 413
    # Only a reseller admin sets an account quota.
    assert (await c.post(A, headers={"X-Account-Meta-Quota-Bytes": "5"})).status_code == 403


async def test_expiry(swift_api):
    c = swift_api.demo
    await put(c, "/x")
    r = await c.put(A + "/x/o", content=b"1", headers={"X-Delete-At": str(int(time.time()) - 5)})
    assert r.status_code == 400
    # X-Delete-After is counted from the whole second (as Swift does): 3 leaves at least 2.
    r = await c.put(A + "/x/o", content=b"1", headers={"X-Delete-After": "3"})
    assert r.status_code == 201
    assert "x-delete-at" in (await c.head(A + "/x/o")).headers
    deadline = time.monotonic() + 30
    while (await c.get(A + "/x/o")).status_code != 404:
        assert time.monotonic() < deadline, "object never expired"
        await asyncio.sleep(0.25)
    assert (await c.get(A + "/x?format=json")).json() == []
    assert (await c.head(A + "/x")).headers["x-container-object-count"] == "0"


async def test_auth_and_info(swift_api):
    assert (await swift_api.anon.get(A)).status_code == 401
    assert (await swift_api.reader.put(A + "/c")).status_code == 403
    r = await swift_api.anon.get("/info")
    assert r.status_code == 200
    info = r.json()
    assert info["swift"]["max_file_size"] == 5368709122
    for feature in ("tempurl", "bulk_delete", "slo", "container_quotas", "account_quotas"):
        assert feature in info
    assert "cross-domain-policy" in (await swift_api.anon.get("/crossdomain.xml")).text


async def test_account_quota_set_by_reseller_admin(swift_api):
    c = swift_api.demo
    await put(c, "/aq")
    await put(c, "/aq/a", b"1234")
    r = await swift_api.reseller.post(A, headers={"X-Account-Meta-Quota-Bytes": "6"})
    assert r.status_code == 204
    assert (await c.head(A)).headers["x-account-meta-quota-bytes"] == "6"
    assert (await c.put(A + "/aq/b", content=b"123")).status_code == 413
    await put(c, "/aq/b", b"12")
    # Replacing an object only counts the difference.
    await put(c, "/aq/a", b"1111")
    assert (await c.put(A + "/aq/a", content=b"11111")).status_code == 413


def tarball(files: dict[str, bytes], mode: str = "w") -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def test_bulk_upload_extract_archive(swift_api):
    c = swift_api.demo
    body = tarball({"photos/a.jpg": b"AAA", "photos/sub/b.txt": b"BB", "docs/c": b"C"})
    r = await c.put(
        A + "?extract-archive=tar", content=body, headers={"Accept": "application/json"}
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["Number Files Created"] == 3
    assert result["Response Status"] == "201 Created"
    listed = (await c.get(A + "/photos?format=json")).json()
    assert [(o["name"], o["content_type"]) for o in listed] == [
        ("a.jpg", "image/jpeg"),
        ("sub/b.txt", "text/plain"),
    ]
    assert (await c.get(A + "/docs/c")).content == b"C"
    # Into one container, gzipped.
    await put(c, "/into")
    body = tarball({"x/1": b"1", "2": b"22"}, mode="w:gz")
    r = await c.put(A + "/into?extract-archive=tar.gz", content=body)
    assert r.status_code == 200
    assert "Number Files Created: 2" in r.text
    assert (await c.get(A + "/into")).text == "2\nx/1\n"
    r = await c.put(A + "/into?extract-archive=tar", content=b"not a tar file" * 100)
    assert r.status_code == 400
    assert (await swift_api.alt.put(A + "?extract-archive=tar", content=body)).status_code == 403
    # Only the objects' bytes remain: the spooled archive is gone.
    assert len(blobs(swift_api.data_dir)) == 5


def form_body(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "stratus-boundary"
    lines: list[bytes] = []
    for key, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{key}"'.encode(),
            b"",
            value.encode(),
        ]
    for i, (filename, data) in enumerate(files.items()):
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="file{i}"; filename="{filename}"'.encode(),
            b"Content-Type: text/plain",
            b"",
            data,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def form_fields(
    path: str, key: str, *, expires: int, redirect: str = "", size: int = 1024, count: int = 5
) -> dict[str, str]:
    body = f"{path}\n{redirect}\n{size}\n{count}\n{expires}"
    sig = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return {
        "redirect": redirect,
        "max_file_size": str(size),
        "max_file_count": str(count),
        "expires": str(expires),
        "signature": sig,
    }


async def test_form_post(swift_api):
    c = swift_api.demo
    await put(c, "/forms")
    await c.post(A, headers={"X-Account-Meta-Temp-URL-Key": "formkey"})
    path = f"{A}/forms/up-"
    expires = int(time.time()) + 300
    body, ctype = form_body(
        form_fields(path, "formkey", expires=expires), {"a.txt": b"first", "b.txt": b"second"}
    )
    r = await swift_api.anon.post(path, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 201, r.text
    assert (await c.get(f"{A}/forms/up-a.txt")).content == b"first"
    assert (await c.get(f"{A}/forms/up-b.txt")).content == b"second"
    fields = form_fields(path, "formkey", expires=expires, redirect="https://example.com/done")
    body, ctype = form_body(fields, {"c.txt": b"third"})
    r = await swift_api.anon.post(path, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 303
    assert r.headers["location"] == "https://example.com/done?status=201&message="
    fields = form_fields(path, "formkey", expires=expires, size=3)
    body, ctype = form_body(fields, {"big.txt": b"too large"})
    r = await swift_api.anon.post(path, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 400
    assert (await c.head(f"{A}/forms/up-big.txt")).status_code == 404
    fields = form_fields(path, "wrongkey", expires=expires)
    body, ctype = form_body(fields, {"x.txt": b"x"})
    r = await swift_api.anon.post(path, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 401 and "Invalid Signature" in r.text
    fields = form_fields(path, "formkey", expires=int(time.time()) - 1)
    body, ctype = form_body(fields, {"x.txt": b"x"})
    r = await swift_api.anon.post(path, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 401 and "Form Expired" in r.text
    listed = [o["name"] for o in (await c.get(A + "/forms?format=json")).json()]
    assert listed == ["up-a.txt", "up-b.txt", "up-c.txt"]


async def test_symlinks(swift_api):
    c = swift_api.demo
    await put(c, "/s1")
    await put(c, "/s2")
    await put(c, "/s1/target.txt", b"target bytes")
    r = await c.put(A + "/s2/link", content=b"", headers={"X-Symlink-Target": "s1/target.txt"})
    assert r.status_code == 201
    r = await c.get(A + "/s2/link")
    assert r.content == b"target bytes"
    assert r.headers["content-location"] == f"{A}/s1/target.txt"
    r = await c.get(A + "/s2/link?symlink=get")
    assert r.content == b"" and r.headers["x-symlink-target"] == "s1/target.txt"
    entry = (await c.get(A + "/s2?format=json")).json()[0]
    assert entry["content_type"] == "application/symlink"
    assert entry["symlink_path"] == f"{A}/s1/target.txt"
    r = await c.put(A + "/s2/bad", content=b"data", headers={"X-Symlink-Target": "s1/target.txt"})
    assert r.status_code == 400
    await c.delete(A + "/s1/target.txt")
    assert (await c.get(A + "/s2/link")).status_code == 404
    assert (await c.delete(A + "/s2/link")).status_code == 204


async def test_static_web(swift_api):
    c = swift_api.demo
    await put(c, "/site", b"", **{"X-Container-Read": ".r:*,.rlistings"})
    await put(c, "/site/index.html", b"<h1>home</h1>", **{"Content-Type": "text/html"})
    await put(c, "/site/docs/a.html", b"A")
    await put(c, "/site/404error.html", b"missing page")
    anon = swift_api.anon
    await c.post(A + "/site", headers={"X-Container-Meta-Web-Index": "index.html"})
    r = await anon.get(A + "/site")
    assert r.status_code == 200 and r.content == b"<h1>home</h1>"
    # With a token it is the plain API again.
    assert (await c.get(A + "/site")).text.startswith("404error.html\n")
    await c.post(
        A + "/site",
        headers={
            "X-Container-Meta-Web-Index": "",
            "X-Container-Meta-Web-Listings": "true",
            "X-Container-Meta-Web-Listings-CSS": "style.css",
            "X-Container-Meta-Web-Error": "error.html",
        },
    )
    r = await anon.get(A + "/site")
    assert r.headers["content-type"].startswith("text/html")
    assert "index.html" in r.text and "docs/" in r.text
    assert '<link rel="stylesheet" type="text/css" href="style.css" />' in r.text
    r = await anon.get(A + "/site/docs/")
    assert "a.html" in r.text and 'href="../style.css"' in r.text
    r = await anon.get(A + "/site/nothing-here")
    assert r.status_code == 404 and r.content == b"missing page"


async def test_versioned_writes_stack_mode(swift_api):
    c = swift_api.demo
    await put(c, "/archive")
    await put(c, "/main", b"", **{"X-Versions-Location": "archive"})
    assert (await c.head(A + "/main")).headers["x-versions-location"] == "archive"
    await put(c, "/main/doc", b"v1")
    await put(c, "/main/doc", b"v2")
    await put(c, "/main/doc", b"v3")
    assert (await c.get(A + "/main/doc")).content == b"v3"
    archived = (await c.get(A + "/archive?format=json")).json()
    assert [o["name"].startswith("003doc/") for o in archived] == [True, True]
    assert (await c.delete(A + "/main/doc")).status_code == 204
    assert (await c.get(A + "/main/doc")).content == b"v2"
    assert (await c.delete(A + "/main/doc")).status_code == 204
    assert (await c.get(A + "/main/doc")).content == b"v1"
    assert (await c.delete(A + "/main/doc")).status_code == 204
    assert (await c.get(A + "/main/doc")).status_code == 404
    assert (await c.head(A + "/archive")).headers["x-container-object-count"] == "0"
    assert (await c.head(A + "/main")).headers["x-container-object-count"] == "0"


async def test_versioned_writes_history_mode(swift_api):
    c = swift_api.demo
    await put(c, "/hist")
    await put(c, "/live", b"", **{"X-History-Location": "hist"})
    await put(c, "/live/doc", b"v1")
    await put(c, "/live/doc", b"v2")
    assert (await c.delete(A + "/live/doc")).status_code == 204
    assert (await c.get(A + "/live/doc")).status_code == 404
    kept = [o["bytes"] for o in (await c.get(A + "/hist?format=json")).json()]
    assert kept == [2, 2]
    both = {"X-Versions-Location": "a", "X-History-Location": "b"}
    assert (await c.post(A + "/live", headers=both)).status_code == 400


async def test_account_object_count_quota(swift_api):
    c = swift_api.demo
    await put(c, "/cq")
    await put(c, "/cq/a", b"1")
    headers = {"X-Account-Quota-Count": "2"}
    assert (await c.post(A, headers=headers)).status_code == 403
    assert (await swift_api.reseller.post(A, headers=headers)).status_code == 204
    await put(c, "/cq/b", b"1")
    assert (await c.put(A + "/cq/c", content=b"1")).status_code == 413
    await put(c, "/cq/b", b"22")  # overwriting does not add an object
    r = await swift_api.reseller.post(A, headers={"X-Remove-Account-Quota-Count": "x"})
    assert r.status_code == 204
    await put(c, "/cq/c", b"1")


async def test_listing_is_in_byte_order(swift_api):
    c = swift_api.demo
    await put(c, "/order")
    names = ["a", "B", "_x", "Z/1", "é", "0"]
    for name in names:
        await put(c, f"/order/{name}", b"x")
    listed = [o["name"] for o in (await c.get(A + "/order?format=json")).json()]
    assert listed == sorted(names, key=lambda n: n.encode())
    page = [o["name"] for o in (await c.get(A + "/order?format=json&marker=B&limit=2")).json()]
    assert page == ["Z/1", "_x"]


async def test_crash_leftovers_are_swept(tmp_path):
    from stratus.services.object_store.store import sweep_partials

    folder = tmp_path / "tmp"
    folder.mkdir()
    old = folder / "a.part"
    fresh = folder / "b.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    assert await sweep_partials(folder) == 1
    assert not old.exists() and fresh.exists()
