"""Alembic, driven programmatically. Each component keeps its migrations on its own branch
(``branch_labels = ("<component>",)``) in its own ``migrations/`` folder, so services evolve
their schemas independently; ``upgrade heads`` brings every branch up to date."""

import asyncio
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from stratus.db.engine import Database

# Packages that carry a ``migrations`` folder, in dependency order.
MIGRATION_PACKAGES = (
    "stratus.quota",
    "stratus.services.identity",
    "stratus.services.network",
    "stratus.services.placement",
    "stratus.services.image",
    "stratus.services.object_store",
    "stratus.services.compute",
    "stratus.services.volume",
    "stratus.scheduler",
    "stratus.services.compute.metadata",
    "stratus.services.compute.bdm",
)


def _version_locations() -> list[str]:
    locations = []
    for package in MIGRATION_PACKAGES:
        folder = Path(str(resources.files(package))) / "migrations"
        if folder.is_dir():
            locations.append(str(folder))
    return locations


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    cfg.set_main_option("version_locations", " ".join(_version_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision of every branch (no-op when already there)."""
    cfg = alembic_config(db.url)
    wanted = set(ScriptDirectory.from_config(cfg).get_heads())
    async with db.engine.connect() as conn:
        current = await conn.run_sync(_current_heads)
    if current == wanted:
        return

    def _run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


def upgrade_sync(url: str) -> None:
    db = Database(url)

    async def _go() -> None:
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(_go())
