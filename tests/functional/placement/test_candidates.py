"""GET /allocation_candidates: single providers, nested trees, sharing providers, granular
groups and their policies, over real HTTP. Each test builds its own providers, tagged with
a fresh trait so other tests' providers never match."""

from typing import Any

from tests.functional.placement.conftest import Api
from tests.functional.placement.helpers import new_uuid, provider


def tag() -> str:
    return f"CUSTOM_T{new_uuid().replace('-', '')[:10].upper()}"


def candidates(api: Api, query: str, version: str = "1.39") -> dict[str, Any]:
    resp = api("GET", f"/allocation_candidates?{query}", version=version)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def providers_of(body: dict[str, Any]) -> list[set[str]]:
    return [set(req["allocations"]) for req in body["allocation_requests"]]


def test_single_providers_with_traits_and_limit(api: Api) -> None:
    t = tag()
    inv = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 2048}}
    a = provider(api, inventories=inv, traits=[t, "HW_CPU_X86_AVX2"])
    b = provider(api, inventories=inv, traits=[t])
    provider(api, inventories={"VCPU": {"total": 1}, "MEMORY_MB": {"total": 2048}}, traits=[t])
    body = candidates(api, f"resources=VCPU:2,MEMORY_MB:512&root_required={t}")
    assert sorted(map(sorted, providers_of(body))) == sorted([[a], [b]])
    assert body["provider_summaries"][a]["resources"]["VCPU"] == {"capacity": 8, "used": 0}
    assert "HW_CPU_X86_AVX2" in body["provider_summaries"][a]["traits"]
    only_avx = candidates(api, f"resources=VCPU:2&required={t},HW_CPU_X86_AVX2")
    assert providers_of(only_avx) == [{a}]
    no_avx = candidates(api, f"resources=VCPU:2&required={t},!HW_CPU_X86_AVX2")
    assert providers_of(no_avx) == [{b}]
    limited = candidates(api, f"resources=VCPU:2&required={t}&limit=1")
    assert len(limited["allocation_requests"]) == 1
    assert set(limited["provider_summaries"]) == providers_of(limited)[0]
    # the list format before 1.12, no traits in summaries before 1.17
    old = candidates(api, "resources=VCPU:7", version="1.10")
    assert all(isinstance(r["allocations"], list) for r in old["allocation_requests"])
    assert all("traits" not in s for s in old["provider_summaries"].values())


def test_unknown_names_are_400(api: Api) -> None:
    resp = api("GET", "/allocation_candidates?resources=NOPE:1")
    assert resp.status_code == 400
    resp = api("GET", "/allocation_candidates?resources=VCPU:1&required=CUSTOM_NOPE_X")
    assert resp.status_code == 400
    resp = api("GET", "/allocation_candidates?resources1=VCPU:1&resources2=VCPU:1")
    assert resp.status_code == 400
    assert "group_policy" in resp.json()["errors"][0]["detail"]


def test_sharing_provider_through_aggregate(api: Api) -> None:
    t, agg = tag(), new_uuid()
    cn = provider(api, inventories={"VCPU": {"total": 8}}, traits=[t], aggregates=[agg])
    ss = provider(
        api,
        inventories={"DISK_GB": {"total": 1000}},
        traits=["MISC_SHARES_VIA_AGGREGATE"],
        aggregates=[agg],
    )
    body = candidates(api, f"resources=VCPU:1,DISK_GB:100&root_required={t}")
    assert providers_of(body) == [{cn, ss}]
    request = body["allocation_requests"][0]
    assert request["allocations"][ss]["resources"] == {"DISK_GB": 100}
    assert request["mappings"] == {"": sorted([cn, ss])}
    # the sharing provider outside the requested aggregate cannot lend
    other = new_uuid()
    none = candidates(api, f"resources=VCPU:1,DISK_GB:100&root_required={t}&member_of={other}")
    assert none["allocation_requests"] == []


def numa_host(api: Api, t: str) -> dict[str, str]:
    cn = provider(api, traits=[t])
    ids = {"cn": cn}
    for i in (0, 1):
        numa = provider(
            api, parent=cn, inventories={"VCPU": {"total": 4}, "MEMORY_MB": {"total": 1024}}
        )
        pf = provider(
            api,
            parent=numa,
            inventories={"SRIOV_NET_VF": {"total": 2}},
            traits=["CUSTOM_PHYSNET_A" if i == 0 else "CUSTOM_PHYSNET_B"],
        )
        ids[f"numa{i}"], ids[f"pf{i}"] = numa, pf
    return ids


def test_nested_granular_groups(api: Api) -> None:
    t = tag()
    for physnet in ("CUSTOM_PHYSNET_A", "CUSTOM_PHYSNET_B"):
        api("PUT", f"/traits/{physnet}")
    h = numa_host(api, t)
    # unnumbered: VCPU from either NUMA node, the VF from either PF
    body = candidates(api, f"resources=VCPU:2,SRIOV_NET_VF:1&root_required={t}")
    assert len(body["allocation_requests"]) == 4
    assert set(body["provider_summaries"]) == set(h.values())
    assert body["provider_summaries"][h["pf0"]]["parent_provider_uuid"] == h["numa0"]
    # granular: the VF must come from the PHYSNET_B PF
    body = candidates(
        api,
        f"resources1=VCPU:2&resources2=SRIOV_NET_VF:1&required2=CUSTOM_PHYSNET_B"
        f"&group_policy=none&root_required={t}",
    )
    assert len(body["allocation_requests"]) == 2
    for req in body["allocation_requests"]:
        assert req["mappings"]["2"] == [h["pf1"]]
    # same_subtree: the VF under the same NUMA node as the CPUs
    body = candidates(
        api,
        f"resources1=VCPU:2&resources2=SRIOV_NET_VF:1&same_subtree=1,2"
        f"&group_policy=none&root_required={t}",
    )
    pairs = {(r["mappings"]["1"][0], r["mappings"]["2"][0]) for r in body["allocation_requests"]}
    assert pairs == {(h["numa0"], h["pf0"]), (h["numa1"], h["pf1"])}
    # isolate: two VCPU groups must land on different NUMA nodes
    iso = candidates(
        api, f"resources1=VCPU:3&resources2=VCPU:3&group_policy=isolate&root_required={t}"
    )
    assert len(iso["allocation_requests"]) == 2
    for req in iso["allocation_requests"]:
        assert req["mappings"]["1"] != req["mappings"]["2"]
    together = candidates(
        api, f"resources1=VCPU:2&resources2=VCPU:2&group_policy=none&root_required={t}"
    )
    # none allows both groups on one node (summed to 4): 2 same-node + 2 cross-node
    assert len(together["allocation_requests"]) == 4
    # before 1.29 a tree with nested providers offers no multi-provider candidates
    old = candidates(api, f"resources=VCPU:2,SRIOV_NET_VF:1&required={t}", version="1.28")
    assert old["allocation_requests"] == []


def test_in_tree_and_forbidden_aggregates(api: Api) -> None:
    t, agg = tag(), new_uuid()
    a = provider(api, inventories={"VCPU": {"total": 4}}, traits=[t], aggregates=[agg])
    b = provider(api, inventories={"VCPU": {"total": 4}}, traits=[t])
    body = candidates(api, f"resources=VCPU:1&required={t}&in_tree={b}")
    assert providers_of(body) == [{b}]
    body = candidates(api, f"resources=VCPU:1&required={t}&member_of=!{agg}")
    assert providers_of(body) == [{b}]
    body = candidates(api, f"resources=VCPU:1&required={t}&member_of={agg}")
    assert providers_of(body) == [{a}]
