"""Stub identity for in-process service tests: personas in projects, a validator that resolves
a persona's name used as its token, and a migration helper for the branches under test."""

from alembic import command
from sqlalchemy.engine import Connection

from stratus.api.auth import AuthInfo
from stratus.db import Database
from stratus.db.migrate import alembic_config
from stratus.kit.errors import NotFound


def persona(name: str, project: str, roles: tuple[str, ...]) -> AuthInfo:
    return AuthInfo(
        user_id=f"u-{name}",
        user_name=name,
        user_domain_id="default",
        user_domain_name="Default",
        roles=roles,
        project_id=f"p-{project}",
        project_name=project,
    )


PERSONAS = {
    "admin": persona("admin", "admin", ("admin", "member", "reader")),
    "demo": persona("demo", "demo", ("member", "reader")),
    "alt": persona("alt", "alt", ("member", "reader")),
    "reader": persona("reader", "demo", ("reader",)),
}


class StubValidator:
    def __init__(self, personas: dict[str, AuthInfo] | None = None) -> None:
        self.personas = personas or PERSONAS

    async def validate(self, token: str) -> AuthInfo:
        try:
            return self.personas[token]
        except KeyError:
            raise NotFound("token") from None


async def upgrade_branches(db: Database, targets: tuple[str, ...]) -> None:
    """Only the branches under test."""
    cfg = alembic_config(db.url)

    def _run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        for target in targets:
            command.upgrade(cfg, target)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)
