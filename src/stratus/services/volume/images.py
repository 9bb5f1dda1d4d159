"""Block storage's view of the image service, through ``services/image/client.py``: an
image as the caller sees it, its bytes, and creating/uploading an image from a volume."""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.services.image.client import ImageClient


@dataclass(frozen=True)
class ImageInfo:
    id: str
    name: str | None
    status: str
    size: int | None
    min_disk: int
    min_ram: int
    disk_format: str | None
    container_format: str | None
    checksum: str | None
    properties: dict[str, str] = field(default_factory=dict)


class VolumeImages:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._client: ImageClient | None = None

    @property
    def client(self) -> ImageClient:
        if self._client is None:
            self._client = ImageClient(self.runtime.db, runtime=self.runtime)
        return self._client

    async def get(self, ctx: RequestContext, image_id: str) -> ImageInfo | None:
        data = await self.client.image_for(ctx, image_id)
        if data is None:
            return None
        row = data.image
        return ImageInfo(
            id=row.id,
            name=row.name,
            status=row.status,
            size=row.size,
            min_disk=row.min_disk or 0,
            min_ram=row.min_ram or 0,
            disk_format=row.disk_format,
            container_format=row.container_format,
            checksum=row.checksum,
            properties={str(k): str(v) for k, v in (data.properties or {}).items()},
        )

    async def read(self, ctx: RequestContext, image_id: str) -> AsyncIterator[bytes]:
        return await self.client.read_data(ctx, image_id)

    async def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> str:
        return await self.client.create_image(ctx, body)

    async def upload(
        self, ctx: RequestContext, image_id: str, chunks: AsyncIterator[bytes]
    ) -> None:
        await self.client.upload_data(ctx, image_id, chunks)
