"""The issue's concurrency bar, literally: 200 simultaneous port creates on a /24 never share an
address and never hand out more than the pool's 253 addresses; the losers get neutron's
IpAddressGenerationFailure; a quota race never lets a project past its limit. Both databases."""

import asyncio
import ipaddress
from typing import Any

import httpx

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network, subnet


async def _burst(client: httpx.AsyncClient, network_id: str, count: int) -> list[httpx.Response]:
    return await asyncio.gather(
        *(
            client.post("/v2.0/ports", json={"port": {"network_id": network_id}})
            for _ in range(count)
        )
    )


def _addresses(responses: list[httpx.Response]) -> list[str]:
    return [r.json()["port"]["fixed_ips"][0]["ip_address"] for r in responses]


async def test_200_concurrent_port_creates_on_a_slash_24(net: Net) -> None:
    n = await network(net.demo, name="slash24")
    s = await subnet(net.demo, n["id"], "10.24.0.0/24")
    # 254 host addresses, the gateway .1 takes one: the pool holds 253.
    assert s["allocation_pools"] == [{"start": "10.24.0.2", "end": "10.24.0.254"}]

    first = await _burst(net.demo, n["id"], 200)
    assert [r.status_code for r in first] == [201] * 200, [r.text for r in first if r.is_error]
    second = await _burst(net.demo, n["id"], 200)
    won = [r for r in second if r.status_code == 201]
    lost = [r for r in second if r.status_code != 201]
    # The second burst can only have what the first one left: 253 - 200.
    assert len(won) == 53 and len(lost) == 147

    handed_out = _addresses(first) + _addresses(won)
    assert len(set(handed_out)) == 253
    cidr = ipaddress.ip_network("10.24.0.0/24")
    assert all(ipaddress.ip_address(a) in cidr for a in handed_out)
    assert s["gateway_ip"] not in handed_out
    assert "10.24.0.0" not in handed_out and "10.24.0.255" not in handed_out

    for r in lost:
        assert r.status_code == 409, r.text
        assert error_type(r) == "IpAddressGenerationFailure"
        assert r.json()["NeutronError"]["message"] == (
            f"No more IP addresses available on network {n['id']}."
        )

    # Nothing half-made by the losers: the network holds exactly the winners' ports.
    r = await net.demo.get("/v2.0/ports", params={"network_id": n["id"], "fields": "id"})
    assert len(r.json()["ports"]) == 253
    r = await net.admin.get(f"/v2.0/network-ip-availabilities/{n['id']}")
    availability = r.json()["network_ip_availability"]
    assert (availability["total_ips"], availability["used_ips"]) == (253, 253)


async def test_port_quota_race_never_passes_the_limit(net: Net) -> None:
    r = await net.admin.put("/v2.0/quotas/p-demo", json={"quota": {"port": 120}})
    assert r.status_code == 200, r.text
    n = await network(net.demo, name="quota-race")
    await subnet(net.demo, n["id"], "10.25.0.0/24")

    responses = await _burst(net.demo, n["id"], 200)
    won = [r for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code != 201]
    assert len(won) == 120
    assert len(set(_addresses(won))) == 120
    for r in lost:
        assert r.status_code == 409, r.text
        assert error_type(r) == "OverQuota"

    details: dict[str, Any] = (await net.demo.get("/v2.0/quotas/p-demo/details")).json()["quota"]
    assert details["port"] == {"limit": 120, "used": 120, "reserved": 0}
    # Another project is not charged for the race.
    r = await net.alt.get("/v2.0/quotas/p-alt/details")
    assert r.json()["quota"]["port"]["used"] == 0
