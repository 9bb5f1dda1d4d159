"""The ``file`` backend: each volume a sparse raw file in the data directory. Snapshots and
clones are reflinks (FICLONE: copy-on-write on btrfs/XFS) and otherwise sparse copies that
visit only the allocated extents, so their cost follows the data written, never the size."""

import asyncio
import errno
import fcntl
import math
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from stratus.services.volume.drivers.base import (
    GIB,
    Manageable,
    PoolStats,
    SnapshotSpec,
    VolumeSpec,
)

_FICLONE = 0x40049409
_COPY_STEP = 64 * 1024 * 1024


def _reflink(src: int, dst: int) -> bool:
    try:
        fcntl.ioctl(dst, _FICLONE, src)
    except OSError as err:
        if err.errno in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EPERM):
            return False
        raise
    return True


def _extents(fd: int, size: int) -> list[tuple[int, int]]:
    """The (start, end) data extents of a sparse file."""
    out: list[tuple[int, int]] = []
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as err:
            if err.errno == errno.ENXIO:  # only a hole after pos
                break
            raise
        end = os.lseek(fd, start, os.SEEK_HOLE)
        out.append((start, end))
        pos = end
    return out


def _is_hole(fd: int, pos: int, length: int) -> bool:
    """True when [pos, pos+length) holds no data (zeros written there may stay a hole)."""
    try:
        return os.lseek(fd, pos, os.SEEK_DATA) >= pos + length
    except OSError as err:
        if err.errno == errno.ENXIO:
            return True
        raise


def sparse_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` keeping holes: reflink when the filesystem can, else only the
    allocated extents are copied."""
    tmp = dst.with_name(dst.name + ".part")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        if not _reflink(fin.fileno(), fout.fileno()):
            for start, end in _extents(fin.fileno(), size):
                pos = start
                while pos < end:
                    n = os.copy_file_range(
                        fin.fileno(), fout.fileno(), min(_COPY_STEP, end - pos), pos, pos
                    )
                    if n == 0:
                        break
                    pos += n
            fout.truncate(size)
    tmp.replace(dst)


class FileVolumeDriver:
    storage_protocol = "file"

    def __init__(self, root: Path, *, backend_name: str = "file", capacity_gb: int = 1000) -> None:
        self.backend_name = backend_name
        self.root = root
        self.capacity_gb = capacity_gb
        root.mkdir(parents=True, exist_ok=True)

    def _vol(self, volume: VolumeSpec) -> Path:
        return self.root / (volume.provider_id or f"volume-{volume.id}")

    def _snap(self, snapshot: SnapshotSpec) -> Path:
        return self.root / (snapshot.provider_id or f"snapshot-{snapshot.id}")

    def stats(self, allocated_gb: int) -> PoolStats:
        disk = shutil.disk_usage(self.root)
        physical_free = disk.free / GIB
        total = float(self.capacity_gb)
        free = max(0.0, min(total - allocated_gb, physical_free * 20))
        return PoolStats(
            pool_name=self.backend_name,
            total_capacity_gb=total,
            free_capacity_gb=round(free, 2),
            thin_provisioning_support=True,
            thick_provisioning_support=False,
            max_over_subscription_ratio=20.0,
            reserved_percentage=0,
            qos_support=True,
            multiattach=True,
            online_extend_support=True,
            storage_protocol=self.storage_protocol,
            vendor_name="Stratus",
            driver_version="1.0.0",
            extra={"allocated_capacity_gb": allocated_gb, "sparse_files": True},
        )

    async def create(self, volume: VolumeSpec) -> str | None:
        path = self._vol(volume)

        def make() -> None:
            with open(path, "xb") as f:
                f.truncate(volume.size * GIB)

        await asyncio.to_thread(make)
        return None

    async def delete(self, volume: VolumeSpec) -> None:
        self._vol(volume).unlink(missing_ok=True)

    async def extend(self, volume: VolumeSpec, new_size: int) -> None:
        path = self._vol(volume)

        def grow() -> None:
            with open(path, "r+b") as f:
                f.truncate(new_size * GIB)

        await asyncio.to_thread(grow)

    async def clone(self, volume: VolumeSpec, source: VolumeSpec) -> str | None:
        dst = self._vol(volume)
        await asyncio.to_thread(sparse_copy, self._vol(source), dst)
        await self._grow_to(dst, volume.size)
        return None

    async def _grow_to(self, path: Path, size_gb: int) -> None:
        def grow() -> None:
            with open(path, "r+b") as f:
                if os.fstat(f.fileno()).st_size < size_gb * GIB:
                    f.truncate(size_gb * GIB)

        await asyncio.to_thread(grow)

    async def create_snapshot(self, snapshot: SnapshotSpec, volume: VolumeSpec) -> str | None:
        await asyncio.to_thread(sparse_copy, self._vol(volume), self._snap(snapshot))
        return None

    async def delete_snapshot(self, snapshot: SnapshotSpec) -> None:
        self._snap(snapshot).unlink(missing_ok=True)

    async def from_snapshot(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> str | None:
        dst = self._vol(volume)
        await asyncio.to_thread(sparse_copy, self._snap(snapshot), dst)
        await self._grow_to(dst, volume.size)
        return None

    async def revert(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> None:
        dst = self._vol(volume)
        size = dst.stat().st_size
        await asyncio.to_thread(sparse_copy, self._snap(snapshot), dst)
        await self._grow_to(dst, math.ceil(size / GIB))

    async def write(self, volume: VolumeSpec, chunks: AsyncIterator[bytes], offset: int = 0) -> int:
        path = self._vol(volume)
        limit = volume.size * GIB
        written = 0
        fd = await asyncio.to_thread(os.open, path, os.O_WRONLY)
        try:
            pos = offset
            async for chunk in chunks:
                if pos + len(chunk) > limit:
                    raise ValueError("the data does not fit in the volume")
                if chunk.count(0) != len(chunk) or not _is_hole(fd, pos, len(chunk)):
                    await asyncio.to_thread(os.pwrite, fd, chunk, pos)
                pos += len(chunk)
                written += len(chunk)
        finally:
            os.close(fd)
        return written

    async def _read_path(self, path: Path, chunk_size: int) -> AsyncIterator[bytes]:
        fd = await asyncio.to_thread(os.open, path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            pos = 0
            while pos < size:
                data = await asyncio.to_thread(os.pread, fd, min(chunk_size, size - pos), pos)
                if not data:
                    break
                pos += len(data)
                yield data
        finally:
            os.close(fd)

    def read(self, volume: VolumeSpec, chunk_size: int) -> AsyncIterator[bytes]:
        return self._read_path(self._vol(volume), chunk_size)

    def read_snapshot(self, snapshot: SnapshotSpec, chunk_size: int) -> AsyncIterator[bytes]:
        return self._read_path(self._snap(snapshot), chunk_size)

    async def manageable(self, managed: dict[str, str]) -> list[Manageable]:
        out = []
        for path in sorted(self.root.iterdir()):
            if path.name.endswith(".part") or path.name.startswith("snapshot-"):
                continue
            cinder_id = managed.get(path.name)
            if cinder_id is None and path.name.startswith("volume-"):
                cinder_id = managed.get(path.name) or None
            size = math.ceil(path.stat().st_size / GIB)
            out.append(
                Manageable(
                    reference={"source-name": path.name},
                    size=size,
                    safe_to_manage=cinder_id is None,
                    reason_not_safe="already managed" if cinder_id else None,
                    cinder_id=cinder_id,
                )
            )
        return out

    async def manage(self, volume: VolumeSpec, reference: dict[str, str]) -> tuple[int, str]:
        name = reference.get("source-name") or reference.get("name") or ""
        path = self.root / name
        if not name or "/" in name or not path.is_file():
            raise FileNotFoundError(name)
        return max(1, math.ceil(path.stat().st_size / GIB)), name

    async def unmanage(self, volume: VolumeSpec) -> None:
        return None

    async def manage_snapshot(
        self, snapshot: SnapshotSpec, reference: dict[str, str]
    ) -> tuple[int, str]:
        return await self.manage(VolumeSpec(id=snapshot.id, size=snapshot.size), reference)

    async def unmanage_snapshot(self, snapshot: SnapshotSpec) -> None:
        return None

    def connection_info(self, volume: VolumeSpec, connector: dict[str, Any]) -> dict[str, Any]:
        return {
            "driver_volume_type": "local",
            "data": {"device_path": str(self._vol(volume)), "access_mode": "rw"},
        }
