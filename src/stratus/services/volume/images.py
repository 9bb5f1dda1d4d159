"""Block storage's view of the image service, through ``services/image/client.py``: an
image as the caller sees it, its bytes, and creating/uploading an image from a volume —
converting qcow2 to the raw disk a volume holds and back, as Cinder does with qemu-img."""

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.kit import qcow2
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
    virtual_size: int | None = None


# Writes one run of a volume's bytes at an offset (a driver's ``write`` bound to a volume).
WriteAt = Callable[[AsyncIterator[bytes], int], Awaitable[int]]


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
            virtual_size=row.virtual_size,
        )

    async def read(self, ctx: RequestContext, image_id: str) -> AsyncIterator[bytes]:
        return await self.client.read_data(ctx, image_id)

    async def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> str:
        return await self.client.create_image(ctx, body)

    async def upload(
        self, ctx: RequestContext, image_id: str, chunks: AsyncIterator[bytes]
    ) -> None:
        await self.client.upload_data(ctx, image_id, chunks)

    def _scratch(self) -> Path:
        folder = self.runtime.settings.data_dir / "volumes" / "conversion"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    async def copy_to_volume(
        self, ctx: RequestContext, image: ImageInfo, write_at: WriteAt
    ) -> None:
        """The image's disk into a (zeroed) volume: raw bytes as they are; a qcow2 image is
        spooled to a scratch file and only its allocated clusters are written."""
        chunks = await self.read(ctx, image.id)
        if image.disk_format != "qcow2":
            await write_at(chunks, 0)
            return
        fd, name = tempfile.mkstemp(dir=self._scratch(), suffix=".qcow2")
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    await asyncio.to_thread(out.write, chunk)
            fh: BinaryIO = await asyncio.to_thread(open, name, "rb")  # type: ignore[arg-type]
            try:
                runs = qcow2.raw_runs(fh)
                while (run := await asyncio.to_thread(next, runs, None)) is not None:
                    offset, data = run
                    await write_at(_once(data), offset)
            finally:
                fh.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    async def upload_from_volume(
        self,
        ctx: RequestContext,
        image_id: str,
        disk_format: str,
        size: int,
        chunks: AsyncIterator[bytes],
    ) -> None:
        """A volume's bytes as the image's data: raw as they are, qcow2 converted first."""
        if disk_format != "qcow2":
            await self.upload(ctx, image_id, chunks)
            return
        fd, name = tempfile.mkstemp(dir=self._scratch(), suffix=".qcow2")
        try:
            with os.fdopen(fd, "w+b") as out:
                await asyncio.to_thread(qcow2.write, _blocking(chunks), size, out)
            await self.upload(ctx, image_id, _file_chunks(name))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _blocking(chunks: AsyncIterator[bytes]) -> Iterator[bytes]:
    """An async stream read from a worker thread (the caller's loop keeps running)."""
    loop = asyncio.get_running_loop()

    async def step() -> bytes:
        return await anext(chunks)

    def pull() -> Iterator[bytes]:
        while True:
            try:
                yield asyncio.run_coroutine_threadsafe(step(), loop).result()
            except StopAsyncIteration:
                return

    return pull()


async def _file_chunks(name: str, size: int = 1 << 20) -> AsyncIterator[bytes]:
    fh: BinaryIO = await asyncio.to_thread(open, name, "rb")  # type: ignore[arg-type]
    try:
        while data := await asyncio.to_thread(fh.read, size):
            yield data
    finally:
        fh.close()
