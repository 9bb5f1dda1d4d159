"""Trunks (parent and VLAN sub-ports, trunk_details) and QoS policies with their rules."""

from typing import Any

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, error_type, network, port, subnet


async def test_trunk_lifecycle(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.100.0.0/24")
    parent = await port(net.demo, n["id"])
    child1 = await port(net.demo, n["id"])
    child2 = await port(net.demo, n["id"])
    trunk = await create(
        net.demo,
        "trunks",
        "trunk",
        port_id=parent["id"],
        name="t1",
        sub_ports=[{"port_id": child1["id"], "segmentation_type": "vlan", "segmentation_id": 101}],
    )
    assert trunk["sub_ports"] == [
        {"port_id": child1["id"], "segmentation_type": "vlan", "segmentation_id": 101}
    ]
    assert trunk["status"] == "DOWN"
    details = (await net.demo.get(f"/v2.0/ports/{parent['id']}")).json()["port"]["trunk_details"]
    assert (
        details["trunk_id"] == trunk["id"]
        and details["sub_ports"][0]["mac_address"] == child1["mac_address"]
    )
    sub_view = (await net.demo.get(f"/v2.0/ports/{child1['id']}")).json()["port"]
    assert sub_view["device_owner"] == "trunk:subport" and sub_view["device_id"] == trunk["id"]
    r = await net.demo.put(
        f"/v2.0/trunks/{trunk['id']}/add_subports",
        json={
            "sub_ports": [
                {"port_id": child2["id"], "segmentation_type": "vlan", "segmentation_id": 101}
            ]
        },
    )
    assert r.status_code == 409
    r = await net.demo.put(
        f"/v2.0/trunks/{trunk['id']}/add_subports",
        json={
            "sub_ports": [
                {"port_id": child2["id"], "segmentation_type": "vlan", "segmentation_id": 5000}
            ]
        },
    )
    assert r.status_code == 400
    r = await net.demo.put(
        f"/v2.0/trunks/{trunk['id']}/add_subports",
        json={
            "sub_ports": [
                {"port_id": child2["id"], "segmentation_type": "vlan", "segmentation_id": 102}
            ]
        },
    )
    assert r.status_code == 200 and len(r.json()["sub_ports"]) == 2
    r = await net.demo.post("/v2.0/trunks", json={"trunk": {"port_id": parent["id"]}})
    assert r.status_code == 409
    r = await net.demo.post("/v2.0/trunks", json={"trunk": {"port_id": child2["id"]}})
    assert r.status_code == 409
    r = await net.demo.delete(f"/v2.0/ports/{parent['id']}")
    assert r.status_code == 409
    r = await net.demo.get(f"/v2.0/trunks/{trunk['id']}/get_subports")
    assert {s["segmentation_id"] for s in r.json()["sub_ports"]} == {101, 102}
    r = await net.demo.put(
        f"/v2.0/trunks/{trunk['id']}/remove_subports",
        json={"sub_ports": [{"port_id": child1["id"]}]},
    )
    assert r.status_code == 200 and [s["port_id"] for s in r.json()["sub_ports"]] == [child2["id"]]
    assert (await net.demo.get(f"/v2.0/ports/{child1['id']}")).json()["port"]["device_owner"] == ""
    assert (await net.alt.get(f"/v2.0/trunks/{trunk['id']}")).status_code == 404
    assert (await net.demo.delete(f"/v2.0/trunks/{trunk['id']}")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/ports/{parent['id']}")).status_code == 204


async def test_qos_policies_and_rules(net: Net) -> None:
    r = await net.demo.post("/v2.0/qos/policies", json={"policy": {"name": "gold"}})
    assert r.status_code == 403
    policy = await create(net.admin, "qos/policies", "policy", name="gold", shared=True)
    assert policy["shared"] is True and policy["rules"] == []
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/bandwidth_limit_rules",
        json={"bandwidth_limit_rule": {"max_kbps": 10000, "max_burst_kbps": 800}},
    )
    assert r.status_code == 201, r.text
    bw = r.json()["bandwidth_limit_rule"]
    assert bw["direction"] == "egress"
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/bandwidth_limit_rules",
        json={"bandwidth_limit_rule": {"max_kbps": 1}},
    )
    assert r.status_code == 409
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/bandwidth_limit_rules",
        json={"bandwidth_limit_rule": {"max_kbps": 5000, "direction": "ingress"}},
    )
    assert r.status_code == 201
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/dscp_marking_rules",
        json={"dscp_marking_rule": {"dscp_mark": 13}},
    )
    assert r.status_code == 400
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/dscp_marking_rules",
        json={"dscp_marking_rule": {"dscp_mark": 26}},
    )
    assert r.status_code == 201
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/minimum_bandwidth_rules",
        json={"minimum_bandwidth_rule": {"min_kbps": 1000, "direction": "ingress"}},
    )
    assert r.status_code == 201
    r = await net.admin.post(
        f"/v2.0/qos/policies/{policy['id']}/minimum_packet_rate_rules",
        json={"minimum_packet_rate_rule": {"min_kpps": 100, "direction": "any"}},
    )
    assert r.status_code == 201
    seen = (await net.demo.get(f"/v2.0/qos/policies/{policy['id']}")).json()["policy"]
    assert sorted(x["type"] for x in seen["rules"]) == [
        "bandwidth_limit",
        "bandwidth_limit",
        "dscp_marking",
        "minimum_bandwidth",
        "minimum_packet_rate",
    ]
    r = await net.admin.put(
        f"/v2.0/qos/alias_bandwidth_limit_rules/{bw['id']}",
        json={"bandwidth_limit_rule": {"max_kbps": 20000}},
    )
    assert r.status_code == 200 and r.json()["bandwidth_limit_rule"]["max_kbps"] == 20000
    assert (
        await net.admin.get(f"/v2.0/qos/policies/{policy['id']}/bandwidth_limit_rules/{bw['id']}")
    ).json()["bandwidth_limit_rule"]["max_kbps"] == 20000
    # ports and networks may use it; then it cannot go
    n = await network(net.demo, qos_policy_id=policy["id"])
    assert n["qos_policy_id"] == policy["id"]
    r = await net.demo.post(
        "/v2.0/networks",
        json={"network": {"qos_policy_id": "6e0a6b8c-7a6a-4d7b-9c61-6cbb7d5c4e01"}},
    )
    assert r.status_code == 404 and error_type(r) == "QosPolicyNotFound"
    r = await net.admin.delete(f"/v2.0/qos/policies/{policy['id']}")
    assert r.status_code == 409 and error_type(r) == "QosPolicyInUse"
    types = (await net.demo.get("/v2.0/qos/rule-types")).json()["rule_types"]
    assert {t["type"] for t in types} == {
        "bandwidth_limit",
        "dscp_marking",
        "minimum_bandwidth",
        "minimum_packet_rate",
    }
    details = (await net.admin.get("/v2.0/qos/rule-types/bandwidth_limit")).json()["rule_type"]
    assert {p["parameter_name"] for p in details["drivers"][0]["supported_parameters"]} == {
        "max_kbps",
        "max_burst_kbps",
        "direction",
    }
    # the project default applies to new networks
    default = await create(
        net.admin, "qos/policies", "policy", name="default", is_default=True, project_id="p-alt"
    )
    r = await net.admin.post(
        "/v2.0/qos/policies",
        json={"policy": {"name": "again", "is_default": True, "project_id": "p-alt"}},
    )
    assert r.status_code == 409
    alt_net = await network(net.alt)
    assert alt_net["qos_policy_id"] == default["id"]


async def test_qos_policy_tags_and_hyphenated_paths(net: Net) -> None:
    policy = await create(net.admin, "qos/policies", "policy", name="tagged")
    r = await net.admin.put(f"/v2.0/qos/policies/{policy['id']}/tags", json={"tags": ["a", "b"]})
    assert r.status_code == 200 and r.json()["tags"] == ["a", "b"]
    assert (await net.admin.get(f"/v2.0/qos/policies/{policy['id']}/tags/a")).status_code == 204
    assert (await net.admin.get("/v2.0/qos/policies", params={"tags": "a"})).json()["policies"][0][
        "id"
    ] == policy["id"]
    r = await net.admin.get("/v2.0/network-segment-ranges")
    assert r.status_code == 200 and r.json()["network_segment_ranges"]


async def test_qos_rbac_grants_in_use_cannot_be_released(net: Net) -> None:
    policy = await create(net.admin, "qos/policies", "policy", name="shared-to-alt")

    async def grant(target: str) -> dict[str, Any]:
        return await create(
            net.admin,
            "rbac-policies",
            "rbac_policy",
            object_type="qos_policy",
            object_id=policy["id"],
            action="access_as_shared",
            target_tenant=target,
        )

    specific = await grant("p-alt")
    await network(net.alt, qos_policy_id=policy["id"])
    r = await net.admin.delete(f"/v2.0/rbac-policies/{specific['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse", r.text
    # a wildcard grant covers alt, so the specific one may go
    wild = await grant("*")
    assert (await net.admin.delete(f"/v2.0/rbac-policies/{specific['id']}")).status_code == 204
    # now the wildcard is what alt depends on
    r = await net.admin.delete(f"/v2.0/rbac-policies/{wild['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    # a retarget is checked as releasing the old grant, even towards the dependant project
    r = await net.admin.put(
        f"/v2.0/rbac-policies/{wild['id']}", json={"rbac_policy": {"target_tenant": "p-alt"}}
    )
    assert r.status_code == 409, r.text
    got = (await net.admin.get(f"/v2.0/rbac-policies/{wild['id']}")).json()["rbac_policy"]
    assert got["target_tenant"] == "*"


async def test_trunk_inherit_and_mtu_rules(net: Net) -> None:
    def provider(kind: str, **extra: Any) -> dict[str, Any]:
        return {"provider:network_type": kind, **extra}

    vxlan = await network(net.admin, **provider("vxlan"))
    await subnet(net.admin, vxlan["id"], "10.95.0.0/24")
    vlans = [
        await network(net.admin, **provider("vlan", **{"provider:physical_network": "physnet1"}))
        for _ in range(2)
    ]
    for i, v in enumerate(vlans):
        await subnet(net.admin, v["id"], f"10.96.{i}.0/24")
    # VLAN networks keep the physical MTU; VXLAN loses its header: a VXLAN parent is smaller
    assert vlans[0]["mtu"] > vxlan["mtu"]

    parent = await port(net.admin, vlans[0]["id"])
    subs = [await port(net.admin, v["id"]) for v in vlans[1:]] + [
        await port(net.admin, vxlan["id"])
    ]
    trunk = await create(
        net.admin,
        "trunks",
        "trunk",
        port_id=parent["id"],
        sub_ports=[{"port_id": subs[0]["id"], "segmentation_type": "inherit"}],
    )
    assert trunk["sub_ports"] == [
        {
            "port_id": subs[0]["id"],
            "segmentation_type": "vlan",
            "segmentation_id": vlans[1]["provider:segmentation_id"],
        }
    ]
    # a VXLAN subport cannot inherit: only VLAN is a trunk segmentation type
    r = await net.admin.put(
        f"/v2.0/trunks/{trunk['id']}/add_subports",
        json={"sub_ports": [{"port_id": subs[1]["id"], "segmentation_type": "inherit"}]},
    )
    assert r.status_code == 400 and "Unknown segmentation_type 'vxlan'" in r.text, r.text

    # a subport whose network MTU is above the parent's: 409, on create and on add
    small_parent = await port(net.admin, vxlan["id"])
    big = await port(net.admin, vlans[1]["id"])
    body = {"port_id": big["id"], "segmentation_type": "vlan", "segmentation_id": 2}
    r = await net.admin.post(
        "/v2.0/trunks", json={"trunk": {"port_id": small_parent["id"], "sub_ports": [body]}}
    )
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu", r.text
    small_trunk = await create(net.admin, "trunks", "trunk", port_id=small_parent["id"])
    r = await net.admin.put(
        f"/v2.0/trunks/{small_trunk['id']}/add_subports", json={"sub_ports": [body]}
    )
    assert r.status_code == 409, r.text
    assert (await net.admin.get(f"/v2.0/trunks/{small_trunk['id']}")).json()["trunk"][
        "sub_ports"
    ] == []
