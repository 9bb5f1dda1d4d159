"""Generic volume groups through the API: group types and their specs, groups with member
volumes, group snapshots, groups made from a snapshot or a source group, the microversions
they appear at, quota, and the refusals cinder answers."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.volume.conftest import Caller

V = "3.20"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def vtype(admin_api: Caller) -> Iterator[dict[str, Any]]:
    resp = admin_api("POST", "/types", json={"volume_type": {"name": _name("gvt")}})
    assert resp.status_code == 200, resp.text
    t = resp.json()["volume_type"]
    yield t
    admin_api("DELETE", f"/types/{t['id']}")


@pytest.fixture
def gtype(admin_api: Caller) -> Iterator[dict[str, Any]]:
    resp = admin_api("POST", "/group_types", version=V, json={"group_type": {"name": _name("gt")}})
    assert resp.status_code == 202, resp.text
    t = resp.json()["group_type"]
    yield t
    admin_api("DELETE", f"/group_types/{t['id']}", version=V)


def _group(api: Caller, gtype: dict[str, Any], vtype: dict[str, Any], **extra: Any) -> str:
    body = {"group_type": gtype["id"], "volume_types": [vtype["id"]], **extra}
    resp = api("POST", "/groups", version=V, json={"group": body})
    assert resp.status_code == 202, resp.text
    gid: str = resp.json()["group"]["id"]
    assert (
        api.wait(f"/groups/{gid}", "group", ("available", "error"), version=V)["status"]
        == "available"
    )
    return gid


def _volume(api: Caller, vtype: dict[str, Any], group_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"size": 1, "volume_type": vtype["id"]}
    if group_id:
        body["group_id"] = group_id
    resp = api("POST", "/volumes", version=V, json={"volume": body})
    assert resp.status_code == 202, resp.text
    vol: dict[str, Any] = resp.json()["volume"]
    api.wait(f"/volumes/{vol['id']}", "volume", "available")
    return vol


def _delete_group(api: Caller, gid: str, *, delete_volumes: bool = True) -> None:
    resp = api(
        "POST",
        f"/groups/{gid}/action",
        version=V,
        json={"delete": {"delete-volumes": delete_volumes}},
    )
    assert resp.status_code == 202, resp.text
    api.wait(f"/groups/{gid}", "group", "deleted", version=V)


# -- group types -------------------------------------------------------------------------


def test_group_type_crud_and_specs(admin_api: Caller, demo_api: Caller) -> None:
    name = _name("gt")
    body = {
        "name": name,
        "description": "d1",
        "is_public": True,
        "group_specs": {"consistent_group_snapshot_enabled": "<is> False"},
    }
    resp = admin_api("POST", "/group_types", version="3.11", json={"group_type": body})
    assert resp.status_code == 202, resp.text
    gt = resp.json()["group_type"]
    assert gt == {**body, "id": gt["id"]}
    # duplicate name: 409
    again = admin_api("POST", "/group_types", version="3.11", json={"group_type": {"name": name}})
    assert again.status_code == 409
    # below 3.11 the resource does not exist
    assert admin_api("GET", "/group_types", version="3.10").status_code == 404
    # non-admins see the type but not its specs, and may not create one
    shown = demo_api("GET", f"/group_types/{gt['id']}", version="3.11").json()["group_type"]
    assert shown["name"] == name and "group_specs" not in shown
    denied = demo_api("POST", "/group_types", version="3.11", json={"group_type": {"name": "x"}})
    assert denied.status_code == 403
    # update
    resp = admin_api(
        "PUT",
        f"/group_types/{gt['id']}",
        version="3.11",
        json={"group_type": {"name": name + "-2", "description": "d2"}},
    )
    assert resp.status_code == 200 and resp.json()["group_type"]["name"] == name + "-2"
    empty = admin_api("PUT", f"/group_types/{gt['id']}", version="3.11", json={"group_type": {}})
    assert empty.status_code == 400
    # specs: create/update merge, show item, update item, delete item
    path = f"/group_types/{gt['id']}/group_specs"
    resp = admin_api("POST", path, version="3.11", json={"group_specs": {"k1": "v1", "k2": "v2"}})
    assert resp.status_code == 202 and resp.json() == {"group_specs": {"k1": "v1", "k2": "v2"}}
    assert admin_api("GET", f"{path}/k1", version="3.11").json() == {"k1": "v1"}
    resp = admin_api("PUT", f"{path}/k2", version="3.11", json={"k2": "v2b"})
    assert resp.status_code == 200 and resp.json() == {"k2": "v2b"}
    mismatch = admin_api("PUT", f"{path}/k2", version="3.11", json={"k3": "x"})
    assert mismatch.status_code == 400
    listed = admin_api("GET", path, version="3.11").json()["group_specs"]
    assert listed == {"consistent_group_snapshot_enabled": "<is> False", "k1": "v1", "k2": "v2b"}
    assert admin_api("DELETE", f"{path}/k1", version="3.11").status_code == 202
    assert admin_api("GET", f"{path}/k1", version="3.11").status_code == 404
    assert admin_api("DELETE", f"{path}/k1", version="3.11").status_code == 404
    # delete
    assert admin_api("DELETE", f"/group_types/{gt['id']}", version="3.11").status_code == 202
    assert admin_api("GET", f"/group_types/{gt['id']}", version="3.11").status_code == 404


def test_group_type_list_public_private_and_sorted(admin_api: Caller, demo_api: Caller) -> None:
    a = admin_api(
        "POST", "/group_types", version=V, json={"group_type": {"name": "a-" + _name("gt")}}
    ).json()["group_type"]
    b = admin_api(
        "POST",
        "/group_types",
        version=V,
        json={"group_type": {"name": "b-" + _name("gt"), "is_public": False}},
    ).json()["group_type"]
    try:

        def names(api: Caller, query: str) -> list[str]:
            resp = api("GET", f"/group_types{query}", version=V)
            assert resp.status_code == 200, resp.text
            return [t["name"] for t in resp.json()["group_types"]]

        both = names(admin_api, "?is_public=None&sort=name:asc")
        assert both.index(a["name"]) < both.index(b["name"])
        both = names(admin_api, "?is_public=None&sort=name:desc")
        assert both.index(b["name"]) < both.index(a["name"])
        private = names(admin_api, "?is_public=false")
        assert b["name"] in private and a["name"] not in private
        public = names(admin_api, "?is_public=true")
        assert a["name"] in public and b["name"] not in public
        # a project without access never sees the private type
        mine = names(demo_api, "?is_public=None")
        assert a["name"] in mine and b["name"] not in mine
        assert demo_api("GET", f"/group_types/{b['id']}", version=V).status_code == 404
        bad = admin_api("GET", "/group_types?sort=bogus:asc", version=V)
        assert bad.status_code == 400
    finally:
        for t in (a, b):
            admin_api("DELETE", f"/group_types/{t['id']}", version=V)


def test_default_group_type_unset_is_404(admin_api: Caller) -> None:
    resp = admin_api("GET", "/group_types/default", version=V)
    assert resp.status_code == 404
    assert "Default group type" in resp.json()["itemNotFound"]["message"]


# -- groups ------------------------------------------------------------------------------


def test_group_lifecycle_with_volumes(
    demo_api: Caller, admin_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    g1 = _group(demo_api, gtype, vtype, name="g1", description="first")
    g2 = _group(demo_api, gtype, vtype, name="g2")
    vol = _volume(demo_api, vtype, g1)
    assert vol["group_id"] == g1
    shown = demo_api("GET", f"/groups/{g1}?list_volume=true", version="3.25").json()["group"]
    assert shown["name"] == "g1" and shown["description"] == "first"
    assert shown["group_type"] == gtype["id"] and shown["volume_types"] == [vtype["id"]]
    assert shown["volumes"] == [vol["id"]] and shown["status"] == "available"
    assert shown["group_snapshot_id"] is None and shown["source_group_id"] is None
    assert "project_id" not in shown  # 3.58+, admin only
    admin_view = admin_api("GET", f"/groups/{g1}", version="3.58").json()["group"]
    assert admin_view["project_id"] == demo_api.project_id
    listed = demo_api("GET", "/groups", version=V).json()["groups"]
    assert {g["id"] for g in listed} >= {g1, g2} and set(listed[0]) == {"id", "name"}
    detailed = demo_api("GET", "/groups/detail", version=V).json()["groups"]
    assert all(g["volume_types"] == [vtype["id"]] for g in detailed if g["id"] in (g1, g2))
    # volumes show and filter by group_id
    by_group = demo_api("GET", f"/volumes/detail?group_id={g1}", version=V).json()["volumes"]
    assert [v["id"] for v in by_group] == [vol["id"]]
    assert (
        demo_api("GET", f"/volumes/{vol['id']}", version="3.12")
        .json()["volume"]
        .get("group_id", "absent")
        == "absent"
    )
    # a group member is deleted with its group, not alone
    alone = demo_api("DELETE", f"/volumes/{vol['id']}", version=V)
    assert alone.status_code == 400
    # a group with volumes needs delete-volumes
    keep = demo_api(
        "POST", f"/groups/{g1}/action", version=V, json={"delete": {"delete-volumes": False}}
    )
    assert keep.status_code == 400 and "still contains volumes" in keep.text
    _delete_group(demo_api, g1)
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "deleted")
    _delete_group(demo_api, g2, delete_volumes=False)
    # groups need 3.13
    assert demo_api("GET", "/groups", version="3.12").status_code == 404


def test_group_create_refusals(
    demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    for body, code in (
        ({"volume_types": [vtype["id"]]}, 400),  # no group_type
        ({"group_type": gtype["id"]}, 400),  # no volume_types
        ({"group_type": gtype["id"], "volume_types": []}, 400),
        ({"group_type": gtype["id"], "volume_types": [vtype["id"]], "bogus": 1}, 400),
        ({"group_type": str(uuid.uuid4()), "volume_types": [vtype["id"]]}, 404),
        ({"group_type": gtype["id"], "volume_types": ["no-such-type"]}, 404),
        (
            {
                "group_type": gtype["id"],
                "volume_types": [vtype["id"]],
                "availability_zone": "nowhere",
            },
            400,
        ),
    ):
        resp = demo_api("POST", "/groups", version=V, json={"group": body})
        assert resp.status_code == code, (body, resp.text)
    assert not [
        g
        for g in demo_api("GET", "/groups/detail", version=V).json()["groups"]
        if g["group_type"] == gtype["id"]
    ]


def test_volume_type_must_belong_to_group(
    demo_api: Caller, admin_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    gid = _group(demo_api, gtype, vtype)
    try:
        other = demo_api(
            "POST", "/volumes", version=V, json={"volume": {"size": 1, "group_id": gid}}
        )
        assert other.status_code == 400 and "supported by this group" in other.text
        # a volume type used by a group cannot be deleted
        assert admin_api("DELETE", f"/types/{vtype['id']}").status_code == 400
        # nor a group type with groups
        in_use = admin_api("DELETE", f"/group_types/{gtype['id']}", version=V)
        assert in_use.status_code == 400
    finally:
        _delete_group(demo_api, gid)


def test_update_add_remove_volumes(
    demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    gid = _group(demo_api, gtype, vtype)
    vols = [_volume(demo_api, vtype, gid) for _ in range(2)]
    loose = _volume(demo_api, vtype)
    path = f"/groups/{gid}"
    for vol in vols:
        resp = demo_api("PUT", path, version=V, json={"group": {"remove_volumes": vol["id"]}})
        assert resp.status_code == 202, resp.text
        demo_api.wait(path, "group", "available", version=V)
        assert (
            demo_api("GET", f"/volumes/{vol['id']}", version=V).json()["volume"]["group_id"] is None
        )
        resp = demo_api("PUT", path, version=V, json={"group": {"add_volumes": vol["id"]}})
        assert resp.status_code == 202, resp.text
        demo_api.wait(path, "group", "available", version=V)
    members = demo_api("GET", f"/volumes/detail?group_id={gid}", version=V).json()["volumes"]
    assert {v["id"] for v in members} == {v["id"] for v in vols}
    # refusals: the same id in both lists, removing a non-member, nothing to do
    both = demo_api(
        "PUT",
        path,
        version=V,
        json={"group": {"add_volumes": loose["id"], "remove_volumes": loose["id"]}},
    )
    assert both.status_code == 400
    not_member = demo_api("PUT", path, version=V, json={"group": {"remove_volumes": loose["id"]}})
    assert not_member.status_code == 400 and "not in the group" in not_member.text
    nothing = demo_api("PUT", path, version=V, json={"group": {"bogus": "x"}})
    assert nothing.status_code == 400
    renamed = demo_api("PUT", path, version=V, json={"group": {"name": "renamed"}})
    assert renamed.status_code == 202
    assert demo_api("GET", path, version=V).json()["group"]["name"] == "renamed"
    _delete_group(demo_api, gid)
    demo_api("DELETE", f"/volumes/{loose['id']}")


def test_reset_group_status(
    admin_api: Caller, demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    gid = _group(demo_api, gtype, vtype)
    action = f"/groups/{gid}/action"
    denied = demo_api("POST", action, version=V, json={"reset_status": {"status": "error"}})
    assert denied.status_code == 403
    old = admin_api("POST", action, version="3.19", json={"reset_status": {"status": "error"}})
    assert old.status_code == 404
    bad = admin_api("POST", action, version=V, json={"reset_status": {"status": "bogus"}})
    assert bad.status_code == 400
    for status in ("creating", "available", "error"):
        resp = admin_api("POST", action, version=V, json={"reset_status": {"status": status}})
        assert resp.status_code == 202
        assert demo_api("GET", f"/groups/{gid}", version=V).json()["group"]["status"] == status
    _delete_group(demo_api, gid)


def test_groups_quota(
    admin_api: Caller, demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    project = demo_api.project_id
    quota = admin_api("GET", f"/os-quota-sets/{project}?usage=true").json()["quota_set"]
    used, limit = quota["groups"]["in_use"], quota["groups"]["limit"]
    resp = admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"groups": used + 1}})
    assert resp.status_code == 200, resp.text
    try:
        gid = _group(demo_api, gtype, vtype)
        over = demo_api(
            "POST",
            "/groups",
            version=V,
            json={"group": {"group_type": gtype["id"], "volume_types": [vtype["id"]]}},
        )
        assert over.status_code == 413 and "groups" in over.text
        usage = admin_api("GET", f"/os-quota-sets/{project}?usage=true").json()["quota_set"]
        assert usage["groups"]["in_use"] == used + 1
        _delete_group(demo_api, gid)
    finally:
        admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"groups": limit}})


# -- group snapshots ---------------------------------------------------------------------


def test_group_snapshot_and_groups_from_sources(
    admin_api: Caller, demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    gid = _group(demo_api, gtype, vtype)
    vols = [_volume(demo_api, vtype, gid) for _ in range(2)]
    resp = demo_api(
        "POST",
        "/group_snapshots",
        version=V,
        json={"group_snapshot": {"group_id": gid, "name": "gs1", "description": "d"}},
    )
    assert resp.status_code == 202, resp.text
    created = resp.json()["group_snapshot"]
    assert set(created) == {"id", "name", "group_type_id"}
    gsid = created["id"]
    gs = demo_api.wait(f"/group_snapshots/{gsid}", "group_snapshot", "available", version=V)
    assert gs["group_id"] == gid and gs["group_type_id"] == gtype["id"] and gs["name"] == "gs1"
    snaps = demo_api("GET", "/snapshots/detail", version=V).json()["snapshots"]
    members = [s for s in snaps if s["group_snapshot_id"] == gsid]
    assert sorted(s["volume_id"] for s in members) == sorted(v["id"] for v in vols)
    assert all(s["status"] == "available" for s in members)
    # a member snapshot goes with its group snapshot; a group with snapshots stays
    assert demo_api("DELETE", f"/snapshots/{members[0]['id']}").status_code == 400
    busy = demo_api("POST", f"/groups/{gid}/action", version=V, json={"delete": {}})
    assert busy.status_code == 400
    listed = demo_api("GET", "/group_snapshots/detail", version=V).json()["group_snapshots"]
    assert any(g["id"] == gsid and g["created_at"] for g in listed)

    # a group from the group snapshot: one volume per snapshot
    resp = demo_api(
        "POST",
        "/groups/action",
        version=V,
        json={"create-from-src": {"group_snapshot_id": gsid, "name": "from-snap"}},
    )
    assert resp.status_code == 202, resp.text
    g2 = resp.json()["group"]["id"]
    g2_view = demo_api.wait(f"/groups/{g2}", "group", "available", version=V)
    assert g2_view["group_snapshot_id"] == gsid and g2_view["volume_types"] == [vtype["id"]]
    made = demo_api("GET", f"/volumes/detail?group_id={g2}", version=V).json()["volumes"]
    assert len(made) == 2 and all(v["status"] == "available" for v in made)
    assert {v["snapshot_id"] for v in made} == {s["id"] for s in members}
    # the group snapshot may not go while... it is no longer in use: it may go now
    # a group from a source group: one clone per volume
    resp = demo_api(
        "POST",
        "/groups/action",
        version=V,
        json={"create-from-src": {"source_group_id": gid, "name": "clone"}},
    )
    assert resp.status_code == 202, resp.text
    g3 = resp.json()["group"]["id"]
    assert demo_api.wait(f"/groups/{g3}", "group", "available", version=V)["source_group_id"] == gid
    clones = demo_api("GET", f"/volumes/detail?group_id={g3}", version=V).json()["volumes"]
    assert sorted(v["source_volid"] for v in clones) == sorted(v["id"] for v in vols)
    both = demo_api(
        "POST",
        "/groups/action",
        version=V,
        json={"create-from-src": {"source_group_id": gid, "group_snapshot_id": gsid}},
    )
    assert both.status_code == 400

    # reset status (3.19, admin)
    action = f"/group_snapshots/{gsid}/action"
    assert (
        admin_api(
            "POST", action, version="3.18", json={"reset_status": {"status": "error"}}
        ).status_code
        == 404
    )
    for status in ("creating", "available", "error"):
        r = admin_api("POST", action, version=V, json={"reset_status": {"status": status}})
        assert r.status_code == 202
        assert demo_api.wait(f"/group_snapshots/{gsid}", "group_snapshot", status, version=V)
    # delete the group snapshot with its snapshots, then the groups
    assert demo_api("DELETE", f"/group_snapshots/{gsid}", version=V).status_code == 202
    demo_api.wait(f"/group_snapshots/{gsid}", "group_snapshot", "deleted", version=V)
    for s in members:
        demo_api.wait(f"/snapshots/{s['id']}", "snapshot", "deleted")
    for g in (g2, g3, gid):
        _delete_group(demo_api, g)
    assert not demo_api("GET", "/group_snapshots", version=V).json()["group_snapshots"]


def test_group_snapshot_microversion_and_missing_group(demo_api: Caller) -> None:
    assert demo_api("GET", "/group_snapshots", version="3.13").status_code == 404
    resp = demo_api(
        "POST",
        "/group_snapshots",
        version=V,
        json={"group_snapshot": {"group_id": str(uuid.uuid4())}},
    )
    assert resp.status_code == 404
    assert demo_api("GET", f"/group_snapshots/{uuid.uuid4()}", version=V).status_code == 404


def test_group_from_snapshot_over_volume_quota_changes_nothing(
    admin_api: Caller, demo_api: Caller, gtype: dict[str, Any], vtype: dict[str, Any]
) -> None:
    gid = _group(demo_api, gtype, vtype)
    [_volume(demo_api, vtype, gid) for _ in range(2)]
    resp = demo_api(
        "POST", "/group_snapshots", version=V, json={"group_snapshot": {"group_id": gid}}
    )
    gsid = resp.json()["group_snapshot"]["id"]
    demo_api.wait(f"/group_snapshots/{gsid}", "group_snapshot", "available", version=V)
    project = demo_api.project_id
    usage = admin_api("GET", f"/os-quota-sets/{project}?usage=true").json()["quota_set"]
    used = usage["volumes"]["in_use"]
    groups_before = len(demo_api("GET", "/groups", version=V).json()["groups"])
    # room for one more volume, the group snapshot holds two
    admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"volumes": used + 1}})
    try:
        over = demo_api(
            "POST",
            "/groups/action",
            version=V,
            json={"create-from-src": {"group_snapshot_id": gsid}},
        )
        assert over.status_code == 413, over.text
        assert len(demo_api("GET", "/groups", version=V).json()["groups"]) == groups_before
        after = admin_api("GET", f"/os-quota-sets/{project}?usage=true").json()["quota_set"]
        assert after["volumes"]["in_use"] == used
    finally:
        limit = usage["volumes"]["limit"]
        admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"volumes": limit}})
    demo_api("DELETE", f"/group_snapshots/{gsid}", version=V)
    demo_api.wait(f"/group_snapshots/{gsid}", "group_snapshot", "deleted", version=V)
    _delete_group(demo_api, gid)


# -- consistency groups (cinder's older API over groups) ----------------------------------


def test_consistency_group_api(admin_api: Caller, vtype: dict[str, Any]) -> None:
    resp = admin_api(
        "POST",
        "/consistencygroups",
        json={"consistencygroup": {"name": "cg1", "volume_types": vtype["id"] + ","}},
    )
    assert resp.status_code == 202, resp.text
    cg = resp.json()["consistencygroup"]
    assert set(cg) == {"id", "name"} and cg["name"] == "cg1"
    shown = admin_api.wait(f"/consistencygroups/{cg['id']}", "consistencygroup", "available")
    assert shown["volume_types"] == [vtype["id"]]
    # it is a group of the reserved type: the group API keeps its hands off
    assert admin_api("GET", f"/groups/{cg['id']}", version=V).status_code == 400
    assert cg["id"] not in {
        g["id"] for g in admin_api("GET", "/groups", version=V).json()["groups"]
    }
    types = admin_api("GET", "/group_types", version=V).json()["group_types"]
    assert "default_cgsnapshot_type" in {t["name"] for t in types}
    vol = admin_api(
        "POST",
        "/volumes",
        json={"volume": {"size": 1, "volume_type": vtype["id"], "consistencygroup_id": cg["id"]}},
    ).json()["volume"]
    admin_api.wait(f"/volumes/{vol['id']}", "volume", "available")
    listed = admin_api("GET", "/consistencygroups/detail").json()["consistencygroups"]
    assert any(c["id"] == cg["id"] and c["name"] == "cg1" for c in listed)
    # cgsnapshot, then a CG from it and from the source CG
    resp = admin_api(
        "POST", "/cgsnapshots", json={"cgsnapshot": {"consistencygroup_id": cg["id"], "name": "s"}}
    )
    assert resp.status_code == 202, resp.text
    snap = resp.json()["cgsnapshot"]
    shown_snap = admin_api.wait(f"/cgsnapshots/{snap['id']}", "cgsnapshot", "available")
    assert shown_snap["consistencygroup_id"] == cg["id"]
    # and its snapshots stay out of the group snapshot API
    assert admin_api("GET", f"/group_snapshots/{snap['id']}", version=V).status_code == 400
    listed_gs = admin_api("GET", "/group_snapshots", version=V).json()["group_snapshots"]
    assert snap["id"] not in {g["id"] for g in listed_gs}
    made = []
    for src in ({"cgsnapshot_id": snap["id"]}, {"source_cgid": cg["id"]}):
        resp = admin_api(
            "POST", "/consistencygroups/create_from_src", json={"consistencygroup-from-src": src}
        )
        assert resp.status_code == 202, resp.text
        made.append(resp.json()["consistencygroup"]["id"])
        admin_api.wait(f"/consistencygroups/{made[-1]}", "consistencygroup", "available")
    neither = admin_api(
        "POST", "/consistencygroups/create_from_src", json={"consistencygroup-from-src": {}}
    )
    assert neither.status_code == 400
    assert admin_api("DELETE", f"/cgsnapshots/{snap['id']}").status_code == 202
    admin_api.wait(f"/cgsnapshots/{snap['id']}", "cgsnapshot", "deleted")
    for gid in (*made, cg["id"]):
        resp = admin_api(
            "POST", f"/consistencygroups/{gid}/delete", json={"consistencygroup": {"force": True}}
        )
        assert resp.status_code == 202, resp.text
        admin_api.wait(f"/consistencygroups/{gid}", "consistencygroup", "deleted")
    admin_api.wait(f"/volumes/{vol['id']}", "volume", "deleted")


def test_group_no_backend_goes_to_error_and_deletes(
    admin_api: Caller, demo_api: Caller, gtype: dict[str, Any]
) -> None:
    body = {"name": _name("nowhere"), "extra_specs": {"RESKEY:availability_zones": "mars"}}
    vt = admin_api("POST", "/types", json={"volume_type": body}).json()["volume_type"]
    try:
        resp = demo_api(
            "POST",
            "/groups",
            version=V,
            json={"group": {"group_type": gtype["id"], "volume_types": [vt["id"]]}},
        )
        assert resp.status_code == 202, resp.text
        gid = resp.json()["group"]["id"]
        assert (
            demo_api.wait(f"/groups/{gid}", "group", ("available", "error"), version=V)["status"]
            == "error"
        )
        # nothing can join it
        joined = demo_api(
            "POST",
            "/volumes",
            version=V,
            json={"volume": {"size": 1, "volume_type": vt["id"], "group_id": gid}},
        )
        assert joined.status_code == 400
        _delete_group(demo_api, gid, delete_volumes=False)
    finally:
        admin_api("DELETE", f"/types/{vt['id']}")
