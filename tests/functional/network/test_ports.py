"""Ports: MACs, bindings through the mechanism driver, port security, allowed address
pairs, device ownership, filters on fixed IPs, and what members may not touch."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network, port, subnet


async def test_mac_addresses(net: Net) -> None:
    n = await network(net.demo)
    p = await port(net.demo, n["id"])
    assert p["mac_address"].startswith("fa:16:3e:")
    r = await net.admin.post(
        "/v2.0/ports", json={"port": {"network_id": n["id"], "mac_address": p["mac_address"]}}
    )
    assert r.status_code == 409 and error_type(r) == "MacAddressInUse"
    custom = await port(net.demo, n["id"], mac_address="FA:16:3E:AA:BB:CC")
    assert custom["mac_address"] == "fa:16:3e:aa:bb:cc"
    r = await net.demo.post(
        "/v2.0/ports", json={"port": {"network_id": n["id"], "mac_address": "01:00:00:00:00:01"}}
    )
    assert r.status_code == 400
    r = await net.demo.get("/v2.0/ports", params={"mac_address": "fa:16:3e:aa:bb:cc"})
    assert [x["id"] for x in r.json()["ports"]] == [custom["id"]]


async def test_binding_through_the_driver(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.70.0.0/24")
    p = await port(net.demo, n["id"], device_id="vm-1", device_owner="compute:nova")
    assert p["status"] == "DOWN"
    r = await net.demo.put(
        f"/v2.0/ports/{p['id']}", json={"port": {"binding:host_id": "compute-1"}}
    )
    assert r.status_code == 403
    r = await net.admin.put(
        f"/v2.0/ports/{p['id']}",
        json={
            "port": {
                "binding:host_id": "compute-1",
                "binding:profile": {"pci_slot": "0000:00:01.0"},
            }
        },
    )
    assert r.status_code == 200, r.text
    bound = r.json()["port"]
    assert bound["binding:host_id"] == "compute-1"
    assert bound["binding:vif_type"] == "ovs"
    assert bound["binding:vif_details"]["port_filter"] is True
    assert bound["status"] == "ACTIVE"
    seen = (await net.demo.get(f"/v2.0/ports/{p['id']}")).json()["port"]
    assert "binding:host_id" not in seen and seen["binding:vnic_type"] == "normal"
    sriov = await port(
        net.admin, n["id"], **{"binding:vnic_type": "direct", "binding:host_id": "compute-2"}
    )
    assert sriov["binding:vif_type"] == "hw_veb"
    r = await net.demo.post(
        "/v2.0/ports", json={"port": {"network_id": n["id"], "binding:vnic_type": "wifi"}}
    )
    assert r.status_code == 400
    driver = net.services.driver
    events = [e for e, payload in driver.events if e == "port_update" and payload["id"] == p["id"]]
    assert events, "the driver heard of the binding"
    r = await net.demo.get("/v2.0/ports", params={"device_id": "vm-1"})
    assert [x["id"] for x in r.json()["ports"]] == [p["id"]]


async def test_port_security_and_address_pairs(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.80.0.0/24")
    p = await port(net.demo, n["id"])
    assert len(p["security_groups"]) == 1  # the project's default group
    groups = (await net.demo.get("/v2.0/security-groups", params={"name": "default"})).json()[
        "security_groups"
    ]
    assert [g["id"] for g in groups] == p["security_groups"]
    r = await net.demo.put(
        f"/v2.0/ports/{p['id']}",
        json={
            "port": {
                "allowed_address_pairs": [
                    {"ip_address": "10.80.0.200/32"},
                    {"ip_address": "10.80.1.0/24", "mac_address": "fa:16:3e:00:00:01"},
                ]
            }
        },
    )
    assert r.status_code == 200, r.text
    pairs = r.json()["port"]["allowed_address_pairs"]
    assert pairs == [
        {"ip_address": "10.80.0.200/32", "mac_address": p["mac_address"]},
        {"ip_address": "10.80.1.0/24", "mac_address": "fa:16:3e:00:00:01"},
    ]
    r = await net.demo.put(
        f"/v2.0/ports/{p['id']}", json={"port": {"port_security_enabled": False}}
    )
    assert r.status_code == 409
    r = await net.demo.put(
        f"/v2.0/ports/{p['id']}",
        json={
            "port": {
                "port_security_enabled": False,
                "security_groups": [],
                "allowed_address_pairs": [],
            }
        },
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["port"]["security_groups"] == []
        and r.json()["port"]["port_security_enabled"] is False
    )
    r = await net.demo.post(
        "/v2.0/ports",
        json={
            "port": {
                "network_id": n["id"],
                "port_security_enabled": False,
                "security_groups": groups and [groups[0]["id"]],
            }
        },
    )
    assert r.status_code == 400
    insecure_net = await network(net.demo, port_security_enabled=False)
    p2 = await port(net.demo, insecure_net["id"])
    assert p2["port_security_enabled"] is False and p2["security_groups"] == []


async def test_fixed_ip_filters_and_member_limits(net: Net) -> None:
    shared = await network(net.admin, shared=True)
    s = await subnet(net.admin, shared["id"], "10.90.0.0/24")
    p = await port(net.alt, shared["id"])
    ip = p["fixed_ips"][0]["ip_address"]
    r = await net.alt.get("/v2.0/ports", params={"fixed_ips": f"ip_address={ip}"})
    assert [x["id"] for x in r.json()["ports"]] == [p["id"]]
    r = await net.alt.get("/v2.0/ports", params={"fixed_ips": f"subnet_id={s['id']}"})
    assert [x["id"] for x in r.json()["ports"]] == [p["id"]]
    # the network owner sees ports on its network; another member does not see alt's port
    assert (await net.admin.get(f"/v2.0/ports/{p['id']}")).status_code == 200
    assert (await net.demo.get(f"/v2.0/ports/{p['id']}")).status_code == 404
    # on someone else's network a member may not pick addresses, MACs or network:* owners
    for body in (
        {"fixed_ips": [{"ip_address": "10.90.0.77"}]},
        {"mac_address": "fa:16:3e:01:02:03"},
        {"device_owner": "network:dhcp"},
    ):
        r = await net.alt.post("/v2.0/ports", json={"port": {"network_id": shared["id"], **body}})
        assert r.status_code == 403, body
    r = await net.alt.post(
        "/v2.0/ports",
        json={"port": {"network_id": shared["id"], "fixed_ips": [{"subnet_id": s["id"]}]}},
    )
    assert r.status_code == 201, r.text
    # a reader may look but not create
    r = await net.reader.post("/v2.0/networks", json={"network": {}})
    assert r.status_code == 403


async def test_member_cannot_create_for_another_project(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.91.0.0/24")
    expected = (
        "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
        "in request requires admin privileges"
    )
    for key in ("project_id", "tenant_id"):
        r = await net.demo.post("/v2.0/ports", json={"port": {"network_id": n["id"], key: "p-x"}})
        assert r.status_code == 400 and error_type(r) == "BadRequest", r.text
        assert r.json()["NeutronError"]["message"] == expected
        r = await net.demo.post("/v2.0/networks", json={"network": {key: "p-alt"}})
        assert r.status_code == 400, r.text
    # nothing was made
    r = await net.demo.get("/v2.0/ports", params={"network_id": n["id"]})
    assert r.json()["ports"] == []
    # naming its own project is fine; an admin may name any project (no Keystone lookup)
    mine = await port(net.demo, n["id"], project_id="p-demo")
    assert mine["project_id"] == "p-demo"
    theirs = await network(net.admin, project_id="p-nowhere")
    assert theirs["project_id"] == "p-nowhere"


async def test_trusted_vif_is_admin_only_and_mirrored_in_the_profile(net: Net) -> None:
    n = await network(net.admin)
    await subnet(net.admin, n["id"], "10.92.0.0/24")
    made = await port(net.admin, n["id"], trusted=True)
    assert made["trusted"] is True and made["binding:profile"]["trusted"] is True
    plain = await port(net.admin, n["id"])
    assert plain["trusted"] is None and "trusted" not in plain["binding:profile"]
    r = await net.admin.put(f"/v2.0/ports/{plain['id']}", json={"port": {"trusted": "false"}})
    assert r.status_code == 200, r.text
    got = r.json()["port"]
    assert got["trusted"] is False and got["binding:profile"] == {"trusted": False}
    r = await net.admin.put(f"/v2.0/ports/{plain['id']}", json={"port": {"trusted": "maybe"}})
    assert r.status_code == 400
    # a member may neither set nor see it
    mine = await network(net.demo)
    await subnet(net.demo, mine["id"], "10.93.0.0/24")
    r = await net.demo.post(
        "/v2.0/ports", json={"port": {"network_id": mine["id"], "trusted": True}}
    )
    assert r.status_code == 403, r.text
    own = await port(net.demo, mine["id"])
    assert "trusted" not in own
    ext = (await net.demo.get("/v2.0/extensions/port-trusted-vif")).json()["extension"]
    assert ext["alias"] == "port-trusted-vif"


async def test_port_dns_domain(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.94.0.0/24")
    made = await port(net.demo, n["id"], dns_name="d1", dns_domain="test.org.")
    assert (made["dns_name"], made["dns_domain"]) == ("d1", "test.org.")
    assert made["dns_assignment"][0]["hostname"] == "d1"
    r = await net.demo.put(
        f"/v2.0/ports/{made['id']}", json={"port": {"dns_name": "d2", "dns_domain": "d.org."}}
    )
    assert r.status_code == 200 and r.json()["port"]["dns_domain"] == "d.org."
    listed = (await net.demo.get("/v2.0/ports", params={"dns_domain": "d.org."})).json()["ports"]
    assert [p["id"] for p in listed] == [made["id"]]
    assert (await port(net.demo, n["id"]))["dns_domain"] == ""
