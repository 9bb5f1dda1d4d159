"""Networks and segments: tenant VXLAN allocation, provider networks, MTU, sharing through
RBAC, isolation between projects, filters, sorting, paging, fields, tags, revisions."""

import asyncio

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network, port, subnet


async def test_tenant_networks_get_unique_vxlan_ids(net: Net) -> None:
    created = await asyncio.gather(
        *(net.demo.post("/v2.0/networks", json={"network": {"name": f"n{i}"}}) for i in range(20))
    )
    assert all(r.status_code == 201 for r in created)
    ids = [r.json()["network"]["id"] for r in created]
    r = await net.admin.get("/v2.0/networks", params={"provider:network_type": "vxlan"})
    views = [v for v in r.json()["networks"] if v["id"] in ids]
    vnis = [v["provider:segmentation_id"] for v in views]
    assert len(views) == 20 and len(set(vnis)) == 20
    assert all(1 <= v <= 1000 for v in vnis)
    assert all(v["mtu"] == 1450 for v in views)
    # members never see provider attributes
    r = await net.demo.get(f"/v2.0/networks/{ids[0]}")
    assert "provider:network_type" not in r.json()["network"]


async def test_provider_networks(net: Net) -> None:
    vlan = await network(
        net.admin,
        **{
            "provider:network_type": "vlan",
            "provider:physical_network": "physnet1",
            "provider:segmentation_id": 150,
        },
    )
    assert (
        vlan["provider:network_type"],
        vlan["provider:physical_network"],
        vlan["provider:segmentation_id"],
    ) == ("vlan", "physnet1", 150)
    assert vlan["mtu"] == 1500
    r = await net.admin.post(
        "/v2.0/networks",
        json={
            "network": {
                "provider:network_type": "vlan",
                "provider:physical_network": "physnet1",
                "provider:segmentation_id": 150,
            }
        },
    )
    assert r.status_code == 409 and error_type(r) == "VlanIdInUse"
    auto = await network(net.admin, **{"provider:network_type": "vlan"})
    assert (
        auto["provider:physical_network"] == "physnet1"
        and 100 <= auto["provider:segmentation_id"] <= 199
    )
    flat = await network(
        net.admin, **{"provider:network_type": "flat", "provider:physical_network": "public"}
    )
    assert flat["provider:segmentation_id"] is None
    r = await net.admin.post(
        "/v2.0/networks",
        json={"network": {"provider:network_type": "flat", "provider:physical_network": "public"}},
    )
    assert r.status_code == 409 and error_type(r) == "FlatNetworkInUse"
    geneve = await network(
        net.admin, **{"provider:network_type": "geneve", "provider:segmentation_id": 4242}
    )
    assert geneve["mtu"] == 1442
    r = await net.admin.post(
        "/v2.0/networks",
        json={
            "network": {"provider:network_type": "vxlan", "provider:physical_network": "physnet1"}
        },
    )
    assert r.status_code == 400
    r = await net.admin.post(
        "/v2.0/networks",
        json={
            "network": {
                "provider:network_type": "vlan",
                "provider:physical_network": "nowhere",
                "provider:segmentation_id": 7,
            }
        },
    )
    assert r.status_code == 400
    multi = await network(
        net.admin,
        segments=[
            {
                "provider:network_type": "vlan",
                "provider:physical_network": "physnet1",
                "provider:segmentation_id": 160,
            },
            {"provider:network_type": "vxlan"},
        ],
    )
    assert [s["provider:network_type"] for s in multi["segments"]] == ["vlan", "vxlan"]
    r = await net.admin.get("/v2.0/segments", params={"network_id": multi["id"]})
    assert len(r.json()["segments"]) == 2
    # a member may not choose provider attributes
    r = await net.demo.post("/v2.0/networks", json={"network": {"provider:network_type": "vlan"}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    # releasing a network releases its segmentation id
    assert (await net.admin.delete(f"/v2.0/networks/{vlan['id']}")).status_code == 204
    again = await network(
        net.admin,
        **{
            "provider:network_type": "vlan",
            "provider:physical_network": "physnet1",
            "provider:segmentation_id": 150,
        },
    )
    assert again["provider:segmentation_id"] == 150


async def test_isolation_and_sharing(net: Net) -> None:
    mine = await network(net.demo, name="demo-private")
    s = await subnet(net.demo, mine["id"], "10.50.0.0/24")
    p = await port(net.demo, mine["id"])
    for path in (
        f"/v2.0/networks/{mine['id']}",
        f"/v2.0/subnets/{s['id']}",
        f"/v2.0/ports/{p['id']}",
    ):
        r = await net.alt.get(path)
        assert r.status_code == 404, path
    r = await net.alt.put(f"/v2.0/networks/{mine['id']}", json={"network": {"name": "x"}})
    assert r.status_code == 404
    r = await net.alt.delete(f"/v2.0/ports/{p['id']}")
    assert r.status_code == 404
    r = await net.alt.post("/v2.0/ports", json={"port": {"network_id": mine["id"]}})
    assert r.status_code == 404 and error_type(r) == "NetworkNotFound"
    assert mine["id"] not in [
        n["id"] for n in (await net.alt.get("/v2.0/networks")).json()["networks"]
    ]
    # a member cannot share; admin can
    r = await net.demo.post("/v2.0/networks", json={"network": {"shared": True}})
    assert r.status_code == 403
    shared = await network(net.admin, name="everyone", shared=True)
    await subnet(net.admin, shared["id"], "10.60.0.0/24")
    seen = (await net.alt.get(f"/v2.0/networks/{shared['id']}")).json()["network"]
    assert seen["shared"] is True
    alt_port = await port(net.alt, shared["id"])
    assert alt_port["project_id"] == "p-alt"
    r = await net.alt.get("/v2.0/networks", params={"shared": "true"})
    assert [n["id"] for n in r.json()["networks"]] == [shared["id"]]
    # unsharing while another project uses it is refused
    r = await net.admin.put(f"/v2.0/networks/{shared['id']}", json={"network": {"shared": False}})
    assert r.status_code == 409
    # RBAC: share demo's network with alt only
    r = await net.demo.post(
        "/v2.0/rbac-policies",
        json={
            "rbac_policy": {
                "object_type": "network",
                "object_id": mine["id"],
                "action": "access_as_shared",
                "target_tenant": "p-alt",
            }
        },
    )
    assert r.status_code == 201, r.text
    policy = r.json()["rbac_policy"]
    assert (await net.alt.get(f"/v2.0/networks/{mine['id']}")).status_code == 200
    r = await net.demo.post(
        "/v2.0/rbac-policies",
        json={
            "rbac_policy": {
                "object_type": "network",
                "object_id": mine["id"],
                "action": "access_as_shared",
                "target_tenant": "*",
            }
        },
    )
    assert r.status_code == 403
    r = await net.demo.post(
        "/v2.0/rbac-policies",
        json={
            "rbac_policy": {
                "object_type": "network",
                "object_id": mine["id"],
                "action": "access_as_shared",
                "target_tenant": "p-alt",
            }
        },
    )
    assert r.status_code == 409
    alt_on_mine = await port(net.alt, mine["id"])
    r = await net.demo.delete(f"/v2.0/rbac-policies/{policy['id']}")
    assert r.status_code == 409 and error_type(r) == "RbacPolicyInUse"
    assert (await net.alt.delete(f"/v2.0/ports/{alt_on_mine['id']}")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/rbac-policies/{policy['id']}")).status_code == 204
    assert (await net.alt.get(f"/v2.0/networks/{mine['id']}")).status_code == 404


async def test_filters_sorting_paging_fields(net: Net) -> None:
    for name in ("charlie", "alpha", "bravo", "delta"):
        await network(net.demo, name=name, admin_state_up=name != "delta")
    r = await net.demo.get("/v2.0/networks", params={"name": "bravo"})
    assert [n["name"] for n in r.json()["networks"]] == ["bravo"]
    r = await net.demo.get("/v2.0/networks", params=[("name", "alpha"), ("name", "delta")])
    assert sorted(n["name"] for n in r.json()["networks"]) == ["alpha", "delta"]
    r = await net.demo.get("/v2.0/networks", params={"admin_state_up": "false"})
    assert [n["name"] for n in r.json()["networks"]] == ["delta"]
    r = await net.demo.get("/v2.0/networks", params={"sort_key": "name", "sort_dir": "desc"})
    assert [n["name"] for n in r.json()["networks"]] == ["delta", "charlie", "bravo", "alpha"]
    r = await net.demo.get("/v2.0/networks", params=[("fields", "id"), ("fields", "name")])
    assert all(set(n) == {"id", "name"} for n in r.json()["networks"])
    names = []
    params: dict[str, str] = {"sort_key": "name", "sort_dir": "asc", "limit": "3"}
    r = await net.demo.get("/v2.0/networks", params=params)
    body = r.json()
    names += [n["name"] for n in body["networks"]]
    nxt = [link for link in body["networks_links"] if link["rel"] == "next"]
    assert nxt and "marker=" in nxt[0]["href"] and "/network/v2.0/networks?" in nxt[0]["href"]
    marker = body["networks"][-1]["id"]
    r = await net.demo.get("/v2.0/networks", params={**params, "marker": marker})
    names += [n["name"] for n in r.json()["networks"]]
    assert names == ["alpha", "bravo", "charlie", "delta"]
    r = await net.demo.get("/v2.0/networks", params={"sort_key": "bogus"})
    assert r.status_code == 400
    r = await net.demo.get("/v2.0/networks", params={"limit": "x"})
    assert r.status_code == 400


async def test_tags(net: Net) -> None:
    a = await network(net.demo, name="a")
    b = await network(net.demo, name="b")
    r = await net.demo.put(f"/v2.0/networks/{a['id']}/tags", json={"tags": ["red", "blue"]})
    assert r.status_code == 200 and sorted(r.json()["tags"]) == ["blue", "red"]
    assert (await net.demo.put(f"/v2.0/networks/{b['id']}/tags/red")).status_code == 201
    assert (await net.demo.get(f"/v2.0/networks/{b['id']}/tags/red")).status_code == 204
    assert (await net.demo.get(f"/v2.0/networks/{b['id']}/tags/blue")).status_code == 404

    async def names(**params: str) -> list[str]:
        r = await net.demo.get("/v2.0/networks", params=params)
        return sorted(n["name"] for n in r.json()["networks"])

    assert await names(tags="red") == ["a", "b"]
    assert await names(tags="red,blue") == ["a"]
    assert await names(**{"tags-any": "blue,green"}) == ["a"]
    assert await names(**{"not-tags": "blue"}) == ["b"]
    assert await names(**{"not-tags-any": "red"}) == []
    view = (await net.demo.get(f"/v2.0/networks/{a['id']}")).json()["network"]
    assert view["tags"] == ["blue", "red"] and view["revision_number"] >= 1
    assert (await net.demo.delete(f"/v2.0/networks/{a['id']}/tags/red")).status_code == 204
    assert (await net.demo.delete(f"/v2.0/networks/{a['id']}/tags/red")).status_code == 404
    assert (await net.demo.delete(f"/v2.0/networks/{a['id']}/tags")).status_code == 204
    assert (await net.demo.get(f"/v2.0/networks/{a['id']}/tags")).json() == {"tags": []}
    assert (await net.alt.put(f"/v2.0/networks/{a['id']}/tags/x")).status_code == 404


async def test_revision_number_and_if_match(net: Net) -> None:
    n = await network(net.demo, name="rev")
    assert n["revision_number"] == 0
    r = await net.demo.put(
        f"/v2.0/networks/{n['id']}",
        json={"network": {"name": "rev2"}},
        headers={"If-Match": "revision_number=0"},
    )
    assert r.status_code == 200 and r.json()["network"]["revision_number"] == 1
    assert r.json()["network"]["updated_at"] >= n["updated_at"]
    r = await net.demo.put(
        f"/v2.0/networks/{n['id']}",
        json={"network": {"name": "rev3"}},
        headers={"If-Match": "revision_number=0"},
    )
    assert r.status_code == 412
    assert (await net.demo.get(f"/v2.0/networks/{n['id']}")).json()["network"]["name"] == "rev2"
    r = await net.demo.delete(
        f"/v2.0/networks/{n['id']}", headers={"If-Match": "revision_number=7"}
    )
    assert r.status_code == 412
    assert (
        await net.demo.delete(
            f"/v2.0/networks/{n['id']}", headers={"If-Match": "revision_number=1"}
        )
    ).status_code == 204


async def test_bad_requests_change_nothing(net: Net) -> None:
    cases = [
        ({"network": {"admin_state_up": "perhaps"}}, "Invalid input for admin_state_up"),
        ({"network": {"id": "x"}}, "not allowed in POST"),
        ({"network": {"name": "x" * 300}}, "exceeds maximum length"),
        ({"network": {"mtu": 9000}}, "too big"),
        ({"network": "nope"}, ""),
        ({"nets": {}}, ""),
    ]
    for body, text in cases:
        r = await net.demo.post("/v2.0/networks", json=body)
        assert r.status_code == 400, (body, r.text)
        assert text in r.json()["NeutronError"]["message"]
    r = await net.demo.post("/v2.0/networks", content=b"{not json")
    assert r.status_code == 400
    assert (await net.demo.get("/v2.0/networks")).json()["networks"] == []
    r = await net.anon.get("/v2.0/networks")
    assert r.status_code == 401


async def test_bulk_create_is_all_or_nothing(net: Net) -> None:
    r = await net.demo.post(
        "/v2.0/networks",
        json={"networks": [{"name": "b1"}, {"name": "b2"}]},
    )
    assert r.status_code == 201 and [n["name"] for n in r.json()["networks"]] == ["b1", "b2"]
    r = await net.demo.post(
        "/v2.0/networks",
        json={"networks": [{"name": "b3"}, {"mtu": "big"}]},
    )
    assert r.status_code == 400
    names = sorted(n["name"] for n in (await net.demo.get("/v2.0/networks")).json()["networks"])
    assert names == ["b1", "b2"]


async def test_versions_and_extensions(net: Net) -> None:
    r = await net.anon.get("/")
    assert r.json()["versions"][0]["id"] == "v2.0"
    r = await net.anon.get("/v2.0")
    assert {x["collection"] for x in r.json()["resources"]} == {"networks", "subnets", "ports"}
    r = await net.demo.get("/v2.0/extensions")
    aliases = {e["alias"] for e in r.json()["extensions"]}
    assert {
        "router",
        "security-group",
        "quotas",
        "provider",
        "binding",
        "standard-attr-tag",
        "revision-if-match",
    } <= aliases
    assert {"trunk", "trunk-details", "qos", "qos-default"} <= aliases
    assert {"subnet_allocation", "auto-allocated-topology", "address-scope"} <= aliases
    assert "logging" not in aliases and "bgpvpn" not in aliases
    assert (await net.demo.get("/v2.0/extensions/router")).status_code == 200
    assert (await net.demo.get("/v2.0/extensions/logging")).status_code == 404
    r = await net.demo.get("/v2.0/log/logs")
    assert r.status_code == 501
