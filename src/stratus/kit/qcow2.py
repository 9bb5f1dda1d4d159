"""Reading and writing qcow2 disk images, for what Cinder does with ``qemu-img convert``: a
volume created from a qcow2 image holds the guest disk (not the qcow2 file), and a volume
uploaded as a qcow2 image becomes one. Blocking file I/O: run it in a thread.

Only self-contained images are read: no backing file, no external data file, no encryption
(services/image/formats.py refuses the first two at upload). Written images are qcow2 v3
with 64 KiB clusters, all-zero clusters left unallocated, as ``qemu-img convert -O qcow2``."""

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAGIC = b"QFI\xfb"
CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
_OFFSET_MASK = 0x00FF_FFFF_FFFF_FE00
_COPIED = 1 << 63
_COMPRESSED = 1 << 62
_ZERO = 1
_DATA_FILE = 1 << 2
_READABLE_INCOMPATIBLE = 0b1001  # dirty (refcounts stale, mapping sound), compression type
_HEADER_V3 = 104
_REFCOUNT_ORDER = 4  # 16-bit refcounts, as qemu-img writes


class Qcow2Error(Exception):
    """Not a qcow2 image this reader can turn into a disk."""


@dataclass(frozen=True)
class Header:
    version: int
    cluster_bits: int
    size: int
    l1_size: int
    l1_offset: int
    compression_type: int


def read_header(fh: BinaryIO) -> Header:
    fh.seek(0)
    raw = fh.read(_HEADER_V3)
    if len(raw) < 72 or raw[:4] != MAGIC:
        raise Qcow2Error("not a qcow2 image")
    version, backing, _, cluster_bits, size, crypt, l1_size, l1_offset = struct.unpack_from(
        ">IQIIQIIQ", raw, 4
    )
    if version not in (2, 3):
        raise Qcow2Error(f"qcow2 version {version} is not supported")
    if backing:
        raise Qcow2Error("qcow2 images with a backing file are not supported")
    if crypt:
        raise Qcow2Error("encrypted qcow2 images are not supported")
    if not 9 <= cluster_bits <= 21:
        raise Qcow2Error(f"qcow2 cluster size 2^{cluster_bits} is not valid")
    compression_type = 0
    if version == 3:
        if len(raw) < _HEADER_V3:
            raise Qcow2Error("qcow2 header is truncated")
        incompatible = struct.unpack_from(">Q", raw, 72)[0]
        if incompatible & _DATA_FILE:
            raise Qcow2Error("qcow2 images with an external data file are not supported")
        if incompatible & ~_READABLE_INCOMPATIBLE:
            raise Qcow2Error("qcow2 image uses features this reader does not support")
        if incompatible & (1 << 3):
            header_length = struct.unpack_from(">I", raw, 100)[0]
            fh.seek(104)
            extra = fh.read(max(0, header_length - 104))
            compression_type = extra[0] if extra else 0
            if compression_type != 0:
                raise Qcow2Error("only zlib-compressed qcow2 clusters are supported")
    return Header(version, cluster_bits, size, l1_size, l1_offset, compression_type)


def _entries(fh: BinaryIO, offset: int, count: int) -> tuple[int, ...]:
    fh.seek(offset)
    raw = fh.read(count * 8)
    if len(raw) != count * 8:
        raise Qcow2Error("qcow2 table lies past the end of the file")
    return struct.unpack(f">{count}Q", raw)


def extents(fh: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The guest disk's allocated clusters in order, as (guest offset, bytes); everything
    not yielded reads as zeros. Adjacent clusters are not merged (each is one cluster)."""
    head = read_header(fh)
    cluster = 1 << head.cluster_bits
    per_l2 = cluster // 8
    needed = -(-head.size // (cluster * per_l2))
    if head.l1_size < needed:
        raise Qcow2Error("qcow2 L1 table is smaller than the disk")
    l1 = _entries(fh, head.l1_offset, needed) if needed else ()
    compressed_bits = 62 - (head.cluster_bits - 8)
    for i, l1_entry in enumerate(l1):
        l2_offset = l1_entry & _OFFSET_MASK
        if not l2_offset:
            continue
        for j, entry in enumerate(_entries(fh, l2_offset, per_l2)):
            guest = (i * per_l2 + j) * cluster
            if guest >= head.size:
                return
            length = min(cluster, head.size - guest)
            if entry & _COMPRESSED:
                host = entry & ((1 << compressed_bits) - 1)
                sectors = ((entry >> compressed_bits) & ((1 << (head.cluster_bits - 8)) - 1)) + 1
                fh.seek(host)
                packed = fh.read(sectors * 512 - (host & 511))
                data = zlib.decompressobj(-12).decompress(packed, cluster)
                yield guest, data[:length].ljust(length, b"\0")
                continue
            host = entry & _OFFSET_MASK
            if (entry & _ZERO and head.version == 3) or not host:
                continue
            fh.seek(host)
            data = fh.read(length)
            if len(data) != length:
                raise Qcow2Error("qcow2 data cluster lies past the end of the file")
            yield guest, data


def virtual_size(fh: BinaryIO) -> int:
    return read_header(fh).size


def write(chunks: Iterator[bytes], size: int, out: BinaryIO) -> int:
    """Write the ``size``-byte disk read from ``chunks`` as a qcow2 image into ``out`` (an
    empty, seekable file); returns the file's length. Zero clusters stay unallocated."""
    per_l2 = CLUSTER // 8
    guest_clusters = -(-size // CLUSTER)
    l1_size = -(-guest_clusters // per_l2)
    l2: dict[int, list[int]] = {}
    next_host = CLUSTER  # cluster 0 is the header
    zero = bytes(CLUSTER)
    pending = bytearray()
    guest = 0

    def put(block: bytes) -> None:
        nonlocal next_host, guest
        if block != zero[: len(block)]:
            out.seek(next_host)
            out.write(block.ljust(CLUSTER, b"\0"))
            table = l2.setdefault(guest // per_l2, [0] * per_l2)
            table[guest % per_l2] = next_host | _COPIED
            next_host += CLUSTER
        guest += 1

    for chunk in chunks:
        pending += chunk
        whole = len(pending) - len(pending) % CLUSTER
        for at in range(0, whole, CLUSTER):
            put(bytes(pending[at : at + CLUSTER]))
        del pending[:whole]
    if pending:
        put(bytes(pending))
    if guest < guest_clusters:
        guest = guest_clusters  # the rest of the disk was not given: zeros
    elif guest > guest_clusters:
        raise ValueError("more data than the disk size")

    # Metadata after the data: L2 tables, the L1 table, then the refcounts for everything.
    l1 = [0] * l1_size
    for index in sorted(l2):
        out.seek(next_host)
        out.write(struct.pack(f">{per_l2}Q", *l2[index]))
        l1[index] = next_host | _COPIED
        next_host += CLUSTER
    l1_offset = next_host
    l1_clusters = max(1, -(-(l1_size * 8) // CLUSTER))
    out.seek(l1_offset)
    out.write(struct.pack(f">{l1_size}Q", *l1).ljust(l1_clusters * CLUSTER, b"\0"))
    next_host += l1_clusters * CLUSTER

    per_block = CLUSTER * 8 // (1 << _REFCOUNT_ORDER)
    used = next_host // CLUSTER
    blocks = table_clusters = 1
    while True:  # the refcount structures count themselves
        total = used + table_clusters + blocks
        need_blocks = -(-total // per_block)
        need_table = max(1, -(-(need_blocks * 8) // CLUSTER))
        if (need_blocks, need_table) == (blocks, table_clusters):
            break
        blocks, table_clusters = need_blocks, need_table
    table_offset = next_host
    first_block = table_offset + table_clusters * CLUSTER
    refcount_table = [first_block + b * CLUSTER for b in range(blocks)]
    out.seek(table_offset)
    out.write(struct.pack(f">{blocks}Q", *refcount_table).ljust(table_clusters * CLUSTER, b"\0"))
    total = used + table_clusters + blocks
    counts = [1] * total + [0] * (blocks * per_block - total)
    out.seek(first_block)
    out.write(struct.pack(f">{len(counts)}H", *counts))
    end = first_block + blocks * CLUSTER

    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        MAGIC,
        3,
        0,
        0,
        CLUSTER_BITS,
        size,
        0,
        l1_size,
        l1_offset,
        table_offset,
        table_clusters,
        0,
        0,
        0,
        0,
        0,
        _REFCOUNT_ORDER,
        _HEADER_V3,
    )
    out.seek(0)
    out.write(header.ljust(CLUSTER, b"\0"))  # then the end-of-extensions marker (zeros)
    out.truncate(end)
    return end


def raw_runs(fh: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """``extents`` with adjacent clusters joined into runs of up to 4 MiB."""
    start, length = -1, 0
    parts: list[bytes] = []
    for offset, data in extents(fh):
        if parts and (offset != start + length or length >= 4 << 20):
            yield start, b"".join(parts)
            parts, length = [], 0
        if not parts:
            start = offset
        parts.append(data)
        length += len(data)
    if parts:
        yield start, b"".join(parts)
