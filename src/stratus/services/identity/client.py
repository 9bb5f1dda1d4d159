"""What other services may use of identity: project lookups, and unified limits."""

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.identity import repository as repo
from stratus.services.identity.models import Project, Service
from stratus.services.identity.service import IdentityService

LIMIT_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ProjectRef:
    id: str
    name: str
    domain_id: str
    enabled: bool


class IdentityClient:
    def __init__(self, service: IdentityService) -> None:
        self.service = service
        self._limits: dict[tuple[str, str, str], tuple[float, int | None]] = {}

    async def get_project(self, project_id: str) -> ProjectRef | None:
        async with self.service.db.reader() as s:
            row = await repo.get(s, Project, project_id)
        if row is None or row.is_domain:
            return None
        return ProjectRef(id=row.id, name=row.name, domain_id=row.domain_id, enabled=row.enabled)

    async def project_limit(
        self,
        project_id: str,
        service_type: str,
        resource: str,
        *,
        session: AsyncSession | None = None,
    ) -> int | None:
        """The unified limit Keystone holds for (project, service type, resource), if any.
        Pass the caller's session to avoid holding a second connection; answers are kept for
        a few seconds (quota checks ask on every create)."""
        key = (project_id, service_type, resource)
        hit = self._limits.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        if session is not None:
            value = await self._limit(session, project_id, service_type, resource)
        else:
            async with self.service.db.reader() as s:
                value = await self._limit(s, project_id, service_type, resource)
        if len(self._limits) > 10000:
            self._limits.clear()
        self._limits[key] = (now + LIMIT_CACHE_SECONDS, value)
        return value

    async def _limit(
        self, s: AsyncSession, project_id: str, service_type: str, resource: str
    ) -> int | None:
        for svc in await repo.find(s, Service, type=service_type):
            value = await self.service.limits.effective(s, project_id, svc.id, resource)
            if value is not None:
                return value
        return None
