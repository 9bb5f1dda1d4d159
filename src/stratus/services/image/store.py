"""The ``file`` image store: blobs in ``<data_dir>/images``, written in chunks to a temporary
file while md5 and sha512 are computed, fsynced, then renamed into place atomically. Nothing
ever holds a whole image in memory."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stratus.kit.spool import LimitExceeded, Spooled, read_file, spool
from stratus.services.image.formats import INSPECT_BYTES

# Looks at the first bytes of an upload (and its size) and returns its virtual size, or
# raises to refuse it before it is stored (services/image/formats.py).
Inspector = Callable[[bytes, int], int | None]


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


class ImageStore(Protocol):
    """Where image bytes live; ``key`` is the image id in every store."""

    id: str
    description: str

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        inspect: Inspector | None = None,
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

    def path(self, key: str) -> Path:
        return self.root / key

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        inspect: Inspector | None = None,
        max_bytes: int | None = None,
        expected_size: int | None = None,
    ) -> Written:
        """Stream ``chunks`` into the store under ``key``. On any failure (including content
        ``inspect`` refuses) the partial file is removed and the error propagates; on success
        the blob is durable at its final path."""
        tmp_path = self.tmp / f"{key.replace('/', '_')}.{uuid.uuid4().hex}.part"
        final = self.path(key)
        virtual: list[int | None] = [None]

        def check(got: Spooled) -> None:
            if expected_size is not None and got.size != expected_size:
                raise SizeMismatch()
            if inspect is not None:
                virtual[0] = inspect(got.head, got.size)

        try:
            done = await spool(
                chunks,
                tmp_path,
                final,
                digests=("md5", "sha512"),
                max_bytes=max_bytes,
                head_bytes=INSPECT_BYTES if inspect is not None else 0,
                check=check,
            )
        except LimitExceeded:
            raise QuotaExceeded() from None
        return Written(
            key=key,
            path=final,
            size=done.size,
            md5=done.digests["md5"],
            sha512=done.digests["sha512"],
            virtual_size=virtual[0],
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

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive) of the blob, a chunk at a time."""
        return read_file(self.path(key), start, end)


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


def file_chunks(path: Path) -> AsyncIterator[bytes]:
    return read_file(path)


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
        inspect: Inspector | None = None,
        max_bytes: int | None = None,
        expected_size: int | None = None,
    ) -> Written:
        local = await self.spool.write(
            chunks,
            key=f"spool/{key}.{uuid.uuid4().hex}",
            inspect=inspect,
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
