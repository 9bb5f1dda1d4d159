"""Object storage through unmodified clients over real HTTP against a whole cloud:
openstacksdk, the openstack CLI and python-swiftclient's ``swift`` (including segmented
uploads, which build static and dynamic large objects)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run(cloud, exe: str, *args: str, name: str = "stratus", cwd: Path | None = None) -> str:
    path = BIN / exe
    command = str(path) if path.exists() else shutil.which(exe)
    if command is None:
        pytest.skip(f"{exe} is not installed")
    env = cloud.env(name)
    if exe == "swift":
        auth = json.loads(json.dumps(_clouds(cloud)[name]["auth"]))
        env.update(
            OS_AUTH_URL=auth["auth_url"],
            OS_USERNAME=auth["username"],
            OS_PASSWORD=auth["password"],
            OS_PROJECT_NAME=auth["project_name"],
            OS_USER_DOMAIN_NAME=auth["user_domain_name"],
            OS_PROJECT_DOMAIN_NAME=auth["project_domain_name"],
            OS_IDENTITY_API_VERSION="3",
            ST_AUTH_VERSION="3",
        )
    result = subprocess.run(
        [command, *args], env=env, capture_output=True, text=True, timeout=180, cwd=cwd
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _clouds(cloud) -> dict:
    import yaml

    return yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]


def test_sdk_containers_objects_metadata(demo_conn):
    store = demo_conn.object_store
    store.create_container("sdk-box")
    payload = os.urandom(1024 * 1024 + 7)
    store.upload_object(container="sdk-box", name="dir/blob.bin", data=payload)
    store.set_object_metadata("dir/blob.bin", container="sdk-box", color="green")
    meta = store.get_object_metadata("dir/blob.bin", container="sdk-box")
    assert meta.metadata["color"] == "green"
    assert meta.etag == hashlib.md5(payload).hexdigest()
    assert store.download_object("dir/blob.bin", container="sdk-box") == payload
    names = [o.name for o in store.objects("sdk-box", prefix="dir/")]
    assert names == ["dir/blob.bin"]
    container = store.get_container_metadata("sdk-box")
    assert container.object_count == 1
    assert container.bytes_used == len(payload)
    store.delete_object("dir/blob.bin", container="sdk-box")
    store.delete_container("sdk-box")
    assert "sdk-box" not in [c.name for c in store.containers()]


def test_sdk_temp_url(demo_conn):
    import httpx

    store = demo_conn.object_store
    store.create_container("tmp-url")
    store.upload_object(container="tmp-url", name="f.txt", data=b"via temp url")
    store.set_account_temp_url_key("sekrit")
    endpoint = demo_conn.object_store.get_endpoint()
    path = f"{httpx.URL(endpoint).path}/tmp-url/f.txt"
    signed = store.generate_temp_url(path, 300, "GET", temp_url_key="sekrit")
    base = endpoint[: endpoint.index("/object-store")]
    r = httpx.get(base + signed)
    assert r.status_code == 200
    assert r.content == b"via temp url"


@pytest.mark.slow
def test_openstack_cli_objects(stratus_cloud, tmp_path):
    source = tmp_path / "report.txt"
    source.write_bytes(b"cli object\n" * 1000)
    run(stratus_cloud, "openstack", "container", "create", "cli-box")
    run(stratus_cloud, "openstack", "object", "create", "cli-box", str(source), cwd=tmp_path)
    listing = json.loads(run(stratus_cloud, "openstack", "object", "list", "-f", "json", "cli-box"))
    assert [row["Name"] for row in listing] == [str(source)]
    target = tmp_path / "saved.txt"
    run(stratus_cloud, "openstack", "object", "save", "--file", str(target), "cli-box", str(source))
    assert target.read_bytes() == source.read_bytes()
    shown = json.loads(
        run(stratus_cloud, "openstack", "container", "show", "-f", "json", "cli-box")
    )
    assert int(shown["object_count"]) == 1
    run(stratus_cloud, "openstack", "object", "delete", "cli-box", str(source))
    run(stratus_cloud, "openstack", "container", "delete", "cli-box")


@pytest.mark.slow
@pytest.mark.parametrize("slo", [False, True], ids=["dlo", "slo"])
def test_swift_cli_segmented_upload_roundtrip(stratus_cloud, tmp_path, slo):
    work = tmp_path / "work"
    work.mkdir()
    payload = os.urandom(300_000)
    (work / "big.bin").write_bytes(payload)
    container = "seg-slo" if slo else "seg-dlo"
    args = ["upload", "-S", "100000", "--use-slo" if slo else "--use-dlo", container, "big.bin"]
    run(stratus_cloud, "swift", *args, cwd=work)
    stat = run(stratus_cloud, "swift", "stat", container, "big.bin")
    assert "300000" in stat
    assert ("X-Static-Large-Object: True" if slo else "Manifest: seg-dlo_segments/") in stat, stat
    listing = run(stratus_cloud, "swift", "list", f"{container}_segments")
    assert len(listing.split()) == 3
    out = tmp_path / "out"
    out.mkdir()
    run(stratus_cloud, "swift", "download", container, "big.bin", cwd=out)
    assert (out / "big.bin").read_bytes() == payload
    run(stratus_cloud, "swift", "post", "-m", "color:blue", container, "big.bin")
    assert "blue" in run(stratus_cloud, "swift", "stat", container, "big.bin").lower()
    run(stratus_cloud, "swift", "delete", container)
    assert container not in run(stratus_cloud, "swift", "list").split()
    # Deleting the manifest took its segments with it.
    assert run(stratus_cloud, "swift", "list", f"{container}_segments").strip() == ""
