"""Servers end to end: boot through the scheduler (placement claim), ports from the network
service, ACTIVE on a simulated host; delete releases allocations and ports; NoValidHost ends
in ERROR with a fault; quotas, isolation, metadata, tags, actions."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openstack.exceptions
import pytest

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller

OPENSTACK = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")


def _wait(api: Caller, server_id: str, *statuses: str) -> dict[str, Any]:
    for _ in range(600):
        resp = api("GET", f"/servers/{server_id}", version="2.88")
        server: dict[str, Any] = resp.json()["server"]
        if server["status"] in statuses:
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never reached {statuses}")


def _allocations(admin: Any, consumer: str) -> dict[str, Any]:
    resp = admin.placement.get(f"/allocations/{consumer}")
    allocations: dict[str, Any] = resp.json()["allocations"]
    return allocations


def test_boot_show_delete(
    admin: Any, demo: Any, image: Any, network: Any, demo_api: Caller, admin_api: Caller
) -> None:
    server = demo.compute.create_server(
        name="web-1",
        image_id=image.id,
        flavor_id="2",
        networks=[{"uuid": network.id}],
        metadata={"role": "web"},
    )
    server = demo.compute.wait_for_server(server, wait=60)
    assert server.status == "ACTIVE"
    assert server.vm_state == "active" and server.task_state is None and server.power_state == 1
    (addr,) = server.addresses["compute-net"]
    assert addr["addr"].startswith("10.20.0.") and addr["OS-EXT-IPS:type"] == "fixed"
    assert server.metadata == {"role": "web"}
    # The port exists, belongs to the server and is bound to its host.
    (port,) = demo.network.ports(device_id=server.id)
    assert port.device_owner == "compute:nova"
    shown = admin.compute.get_server(server.id)
    assert shown.compute_host in ("compute-0", "compute-1")
    assert admin.network.get_port(port.id).binding_host_id == shown.compute_host
    # Placement holds exactly the flavor (m1.small: 1 vCPU, 2048 MB, 20 GB) on that host.
    ((rp, held),) = _allocations(admin, server.id).items()
    assert held["resources"] == {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}
    hv = admin_api("GET", f"/os-hypervisors/{rp}", version="2.53").json()["hypervisor"]
    assert hv["hypervisor_hostname"] == shown.compute_host and hv["memory_mb_used"] == 2048
    # Non-admins never see the host; the extended attributes are admin-only.
    body = demo_api("GET", f"/servers/{server.id}", version="2.3").json()["server"]
    assert "OS-EXT-SRV-ATTR:host" not in body and body["hostId"]
    # os-interface and ips list the same port and address.
    ifaces = demo_api("GET", f"/servers/{server.id}/os-interface").json()["interfaceAttachments"]
    assert [i["port_id"] for i in ifaces] == [port.id]
    ips = demo_api("GET", f"/servers/{server.id}/ips").json()["addresses"]
    assert ips == {"compute-net": [{"version": 4, "addr": addr["addr"]}]}
    actions = demo_api("GET", f"/servers/{server.id}/os-instance-actions").json()
    assert [a["action"] for a in actions["instanceActions"]] == ["create"]
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=60)
    assert _allocations(admin, server.id) == {}
    assert list(demo.network.ports(device_id=server.id)) == []
    # The deleted server's actions stay readable from 2.21.
    resp = demo_api("GET", f"/servers/{server.id}/os-instance-actions", version="2.21")
    assert [a["action"] for a in resp.json()["instanceActions"]] == ["delete", "create"]


def test_no_valid_host_sets_error_with_fault(
    admin: Any, demo: Any, image: Any, demo_api: Caller, admin_api: Caller
) -> None:
    admin_api(
        "POST",
        "/flavors",
        json={"flavor": {"name": "huge", "id": "huge", "ram": 512, "vcpus": 1, "disk": 2000}},
    )
    resp = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {
                "name": "too-big",
                "imageRef": image.id,
                "flavorRef": "huge",
                "networks": "none",
            }
        },
    )
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    server = _wait(demo_api, server_id, "ERROR", "ACTIVE")
    assert server["status"] == "ERROR"
    assert server["OS-EXT-STS:vm_state"] == "error"
    assert server["fault"]["code"] == 500
    assert server["fault"]["message"].startswith("No valid host was found.")
    assert _allocations(admin, server_id) == {}
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_validation_errors_change_nothing(
    demo: Any, image: Any, network: Any, demo_api: Caller
) -> None:
    before = len(list(demo.compute.servers()))
    cases = [
        (
            {"name": "x", "imageRef": image.id, "flavorRef": "nope", "networks": "none"},
            "Flavor nope could not be found.",
        ),
        (
            {
                "name": "x",
                "imageRef": "3c9f9a3e-0000-4000-8000-000000000000",
                "flavorRef": "1",
                "networks": "none",
            },
            "Image 3c9f9a3e-0000-4000-8000-000000000000 could not be found.",
        ),
        (
            {
                "name": "x",
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
                "key_name": "missing",
            },
            "Invalid key_name provided.",
        ),
        (
            {
                "name": "x",
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
                "availability_zone": "elsewhere",
            },
            "The requested availability zone is not available",
        ),
    ]
    for body, message in cases:
        resp = demo_api("POST", "/servers", version="2.37", json={"server": body})
        assert resp.status_code == 400, body
        assert resp.json()["badRequest"]["message"] == message
    resp = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={"server": {"name": "x", "imageRef": image.id, "flavorRef": "1"}},
    )
    assert resp.status_code == 400  # networks is required from 2.37
    resp = demo_api(
        "POST",
        "/servers",
        json={"server": {"name": "x", "imageRef": image.id, "flavorRef": "1", "bogus": 1}},
    )
    assert resp.status_code == 400
    assert len(list(demo.compute.servers())) == before


def test_quota_limits_instances(admin_api: Caller, demo: Any, image: Any, demo_api: Caller) -> None:
    project = demo.current_project_id
    existing = len(list(demo.compute.servers()))
    admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"instances": existing + 2}})
    try:
        resp = demo_api(
            "POST",
            "/servers",
            version="2.37",
            json={
                "server": {
                    "name": "many",
                    "imageRef": image.id,
                    "flavorRef": "1",
                    "networks": "none",
                    "min_count": 3,
                    "max_count": 3,
                }
            },
        )
        assert resp.status_code == 403
        assert "Quota exceeded for instances" in resp.json()["forbidden"]["message"]
        # max_count beyond the quota boots as many as fit (nova's rule).
        resp = demo_api(
            "POST",
            "/servers",
            version="2.37",
            json={
                "server": {
                    "name": "many",
                    "imageRef": image.id,
                    "flavorRef": "1",
                    "networks": "none",
                    "min_count": 1,
                    "max_count": 5,
                    "return_reservation_id": True,
                }
            },
        )
        assert resp.status_code == 202
        reservation = resp.json()["reservation_id"]
        listed = demo_api("GET", f"/servers/detail?reservation_id={reservation}").json()["servers"]
        assert sorted(s["name"] for s in listed) == ["many-1", "many-2"]
        for s in listed:
            _wait(demo_api, s["id"], "ACTIVE")
        resp = demo_api(
            "POST",
            "/servers",
            version="2.37",
            json={
                "server": {
                    "name": "one-more",
                    "imageRef": image.id,
                    "flavorRef": "1",
                    "networks": "none",
                }
            },
        )
        assert resp.status_code == 403
        for s in listed:
            assert demo_api("DELETE", f"/servers/{s['id']}").status_code == 204
    finally:
        admin_api("DELETE", f"/os-quota-sets/{project}")


def test_isolation_between_projects(
    admin: Any, demo: Any, image: Any, demo_api: Caller, admin_api: Caller
) -> None:
    resp = admin_api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {
                "name": "admin-only",
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
            }
        },
    )
    server_id = resp.json()["server"]["id"]
    _wait(admin_api, server_id, "ACTIVE")
    assert demo_api("GET", f"/servers/{server_id}").status_code == 404
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 404
    assert server_id not in {s["id"] for s in demo_api("GET", "/servers").json()["servers"]}
    # all_tenants is an admin's filter.
    assert demo_api("GET", "/servers?all_tenants=1").status_code == 403
    everyone = admin_api("GET", "/servers?all_tenants=1").json()["servers"]
    assert server_id in {s["id"] for s in everyone}
    assert admin_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_metadata_tags_update(demo: Any, image: Any, demo_api: Caller) -> None:
    resp = demo_api(
        "POST",
        "/servers",
        version="2.52",
        json={
            "server": {
                "name": "tagged",
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
                "tags": ["a", "b"],
                "description": "first",
            }
        },
    )
    server_id = resp.json()["server"]["id"]
    server = _wait(demo_api, server_id, "ACTIVE")
    assert server["tags"] == ["a", "b"] and server["description"] == "first"
    assert demo_api("PUT", f"/servers/{server_id}/tags/c", version="2.26").status_code == 201
    assert demo_api("GET", f"/servers/{server_id}/tags", version="2.26").json()["tags"] == [
        "a",
        "b",
        "c",
    ]
    assert demo_api("GET", f"/servers/{server_id}/tags", version="2.25").status_code == 404
    found = demo_api("GET", "/servers?tags=a,c", version="2.26").json()["servers"]
    assert [s["id"] for s in found] == [server_id]
    assert demo_api("GET", "/servers?not-tags=c", version="2.26").json()["servers"] == [] or all(
        s["id"] != server_id for s in demo_api("GET", "/servers?not-tags=c").json()["servers"]
    )
    meta = demo_api("POST", f"/servers/{server_id}/metadata", json={"metadata": {"k": "v"}})
    assert meta.json() == {"metadata": {"k": "v"}}
    assert demo_api("GET", f"/servers/{server_id}/metadata/k").json() == {"meta": {"k": "v"}}
    assert demo_api(
        "PUT", f"/servers/{server_id}/metadata", json={"metadata": {"z": "1"}}
    ).json() == {"metadata": {"z": "1"}}
    assert demo_api("DELETE", f"/servers/{server_id}/metadata/k").status_code == 404
    resp = demo_api(
        "PUT",
        f"/servers/{server_id}",
        version="2.19",
        json={"server": {"name": "renamed", "description": "second"}},
    )
    assert resp.json()["server"]["name"] == "renamed"
    assert resp.json()["server"]["description"] == "second"
    found = demo_api("GET", "/servers?name=^renam").json()["servers"]
    assert [s["id"] for s in found] == [server_id]
    assert (
        demo_api("POST", f"/servers/{server_id}/action", json={"addFixedIp": {}}).status_code == 501
    )
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_openstack_cli_server_create_wait(cloud: RunningCloud, image: Any, network: Any) -> None:
    def cli(*args: str) -> Any:
        out = subprocess.run(
            [OPENSTACK, *args, "-f", "json"],
            env=cloud.env("stratus"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    server = cli(
        "server",
        "create",
        "--image",
        image.id,
        "--flavor",
        "m1.tiny",
        "--network",
        network.id,
        "--wait",
        "cli-vm",
    )
    assert server["status"] == "ACTIVE"
    listed = cli("server", "list")
    assert "cli-vm" in {s["Name"] for s in listed}
    subprocess.run(
        [OPENSTACK, "server", "delete", "--wait", server["id"]],
        env=cloud.env("stratus"),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with pytest.raises(openstack.exceptions.ResourceNotFound):
        cloud.connection("stratus").compute.get_server(server["id"])


def test_concurrent_boots_respect_quota(
    admin: Any, admin_api: Caller, demo: Any, image: Any, demo_api: Caller
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    project = demo.current_project_id
    existing = len(list(demo.compute.servers()))
    admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"instances": existing + 10}})
    body = {"server": {"name": "race", "imageRef": image.id, "flavorRef": "1", "networks": "none"}}
    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(
                pool.map(
                    lambda _: demo_api("POST", "/servers", version="2.37", json=body), range(30)
                )
            )
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [202] * 10 + [403] * 20
        ids = [r.json()["server"]["id"] for r in answers if r.status_code == 202]
        for server_id in ids:
            assert _wait(demo_api, server_id, "ACTIVE", "ERROR")["status"] == "ACTIVE"
        # Placement's usage on every host equals the flavors of the servers living there.
        ram: dict[str, int] = {}
        vms: dict[str, int] = {}
        listing = admin_api("GET", "/servers/detail?all_tenants=1", version="2.47").json()
        for server in listing["servers"]:
            node = server["OS-EXT-SRV-ATTR:hypervisor_hostname"]
            if node:
                ram[node] = ram.get(node, 0) + server["flavor"]["ram"]
                vms[node] = vms.get(node, 0) + 1
        hypervisors = admin_api("GET", "/os-hypervisors/detail", version="2.53").json()
        for hv in hypervisors["hypervisors"]:
            name = hv["hypervisor_hostname"]
            usages = admin.placement.get(f"/resource_providers/{hv['id']}/usages").json()
            assert usages["usages"].get("MEMORY_MB", 0) == ram.get(name, 0)
            assert hv["running_vms"] == vms.get(name, 0)
        for server_id in ids:
            assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204
    finally:
        admin_api("DELETE", f"/os-quota-sets/{project}")


def test_sdk_create_server_wait(demo: Any, image: Any, network: Any) -> None:
    server = demo.create_server(
        "sdk-vm", image=image.id, flavor="m1.tiny", network=network.id, wait=True, auto_ip=False
    )
    assert server.status == "ACTIVE"
    assert server.private_v4.startswith("10.20.0.")
    assert demo.delete_server(server.id, wait=True)


def test_power_actions_and_lock(demo: Any, image: Any, demo_api: Caller, admin_api: Caller) -> None:
    resp = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {"name": "power", "imageRef": image.id, "flavorRef": "1", "networks": "none"}
        },
    )
    server_id = resp.json()["server"]["id"]
    _wait(demo_api, server_id, "ACTIVE")

    def act(body: dict[str, Any], version: str = "2.1") -> Any:
        return demo_api("POST", f"/servers/{server_id}/action", version=version, json=body)

    assert act({"os-stop": None}).status_code == 202
    server = demo_api("GET", f"/servers/{server_id}").json()["server"]
    assert server["status"] == "SHUTOFF" and server["OS-EXT-STS:power_state"] == 4
    again = act({"os-stop": None})
    assert again.status_code == 409
    assert again.json()["conflictingRequest"]["message"] == (
        f"Cannot 'stop' instance {server_id} while it is in vm_state stopped"
    )
    assert act({"reboot": {"type": "SOFT"}}).status_code == 409
    assert act({"os-start": None}).status_code == 202
    assert act({"pause": None}).status_code == 202
    assert demo_api("GET", f"/servers/{server_id}").json()["server"]["status"] == "PAUSED"
    assert act({"unpause": None}).status_code == 202
    assert act({"suspend": None}).status_code == 202
    assert demo_api("GET", f"/servers/{server_id}").json()["server"]["status"] == "SUSPENDED"
    assert act({"resume": None}).status_code == 202
    assert act({"reboot": {"type": "HARD"}}).status_code == 202
    server = demo_api("GET", f"/servers/{server_id}").json()["server"]
    assert server["status"] == "ACTIVE" and server["OS-EXT-STS:power_state"] == 1
    output = act({"os-getConsoleOutput": {"length": 3}}).json()["output"]
    assert len(output.split("\n")) == 3 and output.endswith("login: ")
    full = act({"os-getConsoleOutput": {}}).json()["output"]
    assert "boot 2" in full and len(full.split("\n")) > 3
    actions = demo_api("GET", f"/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions][:3] == ["reboot", "resume", "suspend"]
    assert act({"lock": {"locked_reason": "audit"}}, version="2.73").status_code == 202
    shown = demo_api("GET", f"/servers/{server_id}", version="2.73").json()["server"]
    assert shown["locked"] is True and shown["locked_reason"] == "audit"
    assert act({"os-stop": None}).status_code == 409
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 409
    assert act({"unlock": None}).status_code == 202
    assert act({"addFixedIp": {"networkId": "x"}}).status_code == 501
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_simple_tenant_usage_and_migrations(
    demo: Any, image: Any, demo_api: Caller, admin_api: Caller
) -> None:
    resp = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {"name": "usage", "imageRef": image.id, "flavorRef": "2", "networks": "none"}
        },
    )
    server_id = resp.json()["server"]["id"]
    _wait(demo_api, server_id, "ACTIVE")
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204
    project = demo.current_project_id
    period = "start=2000-01-01T00:00:00&end=2100-01-01T00:00:00"
    usage = demo_api("GET", f"/os-simple-tenant-usage/{project}?{period}").json()["tenant_usage"]
    mine = [s for s in usage["server_usages"] if s["instance_id"] == server_id]
    assert len(mine) == 1
    assert mine[0]["state"] == "terminated" and mine[0]["flavor"] == "m1.small"
    assert mine[0]["memory_mb"] == 2048 and mine[0]["ended_at"] is not None
    assert usage["total_hours"] >= mine[0]["hours"] > 0
    assert demo_api("GET", f"/os-simple-tenant-usage?{period}").status_code == 403
    everyone = admin_api("GET", f"/os-simple-tenant-usage?{period}").json()["tenant_usages"]
    assert project in {u["tenant_id"] for u in everyone}
    bad = demo_api("GET", f"/os-simple-tenant-usage/{project}?start=yesterday")
    assert bad.status_code == 400
    moves = admin_api("GET", "/os-migrations").json()["migrations"]
    assert [m for m in moves if m["instance_uuid"] == server_id] == []


def test_security_groups_reach_the_ports(
    demo: Any, image: Any, network: Any, demo_api: Caller
) -> None:
    group = demo.network.create_security_group(name="web-sg")
    body = {
        "name": "sg",
        "imageRef": image.id,
        "flavorRef": "1",
        "networks": [{"uuid": network.id}],
        "security_groups": [{"name": "nope"}],
    }
    resp = demo_api("POST", "/servers", version="2.37", json={"server": body})
    assert resp.status_code == 400
    body["security_groups"] = [{"name": "web-sg"}]
    resp = demo_api("POST", "/servers", version="2.37", json={"server": body})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    server = _wait(demo_api, server_id, "ACTIVE")
    assert server["security_groups"] == [{"name": "web-sg"}]
    (port,) = demo.network.ports(device_id=server_id)
    assert port.security_group_ids == [group.id]
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_pinned_flavor_claims_pcpu(admin: Any, demo: Any, image: Any, demo_api: Caller) -> None:
    """ra1.h.medium (hw:cpu_policy=dedicated, thread policy isolate, 2 vCPUs) takes PCPU; a
    default host dedicates 4 CPUs, two whole cores, and an isolated guest keeps each pinned
    CPU's sibling idle: one such guest per host, 2 hosts: two fit, the third gets
    NoValidHost although placement still has PCPU left."""
    ids = []
    for i in range(3):
        resp = demo_api(
            "POST",
            "/servers",
            version="2.37",
            json={
                "server": {
                    "name": f"pinned-{i}",
                    "imageRef": image.id,
                    "flavorRef": "ra1.h.medium",
                    "networks": "none",
                }
            },
        )
        assert resp.status_code == 202, resp.text
        ids.append(resp.json()["server"]["id"])
        status = _wait(demo_api, ids[-1], "ACTIVE", "ERROR")["status"]
        assert status == ("ACTIVE" if i < 2 else "ERROR")
        if i < 2:
            ((_rp, held),) = _allocations(admin, ids[-1]).items()
            assert held["resources"]["PCPU"] == 2 and "VCPU" not in held["resources"]
    for server_id in ids:
        assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204


def test_rebuild(admin: Any, demo: Any, image: Any, demo_api: Caller) -> None:
    other = admin.image.create_image(
        name="other",
        disk_format="raw",
        container_format="bare",
        data=b"\0" * 64,
        visibility="public",
    )
    resp = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={"server": {"name": "rb", "imageRef": image.id, "flavorRef": "1", "networks": "none"}},
    )
    server_id = resp.json()["server"]["id"]
    _wait(demo_api, server_id, "ACTIVE")
    body = {"rebuild": {"imageRef": other.id, "name": "rebuilt", "metadata": {"k": "v"}}}
    resp = demo_api("POST", f"/servers/{server_id}/action", json=body)
    assert resp.status_code == 202, resp.text
    server = resp.json()["server"]
    assert server["image"]["id"] == other.id and server["name"] == "rebuilt"
    assert server["adminPass"] and "OS-EXT-STS:vm_state" not in server
    full = demo_api("POST", f"/servers/{server_id}/action", version="2.75", json=body).json()
    assert full["server"]["OS-EXT-STS:vm_state"] == "active"
    assert (
        demo_api("POST", f"/servers/{server_id}/action", json={"os-stop": None}).status_code == 202
    )
    demo_api("POST", f"/servers/{server_id}/action", json={"rebuild": {"imageRef": image.id}})
    assert demo_api("GET", f"/servers/{server_id}").json()["server"]["status"] == "SHUTOFF"
    missing = {"rebuild": {"imageRef": "7e8e4f3c-0000-4000-8000-000000000000"}}
    assert demo_api("POST", f"/servers/{server_id}/action", json=missing).status_code == 400
    assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204
