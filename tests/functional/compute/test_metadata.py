"""The metadata service at /metadata (nova-api-metadata's trees, instance named by a metadata
proxy's signed headers or by its fixed address), os-server-password fed by it, and config
drives written for servers booted with config_drive=true."""

import base64
import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.services.compute.metadata import config_drive
from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES, Caller

USER_DATA = b"#cloud-config\nhostname: from-user-data\n"


def _wait(api: Caller, server_id: str) -> dict[str, Any]:
    for _ in range(600):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}").json()["server"]
        if server["status"] in ("ACTIVE", "ERROR"):
            assert server["status"] == "ACTIVE", server.get("fault")
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never became ACTIVE")


def _secret(cloud: RunningCloud) -> str:
    return (cloud.data_dir / "keys" / "metadata_proxy_shared_secret").read_text().strip()


def _signed(cloud: RunningCloud, server: dict[str, Any]) -> dict[str, str]:
    sig = hmac.new(_secret(cloud).encode(), server["id"].encode(), hashlib.sha256).hexdigest()
    return {
        "X-Instance-ID": server["id"],
        "X-Tenant-ID": server["tenant_id"],
        "X-Instance-ID-Signature": sig,
        "X-Forwarded-For": "10.20.0.99",
    }


@pytest.fixture(scope="module")
def keypair(demo: Any) -> Any:
    return demo.compute.create_keypair(name="md-key")


@pytest.fixture(scope="module")
def server(demo_api: Caller, image: Any, network: Any, keypair: Any) -> Iterator[dict[str, Any]]:
    body = {
        "server": {
            "name": "md-1",
            "imageRef": image.id,
            "flavorRef": "1",
            "networks": [{"uuid": network.id, "tag": "data-nic"}],
            "key_name": keypair.name,
            "user_data": base64.b64encode(USER_DATA).decode(),
            "metadata": {"role": "db"},
            "config_drive": True,
        }
    }
    resp = demo_api("POST", "/servers", json=body, version="2.42")
    assert resp.status_code == 202, resp.text
    server = _wait(demo_api, resp.json()["server"]["id"])
    yield server
    demo_api("DELETE", f"/servers/{server['id']}")


def _md(cloud: RunningCloud, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
    return httpx.request(
        kw.pop("method", "GET"), f"{cloud.url}/metadata{path}", headers=headers, timeout=30, **kw
    )


def test_version_listings(cloud: RunningCloud, server: dict[str, Any]) -> None:
    root = httpx.get(f"{cloud.url}/metadata/")
    assert root.status_code == 200 and root.headers["content-type"].startswith("text/plain")
    assert root.text.splitlines() == [
        "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
        "2008-02-01", "2008-09-01", "2009-04-04", "latest",
    ]  # fmt: skip
    headers = _signed(cloud, server)
    versions = _md(cloud, "/openstack", headers).text.splitlines()
    assert versions[0] == "2012-08-10" and versions[-2:] == ["2025-04-04", "latest"]
    latest = _md(cloud, "/openstack/latest", headers).text.splitlines()
    assert latest == [
        "meta_data.json",
        "user_data",
        "password",
        "vendor_data.json",
        "network_data.json",
        "vendor_data2.json",
    ]
    # Older versions list what existed then.
    assert _md(cloud, "/openstack/2012-08-10/", headers).text.splitlines() == [
        "meta_data.json",
        "user_data",
    ]


def test_proxy_identification(cloud: RunningCloud, server: dict[str, Any]) -> None:
    good = _signed(cloud, server)
    path = "/openstack/latest/meta_data.json"
    for missing, what in (
        ("X-Instance-ID", "X-Instance-ID header"),
        ("X-Instance-ID-Signature", "X-Instance-ID-Signature header"),
        ("X-Tenant-ID", "X-Tenant-ID header"),
    ):
        resp = _md(cloud, path, {k: v for k, v in good.items() if k != missing})
        assert resp.status_code == 400 and what in resp.text
    resp = _md(cloud, path, {**good, "X-Instance-ID-Signature": "0" * 64})
    assert resp.status_code == 403 and "Invalid proxy request signature" in resp.text
    # A tenant that does not own the instance learns nothing (404, as nova).
    resp = _md(cloud, path, {**good, "X-Tenant-ID": "someone-else"})
    assert resp.status_code == 404
    assert _md(cloud, "/openstack/latest/nope.json", good).status_code == 404
    assert _md(cloud, "/openstack/2000-01-01/meta_data.json", good).status_code == 404


def test_openstack_tree(
    cloud: RunningCloud, server: dict[str, Any], demo: Any, keypair: Any
) -> None:
    headers = _signed(cloud, server)
    resp = _md(cloud, "/openstack/latest/meta_data.json", headers)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    md = resp.json()
    assert md["uuid"] == server["id"] and md["name"] == "md-1" and md["hostname"] == "md-1"
    assert md["meta"] == {"role": "db"}
    assert md["project_id"] == server["tenant_id"] and md["launch_index"] == 0
    assert md["availability_zone"] == "nova"
    assert md["public_keys"] == {"md-key": keypair.public_key}
    assert md["keys"] == [{"name": "md-key", "type": "ssh", "data": keypair.public_key}]
    assert len(base64.b64decode(md["random_seed"])) == 512
    assert md["devices"] == [
        {
            "vf_trusted": False,
            "type": "nic",
            "mac": server["addresses"]["compute-net"][0]["OS-EXT-IPS-MAC:mac_addr"],
            "bus": "none",
            "address": "none",
            "tags": ["data-nic"],
        }
    ]
    assert md["dedicated_cpus"] == []
    # Before Liberty there was no project_id, before Grizzly no random_seed.
    old = _md(cloud, "/openstack/2012-08-10/meta_data.json", headers).json()
    assert "project_id" not in old and "random_seed" not in old and "devices" not in old
    assert _md(cloud, "/openstack/latest/user_data", headers).content == USER_DATA
    assert _md(cloud, "/openstack/latest/vendor_data.json", headers).json() == {}
    assert _md(cloud, "/openstack/latest/vendor_data2.json", headers).json() == {"static": {}}

    (port,) = demo.network.ports(device_id=server["id"])
    net = _md(cloud, "/openstack/latest/network_data.json", headers).json()
    assert net["links"] == [
        {
            "id": f"tap{port.id[:11]}",
            "vif_id": port.id,
            # the fake mechanism driver binds ports as ovs, a type nova names as such
            "type": "ovs",
            "mtu": None,
            "ethernet_mac_address": port.mac_address,
        }
    ]
    assert net["networks"] == [
        {
            "id": "network0",
            "type": "ipv4_dhcp",
            "link": f"tap{port.id[:11]}",
            "network_id": port.network_id,
        }
    ]
    assert net["services"] == []


def test_ec2_tree(cloud: RunningCloud, server: dict[str, Any], keypair: Any) -> None:
    headers = _signed(cloud, server)
    listing = _md(cloud, "/latest/meta-data/", headers).text.splitlines()
    assert {"ami-id", "hostname", "instance-id", "local-ipv4", "placement/", "public-keys/"} <= set(
        listing
    )
    fixed = server["addresses"]["compute-net"][0]["addr"]
    assert _md(cloud, "/latest/meta-data/local-ipv4", headers).text == fixed
    assert _md(cloud, "/2009-04-04/meta-data/hostname", headers).text == "md-1"
    assert _md(cloud, "/latest/meta-data/instance-type", headers).text == "m1.tiny"
    assert _md(cloud, "/latest/meta-data/placement/availability-zone", headers).text == "nova"
    assert _md(cloud, "/latest/meta-data/public-keys", headers).text == "0=md-key"
    assert _md(cloud, "/latest/meta-data/public-keys/0/", headers).text == "openssh-key"
    key = _md(cloud, "/latest/meta-data/public-keys/0/openssh-key", headers).text
    assert key == keypair.public_key
    assert _md(cloud, "/latest/user-data", headers).content == USER_DATA
    assert _md(cloud, "/latest", headers).text.splitlines() == ["meta-data/", "user-data"]
    # 1.0 predates local-hostname and the instance type.
    old = _md(cloud, "/1.0/meta-data/", headers).text.splitlines()
    assert "local-hostname" not in old and "instance-type" not in old
    assert _md(cloud, "/latest/meta-data/nope", headers).status_code == 404
    assert _md(cloud, "/2001-01-01/meta-data/", headers).status_code == 404


def test_password_round_trip(cloud: RunningCloud, server: dict[str, Any], demo_api: Caller) -> None:
    headers = _signed(cloud, server)
    url = f"/servers/{server['id']}/os-server-password"
    assert demo_api("GET", url).json() == {"password": ""}
    assert _md(cloud, "/openstack/latest/password", headers).text == ""
    too_big = _md(cloud, "/openstack/latest/password", headers, method="POST", content=b"x" * 1021)
    assert too_big.status_code == 400
    resp = _md(cloud, "/openstack/latest/password", headers, method="POST", content=b"c2VjcmV0")
    assert resp.status_code == 200
    assert _md(cloud, "/openstack/latest/password", headers).text == "c2VjcmV0"
    assert demo_api("GET", url).json() == {"password": "c2VjcmV0"}
    # A guest sets its password once.
    again = _md(cloud, "/openstack/latest/password", headers, method="POST", content=b"b3RoZXI=")
    assert again.status_code == 409
    assert demo_api("DELETE", url).status_code == 204
    assert demo_api("GET", url).json() == {"password": ""}
    # Only the password path takes POST.
    resp = _md(cloud, "/openstack/latest/meta_data.json", headers, method="POST", content=b"x")
    assert resp.status_code == 405


def test_password_is_the_projects(image: Any, admin_api: Caller, demo_api: Caller) -> None:
    body = {"server": {"name": "admin-md", "imageRef": image.id, "flavorRef": "1",
                       "networks": "none"}}  # fmt: skip
    resp = admin_api("POST", "/servers", json=body, version="2.37")
    theirs = _wait(admin_api, resp.json()["server"]["id"])
    url = f"/servers/{theirs['id']}/os-server-password"
    assert admin_api("GET", url).json() == {"password": ""}
    assert demo_api("GET", url).status_code == 404
    assert demo_api("DELETE", url).status_code == 404
    assert admin_api("DELETE", f"/servers/{theirs['id']}").status_code == 204


def test_config_drive(cloud: RunningCloud, server: dict[str, Any], demo_api: Caller) -> None:
    assert server["config_drive"] == "True"
    path = cloud.data_dir / "instances" / server["id"] / "disk.config"
    assert config_drive.volume_label(path) == "config-2"
    files = config_drive.read_files(path)
    md = json.loads(files["openstack/latest/meta_data.json"])
    assert md["uuid"] == server["id"] and md["meta"] == {"role": "db"}
    assert files["openstack/latest/user_data"] == USER_DATA
    assert files["ec2/latest/user-data"] == USER_DATA
    ec2 = json.loads(files["ec2/2009-04-04/meta-data.json"])
    assert ec2["hostname"] == "md-1" and ec2["public-keys"]["0"] == {
        "openssh-key": md["public_keys"]["md-key"]
    }
    net = json.loads(files["openstack/latest/network_data.json"])
    assert net["networks"][0]["network_id"] == server_network(server, demo_api)
    # Every OpenStack version has its own directory; EC2 versions before 2009-04-04 are left out.
    assert "openstack/2012-08-10/meta_data.json" in files
    assert "openstack/2012-08-10/network_data.json" not in files
    assert "ec2/2008-09-01/meta-data.json" not in files
    assert json.loads(files["openstack/latest/vendor_data2.json"]) == {"static": {}}


def server_network(server: dict[str, Any], api: Caller) -> str:
    (iface,) = api("GET", f"/servers/{server['id']}/os-interface").json()["interfaceAttachments"]
    net_id: str = iface["net_id"]
    return net_id


def test_no_config_drive_unless_asked(
    cloud: RunningCloud, demo_api: Caller, image: Any, network: Any
) -> None:
    body = {"server": {"name": "md-plain", "imageRef": image.id, "flavorRef": "1",
                       "networks": [{"uuid": network.id}]}}  # fmt: skip
    resp = demo_api("POST", "/servers", json=body)
    plain = _wait(demo_api, resp.json()["server"]["id"])
    assert plain["config_drive"] == ""
    assert not (cloud.data_dir / "instances" / plain["id"]).exists()
    assert demo_api("DELETE", f"/servers/{plain['id']}").status_code == 204


def test_delete_forgets_password_and_files(
    cloud: RunningCloud, demo_api: Caller, image: Any
) -> None:
    body = {"server": {"name": "md-forget", "imageRef": image.id, "flavorRef": "1",
                       "networks": "none",
                       "personality": [{"path": "/etc/x", "contents": "eA=="}]}}  # fmt: skip
    created = demo_api("POST", "/servers", json=body, version="2.37")
    made = _wait(demo_api, created.json()["server"]["id"])
    resp = _md(cloud, "/openstack/latest/password", _signed(cloud, made), method="POST",
               content=b"c2VjcmV0")  # fmt: skip
    assert resp.status_code == 200

    def kept() -> tuple[int, int]:
        with sqlite3.connect(cloud.data_dir / "stratus.sqlite") as db:
            return tuple(  # type: ignore[return-value]
                db.execute(
                    f"SELECT count(*) FROM {table} WHERE instance_uuid = ?", (made["id"],)
                ).fetchone()[0]
                for table in ("compute_instance_passwords", "compute_injected_files")
            )

    assert kept() == (1, 1)
    assert demo_api("DELETE", f"/servers/{made['id']}").status_code == 204
    assert kept() == (0, 0)


def test_delete_removes_config_drive(
    cloud: RunningCloud, demo_api: Caller, image: Any, network: Any
) -> None:
    body = {"server": {"name": "md-gone", "imageRef": image.id, "flavorRef": "1",
                       "networks": [{"uuid": network.id}], "config_drive": True}}  # fmt: skip
    made = _wait(demo_api, demo_api("POST", "/servers", json=body).json()["server"]["id"])
    path = cloud.data_dir / "instances" / made["id"] / "disk.config"
    assert path.is_file()
    assert demo_api("DELETE", f"/servers/{made['id']}").status_code == 204
    for _ in range(200):
        if demo_api("GET", f"/servers/{made['id']}").status_code == 404:
            break
        time.sleep(0.05)
    assert not path.exists()


@pytest.fixture(scope="module")
def by_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """A cloud whose metadata service finds instances by source address (no proxy)."""
    compute = {"metadata": {"service_metadata_proxy": False, "use_forwarded_for": True}}
    with running_cloud(tmp_path_factory.mktemp("md-addr"), services=SERVICES, compute=compute) as c:
        yield c


def test_identified_by_fixed_address(by_address: RunningCloud) -> None:
    conn = by_address.connection("stratus")
    api = Caller(by_address, conn.auth_token)
    admin = by_address.connection("stratus-admin")
    img = admin.image.create_image(
        name="cirros", disk_format="raw", container_format="bare", visibility="public",
        data=b"\0" * 1024,
    )  # fmt: skip
    net = conn.network.create_network(name="n")
    conn.network.create_subnet(network_id=net.id, cidr="10.30.0.0/24", ip_version=4)
    body = {"server": {"name": "by-ip", "imageRef": img.id, "flavorRef": "1",
                       "networks": [{"uuid": net.id}]}}  # fmt: skip
    server = _wait(api, api("POST", "/servers", json=body).json()["server"]["id"])
    fixed = server["addresses"]["n"][0]["addr"]
    md = _md(by_address, "/openstack/latest/meta_data.json", {"X-Forwarded-For": fixed})
    assert md.status_code == 200 and md.json()["uuid"] == server["id"]
    # The tenant, when named, must own the address.
    other = {"X-Forwarded-For": fixed, "X-Tenant-ID": "not-the-owner"}
    assert _md(by_address, "/openstack/latest/meta_data.json", other).status_code == 404
    unknown = {"X-Forwarded-For": "10.30.0.250"}
    assert _md(by_address, "/openstack/latest/meta_data.json", unknown).status_code == 404
    assert _md(by_address, "/latest/meta-data/local-ipv4", {"X-Forwarded-For": fixed}).text == fixed


def test_secret_file_is_private(cloud: RunningCloud, server: dict[str, Any]) -> None:
    path: Path = cloud.data_dir / "keys" / "metadata_proxy_shared_secret"
    assert path.stat().st_mode & 0o077 == 0


def test_dedicated_cpus_of_a_pinned_guest(
    cloud: RunningCloud, admin: Any, demo_api: Caller, image: Any
) -> None:
    flavor = admin.compute.create_flavor(name="md-pinned", ram=512, vcpus=2, disk=1)
    admin.compute.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "dedicated"})
    body = {"server": {"name": "md-pinned", "imageRef": image.id, "flavorRef": flavor.id,
                       "networks": "none"}}  # fmt: skip
    resp = demo_api("POST", "/servers", json=body, version="2.37")
    server = _wait(demo_api, resp.json()["server"]["id"])
    md = _md(cloud, "/openstack/latest/meta_data.json", _signed(cloud, server)).json()
    # nova's dedicated_cpus: the guest CPUs that run on dedicated host CPUs
    assert md["dedicated_cpus"] == [0, 1]
    assert (
        "dedicated_cpus"
        not in _md(cloud, "/openstack/2018-08-27/meta_data.json", _signed(cloud, server)).json()
    )
    demo_api("DELETE", f"/servers/{server['id']}")


def test_personality_lands_on_the_config_drive(
    cloud: RunningCloud, demo_api: Caller, image: Any, network: Any
) -> None:
    files = [
        {"path": "/etc/motd", "contents": base64.b64encode(b"hello\n").decode()},
        {"path": "/root/.ssh/extra", "contents": base64.b64encode(b"\x00\x01").decode()},
    ]
    body = {"server": {"name": "md-files", "imageRef": image.id, "flavorRef": "1",
                       "networks": [{"uuid": network.id}], "config_drive": True,
                       "personality": files}}  # fmt: skip
    resp = demo_api("POST", "/servers", json=body, version="2.56")
    assert resp.status_code == 202, resp.text
    server = _wait(demo_api, resp.json()["server"]["id"])
    drive = config_drive.read_files(cloud.data_dir / "instances" / server["id"] / "disk.config")
    md = json.loads(drive["openstack/latest/meta_data.json"])
    assert md["files"] == [
        {"path": "/etc/motd", "content_path": "/content/0000"},
        {"path": "/root/.ssh/extra", "content_path": "/content/0001"},
    ]
    assert drive["openstack/content/0000"] == b"hello\n"
    assert drive["openstack/content/0001"] == b"\x00\x01"
    # as in nova, the metadata service does not serve them (they are not kept for it)
    served = _md(cloud, "/openstack/latest/meta_data.json", _signed(cloud, server)).json()
    assert "files" not in served

    # a rebuild's files replace the old ones on the drive
    rebuild = {"rebuild": {"imageRef": image.id, "personality": [
        {"path": "/etc/issue", "contents": base64.b64encode(b"rebuilt").decode()}]}}  # fmt: skip
    resp = demo_api("POST", f"/servers/{server['id']}/action", json=rebuild, version="2.56")
    assert resp.status_code == 202, resp.text
    _wait(demo_api, server["id"])
    drive = config_drive.read_files(cloud.data_dir / "instances" / server["id"] / "disk.config")
    md = json.loads(drive["openstack/latest/meta_data.json"])
    assert md["files"] == [{"path": "/etc/issue", "content_path": "/content/0000"}]
    assert drive["openstack/content/0000"] == b"rebuilt"
    demo_api("DELETE", f"/servers/{server['id']}")


def test_personality_is_checked(demo_api: Caller, image: Any) -> None:
    def boot(files: Any, version: str = "2.56") -> Any:
        body = {"server": {"name": "md-bad", "imageRef": image.id, "flavorRef": "1",
                           "networks": "none", "personality": files}}  # fmt: skip
        return demo_api("POST", "/servers", json=body, version=version)

    before = len(demo_api("GET", "/servers").json()["servers"])
    assert boot([{"path": "/a", "contents": "not base64!"}]).status_code == 400
    assert boot([{"path": "/a", "contents": "aGk=", "mode": "0600"}]).status_code == 400
    # nova's defaults: 5 files, paths up to 255 bytes, contents up to 10240 bytes
    six = [{"path": f"/f{i}", "contents": "aGk="} for i in range(6)]
    resp = boot(six)
    assert resp.status_code == 403 and "Personality file limit exceeded" in resp.text
    assert boot([{"path": "/" + "p" * 255, "contents": "aGk="}]).status_code == 403
    big = base64.b64encode(b"x" * 10241).decode()
    assert boot([{"path": "/big", "contents": big}]).status_code == 403
    # gone at 2.57
    assert boot([{"path": "/a", "contents": "aGk="}], version="2.57").status_code == 400
    # nothing was created by the refused requests
    assert len(demo_api("GET", "/servers").json()["servers"]) == before
