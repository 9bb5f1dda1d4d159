"""Quota checks that cannot be raced.

A service registers each resource it limits with a default and a counter (a coroutine that
counts the project's current usage from the service's own tables, in the caller's session).
``claim()`` runs inside the very transaction that creates the resource: it takes the
project's lock row (an UPDATE, which PostgreSQL holds until commit and SQLite serialises as its
single writer), counts, compares and raises ``OverQuota`` — so two concurrent creates can
never both see room for one.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.errors import Forbidden
from stratus.quota import repository

Counter = Callable[[AsyncSession, str], Awaitable[int]]
LimitSource = Callable[[AsyncSession, str, str], Awaitable[int | None]]
"""(session, project_id, resource) -> a limit from elsewhere (Keystone unified limits), or None."""

UNLIMITED = -1


class OverQuota(Forbidden):
    """Raised when a claim would exceed a limit; services map it to their own status (403/409/413)."""

    def __init__(self, resource: str, limit: int, in_use: int, requested: int) -> None:
        super().__init__(
            f"Quota exceeded for resources: ['{resource}']. "
            f"Limit {limit}, in use {in_use}, requested {requested}."
        )
        self.resource = resource
        self.limit = limit
        self.in_use = in_use
        self.requested = requested


@dataclass(frozen=True)
class QuotaResource:
    name: str  # "compute.instances", "network.port"
    default: int
    counter: Counter


class QuotaEngine:
    def __init__(self, limit_source: LimitSource | None = None) -> None:
        self._resources: dict[str, QuotaResource] = {}
        self.limit_source = limit_source

    def register(self, resource: QuotaResource) -> None:
        self._resources[resource.name] = resource

    def resource(self, name: str) -> QuotaResource:
        return self._resources[name]

    async def limits(
        self,
        session: AsyncSession,
        project_id: str,
        prefix: str = "",
        names: Iterable[str] | None = None,
    ) -> dict[str, int]:
        """Effective limits: project override > unified limit > registered default
        (only for ``names`` when given: each unified limit is a lookup)."""
        overrides = await repository.overrides(session, project_id)
        wanted = set(names) if names is not None else None
        out: dict[str, int] = {}
        for name, res in list(self._resources.items()):
            if not name.startswith(prefix) or (wanted is not None and name not in wanted):
                continue
            if name in overrides:
                out[name] = overrides[name]
                continue
            external = (
                await self.limit_source(session, project_id, name) if self.limit_source else None
            )
            out[name] = external if external is not None else res.default
        return out

    async def usage(
        self, session: AsyncSession, project_id: str, prefix: str = ""
    ) -> dict[str, int]:
        return {
            name: await res.counter(session, project_id)
            for name, res in list(self._resources.items())
            if name.startswith(prefix)
        }

    async def claim(
        self,
        session: AsyncSession,
        project_id: str,
        deltas: Mapping[str, int],
        *,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        """Check that adding ``deltas`` stays within limits. Call before (or after) inserting,
        in the same transaction; on failure the transaction rolls back and nothing changes.
        ``limits`` the caller read already (before its write transaction, say) are not read
        again; the usage is always counted here, under the project's lock."""
        positive = {k: v for k, v in deltas.items() if v > 0}
        if not positive:
            return
        known = dict(limits or {})
        missing = [n for n in positive if n not in known]
        if missing:
            known.update(await self.limits(session, project_id, names=missing))
        limits = known
        if all(limits.get(name, UNLIMITED) < 0 for name in positive):
            return  # nothing to count, so nothing to serialise
        await repository.lock_project(session, project_id)
        for name, requested in positive.items():
            limit = limits.get(name, UNLIMITED)
            if limit < 0:
                continue
            in_use = await self._resources[name].counter(session, project_id)
            if in_use + requested > limit:
                raise OverQuota(name, limit, in_use, requested)

    async def set_limit(
        self, session: AsyncSession, project_id: str, name: str, limit: int
    ) -> None:
        if name not in self._resources:
            raise KeyError(name)
        await repository.set_override(session, project_id, name, limit)

    async def reset(self, session: AsyncSession, project_id: str, prefix: str) -> None:
        await repository.clear_overrides(session, project_id, prefix)
