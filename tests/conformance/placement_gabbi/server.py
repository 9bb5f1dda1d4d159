"""Stratus Placement alone, served at the root of a port, with placement's noauth2
convention translated into our token validator (the gabbi suite authenticates with
``x-auth-token: admin`` or ``user`` plus ``x-roles`` / ``x-project-id`` /
``openstack-system-scope`` headers, as upstream's NoAuthMiddleware reads them).

Test tooling only: the translation lives here, never in the product."""

import argparse
import asyncio
import base64
import json
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from starlette.types import Receive, Scope, Send

from stratus.api.auth import AuthInfo, CachingValidator
from stratus.api.policy import registered
from stratus.cmd.wiring import Cloud
from stratus.conf import load_settings

PREFIX = "noauth2:"


class NoAuthValidator:
    async def validate(self, token: str) -> AuthInfo:
        data = json.loads(base64.urlsafe_b64decode(token[len(PREFIX) :]))
        return AuthInfo(
            user_id=data["user_id"],
            user_name=data["user_id"],
            user_domain_id="default",
            user_domain_name="Default",
            roles=tuple(data["roles"]),
            project_id=data["project_id"],
            system_scope=data["system_scope"],
        )


class NoAuthHeaders:
    """Turns noauth2 headers into one opaque token our validator understands."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope["headers"]}
            token = headers.get(b"x-auth-token")
            if token is not None:
                user_id, _, project_id = token.decode().partition(":")
                project_id = project_id or user_id
                if b"x-roles" in headers:
                    roles = [r.strip() for r in headers[b"x-roles"].decode().split(",") if r]
                elif user_id == "admin":
                    roles = ["admin"]
                else:
                    roles = []
                if b"x-project-id" in headers:
                    project_id = headers[b"x-project-id"].decode()
                system = headers.get(b"openstack-system-scope")
                info = {
                    "user_id": user_id,
                    "roles": roles,
                    "project_id": None if system else project_id,
                    "system_scope": system.decode() if system else None,
                }
                encoded = PREFIX + base64.urlsafe_b64encode(json.dumps(info).encode()).decode()
                scope = dict(scope)
                scope["headers"] = [
                    (k, v) for k, v in scope["headers"] if k.lower() != b"x-auth-token"
                ] + [(b"x-auth-token", encoded.encode())]
        await self.app(scope, receive, send)


def policy_rules(mode: str) -> dict[str, str]:
    """policy.yaml content for the suite's policy fixtures: "open" (every rule '@') or
    "secure" (the new persona defaults without the deprecated admin fallbacks)."""
    import stratus.services.placement.policies as placement_policies

    rules = {}
    for name, rule in registered().items():
        if not (name.startswith("placement:") or name in placement_policies.NEW_DEFAULTS):
            continue
        if mode == "open":
            if name != "admin_api":
                rules[name] = "@"
        elif name in placement_policies.NEW_DEFAULTS:
            rules[name] = placement_policies.NEW_DEFAULTS[name]
        else:
            rules[name] = rule.check_str
    return rules


def write_policy(data_dir: Path, policy: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "policy.yaml").write_text(yaml.safe_dump(policy_rules(policy)))


async def serve(port: int, data_dir: Path, policy: str) -> None:
    settings = load_settings(
        data_dir=data_dir,
        port=port,
        services=("placement",),
        identity={"password_hash_rounds": 4},
    )
    if policy != "default":
        write_policy(data_dir, policy)
    cloud = Cloud(settings)
    await cloud.start()
    cloud.runtime.validator = CachingValidator(NoAuthValidator(), ttl=0)
    app = NoAuthHeaders(cloud.apps["placement"])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )
    await uvicorn.Server(config).serve()
    await cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--policy", choices=("default", "open", "secure"), default="default")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="stratus-gabbi-"))
    asyncio.run(serve(args.port, data_dir, args.policy))


if __name__ == "__main__":
    main()
