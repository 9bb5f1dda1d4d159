"""kit/spool.py: the bytes and digests come out right whatever the chunking, and every way an
upload can fail (over the limit, rejected by the check, broken stream, cancelled) leaves no
file behind."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stratus.kit import spool as spool_module
from stratus.kit.spool import LimitExceeded, read_file, spool


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("direct", [True, False], ids=["o_direct-if-possible", "buffered"])
@pytest.mark.parametrize("piece", [1, 4096, 65536 + 7, 5 << 20])
@pytest.mark.parametrize("batch", [100_000, 16 * 4096], ids=["odd-batch", "block-batch"])
async def test_bytes_and_digests(
    tmp_path: Path, piece: int, direct: bool, batch: int, monkeypatch
) -> None:
    # Small batches so that many batches (and a short last one) go through the threads; whole
    # blocks are written straight from the batch buffers, others through the file's buffer.
    monkeypatch.setattr(spool_module, "BATCH", batch)
    if not direct:
        monkeypatch.delattr(os, "O_DIRECT", raising=False)
    data = os.urandom(1_234_567 if piece > 1 else 5_000)
    final = tmp_path / "final" / "blob"
    done = await spool(
        chunks(data, piece),
        tmp_path / "tmp" / "x.part",
        final,
        digests=("md5", "sha512"),
        head_bytes=10,
    )
    assert final.read_bytes() == data
    assert done.size == len(data)
    assert done.digests == {
        "md5": hashlib.md5(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
    }
    assert done.head == data[:10]
    assert files(tmp_path) == [final]
    got = b"".join([part async for part in read_file(final, 5, 1000)])
    assert got == data[5:1001]


async def test_direct_write_refused_falls_back(tmp_path: Path, monkeypatch) -> None:
    """A filesystem that takes O_DIRECT at open but refuses the writes: plain writes go on."""
    probe = spool_module._File(tmp_path / "probe")
    probe.abort()
    if not probe.direct:
        pytest.skip("this filesystem refuses O_DIRECT at open")
    real_write = os.write
    refused = []

    def picky(fd: int, data) -> int:
        if not refused:
            refused.append(True)
            raise OSError(22, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(spool_module.os, "write", picky)
    data = os.urandom(300_001)
    final = tmp_path / "f"
    done = await spool(chunks(data, 65536), tmp_path / "t.part", final)
    assert final.read_bytes() == data and done.size == len(data)


async def test_over_the_limit(tmp_path: Path) -> None:
    with pytest.raises(LimitExceeded):
        await spool(
            chunks(b"x" * 10_000, 1000), tmp_path / "t.part", tmp_path / "f", max_bytes=9_999
        )
    assert files(tmp_path) == []


async def test_rejected_by_the_check(tmp_path: Path) -> None:
    def check(got: spool_module.Spooled) -> None:
        assert got.size == 3 and got.head == b"ab"
        raise ValueError(got.digests["md5"])

    with pytest.raises(ValueError, match=hashlib.md5(b"abc").hexdigest()):
        await spool(
            chunks(b"abc", 1), tmp_path / "t.part", tmp_path / "f", check=check, head_bytes=2
        )
    assert files(tmp_path) == []


async def test_broken_stream(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spool_module, "BATCH", 1000)

    async def broken() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"y" * 700
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await spool(broken(), tmp_path / "t.part", tmp_path / "f")
    assert files(tmp_path) == []


async def test_disk_failure_with_batches_in_flight(tmp_path: Path, monkeypatch) -> None:
    """The disk fails on the third batch while later ones are already queued behind it: the
    error reaches the caller, no queued batch is written after it, and no file is left."""
    monkeypatch.setattr(spool_module, "BATCH", 1000)
    real_write = spool_module._File.write
    written: list[int] = []

    def failing(self, parts) -> None:
        written.append(len(written))
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        real_write(self, parts)

    monkeypatch.setattr(spool_module._File, "write", failing)
    with pytest.raises(OSError, match="No space"):
        await spool(chunks(os.urandom(40_000), 500), tmp_path / "t.part", tmp_path / "f")
    assert files(tmp_path) == []
    assert len(written) <= 3 + spool_module.DEPTH


async def test_cancelled_mid_stream(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spool_module, "BATCH", 1000)
    started = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"z" * 4000
            started.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(spool(endless(), tmp_path / "t.part", tmp_path / "f"))
    await started.wait()
    for _ in range(20):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files(tmp_path) == []


async def _read_range_whole(tmp_path: Path, start: int, end: int | None) -> None:
    """read_file(start, end) of a ~1 MB file gives exactly those bytes."""
    data = os.urandom(1_000_003)
    path = tmp_path / "blob"
    path.write_bytes(data)
    got = b"".join([piece async for piece in read_file(path, start, end)])
    stop = len(data) if end is None else min(end + 1, len(data))
    assert got == data[start:stop]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (1, None), (4095, 4096), (4096, 8191), (12345, 3 * 100_000 + 7), (0, 10 << 20)],
)
async def test_large_reads_by_range(tmp_path: Path, monkeypatch, start: int, end) -> None:
    monkeypatch.setattr(spool_module, "READ_CHUNK", 16384)
    await _read_range_whole(tmp_path, start, end)


async def test_reader_closed_early(tmp_path: Path, monkeypatch) -> None:
    """A client that goes away mid-download: the reader stops and frees its file."""
    monkeypatch.setattr(spool_module, "READ_CHUNK", 16384)
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(500_000))
    opened = len(os.listdir("/proc/self/fd"))
    stream = read_file(path)
    first = await stream.__anext__()
    assert first
    await stream.aclose()
    assert len(os.listdir("/proc/self/fd")) == opened


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (1, None), (4095, 4096), (4096, 8191), (12345, 3 * 100_000 + 7), (7, 999_999)],
)
async def test_reads_around_the_page_cache(tmp_path: Path, monkeypatch, start: int, end) -> None:
    """Large reads go O_DIRECT (where the filesystem allows): any range, aligned or not, comes
    out whole, and so does a file whose size is not a multiple of the block size."""
    monkeypatch.setattr(spool_module, "DIRECT_READ_MIN", 0)
    monkeypatch.setattr(spool_module, "DIRECT_CHUNK", 3 * 4096)
    await _read_range_whole(tmp_path, start, end)


async def test_direct_read_refused_falls_back(tmp_path: Path, monkeypatch) -> None:
    """A filesystem that takes O_DIRECT at open but refuses the reads: buffered reads go on
    from the same place."""
    monkeypatch.setattr(spool_module, "DIRECT_READ_MIN", 0)
    monkeypatch.setattr(spool_module, "DIRECT_CHUNK", 4 * 4096)
    data = os.urandom(200_001)
    path = tmp_path / "blob"
    path.write_bytes(data)
    real = os.preadv
    calls = []

    def picky(fd: int, buffers, offset: int) -> int:
        calls.append(offset)
        if len(calls) == 2:
            raise OSError(22, "Invalid argument")
        return real(fd, buffers, offset)

    monkeypatch.setattr(spool_module.os, "preadv", picky)
    got = b"".join([piece async for piece in read_file(path, 3)])
    assert got == data[3:]
    probe = spool_module._Source(path, 0, None, 1)
    direct = probe.direct_fd is not None
    probe.close()
    if direct:
        assert len(calls) >= 2


async def test_direct_reader_closed_early(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spool_module, "DIRECT_READ_MIN", 0)
    monkeypatch.setattr(spool_module, "DIRECT_CHUNK", 4 * 4096)
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(500_000))
    opened = len(os.listdir("/proc/self/fd"))
    stream = read_file(path)
    assert await stream.__anext__()
    await stream.aclose()
    assert len(os.listdir("/proc/self/fd")) == opened
