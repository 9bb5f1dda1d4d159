"""Block storage quotas through the shared engine: resources ``volume.<name>`` (cinder's
defaults), per-type ``volume.volumes_<type>`` / ``gigabytes_<type>`` / ``snapshots_<type>``,
the quota-set and limits documents."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.quota import QuotaEngine
from stratus.quota.engine import OverQuota, QuotaResource
from stratus.services.volume import repository as repo
from stratus.services.volume.errors import InvalidInput, OverLimit

PREFIX = "volume."

# cinder's [DEFAULT] quota_* defaults.
DEFAULTS: dict[str, int] = {
    "volumes": 10,
    "snapshots": 10,
    "gigabytes": 1000,
    "backups": 10,
    "backup_gigabytes": 1000,
    "per_volume_gigabytes": -1,
    "groups": 10,
}
PER_TYPE = ("volumes", "gigabytes", "snapshots")


async def _volumes(s: AsyncSession, p: str) -> int:
    return (await repo.volume_usage(s, p))[0]


async def _gigabytes(s: AsyncSession, p: str) -> int:
    return (await repo.volume_usage(s, p))[1] + (await repo.snapshot_usage(s, p))[1]


async def _snapshots(s: AsyncSession, p: str) -> int:
    return (await repo.snapshot_usage(s, p))[0]


async def _backups(s: AsyncSession, p: str) -> int:
    return (await repo.backup_usage(s, p))[0]


async def _backup_gigabytes(s: AsyncSession, p: str) -> int:
    return (await repo.backup_usage(s, p))[1]


async def _groups(s: AsyncSession, p: str) -> int:
    return await repo.group_count(s, p)


async def _zero(_s: AsyncSession, _p: str) -> int:
    return 0


_COUNTERS = {
    "volumes": _volumes,
    "gigabytes": _gigabytes,
    "snapshots": _snapshots,
    "backups": _backups,
    "backup_gigabytes": _backup_gigabytes,
    "groups": _groups,
}


def register(engine: QuotaEngine, overrides: Mapping[str, int]) -> None:
    for name, default in DEFAULTS.items():
        engine.register(
            QuotaResource(PREFIX + name, overrides.get(name, default), _COUNTERS.get(name, _zero))
        )


def register_type(engine: QuotaEngine, type_id: str, type_name: str) -> None:
    """Per-type resources, unlimited by default as in cinder."""

    async def vols(s: AsyncSession, p: str) -> int:
        return (await repo.volume_usage(s, p, type_id))[0]

    async def gigs(s: AsyncSession, p: str) -> int:
        return (await repo.volume_usage(s, p, type_id))[1] + (
            await repo.snapshot_usage(s, p, type_id)
        )[1]

    async def snaps(s: AsyncSession, p: str) -> int:
        return (await repo.snapshot_usage(s, p, type_id))[0]

    for kind, counter in (("volumes", vols), ("gigabytes", gigs), ("snapshots", snaps)):
        name = f"{PREFIX}{kind}_{type_name}"
        try:
            default = engine.resource(name).default
        except KeyError:
            default = -1
        engine.register(QuotaResource(name, default, counter))


async def claim(
    engine: QuotaEngine,
    session: AsyncSession,
    project_id: str,
    *,
    volumes: int = 0,
    gigabytes: int = 0,
    snapshots: int = 0,
    backups: int = 0,
    backup_gigabytes: int = 0,
    type_name: str | None = None,
) -> None:
    """Claim in the creating transaction; failures answer 413 with cinder's messages."""
    deltas: dict[str, int] = {
        PREFIX + "volumes": volumes,
        PREFIX + "gigabytes": gigabytes,
        PREFIX + "snapshots": snapshots,
        PREFIX + "backups": backups,
        PREFIX + "backup_gigabytes": backup_gigabytes,
    }
    if type_name is not None:
        for kind, value in (
            ("volumes", volumes),
            ("gigabytes", gigabytes),
            ("snapshots", snapshots),
        ):
            name = f"{PREFIX}{kind}_{type_name}"
            try:
                engine.resource(name)
            except KeyError:
                continue
            deltas[name] = value
    if gigabytes > 0:
        per_volume = (
            await engine.limits(session, project_id, names=[PREFIX + "per_volume_gigabytes"])
        )[PREFIX + "per_volume_gigabytes"]
        if 0 <= per_volume < gigabytes and (volumes or snapshots):
            raise OverLimit(
                f"VolumeSizeExceedsLimit: Requested volume size {gigabytes}G is larger than "
                f"maximum allowed limit {per_volume}G."
            )
    try:
        await engine.claim(session, project_id, deltas)
    except OverQuota as err:
        name = err.resource.removeprefix(PREFIX)
        if name.startswith("gigabytes") or name == "backup_gigabytes":
            what = "backup" if name == "backup_gigabytes" else "volume or snapshot"
            raise OverLimit(
                f"VolumeSizeExceedsAvailableQuota: Requested {what} exceeds allowed {name} "
                f"quota. Requested {err.requested}G, quota is {err.limit}G and {err.in_use}G "
                "has been consumed."
            ) from None
        kind = {"volumes": "volumes", "snapshots": "snapshots", "backups": "backups"}.get(
            name.split("_", 1)[0], name
        )
        raise OverLimit(
            f"Maximum number of {kind} allowed ({err.limit}) exceeded for quota '{name}'."
        ) from None


class QuotaService:
    def __init__(self, db: Database, engine: QuotaEngine) -> None:
        self.db = db
        self.engine = engine

    def names(self) -> list[str]:
        return [n.removeprefix(PREFIX) for n in self.engine._resources if n.startswith(PREFIX)]

    def defaults(self) -> dict[str, int]:
        return {n: self.engine.resource(PREFIX + n).default for n in self.names()}

    async def limits(self, project_id: str) -> dict[str, int]:
        async with self.db.reader() as s:
            raw = await self.engine.limits(s, project_id, PREFIX)
        return {k.removeprefix(PREFIX): v for k, v in raw.items()}

    async def usage(self, project_id: str) -> dict[str, int]:
        async with self.db.reader() as s:
            raw = await self.engine.usage(s, project_id, PREFIX)
        return {k.removeprefix(PREFIX): v for k, v in raw.items()}

    async def update(self, project_id: str, values: Mapping[str, Any]) -> None:
        known = set(self.names())
        clean: dict[str, int] = {}
        for key, value in values.items():
            if key not in known:
                raise InvalidInput(f"Invalid quota key {key}: it is not a known resource.")
            if isinstance(value, bool):
                raise InvalidInput(f"{key} must be an integer.")
            try:
                number = int(str(value))
            except ValueError:
                raise InvalidInput(f"{key} must be an integer.") from None
            if number < -1:
                raise InvalidInput(f"Quota limit {number} for {key} must be -1 or greater.")
            clean[key] = number
        async with self.db.session() as s:
            usage = await self.engine.usage(s, project_id, PREFIX)
            for key, number in clean.items():
                used = usage.get(PREFIX + key, 0)
                if number != -1 and number < used:
                    raise InvalidInput(
                        f"Quota {key}: limit of {number} must be greater than or equal to "
                        f"already used and reserved {used}."
                    )
            for key, number in clean.items():
                await self.engine.set_limit(s, project_id, PREFIX + key, number)

    async def reset(self, project_id: str) -> None:
        async with self.db.session() as s:
            await self.engine.reset(s, project_id, PREFIX)

    # -- quota classes -----------------------------------------------------------------------

    async def load_default_class(self) -> None:
        """Make the stored ``default`` quota class the registered defaults."""
        async with self.db.reader() as s:
            stored = await repo.quota_class(s, "default")
        self._apply_defaults(stored)

    def _apply_defaults(self, values: Mapping[str, int]) -> None:
        for name, limit in values.items():
            try:
                res = self.engine.resource(PREFIX + name)
            except KeyError:
                continue
            self.engine.register(QuotaResource(res.name, limit, res.counter))

    async def get_class(self, name: str) -> dict[str, int]:
        async with self.db.reader() as s:
            stored = await repo.quota_class(s, name)
        return {**self.defaults(), **{k: v for k, v in stored.items() if k in self.names()}}

    async def update_class(self, name: str, values: Mapping[str, Any]) -> dict[str, int]:
        known = set(self.names())
        clean: dict[str, int] = {}
        for key, value in values.items():
            if key not in known:
                raise InvalidInput(f"Invalid quota class key {key}: it is not a known resource.")
            try:
                number = int(str(value)) if not isinstance(value, bool) else None
            except ValueError:
                number = None
            if number is None or number < -1:
                raise InvalidInput(f"Quota class value for {key} must be an integer >= -1.")
            clean[key] = number
        async with self.db.session() as s:
            for key, number in clean.items():
                await repo.set_quota_class(s, name, key, number)
        if name == "default":
            self._apply_defaults(clean)
        return await self.get_class(name)
