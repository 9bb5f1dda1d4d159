"""Uploads cut off mid-body over real HTTP (the client closes its socket): the image ends
``killed`` and the object is not created or replaced; no partial bytes stay on disk."""

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

MIB = 1024 * 1024


def cut_off_put(url: str, token: str, *, announced: int, sent: int) -> None:
    """PUT announcing ``announced`` bytes, send ``sent`` of them, then close the socket."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80)) as sock:
        head = (
            f"PUT {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Auth-Token: {token}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {announced}\r\n\r\n"
        )
        sock.sendall(head.encode())
        sock.sendall(b"z" * sent)


def partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name.endswith(".part")]


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_interrupted_image_upload_is_killed_and_leaves_no_bytes(stratus_cloud, demo_conn):
    image = demo_conn.image.create_image(
        name="cut-off", disk_format="raw", container_format="bare", allow_duplicates=True
    )
    images_dir = stratus_cloud.data_dir / "images"
    before = {p for p in images_dir.rglob("*") if p.is_file()} if images_dir.exists() else set()
    url = demo_conn.image.get_endpoint().rstrip("/")
    if not url.endswith("/v2"):
        url += "/v2"
    try:
        cut_off_put(
            f"{url}/images/{image.id}/file", demo_conn.auth_token, announced=64 * MIB, sent=9 * MIB
        )
        wait_for(
            lambda: demo_conn.image.get_image(image.id).status == "killed",
            "the image never became killed",
        )
        shown = demo_conn.image.get_image(image.id)
        assert shown.size is None and shown.checksum is None
        wait_for(lambda: not partials(images_dir), "a partial image file stayed behind")
        after = {p for p in images_dir.rglob("*") if p.is_file()}
        assert after <= before
    finally:
        demo_conn.image.delete_image(image.id)


def test_interrupted_object_upload_keeps_the_old_object(stratus_cloud, demo_conn):
    demo_conn.object_store.create_container("cut-off")
    demo_conn.object_store.upload_object("cut-off", "obj", data=b"old bytes")
    objects_dir = stratus_cloud.data_dir / "objects"
    blobs_before = {p for p in objects_dir.rglob("*") if p.is_file()}
    url = demo_conn.object_store.get_endpoint().rstrip("/")
    cut_off_put(f"{url}/cut-off/obj", demo_conn.auth_token, announced=64 * MIB, sent=9 * MIB)
    cut_off_put(f"{url}/cut-off/new", demo_conn.auth_token, announced=64 * MIB, sent=9 * MIB)
    wait_for(lambda: not partials(objects_dir), "a partial object file stayed behind")
    assert {p for p in objects_dir.rglob("*") if p.is_file()} == blobs_before
    assert demo_conn.object_store.download_object("obj", "cut-off") == b"old bytes"
    names = [o.name for o in demo_conn.object_store.objects("cut-off")]
    assert names == ["obj"]
    demo_conn.object_store.delete_object("obj", container="cut-off")
    demo_conn.object_store.delete_container("cut-off")
