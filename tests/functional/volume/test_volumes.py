"""Volumes through the API: create/list/show/update/delete, the status machine, metadata,
extend, bad input, pagination, and what an OpenStack user sees."""

import uuid
from typing import Any

from tests.functional.volume.conftest import Caller


def _create(api: Caller, **body: Any) -> dict[str, Any]:
    resp = api("POST", "/volumes", json={"volume": {"size": 1, **body}})
    assert resp.status_code == 202, resp.text
    vol = resp.json()["volume"]
    return api.wait(f"/volumes/{vol['id']}", "volume", ("available", "error"))


def test_version_document(cloud: Any) -> None:
    import httpx

    resp = httpx.get(f"{cloud.url}/volume/")
    assert resp.status_code == 300
    doc = resp.json()["versions"][0]
    assert doc["id"] == "v3.0" and doc["min_version"] == "3.0" and doc["version"] == "3.71"


def test_create_show_list_update_delete(demo_api: Caller) -> None:
    vol = _create(demo_api, name="v1", description="first", metadata={"a": "b"})
    assert vol["status"] == "available"
    assert vol["size"] == 1 and vol["bootable"] == "false" and vol["multiattach"] is False
    assert vol["volume_type"] == "__DEFAULT__" and vol["metadata"] == {"a": "b"}
    assert "os-vol-host-attr:host" not in vol  # admin only
    listed = demo_api("GET", "/volumes").json()["volumes"]
    assert {"id": vol["id"], "name": "v1"}.items() <= listed[0].items() or any(
        v["id"] == vol["id"] for v in listed
    )
    resp = demo_api("PUT", f"/volumes/{vol['id']}", json={"volume": {"name": "renamed"}})
    assert resp.status_code == 200 and resp.json()["volume"]["name"] == "renamed"
    assert demo_api("DELETE", f"/volumes/{vol['id']}").status_code == 202
    demo_api.wait(f"/volumes/{vol['id']}", "volume", "deleted")


def test_admin_sees_host(admin_api: Caller, demo_api: Caller) -> None:
    vol = _create(demo_api)
    shown = admin_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert shown["os-vol-host-attr:host"] == "stratus@file#file"
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_bad_input(demo_api: Caller) -> None:
    for body in ({"size": 0}, {"size": "abc"}, {"size": -1}, {}):
        resp = demo_api("POST", "/volumes", json={"volume": body})
        assert resp.status_code == 400, (body, resp.text)
        assert "badRequest" in resp.json()
    resp = demo_api("POST", "/volumes", json={"volume": {"size": 1, "volume_type": "nope"}})
    assert resp.status_code == 404 and "itemNotFound" in resp.json()
    resp = demo_api("GET", f"/volumes/{uuid.uuid4()}")
    assert resp.status_code == 404
    assert "could not be found" in resp.json()["itemNotFound"]["message"]


def test_extend_smaller_is_refused_and_nothing_changes(demo_api: Caller) -> None:
    vol = _create(demo_api, size=2)
    resp = demo_api("POST", f"/volumes/{vol['id']}/action", json={"os-extend": {"new_size": 1}})
    assert resp.status_code == 400
    assert "must be greater than current size" in resp.json()["badRequest"]["message"]
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["size"] == 2
    resp = demo_api("POST", f"/volumes/{vol['id']}/action", json={"os-extend": {"new_size": 3}})
    assert resp.status_code == 202
    shown = demo_api.wait(f"/volumes/{vol['id']}", "volume", "available")
    assert shown["size"] == 3
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_metadata(demo_api: Caller) -> None:
    vol = _create(demo_api)
    base = f"/volumes/{vol['id']}/metadata"
    assert demo_api("POST", base, json={"metadata": {"k1": "v1"}}).json() == {
        "metadata": {"k1": "v1"}
    }
    assert demo_api("PUT", f"{base}/k2", json={"meta": {"k2": "v2"}}).json() == {
        "meta": {"k2": "v2"}
    }
    assert demo_api("GET", base).json()["metadata"] == {"k1": "v1", "k2": "v2"}
    assert demo_api("DELETE", f"{base}/k1").status_code == 200
    assert demo_api("GET", f"{base}/k1").status_code == 404
    assert demo_api("PUT", base, json={"metadata": {"x": "y"}}).json()["metadata"] == {"x": "y"}
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_pagination(demo_api: Caller) -> None:
    ids = [_create(demo_api, name=f"page-{i}")["id"] for i in range(3)]
    first = demo_api("GET", "/volumes?limit=2&sort=name:asc&name~=page-").json()
    assert [v["name"] for v in first["volumes"]] == ["page-0", "page-1"]
    nxt = first["volumes_links"][0]["href"]
    assert "marker=" in nxt
    second = demo_api(
        "GET", f"/volumes?limit=2&sort=name:asc&name~=page-&marker={first['volumes'][1]['id']}"
    ).json()
    assert [v["name"] for v in second["volumes"]] == ["page-2"]
    for i in ids:
        demo_api("DELETE", f"/volumes/{i}")


def test_microversion_negotiation(demo_api: Caller) -> None:
    resp = demo_api("GET", "/volumes/detail", version="3.64")
    assert resp.status_code == 200
    assert resp.headers["OpenStack-API-Version"] == "volume 3.64"
    assert demo_api("GET", "/volumes", version="3.99").status_code == 406
    vol = _create(demo_api)
    shown = demo_api("GET", f"/volumes/{vol['id']}", version="3.63").json()["volume"]
    assert "volume_type_id" in shown
    old = demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert "volume_type_id" not in old
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_attachments_api_and_multiattach(admin_api: Caller, demo_api: Caller) -> None:
    server_a, server_b = str(uuid.uuid4()), str(uuid.uuid4())
    vol = _create(demo_api)
    resp = demo_api(
        "POST",
        "/attachments",
        json={"attachment": {"volume_uuid": vol["id"], "instance_uuid": server_a}},
        version="3.27",
    )
    assert resp.status_code == 200, resp.text
    att = resp.json()["attachment"]
    assert att["status"] == "reserved"
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "reserved"
    connector = {"host": "compute-1", "initiator": "iqn.test", "mountpoint": "/dev/vdb"}
    resp = demo_api(
        "PUT",
        f"/attachments/{att['id']}",
        json={"attachment": {"connector": connector}},
        version="3.27",
    )
    assert resp.status_code == 200 and resp.json()["attachment"]["connection_info"]
    resp = demo_api(
        "POST", f"/attachments/{att['id']}/action", json={"os-complete": None}, version="3.44"
    )
    assert resp.status_code == 204
    shown = demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert shown["status"] == "in-use" and shown["attachments"][0]["server_id"] == server_a
    # not multiattach: a second attachment is refused, nothing changes
    resp = demo_api(
        "POST",
        "/attachments",
        json={"attachment": {"volume_uuid": vol["id"], "instance_uuid": server_b}},
        version="3.27",
    )
    assert resp.status_code == 400
    assert len(demo_api("GET", "/attachments", version="3.27").json()["attachments"]) == 1
    assert demo_api("GET", "/attachments", version="3.26").status_code == 404
    assert demo_api("DELETE", f"/attachments/{att['id']}", version="3.27").status_code == 200
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"
    demo_api("DELETE", f"/volumes/{vol['id']}")
    # a multiattach type lets two servers attach the same volume
    resp = admin_api(
        "POST",
        "/types",
        json={"volume_type": {"name": "multi", "extra_specs": {"multiattach": "<is> True"}}},
    )
    assert resp.status_code == 200, resp.text
    vol = _create(demo_api, volume_type="multi")
    assert vol["multiattach"] is True
    for server in (server_a, server_b):
        resp = demo_api(
            "POST",
            f"/volumes/{vol['id']}/action",
            json={"os-attach": {"instance_uuid": server, "mountpoint": "/dev/vdc"}},
        )
        assert resp.status_code == 202, resp.text
    shown = demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]
    assert {a["server_id"] for a in shown["attachments"]} == {server_a, server_b}
    for a in shown["attachments"]:
        demo_api(
            "POST",
            f"/volumes/{vol['id']}/action",
            json={"os-detach": {"attachment_id": a["attachment_id"]}},
        )
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["status"] == "available"
    demo_api("DELETE", f"/volumes/{vol['id']}")


def test_quota_is_enforced(admin_api: Caller, demo_api: Caller) -> None:
    project = demo_api.project_id
    resp = admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"gigabytes": 3}})
    assert resp.status_code == 200 and resp.json()["quota_set"]["gigabytes"] == 3
    try:
        before = demo_api("GET", f"/os-quota-sets/{project}?usage=True").json()["quota_set"]
        room = 3 - before["gigabytes"]["in_use"]
        resp = demo_api("POST", "/volumes", json={"volume": {"size": room + 1}})
        assert resp.status_code == 413
        assert "VolumeSizeExceedsAvailableQuota" in resp.json()["overLimit"]["message"]
        after = demo_api("GET", f"/os-quota-sets/{project}?usage=True").json()["quota_set"]
        assert after["volumes"]["in_use"] == before["volumes"]["in_use"]
        limits = demo_api("GET", "/limits").json()["limits"]["absolute"]
        assert limits["maxTotalVolumeGigabytes"] == 3
    finally:
        admin_api("DELETE", f"/os-quota-sets/{project}")


def test_types_qos_and_pools(admin_api: Caller, demo_api: Caller) -> None:
    resp = admin_api(
        "POST",
        "/qos-specs",
        json={"qos_specs": {"name": "silver", "consumer": "front-end", "total_iops_sec": "1000"}},
    )
    assert resp.status_code == 200, resp.text
    qos = resp.json()["qos_specs"]
    assert qos["specs"] == {"total_iops_sec": "1000"}
    bad = admin_api("POST", "/qos-specs", json={"qos_specs": {"name": "x", "read_iops_sec": "-1"}})
    assert bad.status_code == 400
    t = admin_api("POST", "/types", json={"volume_type": {"name": "silver-type"}}).json()[
        "volume_type"
    ]
    assert (
        admin_api("GET", f"/qos-specs/{qos['id']}/associate?vol_type_id={t['id']}").status_code
        == 202
    )
    assert admin_api("GET", f"/types/{t['id']}").json()["volume_type"]["qos_specs_id"] == qos["id"]
    assert admin_api("DELETE", f"/qos-specs/{qos['id']}").status_code == 400  # in use
    assert admin_api("DELETE", f"/qos-specs/{qos['id']}?force=True").status_code == 202
    # scheduler: a type asking for a backend that does not exist gives an error volume
    admin_api(
        "POST",
        f"/types/{t['id']}/extra_specs",
        json={"extra_specs": {"volume_backend_name": "nope"}},
    )
    vol = _create(demo_api, volume_type="silver-type")
    assert vol["status"] == "error"
    demo_api("DELETE", f"/volumes/{vol['id']}")
    pools = admin_api("GET", "/scheduler-stats/get_pools?detail=True").json()["pools"]
    assert pools[0]["name"] == "stratus@file#file"
    assert pools[0]["capabilities"]["thin_provisioning_support"] is True
    assert demo_api("GET", "/scheduler-stats/get_pools").status_code == 403


def test_retype_in_place_and_refusals(admin_api: Caller, demo_api: Caller) -> None:
    admin_api("POST", "/types", json={"volume_type": {"name": "gold"}})
    admin_api(
        "POST",
        "/types",
        json={
            "volume_type": {"name": "elsewhere", "extra_specs": {"volume_backend_name": "other"}}
        },
    )
    vol = _create(demo_api)
    retype = {"os-retype": {"new_type": "gold", "migration_policy": "never"}}
    assert demo_api("POST", f"/volumes/{vol['id']}/action", json=retype).status_code == 202
    assert demo_api.wait(f"/volumes/{vol['id']}", "volume", "available")["volume_type"] == "gold"
    # same type again, or a type no backend can serve: 400, nothing changes
    assert demo_api("POST", f"/volumes/{vol['id']}/action", json=retype).status_code == 400
    other = {"os-retype": {"new_type": "elsewhere", "migration_policy": "on-demand"}}
    assert demo_api("POST", f"/volumes/{vol['id']}/action", json=other).status_code == 400
    assert demo_api("GET", f"/volumes/{vol['id']}").json()["volume"]["volume_type"] == "gold"
    demo_api("DELETE", f"/volumes/{vol['id']}")
