"""Object bytes on the filesystem: ``<data_dir>/objects/<xx>/<key>``, each written to a
temporary file in chunks while its md5 is computed, fsynced and renamed into place. Blobs are
immutable: a new version of an object is a new blob, so readers never see a partial write."""

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BATCH = 4 << 20
READ_CHUNK = 1 << 20


class TooLarge(Exception):
    """The stream went past the allowed size."""


@dataclass(frozen=True)
class Blob:
    key: str
    size: int
    md5: str


class _Sink:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = open(path, "wb")  # noqa: SIM115 - closed in finish()/abort()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def consume(self, data: bytes) -> None:
        self.md5.update(data)
        self.file.write(data)
        self.size += len(data)

    def finish(self, final: Path) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, final)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def write(self, chunks: AsyncIterator[bytes], *, max_bytes: int | None) -> Blob:
        """Stream into a new blob; on any failure nothing is left behind."""
        key = uuid.uuid4().hex
        sink = await asyncio.to_thread(_Sink, self.root / "tmp" / f"{key}.part")
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
                    raise TooLarge()
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
            await asyncio.to_thread(sink.finish, self.path(key))
        except BaseException:
            if inflight is not None:
                with contextlib.suppress(BaseException):
                    await inflight
            await asyncio.to_thread(sink.abort)
            raise
        return Blob(key=key, size=sink.size, md5=sink.md5.hexdigest())

    def write_sync(self, source: IO[bytes]) -> Blob:
        """Copy a readable file into a new blob (for work already running in a thread)."""
        key = uuid.uuid4().hex
        sink = _Sink(self.root / "tmp" / f"{key}.part")
        try:
            while data := source.read(READ_CHUNK):
                sink.consume(data)
            sink.finish(self.path(key))
        except BaseException:
            sink.abort()
            raise
        return Blob(key=key, size=sink.size, md5=sink.md5.hexdigest())

    async def link(self, key: str) -> str:
        """A new blob with the same bytes (a hard link: blobs are never written in place)."""
        new = uuid.uuid4().hex

        def _link() -> None:
            target = self.path(new)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(self.path(key), target)
            except OSError:
                import shutil

                shutil.copyfile(self.path(key), target)

        await asyncio.to_thread(_link)
        return new

    async def delete(self, keys: list[str | None]) -> None:
        def _unlink() -> None:
            for key in keys:
                if key:
                    with contextlib.suppress(FileNotFoundError):
                        self.path(key).unlink()

        if any(keys):
            await asyncio.to_thread(_unlink)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive)."""
        handle = await asyncio.to_thread(open, self.path(key), "rb")
        try:
            if start:
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
