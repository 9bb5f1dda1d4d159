"""Server groups: anti-affinity spreads members over hosts and refuses one more than the
hosts can take; affinity keeps members together; the group lists its members."""

from typing import Any

from tests.functional.compute.conftest import Caller
from tests.functional.compute.test_servers import _wait


def _boot(api: Caller, image: Any, name: str, group: str, count: int = 1) -> list[str]:
    resp = api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {
                "name": name,
                "imageRef": image.id,
                "flavorRef": "1",
                "networks": "none",
                "min_count": count,
                "max_count": count,
                "return_reservation_id": True,
            },
            "os:scheduler_hints": {"group": group},
        },
    )
    assert resp.status_code == 202, resp.text
    reservation = resp.json()["reservation_id"]
    listed = api("GET", f"/servers?reservation_id={reservation}").json()["servers"]
    return [s["id"] for s in listed]


def test_anti_affinity(demo: Any, image: Any, demo_api: Caller, admin_api: Caller) -> None:
    resp = demo_api(
        "POST",
        "/os-server-groups",
        version="2.64",
        json={"server_group": {"name": "spread", "policy": "anti-affinity"}},
    )
    assert resp.status_code == 200, resp.text
    group = resp.json()["server_group"]
    assert group["policy"] == "anti-affinity" and group["rules"] == {} and group["members"] == []
    ids = _boot(demo_api, image, "spread", group["id"], count=2)
    hosts = set()
    for server_id in ids:
        assert _wait(demo_api, server_id, "ACTIVE", "ERROR")["status"] == "ACTIVE"
        shown = admin_api("GET", f"/servers/{server_id}", version="2.71").json()["server"]
        assert shown["server_groups"] == [group["id"]]
        hosts.add(shown["OS-EXT-SRV-ATTR:host"])
    assert hosts == {"compute-0", "compute-1"}
    # Two hosts, two members: a third member has nowhere to go.
    (third,) = _boot(demo_api, image, "spread-3", group["id"])
    failed = _wait(demo_api, third, "ACTIVE", "ERROR")
    assert failed["status"] == "ERROR"
    assert failed["fault"]["message"].startswith("No valid host was found.")
    shown = demo_api("GET", f"/os-server-groups/{group['id']}", version="2.64").json()
    assert sorted(shown["server_group"]["members"]) == sorted([*ids, third])
    old = demo_api("GET", f"/os-server-groups/{group['id']}", version="2.1").json()
    assert old["server_group"]["policies"] == ["anti-affinity"]
    for server_id in [*ids, third]:
        assert demo_api("DELETE", f"/servers/{server_id}").status_code == 204
    assert demo_api("DELETE", f"/os-server-groups/{group['id']}").status_code == 204
    assert demo_api("GET", f"/os-server-groups/{group['id']}").status_code == 404


def test_affinity_keeps_members_together(
    demo: Any, image: Any, demo_api: Caller, admin_api: Caller
) -> None:
    resp = demo_api(
        "POST",
        "/os-server-groups",
        json={"server_group": {"name": "together", "policies": ["affinity"]}},
    )
    group = resp.json()["server_group"]
    ids = _boot(demo_api, image, "together", group["id"], count=3)
    hosts = set()
    for server_id in ids:
        assert _wait(demo_api, server_id, "ACTIVE", "ERROR")["status"] == "ACTIVE"
        hosts.add(
            admin_api("GET", f"/servers/{server_id}").json()["server"]["OS-EXT-SRV-ATTR:host"]
        )
    assert len(hosts) == 1
    for server_id in ids:
        demo_api("DELETE", f"/servers/{server_id}")
    bad = demo_api(
        "POST",
        "/os-server-groups",
        json={"server_group": {"name": "x", "policies": ["soft-affinity"]}},
    )
    assert bad.status_code == 400  # soft policies arrive at 2.15
    missing = demo_api(
        "POST",
        "/servers",
        version="2.37",
        json={
            "server": {"name": "x", "imageRef": image.id, "flavorRef": "1", "networks": "none"},
            "os:scheduler_hints": {"group": "0b5d0b52-8a1f-4a8e-9d55-3f0e8d2a6a11"},
        },
    )
    assert missing.status_code == 404
