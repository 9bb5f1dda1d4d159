"""Small HTTP helpers for asserting exact statuses and error bodies."""

from typing import Any

import httpx

from stratus.testing import RunningCloud


def token_for(
    cloud: RunningCloud,
    user: str,
    password: str,
    *,
    project: str | None = None,
    domain: str = "default",
) -> httpx.Response:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": {"id": domain}, "password": password}},
        },
    }
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"id": domain}}}
    return httpx.post(f"{cloud.url}/v3/auth/tokens", json={"auth": auth})


def admin_token(cloud: RunningCloud) -> str:
    resp = token_for(cloud, "admin", cloud.admin_password, project="admin")
    assert resp.status_code == 201, resp.text
    return resp.headers["X-Subject-Token"]


def call(
    cloud: RunningCloud, method: str, path: str, token: str | None = None, **kw: Any
) -> httpx.Response:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["X-Auth-Token"] = token
    return httpx.request(method, f"{cloud.url}{path}", headers=headers, **kw)
