"""Compute microversions 2.89-2.95 over real HTTP (and openstacksdk for key pairs):
volume attachments with attachment_id/bdm_uuid (2.89), user-set hostnames (2.90),
unshelve to a host or out of a zone (2.91), import-only key pairs (2.92), rebuild of a
volume-backed server re-imaging its root volume (2.93), FQDN hostnames (2.94),
evacuation that leaves the server stopped (2.95), and the advertised maximum."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.kit.ids import is_uuid_like
from stratus.services.compute.keypair import generate
from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.versioned_api import Api as VersionedApi
from tests.functional.compute.versioned_api import poll

SERVICES = ("identity", "placement", "network", "image", "compute", "block-storage")
PUBLIC_KEY = generate()[0]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("mv29x"), services=SERVICES) as c:
        yield c


class Api(VersionedApi):
    compute_version = "2.92"
    volume_version = "3.68"


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Api:
    return Api(cloud, cloud.connection("stratus-admin"))


@pytest.fixture(scope="module")
def demo(cloud: RunningCloud) -> Api:
    return Api(cloud, cloud.connection("stratus"))


@pytest.fixture(scope="module")
def boot(cloud: RunningCloud, demo: Api) -> Any:
    conn = cloud.connection("stratus")
    image = conn.image.create_image(
        name="mv-image", disk_format="raw", container_format="bare", data=b"\0" * 4096
    )
    net = conn.network.create_network(name="mv-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.42.0.0/24", ip_version=4)

    def make(name: str, version: str = "2.92", **extra: Any) -> httpx.Response:
        body = {
            "name": name,
            "imageRef": image.id,
            "flavorRef": "1",
            "networks": [{"uuid": net.id}],
            **extra,
        }
        return demo("POST", "/servers", version, json={"server": body})

    return make


def _active(api: Api, sid: str, *statuses: str) -> dict[str, Any]:
    wanted = statuses or ("ACTIVE",)
    server: dict[str, Any] = poll(
        lambda: api("GET", f"/servers/{sid}").json()["server"],
        lambda s: s["status"] in wanted and s["OS-EXT-STS:task_state"] is None,
    )
    return server


def test_advertised_maximum(demo: Api) -> None:
    versions = httpx.get(f"{demo.cloud.url}/compute/", timeout=30).json()["versions"]
    (v21,) = [v for v in versions if v["id"] == "v2.1"]
    assert v21["version"] == "2.95"
    assert demo("GET", "/servers", "2.96").status_code == 406
    latest = demo("GET", "/servers", "latest")
    assert latest.headers["OpenStack-API-Version"] == "compute 2.95"


def test_2_89_volume_attachment_ids(demo: Api, boot: Any) -> None:
    resp = boot("va")
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    _active(demo, sid)
    vid = demo.volume("POST", "/volumes", json={"volume": {"size": 1}}).json()["volume"]["id"]
    poll(
        lambda: demo.volume("GET", f"/volumes/{vid}").json()["volume"]["status"], "available".__eq__
    )
    attach = {"volumeAttachment": {"volumeId": vid}}
    made = demo("POST", f"/servers/{sid}/os-volume_attachments", "2.89", json=attach)
    assert made.status_code == 200, made.text
    # nova never applied 2.89 to the attach answer: it keeps "id"
    assert made.json()["volumeAttachment"]["id"] == vid
    assert "attachment_id" not in made.json()["volumeAttachment"]
    volume = poll(
        lambda: demo.volume("GET", f"/volumes/{vid}").json()["volume"],
        lambda v: v["status"] == "in-use",
    )
    (cinder_att,) = volume["attachments"]
    old = demo("GET", f"/servers/{sid}/os-volume_attachments/{vid}", "2.88").json()
    assert old["volumeAttachment"]["id"] == vid and "bdm_uuid" not in old["volumeAttachment"]
    shown = demo("GET", f"/servers/{sid}/os-volume_attachments/{vid}", "2.89").json()
    att = shown["volumeAttachment"]
    assert "id" not in att
    assert att["attachment_id"] == cinder_att["attachment_id"]
    assert is_uuid_like(att["bdm_uuid"]) and att["bdm_uuid"] != att["attachment_id"]
    assert att["volumeId"] == vid and att["serverId"] == sid
    assert set(att) == {
        "serverId",
        "volumeId",
        "device",
        "tag",
        "delete_on_termination",
        "attachment_id",
        "bdm_uuid",
    }
    listed = demo("GET", f"/servers/{sid}/os-volume_attachments", "2.89").json()
    assert listed["volumeAttachments"] == [att]
    old_list = demo("GET", f"/servers/{sid}/os-volume_attachments", "2.88").json()
    assert [a["id"] for a in old_list["volumeAttachments"]] == [vid]
    assert demo("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}").status_code == 202
    demo("DELETE", f"/servers/{sid}")


def test_2_90_hostname(admin: Api, demo: Api, boot: Any) -> None:
    # before 2.90 the key is unknown
    assert boot("h0", "2.89", hostname="custom").status_code == 400
    # 2.90's short host name: no dots, at least two characters, no leading dash
    for bad in ("a", "-ab", "web.example.org", "x" * 64, 5):
        resp = boot("h1", "2.90", hostname=bad)
        assert resp.status_code == 400, (bad, resp.text)
        assert "hostname" in resp.json()["badRequest"]["message"]
    # one hostname cannot go to several servers
    many = boot("h2", "2.90", hostname="shared", min_count=2, max_count=2)
    assert many.status_code == 400
    assert "multiple instances" in many.json()["badRequest"]["message"]
    assert demo("GET", "/servers?name=h2").json()["servers"] == []
    resp = boot("My Server", "2.90", hostname="custom-host")
    assert resp.status_code == 202, resp.text
    sid = resp.json()["server"]["id"]
    server = _active(demo, sid)
    # the owner sees it from 2.90 (before, it is an admin-only attribute)
    assert server["OS-EXT-SRV-ATTR:hostname"] == "custom-host"
    old = demo("GET", f"/servers/{sid}", "2.89").json()["server"]
    assert "OS-EXT-SRV-ATTR:hostname" not in old
    assert admin("GET", f"/servers/{sid}", "2.89").json()["server"]["OS-EXT-SRV-ATTR:hostname"] == (
        "custom-host"
    )
    detail = demo("GET", "/servers/detail?name=My", "2.90").json()["servers"]
    assert [s["OS-EXT-SRV-ATTR:hostname"] for s in detail] == ["custom-host"]
    # update: unknown before 2.90, validated, then kept
    upd = demo("PUT", f"/servers/{sid}", "2.89", json={"server": {"hostname": "other"}})
    assert upd.status_code == 400
    upd = demo("PUT", f"/servers/{sid}", "2.90", json={"server": {"hostname": "bad_name"}})
    assert upd.status_code == 400
    assert demo("GET", f"/servers/{sid}").json()["server"]["OS-EXT-SRV-ATTR:hostname"] == (
        "custom-host"
    )
    upd = demo("PUT", f"/servers/{sid}", "2.90", json={"server": {"hostname": "renamed"}})
    assert upd.status_code == 200, upd.text
    assert upd.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "renamed"
    # without a hostname the name still makes it
    plain = boot("Plain Name", "2.90")
    plain_id = plain.json()["server"]["id"]
    assert _active(demo, plain_id)["OS-EXT-SRV-ATTR:hostname"] == "plain-name"
    # rebuild: unknown before 2.90, then set
    image_ref = server["image"]["id"]
    action = f"/servers/{sid}/action"
    rb = demo("POST", action, "2.89", json={"rebuild": {"imageRef": image_ref, "hostname": "r"}})
    assert rb.status_code == 400
    rb = demo(
        "POST", action, "2.90", json={"rebuild": {"imageRef": image_ref, "hostname": "rebuilt"}}
    )
    assert rb.status_code == 202, rb.text
    assert rb.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "rebuilt"
    assert _active(demo, sid)["OS-EXT-SRV-ATTR:hostname"] == "rebuilt"
    # 2.94: a fully qualified name (dots, underscores; up to 255) on rebuild, update, create
    fqdn = "web-1.example_zone.org"
    rb = demo("POST", action, "2.93", json={"rebuild": {"imageRef": image_ref, "hostname": fqdn}})
    assert rb.status_code == 400
    rb = demo("POST", action, "2.94", json={"rebuild": {"imageRef": image_ref, "hostname": fqdn}})
    assert rb.status_code == 202, rb.text
    assert _active(demo, sid)["OS-EXT-SRV-ATTR:hostname"] == fqdn
    for bad in ("", "a" * 256, "web one.org", "x/y"):
        upd = demo("PUT", f"/servers/{sid}", "2.94", json={"server": {"hostname": bad}})
        assert upd.status_code == 400, bad
    upd = demo("PUT", f"/servers/{sid}", "2.94", json={"server": {"hostname": "h.example.org"}})
    assert upd.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "h.example.org"
    assert boot("fq", "2.93", hostname="fq.example.org").status_code == 400
    fq = boot("fq", "2.94", hostname="fq.example.org")
    assert fq.status_code == 202, fq.text
    fq_id = fq.json()["server"]["id"]
    assert _active(demo, fq_id)["OS-EXT-SRV-ATTR:hostname"] == "fq.example.org"
    for gone in (sid, plain_id, fq_id):
        demo("DELETE", f"/servers/{gone}")


def _hosts(admin: Api) -> list[str]:
    services = admin("GET", "/os-services?binary=nova-compute").json()["services"]
    return sorted(s["host"] for s in services)


def test_2_91_unshelve_to_host(admin: Api, demo: Api, boot: Any) -> None:
    resp = boot("shelf")
    sid = resp.json()["server"]["id"]
    first = _active(admin, sid)
    action = f"/servers/{sid}/action"
    assert demo("POST", action, json={"shelve": None}).status_code == 202
    _active(admin, sid, "SHELVED_OFFLOADED")
    hosts = _hosts(admin)
    assert len(hosts) >= 2
    target = next(h for h in hosts if h != first["OS-EXT-SRV-ATTR:host"])
    # host is unknown before 2.91, admin-only from 2.91, must exist, must be an object
    assert demo("POST", action, "2.90", json={"unshelve": {"host": target}}).status_code == 400
    assert demo("POST", action, json={"unshelve": {"host": target}}).status_code == 403
    assert admin("POST", action, json={"unshelve": {"host": "nowhere"}}).status_code == 400
    assert admin("POST", action, json={"unshelve": {"hosts": target}}).status_code == 400
    assert admin("POST", action, json={"unshelve": {"host": 3}}).status_code == 400
    # a host outside the zone the server is pinned to: 409, nothing changes
    agg = admin(
        "POST",
        "/os-aggregates",
        json={"aggregate": {"name": "elsewhere", "availability_zone": "az2"}},
    ).json()["aggregate"]
    added = admin("POST", f"/os-aggregates/{agg['id']}/action", json={"add_host": {"host": target}})
    assert added.status_code == 200, added.text
    try:
        conflict = admin(
            "POST", action, json={"unshelve": {"host": target, "availability_zone": "nova"}}
        )
        assert conflict.status_code == 409, conflict.text
        message = conflict.json()["conflictingRequest"]["message"]
        assert message == f'Host "{target}" is not in the availability zone "nova".'
        assert admin("GET", f"/servers/{sid}").json()["server"]["status"] == "SHELVED_OFFLOADED"
        # the zone and the host together: lands there, in that zone
        moved = admin(
            "POST", action, json={"unshelve": {"host": target, "availability_zone": "az2"}}
        )
        assert moved.status_code == 202, moved.text
        back = _active(admin, sid)
        assert back["OS-EXT-SRV-ATTR:host"] == target
        assert back["OS-EXT-AZ:availability_zone"] == "az2"
        # shelve again; availability_zone null unpins, and the member may say so
        assert demo("POST", action, json={"shelve": None}).status_code == 202
        _active(admin, sid, "SHELVED_OFFLOADED")
        home = first["OS-EXT-SRV-ATTR:host"]
        unpinned = admin(
            "POST", action, json={"unshelve": {"availability_zone": None, "host": home}}
        )
        assert unpinned.status_code == 202, unpinned.text
        again = _active(admin, sid)
        assert again["OS-EXT-SRV-ATTR:host"] == home
        assert again["OS-EXT-AZ:availability_zone"] == "nova"
        # a host for a server that is not offloaded: 409
        assert admin("POST", action, json={"unshelve": {"host": home}}).status_code == 409
    finally:
        demo("DELETE", f"/servers/{sid}")
        poll(
            lambda: admin("GET", f"/servers/{sid}").status_code,
            (404).__eq__,
        )
        admin("POST", f"/os-aggregates/{agg['id']}/action", json={"remove_host": {"host": target}})
        admin("DELETE", f"/os-aggregates/{agg['id']}")


def test_2_92_keypairs_import_only(cloud: RunningCloud, demo: Api) -> None:
    # before 2.92 a key pair may be generated
    made = demo("POST", "/os-keypairs", "2.91", json={"keypair": {"name": "gen"}})
    assert made.status_code == 201 and made.json()["keypair"]["private_key"]
    # from 2.92 the public key is required; nothing is created
    resp = demo("POST", "/os-keypairs", "2.92", json={"keypair": {"name": "gen2"}})
    assert resp.status_code == 400
    assert "'public_key' is a required property" in resp.json()["badRequest"]["message"]
    assert demo("GET", "/os-keypairs/gen2").status_code == 404
    # a key that is no SSH key (a PEM private key here) answers 400, not 500
    pem = {"keypair": {"name": "pem", "public_key": generate()[1]}}
    bad = demo("POST", "/os-keypairs", "2.92", json=pem)
    assert bad.status_code == 400, bad.text
    assert "failed to generate fingerprint" in bad.json()["badRequest"]["message"]
    # '@' and '.' are allowed in names from 2.92 (not before)
    body = {"keypair": {"name": "me@host.x", "public_key": PUBLIC_KEY}}
    assert demo("POST", "/os-keypairs", "2.91", json=body).status_code == 400
    imported = demo("POST", "/os-keypairs", "2.92", json=body)
    assert imported.status_code == 201, imported.text
    assert "private_key" not in imported.json()["keypair"]
    # openstacksdk imports a key the same way
    conn = cloud.connection("stratus")
    kp = conn.compute.create_keypair(name="sdk-key", public_key=PUBLIC_KEY)
    assert kp.fingerprint == imported.json()["keypair"]["fingerprint"]
    for name in ("gen", "me@host.x", "sdk-key"):
        assert demo("DELETE", f"/os-keypairs/{name}", "2.92").status_code == 204


def test_2_93_volume_backed_rebuild(cloud: RunningCloud, demo: Api) -> None:
    """Up to 2.92 a volume-backed server is rebuilt only from the image its root volume
    holds (nova's 400, nothing changes); from 2.93 the root volume is re-imaged through
    block storage's os-reimage under a new attachment and ends in-use again."""
    conn = cloud.connection("stratus")
    first = conn.image.create_image(
        name="bfv-a", disk_format="raw", container_format="bare", data=b"\1" * 4096
    )
    other = conn.image.create_image(
        name="bfv-b", disk_format="raw", container_format="bare", data=b"\2" * 4096
    )
    net = conn.network.create_network(name="bfv-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.43.0.0/24", ip_version=4)
    vol = demo.volume("POST", "/volumes", json={"volume": {"size": 1, "imageRef": first.id}})
    vid = vol.json()["volume"]["id"]
    poll(
        lambda: demo.volume("GET", f"/volumes/{vid}").json()["volume"]["status"], "available".__eq__
    )
    bdm = [{"boot_index": 0, "uuid": vid, "source_type": "volume", "destination_type": "volume"}]
    body = {
        "name": "bfv",
        "flavorRef": "1",
        "networks": [{"uuid": net.id}],
        "block_device_mapping_v2": bdm,
    }
    made = demo("POST", "/servers", json={"server": body})
    assert made.status_code == 202, made.text
    sid = made.json()["server"]["id"]
    _active(demo, sid)
    action = f"/servers/{sid}/action"
    before = demo("GET", f"/servers/{sid}/os-volume_attachments/{vid}").json()["volumeAttachment"]
    bad = demo("POST", action, "2.92", json={"rebuild": {"imageRef": other.id, "name": "x"}})
    assert bad.status_code == 400, bad.text
    assert bad.json()["badRequest"]["message"] == (
        f"Image {other.id} is unacceptable: Unable to rebuild with a different image for a "
        "volume-backed server."
    )
    shown = demo("GET", f"/servers/{sid}").json()["server"]
    assert shown["name"] == "bfv" and shown["status"] == "ACTIVE" and shown["image"] == ""
    missing = demo("POST", "/servers/nope/action", "2.92", json={"rebuild": {"imageRef": other.id}})
    assert missing.status_code == 404
    # the same image is fine up to 2.92 (no re-image)
    same = demo("POST", action, "2.92", json={"rebuild": {"imageRef": first.id}})
    assert same.status_code == 202, same.text
    assert _active(demo, sid)["image"] == ""
    # 2.93: an unknown image is 400 and the volume stays attached
    unknown = "8a1f8a9e-3c55-4f53-9d4e-2f7c6d3c1b11"
    nope = demo("POST", action, "2.93", json={"rebuild": {"imageRef": unknown}})
    assert nope.status_code == 400, nope.text
    assert demo.volume("GET", f"/volumes/{vid}").json()["volume"]["status"] == "in-use"
    # 2.93: another image re-images the root volume
    rebuild = {"imageRef": other.id, "name": "bfv2", "metadata": {"rebuild": "server"}}
    again = demo("POST", action, "2.93", json={"rebuild": {**rebuild, "adminPass": "pw"}})
    assert again.status_code == 202, again.text
    assert again.json()["server"]["image"] == "" and again.json()["server"]["name"] == "bfv2"
    server = _active(demo, sid)
    assert server["image"] == "" and server["metadata"] == {"rebuild": "server"}
    assert [v["id"] for v in server["os-extended-volumes:volumes_attached"]] == [vid]
    volume = demo.volume("GET", f"/volumes/{vid}").json()["volume"]
    assert volume["status"] == "in-use"
    assert volume["volume_image_metadata"]["image_id"] == other.id
    (cinder_att,) = volume["attachments"]
    after = demo("GET", f"/servers/{sid}/os-volume_attachments/{vid}").json()["volumeAttachment"]
    assert after["attachment_id"] == cinder_att["attachment_id"] != before["attachment_id"]
    assert after["bdm_uuid"] == before["bdm_uuid"] and after["device"] == before["device"]
    actions = demo("GET", f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions][:3] == ["rebuild", "rebuild", "create"]
    demo("DELETE", f"/servers/{sid}")


def test_2_95_evacuate_leaves_the_server_stopped(admin: Api, demo: Api, boot: Any) -> None:
    resp = boot("evac")
    sid = resp.json()["server"]["id"]
    source = _active(admin, sid)["OS-EXT-SRV-ATTR:host"]
    services = admin("GET", "/os-services?binary=nova-compute").json()["services"]
    svc = next(s for s in services if s["host"] == source)
    down = admin("PUT", f"/os-services/{svc['id']}", json={"forced_down": True})
    assert down.status_code == 200, down.text
    try:
        # an active server evacuated at 2.95 ends SHUTOFF (powered off) on another host
        moved = admin("POST", f"/servers/{sid}/action", "2.95", json={"evacuate": {}})
        assert moved.status_code == 200, moved.text
        server = _active(admin, sid, "SHUTOFF")
        assert server["OS-EXT-SRV-ATTR:host"] not in (None, source)
        assert server["OS-EXT-STS:vm_state"] == "stopped"
        assert server["OS-EXT-STS:power_state"] == 4
        moves = admin("GET", f"/os-migrations?instance_uuid={sid}").json()["migrations"]
        assert [m["status"] for m in moves] == ["done"]
        # it starts again as any stopped server
        start = admin("POST", f"/servers/{sid}/action", json={"os-start": None})
        assert start.status_code == 202
        assert _active(admin, sid)["OS-EXT-STS:power_state"] == 1
    finally:
        admin("PUT", f"/os-services/{svc['id']}", json={"forced_down": False})
        demo("DELETE", f"/servers/{sid}")


def test_openstack_cli_hostname_and_keypair(
    cloud: RunningCloud, boot: Any, demo: Api, tmp_path: Path
) -> None:
    """The openstack CLI: --hostname at 2.90 shows on the server; at 2.92 the client makes the
    key pair itself and imports its public half (the server generates nothing)."""
    openstack = str(Path(sys.executable).with_name("openstack"))

    def cli(*args: str, version: str = "2.92") -> Any:
        out = subprocess.run(
            [openstack, "--os-compute-api-version", version, *args, "-f", "json"],
            env=cloud.env("stratus"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    made = boot("cli-named", "2.90", hostname="cli-host")
    sid = made.json()["server"]["id"]
    _active(demo, sid)
    shown = cli("server", "show", sid, version="2.90")
    assert shown.get("hostname", shown.get("OS-EXT-SRV-ATTR:hostname")) == "cli-host"
    private = tmp_path / "cli-key.pem"
    pair = cli("keypair", "create", "--private-key", str(private), "cli-key")
    assert private.read_text().startswith("-----BEGIN")
    assert pair["name"] == "cli-key" and pair["fingerprint"]
    stored = demo("GET", "/os-keypairs/cli-key").json()["keypair"]
    assert stored["fingerprint"] == pair["fingerprint"]
    assert demo("DELETE", "/os-keypairs/cli-key").status_code == 204
    demo("DELETE", f"/servers/{sid}")
