"""web-download import and the tasks API, fetching from a local HTTP server."""

import hashlib
import http.server
import threading
from collections.abc import Iterator

import pytest

PAYLOAD = bytes(range(256)) * 4096


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect?to="))
            self.end_headers()
            return
        if self.path != "/disk.raw":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args: object) -> None:
        pass


def _serve() -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def web(image_api) -> Iterator[str]:
    """A local server on a port the operator opened to imports (by default only 80 and 443
    are, as in Glance)."""
    server, port = _serve()
    image_api.runtime.settings.image = {"import_filtering": {"allowed_ports": [port]}}
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


async def test_web_download_import(image_api, web):
    info = (await image_api.demo.get("/v2/info/import")).json()
    assert "web-download" in info["import-methods"]["value"]
    image = (
        await image_api.demo.post(
            "/v2/images", json={"name": "web", "disk_format": "raw", "container_format": "bare"}
        )
    ).json()
    url = f"/v2/images/{image['id']}"
    body = {"method": {"name": "web-download", "uri": f"{web}/disk.raw"}}
    r = await image_api.demo.post(f"{url}/import", json=body)
    assert r.status_code == 202, r.text
    await image_api.drain()
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(PAYLOAD).hexdigest()
    assert (await image_api.demo.get(f"{url}/file")).content == PAYLOAD
    bad = {"method": {"name": "web-download", "uri": "file:///etc/passwd"}}
    other = (
        await image_api.demo.post(
            "/v2/images", json={"disk_format": "raw", "container_format": "bare"}
        )
    ).json()
    assert (
        await image_api.demo.post(f"/v2/images/{other['id']}/import", json=bad)
    ).status_code == 400


async def test_web_download_failure_returns_image_to_queued(image_api, web):
    image = (
        await image_api.demo.post(
            "/v2/images", json={"name": "web", "disk_format": "raw", "container_format": "bare"}
        )
    ).json()
    url = f"/v2/images/{image['id']}"
    body = {"method": {"name": "web-download", "uri": f"{web}/missing.raw"}}
    assert (await image_api.demo.post(f"{url}/import", json=body)).status_code == 202
    await image_api.drain()
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "queued"
    assert shown["os_glance_failed_import"] == "file"
    tasks = (await image_api.demo.get(f"{url}/tasks")).json()["tasks"]
    assert [(t["type"], t["status"]) for t in tasks] == [("api_image_import", "failure")]
    assert "missing.raw" in tasks[0]["message"]


async def test_tasks_import(image_api, web):
    assert (await image_api.demo.post("/v2/tasks", json={})).status_code == 403
    task = {
        "type": "import",
        "input": {
            "import_from": f"{web}/disk.raw",
            "import_from_format": "raw",
            "image_properties": {
                "name": "from-task",
                "disk_format": "raw",
                "container_format": "bare",
            },
        },
    }
    r = await image_api.admin.post("/v2/tasks", json=task)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "pending" and created["schema"] == "/v2/schemas/task"
    await image_api.drain()
    done = (await image_api.admin.get(f"/v2/tasks/{created['id']}")).json()
    assert done["status"] == "success", done
    image = (await image_api.admin.get(f"/v2/images/{done['result']['image_id']}")).json()
    assert image["status"] == "active" and image["size"] == len(PAYLOAD)
    task["input"]["import_from"] = f"{web}/nothing.qcow2"
    failing = (await image_api.admin.post("/v2/tasks", json=task)).json()
    await image_api.drain()
    failed = (await image_api.admin.get(f"/v2/tasks/{failing['id']}")).json()
    assert failed["status"] == "failure" and failed["message"]
    listed = (await image_api.admin.get("/v2/tasks")).json()["tasks"]
    assert {t["id"] for t in listed} == {created["id"], failing["id"]}
    task["input"]["import_from"] = "ftp://example.com/x"
    assert (await image_api.admin.post("/v2/tasks", json=task)).status_code == 400


async def _new_image(api) -> str:
    body = {"disk_format": "raw", "container_format": "bare"}
    return (await api.post("/v2/images", json=body)).json()["id"]


@pytest.mark.parametrize(
    ("uri", "rules"),
    [
        ("http://127.0.0.1:{port}/disk.raw", {}),  # default: ports 80 and 443 only
        ("http://127.0.0.1:{port}/disk.raw", {"allowed_ports": "80,443"}),
        ("http://127.0.0.1:{port}/disk.raw", {"allowed_ports": [], "disallowed_ports": "{port}"}),
        ("http://127.0.0.1:{port}/disk.raw", {"allowed_ports": [], "disallowed_hosts": "127.0.0.1"}),
        ("http://2130706433:{port}/disk.raw", {"allowed_ports": []}),
        ("http://127.1:{port}/disk.raw", {"allowed_ports": []}),
        ("https://127.0.0.1:{port}/disk.raw", {"allowed_ports": [], "allowed_schemes": "http"}),
        ("http://127.0.0.1:{port}/disk.raw", {"allowed_ports": [], "allowed_hosts": "10.0.0.1"}),
    ],
    ids=["default-ports", "ports-listed", "port-banned", "host-banned", "decimal-address",
         "short-address", "scheme", "hosts-listed"],
)  # fmt: skip
async def test_import_filtering_refuses_before_anything_changes(image_api, uri, rules):
    server, port = _serve()
    try:
        image_api.runtime.settings.image = {
            "import_filtering": {
                k: (v.format(port=port) if isinstance(v, str) else v) for k, v in rules.items()
            }
        }
        image_id = await _new_image(image_api.demo)
        body = {"method": {"name": "web-download", "uri": uri.format(port=port)}}
        r = await image_api.demo.post(f"/v2/images/{image_id}/import", json=body)
        assert r.status_code == 400
        assert "URI for web-download does not pass filtering" in r.text
        shown = (await image_api.demo.get(f"/v2/images/{image_id}")).json()
        assert shown["status"] == "queued"
        assert (await image_api.demo.get(f"/v2/images/{image_id}/tasks")).json()["tasks"] == []
        task = {"type": "import", "input": {"import_from": uri.format(port=port)}}
        r = await image_api.admin.post("/v2/tasks", json=task)
        assert r.status_code == 400 and "legacy import task does not pass filtering" in r.text
    finally:
        server.shutdown()


async def test_redirects_are_filtered_like_the_first_url(image_api, web):
    closed, closed_port = _serve()
    try:
        # a redirect to the same, allowed server is followed
        image_id = await _new_image(image_api.demo)
        uri = f"{web}/redirect?to={web}/disk.raw"
        body = {"method": {"name": "web-download", "uri": uri}}
        assert (
            await image_api.demo.post(f"/v2/images/{image_id}/import", json=body)
        ).status_code == 202
        await image_api.drain()
        shown = (await image_api.demo.get(f"/v2/images/{image_id}")).json()
        assert shown["status"] == "active" and shown["checksum"] == hashlib.md5(PAYLOAD).hexdigest()
        # a redirect to a port the operator did not open fails the import
        image_id = await _new_image(image_api.demo)
        uri = f"{web}/redirect?to=http://127.0.0.1:{closed_port}/disk.raw"
        body = {"method": {"name": "web-download", "uri": uri}}
        assert (
            await image_api.demo.post(f"/v2/images/{image_id}/import", json=body)
        ).status_code == 202
        await image_api.drain()
        shown = (await image_api.demo.get(f"/v2/images/{image_id}")).json()
        assert shown["status"] == "queued" and shown["checksum"] is None
        tasks = (await image_api.demo.get(f"/v2/images/{image_id}/tasks")).json()["tasks"]
        assert "Redirect to disallowed URL" in tasks[0]["message"]
    finally:
        closed.shutdown()


def _blob_files(data_dir, folder: str) -> list[str]:
    root = data_dir / folder
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_web_download_to_all_stores(image_api, web):
    """Tempest's import call sends ``all_stores: true`` when it names no stores: every
    writable store of ``/v2/info/stores`` gets a copy, and ``stores`` lists them all."""
    writable = sorted(
        s["id"]
        for s in (await image_api.demo.get("/v2/info/stores")).json()["stores"]
        if s.get("read-only") != "true"
    )
    image_id = await _new_image(image_api.demo)
    url = f"/v2/images/{image_id}"
    body = {"method": {"name": "web-download", "uri": f"{web}/disk.raw"}, "all_stores": True}
    r = await image_api.demo.post(f"{url}/import", json=body)
    assert r.status_code == 202, r.text
    importing = (await image_api.demo.get(url)).json()
    assert sorted(importing["os_glance_importing_to_stores"].split(",")) == writable
    await image_api.drain()
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "active"
    assert sorted(shown["stores"].split(",")) == writable == ["file", "swift"]
    assert shown["os_glance_importing_to_stores"] == ""
    assert shown["os_glance_failed_import"] == ""
    assert shown["checksum"] == hashlib.md5(PAYLOAD).hexdigest()
    assert (await image_api.demo.get(f"{url}/file")).content == PAYLOAD
    # one copy in the file store (nothing left staged) and one object in object storage
    assert _blob_files(image_api.data_dir, "images") == [image_id]
    assert len(_blob_files(image_api.data_dir, "objects")) == 1
    # the copy in object storage is whole: drop the file copy and read it back from there
    assert (await image_api.admin.delete(f"/v2/stores/file/{image_id}")).status_code == 204
    assert (await image_api.demo.get(url)).json()["stores"] == "swift"
    assert (await image_api.demo.get(f"{url}/file")).content == PAYLOAD
    tasks = (await image_api.demo.get(f"{url}/tasks")).json()["tasks"]
    assert [t["status"] for t in tasks] == ["success"]
    assert tasks[0]["input"]["import_req"]["all_stores"] is True


async def test_web_download_to_named_store(image_api, web):
    for how in ("body", "header"):
        image_id = await _new_image(image_api.demo)
        url = f"/v2/images/{image_id}"
        body: dict = {"method": {"name": "web-download", "uri": f"{web}/disk.raw"}}
        headers = {}
        if how == "body":
            body["stores"] = ["swift"]
        else:
            headers["X-Image-Meta-Store"] = "swift"
        r = await image_api.demo.post(f"{url}/import", json=body, headers=headers)
        assert r.status_code == 202, r.text
        await image_api.drain()
        shown = (await image_api.demo.get(url)).json()
        assert (shown["status"], shown["stores"]) == ("active", "swift")
        assert (await image_api.demo.get(f"{url}/file")).content == PAYLOAD
    # nothing of these two imports in the file store, staged or not
    assert _blob_files(image_api.data_dir, "images") == []


async def test_web_download_store_requests_refused_as_glance_does(image_api, web):
    image_id = await _new_image(image_api.demo)
    url = f"/v2/images/{image_id}"
    method = {"name": "web-download", "uri": f"{web}/disk.raw"}
    cases = [
        ({"method": method, "all_stores": True, "stores": ["file"]}, {}, 400),
        ({"method": method, "all_stores": True}, {"X-Image-Meta-Store": "file"}, 400),
        ({"method": method, "stores": ["file"]}, {"X-Image-Meta-Store": "file"}, 400),
        ({"method": method, "stores": ["tape"]}, {}, 409),
        ({"method": method}, {"X-Image-Meta-Store": "tape"}, 409),
    ]
    for body, headers, status in cases:
        r = await image_api.demo.post(f"{url}/import", json=body, headers=headers)
        assert r.status_code == status, (body, headers, r.text)
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "queued"
    assert (await image_api.demo.get(f"{url}/tasks")).json()["tasks"] == []


async def test_web_download_failure_marks_every_requested_store_failed(image_api, web):
    image_id = await _new_image(image_api.demo)
    url = f"/v2/images/{image_id}"
    body = {"method": {"name": "web-download", "uri": f"{web}/missing.raw"}, "all_stores": True}
    assert (await image_api.demo.post(f"{url}/import", json=body)).status_code == 202
    await image_api.drain()
    shown = (await image_api.demo.get(url)).json()
    assert shown["status"] == "queued"
    assert sorted(shown["os_glance_failed_import"].split(",")) == ["file", "swift"]
    assert shown["os_glance_importing_to_stores"] == ""
    assert _blob_files(image_api.data_dir, "images") == []
    assert _blob_files(image_api.data_dir, "objects") == []


@pytest.mark.parametrize("every", [True, False])
async def test_web_download_when_one_store_fails(image_api, web, monkeypatch, every):
    """A store that cannot take its copy: by default the whole import fails and no copy
    stays anywhere; with ``all_stores_must_succeed: false`` the image goes active in the
    stores that took it, and the failed one is reported."""
    image_id = await _new_image(image_api.demo)  # (the service is built on a first request)
    images = image_api.app.app.state.images

    async def broken(path, key):
        raise OSError("object storage is full")

    monkeypatch.setattr(images.stores["swift"], "put_file", broken)
    url = f"/v2/images/{image_id}"
    body = {
        "method": {"name": "web-download", "uri": f"{web}/disk.raw"},
        "all_stores": True,
        "all_stores_must_succeed": every,
    }
    assert (await image_api.demo.post(f"{url}/import", json=body)).status_code == 202
    await image_api.drain()
    shown = (await image_api.demo.get(url)).json()
    assert shown["os_glance_failed_import"] == "swift"
    assert shown["os_glance_importing_to_stores"] == ""
    assert _blob_files(image_api.data_dir, "objects") == []
    tasks = (await image_api.demo.get(f"{url}/tasks")).json()["tasks"]
    if every:
        assert shown["status"] == "queued"
        assert _blob_files(image_api.data_dir, "images") == []
        assert tasks[0]["status"] == "failure" and "object storage is full" in tasks[0]["message"]
    else:
        assert (shown["status"], shown["stores"]) == ("active", "file")
        assert (await image_api.demo.get(f"{url}/file")).content == PAYLOAD
        assert tasks[0]["status"] == "success"
