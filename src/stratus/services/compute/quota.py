"""Compute quotas through the shared engine: resources ``compute.<name>``, nova's defaults,
and the quota-set / limits documents per microversion."""

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.microversion import Version
from stratus.db import Database
from stratus.kit.errors import BadRequest
from stratus.quota import QuotaEngine
from stratus.quota.engine import QuotaResource
from stratus.services.compute import repository as repo

# nova's [quota] defaults.
DEFAULTS: dict[str, int] = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "metadata_items": 128,
    "key_pairs": 100,
    "server_groups": 10,
    "server_group_members": 10,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
    # nova-network era quotas, shown before 2.36 and never enforced by nova.
    "floating_ips": 10,
    "fixed_ips": -1,
    "security_groups": 10,
    "security_group_rules": 20,
}
_NETWORK = ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")
_FILES = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def visible_names(version: Version) -> list[str]:
    names = list(DEFAULTS)
    if version.at_least("2.36"):
        names = [n for n in names if n not in _NETWORK]
    if version.at_least("2.57"):
        names = [n for n in names if n not in _FILES]
    return names


def class_names(version: Version) -> list[str]:
    """Quota class sets: server group quotas from 2.50 (when the network ones left), no
    injected files from 2.57."""
    names = list(DEFAULTS)
    if version.at_least("2.50"):
        names = [n for n in names if n not in _NETWORK]
    else:
        names = [n for n in names if n not in ("server_groups", "server_group_members")]
    if version.at_least("2.57"):
        names = [n for n in names if n not in _FILES]
    return names


async def _instances(session: AsyncSession, project_id: str) -> int:
    return (await repo.instance_usage(session, project_id))[0]


async def _cores(session: AsyncSession, project_id: str) -> int:
    return (await repo.instance_usage(session, project_id))[1]


async def _ram(session: AsyncSession, project_id: str) -> int:
    return (await repo.instance_usage(session, project_id))[2]


async def _key_pairs(session: AsyncSession, project_id: str) -> int:
    return await repo.count_keypairs_of_project(session, project_id)


async def _zero(_session: AsyncSession, _project_id: str) -> int:
    return 0


async def _server_groups(session: AsyncSession, project_id: str) -> int:
    return await repo.count_groups(session, project_id)


_COUNTERS = {
    "instances": _instances,
    "cores": _cores,
    "ram": _ram,
    "key_pairs": _key_pairs,
    "server_groups": _server_groups,
}


def register(engine: QuotaEngine, overrides: Mapping[str, int]) -> None:
    for name, default in DEFAULTS.items():
        engine.register(
            QuotaResource(
                f"compute.{name}", overrides.get(name, default), _COUNTERS.get(name, _zero)
            )
        )


class QuotaService:
    def __init__(self, db: Database, engine: QuotaEngine) -> None:
        self.db = db
        self.engine = engine

    async def limits(self, project_id: str) -> dict[str, int]:
        async with self.db.reader() as s:
            raw = await self.engine.limits(s, project_id, "compute.")
        return {k.removeprefix("compute."): v for k, v in raw.items()}

    async def usage(self, project_id: str) -> dict[str, int]:
        async with self.db.reader() as s:
            raw = await self.engine.usage(s, project_id, "compute.")
        return {k.removeprefix("compute."): v for k, v in raw.items()}

    def defaults(self) -> dict[str, int]:
        return {name: self.engine.resource(f"compute.{name}").default for name in DEFAULTS}

    async def update(
        self, project_id: str, values: Mapping[str, object], *, version: Version, force: bool
    ) -> None:
        allowed = set(visible_names(version))
        clean: dict[str, int] = {}
        for key, value in values.items():
            if key not in allowed:
                raise BadRequest(
                    "Invalid input for field/attribute quota_set. Additional properties are "
                    f"not allowed ('{key}' was unexpected)"
                )
            if isinstance(value, bool):
                raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
            try:
                number = int(str(value))
            except ValueError:
                raise BadRequest(
                    f"Invalid input for field/attribute {key}. Value: {value}."
                ) from None
            if number < -1:
                raise BadRequest(
                    f"Invalid input for field/attribute {key}. Value: {value}. "
                    f"{number} is less than the minimum of -1"
                )
            clean[key] = number
        async with self.db.session() as s:
            if not force:
                usage = await self.engine.usage(s, project_id, "compute.")
                for key, number in clean.items():
                    used = usage.get(f"compute.{key}", 0)
                    if number != -1 and number < used:
                        raise BadRequest(
                            f"Quota limit {number} for {key} must be greater than or equal "
                            f"to already used and reserved {used}."
                        )
            for key, number in clean.items():
                await self.engine.set_limit(s, project_id, f"compute.{key}", number)

    async def load_default_class(self) -> None:
        """Make the stored ``default`` quota class the registered defaults."""
        async with self.db.reader() as s:
            stored = await repo.quota_class(s, "default")
        self._apply_defaults(stored)

    def _apply_defaults(self, values: Mapping[str, int]) -> None:
        for name, limit in values.items():
            res = self.engine.resource(f"compute.{name}")
            self.engine.register(QuotaResource(res.name, limit, res.counter))

    async def get_class(self, name: str) -> dict[str, int]:
        """A class's limits: its own values over the defaults (every class starts there)."""
        async with self.db.reader() as s:
            stored = await repo.quota_class(s, name)
        return {**self.defaults(), **stored}

    async def update_class(
        self, name: str, values: Mapping[str, object], *, version: Version
    ) -> dict[str, int]:
        allowed = set(class_names(version))
        clean: dict[str, int] = {}
        for key, value in values.items():
            if key not in allowed:
                raise BadRequest(
                    "Invalid input for field/attribute quota_class_set. Additional properties "
                    f"are not allowed ('{key}' was unexpected)"
                )
            try:
                number = int(str(value)) if not isinstance(value, bool) else None
            except ValueError:
                number = None
            if number is None or number < -1:
                raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
            clean[key] = number
        async with self.db.session() as s:
            for key, number in clean.items():
                await repo.set_quota_class(s, name, key, number)
        if name == "default":
            self._apply_defaults(clean)
        return await self.get_class(name)

    async def reset(self, project_id: str) -> None:
        async with self.db.session() as s:
            await self.engine.reset(s, project_id, "compute.")
