"""The ``file`` image store: blobs in ``<data_dir>/images``, written in chunks to a temporary
file while md5 and sha512 are computed, fsynced, then renamed into place atomically. Nothing
ever holds a whole image in memory."""

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stratus.services.image.formats import virtual_size

# Work is handed to a thread in batches of this size: hashing and writing off the event loop
# without a thread hop per network chunk.
BATCH = 4 << 20
READ_CHUNK = 1 << 20


class QuotaExceeded(Exception):
    """The stream went past the bytes the caller may still store."""


class SizeMismatch(Exception):
    """The stream did not match the expected size."""


@dataclass(frozen=True)
class Written:
    key: str
    path: Path
    size: int
    md5: str
    sha512: str
    virtual_size: int | None


class _Sink:
    def __init__(self, path: Path, disk_format: str | None) -> None:
        self.path = path
        self.file = open(path, "wb")  # noqa: SIM115 - closed in finish()/abort()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha512 = hashlib.sha512()
        self.size = 0
        self.head = b""
        self.disk_format = disk_format

    def consume(self, data: bytes) -> None:
        if len(self.head) < 4096:
            self.head += data[: 4096 - len(self.head)]
        self.md5.update(data)
        self.sha512.update(data)
        self.file.write(data)
        self.size += len(data)

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class ImageStore(Protocol):
    """Where image bytes live; ``key`` is the image id in every store."""

    id: str
    description: str

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        disk_format: str | None = None,
        max_bytes: int | None = None,
        expected_size: int | None = None,
    ) -> Written: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str | None) -> None: ...


class FileStore:
    """Blobs keyed by a name chosen by the store; ``location`` in the image row is the key."""

    id = "file"
    description = "Local filesystem store in the Stratus data directory"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def _ensure(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        disk_format: str | None = None,
        max_bytes: int | None = None,
        expected_size: int | None = None,
    ) -> Written:
        """Stream ``chunks`` into the store under ``key``. On any failure the partial file is
        removed and the error propagates; on success the blob is durable at its final path."""
        await asyncio.to_thread(self._ensure)
        tmp_path = self.tmp / f"{key.replace('/', '_')}.{uuid.uuid4().hex}.part"
        sink = await asyncio.to_thread(_Sink, tmp_path, disk_format)
        pending: list[bytes] = []
        pending_len = 0
        inflight: asyncio.Future[None] | None = None
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                pending.append(chunk)
                pending_len += len(chunk)
                if max_bytes is not None and sink.size + pending_len > max_bytes:
                    raise QuotaExceeded()
                if pending_len >= BATCH:
                    data = b"".join(pending)
                    pending, pending_len = [], 0
                    # One batch is hashed and written in a thread while the next one is
                    # received: the network and the disk work side by side.
                    if inflight is not None:
                        await inflight
                    inflight = asyncio.ensure_future(asyncio.to_thread(sink.consume, data))
            if inflight is not None:
                await inflight
                inflight = None
            if pending:
                await asyncio.to_thread(sink.consume, b"".join(pending))
            if expected_size is not None and sink.size != expected_size:
                raise SizeMismatch()
            await asyncio.to_thread(sink.finish)
            final = self.path(key)
            await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(os.replace, tmp_path, final)
        except BaseException:
            if inflight is not None:
                with contextlib.suppress(BaseException):
                    await inflight
            await asyncio.to_thread(sink.abort)
            raise
        fmt_size = virtual_size(sink.head, disk_format, sink.size)
        return Written(
            key=key,
            path=final,
            size=sink.size,
            md5=sink.md5.hexdigest(),
            sha512=sink.sha512.hexdigest(),
            virtual_size=fmt_size,
        )

    async def rename(self, old_key: str, new_key: str) -> None:
        await asyncio.to_thread(os.replace, self.path(old_key), self.path(new_key))

    async def delete(self, key: str | None) -> None:
        if not key:
            return

        def _unlink() -> None:
            with contextlib.suppress(FileNotFoundError):
                self.path(key).unlink()

        await asyncio.to_thread(_unlink)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive) of the blob, a chunk at a time."""
        handle = await asyncio.to_thread(open, self.path(key), "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                data = await asyncio.to_thread(handle.read, want)
                if not data:
                    break
                if remaining is not None:
                    remaining -= len(data)
                yield data
        finally:
            await asyncio.to_thread(handle.close)


async def sweep_partials(folder: Path, older_than: float = 24 * 3600) -> int:
    """Remove ``*.part`` files a crash left behind (old enough that no upload still writes
    them); returns how many were removed."""
    import time

    def _sweep() -> int:
        if not folder.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than
        for path in folder.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    return await asyncio.to_thread(_sweep)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        while data := await asyncio.to_thread(handle.read, READ_CHUNK):
            yield data
    finally:
        await asyncio.to_thread(handle.close)


class SwiftStore:
    """Images kept in Stratus object storage: container ``glance`` of the image service's own
    account (single-tenant, as Glance's swift store by default), reached through the object
    storage service's client. Hashes are computed while the data is spooled locally once."""

    id = "swift"
    description = "Stratus object storage (Swift), container 'glance'"
    account = "AUTH_glance"
    container = "glance"

    def __init__(self, client: Any, spool: FileStore) -> None:
        self.client = client
        self.spool = spool
        self._container_ready = False

    async def put_file(self, path: Path, key: str) -> None:
        if not self._container_ready:
            await self.client.ensure_container(self.account, self.container)
            self._container_ready = True
        await self.client.put(self.account, self.container, key, file_chunks(path))

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        disk_format: str | None = None,
        max_bytes: int | None = None,
        expected_size: int | None = None,
    ) -> Written:
        local = await self.spool.write(
            chunks,
            key=f"spool/{key}.{uuid.uuid4().hex}",
            disk_format=disk_format,
            max_bytes=max_bytes,
            expected_size=expected_size,
        )
        try:
            await self.put_file(local.path, key)
        finally:
            await self.spool.delete(local.key)
        return Written(
            key=key,
            path=local.path,
            size=local.size,
            md5=local.md5,
            sha512=local.sha512,
            virtual_size=local.virtual_size,
        )

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        reader: AsyncIterator[bytes] = self.client.read(
            self.account, self.container, key, start, end
        )
        return reader

    async def delete(self, key: str | None) -> None:
        if key:
            await self.client.delete(self.account, self.container, key)
