"""Subnet pools, address scopes and the auto-allocated topology built from them."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, error_type, network


async def test_subnet_pool_allocation(net: Net) -> None:
    scope = await create(
        net.admin, "address-scopes", "address_scope", name="scope4", ip_version=4, shared=True
    )
    pool = await create(
        net.admin,
        "subnetpools",
        "subnetpool",
        name="pool",
        prefixes=["10.200.0.0/16", "10.201.0.0/16"],
        default_prefixlen=24,
        min_prefixlen=20,
        max_prefixlen=28,
        shared=True,
        address_scope_id=scope["id"],
    )
    assert (
        pool["prefixes"] == ["10.200.0.0/15"] and pool["ip_version"] == 4 and pool["shared"] is True
    )
    n = await network(net.demo)
    first = await create(
        net.demo, "subnets", "subnet", network_id=n["id"], ip_version=4, subnetpool_id=pool["id"]
    )
    second = await create(
        net.demo,
        "subnets",
        "subnet",
        network_id=n["id"],
        ip_version=4,
        subnetpool_id=pool["id"],
        prefixlen=26,
    )
    assert first["cidr"] == "10.200.0.0/24" and first["subnetpool_id"] == pool["id"]
    assert second["cidr"] == "10.200.1.0/26"
    r = await net.demo.post(
        "/v2.0/subnets",
        json={
            "subnet": {
                "network_id": n["id"],
                "ip_version": 4,
                "subnetpool_id": pool["id"],
                "cidr": "10.200.0.128/25",
            }
        },
    )
    assert r.status_code == 409
    r = await net.demo.post(
        "/v2.0/subnets",
        json={
            "subnet": {
                "network_id": n["id"],
                "ip_version": 4,
                "subnetpool_id": pool["id"],
                "prefixlen": 30,
            }
        },
    )
    assert r.status_code == 400 and error_type(r) == "MaxPrefixSubnetAllocationError", r.text
    assert r.json()["NeutronError"]["message"] == (
        "Unable to allocate subnet with prefix length 30, maximum allowed prefix is 28."
    )
    for bad in ({"prefixlen": 19}, {"cidr": "10.200.16.0/19"}):
        r = await net.demo.post(
            "/v2.0/subnets",
            json={
                "subnet": {
                    "network_id": n["id"],
                    "ip_version": 4,
                    "subnetpool_id": pool["id"],
                    **bad,
                }
            },
        )
        assert r.status_code == 400, r.text
        assert error_type(r) == "MinPrefixSubnetAllocationError"
    r = await net.demo.post(
        "/v2.0/subnets",
        json={
            "subnet": {
                "network_id": n["id"],
                "ip_version": 4,
                "subnetpool_id": pool["id"],
                "cidr": "192.168.0.0/24",
            }
        },
    )
    assert r.status_code == 409
    r = await net.admin.delete(f"/v2.0/subnetpools/{pool['id']}")
    assert r.status_code == 409
    r = await net.admin.put(
        f"/v2.0/subnetpools/{pool['id']}", json={"subnetpool": {"prefixes": ["10.200.0.0/16"]}}
    )
    assert r.status_code == 400
    r = await net.admin.put(
        f"/v2.0/subnetpools/{pool['id']}",
        json={"subnetpool": {"prefixes": ["10.200.0.0/15", "10.250.0.0/16"]}},
    )
    assert r.status_code == 200 and r.json()["subnetpool"]["prefixes"] == [
        "10.200.0.0/15",
        "10.250.0.0/16",
    ]
    r = await net.admin.post(
        "/v2.0/subnetpools",
        json={
            "subnetpool": {
                "name": "bad",
                "prefixes": ["2001:db8::/48"],
                "address_scope_id": scope["id"],
            }
        },
    )
    assert r.status_code == 400


async def test_auto_allocated_topology(net: Net) -> None:
    r = await net.demo.get("/v2.0/auto-allocated-topology/p-demo")
    assert (
        r.status_code == 409
        and "No default router:external network" in r.json()["NeutronError"]["message"]
    )
    ext = await network(net.admin, **{"router:external": True, "is_default": True})
    await create(
        net.admin, "subnets", "subnet", network_id=ext["id"], cidr="172.30.0.0/24", ip_version=4
    )
    r = await net.admin.post(
        "/v2.0/networks", json={"network": {"router:external": True, "is_default": True}}
    )
    assert r.status_code == 409
    r = await net.demo.get("/v2.0/auto-allocated-topology/p-demo", params={"fields": "dry-run"})
    assert r.status_code == 409 and "subnetpools" in r.json()["NeutronError"]["message"]
    await create(
        net.admin,
        "subnetpools",
        "subnetpool",
        name="default4",
        prefixes=["10.128.0.0/12"],
        default_prefixlen=26,
        is_default=True,
        shared=True,
    )
    r = await net.demo.get("/v2.0/auto-allocated-topology/p-demo", params={"fields": "dry-run"})
    assert r.status_code == 200 and r.json()["auto_allocated_topology"] == {
        "id": "dry-run=pass",
        "project_id": "p-demo",
        "tenant_id": "p-demo",
    }
    # another project's topology is not a member's business
    r = await net.demo.get("/v2.0/auto-allocated-topology/p-alt", params={"fields": "dry-run"})
    assert r.status_code == 403
    # clients without a project id send "None": the caller's project
    r = await net.demo.get("/v2.0/auto-allocated-topology/None")
    assert r.status_code == 200, r.text
    topo = r.json()["auto_allocated_topology"]
    assert topo["project_id"] == "p-demo"
    again = (await net.demo.get("/v2.0/auto-allocated-topology/p-demo")).json()[
        "auto_allocated_topology"
    ]
    assert again["id"] == topo["id"]
    network_view = (await net.demo.get(f"/v2.0/networks/{topo['id']}")).json()["network"]
    assert network_view["name"] == "auto_allocated_network" and len(network_view["subnets"]) == 1
    routers = (await net.demo.get("/v2.0/routers")).json()["routers"]
    assert [r["external_gateway_info"]["network_id"] for r in routers] == [ext["id"]]
    ports = (
        await net.demo.get("/v2.0/ports", params={"device_owner": "network:router_interface"})
    ).json()["ports"]
    assert len(ports) == 1
    assert (await net.alt.get("/v2.0/auto-allocated-topology/p-demo")).status_code == 403
    assert (await net.demo.delete("/v2.0/auto-allocated-topology/p-demo")).status_code == 204
    assert (await net.demo.get(f"/v2.0/networks/{topo['id']}")).status_code == 404
    assert (await net.demo.get("/v2.0/routers")).json()["routers"] == []
