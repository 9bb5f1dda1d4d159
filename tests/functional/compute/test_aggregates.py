"""Host aggregates: availability zones from aggregate metadata, membership mirrored into
placement, AggregateInstanceExtraSpecs and tenant isolation steering the scheduler."""

from typing import Any

from tests.functional.compute.conftest import Caller
from tests.functional.compute.test_servers import _wait


def _boot(api: Caller, image: Any, flavor: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "agg", "imageRef": image.id, "flavorRef": flavor, "networks": "none", **extra}
    resp = api("POST", "/servers", version="2.37", json={"server": body})
    assert resp.status_code == 202, resp.text
    return _wait(api, resp.json()["server"]["id"], "ACTIVE", "ERROR")


def test_aggregate_zone_and_filters(
    admin: Any, demo: Any, image: Any, admin_api: Caller, demo_api: Caller
) -> None:
    resp = admin_api(
        "POST",
        "/os-aggregates",
        json={"aggregate": {"name": "fast", "availability_zone": "az-fast"}},
    )
    assert resp.status_code == 200, resp.text
    agg = resp.json()["aggregate"]
    assert agg["availability_zone"] == "az-fast" and "hosts" not in agg
    assert (
        admin_api("POST", "/os-aggregates", json={"aggregate": {"name": "fast"}}).status_code == 409
    )
    assert demo_api("GET", "/os-aggregates").status_code == 403
    missing = admin_api(
        "POST", f"/os-aggregates/{agg['id']}/action", json={"add_host": {"host": "nope"}}
    )
    assert missing.status_code == 404
    resp = admin_api(
        "POST",
        f"/os-aggregates/{agg['id']}/action",
        version="2.41",
        json={"add_host": {"host": "compute-1"}},
    )
    assert resp.status_code == 200
    assert resp.json()["aggregate"]["hosts"] == ["compute-1"]
    agg_uuid = resp.json()["aggregate"]["uuid"]
    try:
        # Placement sees the membership on compute-1's provider.
        hvs = admin_api("GET", "/os-hypervisors", version="2.53").json()["hypervisors"]
        rp = next(h["id"] for h in hvs if h["hypervisor_hostname"] == "compute-1")
        aggs = admin.placement.get(
            f"/resource_providers/{rp}/aggregates",
            headers={"OpenStack-API-Version": "placement 1.19"},
        ).json()["aggregates"]
        assert aggs == [agg_uuid]
        zones = {
            z["zoneName"]
            for z in demo_api("GET", "/os-availability-zone").json()["availabilityZoneInfo"]
        }
        assert zones == {"nova", "az-fast"}
        server = _boot(demo_api, image, "1", availability_zone="az-fast")
        assert server["status"] == "ACTIVE"
        assert server["OS-EXT-AZ:availability_zone"] == "az-fast"
        assert (
            admin_api("GET", f"/servers/{server['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
            == "compute-1"
        )
        demo_api("DELETE", f"/servers/{server['id']}")
        # Flavor asks for ssd=true: only compute-1's aggregate carries it.
        admin_api(
            "POST",
            f"/os-aggregates/{agg['id']}/action",
            json={"set_metadata": {"metadata": {"ssd": "true"}}},
        )
        admin_api(
            "POST",
            "/flavors",
            json={"flavor": {"name": "ssd", "id": "ssd", "ram": 256, "vcpus": 1, "disk": 1}},
        )
        admin_api(
            "POST",
            "/flavors/ssd/os-extra_specs",
            json={"extra_specs": {"aggregate_instance_extra_specs:ssd": "true"}},
        )
        for _ in range(3):
            server = _boot(demo_api, image, "ssd")
            host = admin_api("GET", f"/servers/{server['id']}").json()["server"][
                "OS-EXT-SRV-ATTR:host"
            ]
            assert host == "compute-1"
            demo_api("DELETE", f"/servers/{server['id']}")
        # Tenant isolation: compute-1 now only takes another project.
        admin_api(
            "POST",
            f"/os-aggregates/{agg['id']}/action",
            json={"set_metadata": {"metadata": {"filter_tenant_id": "someone-else"}}},
        )
        server = _boot(demo_api, image, "ssd")
        assert server["status"] == "ERROR"
        demo_api("DELETE", f"/servers/{server['id']}")
        shown = admin_api("GET", f"/os-aggregates/{agg['id']}").json()["aggregate"]
        assert shown["metadata"] == {
            "availability_zone": "az-fast",
            "ssd": "true",
            "filter_tenant_id": "someone-else",
        }
    finally:
        admin_api(
            "POST",
            f"/os-aggregates/{agg['id']}/action",
            json={"remove_host": {"host": "compute-1"}},
        )
        admin_api("DELETE", "/flavors/ssd")
    assert admin_api("DELETE", f"/os-aggregates/{agg['id']}").status_code == 200
    assert admin_api("GET", f"/os-aggregates/{agg['id']}").status_code == 404
    zones = {
        z["zoneName"]
        for z in demo_api("GET", "/os-availability-zone").json()["availabilityZoneInfo"]
    }
    assert zones == {"nova"}
