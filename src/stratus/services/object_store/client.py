"""What other services may do with object storage, in-process: keep blobs in an account's
container (the image service's ``swift`` store uses it)."""

from collections.abc import AsyncIterator

from stratus.api.runtime import Runtime
from stratus.services.object_store.errors import SwiftError
from stratus.services.object_store.service import NewObject, ObjectStoreService
from stratus.services.object_store.store import BlobStore


class ObjectNotFound(LookupError):
    pass


class ObjectStoreClient:
    def __init__(self, runtime: Runtime) -> None:
        self.service = ObjectStoreService(runtime, BlobStore(runtime.settings.data_dir / "objects"))

    async def ensure_container(self, account: str, container: str) -> None:
        await self.service.put_container(account, container, {}, [])

    async def put(
        self,
        account: str,
        container: str,
        name: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str = "application/octet-stream",
    ) -> tuple[int, str]:
        """Store an object from a stream: (size, md5)."""
        row = await self.service.put_object(
            account, container, name, chunks, NewObject(content_type=content_type, meta={})
        )
        return row.size, row.etag

    async def read(
        self, account: str, container: str, name: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            crow, obj = await self.service.get_object(account, container, name)
        except SwiftError as err:
            raise ObjectNotFound(f"{container}/{name}") from err
        content = await self.service.content(account, crow, obj)
        last = content.size - 1 if end is None else end
        async for chunk in self.service.stream(self.service.slice(content, start, last)):
            yield chunk

    async def delete(self, account: str, container: str, name: str) -> None:
        try:
            await self.service.delete_object(account, container, name)
        except SwiftError as err:
            if err.http_status != 404:
                raise
