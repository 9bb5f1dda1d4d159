"""kit/qcow2.py: disks written as qcow2 read back byte for byte, qemu-img agrees with both
directions when it is installed, and images that are not self-contained are refused."""

import io
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from stratus.kit import qcow2

MIB = 1 << 20


def disk(size: int, regions: list[int]) -> bytes:
    data = bytearray(size)
    for at in regions:
        piece = os.urandom(min(50_000, size - at))
        data[at : at + len(piece)] = piece
    return bytes(data)


def to_qcow2(data: bytes, size: int | None = None, piece: int = 100_000) -> io.BytesIO:
    out = io.BytesIO()
    chunks = (data[i : i + piece] for i in range(0, len(data), piece))
    qcow2.write(chunks, len(data) if size is None else size, out)
    return out


def to_raw(fh, size: int) -> bytes:
    got = bytearray(size)
    for offset, data in qcow2.raw_runs(fh):
        got[offset : offset + len(data)] = data
    return bytes(got)


@pytest.mark.parametrize("piece", [1000, 65536, 3 * MIB])
def test_round_trip(piece: int) -> None:
    data = disk(10 * MIB, [0, 70_000, 5 * MIB, 10 * MIB - 100])
    image = to_qcow2(data, piece=piece)
    assert qcow2.virtual_size(image) == len(data)
    assert to_raw(image, len(data)) == data
    # zero clusters are not stored: 4 data clusters plus header, L2, L1 and refcounts
    assert len(image.getvalue()) < 10 * qcow2.CLUSTER


def test_empty_and_short_input() -> None:
    image = to_qcow2(b"", size=3 * MIB)
    assert qcow2.virtual_size(image) == 3 * MIB
    assert list(qcow2.extents(image)) == []
    with pytest.raises(ValueError, match="more data"):
        to_qcow2(b"x" * (2 * qcow2.CLUSTER), size=qcow2.CLUSTER)


def test_a_disk_wider_than_one_l2_table() -> None:
    """One L2 table maps 512 MiB; data on both sides of that line."""
    size = 600 * MIB
    zeros = bytes(MIB)

    def chunks():
        yield b"first" + bytes(MIB - 5)
        for _ in range(1, 550):
            yield zeros
        yield b"second" + bytes(MIB - 6)
        for _ in range(551, 600):
            yield zeros

    out = io.BytesIO()
    qcow2.write(chunks(), size, out)
    runs = dict(qcow2.raw_runs(out))
    assert sorted(runs) == [0, 550 * MIB]
    assert runs[0][:5] == b"first" and runs[550 * MIB][:6] == b"second"


def header(*, version: int = 3, backing: int = 0, incompatible: int = 0, crypt: int = 0) -> bytes:
    image = bytearray(to_qcow2(b"abc" * 1000, size=MIB).getvalue())
    struct.pack_into(">I", image, 4, version)
    struct.pack_into(">Q", image, 8, backing)
    struct.pack_into(">I", image, 32, crypt)
    struct.pack_into(">Q", image, 72, incompatible)
    return bytes(image)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"not a disk image" * 10, "not a qcow2 image"),
        (header(backing=512), "backing file"),
        (header(incompatible=1 << 2), "external data file"),
        (header(incompatible=1 << 4), "features this reader does not support"),
        (header(crypt=1), "encrypted"),
        (header(version=4), "version 4"),
        (header()[:200], "past the end"),
    ],
)
def test_refused(image: bytes, message: str) -> None:
    with pytest.raises(qcow2.Qcow2Error, match=message):
        list(qcow2.extents(io.BytesIO(image)))


def test_compressed_and_zero_clusters() -> None:
    """A compressed cluster is inflated; a cluster with the zero flag reads as zeros even
    though its entry still points at old data."""
    data = b"compressible " * 5000 + bytes(qcow2.CLUSTER - 65000)
    data = data[: qcow2.CLUSTER] + b"stale!" + bytes(qcow2.CLUSTER - 6)
    image = bytearray(to_qcow2(data).getvalue())
    l1_offset = struct.unpack_from(">Q", image, 40)[0]
    l2_offset = struct.unpack_from(">Q", image, l1_offset)[0] & 0x00FF_FFFF_FFFF_FE00
    # cluster 0: replace with a compressed copy at the end of the file
    packer = zlib.compressobj(9, zlib.DEFLATED, -12)
    packed = packer.compress(data[: qcow2.CLUSTER]) + packer.flush()
    host = len(image)
    image += packed + bytes(-len(packed) % 512)
    bits = 62 - (qcow2.CLUSTER_BITS - 8)
    sectors = -(-len(packed) // 512) - 1
    struct.pack_into(">Q", image, l2_offset, (1 << 62) | (sectors << bits) | host)
    # cluster 1: zero flag
    entry = struct.unpack_from(">Q", image, l2_offset + 8)[0]
    struct.pack_into(">Q", image, l2_offset + 8, entry | 1)
    runs = dict(qcow2.extents(io.BytesIO(bytes(image))))
    assert runs == {0: data[: qcow2.CLUSTER]}


QEMU_IMG = shutil.which("qemu-img")
needs_qemu = pytest.mark.skipif(
    QEMU_IMG is None, reason="qemu-img is not installed (make install adds qemu-utils)"
)


@needs_qemu
def test_qemu_img_reads_what_we_write(tmp_path: Path) -> None:
    data = disk(20 * MIB, [0, 3 * MIB + 7, 19 * MIB])
    raw = tmp_path / "d.raw"
    raw.write_bytes(data)
    image = tmp_path / "d.qcow2"
    with open(image, "w+b") as out:
        qcow2.write(iter([data]), len(data), out)
    check = subprocess.run([QEMU_IMG, "check", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    same = subprocess.run(
        [QEMU_IMG, "compare", "-f", "qcow2", "-F", "raw", str(image), str(raw)],
        capture_output=True,
        text=True,
    )
    assert same.returncode == 0, same.stdout


@needs_qemu
@pytest.mark.parametrize(
    "options", [[], ["-c"], ["-o", "compat=0.10"], ["-o", "cluster_size=4096"]]
)
def test_we_read_what_qemu_img_writes(tmp_path: Path, options: list[str]) -> None:
    data = disk(8 * MIB, [0, 1 * MIB + 3, 8 * MIB - 512])
    raw = tmp_path / "d.raw"
    raw.write_bytes(data)
    image = tmp_path / "q.qcow2"
    subprocess.run([QEMU_IMG, "convert", *options, "-O", "qcow2", str(raw), str(image)], check=True)
    with open(image, "rb") as fh:
        assert qcow2.virtual_size(fh) == len(data)
        assert to_raw(fh, len(data)) == data
