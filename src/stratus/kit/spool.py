"""Streaming an upload into a durable file: chunks are gathered into batches, and each batch is
written and hashed by several threads at once (one lane per digest, one for the disk; each lane
takes its batches in order) while the next batches are received; the file (written with O_DIRECT where possible, so that large blobs
bypass the page cache as Swift's object server drops them from it) is fsynced and renamed
into place, or removed on failure."""

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# A batch is the unit handed to the threads: large enough that the thread hops are few
# (256 per GiB), small enough that the two batches alive at once stay a few MiB.
BATCH = 4 << 20
# Batches handed over and not yet through every lane: the receiving loop runs this far ahead
# of the slowest lane (md5, in practice), so neither waits for the other on every batch.
DEPTH = 3
READ_CHUNK = 1 << 20
# Buffers handed to one writev call (Linux allows 1024).
_IOV_MAX = 512
# O_DIRECT writes are whole blocks from block-aligned memory (4096 covers 512-byte disks too).
_ALIGN = 4096

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
    """The temporary file. Written with O_DIRECT where the filesystem allows it: the bytes go
    from one page-aligned buffer to the disk without being copied into the page cache (that
    copy cost as much CPU as md5 in profiles, and the final fsync has little left to flush).
    The unaligned tail of each batch waits in the buffer for the next one; the last block is
    padded and the file truncated to its size. Elsewhere (tmpfs, ...) plain writes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        self.direct = hasattr(os, "O_DIRECT")
        try:
            self.fd = os.open(path, flags | getattr(os, "O_DIRECT", 0), 0o644)
        except OSError:
            self.direct = False
            self.fd = os.open(path, flags, 0o644)
        self.closed = False
        self.size = 0
        self.buffer = mmap.mmap(-1, BATCH + _ALIGN) if self.direct else None
        self.held = 0  # bytes at the start of the buffer not written yet (less than a block)

    def _plain(self) -> None:
        """Leave O_DIRECT (the filesystem refused an aligned write): write through the cache."""
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        fcntl.fcntl(self.fd, fcntl.F_SETFL, flags & ~getattr(os, "O_DIRECT", 0))
        self.direct = False

    def _write_all(self, view: memoryview) -> None:
        while view:
            try:
                done = os.write(self.fd, view)
            except OSError as err:
                if not self.direct or err.errno != errno.EINVAL:
                    raise
                self._plain()
                continue
            view = view[done:]
            if view and self.direct:
                # A short direct write leaves the rest unaligned: go on without O_DIRECT.
                self._plain()

    def write(self, parts: Sequence[bytes]) -> None:
        self.size += sum(len(p) for p in parts)
        if self.buffer is None:
            for start in range(0, len(parts), _IOV_MAX):
                group = parts[start : start + _IOV_MAX]
                done = os.writev(self.fd, group)
                if done < sum(len(p) for p in group):  # a short write: finish it plainly
                    self._write_all(memoryview(b"".join(group))[done:])
            return
        need = self.held + sum(len(p) for p in parts)
        if need > len(self.buffer):
            grown = mmap.mmap(-1, need + _ALIGN - need % _ALIGN)
            grown[: self.held] = self.buffer[: self.held]
            self.buffer.close()
            self.buffer = grown
        view = memoryview(self.buffer)
        try:
            at = self.held
            for part in parts:
                view[at : at + len(part)] = part
                at += len(part)
            whole = at - at % _ALIGN if self.direct else at
            if whole:
                self._write_all(view[:whole])
            # Keep the unaligned tail for the next batch.
            view[: at - whole] = view[whole:at]
            self.held = at - whole
        finally:
            view.release()

    def finish(self, final: Path) -> None:
        if self.buffer is not None and self.held:
            view = memoryview(self.buffer)
            try:
                if self.direct:
                    # A whole block (zero-padded), then cut the file to its real size.
                    view[self.held : _ALIGN] = bytes(_ALIGN - self.held)
                    self._write_all(view[:_ALIGN])
                    os.ftruncate(self.fd, self.size)
                else:
                    self._write_all(view[: self.held])
            finally:
                view.release()
        os.fsync(self.fd)
        self._close()
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, final)

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
        if self.buffer is not None:
            self.buffer.close()
            self.buffer = None

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class _Lane:
    """One consumer's batches (a digest's or the file's), run strictly in order on the shared
    pool, without holding a thread while there is nothing queued."""

    def __init__(self, work: Callable[[Sequence[bytes]], None]) -> None:
        self.work = work
        self.lock = threading.Lock()
        self.queue: deque[tuple[Sequence[bytes], Future[None]]] = deque()
        self.draining = False

    def push(self, parts: Sequence[bytes]) -> Future[None]:
        done: Future[None] = Future()
        with self.lock:
            self.queue.append((parts, done))
            if self.draining:
                return done
            self.draining = True
        _EXECUTOR.submit(self._drain)
        return done

    def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.queue:
                    self.draining = False
                    return
                parts, done = self.queue.popleft()
            if not done.set_running_or_notify_cancel():
                continue  # cancelled after a failure
            try:
                self.work(parts)
            except BaseException as err:  # handed to the waiting coroutine
                done.set_exception(err)
            else:
                done.set_result(None)


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
    check: Callable[[Spooled], None] | None = None,
) -> Spooled:
    """Stream ``chunks`` to ``tmp_path``, then fsync and rename it to ``final_path``.

    ``check(spooled)`` runs before the file is made durable and may raise to reject it.
    On any failure (including cancellation, or a client that went away) the partial file is
    removed and the error propagates, so nothing is left behind."""
    target = await _run(_File, tmp_path)
    hashes = [_Digest(name) for name in digests]
    lanes = [_Lane(target.write), *(_Lane(h.update) for h in hashes)]
    size = 0
    head = b""
    batch: list[bytes] = []
    batch_len = 0
    # Per batch handed over, one future per lane; the oldest first.
    flight: deque[list[Future[None]]] = deque()
    finishing = False

    def submit(parts: list[bytes]) -> None:
        flight.append([lane.push(parts) for lane in lanes])

    async def settle(depth: int) -> None:
        while len(flight) > depth:
            await asyncio.gather(*(asyncio.wrap_future(job) for job in flight[0]))
            flight.popleft()

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
                # Meanwhile the loop goes on receiving, up to DEPTH batches ahead.
                await settle(DEPTH - 1)
                submit(batch)
                batch, batch_len = [], 0
        if batch:
            submit(batch)
        await settle(0)
        done = Spooled(size=size, digests={h.name: h.hash.hexdigest() for h in hashes}, head=head)
        if check is not None:
            check(done)
        finishing = True
        flight.append([_EXECUTOR.submit(target.finish, final_path)])
        await settle(0)
    except BaseException:
        # Shielded: a second cancellation must not skip the clean-up. Run on the default
        # executor, as the jobs it waits for may still be queued on ours.
        jobs = [job for batch_jobs in flight for job in batch_jobs]
        for job in jobs:
            job.cancel()
        cleanup = asyncio.to_thread(_settle, jobs, target, final_path, finishing)
        await asyncio.shield(cleanup)
        raise
    return done


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


def _open_sequential(path: Path) -> IO[bytes]:
    handle = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by read_file
    # Large blobs are read from disk more often than from the cache (they were written with
    # O_DIRECT): ask for the larger read-ahead of a sequential reader.
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    return handle


async def read_file(path: Path, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
    """Bytes ``start`` .. ``end`` (inclusive) of a file, a chunk at a time, off the loop. The
    next chunk is read while the caller sends the current one."""
    handle: IO[bytes] = await _run(_open_sequential, path)
    ahead: asyncio.Future[bytes] | None = None
    remaining = None if end is None else end - start + 1

    def read_next() -> asyncio.Future[bytes] | None:
        if remaining is not None and remaining <= 0:
            return None
        want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
        return asyncio.get_running_loop().run_in_executor(_EXECUTOR, handle.read, want)

    try:
        if start:
            await _run(handle.seek, start)
        ahead = read_next()
        while ahead is not None:
            data = await ahead
            ahead = None
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            ahead = read_next()
            yield data
    finally:
        if ahead is None:
            await _run(handle.close)
        else:
            # Closed by the caller mid-file: the handle must outlive the read still running
            # on it, so it is closed when that read ends (a close is one quick system call),
            # which is waited for unless this task is cancelled meanwhile.
            def close(read: asyncio.Future[bytes]) -> None:
                handle.close()
                if not read.cancelled():
                    read.exception()  # retrieved: nobody is left to read it

            ahead.add_done_callback(close)
            await asyncio.wait([ahead])
