"""Port bindings for live migration, router gateway QoS, service flavors."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, network, port, subnet


async def test_port_bindings_for_migration(net: Net) -> None:
    n = await network(net.demo)
    await subnet(net.demo, n["id"], "10.110.0.0/24")
    p = await port(
        net.admin,
        n["id"],
        **{"binding:host_id": "host-a", "device_id": "vm", "device_owner": "compute:nova"},
    )
    r = await net.admin.get(f"/v2.0/ports/{p['id']}/bindings")
    assert [(b["host"], b["status"]) for b in r.json()["bindings"]] == [("host-a", "ACTIVE")]
    r = await net.admin.post(
        f"/v2.0/ports/{p['id']}/bindings", json={"binding": {"host": "host-b"}}
    )
    assert (
        r.status_code == 201
        and r.json()["binding"]["status"] == "INACTIVE"
        and r.json()["binding"]["vif_type"] == "ovs"
    )
    assert (
        await net.admin.post(
            f"/v2.0/ports/{p['id']}/bindings", json={"binding": {"host": "host-b"}}
        )
    ).status_code == 409
    assert (await net.demo.get(f"/v2.0/ports/{p['id']}/bindings")).status_code == 403
    r = await net.admin.put(f"/v2.0/ports/{p['id']}/bindings/host-b/activate")
    assert r.status_code == 200 and r.json()["binding"]["host"] == "host-b"
    assert (
        await net.admin.put(f"/v2.0/ports/{p['id']}/bindings/host-b/activate")
    ).status_code == 409
    assert (await net.admin.get(f"/v2.0/ports/{p['id']}")).json()["port"][
        "binding:host_id"
    ] == "host-b"
    statuses = {
        b["host"]: b["status"]
        for b in (await net.admin.get(f"/v2.0/ports/{p['id']}/bindings")).json()["bindings"]
    }
    assert statuses == {"host-b": "ACTIVE", "host-a": "INACTIVE"}
    assert (await net.admin.delete(f"/v2.0/ports/{p['id']}/bindings/host-a")).status_code == 204
    assert (await net.admin.delete(f"/v2.0/ports/{p['id']}/bindings/host-a")).status_code == 404


async def test_gateway_qos_and_flavors(net: Net) -> None:
    ext = await network(net.admin, **{"router:external": True})
    await subnet(net.admin, ext["id"], "172.31.0.0/24")
    policy = await create(net.admin, "qos/policies", "policy", name="gw", shared=True)
    router = await create(
        net.demo,
        "routers",
        "router",
        external_gateway_info={"network_id": ext["id"], "qos_policy_id": policy["id"]},
    )
    assert router["external_gateway_info"]["qos_policy_id"] == policy["id"]
    assert (await net.admin.delete(f"/v2.0/qos/policies/{policy['id']}")).status_code == 409
    profile = await create(
        net.admin, "service_profiles", "service_profile", driver="stratus.fake", description="fake"
    )
    flavor = await create(
        net.admin,
        "flavors",
        "flavor",
        name="gold",
        service_type="L3_ROUTER_NAT",
        service_profiles=[profile["id"]],
    )
    assert flavor["service_profiles"] == [profile["id"]]
    assert (
        await net.demo.post(
            "/v2.0/flavors", json={"flavor": {"name": "x", "service_type": "L3_ROUTER_NAT"}}
        )
    ).status_code == 403
    assert [f["name"] for f in (await net.demo.get("/v2.0/flavors")).json()["flavors"]] == ["gold"]
    flavored = await create(net.demo, "routers", "router", flavor_id=flavor["id"])
    assert flavored["flavor_id"] == flavor["id"]
    assert (await net.admin.delete(f"/v2.0/flavors/{flavor['id']}")).status_code == 409
    assert (await net.admin.delete(f"/v2.0/service_profiles/{profile['id']}")).status_code == 409
    assert (
        await net.admin.delete(f"/v2.0/flavors/{flavor['id']}/service_profiles/{profile['id']}")
    ).status_code == 204
