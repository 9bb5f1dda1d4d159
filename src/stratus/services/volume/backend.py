"""The configured backends and the scheduler that places volumes on them: availability
zone, capacity (thin over-subscription) and capability filters, then most free space wins."""

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.services.volume.config import BackendConfig, VolumeConfig
from stratus.services.volume.drivers.base import PoolStats, VolumeDriver
from stratus.services.volume.drivers.fake import FakeVolumeDriver
from stratus.services.volume.drivers.file import FileVolumeDriver


@dataclass(frozen=True)
class Backend:
    name: str
    host: str  # "stratus@file"
    availability_zone: str
    driver: VolumeDriver

    @property
    def pool_host(self) -> str:
        """Where a volume lives: host@backend#pool."""
        return f"{self.host}#{self.name}"


def make_driver(cfg: BackendConfig, data_dir: Path) -> VolumeDriver:
    if cfg.driver == "fake":
        return FakeVolumeDriver(backend_name=cfg.name, capacity_gb=cfg.capacity_gb)
    if cfg.driver == "file":
        return FileVolumeDriver(
            data_dir / "volumes" / cfg.name, backend_name=cfg.name, capacity_gb=cfg.capacity_gb
        )
    raise ValueError(f"unknown volume driver {cfg.driver!r}")


class NoValidBackend(Exception):
    pass


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "<is> true")


def _capability_matches(stats: PoolStats, key: str, wanted: str, backend: "Backend") -> bool:
    """One extra spec against the pool's capabilities (unknown keys do not rule it out,
    as cinder's CapabilitiesFilter ignores keys the backend does not report)."""
    if key.startswith("capabilities:"):
        key = key.removeprefix("capabilities:")
    elif ":" in key:
        return True  # scoped for someone else (qos:, RESKEY: except those handled below)
    caps: dict[str, Any] = {
        "volume_backend_name": backend.name,
        "multiattach": stats.multiattach,
        "thin_provisioning_support": stats.thin_provisioning_support,
        "thick_provisioning_support": stats.thick_provisioning_support,
        "QoS_support": stats.qos_support,
        "online_extend_support": stats.online_extend_support,
        "storage_protocol": stats.storage_protocol,
        "vendor_name": stats.vendor_name,
    }
    if key not in caps:
        return True
    have = caps[key]
    text = wanted.strip()
    if text.startswith("<is>"):
        return bool(have) == _truthy(text.removeprefix("<is>"))
    if text.startswith("<in>"):
        return text.removeprefix("<in>").strip() in str(have)
    if text.startswith("<or>"):
        return str(have) in [p.strip() for p in text.removeprefix("<or>").split("<or>")]
    if isinstance(have, bool):
        return have == _truthy(text)
    return str(have) == text


class Backends:
    """Every enabled backend, by name, and the background work they run."""

    def __init__(self, cfg: VolumeConfig, data_dir: Path) -> None:
        self.cfg = cfg
        self.by_name: dict[str, Backend] = {}
        for b in cfg.backends:
            self.by_name[b.name] = Backend(
                name=b.name,
                host=f"{cfg.host}@{b.name}",
                availability_zone=b.availability_zone,
                driver=make_driver(b, data_dir),
            )
        self._tasks: set[asyncio.Task[None]] = set()

    def zones(self) -> list[str]:
        return sorted({b.availability_zone for b in self.by_name.values()})

    def of_host(self, host: str | None) -> Backend:
        name = (host or "").split("@", 1)[-1].split("#", 1)[0]
        backend = self.by_name.get(name)
        if backend is None:
            raise LookupError(f"no backend for host {host!r}")
        return backend

    def stats(self, allocated: Mapping[str, int]) -> list[tuple[Backend, PoolStats]]:
        return [(b, b.driver.stats(allocated.get(b.pool_host, 0))) for b in self.by_name.values()]

    def schedule(
        self,
        *,
        size: int,
        availability_zone: str | None,
        extra_specs: Mapping[str, str],
        allocated: Mapping[str, int],
        multiattach: bool = False,
        exclude: frozenset[str] | set[str] = frozenset(),
    ) -> Backend:
        candidates: list[tuple[float, Backend]] = []
        zones_spec = extra_specs.get("RESKEY:availability_zones")
        allowed_zones = {z.strip() for z in zones_spec.split(",")} if zones_spec else None
        for backend, stats in self.stats(allocated):
            if backend.host in exclude:
                continue
            if availability_zone and backend.availability_zone != availability_zone:
                continue
            if allowed_zones is not None and backend.availability_zone not in allowed_zones:
                continue
            if multiattach and not stats.multiattach:
                continue
            if not all(_capability_matches(stats, k, v, backend) for k, v in extra_specs.items()):
                continue
            virtual_free = (
                stats.total_capacity_gb * stats.max_over_subscription_ratio
                - stats.extra.get("allocated_capacity_gb", 0)
                if stats.thin_provisioning_support
                else stats.free_capacity_gb
            )
            if size > virtual_free:
                continue
            candidates.append((stats.free_capacity_gb, backend))
        if not candidates:
            raise NoValidBackend("No valid backend was found.")
        candidates.sort(key=lambda c: (-c[0], c[1].name))
        return candidates[0][1]

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run backend work after the request returns (cinder's volume manager casts)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
