"""Inventories, allocations (with generations), usages and the reshaper over real HTTP."""

import concurrent.futures

from tests.functional.placement.conftest import Api
from tests.functional.placement.helpers import claim, new_uuid, provider


def test_inventory_capacity_and_constraints(api: Api) -> None:
    rp = provider(
        api,
        inventories={
            "VCPU": {"total": 4, "reserved": 1, "allocation_ratio": 2.0, "max_unit": 4},
            "DISK_GB": {"total": 100, "step_size": 10, "min_unit": 10},
        },
    )
    consumer = new_uuid()
    # capacity = (4 - 1) * 2 = 6
    assert claim(api, consumer, {rp: {"VCPU": 4}}).status_code == 204
    over = claim(api, new_uuid(), {rp: {"VCPU": 3}})
    assert over.status_code == 409
    assert "would exceed the capacity" in over.json()["errors"][0]["detail"]
    step = claim(api, new_uuid(), {rp: {"DISK_GB": 15}})
    assert step.status_code == 409
    assert "inventory constraints" in step.json()["errors"][0]["detail"]
    usages = api("GET", f"/resource_providers/{rp}/usages").json()["usages"]
    assert usages == {"VCPU": 4, "DISK_GB": 0}
    # an inventory in use cannot go away
    resp = api(
        "PUT",
        f"/resource_providers/{rp}/inventories",
        json={"resource_provider_generation": 2, "inventories": {"DISK_GB": {"total": 100}}},
    )
    assert resp.status_code == 409
    assert resp.json()["errors"][0]["code"] == "placement.inventory.inuse"
    resp = api(
        "PUT",
        f"/resource_providers/{rp}/inventories/VCPU",
        json={"resource_provider_generation": 2, "total": 2, "reserved": 3},
    )
    assert resp.status_code == 400


def test_consumer_generations(api: Api) -> None:
    rp = provider(api, inventories={"VCPU": {"total": 8}})
    consumer = new_uuid()
    assert claim(api, consumer, {rp: {"VCPU": 1}}).status_code == 204
    body = api("GET", f"/allocations/{consumer}").json()
    assert body["consumer_generation"] == 1
    assert body["consumer_type"] == "INSTANCE"
    assert body["allocations"][rp]["resources"] == {"VCPU": 1}
    # a stale or missing generation is refused with concurrent_update
    for stale in (None, 0):
        resp = claim(api, consumer, {rp: {"VCPU": 2}}, generation=stale)
        assert resp.status_code == 409
        assert resp.json()["errors"][0]["code"] == "placement.concurrent_update"
    assert claim(api, consumer, {rp: {"VCPU": 2}}, generation=1).status_code == 204
    assert api("GET", f"/allocations/{consumer}").json()["consumer_generation"] == 2
    # emptying the allocations removes the consumer
    resp = api(
        "PUT",
        f"/allocations/{consumer}",
        json={
            "allocations": {},
            "project_id": "p1",
            "user_id": "u1",
            "consumer_generation": 2,
            "consumer_type": "INSTANCE",
        },
    )
    assert resp.status_code == 204
    assert api("GET", f"/allocations/{consumer}").json() == {"allocations": {}}
    assert api("DELETE", f"/allocations/{consumer}").status_code == 404


def test_post_allocations_is_atomic_move(api: Api) -> None:
    source = provider(api, inventories={"VCPU": {"total": 4}})
    target = provider(api, inventories={"VCPU": {"total": 4}})
    instance, migration = new_uuid(), new_uuid()
    assert claim(api, instance, {source: {"VCPU": 2}}).status_code == 204
    move = {
        instance: {
            "allocations": {target: {"resources": {"VCPU": 2}}},
            "project_id": "p1",
            "user_id": "u1",
            "consumer_generation": 1,
            "consumer_type": "INSTANCE",
        },
        migration: {
            "allocations": {source: {"resources": {"VCPU": 2}}},
            "project_id": "p1",
            "user_id": "u1",
            "consumer_generation": None,
            "consumer_type": "MIGRATION",
        },
    }
    bad = {
        **move,
        new_uuid(): {
            "allocations": {target: {"resources": {"VCPU": 99}}},
            "project_id": "p1",
            "user_id": "u1",
            "consumer_generation": None,
            "consumer_type": "INSTANCE",
        },
    }
    assert api("POST", "/allocations", json=bad).status_code == 409
    # nothing of the failed request happened
    assert api("GET", f"/allocations/{instance}").json()["allocations"].keys() == {source}
    assert api("GET", f"/allocations/{migration}").json() == {"allocations": {}}
    assert api("POST", "/allocations", json=move).status_code == 204
    assert api("GET", f"/allocations/{instance}").json()["allocations"].keys() == {target}
    by_rp = api("GET", f"/resource_providers/{source}/allocations").json()["allocations"]
    assert by_rp == {migration: {"resources": {"VCPU": 2}, "consumer_generation": 1}}


def test_usages_by_project_and_type(api: Api) -> None:
    rp = provider(api, inventories={"VCPU": {"total": 16}, "MEMORY_MB": {"total": 4096}})
    project = new_uuid()
    claim(api, new_uuid(), {rp: {"VCPU": 2, "MEMORY_MB": 512}}, project=project)
    claim(api, new_uuid(), {rp: {"VCPU": 1}}, project=project, user="u2")
    total = api("GET", f"/usages?project_id={project}", version="1.9").json()
    assert total == {"usages": {"VCPU": 3, "MEMORY_MB": 512}}
    by_user = api("GET", f"/usages?project_id={project}&user_id=u2", version="1.9").json()
    assert by_user == {"usages": {"VCPU": 1}}
    typed = api("GET", f"/usages?project_id={project}").json()
    assert typed == {"usages": {"INSTANCE": {"VCPU": 3, "MEMORY_MB": 512, "consumer_count": 2}}}


def test_fifty_concurrent_claims_room_for_ten(api: Api) -> None:
    rp = provider(api, inventories={"VCPU": {"total": 10}})

    def one(_i: int) -> int:
        return claim(api, new_uuid(), {rp: {"VCPU": 1}}).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(one, range(50)))
    assert statuses.count(204) == 10
    assert set(statuses) <= {204, 409}
    usages = api("GET", f"/resource_providers/{rp}/usages").json()["usages"]
    assert usages == {"VCPU": 10}


def test_reshaper_moves_inventory_and_allocations(api: Api) -> None:
    root = provider(api, inventories={"VCPU": {"total": 8}, "DISK_GB": {"total": 100}})
    child = provider(api, parent=root)
    consumer = new_uuid()
    assert claim(api, consumer, {root: {"VCPU": 2, "DISK_GB": 10}}).status_code == 204
    root_gen = api("GET", f"/resource_providers/{root}").json()["generation"]
    body = {
        "inventories": {
            root: {
                "resource_provider_generation": root_gen,
                "inventories": {"DISK_GB": {"total": 100}},
            },
            child: {"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}},
        },
        "allocations": {
            consumer: {
                "allocations": {
                    root: {"resources": {"DISK_GB": 10}},
                    child: {"resources": {"VCPU": 2}},
                },
                "project_id": "p1",
                "user_id": "u1",
                "consumer_generation": 1,
                "consumer_type": "INSTANCE",
            },
        },
    }
    # admin may reshape (the deprecated admin fallback of service_api, as upstream)
    assert api("POST", "/reshaper", json=body).status_code == 204
    assert api("GET", f"/resource_providers/{child}/usages").json()["usages"] == {"VCPU": 2}
    assert api("GET", f"/resource_providers/{root}/usages").json()["usages"] == {"DISK_GB": 10}
