"""Network segment ranges: defaults from configuration, project ranges used first."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, network


async def test_segment_ranges(net: Net) -> None:
    ranges = (await net.admin.get("/v2.0/network_segment_ranges")).json()["network_segment_ranges"]
    defaults = {
        (r["network_type"], r["physical_network"], r["minimum"], r["maximum"])
        for r in ranges
        if r["default"]
    }
    assert ("vxlan", None, 1, 1000) in defaults and ("vlan", "physnet1", 100, 199) in defaults
    assert (await net.demo.get("/v2.0/network_segment_ranges")).status_code == 403
    mine = await create(
        net.admin,
        "network_segment_ranges",
        "network_segment_range",
        name="demo-only",
        shared=False,
        project_id="p-demo",
        network_type="vxlan",
        minimum=5000,
        maximum=5001,
    )
    assert mine["available"] == [5000, 5001] and mine["used"] == {}
    a = await network(net.admin, project_id="p-demo")
    b = await network(net.admin, project_id="p-demo")
    c = await network(net.admin, project_id="p-demo")
    vnis = sorted(x["provider:segmentation_id"] for x in (a, b, c))
    assert vnis[1:] == [5000, 5001] and vnis[0] <= 1000  # own range first, then the shared ones
    other = await network(net.alt)
    seen = (await net.admin.get(f"/v2.0/networks/{other['id']}")).json()["network"]
    assert seen["provider:segmentation_id"] <= 1000
    view = (await net.admin.get(f"/v2.0/network_segment_ranges/{mine['id']}")).json()[
        "network_segment_range"
    ]
    assert view["available"] == [] and view["used"] == {"p-demo": [5000, 5001]}
    r = await net.admin.delete(f"/v2.0/network_segment_ranges/{mine['id']}")
    assert r.status_code == 409
    r = await net.admin.put(
        f"/v2.0/network_segment_ranges/{mine['id']}",
        json={"network_segment_range": {"maximum": 5000}},
    )
    assert r.status_code == 409
    default_id = next(r["id"] for r in ranges if r["default"])
    assert (await net.admin.delete(f"/v2.0/network_segment_ranges/{default_id}")).status_code == 409
    r = await net.admin.post(
        "/v2.0/network_segment_ranges",
        json={"network_segment_range": {"network_type": "vlan", "minimum": 10, "maximum": 20}},
    )
    assert r.status_code == 400
