"""Resource providers, trees, traits, aggregates and resource classes over real HTTP."""

from typing import Any

import httpx

from stratus.testing import RunningCloud
from tests.functional.placement.conftest import Api
from tests.functional.placement.helpers import new_uuid, provider


def test_version_document_needs_no_token(cloud: RunningCloud) -> None:
    resp = httpx.get(f"{cloud.url}/placement/")
    assert resp.status_code == 200
    version = resp.json()["versions"][0]
    assert (version["min_version"], version["max_version"]) == ("1.0", "1.39")
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_auth_required_and_error_format(cloud: RunningCloud, api: Api) -> None:
    assert httpx.get(f"{cloud.url}/placement/resource_providers").status_code == 401
    missing = new_uuid()
    resp = api("GET", f"/resource_providers/{missing}")
    assert resp.status_code == 404
    error = resp.json()["errors"][0]
    assert error["status"] == 404 and error["title"] == "Not Found"
    assert missing in error["detail"]
    assert error["request_id"] == resp.headers["x-openstack-request-id"]


def test_microversions(api: Api) -> None:
    assert api("GET", "/traits", version="1.5").status_code == 404
    assert api("GET", "/traits", version="1.6").status_code == 200
    resp = api("GET", "/resource_providers", version="1.40")
    assert resp.status_code == 406
    assert api("GET", "/resource_providers", version="one").status_code == 400
    resp = api("GET", "/resource_providers", version="1.14")
    assert resp.headers["openstack-api-version"] == "placement 1.14"
    resp = api("DELETE", "/resource_providers")
    assert resp.status_code == 405
    assert set(resp.headers["allow"].split(", ")) == {"GET", "POST"}


def test_provider_crud_with_sdk(admin: Any) -> None:
    name = f"sdk-{new_uuid()}"
    rp = admin.placement.create_resource_provider(name=name)
    assert rp.generation == 0
    assert admin.placement.get_resource_provider(rp.id).name == name
    admin.placement.update_resource_provider(rp, name=name + "-x")
    assert admin.placement.get_resource_provider(rp.id).name == name + "-x"
    assert rp.id in {p.id for p in admin.placement.resource_providers(name=name + "-x")}
    admin.placement.delete_resource_provider(rp)
    assert rp.id not in {p.id for p in admin.placement.resource_providers()}


def test_duplicate_name_conflicts(api: Api) -> None:
    name = f"dup-{new_uuid()}"
    provider(api, name)
    resp = api("POST", "/resource_providers", json={"name": name})
    assert resp.status_code == 409
    assert resp.json()["errors"][0]["code"] == "placement.duplicate_name"


def test_bad_body_is_400_and_changes_nothing(api: Api) -> None:
    resp = api("POST", "/resource_providers", json={"name": "x", "color": "blue"})
    assert resp.status_code == 400
    assert "JSON does not validate" in resp.json()["errors"][0]["detail"]
    assert api("GET", "/resource_providers?name=x").json()["resource_providers"] == []


def test_tree_and_delete_rules(api: Api) -> None:
    root = provider(api)
    child = provider(api, parent=root)
    grandchild = provider(api, parent=child)
    body = api("GET", f"/resource_providers/{grandchild}").json()
    assert body["root_provider_uuid"] == root
    assert body["parent_provider_uuid"] == child
    in_tree = api("GET", f"/resource_providers?in_tree={child}").json()["resource_providers"]
    assert {p["uuid"] for p in in_tree} == {root, child, grandchild}
    resp = api("DELETE", f"/resource_providers/{child}")
    assert resp.status_code == 409
    assert resp.json()["errors"][0]["code"] == "placement.resource_provider.cannot_delete_parent"
    # re-parenting is refused before 1.37, allowed from it; loops never
    other = provider(api)
    resp = api(
        "PUT",
        f"/resource_providers/{grandchild}",
        json={"name": "g", "parent_provider_uuid": other},
        version="1.36",
    )
    assert resp.status_code == 400
    resp = api(
        "PUT",
        f"/resource_providers/{child}",
        json={"name": f"c-{new_uuid()}", "parent_provider_uuid": grandchild},
    )
    assert resp.status_code == 400 and "loop" in resp.json()["errors"][0]["detail"]
    resp = api(
        "PUT",
        f"/resource_providers/{child}",
        json={"name": f"c-{new_uuid()}", "parent_provider_uuid": other},
    )
    assert resp.status_code == 200
    moved = api("GET", f"/resource_providers/{grandchild}").json()
    assert moved["root_provider_uuid"] == other


def test_traits_and_generations(api: Api) -> None:
    rp = provider(api)
    assert api("PUT", "/traits/CUSTOM_GOLD").status_code in (201, 204)
    assert api("PUT", "/traits/NOT_CUSTOM").status_code == 400
    resp = api(
        "PUT",
        f"/resource_providers/{rp}/traits",
        json={"resource_provider_generation": 0, "traits": ["CUSTOM_GOLD", "HW_CPU_X86_AVX2"]},
    )
    assert resp.status_code == 200
    assert resp.json()["resource_provider_generation"] == 1
    stale = api(
        "PUT",
        f"/resource_providers/{rp}/traits",
        json={"resource_provider_generation": 0, "traits": []},
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "placement.concurrent_update"
    assert api("DELETE", "/traits/CUSTOM_GOLD").status_code == 409  # in use
    assert api("DELETE", "/traits/HW_CPU_X86_AVX2").status_code == 400  # standard
    listed = api("GET", "/traits?name=in:CUSTOM_GOLD,HW_CPU_X86_AVX2&associated=true").json()
    assert set(listed["traits"]) == {"CUSTOM_GOLD", "HW_CPU_X86_AVX2"}


def test_provider_filters(api: Api) -> None:
    agg_a, agg_b = new_uuid(), new_uuid()
    tag = f"CUSTOM_F{new_uuid().replace('-', '')[:8].upper()}"
    inv = {"VCPU": {"total": 4}}
    p1 = provider(api, inventories=inv, traits=[tag], aggregates=[agg_a])
    p2 = provider(api, inventories=inv, aggregates=[agg_b])
    p3 = provider(api, inventories={"VCPU": {"total": 1}}, traits=[tag])

    def uuids(query: str, version: str = "1.39") -> set[str]:
        resp = api("GET", f"/resource_providers?{query}", version=version)
        assert resp.status_code == 200, resp.text
        return {p["uuid"] for p in resp.json()["resource_providers"]} & {p1, p2, p3}

    assert uuids(f"member_of={agg_a}") == {p1}
    assert uuids(f"member_of=in:{agg_a},{agg_b}") == {p1, p2}
    assert uuids(f"member_of=!{agg_a}") == {p2, p3}
    assert uuids(f"required={tag}") == {p1, p3}
    assert uuids(f"required=!{tag}") == {p2}
    assert uuids(f"required=in:{tag},HW_CPU_X86_AVX2") == {p1, p3}
    assert uuids("resources=VCPU:2") == {p1, p2}
    assert uuids(f"resources=VCPU:2&required={tag}") == {p1}
    resp = api("GET", f"/resource_providers?required=in:{tag}", version="1.38")
    assert resp.status_code == 400
    resp = api("GET", "/resource_providers?resources=NOPE:1")
    assert resp.status_code == 400


def test_resource_classes(api: Api) -> None:
    name = f"CUSTOM_RC_{new_uuid().replace('-', '')[:8].upper()}"
    assert api("PUT", f"/resource_classes/{name}").status_code == 201
    assert api("PUT", f"/resource_classes/{name}").status_code == 204
    names = {rc["name"] for rc in api("GET", "/resource_classes").json()["resource_classes"]}
    assert {"VCPU", "MEMORY_MB", "DISK_GB", name} <= names
    assert api("DELETE", "/resource_classes/VCPU").status_code == 400
    rp = provider(api, inventories={name: {"total": 3}})
    assert api("DELETE", f"/resource_classes/{name}").status_code == 409
    assert api("DELETE", f"/resource_providers/{rp}/inventories").status_code == 204
    assert api("DELETE", f"/resource_classes/{name}").status_code == 204


def test_aggregates_generation(api: Api) -> None:
    rp = provider(api)
    aggs = [new_uuid(), new_uuid()]
    old = api("PUT", f"/resource_providers/{rp}/aggregates", json=aggs, version="1.18")
    assert old.status_code == 200 and old.json() == {"aggregates": aggs}
    resp = api(
        "PUT",
        f"/resource_providers/{rp}/aggregates",
        json={"aggregates": aggs[:1], "resource_provider_generation": 0},
    )
    assert resp.status_code == 409
    body = api("GET", f"/resource_providers/{rp}/aggregates").json()
    assert body == {"aggregates": aggs, "resource_provider_generation": 1}
