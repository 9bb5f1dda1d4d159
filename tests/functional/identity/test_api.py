"""Identity through real HTTP: openstacksdk for the happy paths, raw requests for the exact
statuses and error bodies of bad input."""

import uuid
from typing import Any

import httpx
import pytest
from openstack.exceptions import ForbiddenException

from stratus.testing import RunningCloud
from tests.functional.identity.helpers import admin_token, call, token_for


def uid() -> str:
    return uuid.uuid4().hex[:8]


def test_version_documents(cloud: RunningCloud) -> None:
    root = httpx.get(f"{cloud.url}/")
    assert root.status_code == 300
    assert root.json()["versions"]["values"][0]["id"].startswith("v3.")
    v3 = httpx.get(f"{cloud.url}/identity/v3")
    assert v3.status_code == 200
    assert (
        v3.json()["version"]["media-types"][0]["type"]
        == "application/vnd.openstack.identity-v3+json"
    )
    assert v3.headers["x-openstack-request-id"].startswith("req-")


def test_sdk_crud(admin: Any) -> None:
    domain = admin.identity.create_domain(name=f"dom-{uid()}", description="d")
    project = admin.identity.create_project(name=f"p-{uid()}", domain_id=domain.id, tags=["a", "b"])
    child = admin.identity.create_project(name=f"c-{uid()}", parent_id=project.id)
    assert child.domain_id == domain.id and child.parent_id == project.id
    user = admin.identity.create_user(name=f"u-{uid()}", domain_id=domain.id, password="pw-1234")
    group = admin.identity.create_group(name=f"g-{uid()}", domain_id=domain.id)
    admin.identity.add_user_to_group(user, group)
    assert admin.identity.check_user_in_group(user, group)
    role = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_group(project, group, role)
    assert "member" in {r.name for r in admin.identity.roles()}
    names = {p.name for p in admin.identity.projects(domain_id=domain.id)}
    assert names == {project.name, child.name}
    assert {p.name for p in admin.identity.projects(tags="a")} == {project.name}
    # project with children cannot be deleted; the leaf can
    with pytest.raises(ForbiddenException, match=r"not a leaf"):
        admin.identity.delete_project(project)
    admin.identity.delete_project(child)
    admin.identity.delete_project(project)
    # an enabled domain cannot be deleted; disabled it can, with everything in it
    with pytest.raises(ForbiddenException, match=r"disable"):
        admin.identity.delete_domain(domain)
    admin.identity.update_domain(domain, enabled=False)
    admin.identity.delete_domain(domain)
    assert admin.identity.find_user(user.id) is None


def test_group_role_gives_token_roles(cloud: RunningCloud, admin: Any) -> None:
    project = admin.identity.create_project(name=f"p-{uid()}", domain_id="default")
    user = admin.identity.create_user(name=f"u-{uid()}", domain_id="default", password="pw-1234")
    group = admin.identity.create_group(name=f"g-{uid()}", domain_id="default")
    admin.identity.add_user_to_group(user, group)
    admin.identity.assign_project_role_to_group(project, group, admin.identity.find_role("member"))
    resp = token_for(cloud, user.name, "pw-1234", project=project.name)
    assert resp.status_code == 201, resp.text
    roles = {r["name"] for r in resp.json()["token"]["roles"]}
    assert roles == {"member", "reader"}  # reader is implied by member
    assert resp.json()["token"]["catalog"]


def test_wrong_password_is_a_plain_401(cloud: RunningCloud) -> None:
    for user, password in (("admin", "wrong"), ("nobody-at-all", "wrong")):
        resp = token_for(cloud, user, password)
        assert resp.status_code == 401
        body = resp.json()["error"]
        assert body["code"] == 401
        assert body["message"] == "The request you have made requires authentication."


@pytest.mark.parametrize(
    "body,status",
    [
        (b"{not json", 400),
        (b'{"auth": "x"}', 400),
        (b'{"auth": {"identity": {"methods": "password"}}}', 400),
        (b"{}", 400),
    ],
)
def test_malformed_auth_requests(cloud: RunningCloud, body: bytes, status: int) -> None:
    resp = httpx.post(
        f"{cloud.url}/v3/auth/tokens", content=body, headers={"content-type": "application/json"}
    )
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == status


def test_bad_input_changes_nothing(cloud: RunningCloud) -> None:
    token = admin_token(cloud)
    before = call(cloud, "GET", "/v3/projects", token).json()["projects"]
    for payload in (
        {"project": {"name": 123}},
        {"project": {}},
        {"project": {"name": "x", "enabled": "yes"}},
        {"nope": {}},
    ):
        resp = call(cloud, "POST", "/v3/projects", token, json=payload)
        assert resp.status_code == 400, payload
        assert "Invalid input for field" in resp.json()["error"]["message"]
    after = call(cloud, "GET", "/v3/projects", token).json()["projects"]
    assert len(after) == len(before)


def test_oversized_body_is_413(cloud: RunningCloud) -> None:
    token = admin_token(cloud)
    big = {"project": {"name": "big", "description": "x" * 200_000}}
    resp = call(cloud, "POST", "/v3/projects", token, json=big)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == 413


def test_duplicate_is_409(cloud: RunningCloud) -> None:
    token = admin_token(cloud)
    name = f"dup-{uid()}"
    assert (
        call(cloud, "POST", "/v3/projects", token, json={"project": {"name": name}}).status_code
        == 201
    )
    resp = call(cloud, "POST", "/v3/projects", token, json={"project": {"name": name}})
    assert resp.status_code == 409
    assert resp.json()["error"]["title"] == "Conflict"


def test_unknown_and_missing_token(cloud: RunningCloud) -> None:
    assert call(cloud, "GET", "/v3/projects").status_code == 401
    assert call(cloud, "GET", "/v3/projects", "gAAAAAnonsense").status_code == 401
    token = admin_token(cloud)
    resp = call(cloud, "GET", "/v3/auth/tokens", token, headers={"X-Subject-Token": "garbage"})
    assert resp.status_code == 404


def test_member_sees_own_project_not_others(cloud: RunningCloud, admin: Any) -> None:
    other = admin.identity.create_project(name=f"other-{uid()}", domain_id="default")
    resp = token_for(cloud, "demo", cloud.demo_password, project="demo")
    token = resp.headers["X-Subject-Token"]
    demo_project = resp.json()["token"]["project"]["id"]
    assert call(cloud, "GET", f"/v3/projects/{demo_project}", token).status_code == 200
    assert call(cloud, "GET", f"/v3/projects/{other.id}", token).status_code == 403
    assert call(cloud, "GET", "/v3/projects", token).status_code == 403
    assert call(cloud, "DELETE", f"/v3/projects/{other.id}", token).status_code == 403
    assert admin.identity.get_project(other.id).name == other.name
    # but the member may list its own projects
    mine = call(cloud, "GET", "/v3/auth/projects", token).json()["projects"]
    assert [p["id"] for p in mine] == [demo_project]


def test_domain_admin_cannot_reach_other_domain(cloud: RunningCloud, admin: Any) -> None:
    d1 = admin.identity.create_domain(name=f"d1-{uid()}")
    d2 = admin.identity.create_domain(name=f"d2-{uid()}")
    dadmin = admin.identity.create_user(name=f"dadm-{uid()}", domain_id=d1.id, password="pw-12345")
    admin.identity.assign_domain_role_to_user(d1, dadmin, admin.identity.find_role("reader"))
    resp = httpx.post(
        f"{cloud.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"id": dadmin.id, "password": "pw-12345"}},
                },
                "scope": {"domain": {"id": d1.id}},
            }
        },
    )
    assert resp.status_code == 201, resp.text
    token = resp.headers["X-Subject-Token"]
    assert call(cloud, "GET", f"/v3/users?domain_id={d1.id}", token).status_code == 200
    assert call(cloud, "GET", f"/v3/users?domain_id={d2.id}", token).status_code == 403
    assert (
        call(
            cloud,
            "POST",
            "/v3/projects",
            token,
            json={"project": {"name": "x", "domain_id": d2.id}},
        ).status_code
        == 403
    )


def test_implied_roles_and_inferences(cloud: RunningCloud) -> None:
    token = admin_token(cloud)
    rules = call(cloud, "GET", "/v3/role_inferences", token).json()["role_inferences"]
    pairs = {(r["prior_role"]["name"], i["name"]) for r in rules for i in r["implies"]}
    assert {("admin", "member"), ("member", "reader")} <= pairs
    a = call(cloud, "POST", "/v3/roles", token, json={"role": {"name": f"ra-{uid()}"}}).json()
    b = call(cloud, "POST", "/v3/roles", token, json={"role": {"name": f"rb-{uid()}"}}).json()
    a_id, b_id = a["role"]["id"], b["role"]["id"]
    assert call(cloud, "PUT", f"/v3/roles/{a_id}/implies/{b_id}", token).status_code == 201
    assert call(cloud, "HEAD", f"/v3/roles/{a_id}/implies/{b_id}", token).status_code == 204
    # a cycle is refused
    assert call(cloud, "PUT", f"/v3/roles/{b_id}/implies/{a_id}", token).status_code == 403
    assert call(cloud, "DELETE", f"/v3/roles/{a_id}/implies/{b_id}", token).status_code == 204
    assert call(cloud, "GET", f"/v3/roles/{a_id}/implies/{b_id}", token).status_code == 404


def test_catalog_lists_identity_everywhere(cloud: RunningCloud) -> None:
    token = admin_token(cloud)
    catalog = call(cloud, "GET", "/v3/auth/catalog", token).json()["catalog"]
    identity = next(s for s in catalog if s["type"] == "identity")
    assert {e["interface"] for e in identity["endpoints"]} == {"public", "internal", "admin"}
    assert {e["region_id"] for e in identity["endpoints"]} == {"RegionOne"}


def test_failed_update_changes_nothing(cloud: RunningCloud, admin: Any) -> None:
    """A request that fails after its first change (disabling) leaves the user as it was, and
    the cloud keeps serving (the rolled-back revocation must not linger)."""
    name = f"rb-{uid()}"
    user = admin.identity.create_user(name=name, domain_id="default", password="pw-rollback-1")
    token = admin_token(cloud)
    resp = call(
        cloud,
        "PATCH",
        f"/v3/users/{user.id}",
        token,
        json={"user": {"enabled": False, "password": "x" * 5000}},
    )
    assert resp.status_code == 400
    assert admin.identity.get_user(user.id).is_enabled
    assert token_for(cloud, name, "pw-rollback-1").status_code == 201
    for _ in range(3):
        assert (
            call(
                cloud, "GET", "/v3/auth/tokens", token, headers={"X-Subject-Token": token}
            ).status_code
            == 200
        )
