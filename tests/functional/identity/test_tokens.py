"""Token lifecycle: scopes, rescoping, validation and every revocation trigger."""

import uuid
from typing import Any

import httpx

from stratus.testing import RunningCloud
from tests.functional.identity.helpers import admin_token, call, token_for


def _user_with_role(admin: Any, project_name: str | None = None) -> tuple[Any, Any, str]:
    name = f"tok-{uuid.uuid4().hex[:8]}"
    project = admin.identity.create_project(name=project_name or f"{name}-p", domain_id="default")
    user = admin.identity.create_user(name=name, domain_id="default", password="pw-start-1")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    return user, project, "pw-start-1"


def _valid(cloud: RunningCloud, token: str) -> int:
    return call(
        cloud, "GET", "/v3/auth/tokens", admin_token(cloud), headers={"X-Subject-Token": token}
    ).status_code


def test_unscoped_then_rescoped(cloud: RunningCloud, admin: Any) -> None:
    user, project, pw = _user_with_role(admin)
    unscoped = token_for(cloud, user.name, pw)
    assert unscoped.status_code == 201
    body = unscoped.json()["token"]
    assert "project" not in body and "roles" not in body
    rescoped = httpx.post(
        f"{cloud.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["token"],
                    "token": {"id": unscoped.headers["X-Subject-Token"]},
                },
                "scope": {"project": {"id": project.id}},
            }
        },
    )
    assert rescoped.status_code == 201
    new = rescoped.json()["token"]
    assert new["project"]["id"] == project.id
    assert new["expires_at"] == body["expires_at"]
    assert new["audit_ids"][1] == body["audit_ids"][0]


def test_scope_without_role_is_401(cloud: RunningCloud, admin: Any) -> None:
    user, _, pw = _user_with_role(admin)
    resp = token_for(cloud, user.name, pw, project="admin")
    assert resp.status_code == 401


def test_delete_token_revokes_it(cloud: RunningCloud, admin: Any) -> None:
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    assert _valid(cloud, token) == 200
    assert (
        call(
            cloud, "DELETE", "/v3/auth/tokens", token, headers={"X-Subject-Token": token}
        ).status_code
        == 204
    )
    assert _valid(cloud, token) == 404
    assert call(cloud, "GET", "/v3/auth/projects", token).status_code == 401


def test_revocation_triggers(cloud: RunningCloud, admin: Any) -> None:
    # user disabled
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    admin.identity.update_user(user, enabled=False)
    assert _valid(cloud, token) == 404
    # project disabled
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    admin.identity.update_project(project, enabled=False)
    assert _valid(cloud, token) == 404
    # role assignment removed
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    admin.identity.unassign_project_role_from_user(
        project, user, admin.identity.find_role("member")
    )
    assert _valid(cloud, token) == 404
    # password changed by the user: old token gone, new password works
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    resp = call(
        cloud,
        "POST",
        f"/v3/users/{user.id}/password",
        token,
        json={"user": {"original_password": pw, "password": "pw-changed-2"}},
    )
    assert resp.status_code == 204, resp.text
    assert _valid(cloud, token) == 404
    assert token_for(cloud, user.name, "pw-changed-2").status_code == 201
    # user deleted
    user, project, pw = _user_with_role(admin)
    token = token_for(cloud, user.name, pw, project=project.name).headers["X-Subject-Token"]
    admin.identity.delete_user(user)
    assert _valid(cloud, token) == 404


def test_system_and_domain_scope(cloud: RunningCloud) -> None:
    resp = httpx.post(
        f"{cloud.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "admin",
                            "domain": {"name": "Default"},
                            "password": cloud.admin_password,
                        }
                    },
                },
                "scope": {"system": {"all": True}},
            }
        },
    )
    assert resp.status_code == 201
    assert resp.json()["token"]["system"] == {"all": True}
    resp = httpx.post(
        f"{cloud.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "admin",
                            "domain": {"name": "Default"},
                            "password": cloud.admin_password,
                        }
                    },
                },
                "scope": {"domain": {"name": "Default"}},
            }
        },
    )
    assert resp.status_code == 201
    assert resp.json()["token"]["domain"]["id"] == "default"


def test_nocatalog(cloud: RunningCloud) -> None:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "admin",
                        "domain": {"id": "default"},
                        "password": cloud.admin_password,
                    }
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    resp = httpx.post(f"{cloud.url}/v3/auth/tokens?nocatalog", json=body)
    assert resp.status_code == 201
    assert "catalog" not in resp.json()["token"]


def test_trust_token(cloud: RunningCloud, admin: Any) -> None:
    trustee, _, pw = _user_with_role(admin)
    token = admin_token(cloud)
    me = call(cloud, "GET", "/v3/auth/tokens", token, headers={"X-Subject-Token": token}).json()
    admin_project = me["token"]["project"]["id"]
    trust = call(
        cloud,
        "POST",
        "/v3/OS-TRUST/trusts",
        token,
        json={
            "trust": {
                "trustor_user_id": me["token"]["user"]["id"],
                "trustee_user_id": trustee.id,
                "project_id": admin_project,
                "impersonation": False,
                "roles": [{"name": "member"}],
                "remaining_uses": 1,
            }
        },
    )
    assert trust.status_code == 201, trust.text
    trust_id = trust.json()["trust"]["id"]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"id": trustee.id, "password": pw}},
            },
            "scope": {"OS-TRUST:trust": {"id": trust_id}},
        }
    }
    first = httpx.post(f"{cloud.url}/v3/auth/tokens", json=body)
    assert first.status_code == 201, first.text
    tok = first.json()["token"]
    assert tok["OS-TRUST:trust"]["id"] == trust_id
    assert {r["name"] for r in tok["roles"]} == {"member", "reader"}
    # remaining_uses was 1
    assert httpx.post(f"{cloud.url}/v3/auth/tokens", json=body).status_code in (401, 404)
    # deleting the trust revokes its tokens
    assert call(cloud, "DELETE", f"/v3/OS-TRUST/trusts/{trust_id}", token).status_code == 204
    assert _valid(cloud, first.headers["X-Subject-Token"]) == 404
