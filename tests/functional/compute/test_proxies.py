"""nova's proxy APIs (os-security-groups, os-security-group-rules, os-floating-ips,
os-floating-ip-pools, os-networks, os-tenant-networks): what they answer up to 2.35, the
404 from 2.36, and that the network service really holds what they change."""

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import openstack.exceptions
import pytest

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller


def test_security_group_crud(demo: Any, demo_api: Caller) -> None:
    resp = demo_api(
        "POST", "/os-security-groups", json={"security_group": {"name": "web", "description": "w"}}
    )
    assert resp.status_code == 200, resp.text
    group = resp.json()["security_group"]
    assert group["name"] == "web" and group["description"] == "w" and group["rules"] == []
    assert group["tenant_id"] == demo.current_project_id
    # The group is the network service's own.
    assert demo.network.get_security_group(group["id"]).name == "web"
    listed = demo_api("GET", "/os-security-groups").json()["security_groups"]
    names = [g["name"] for g in listed]
    assert "default" in names and "web" in names and names == sorted(names)
    # the default group's ingress rules (from members of itself) show as group rules
    default = next(g for g in listed if g["name"] == "default")
    assert all(
        r["group"] == {"name": "default", "tenant_id": group["tenant_id"]} for r in default["rules"]
    )
    shown = demo_api("GET", f"/os-security-groups/{group['id']}").json()["security_group"]
    assert shown == group
    resp = demo_api(
        "PUT",
        f"/os-security-groups/{group['id']}",
        json={"security_group": {"name": "web2", "description": "new"}},
    )
    assert resp.status_code == 200 and resp.json()["security_group"]["name"] == "web2"
    assert (
        demo_api("GET", "/os-security-groups?limit=1").json()["security_groups"][0]["name"]
        == (names[0])
    )
    assert demo_api("DELETE", f"/os-security-groups/{group['id']}").status_code == 202
    with pytest.raises(openstack.exceptions.NotFoundException):
        demo.network.get_security_group(group["id"])
    assert demo_api("GET", f"/os-security-groups/{group['id']}").status_code == 404


def test_security_group_bad_input(demo_api: Caller) -> None:
    assert demo_api("GET", "/os-security-groups/not-a-uuid").status_code == 400
    missing = demo_api("GET", f"/os-security-groups/{uuid.uuid4()}")
    assert missing.status_code == 404 and "itemNotFound" in missing.json()
    resp = demo_api("POST", "/os-security-groups", json={"security_group": {"name": "x"}})
    assert resp.status_code == 400
    resp = demo_api(
        "POST",
        "/os-security-groups",
        json={"security_group": {"name": "x" * 256, "description": ""}},
    )
    assert resp.status_code == 400
    default = next(
        g
        for g in demo_api("GET", "/os-security-groups").json()["security_groups"]
        if g["name"] == "default"
    )
    resp = demo_api("DELETE", f"/os-security-groups/{default['id']}")
    assert resp.status_code == 400 and "badRequest" in resp.json()


def test_security_group_rules(demo: Any, demo_api: Caller) -> None:
    def make(name: str) -> dict[str, Any]:
        body = {"security_group": {"name": name, "description": ""}}
        group: dict[str, Any] = demo_api("POST", "/os-security-groups", json=body).json()[
            "security_group"
        ]
        return group

    parent, peer = make("rules-parent"), make("rules-peer")
    body = {
        "security_group_rule": {
            "parent_group_id": parent["id"],
            "ip_protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "cidr": "10.0.0.0/8",
        }
    }
    resp = demo_api("POST", "/os-security-group-rules", json=body)
    assert resp.status_code == 200, resp.text
    rule = resp.json()["security_group_rule"]
    assert rule["parent_group_id"] == parent["id"] and rule["ip_protocol"] == "tcp"
    assert (rule["from_port"], rule["to_port"]) == (22, 22)
    assert rule["ip_range"] == {"cidr": "10.0.0.0/8"} and rule["group"] == {}
    neutron = demo.network.get_security_group_rule(rule["id"])
    assert neutron.direction == "ingress" and neutron.remote_ip_prefix == "10.0.0.0/8"
    assert neutron.port_range_min == 22 and neutron.port_range_max == 22
    # The same rule again is refused.
    assert demo_api("POST", "/os-security-group-rules", json=body).status_code == 400
    # A rule from a peer group opens the whole TCP range when no ports are given.
    from_peer = {
        "security_group_rule": {
            "parent_group_id": parent["id"],
            "ip_protocol": "tcp",
            "group_id": peer["id"],
        }
    }
    resp = demo_api("POST", "/os-security-group-rules", json=from_peer)
    assert resp.status_code == 200, resp.text
    peer_rule = resp.json()["security_group_rule"]
    assert peer_rule["group"] == {"name": "rules-peer", "tenant_id": parent["tenant_id"]}
    assert (peer_rule["from_port"], peer_rule["to_port"]) == (1, 65535)
    shown = demo_api("GET", f"/os-security-groups/{parent['id']}").json()["security_group"]
    assert sorted(r["id"] for r in shown["rules"]) == sorted([rule["id"], peer_rule["id"]])

    def bad(**changes: Any) -> int:
        rule_body = {**body["security_group_rule"], **changes}
        status: int = demo_api(
            "POST", "/os-security-group-rules", json={"security_group_rule": rule_body}
        ).status_code
        return status

    assert bad(ip_protocol="sctp-ish") == 400
    assert bad(from_port=2000, to_port=1000) == 400
    assert bad(from_port=0, to_port=0) == 400
    assert bad(from_port="a", to_port=5) == 400
    assert bad(ip_protocol="icmp", from_port=256, to_port=0) == 400
    assert bad(cidr="10.0.0.300/8") == 400
    assert bad(parent_group_id="nope") == 400
    assert bad(parent_group_id=str(uuid.uuid4())) == 404
    assert bad(from_port=None, to_port=None) == 400  # a CIDR rule needs its ports
    assert demo_api("DELETE", f"/os-security-group-rules/{rule['id']}").status_code == 202
    assert demo_api("DELETE", f"/os-security-group-rules/{rule['id']}").status_code == 404
    assert demo_api("DELETE", f"/os-security-group-rules/{uuid.uuid4()}").status_code == 404
    for g in (parent, peer):
        assert demo_api("DELETE", f"/os-security-groups/{g['id']}").status_code == 202


def test_proxies_are_gone_from_2_36(demo_api: Caller) -> None:
    for path in (
        "/os-security-groups",
        "/os-floating-ips",
        "/os-floating-ip-pools",
        "/os-networks",
        "/os-tenant-networks",
    ):
        assert demo_api("GET", path, version="2.35").status_code == 200, path
        resp = demo_api("GET", path, version="2.36")
        assert resp.status_code == 404, path
        assert "itemNotFound" in resp.json()
    body = {"security_group": {"name": "late", "description": ""}}
    assert demo_api("POST", "/os-security-groups", json=body, version="2.36").status_code == 404


@pytest.fixture(scope="module")
def public(admin: Any) -> Any:
    net = admin.network.create_network(name="proxy-public", is_router_external=True)
    admin.network.create_subnet(
        network_id=net.id, cidr="172.24.8.0/24", ip_version=4, name="proxy-public-v4"
    )
    return net


def test_floating_ips(demo: Any, demo_api: Caller, public: Any) -> None:
    pools = demo_api("GET", "/os-floating-ip-pools").json()["floating_ip_pools"]
    assert {"name": "proxy-public"} in pools
    resp = demo_api("POST", "/os-floating-ips", json={"pool": "proxy-public"})
    assert resp.status_code == 200, resp.text
    fip = resp.json()["floating_ip"]
    assert fip["pool"] == "proxy-public" and fip["ip"].startswith("172.24.8.")
    assert fip["fixed_ip"] is None and fip["instance_id"] is None
    assert demo.network.get_ip(fip["id"]).floating_ip_address == fip["ip"]
    assert fip in demo_api("GET", "/os-floating-ips").json()["floating_ips"]
    assert demo_api("GET", f"/os-floating-ips/{fip['id']}").json()["floating_ip"] == fip
    assert demo_api("POST", "/os-floating-ips", json={"pool": "no-such"}).status_code == 404
    assert demo_api("POST", "/os-floating-ips", json={"pool": 5}).status_code == 400
    assert demo_api("DELETE", f"/os-floating-ips/{fip['id']}").status_code == 202
    assert demo_api("GET", f"/os-floating-ips/{fip['id']}").status_code == 404
    assert demo_api("DELETE", f"/os-floating-ips/{fip['id']}").status_code == 404


def test_networks(demo_api: Caller, admin_api: Caller, network: Any) -> None:
    nets = demo_api("GET", "/os-networks").json()["networks"]
    mine = next(n for n in nets if n["id"] == network.id)
    assert mine["label"] == "compute-net" and mine["cidr"] is None
    assert "project_id" not in mine  # admin-only field
    shown = admin_api("GET", f"/os-networks/{network.id}").json()["network"]
    assert shown["label"] == "compute-net" and "project_id" in shown and shown["mtu"] is None
    assert demo_api("GET", f"/os-networks/{uuid.uuid4()}").status_code == 404
    assert admin_api("POST", "/os-networks", json={"network": {"label": "x"}}).status_code == 410
    assert admin_api("DELETE", f"/os-networks/{network.id}").status_code == 410
    tenant = demo_api("GET", "/os-tenant-networks").json()["networks"]
    assert {"id": network.id, "cidr": "None", "label": "compute-net"} in tenant
    one = demo_api("GET", f"/os-tenant-networks/{network.id}").json()["network"]
    assert one == {"id": network.id, "cidr": "None", "label": "compute-net"}


def test_images_proxy(admin: Any, demo: Any, demo_api: Caller, admin_api: Caller) -> None:
    img = demo.image.create_image(
        name="proxy-img",
        disk_format="raw",
        container_format="bare",
        data=b"\0" * 2048,
        min_ram=64,
        instance_uuid="3d2a7c1e-0000-4000-8000-000000000001",
        image_type="snapshot",
    )
    listed = demo_api("GET", "/images?name=proxy-img").json()["images"]
    assert [i["id"] for i in listed] == [img.id]
    assert [link["rel"] for link in listed[0]["links"]] == ["self", "bookmark", "alternate"]
    assert listed[0]["links"][2]["href"].endswith(f"/image/images/{img.id}")
    detail = demo_api("GET", f"/images/{img.id}").json()["image"]
    assert detail["status"] == "ACTIVE" and detail["progress"] == 100
    assert detail["minRam"] == 64 and detail["minDisk"] == 0
    assert detail["OS-EXT-IMG-SIZE:size"] == 2048
    assert detail["metadata"]["image_type"] == "snapshot"
    assert detail["server"]["id"] == "3d2a7c1e-0000-4000-8000-000000000001"
    by_server = demo_api("GET", "/images/detail?server=3d2a7c1e-0000-4000-8000-000000000001")
    assert [i["id"] for i in by_server.json()["images"]] == [img.id]
    assert demo_api("GET", "/images?type=snapshot").json()["images"][0]["id"] == img.id
    assert img.id not in {i["id"] for i in demo_api("GET", "/images?minRam=128").json()["images"]}
    page = demo_api("GET", "/images?limit=1").json()
    assert len(page["images"]) == 1 and page["images_links"][0]["rel"] == "next"
    assert demo_api("GET", f"/images/{uuid.uuid4()}").status_code == 404

    # metadata: merge, one item, replace, delete; the image service holds the properties
    url = f"/images/{img.id}/metadata"
    resp = demo_api("POST", url, json={"metadata": {"os_distro": "cirros"}})
    assert resp.status_code == 200 and resp.json()["metadata"]["os_distro"] == "cirros"
    assert demo.image.get_image(img.id).os_distro == "cirros"
    assert demo_api("GET", f"{url}/os_distro").json() == {"meta": {"os_distro": "cirros"}}
    resp = demo_api("PUT", f"{url}/os_version", json={"meta": {"os_version": "0.6"}})
    assert resp.status_code == 200 and resp.json() == {"meta": {"os_version": "0.6"}}
    assert demo_api("PUT", f"{url}/a", json={"meta": {"b": "1"}}).status_code == 400
    assert demo_api("PUT", f"{url}/a", json={"meta": {"a": "1", "b": "2"}}).status_code == 400
    resp = demo_api("PUT", url, json={"metadata": {"only": "this"}})
    assert resp.json() == {"metadata": {"only": "this"}}
    assert demo_api("GET", url).json() == {"metadata": {"only": "this"}}
    assert demo_api("DELETE", f"{url}/only").status_code == 204
    assert demo_api("DELETE", f"{url}/only").status_code == 404
    assert demo_api("GET", f"{url}/only").status_code == 404
    assert demo_api("GET", f"/images/{uuid.uuid4()}/metadata").status_code == 404
    # more properties than the metadata_items quota allows
    many = {f"k{i}": "v" for i in range(129)}
    assert demo_api("POST", url, json={"metadata": many}).status_code == 403
    assert demo_api("GET", "/images", version="2.36").status_code == 404
    assert demo_api("DELETE", f"/images/{img.id}").status_code == 204
    assert demo_api("GET", f"/images/{img.id}").status_code == 404


def test_extensions(demo_api: Caller) -> None:
    exts = demo_api("GET", "/extensions").json()["extensions"]
    aliases = [e["alias"] for e in exts]
    assert aliases == sorted(aliases) and len(aliases) == len(set(aliases))
    assert {"os-hosts", "os-consoles", "os-security-groups", "OS-EXT-IPS"} <= set(aliases)
    hosts = next(e for e in exts if e["alias"] == "os-hosts")
    assert hosts["name"] == "Hosts" and hosts["links"] == []
    one = demo_api("GET", "/extensions/os-consoles").json()["extension"]
    assert one["alias"] == "os-consoles" and one["name"] == "Consoles"
    assert demo_api("GET", "/extensions/os-nope").status_code == 404


def test_instance_usage_audit_log(admin_api: Caller, demo_api: Caller) -> None:
    assert demo_api("GET", "/os-instance_usage_audit_log").status_code == 403
    log = admin_api("GET", "/os-instance_usage_audit_log").json()["instance_usage_audit_logs"]
    # No host runs the usage audit: every compute host is reported as not run.
    assert log["num_hosts"] == 2 and log["hosts_not_run"] == ["compute-0", "compute-1"]
    assert log["num_hosts_done"] == 0 and log["log"] == {}
    assert log["overall_status"] == "0 of 2 hosts done. 0 errors."
    before = admin_api("GET", "/os-instance_usage_audit_log/2020-03-15 10:00:00").json()
    period = before["instance_usage_audit_log"]
    assert (period["period_beginning"], period["period_ending"]) == (
        "2020-02-01 00:00:00",
        "2020-03-01 00:00:00",
    )
    january = admin_api("GET", "/os-instance_usage_audit_log/2021-01-02 00:00:00.5").json()
    assert january["instance_usage_audit_log"]["period_beginning"] == "2020-12-01 00:00:00"
    assert admin_api("GET", "/os-instance_usage_audit_log/yesterday").status_code == 400


def test_os_hosts(admin_api: Caller, demo_api: Caller) -> None:
    hosts = admin_api("GET", "/os-hosts").json()["hosts"]
    computes = [h for h in hosts if h["service"] == "compute"]
    assert {h["host_name"] for h in computes} == {"compute-0", "compute-1"}
    assert all(h["zone"] == "nova" for h in computes)
    assert all(h["zone"] == "internal" for h in hosts if h["service"] != "compute")
    assert admin_api("GET", "/os-hosts?zone=nova").json()["hosts"] == computes
    assert admin_api("GET", "/os-hosts?zone=nowhere").json()["hosts"] == []
    assert demo_api("GET", "/os-hosts").status_code == 403
    assert admin_api("GET", "/os-hosts", version="2.43").status_code == 404

    shown = admin_api("GET", "/os-hosts/compute-0").json()["host"]
    total, used_now, used_max = (r["resource"] for r in shown[:3])
    assert total["project"] == "(total)" and total["cpu"] > 0 and total["memory_mb"] > 0
    assert used_now["project"] == "(used_now)" and used_max["project"] == "(used_max)"
    assert admin_api("GET", "/os-hosts/nope").status_code == 404

    resp = admin_api("PUT", "/os-hosts/compute-1", json={"status": "disable"})
    assert resp.json() == {"host": "compute-1", "status": "disabled"}
    svc = admin_api("GET", "/os-services?host=compute-1&binary=nova-compute").json()
    assert svc["services"][0]["status"] == "disabled"
    resp = admin_api("PUT", "/os-hosts/compute-1", json={"status": "Enable"})
    assert resp.json() == {"host": "compute-1", "status": "enabled"}
    assert admin_api("PUT", "/os-hosts/compute-1", json={"status": "bogus"}).status_code == 400
    assert admin_api("PUT", "/os-hosts/compute-1", json={}).status_code == 400
    assert admin_api("PUT", "/os-hosts/compute-1", json={"other": "x"}).status_code == 400
    assert admin_api("PUT", "/os-hosts/nope", json={"status": "enable"}).status_code == 404
    maintenance = admin_api("PUT", "/os-hosts/compute-1", json={"maintenance_mode": "enable"})
    assert maintenance.status_code == 501
    for action in ("reboot", "shutdown", "startup"):
        assert admin_api("GET", f"/os-hosts/compute-0/{action}").status_code == 501
        assert admin_api("GET", f"/os-hosts/nope/{action}").status_code == 404
        assert demo_api("GET", f"/os-hosts/compute-0/{action}").status_code == 403


def _boot(api: Caller, image: Any, network: Any, name: str) -> dict[str, Any]:
    body = {"server": {"name": name, "imageRef": image.id, "flavorRef": "1",
                       "networks": [{"uuid": network.id}]}}  # fmt: skip
    server_id = api("POST", "/servers", json=body).json()["server"]["id"]
    for _ in range(600):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}").json()["server"]
        if server["status"] in ("ACTIVE", "ERROR"):
            assert server["status"] == "ACTIVE"
            return server
        time.sleep(0.05)
    raise AssertionError("server never became ACTIVE")


def test_floating_ip_actions(
    demo: Any, admin: Any, demo_api: Caller, public: Any, image: Any, network: Any
) -> None:
    router = demo.network.create_router(
        name="proxy-r", external_gateway_info={"network_id": public.id}
    )
    subnet = next(demo.network.subnets(network_id=network.id))
    demo.network.add_interface_to_router(router, subnet_id=subnet.id)
    one, two = (_boot(demo_api, image, network, n) for n in ("fip-1", "fip-2"))
    fip = demo_api("POST", "/os-floating-ips", json={"pool": "proxy-public"}).json()["floating_ip"]
    action = f"/servers/{one['id']}/action"
    resp = demo_api("POST", action, json={"addFloatingIp": {"address": fip["ip"]}})
    assert resp.status_code == 202, resp.text
    fixed = one["addresses"]["compute-net"][0]["addr"]
    shown = demo_api("GET", f"/os-floating-ips/{fip['id']}").json()["floating_ip"]
    assert shown["instance_id"] == one["id"] and shown["fixed_ip"] == fixed
    addrs = demo_api("GET", f"/servers/{one['id']}").json()["server"]["addresses"]["compute-net"]
    assert {"floating", "fixed"} == {a["OS-EXT-IPS:type"] for a in addrs}
    # Associating it with another server moves it (the first server's addresses follow).
    action_two = f"/servers/{two['id']}/action"
    resp = demo_api("POST", action_two, json={"addFloatingIp": {"address": fip["ip"]}})
    assert resp.status_code == 202, resp.text
    addrs = demo_api("GET", f"/servers/{one['id']}").json()["server"]["addresses"]["compute-net"]
    assert [a["OS-EXT-IPS:type"] for a in addrs] == ["fixed"]
    # Only the server holding it can give it back.
    resp = demo_api("POST", action, json={"removeFloatingIp": {"address": fip["ip"]}})
    assert resp.status_code == 409
    resp = demo_api("POST", action_two, json={"removeFloatingIp": {"address": fip["ip"]}})
    assert resp.status_code == 202
    assert (
        demo_api("GET", f"/os-floating-ips/{fip['id']}").json()["floating_ip"]["instance_id"]
        is None
    )
    bad = {"addFloatingIp": {"address": "172.24.8.254"}}
    assert demo_api("POST", action, json=bad).status_code == 404
    bad = {"addFloatingIp": {"address": fip["ip"], "fixed_address": "10.99.0.1"}}
    assert demo_api("POST", action, json=bad).status_code == 400
    assert demo_api("POST", action, json={"addFloatingIp": {"address": "x"}}).status_code == 400
    gone = demo_api("POST", action, json={"addFloatingIp": {"address": fip["ip"]}}, version="2.44")
    assert gone.status_code == 404
    for server in (one, two):
        demo_api("DELETE", f"/servers/{server['id']}")
    demo_api("DELETE", f"/os-floating-ips/{fip['id']}")


def test_remote_consoles(demo_api: Caller, image: Any, network: Any) -> None:
    server = _boot(demo_api, image, network, "console-1")
    url = f"/servers/{server['id']}/remote-consoles"

    def ask(protocol: str, kind: str, version: str = "2.6") -> int:
        body = {"remote_console": {"protocol": protocol, "type": kind}}
        status: int = demo_api("POST", url, json=body, version=version).status_code
        return status

    # valid requests: no driver runs a console server yet, and the answer says so
    resp = demo_api(
        "POST", url, json={"remote_console": {"protocol": "vnc", "type": "novnc"}}, version="2.6"
    )
    assert resp.status_code == 501 and "notImplemented" in resp.json()
    assert ask("serial", "serial") == 501
    assert ask("vnc", "spice-html5") == 400  # type of another protocol
    assert ask("rdp", "rdp-html5") == 400  # nova refuses rdp outright
    assert ask("mks", "webmks") == 400  # mks arrives at 2.8
    assert ask("mks", "webmks", "2.8") == 501
    assert ask("telnet", "novnc") == 400
    assert ask("vnc", "novnc", "2.5") == 404  # the route starts at 2.6
    # the legacy actions before 2.6
    action = f"/servers/{server['id']}/action"
    legacy = demo_api("POST", action, json={"os-getVNCConsole": {"type": "novnc"}}, version="2.5")
    assert legacy.status_code == 501
    bad = demo_api("POST", action, json={"os-getVNCConsole": {"type": "webmks"}}, version="2.5")
    assert bad.status_code == 400
    late = demo_api("POST", action, json={"os-getVNCConsole": {"type": "novnc"}}, version="2.6")
    assert late.status_code == 404
    assert (
        demo_api(
            "POST", f"/servers/{uuid.uuid4()}/remote-consoles", json={}, version="2.6"
        ).status_code
        == 404
    )
    demo_api("DELETE", f"/servers/{server['id']}")


def test_openstack_cli(cloud: RunningCloud) -> None:
    """The CLI commands that still reach these APIs work unchanged."""
    openstack = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")

    def cli(*args: str, who: str = "stratus-admin") -> Any:
        out = subprocess.run(
            [openstack, *args, "-f", "json"],
            env=cloud.env(who),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    hosts = cli("host", "list", "--os-compute-api-version", "2.42")
    assert {"compute-0", "compute-1"} <= {h["Host Name"] for h in hosts}
    shown = cli("host", "show", "compute-0", "--os-compute-api-version", "2.42")
    assert {r["Project"] for r in shown} >= {"(total)", "(used_now)", "(used_max)"}
    extensions = cli("extension", "list", "--compute")
    assert "os-hosts" in {e["Alias"] for e in extensions}
