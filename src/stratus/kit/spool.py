"""Streaming an upload into a durable file: chunks are gathered into batches, and each batch is
written and hashed by several threads at once (one per digest, one for the disk) while the
next batch is received; the file is fsynced and renamed into place, or removed on failure."""

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# A batch is the unit handed to the threads: large enough that the thread hops are few
# (256 per GiB), small enough that the two batches alive at once stay a few MiB.
BATCH = 4 << 20
READ_CHUNK = 1 << 20
# Buffers handed to one writev call (Linux allows 1024).
_IOV_MAX = 512

# The stores' own threads, so a long upload never waits behind (or starves) the default
# executor that the rest of the process uses for short blocking calls. hashlib and file
# writes release the GIL, so these threads really run side by side.
_EXECUTOR = ThreadPoolExecutor(max_workers=12, thread_name_prefix="stratus-spool")


class LimitExceeded(Exception):
    """The stream went past ``max_bytes``."""


@dataclass(frozen=True)
class Spooled:
    size: int
    digests: dict[str, str]
    head: bytes


class _Digest:
    def __init__(self, name: str) -> None:
        self.name = name
        self.hash = hashlib.new(name, usedforsecurity=False)

    def update(self, parts: Sequence[bytes]) -> None:
        for part in parts:
            self.hash.update(part)


class _File:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Unbuffered: the batches are already large, and os.writev takes them as they came.
        self.handle: IO[bytes] = open(path, "wb", buffering=0)  # noqa: SIM115 - see finish()

    def write(self, parts: Sequence[bytes]) -> None:
        fd = self.handle.fileno()
        for start in range(0, len(parts), _IOV_MAX):
            group = parts[start : start + _IOV_MAX]
            done = os.writev(fd, group)
            if done < sum(len(p) for p in group):  # a short write: finish it the plain way
                rest = memoryview(b"".join(group))[done:]
                while rest:
                    rest = rest[os.write(fd, rest) :]

    def finish(self, final: Path) -> None:
        os.fsync(self.handle.fileno())
        self.handle.close()
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, final)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def _run(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, fn, *args)


def _settle(jobs: list[Future[Any]], target: _File, final: Path, finishing: bool) -> None:
    """After a failure: let the threads still at work on the file end before it is closed
    (its descriptor must not be reused under them), then remove every byte written."""
    wait(jobs)
    target.abort()
    if finishing:
        # The rename may have happened before the failure reached us.
        with contextlib.suppress(FileNotFoundError):
            final.unlink()


async def spool(
    chunks: AsyncIterator[bytes],
    tmp_path: Path,
    final_path: Path,
    *,
    digests: Sequence[str] = ("md5",),
    max_bytes: int | None = None,
    head_bytes: int = 0,
    check: Callable[[int, dict[str, str]], None] | None = None,
) -> Spooled:
    """Stream ``chunks`` to ``tmp_path``, then fsync and rename it to ``final_path``.

    ``check(size, digests)`` runs before the file is made durable and may raise to reject it.
    On any failure (including cancellation, or a client that went away) the partial file is
    removed and the error propagates, so nothing is left behind."""
    target = await _run(_File, tmp_path)
    hashes = [_Digest(name) for name in digests]
    size = 0
    head = b""
    batch: list[bytes] = []
    batch_len = 0
    jobs: list[Future[Any]] = []
    finishing = False

    def submit(parts: list[bytes]) -> None:
        jobs[:] = [_EXECUTOR.submit(target.write, parts)]
        jobs.extend(_EXECUTOR.submit(h.update, parts) for h in hashes)

    async def settled() -> None:
        await asyncio.gather(*(asyncio.wrap_future(job) for job in jobs))

    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if len(head) < head_bytes:
                head += chunk[: head_bytes - len(head)]
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise LimitExceeded()
            batch.append(chunk)
            batch_len += len(chunk)
            if batch_len >= BATCH:
                # The previous batch must be through before this one starts (each digest
                # sees the bytes in order); meanwhile the loop went on receiving.
                await settled()
                submit(batch)
                batch, batch_len = [], 0
        await settled()
        if batch:
            submit(batch)
            await settled()
        found = {h.name: h.hash.hexdigest() for h in hashes}
        if check is not None:
            check(size, found)
        finishing = True
        jobs[:] = [_EXECUTOR.submit(target.finish, final_path)]
        await settled()
    except BaseException:
        # Shielded: a second cancellation must not skip the clean-up. Run on the default
        # executor, as the jobs it waits for may still be queued on ours.
        cleanup = asyncio.to_thread(_settle, list(jobs), target, final_path, finishing)
        await asyncio.shield(cleanup)
        raise
    return Spooled(size=size, digests=found, head=head)


def spool_sync(
    source: IO[bytes], tmp_path: Path, final_path: Path, *, digests: Sequence[str] = ("md5",)
) -> Spooled:
    """The same from a readable file, for work already running in a thread."""
    target = _File(tmp_path)
    hashes = [_Digest(name) for name in digests]
    size = 0
    try:
        while data := source.read(READ_CHUNK):
            size += len(data)
            target.write([data])
            for h in hashes:
                h.update([data])
        target.finish(final_path)
    except BaseException:
        target.abort()
        raise
    return Spooled(size=size, digests={h.name: h.hash.hexdigest() for h in hashes}, head=b"")


async def read_file(path: Path, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
    """Bytes ``start`` .. ``end`` (inclusive) of a file, a chunk at a time, off the loop."""
    handle: IO[bytes] = await _run(open, path, "rb")
    try:
        if start:
            await _run(handle.seek, start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
            data: bytes = await _run(handle.read, want)
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            yield data
    finally:
        await _run(handle.close)
