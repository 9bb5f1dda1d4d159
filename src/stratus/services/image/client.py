"""What other services (compute) may read of images: one image visible to a project, by id."""

from dataclasses import dataclass, field

from stratus.db import Database
from stratus.services.image import repository as repo


@dataclass(frozen=True)
class ImageRef:
    id: str
    name: str | None
    status: str
    disk_format: str | None
    container_format: str | None
    min_disk: int
    min_ram: int
    size: int | None
    properties: dict[str, str] = field(default_factory=dict)


class ImageClient:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_image(
        self, image_id: str, *, project_id: str | None, is_admin: bool = False
    ) -> ImageRef | None:
        """The image if it exists and ``project_id`` may see it (owner, public, community,
        shared with it; admins see all), else None."""
        async with self.db.reader() as session:
            row = await repo.get(session, image_id, repo.Viewer(project_id, is_admin))
            if row is None:
                return None
            props = (await repo.properties(session, [row.id]))[row.id]
        return ImageRef(
            id=row.id,
            name=row.name,
            status=row.status,
            disk_format=row.disk_format,
            container_format=row.container_format,
            min_disk=row.min_disk,
            min_ram=row.min_ram,
            size=row.size,
            properties=props,
        )
