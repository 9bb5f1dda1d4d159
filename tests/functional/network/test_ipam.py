"""IPAM: pools, gateways, explicit addresses, SLAAC, release and reuse, and the concurrency
bar: no address is ever handed out twice, whatever the number of simultaneous creates."""

import asyncio
import ipaddress

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network, port, subnet


async def test_concurrent_port_creates_never_share_an_address(net: Net) -> None:
    n = await network(net.demo, name="crowded")
    # A /27 holds 30 host addresses; the gateway takes one: 29 ports fit.
    s = await subnet(net.demo, n["id"], "10.9.0.0/27")
    responses = await asyncio.gather(
        *(net.demo.post("/v2.0/ports", json={"port": {"network_id": n["id"]}}) for _ in range(45))
    )
    ok = [r for r in responses if r.status_code == 201]
    failed = [r for r in responses if r.status_code != 201]
    assert len(ok) == 29
    ips = [r.json()["port"]["fixed_ips"][0]["ip_address"] for r in ok]
    assert len(set(ips)) == 29
    assert s["gateway_ip"] not in ips
    assert all(
        r.status_code == 409 and error_type(r) == "IpAddressGenerationFailure" for r in failed
    )
    assert (
        failed[0].json()["NeutronError"]["message"]
        == f"No more IP addresses available on network {n['id']}."
    )
    # what the API reports agrees with what was handed out
    r = await net.admin.get(f"/v2.0/network-ip-availabilities/{n['id']}")
    availability = r.json()["network_ip_availability"]
    assert availability["used_ips"] == 29 and availability["total_ips"] == 29
    # a released address is reusable
    victim = ok[0].json()["port"]
    assert (await net.demo.delete(f"/v2.0/ports/{victim['id']}")).status_code == 204
    again = await port(net.demo, n["id"])
    assert again["fixed_ips"][0]["ip_address"] == victim["fixed_ips"][0]["ip_address"]


async def test_pools_gateway_and_explicit_addresses(net: Net) -> None:
    n = await network(net.demo)
    s = await subnet(
        net.demo,
        n["id"],
        "192.168.5.0/24",
        gateway_ip="192.168.5.254",
        allocation_pools=[{"start": "192.168.5.10", "end": "192.168.5.12"}],
        dns_nameservers=["8.8.8.8"],
        host_routes=[{"destination": "10.1.0.0/16", "nexthop": "192.168.5.1"}],
    )
    assert s["allocation_pools"] == [{"start": "192.168.5.10", "end": "192.168.5.12"}]
    assert s["dns_nameservers"] == ["8.8.8.8"]
    assert s["host_routes"] == [{"destination": "10.1.0.0/16", "nexthop": "192.168.5.1"}]
    p = await port(net.demo, n["id"])
    assert p["fixed_ips"][0]["ip_address"] in {"192.168.5.10", "192.168.5.11", "192.168.5.12"}
    # an address outside the pools may be asked for explicitly, by the network owner
    p2 = await port(net.demo, n["id"], fixed_ips=[{"ip_address": "192.168.5.100"}])
    assert p2["fixed_ips"] == [{"subnet_id": s["id"], "ip_address": "192.168.5.100"}]
    r = await net.demo.post(
        "/v2.0/ports",
        json={"port": {"network_id": n["id"], "fixed_ips": [{"ip_address": "192.168.5.100"}]}},
    )
    assert r.status_code == 409 and error_type(r) == "IpAddressInUse"
    r = await net.demo.post(
        "/v2.0/ports",
        json={"port": {"network_id": n["id"], "fixed_ips": [{"ip_address": "10.0.0.5"}]}},
    )
    assert r.status_code == 400
    # default gateway is the first host; pools default to the rest
    s2 = await subnet(net.demo, (await network(net.demo))["id"], "10.20.0.0/29")
    assert s2["gateway_ip"] == "10.20.0.1"
    assert s2["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.6"}]


async def test_subnet_validation(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.0.0.0/24")
    cases = [
        ({"cidr": "10.0.0.0/25", "ip_version": 4}, 400, "overlaps"),
        ({"cidr": "10.1.0.0/24", "ip_version": 6}, 400, "does not match"),
        ({"cidr": "10.2.0.7/24", "ip_version": 4}, 400, "10.2.0.0/24"),
        ({"cidr": "not-a-cidr", "ip_version": 4}, 400, "cidr"),
        ({"cidr": "10.3.0.0/24", "ip_version": 4, "ipv6_ra_mode": "slaac"}, 400, "ipv6_ra_mode"),
        (
            {
                "cidr": "10.4.0.0/24",
                "ip_version": 4,
                "gateway_ip": "10.4.0.5",
                "allocation_pools": [{"start": "10.4.0.2", "end": "10.4.0.9"}],
            },
            409,
            "conflicts",
        ),
        (
            {
                "cidr": "10.5.0.0/24",
                "ip_version": 4,
                "allocation_pools": [{"start": "10.5.1.2", "end": "10.5.1.9"}],
            },
            400,
            "spans beyond",
        ),
        ({"cidr": "10.6.0.0/24", "ip_version": 4, "enable_dhcp": "maybe"}, 400, "enable_dhcp"),
        ({"cidr": "10.7.0.0/24", "ip_version": 4, "bogus": 1}, 400, "Unrecognized attribute"),
    ]
    for body, status, text in cases:
        r = await net.demo.post("/v2.0/subnets", json={"subnet": {"network_id": n["id"], **body}})
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["NeutronError"]["message"], (body, r.text)
    r = await net.demo.get("/v2.0/subnets", params={"network_id": n["id"]})
    assert len(r.json()["subnets"]) == 1  # nothing of the failures was kept


async def test_ipv6_slaac_and_stateful(net: Net) -> None:
    n = await network(net.demo)
    slaac = await subnet(
        net.demo, n["id"], "2001:db8:1::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac"
    )
    stateful = await subnet(
        net.demo, n["id"], "2001:db8:2::/64", ipv6_address_mode="dhcpv6-stateful"
    )
    v4 = await subnet(net.demo, n["id"], "10.30.0.0/24")
    p = await port(net.demo, n["id"])
    by_subnet = {f["subnet_id"]: f["ip_address"] for f in p["fixed_ips"]}
    assert set(by_subnet) == {slaac["id"], stateful["id"], v4["id"]}
    # EUI-64 from the MAC: flip the U/L bit, insert ff:fe
    mac = p["mac_address"].split(":")
    first = f"{int(mac[0], 16) ^ 2:02x}"
    expected = ipaddress.ip_address(
        f"2001:db8:1::{first}{mac[1]}:{mac[2]}ff:fe{mac[3]}:{mac[4]}{mac[5]}"
    )
    assert ipaddress.ip_address(by_subnet[slaac["id"]]) == expected
    assert ipaddress.ip_address(by_subnet[stateful["id"]]) in ipaddress.ip_network(
        "2001:db8:2::/64"
    )
    r = await net.demo.post(
        "/v2.0/subnets",
        json={
            "subnet": {
                "network_id": n["id"],
                "cidr": "2001:db8:3::/80",
                "ip_version": 6,
                "ipv6_address_mode": "slaac",
            }
        },
    )
    assert r.status_code == 400


async def test_subnet_in_use_and_port_fixed_ip_update(net: Net) -> None:
    n = await network(net.demo)
    s = await subnet(net.demo, n["id"], "10.40.0.0/24")
    p = await port(
        net.demo, n["id"], fixed_ips=[{"subnet_id": s["id"], "ip_address": "10.40.0.50"}]
    )
    r = await net.demo.delete(f"/v2.0/subnets/{s['id']}")
    assert r.status_code == 409 and error_type(r) == "SubnetInUse"
    r = await net.demo.delete(f"/v2.0/networks/{n['id']}")
    assert r.status_code == 409 and error_type(r) == "NetworkInUse"
    r = await net.demo.put(
        f"/v2.0/ports/{p['id']}",
        json={"port": {"fixed_ips": [{"subnet_id": s["id"], "ip_address": "10.40.0.60"}]}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["port"]["fixed_ips"] == [{"subnet_id": s["id"], "ip_address": "10.40.0.60"}]
    # the old address went back to the pool
    p2 = await port(net.demo, n["id"], fixed_ips=[{"ip_address": "10.40.0.50"}])
    assert p2["fixed_ips"][0]["ip_address"] == "10.40.0.50"
    for pid in (p["id"], p2["id"]):
        assert (await net.demo.delete(f"/v2.0/ports/{pid}")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/subnets/{s['id']}")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/networks/{n['id']}")).status_code == 204
    assert (await net.demo.get(f"/v2.0/networks/{n['id']}")).status_code == 404
