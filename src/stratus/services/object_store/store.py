"""Object bytes on the filesystem: ``<data_dir>/objects/<xx>/<key>``, each written to a
temporary file in chunks while its md5 is computed, fsynced and renamed into place. Blobs are
immutable: a new version of an object is a new blob, so readers never see a partial write."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from stratus.kit.spool import LimitExceeded, Spooled, read_file, spool, spool_sync


class TooLarge(Exception):
    """The stream went past the allowed size."""


class ShortBody(Exception):
    """The stream ended before the announced ``Content-Length``."""


class EtagMismatch(Exception):
    """The bytes' md5 is not the ``ETag`` the client announced."""


@dataclass(frozen=True)
class Blob:
    key: str
    size: int
    md5: str


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _tmp(self, key: str) -> Path:
        return self.root / "tmp" / f"{key}.part"

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        max_bytes: int | None,
        expected_size: int | None = None,
        expected_md5: str | None = None,
    ) -> Blob:
        """Stream into a new blob; on any failure (including a size or md5 other than the
        expected ones) nothing is left behind."""

        def check(got: Spooled) -> None:
            if expected_size is not None and got.size != expected_size:
                raise ShortBody()
            if expected_md5 is not None and expected_md5 != got.digests["md5"]:
                raise EtagMismatch()

        key = uuid.uuid4().hex
        try:
            done = await spool(
                chunks, self._tmp(key), self.path(key), max_bytes=max_bytes, check=check
            )
        except LimitExceeded:
            raise TooLarge() from None
        return Blob(key=key, size=done.size, md5=done.digests["md5"])

    def write_sync(self, source: IO[bytes]) -> Blob:
        """Copy a readable file into a new blob (for work already running in a thread)."""
        key = uuid.uuid4().hex
        done = spool_sync(source, self._tmp(key), self.path(key))
        return Blob(key=key, size=done.size, md5=done.digests["md5"])

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

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive)."""
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
