"""The volume driver protocol: what a backend reports (capacity, capabilities) and how it
creates, copies, snapshots, grows, reads and writes volumes. Drivers take typed specs, never
ORM rows; sizes are GiB, offsets bytes."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

GIB = 1024**3


@dataclass(frozen=True, slots=True)
class PoolStats:
    """One pool's report, in the shape of cinder's ``get_pools`` capabilities."""

    pool_name: str
    total_capacity_gb: float
    free_capacity_gb: float
    thin_provisioning_support: bool
    thick_provisioning_support: bool
    max_over_subscription_ratio: float
    reserved_percentage: int
    qos_support: bool
    multiattach: bool
    online_extend_support: bool
    storage_protocol: str
    vendor_name: str
    driver_version: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VolumeSpec:
    id: str
    size: int  # GiB
    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class SnapshotSpec:
    id: str
    volume_id: str
    size: int
    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class Manageable:
    """An existing backend volume that is not (or is) managed by us."""

    reference: dict[str, str]
    size: int
    safe_to_manage: bool
    reason_not_safe: str | None
    cinder_id: str | None
    extra_info: str | None = None


class VolumeDriver(Protocol):
    backend_name: str
    storage_protocol: str

    def stats(self, allocated_gb: int) -> PoolStats:
        """The backend's pool, given what the database says is allocated on it."""
        ...

    async def create(self, volume: VolumeSpec) -> str | None:
        """An empty volume; returns the provider id (None: the volume id is the name)."""
        ...

    async def delete(self, volume: VolumeSpec) -> None: ...

    async def extend(self, volume: VolumeSpec, new_size: int) -> None: ...

    async def clone(self, volume: VolumeSpec, source: VolumeSpec) -> str | None:
        """A new volume with ``source``'s bytes (copy-on-write where the backend can)."""
        ...

    async def create_snapshot(self, snapshot: SnapshotSpec, volume: VolumeSpec) -> str | None: ...

    async def delete_snapshot(self, snapshot: SnapshotSpec) -> None: ...

    async def from_snapshot(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> str | None: ...

    async def revert(self, volume: VolumeSpec, snapshot: SnapshotSpec) -> None:
        """Put the snapshot's bytes back into the volume."""
        ...

    async def write(self, volume: VolumeSpec, chunks: AsyncIterator[bytes], offset: int = 0) -> int:
        """Write a stream into the volume from ``offset``; bytes written."""
        ...

    def read(self, volume: VolumeSpec, chunk_size: int) -> AsyncIterator[bytes]:
        """The volume's bytes, ``chunk_size`` at a time (the last chunk may be shorter)."""
        ...

    def read_snapshot(self, snapshot: SnapshotSpec, chunk_size: int) -> AsyncIterator[bytes]: ...

    async def manageable(self, managed: dict[str, str]) -> list[Manageable]:
        """Backend volumes; ``managed`` maps backend names to the ids we manage them as."""
        ...

    async def manage(self, volume: VolumeSpec, reference: dict[str, str]) -> tuple[int, str]:
        """Adopt an existing backend volume: (its size in GiB, its provider id)."""
        ...

    async def unmanage(self, volume: VolumeSpec) -> None:
        """Forget the volume without deleting its data."""
        ...

    async def manage_snapshot(
        self, snapshot: SnapshotSpec, reference: dict[str, str]
    ) -> tuple[int, str]:
        """Adopt an existing backend snapshot: (its size in GiB, its provider id)."""
        ...

    async def unmanage_snapshot(self, snapshot: SnapshotSpec) -> None: ...

    def connection_info(self, volume: VolumeSpec, connector: dict[str, Any]) -> dict[str, Any]: ...
