"""Smaller extensions: atomic extra routes, floating IP pools, MAC regeneration, quota
limit checks, subnet pool prefix operations."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, network, port, subnet


async def test_small_extensions(net: Net) -> None:
    ext = await network(net.admin, **{"router:external": True})
    ext_sub = await subnet(net.admin, ext["id"], "172.25.0.0/24")
    pools = (await net.demo.get("/v2.0/floatingip_pools")).json()["floatingip_pools"]
    assert [(p["subnet_id"], p["cidr"]) for p in pools] == [(ext_sub["id"], "172.25.0.0/24")]
    n = await network(net.demo)
    s = await subnet(net.demo, n["id"], "10.130.0.0/24")
    router = await create(net.demo, "routers", "router")
    await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    route = {"destination": "192.168.9.0/24", "nexthop": "10.130.0.9"}
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_extraroutes", json={"router": {"routes": [route]}}
    )
    assert r.status_code == 200 and r.json()["router"]["routes"] == [route]
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/remove_extraroutes", json={"router": {"routes": [route]}}
    )
    assert r.json()["router"]["routes"] == []
    p = await port(net.demo, n["id"])
    r = await net.admin.put(f"/v2.0/ports/{p['id']}", json={"port": {"mac_address": None}})
    assert r.status_code == 200 and r.json()["port"]["mac_address"] != p["mac_address"]
    r = await net.admin.put("/v2.0/quotas/p-demo", json={"quota": {"port": 0}})
    assert r.status_code == 400
    r = await net.admin.put("/v2.0/quotas/p-demo", json={"quota": {"port": 0, "force": True}})
    assert r.status_code == 200
    pool = await create(
        net.admin, "subnetpools", "subnetpool", name="ops", prefixes=["10.140.0.0/16"]
    )
    r = await net.admin.put(
        f"/v2.0/subnetpools/{pool['id']}/add_prefixes", json={"prefixes": ["10.141.0.0/16"]}
    )
    assert r.json()["prefixes"] == ["10.140.0.0/15"]
    r = await net.admin.put(
        f"/v2.0/subnetpools/{pool['id']}/remove_prefixes", json={"prefixes": ["10.141.0.0/16"]}
    )
    assert r.json()["prefixes"] == ["10.140.0.0/16"]
