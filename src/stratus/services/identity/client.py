"""What other services may use of identity: project lookups, and unified limits."""

from dataclasses import dataclass

from stratus.services.identity import repository as repo
from stratus.services.identity.models import Project
from stratus.services.identity.service import IdentityService


@dataclass(frozen=True)
class ProjectRef:
    id: str
    name: str
    domain_id: str
    enabled: bool


class IdentityClient:
    def __init__(self, service: IdentityService) -> None:
        self.service = service

    async def get_project(self, project_id: str) -> ProjectRef | None:
        async with self.service.db.reader() as s:
            row = await repo.get(s, Project, project_id)
        if row is None or row.is_domain:
            return None
        return ProjectRef(id=row.id, name=row.name, domain_id=row.domain_id, enabled=row.enabled)

    async def project_limit(self, project_id: str, service_type: str, resource: str) -> int | None:
        """The unified limit Keystone holds for (project, service type, resource), if any."""
        from stratus.services.identity.models import Service

        async with self.service.db.reader() as s:
            services = await repo.find(s, Service, type=service_type)
            for svc in services:
                value = await self.service.limits.effective(s, project_id, svc.id, resource)
                if value is not None:
                    return value
        return None
