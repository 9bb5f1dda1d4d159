"""Quotas through the shared engine: limits, defaults, details, and races that never pass."""

import asyncio

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network


async def test_quota_limits_and_details(net: Net) -> None:
    r = await net.demo.get("/v2.0/quotas/p-demo")
    assert r.json()["quota"]["network"] == 100 and r.json()["quota"]["port"] == 500
    r = await net.demo.put("/v2.0/quotas/p-demo", json={"quota": {"network": 3}})
    assert r.status_code == 403
    r = await net.admin.put("/v2.0/quotas/p-demo", json={"quota": {"network": 3, "router": 0}})
    assert r.status_code == 200 and r.json()["quota"]["network"] == 3
    results = await asyncio.gather(
        *(net.demo.post("/v2.0/networks", json={"network": {}}) for _ in range(8))
    )
    assert sum(r.status_code == 201 for r in results) == 3
    refused = [r for r in results if r.status_code != 201]
    assert all(r.status_code == 409 and error_type(r) == "OverQuota" for r in refused)
    r = await net.demo.post("/v2.0/routers", json={"router": {}})
    assert r.status_code == 409
    r = await net.demo.get("/v2.0/quotas/p-demo/details")
    details = r.json()["quota"]
    assert details["network"] == {"limit": 3, "used": 3, "reserved": 0}
    r = await net.admin.get("/v2.0/quotas")
    assert [q["project_id"] for q in r.json()["quotas"]] == ["p-demo"]
    assert (await net.admin.get("/v2.0/quotas/p-demo/default")).json()["quota"]["network"] == 100
    r = await net.admin.put("/v2.0/quotas/p-demo", json={"quota": {"network": "lots"}})
    assert r.status_code == 400
    assert (await net.admin.delete("/v2.0/quotas/p-demo")).status_code == 204
    await network(net.demo)
    assert (await net.alt.get("/v2.0/quotas/p-demo")).status_code == 403
