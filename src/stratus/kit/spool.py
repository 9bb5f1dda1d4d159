"""Streaming an upload into a durable file, and a file back out. Upload: chunks are copied
into page-aligned batch buffers, and each batch is written and hashed by several threads at
once (one lane per digest, one for the disk; each lane takes its batches in order) while the
next batches are received; the file (written with O_DIRECT where possible, so that large blobs
bypass the page cache as Swift's object server drops them from it) is fsynced and renamed into
place, or removed on failure. Download: large blobs are read around the page cache too, a few
chunks ahead of the sender."""

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

# What the lanes are handed: the received chunks, or a view of a batch buffer.
Parts = Sequence[bytes | memoryview]

# A batch is the unit handed to the threads: large enough that the thread hops are few
# (256 per GiB), small enough that the DEPTH + 1 batch buffers stay a few MiB.
BATCH = 4 << 20
# Batches handed over and not yet through every lane: the receiving loop runs this far ahead
# of the slowest lane (md5, in practice), so neither waits for the other on every batch.
DEPTH = 3
# Reads through the page cache (small blobs, short ranges, filesystems without O_DIRECT).
READ_CHUNK = 1 << 20
# Reads around the page cache: from DIRECT_READ_MIN bytes on, DIRECT_CHUNK at a time (a chunk
# still in the CPU's cache when it is copied out, and again when the socket takes it).
DIRECT_CHUNK = 1 << 20
DIRECT_READ_MIN = 8 << 20
# Reads in flight ahead of the sender: without the kernel's read-ahead (O_DIRECT), these keep
# the disk busy while a chunk is sent.
READ_AHEAD = 4
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

    def update(self, parts: Parts) -> None:
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

    def write(self, parts: Parts) -> None:
        self.size += sum(len(p) for p in parts)
        if (
            self.direct
            and not self.held
            and len(parts) == 1
            and isinstance(parts[0], memoryview)
            and len(parts[0]) % _ALIGN == 0
        ):
            # A whole batch from spool()'s page-aligned buffers: straight to the disk.
            self._write_all(parts[0])
            return
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
        # The rename is durable once the directory is: without this, a crash right after
        # the answer could lose the new name (and the database would point at no file).
        directory = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

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

    def __init__(self, work: Callable[[Parts], None]) -> None:
        self.work = work
        self.lock = threading.Lock()
        self.queue: deque[tuple[Parts, Future[None]]] = deque()
        self.draining = False

    def push(self, parts: Parts) -> Future[None]:
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
    # The received chunks are copied (while still in the CPU's cache) into page-aligned
    # batch buffers, reused round-robin: each lane then takes a whole batch in one call —
    # one hash update, one O_DIRECT write straight from the buffer — instead of a call per
    # chunk, each of which gave the GIL back and had to win it again from the receiving
    # loop before the next chunk. The chunks themselves are freed at once.
    free: list[mmap.mmap] = []
    current = mmap.mmap(-1, BATCH)
    filled = 0
    # Per batch handed over: its buffer, its view, one future per lane; the oldest first.
    flight: deque[tuple[mmap.mmap, memoryview, list[Future[None]]]] = deque()
    finishing = False
    finish: Future[None] | None = None

    def submit() -> None:
        nonlocal current, filled
        view = memoryview(current)[:filled]
        flight.append((current, view, [lane.push([view]) for lane in lanes]))
        current = free.pop() if free else mmap.mmap(-1, BATCH)
        filled = 0

    async def settle(depth: int) -> None:
        while len(flight) > depth:
            buffer, view, jobs = flight[0]
            await asyncio.gather(*(asyncio.wrap_future(job) for job in jobs))
            flight.popleft()
            view.release()
            free.append(buffer)

    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if len(head) < head_bytes:
                head += chunk[: head_bytes - len(head)]
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise LimitExceeded()
            data = memoryview(chunk)
            while data:
                take = min(len(data), BATCH - filled)
                current[filled : filled + take] = data[:take]
                filled += take
                data = data[take:]
                if filled == BATCH:
                    # Meanwhile the loop goes on receiving, up to DEPTH batches ahead.
                    await settle(DEPTH - 1)
                    submit()
        if filled:
            submit()
        await settle(0)
        done = Spooled(size=size, digests={h.name: h.hash.hexdigest() for h in hashes}, head=head)
        if check is not None:
            check(done)
        finishing = True
        finish = _EXECUTOR.submit(target.finish, final_path)
        await asyncio.wrap_future(finish)
    except BaseException:
        # Shielded: a second cancellation must not skip the clean-up. Run on the default
        # executor, as the jobs it waits for may still be queued on ours.
        jobs = [job for _, _, batch_jobs in flight for job in batch_jobs]
        if finish is not None:
            jobs.append(finish)
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


class _Source:
    """A blob read at explicit offsets from the stores' threads. A large read goes around the
    page cache (O_DIRECT into a page-aligned buffer, copied out while it is still in the CPU's
    cache): profiles of a 1 GiB download spent most of the server's CPU in the kernel copying
    freshly read page-cache pages out (1.2-1.9 CPU s/GiB here, against 0.1-0.2 for this path,
    which also reads the disk faster). Small reads keep the page cache, so hot small objects
    stay cheap; Swift's object server likewise keeps only small objects in the cache. Where the
    filesystem refuses O_DIRECT (tmpfs, ...) reads are buffered with sequential read-ahead."""

    def __init__(self, path: Path, start: int, end: int | None, depth: int) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.direct_fd: int | None = None  # None once reads go through the page cache
        self.opened_direct: int | None = None
        self.buffers: list[mmap.mmap] = []
        try:
            size = os.fstat(self.fd).st_size
            last = size - 1 if end is None else min(end, size - 1)
            if last - start + 1 >= DIRECT_READ_MIN and hasattr(os, "O_DIRECT"):
                with contextlib.suppress(OSError):
                    self.direct_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECT)
                self.opened_direct = self.direct_fd
            if self.direct_fd is not None:
                # One buffer per read in flight (reads end in order, each before its buffer
                # is used again); room for a chunk starting and ending mid-block.
                self.buffers = [mmap.mmap(-1, DIRECT_CHUNK + 2 * _ALIGN) for _ in range(depth)]
            elif hasattr(os, "posix_fadvise"):
                with contextlib.suppress(OSError):
                    os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except BaseException:
            self.close()
            raise

    @property
    def chunk(self) -> int:
        return DIRECT_CHUNK if self.direct_fd is not None else READ_CHUNK

    def read(self, offset: int, want: int, slot: int) -> bytes:
        """``want`` bytes from ``offset`` (fewer only at the end of the file)."""
        parts: list[bytes] = []
        while want > 0:
            data = self._read_once(offset, want, slot)
            if not data:
                break
            parts.append(data)
            offset += len(data)
            want -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read_once(self, offset: int, want: int, slot: int) -> bytes:
        direct_fd = self.direct_fd
        if direct_fd is not None:
            try:
                return self._read_direct(direct_fd, offset, want, self.buffers[slot])
            except OSError as err:
                if err.errno != errno.EINVAL:
                    raise
                # The filesystem took O_DIRECT at open and refuses the reads: go buffered
                # (the descriptor stays open until close(): another read may be using it).
                self.direct_fd = None
        return os.pread(self.fd, want, offset)

    @staticmethod
    def _read_direct(fd: int, offset: int, want: int, buffer: mmap.mmap) -> bytes:
        lead = offset % _ALIGN
        length = -(-(lead + want) // _ALIGN) * _ALIGN
        view = memoryview(buffer)[:length]
        try:
            got = os.preadv(fd, [view], offset - lead)
        finally:
            view.release()
        return buffer[lead : max(lead, min(got, lead + want))]

    def close(self) -> None:
        for fd in (self.fd, self.opened_direct):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.direct_fd = self.opened_direct = None
        for buffer in self.buffers:
            buffer.close()
        self.buffers = []


async def read_file(path: Path, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
    """Bytes ``start`` .. ``end`` (inclusive) of a file, a chunk at a time, off the loop. The
    next ``READ_AHEAD`` chunks are read while the caller sends the current one."""
    source: _Source = await _run(_Source, path, start, end, READ_AHEAD)
    loop = asyncio.get_running_loop()
    ahead: deque[asyncio.Future[bytes]] = deque()
    position = start
    remaining = None if end is None else end - start + 1
    reads = 0

    def read_next() -> None:
        nonlocal position, remaining, reads
        if remaining is not None and remaining <= 0:
            return
        chunk = source.chunk
        # Chunks end on block boundaries, so that direct reads after the first are aligned.
        want = chunk - position % _ALIGN if chunk > _ALIGN else chunk
        if remaining is not None:
            want = min(want, remaining)
            remaining -= want
        ahead.append(
            loop.run_in_executor(_EXECUTOR, source.read, position, want, reads % READ_AHEAD)
        )
        position += want
        reads += 1

    try:
        for _ in range(READ_AHEAD):
            read_next()
        while ahead:
            data = await ahead[0]
            ahead.popleft()
            if not data:
                break
            read_next()
            yield data
    finally:
        if not ahead:
            await _run(source.close)
        else:
            # Closed by the caller mid-file: the file must outlive the reads still running on
            # it, so it is closed when they end (a close is a few quick system calls), which
            # is waited for unless this task is cancelled meanwhile.
            pending = list(ahead)

            def close(_: asyncio.Future[bytes]) -> None:
                if all(read.done() for read in pending):
                    source.close()
                    for read in pending:
                        if not read.cancelled():
                            read.exception()  # retrieved: nobody is left to read it

            for read in pending:
                read.add_done_callback(close)
            await asyncio.wait(pending)
