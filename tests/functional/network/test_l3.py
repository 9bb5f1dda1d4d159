"""Routers and floating IPs: gateway on an external network, interfaces by subnet and by
port, extra routes, floating IP association through a router, and the conflicts."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, error_type, network, port, subnet


async def _external(net: Net) -> tuple[dict, dict]:  # type: ignore[type-arg]
    ext = await network(
        net.admin,
        name="public",
        **{
            "router:external": True,
            "provider:network_type": "flat",
            "provider:physical_network": "public",
        },
    )
    s = await subnet(net.admin, ext["id"], "172.24.4.0/24", enable_dhcp=False)
    return ext, s


async def test_router_and_floating_ip_flow(net: Net) -> None:
    ext, ext_subnet = await _external(net)
    # external networks are visible to every project
    assert (await net.demo.get(f"/v2.0/networks/{ext['id']}")).json()["network"][
        "router:external"
    ] is True
    priv = await network(net.demo, name="private")
    s = await subnet(net.demo, priv["id"], "10.0.0.0/24")
    router = await create(
        net.demo, "routers", "router", name="r1", external_gateway_info={"network_id": ext["id"]}
    )
    gw = router["external_gateway_info"]
    assert gw["network_id"] == ext["id"] and gw["enable_snat"] is True
    assert gw["external_fixed_ips"][0]["subnet_id"] == ext_subnet["id"]
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 200, r.text
    iface = r.json()
    assert iface["subnet_id"] == s["id"] and iface["id"] == router["id"]
    iface_port = (await net.demo.get(f"/v2.0/ports/{iface['port_id']}")).json()["port"]
    assert iface_port["device_owner"] == "network:router_interface"
    assert iface_port["fixed_ips"][0]["ip_address"] == s["gateway_ip"]
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 400
    r = await net.demo.delete(f"/v2.0/ports/{iface['port_id']}")
    assert r.status_code == 409
    vm = await port(net.demo, priv["id"], device_id="vm", device_owner="compute:nova")
    fip = await create(
        net.demo, "floatingips", "floatingip", floating_network_id=ext["id"], port_id=vm["id"]
    )
    assert fip["router_id"] == router["id"] and fip["status"] == "ACTIVE"
    assert fip["fixed_ip_address"] == vm["fixed_ips"][0]["ip_address"]
    assert fip["port_details"]["device_id"] == "vm"
    assert fip["floating_ip_address"].startswith("172.24.4.")
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/remove_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 409 and error_type(r) == "RouterInterfaceInUseByFloatingIP"
    r = await net.demo.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {"port_id": None}})
    assert (
        r.status_code == 200
        and r.json()["floatingip"]["port_id"] is None
        and r.json()["floatingip"]["status"] == "DOWN"
    )
    # extra routes need a connected next hop
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}",
        json={"router": {"routes": [{"destination": "192.168.0.0/16", "nexthop": "10.0.0.50"}]}},
    )
    assert r.status_code == 200 and r.json()["router"]["routes"] == [
        {"destination": "192.168.0.0/16", "nexthop": "10.0.0.50"}
    ]
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}",
        json={"router": {"routes": [{"destination": "192.168.0.0/16", "nexthop": "8.8.8.8"}]}},
    )
    assert r.status_code == 400
    r = await net.demo.delete(f"/v2.0/routers/{router['id']}")
    assert r.status_code == 409 and error_type(r) == "RouterInUse"
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/remove_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 200
    assert (await net.demo.get(f"/v2.0/ports/{iface['port_id']}")).status_code == 404
    assert (await net.demo.delete(f"/v2.0/floatingips/{fip['id']}")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/routers/{router['id']}")).status_code == 204
    r = await net.admin.get("/v2.0/ports", params={"network_id": ext["id"]})
    assert r.json()["ports"] == []  # gateway and floating IP ports went with them


async def test_l3_rules(net: Net) -> None:
    ext, _ = await _external(net)
    priv = await network(net.demo)
    await subnet(net.demo, priv["id"], "10.1.0.0/24")
    vm = await port(net.demo, priv["id"])
    # no router joins the port's subnet to the external network
    r = await net.demo.post(
        "/v2.0/floatingips",
        json={"floatingip": {"floating_network_id": ext["id"], "port_id": vm["id"]}},
    )
    assert r.status_code == 404 and error_type(r) == "ExternalGatewayForFloatingIPNotFound"
    r = await net.demo.post(
        "/v2.0/floatingips", json={"floatingip": {"floating_network_id": priv["id"]}}
    )
    assert r.status_code == 400
    r = await net.demo.post(
        "/v2.0/routers",
        json={"router": {"external_gateway_info": {"network_id": ext["id"], "enable_snat": False}}},
    )
    assert r.status_code == 403
    r = await net.demo.post(
        "/v2.0/floatingips",
        json={
            "floatingip": {"floating_network_id": ext["id"], "floating_ip_address": "172.24.4.99"}
        },
    )
    assert r.status_code == 403
    fip = await create(
        net.admin,
        "floatingips",
        "floatingip",
        floating_network_id=ext["id"],
        floating_ip_address="172.24.4.99",
    )
    assert fip["floating_ip_address"] == "172.24.4.99"
    assert (await net.demo.get(f"/v2.0/floatingips/{fip['id']}")).status_code == 404
    r = await net.demo.get("/v2.0/routers")
    assert r.json()["routers"] == []


async def test_port_forwarding(net: Net) -> None:
    ext, _ = await _external(net)
    priv = await network(net.demo)
    s = await subnet(net.demo, priv["id"], "10.2.0.0/24")
    router = await create(
        net.demo, "routers", "router", external_gateway_info={"network_id": ext["id"]}
    )
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 200
    vm = await port(net.demo, priv["id"])
    ip = vm["fixed_ips"][0]["ip_address"]
    # an address on the subnet that is not the port's (IPAM picks addresses at random)
    other_ip = "10.2.0.250" if ip != "10.2.0.250" else "10.2.0.251"
    fip = await create(net.demo, "floatingips", "floatingip", floating_network_id=ext["id"])
    body = {
        "protocol": "tcp",
        "internal_ip_address": ip,
        "internal_port": 22,
        "internal_port_id": vm["id"],
        "external_port": 2222,
    }
    pf = await create(
        net.demo, f"floatingips/{fip['id']}/port_forwardings", "port_forwarding", **body
    )
    assert pf["external_port"] == 2222
    r = await net.demo.post(
        f"/v2.0/floatingips/{fip['id']}/port_forwardings",
        json={"port_forwarding": {**body, "internal_port": 23}},
    )
    # the same external port twice, or the same inside socket twice: 400 as upstream
    assert r.status_code == 400 and error_type(r) == "BadRequest", r.text
    assert "collision with the external_port_range" in r.json()["NeutronError"]["message"]
    r = await net.demo.post(
        f"/v2.0/floatingips/{fip['id']}/port_forwardings",
        json={"port_forwarding": {**body, "external_port": 2224}},
    )
    assert r.status_code == 400 and error_type(r) == "BadRequest", r.text
    assert "collision with the internal_port_range" in r.json()["NeutronError"]["message"]
    r = await net.demo.post(
        f"/v2.0/floatingips/{fip['id']}/port_forwardings",
        json={"port_forwarding": {**body, "external_port": 2223, "internal_ip_address": other_ip}},
    )
    assert r.status_code == 400
    seen = (await net.demo.get(f"/v2.0/floatingips/{fip['id']}")).json()["floatingip"]
    assert seen["router_id"] == router["id"]
    assert seen["port_forwardings"] == [
        {"protocol": "tcp", "internal_ip_address": ip, "internal_port": 22, "external_port": 2222}
    ]
    r = await net.demo.delete(f"/v2.0/floatingips/{fip['id']}")
    assert r.status_code == 409
    r = await net.demo.put(
        f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {"port_id": vm["id"]}}
    )
    assert r.status_code == 409
    r = await net.demo.put(
        f"/v2.0/floatingips/{fip['id']}/port_forwardings/{pf['id']}",
        json={"port_forwarding": {"external_port": 2200}},
    )
    assert r.status_code == 200 and r.json()["port_forwarding"]["external_port"] == 2200
    assert (await net.alt.get(f"/v2.0/floatingips/{fip['id']}/port_forwardings")).status_code == 404
    assert (
        await net.demo.delete(f"/v2.0/floatingips/{fip['id']}/port_forwardings/{pf['id']}")
    ).status_code == 204
    assert (await net.demo.get(f"/v2.0/floatingips/{fip['id']}/port_forwardings")).json() == {
        "port_forwardings": []
    }


async def test_external_network_visibility_and_deletion(net: Net) -> None:
    ext, ext_subnet = await _external(net)
    assert ext_subnet["id"] not in [
        s["id"] for s in (await net.demo.get("/v2.0/subnets")).json()["subnets"]
    ]
    assert ext["id"] in [n["id"] for n in (await net.demo.get("/v2.0/networks")).json()["networks"]]
    fip = await create(net.admin, "floatingips", "floatingip", floating_network_id=ext["id"])
    assert (await net.admin.delete(f"/v2.0/networks/{ext['id']}")).status_code == 204
    assert (await net.admin.get(f"/v2.0/floatingips/{fip['id']}")).status_code == 404
    assert (await net.demo.get("/v2.0/agents")).json() == {"agents": []}
    agents = (await net.admin.get("/v2.0/agents")).json()["agents"]
    # the fake data plane wires ports and routers; it serves no DHCP and no metadata
    assert sorted(a["agent_type"] for a in agents) == ["L3 agent", "Open vSwitch agent"]


async def test_blank_update_clears_association(net: Net) -> None:
    ext, _ = await _external(net)
    priv = await network(net.demo)
    s = await subnet(net.demo, priv["id"], "10.3.0.0/24")
    router = await create(
        net.demo, "routers", "router", external_gateway_info={"network_id": ext["id"]}
    )
    await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    vm = await port(net.demo, priv["id"])
    fip = await create(
        net.demo, "floatingips", "floatingip", floating_network_id=ext["id"], port_id=vm["id"]
    )
    r = await net.demo.put(
        f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {"description": "kept"}}
    )
    assert r.json()["floatingip"]["port_id"] == vm["id"]
    r = await net.demo.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {}})
    assert r.json()["floatingip"]["port_id"] is None
    assert (await net.demo.get("/v2.0/floatingip-pools")).status_code == 200


async def test_external_grant_retarget_counts_the_new_project(net: Net) -> None:
    ext = await network(net.admin, name="ext-rbac", **{"router:external": True})
    await subnet(net.admin, ext["id"], "172.30.0.0/24")
    r = await net.admin.get(
        "/v2.0/rbac-policies",
        params={"object_id": ext["id"], "action": "access_as_external", "target_tenant": "*"},
    )
    wildcard = r.json()["rbac_policies"][0]
    await create(net.alt, "routers", "router", external_gateway_info={"network_id": ext["id"]})
    # alt's router is the only user: narrowing the grant to alt is fine (neutron does the same)
    r = await net.admin.put(
        f"/v2.0/rbac-policies/{wildcard['id']}", json={"rbac_policy": {"target_tenant": "p-alt"}}
    )
    assert r.status_code == 200, r.text
    # moving it away from alt would strand the router
    r = await net.admin.put(
        f"/v2.0/rbac-policies/{wildcard['id']}", json={"rbac_policy": {"target_tenant": "p-demo"}}
    )
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse", r.text
    # widening back to everyone always is
    r = await net.admin.put(
        f"/v2.0/rbac-policies/{wildcard['id']}", json={"rbac_policy": {"target_tenant": "*"}}
    )
    assert r.status_code == 200, r.text


async def test_agents_report_what_the_data_plane_serves(net: Net) -> None:
    from stratus.services.network import spec as network_spec

    ext, _ = await _external(net)
    priv = await network(net.demo)
    s = await subnet(net.demo, priv["id"], "10.7.0.0/24")
    router = await create(
        net.demo, "routers", "router", external_gateway_info={"network_id": ext["id"]}
    )
    r = await net.demo.put(
        f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": s["id"]}
    )
    assert r.status_code == 200, r.text
    await port(net.admin, priv["id"], **{"binding:host_id": "compute-1"})
    # the next heartbeat carries the counters
    services = net.services
    await services.admin.heartbeat(network_spec._agents(services.l2.config, services.driver))
    agents = {a["agent_type"]: a for a in (await net.admin.get("/v2.0/agents")).json()["agents"]}
    l3 = agents["L3 agent"]
    assert l3["alive"] is True and l3["availability_zone"] == "nova"
    assert l3["configurations"]["routers"] == 1
    assert l3["configurations"]["ex_gw_ports"] == 1
    assert l3["configurations"]["interfaces"] == 1
    ovs = agents["Open vSwitch agent"]
    assert ovs["configurations"]["devices"] == 1 and ovs["configurations"]["driver"] == "fake"
    assert (await net.demo.delete(f"/v2.0/routers/{router['id']}")).status_code == 409
