"""NUMA, CPU pinning, huge pages and PCI passthrough on simulated hosts, end to end: the
hosts described in config report PCPU/VCPU inventories and traits to placement; pinned
guests get exact, SMT-aware pins on the right cells (visible to admins in the server's
diagnostics), released on delete; the guest that no longer fits ends in ERROR with
NoValidHost; concurrent boots never share a CPU."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.compute.conftest import SERVICES, Caller

# compute-0 .. : 2 sockets x 8 cores x 2 threads, every CPU dedicated; two NUMA cells of
# 32 GiB with 1024 2 MiB pages each; one SR-IOV NIC (4 VFs on physnet1) on cell 0.
SHAPE = {
    "sockets": 2,
    "cores": 8,
    "threads": 2,
    "memory_mb": 65536,
    "hugepages": {2048: 1024},
    "cpu_dedicated_set": "0-31",
    "cpu_shared_set": "",
    "pci_devices": [
        {
            "vendor_id": "8086",
            "product_id": "1572",
            "count": 1,
            "vfs": 4,
            "vf_product_id": "154c",
            "physical_network": "physnet1",
            "numa_node": 0,
        }
    ],
    "traits": ["CUSTOM_TELCO"],
}
ALIASES = [{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}]


@pytest.fixture(scope="module")
def numa_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    compute = {
        "fake_hosts": 1,
        "host": SHAPE,
        "pci_alias": ALIASES,
        "reserved_host_memory_mb": 0,
        # Two plain hosts of another shape, for the Basic profile inventory checks.
        "host_groups": [{"count": 2, "prefix": "basic-", "cpu_dedicated_count": 0}],
    }
    with running_cloud(
        tmp_path_factory.mktemp("numa"), services=SERVICES, compute=compute
    ) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def api(numa_cloud: RunningCloud) -> Caller:
    admin = numa_cloud.connection("stratus-admin")
    caller = Caller(numa_cloud, admin.auth_token)
    # Room for every guest these tests boot: the host, not the quota, is what runs out.
    unlimited = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
    resp = caller("PUT", f"/os-quota-sets/{admin.current_project_id}", json=unlimited)
    assert resp.status_code == 200, resp.text
    return caller


@pytest.fixture(scope="module")
def image_id(numa_cloud: RunningCloud) -> str:
    admin = numa_cloud.connection("stratus-admin")
    img = admin.image.create_image(
        name="numa-img",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        data=b"\0" * 512,
    )
    return str(img.id)


def _flavor(api: Caller, name: str, vcpus: int, ram: int, specs: dict[str, str]) -> str:
    resp = api(
        "POST",
        "/flavors",
        json={"flavor": {"name": name, "ram": ram, "vcpus": vcpus, "disk": 1}},
    )
    assert resp.status_code == 200, resp.text
    flavor_id = str(resp.json()["flavor"]["id"])
    resp = api("POST", f"/flavors/{flavor_id}/os-extra_specs", json={"extra_specs": specs})
    assert resp.status_code == 200, resp.text
    return flavor_id


def _boot(api: Caller, image_id: str, flavor_id: str, name: str, **extra: Any) -> str:
    body = {
        "server": {
            "name": name,
            "imageRef": image_id,
            "flavorRef": flavor_id,
            "networks": "none",
            **extra,
        }
    }
    resp = api("POST", "/servers", json=body, version="2.37")
    assert resp.status_code == 202, resp.text
    return str(resp.json()["server"]["id"])


def _wait(api: Caller, server_id: str) -> dict[str, Any]:
    for _ in range(1200):
        server: dict[str, Any] = api("GET", f"/servers/{server_id}", version="2.88").json()[
            "server"
        ]
        if server["status"] in ("ACTIVE", "ERROR"):
            return server
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never settled")


def _delete(api: Caller, server_id: str) -> None:
    assert api("DELETE", f"/servers/{server_id}").status_code == 204
    for _ in range(600):
        if api("GET", f"/servers/{server_id}").status_code == 404:
            return
        time.sleep(0.05)
    raise AssertionError(f"server {server_id} never went away")


def _pins(api: Caller, server_id: str) -> list[tuple[int, set[int], set[int]]]:
    """(host cell, pinned host CPUs, reserved siblings) per guest cell."""
    resp = api("GET", f"/servers/{server_id}/diagnostics", version="2.1")
    assert resp.status_code == 200, resp.text
    cells = resp.json()["numa_topology"]["cells"]
    return [
        (c["host_cell"], set(c["cpu_pinning"].values()), set(c["cpuset_reserved"])) for c in cells
    ]


def _provider(numa_cloud: RunningCloud, name: str) -> dict[str, Any]:
    admin = numa_cloud.connection("stratus-admin")
    headers = {"OpenStack-API-Version": "placement 1.39"}
    rps = admin.placement.get(f"/resource_providers?name={name}", headers=headers).json()
    (rp,) = rps["resource_providers"]
    base = f"/resource_providers/{rp['uuid']}"
    inv = admin.placement.get(f"{base}/inventories", headers=headers).json()
    traits = admin.placement.get(f"{base}/traits", headers=headers).json()
    usages = admin.placement.get(f"{base}/usages", headers=headers).json()
    return {
        "inventories": inv["inventories"],
        "traits": set(traits["traits"]),
        "usages": usages["usages"],
    }


def test_hosts_report_inventories_and_traits(numa_cloud: RunningCloud) -> None:
    pinned = _provider(numa_cloud, "compute-0")
    assert set(pinned["inventories"]) == {"PCPU", "MEMORY_MB", "DISK_GB"}
    assert pinned["inventories"]["PCPU"]["total"] == 32
    assert pinned["inventories"]["PCPU"]["allocation_ratio"] == 1.0
    assert {"CUSTOM_TELCO", "HW_CPU_HYPERTHREADING"} <= pinned["traits"]
    basic = _provider(numa_cloud, "basic-1")
    # RA1 Basic: every CPU shared and overbooked 4:1; 2 x 4 x 2 = 16 threads.
    assert set(basic["inventories"]) == {"VCPU", "MEMORY_MB", "DISK_GB"}
    assert basic["inventories"]["VCPU"]["total"] == 16
    assert basic["inventories"]["VCPU"]["allocation_ratio"] == 4.0
    assert "CUSTOM_TELCO" not in basic["traits"]


def test_isolate_pins_on_both_cells_then_no_valid_host(
    numa_cloud: RunningCloud, api: Caller, image_id: str
) -> None:
    specs = {
        "hw:cpu_policy": "dedicated",
        "hw:cpu_thread_policy": "isolate",
        "hw:numa_nodes": "2",
    }
    flavor = _flavor(api, "pin8", 8, 4096, specs)
    first = _boot(api, image_id, flavor, "pin-a")
    assert _wait(api, first)["status"] == "ACTIVE"
    # One thread per core, the sibling (c + 16) kept idle; four cores on each cell.
    assert _pins(api, first) == [
        (0, {0, 1, 2, 3}, {16, 17, 18, 19}),
        (1, {8, 9, 10, 11}, {24, 25, 26, 27}),
    ]
    # From 2.48 the standard form (no driver-specific fields).
    resp = api("GET", f"/servers/{first}/diagnostics", version="2.48")
    assert resp.status_code == 200
    assert resp.json()["num_cpus"] == 8 and "numa_topology" not in resp.json()
    assert resp.json()["memory_details"] == {"maximum": 4096 * 1024, "used": 0}
    second = _boot(api, image_id, flavor, "pin-b")
    assert _wait(api, second)["status"] == "ACTIVE"
    assert _pins(api, second) == [
        (0, {4, 5, 6, 7}, {20, 21, 22, 23}),
        (1, {12, 13, 14, 15}, {28, 29, 30, 31}),
    ]
    # Placement still has 16 PCPU free, but no core is left whole: NoValidHost.
    assert _provider(numa_cloud, "compute-0")["usages"]["PCPU"] == 16
    third = _boot(api, image_id, flavor, "pin-c")
    server = _wait(api, third)
    assert server["status"] == "ERROR"
    assert "No valid host was found" in server["fault"]["message"]
    assert _provider(numa_cloud, "compute-0")["usages"]["PCPU"] == 16
    # Delete gives the cores back: the next guest gets exactly the first one's pins.
    _delete(api, first)
    again = _boot(api, image_id, flavor, "pin-d")
    assert _wait(api, again)["status"] == "ACTIVE"
    assert _pins(api, again) == [
        (0, {0, 1, 2, 3}, {16, 17, 18, 19}),
        (1, {8, 9, 10, 11}, {24, 25, 26, 27}),
    ]
    for sid in (second, third, again):
        _delete(api, sid)
    assert _provider(numa_cloud, "compute-0")["usages"].get("PCPU", 0) == 0


def test_prefer_and_require_use_siblings(api: Caller, image_id: str) -> None:
    require = _flavor(
        api,
        "req4",
        4,
        1024,
        {"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "require"},
    )
    sid = _boot(api, image_id, require, "req")
    assert _wait(api, sid)["status"] == "ACTIVE"
    # Two whole cores, both threads of each: 0/16 and 1/17.
    assert _pins(api, sid) == [(0, {0, 1, 16, 17}, set())]
    prefer = _flavor(api, "pref2", 2, 1024, {"hw:cpu_policy": "dedicated"})
    other = _boot(api, image_id, prefer, "pref")
    assert _wait(api, other)["status"] == "ACTIVE"
    assert _pins(api, other) == [(0, {2, 18}, set())]
    _delete(api, sid)
    _delete(api, other)


def test_explicit_numa_cells_huge_pages_and_emulator_thread(api: Caller, image_id: str) -> None:
    specs = {
        "hw:cpu_policy": "dedicated",
        "hw:numa_nodes": "2",
        "hw:numa_cpus.0": "0",
        "hw:numa_cpus.1": "1-3",
        "hw:numa_mem.0": "512",
        "hw:numa_mem.1": "1536",
        "hw:mem_page_size": "2MB",
        "hw:emulator_threads_policy": "isolate",
    }
    flavor = _flavor(api, "cells", 4, 2048, specs)
    sid = _boot(api, image_id, flavor, "cells")
    assert _wait(api, sid)["status"] == "ACTIVE"
    resp = api("GET", f"/servers/{sid}/diagnostics")
    topo = resp.json()["numa_topology"]
    cells = topo["cells"]
    assert [(c["cpus"], c["memory_mb"], c["pagesize_kb"]) for c in cells] == [
        ([0], 512, 2048),
        ([1, 2, 3], 1536, 2048),
    ]
    pinned = {p for c in cells for p in c["cpu_pinning"].values()}
    emulator = {p for cpus in topo["emulator_threads"].values() for p in cpus}
    assert len(pinned) == 4 and len(emulator) == 1 and not pinned & emulator
    _delete(api, sid)


def test_huge_pages_run_out(api: Caller, image_id: str) -> None:
    # 1024 x 2 MiB = 2 GiB of huge pages per cell, 4 GiB on the host.
    specs = {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "large"}
    flavor = _flavor(api, "huge", 2, 2048, specs)
    ids = [_boot(api, image_id, flavor, f"huge-{i}") for i in range(2)]
    assert [_wait(api, s)["status"] for s in ids] == ["ACTIVE", "ACTIVE"]
    cells = {_pins_cell(api, s) for s in ids}
    assert cells == {0, 1}
    extra = _boot(api, image_id, flavor, "huge-x")
    assert _wait(api, extra)["status"] == "ERROR"
    for sid in [*ids, extra]:
        _delete(api, sid)


def _pins_cell(api: Caller, server_id: str) -> int:
    cells = api("GET", f"/servers/{server_id}/diagnostics").json()["numa_topology"]["cells"]
    assert len(cells) == 1 and cells[0]["pagesize_kb"] == 2048
    return int(cells[0]["host_cell"])


def test_pci_passthrough_alias(api: Caller, image_id: str) -> None:
    specs = {"hw:cpu_policy": "dedicated", "pci_passthrough:alias": "vf:2"}
    flavor = _flavor(api, "vf2", 1, 512, specs)
    ids = [_boot(api, image_id, flavor, f"vf-{i}") for i in range(2)]
    assert [_wait(api, s)["status"] for s in ids] == ["ACTIVE", "ACTIVE"]
    addresses = []
    for sid in ids:
        devices = api("GET", f"/servers/{sid}/diagnostics").json()["pci_devices"]
        assert [d["dev_type"] for d in devices] == ["type-VF", "type-VF"]
        assert {d["physical_network"] for d in devices} == {"physnet1"}
        addresses += [d["address"] for d in devices]
    assert len(set(addresses)) == 4
    extra = _boot(api, image_id, flavor, "vf-x")
    server = _wait(api, extra)
    assert server["status"] == "ERROR"
    assert "No valid host was found" in server["fault"]["message"]
    for sid in [*ids, extra]:
        _delete(api, sid)


def test_sriov_port_gets_a_vf_on_its_physnet(
    numa_cloud: RunningCloud, api: Caller, image_id: str
) -> None:
    admin = numa_cloud.connection("stratus-admin")
    net = admin.network.create_network(
        name="sriov",
        provider_network_type="vlan",
        provider_physical_network="physnet1",
        provider_segmentation_id=120,
    )
    admin.network.create_subnet(network_id=net.id, cidr="10.99.0.0/24", ip_version=4)
    port = admin.network.create_port(network_id=net.id, binding_vnic_type="direct")
    flavor = _flavor(api, "sriov1", 1, 512, {"hw:cpu_policy": "dedicated"})
    sid = _boot(api, image_id, flavor, "sriov", networks=[{"port": port.id}])
    assert _wait(api, sid)["status"] == "ACTIVE"
    (device,) = api("GET", f"/servers/{sid}/diagnostics").json()["pci_devices"]
    assert device["dev_type"] == "type-VF" and device["physical_network"] == "physnet1"
    assert device["parent"] == "0000:10:00.0"
    bound = admin.network.get_port(port.id)
    assert bound.binding_profile["pci_slot"] == device["address"]
    assert bound.binding_host_id == "compute-0"
    # A direct port on a network without a physnet: no host has a VF for it.
    overlay = admin.network.create_network(name="overlay", provider_network_type="vxlan")
    admin.network.create_subnet(network_id=overlay.id, cidr="10.98.0.0/24", ip_version=4)
    other = admin.network.create_port(network_id=overlay.id, binding_vnic_type="direct")
    bad = _boot(api, image_id, flavor, "sriov-bad", networks=[{"port": other.id}])
    server = _wait(api, bad)
    assert server["status"] == "ERROR"
    assert "No valid host was found" in server["fault"]["message"]
    for s in (sid, bad):
        _delete(api, s)
    # Deleting the server unbinds the port and gives the VF back.
    assert admin.network.get_port(port.id).binding_host_id in ("", None)


def test_unknown_alias_and_uneven_split_are_400(api: Caller, image_id: str) -> None:
    bad_alias = _flavor(api, "badalias", 1, 512, {"pci_passthrough:alias": "nope:1"})
    resp = api(
        "POST",
        "/servers",
        json={
            "server": {
                "name": "x",
                "imageRef": image_id,
                "flavorRef": bad_alias,
                "networks": "none",
            }
        },
        version="2.37",
    )
    assert resp.status_code == 400
    assert "nope" in resp.json()["badRequest"]["message"]
    uneven = _flavor(api, "uneven", 3, 512, {"hw:numa_nodes": "2"})
    resp = api(
        "POST",
        "/servers",
        json={
            "server": {"name": "x", "imageRef": image_id, "flavorRef": uneven, "networks": "none"}
        },
        version="2.37",
    )
    assert resp.status_code == 400
    listed = api("GET", "/servers?name=^x$").json()["servers"]
    assert listed == []


def test_image_properties_filter(numa_cloud: RunningCloud, api: Caller) -> None:
    admin = numa_cloud.connection("stratus-admin")
    img = admin.image.create_image(
        name="arm",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        data=b"\0" * 512,
        hw_architecture="aarch64",
    )
    sid = _boot(api, str(img.id), "1", "arm")
    server = _wait(api, sid)
    assert server["status"] == "ERROR"
    assert "No valid host was found" in server["fault"]["message"]
    _delete(api, sid)


def test_concurrent_pinned_boots_never_share_a_cpu(
    numa_cloud: RunningCloud, api: Caller, image_id: str
) -> None:
    # 4 vCPUs isolated over 2 cells = 2 cores per cell: at most 4 such guests on the host.
    specs = {
        "hw:cpu_policy": "dedicated",
        "hw:cpu_thread_policy": "isolate",
        "hw:numa_nodes": "2",
    }
    flavor = _flavor(api, "race4", 4, 1024, specs)
    with ThreadPoolExecutor(max_workers=7) as pool:
        ids = list(pool.map(lambda i: _boot(api, image_id, flavor, f"race-{i}"), range(7)))
    servers = [_wait(api, s) for s in ids]
    active = [s["id"] for s in servers if s["status"] == "ACTIVE"]
    assert len(active) == 4
    taken: list[int] = []
    for sid in active:
        for _cell, pins, reserved in _pins(api, sid):
            taken += [*pins, *reserved]
    assert len(taken) == len(set(taken)) == 32
    assert _provider(numa_cloud, "compute-0")["usages"]["PCPU"] == 16
    for sid in ids:
        _delete(api, sid)
    assert _provider(numa_cloud, "compute-0")["usages"].get("PCPU", 0) == 0
