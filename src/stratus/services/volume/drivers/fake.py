"""The ``fake`` backend: volumes kept in memory, instantly. Only the bytes written are
stored (a dict of offset → block), reads return them with zeros elsewhere; sizes and
capacity are simulated."""

from collections.abc import AsyncIterator
from typing import Any

from stratus.services.volume.drivers.base import (
    GIB,
    Manageable,
    PoolStats,
    SnapshotSpec,
    VolumeSpec,
)

_BLOCK = 1024 * 1024


class _Data:
    def __init__(self, size: int) -> None:
        self.size = size  # bytes
        self.blocks: dict[int, bytes] = {}

    def copy(self) -> "_Data":
        out = _Data(self.size)
        out.blocks = dict(self.blocks)
        return out

    def write(self, pos: int, data: bytes) -> None:
        while data:
            index, inner = divmod(pos, _BLOCK)
            block = bytearray(self.blocks.get(index, bytes(_BLOCK)))
            n = min(len(data), _BLOCK - inner)
            block[inner : inner + n] = data[:n]
            if block.count(0) == _BLOCK:
                self.blocks.pop(index, None)
            else:
                self.blocks[index] = bytes(block)
            pos += n
            data = data[n:]

    def read(self, pos: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            index, inner = divmod(pos, _BLOCK)
            n = min(length, _BLOCK - inner)
            block = self.blocks.get(index)
            out += block[inner : inner + n] if block is not None else bytes(n)
            pos += n
            length -= n
        return bytes(out)


class FakeVolumeDriver:
    storage_protocol = "iSCSI"

    def __init__(self, *, backend_name: str = "fake", capacity_gb: int = 1000) -> None:
        self.backend_name = backend_name
        self.capacity_gb = capacity_gb
        self.volumes: dict[str, _Data] = {}
        self.snapshots: dict[str, _Data] = {}
        # Backend volumes that exist outside the cloud (for manage tests), by name.
        self.unmanaged: dict[str, _Data] = {}

    def stats(self, allocated_gb: int) -> PoolStats:
        return PoolStats(
            pool_name=self.backend_name,
            total_capacity_gb=float(self.capacity_gb),
            free_capacity_gb=float(max(0, self.capacity_gb - allocated_gb)),
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
            extra={"allocated_capacity_gb": allocated_gb},
        )

    def _key(self, volume: VolumeSpec) -> str:
        return volume.provider_id or volume.id

    def _get(self, volume: VolumeSpec) -> _Data:
        key = self._key(volume)
        data = self.volumes.get(key)
        if data is None:
            data = self.volumes[key] = _Data(volume.size * GIB)
        return data

    async def create(self, volume: VolumeSpec) -> str | None:
        self.volumes[self._key(volume)] = _Data(volume.size * GIB)
        return None

    async def delete(self, volume: VolumeSpec) -> None:
        self.volumes.pop(self._key(volume), None)

    async def extend(self, volume: VolumeSpec, new_size: int) -> None:
        self._get(volume).size = new_size * GIB

    async def clone(self, volume: VolumeSpec, source: VolumeSpec) -> str | None:
        data = self._get(source).copy()
        data.size = max(data.size, volume.size * GIB)
        self.volumes[self._key(volume)] = data
        return None

    async def create_snapshot(self, snapshot: SnapshotSpec, volume: VolumeSpec) -> str | None:
        self.snapshots[snapshot.id] = self._get(volume).copy()
        return None

    async def delete_snapshot(self, snapshot: SnapshotSpec) -> None:
        self.snapshots.pop(snapshot.id, None)

    def _snap(self, snapshot: SnapshotSpec) -> _Data:
        return self.snapshots.get(snapshot.id) or _Data(snapshot.size * GIB)

    async def from_snapshot(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> str | None:
        data = self._snap(snapshot).copy()
        data.size = max(data.size, volume.size * GIB)
        self.volumes[self._key(volume)] = data
        return None

    async def revert(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> None:
        size = self._get(volume).size
        data = self._snap(snapshot).copy()
        data.size = size
        self.volumes[self._key(volume)] = data

    async def write(self, volume: VolumeSpec, chunks: AsyncIterator[bytes], offset: int = 0) -> int:
        data = self._get(volume)
        pos = offset
        async for chunk in chunks:
            if pos + len(chunk) > data.size:
                raise ValueError("the data does not fit in the volume")
            data.write(pos, chunk)
            pos += len(chunk)
        return pos - offset

    async def _read(self, data: _Data, chunk_size: int) -> AsyncIterator[bytes]:
        pos = 0
        while pos < data.size:
            n = min(chunk_size, data.size - pos)
            yield data.read(pos, n)
            pos += n

    def read(self, volume: VolumeSpec, chunk_size: int) -> AsyncIterator[bytes]:
        return self._read(self._get(volume), chunk_size)

    def read_snapshot(self, snapshot: SnapshotSpec, chunk_size: int) -> AsyncIterator[bytes]:
        return self._read(self._snap(snapshot), chunk_size)

    async def manageable(self, managed: dict[str, str]) -> list[Manageable]:
        out = []
        for name, data in sorted(self.unmanaged.items()):
            out.append(
                Manageable(
                    reference={"source-name": name},
                    size=max(1, -(-data.size // GIB)),
                    safe_to_manage=True,
                    reason_not_safe=None,
                    cinder_id=None,
                )
            )
        for name, cinder_id in sorted(managed.items()):
            held = self.volumes.get(name)
            if held is None:
                continue
            data = held
            out.append(
                Manageable(
                    reference={"source-name": name},
                    size=max(1, -(-data.size // GIB)),
                    safe_to_manage=False,
                    reason_not_safe="already managed",
                    cinder_id=cinder_id,
                )
            )
        return out

    async def manage(self, volume: VolumeSpec, reference: dict[str, str]) -> tuple[int, str]:
        name = reference.get("source-name") or reference.get("name") or ""
        data = self.unmanaged.pop(name, None)
        if data is None:
            raise FileNotFoundError(name)
        self.volumes[name] = data
        return max(1, -(-data.size // GIB)), name

    async def unmanage(self, volume: VolumeSpec) -> None:
        key = self._key(volume)
        data = self.volumes.pop(key, None)
        if data is not None:
            self.unmanaged[key] = data

    async def manage_snapshot(
        self, snapshot: SnapshotSpec, reference: dict[str, str]
    ) -> tuple[int, str]:
        name = reference.get("source-name") or reference.get("name") or ""
        data = self.unmanaged.pop(name, None)
        if data is None:
            raise FileNotFoundError(name)
        self.snapshots[snapshot.id] = data
        return max(1, -(-data.size // GIB)), name

    async def unmanage_snapshot(self, snapshot: SnapshotSpec) -> None:
        data = self.snapshots.pop(snapshot.id, None)
        if data is not None:
            self.unmanaged[snapshot.provider_id or f"snapshot-{snapshot.id}"] = data

    def connection_info(self, volume: VolumeSpec, connector: dict[str, Any]) -> dict[str, Any]:
        return {
            "driver_volume_type": "iscsi",
            "data": {
                "target_discovered": False,
                "target_iqn": f"iqn.2010-10.org.openstack:volume-{volume.id}",
                "target_portal": "127.0.0.1:3260",
                "target_lun": 1,
                "volume_id": volume.id,
                "access_mode": "rw",
            },
        }
