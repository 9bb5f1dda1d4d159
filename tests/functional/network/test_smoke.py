"""First light: a network, a subnet, a port."""

from tests.functional.network.conftest import Net


async def test_network_subnet_port(net: Net) -> None:
    r = await net.demo.post("/v2.0/networks", json={"network": {"name": "n1"}})
    assert r.status_code == 201, r.text
    network = r.json()["network"]
    r = await net.demo.post("/v2.0/subnets", json={"subnet": {"network_id": network["id"], "cidr": "10.0.0.0/24", "ip_version": 4}})
    assert r.status_code == 201, r.text
    r = await net.demo.post("/v2.0/ports", json={"port": {"network_id": network["id"]}})
    assert r.status_code == 201, r.text
    print(r.json())
    r = await net.admin.get("/v2.0/networks")
    print(r.json())
