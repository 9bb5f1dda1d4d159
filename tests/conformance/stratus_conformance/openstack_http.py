"""A minimal Keystone-v3 session over urllib: token, catalog, JSON requests (stdlib only)."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .cloud import Credentials


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def request(
    method: str,
    url: str,
    *,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 30.0,
) -> Response:
    """One HTTP request; never raises on an HTTP status (connection errors do raise)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, hdrs, payload = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, payload = exc.code, dict(exc.headers or {}), exc.read()
    parsed: Any
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return Response(status, {k.lower(): v for k, v in hdrs.items()}, parsed)


@dataclass
class Session:
    """Project-scoped admin session; ``endpoint(type)`` reads the token's catalog."""

    creds: Credentials
    token: str = ""
    catalog: list[dict[str, Any]] = field(default_factory=list)
    user_id: str = ""
    project_id: str = ""
    roles: list[str] = field(default_factory=list)

    def authenticate(self) -> None:
        c = self.creds
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": c.username,
                            "password": c.password,
                            "domain": {"name": c.user_domain_name},
                        }
                    },
                },
                "scope": {
                    "project": {"name": c.project_name, "domain": {"name": c.project_domain_name}}
                },
            }
        }
        resp = request("POST", c.auth_url + "/auth/tokens", body=body)
        if resp.status != 201 or "x-subject-token" not in resp.headers:
            raise RuntimeError(f"admin token refused: HTTP {resp.status} {resp.body!r:.300}")
        self.token = resp.headers["x-subject-token"]
        tok = resp.body["token"]
        self.catalog = tok.get("catalog") or []
        self.user_id = tok.get("user", {}).get("id", "")
        self.project_id = tok.get("project", {}).get("id", "")
        self.roles = [r.get("name", "") for r in tok.get("roles") or []]

    def endpoints(self) -> dict[str, str]:
        """Public endpoint URL per service type, in our region."""
        found: dict[str, str] = {}
        for svc in self.catalog:
            for ep in svc.get("endpoints") or []:
                region = ep.get("region_id") or ep.get("region")
                if ep.get("interface") == "public" and region in (self.creds.region, None):
                    found.setdefault(svc.get("type", ""), str(ep.get("url", "")).rstrip("/"))
        return found

    def call(self, method: str, url: str, **kwargs: Any) -> Response:
        return request(method, url, token=self.token, **kwargs)
