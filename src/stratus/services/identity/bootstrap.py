"""First-start bootstrap (domain, projects, users, roles, catalog) and ``clouds.yaml``.

Idempotent: each start re-syncs the catalog with the enabled services and the current URL."""

import asyncio
import secrets
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.service import ServiceSpec
from stratus.conf import Settings
from stratus.services.identity import repository as repo
from stratus.services.identity.models import Endpoint, Project, Region, Role, Service, User
from stratus.services.identity.resource import DEFAULT_DOMAIN_ID
from stratus.services.identity.role import SYSTEM_TARGET
from stratus.services.identity.service import IdentityService

ROLE_CHAIN = ("admin", "member", "reader")
# ResellerAdmin: Swift operators (account quotas), as DevStack creates it.
EXTRA_ROLES = ("service", "manager", "ResellerAdmin")
CLOUDS_FILE = "clouds.yaml"


def read_passwords(data_dir: Path) -> dict[str, str]:
    path = data_dir / CLOUDS_FILE
    if not path.is_file():
        return {}
    clouds = (yaml.safe_load(path.read_text()) or {}).get("clouds", {})
    out = {}
    for cloud, user in (("stratus-admin", "admin"), ("stratus", "demo")):
        password = clouds.get(cloud, {}).get("auth", {}).get("password")
        if password:
            out[user] = password
    return out


async def _role(s: AsyncSession, svc: IdentityService, name: str) -> Role:
    row = await repo.find_one(s, Role, name=name)
    if row is None:
        row = await svc.roles.create(s, {"name": name})
    return row


async def bootstrap(svc: IdentityService, settings: Settings, specs: list[ServiceSpec]) -> bool:
    """Create what a fresh cloud needs. Returns True when this was the first start."""
    first = False
    async with svc.db.session() as s:
        if await repo.get(s, Project, DEFAULT_DOMAIN_ID) is None:
            first = True
            await svc.resources.create_domain(
                s,
                {"name": "Default", "description": "The default domain"},
                domain_id=DEFAULT_DOMAIN_ID,
            )
        roles = {name: await _role(s, svc, name) for name in (*ROLE_CHAIN, *EXTRA_ROLES)}
        for prior, implied in pairwise(ROLE_CHAIN):
            await svc.roles.add_implied(s, roles[prior].id, roles[implied].id)
        if first:
            passwords = read_passwords(settings.data_dir)
            admin_pw = (
                settings.admin_password or passwords.get("admin") or secrets.token_urlsafe(12)
            )
            demo_pw = settings.demo_password or passwords.get("demo") or secrets.token_urlsafe(12)
            hashes = dict(
                zip(
                    (admin_pw, demo_pw),
                    await asyncio.gather(svc.users.hash(admin_pw), svc.users.hash(demo_pw)),
                    strict=True,
                )
            )
            for project_name, user_name, password, role in (
                ("admin", "admin", admin_pw, "admin"),
                ("demo", "demo", demo_pw, "member"),
            ):
                project = await svc.resources.create_project(
                    s,
                    {
                        "name": project_name,
                        "domain_id": DEFAULT_DOMAIN_ID,
                        "description": f"Bootstrap {project_name} project",
                    },
                )
                user = await svc.users.create(
                    s,
                    {
                        "name": user_name,
                        "domain_id": DEFAULT_DOMAIN_ID,
                        "password": password,
                        "password_hash": hashes[password],
                        "default_project_id": project.id,
                        "options": {
                            "ignore_password_expiry": True,
                            "ignore_change_password_upon_first_use": True,
                            "ignore_lockout_failure_attempts": user_name == "admin",
                        },
                    },
                )
                await svc.roles.grant(
                    s,
                    role_id=roles[role].id,
                    actor_id=user.id,
                    user=True,
                    target_kind="Project",
                    target_id=project.id,
                )
                if user_name == "admin":
                    await svc.roles.grant(
                        s,
                        role_id=roles["admin"].id,
                        actor_id=user.id,
                        user=True,
                        target_kind="System",
                        target_id=SYSTEM_TARGET,
                    )
                    await svc.roles.grant(
                        s,
                        role_id=roles["admin"].id,
                        actor_id=user.id,
                        user=True,
                        target_kind="Domain",
                        target_id=DEFAULT_DOMAIN_ID,
                    )
            write_clouds_yaml(settings, admin_pw, demo_pw)
        await sync_catalog(s, settings, specs)
    return first


async def sync_catalog(s: AsyncSession, settings: Settings, specs: list[ServiceSpec]) -> None:
    """One service row per catalog type, with public/internal/admin endpoints at the current URL."""
    if await repo.get(s, Region, settings.region) is None:
        await repo.add(s, Region(id=settings.region, description="", extra={}))
    base = settings.base_url
    for spec in specs:
        for entry in spec.catalog:
            service = await repo.find_one(s, Service, type=entry.type)
            if service is None:
                service = Service(
                    id=secrets.token_hex(16),
                    type=entry.type,
                    enabled=True,
                    extra={"name": entry.name, "stratus": True},
                )
                await repo.add(s, service)
            if not (service.extra or {}).get("stratus"):
                continue  # an operator-made service of the same type: leave it alone
            url = base + entry.suffix
            existing = {e.interface: e for e in await repo.find(s, Endpoint, service_id=service.id)}
            for interface in ("public", "internal", "admin"):
                endpoint = existing.get(interface)
                if endpoint is None:
                    await repo.add(
                        s,
                        Endpoint(
                            id=secrets.token_hex(16),
                            service_id=service.id,
                            interface=interface,
                            region_id=settings.region,
                            url=url,
                            enabled=True,
                            extra={},
                        ),
                    )
                elif endpoint.url != url:
                    endpoint.url = url


def clouds_document(settings: Settings, admin_pw: str, demo_pw: str) -> dict[str, Any]:
    auth_url = f"{settings.base_url}/identity/v3"

    def cloud(user: str, project: str, password: str) -> dict[str, Any]:
        return {
            "auth": {
                "auth_url": auth_url,
                "username": user,
                "password": password,
                "project_name": project,
                "user_domain_name": "Default",
                "project_domain_name": "Default",
            },
            "region_name": settings.region,
            "identity_api_version": 3,
            "interface": "public",
        }

    admin = cloud("admin", "admin", admin_pw)
    demo = cloud("demo", "demo", demo_pw)
    system_admin = cloud("admin", "admin", admin_pw)
    del system_admin["auth"]["project_name"], system_admin["auth"]["project_domain_name"]
    system_admin["auth"]["system_scope"] = "all"
    return {
        "clouds": {
            "stratus": demo,
            "stratus-admin": admin,
            "stratus-system-admin": system_admin,
            "devstack": demo,
            "devstack-admin": admin,
            "devstack-system-admin": system_admin,
        }
    }


def write_clouds_yaml(settings: Settings, admin_pw: str, demo_pw: str) -> Path:
    path = settings.data_dir / CLOUDS_FILE
    text = yaml.safe_dump(clouds_document(settings, admin_pw, demo_pw), sort_keys=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def refresh_clouds_yaml(settings: Settings) -> None:
    """Rewrite clouds.yaml with the current URL (the port may have changed)."""
    passwords = read_passwords(settings.data_dir)
    if "admin" in passwords and "demo" in passwords:
        write_clouds_yaml(settings, passwords["admin"], passwords["demo"])


__all__ = ["User", "bootstrap", "refresh_clouds_yaml", "write_clouds_yaml"]
