"""Cinder's services and hosts: the scheduler, one volume service per backend and the
backup service, with the operator's enable/disable and freeze/thaw state; os-hosts."""

from dataclasses import dataclass
from typing import Any

from stratus.kit.errors import NotFound
from stratus.kit.timeutil import utcnow
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.models import ServiceState

BINARIES = ("cinder-scheduler", "cinder-volume", "cinder-backup")


@dataclass
class ServiceRow:
    binary: str
    host: str
    zone: str
    disabled: bool
    disabled_reason: str | None
    frozen: bool
    updated_at: Any


def host_matches(service_host: str, wanted: str) -> bool:
    """``stratus`` matches ``stratus`` and ``stratus@file`` (cinder compares the host part)."""
    return service_host == wanted or service_host.split("@", 1)[0].split("#", 1)[0] == wanted


class HostService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    def _known(self) -> list[tuple[str, str, str]]:
        cfg = self.core.cfg
        out = [("cinder-scheduler", cfg.host, cfg.default_availability_zone)]
        out += [
            ("cinder-volume", b.host, b.availability_zone)
            for b in self.core.backends.by_name.values()
        ]
        if "object-store" in self.core.runtime.settings.services:
            out.append(("cinder-backup", cfg.host, cfg.backup_availability_zone))
        return out

    async def list_services(self, *, host: str | None, binary: str | None) -> list[ServiceRow]:
        async with self.db.reader() as s:
            states = await repo.service_states(s)
        now = utcnow()
        rows = []
        for b, h, zone in self._known():
            if host and not host_matches(h, host):
                continue
            if binary and b != binary:
                continue
            st = states.get((b, h))
            rows.append(
                ServiceRow(
                    binary=b,
                    host=h,
                    zone=zone,
                    disabled=bool(st and st.disabled),
                    disabled_reason=st.disabled_reason if st else None,
                    frozen=bool(st and st.frozen),
                    updated_at=now,
                )
            )
        return rows

    async def set_enabled(
        self, host: Any, binary: Any, *, enabled: bool, reason: str | None = None
    ) -> ServiceRow:
        if not isinstance(host, str) or not isinstance(binary, str):
            raise InvalidInput("Missing required element 'host' or 'binary' in request body.")
        if binary not in BINARIES:
            raise NotFound(f"Service {binary} could not be found.")
        match = [(b, h, z) for b, h, z in self._known() if b == binary and h == host]
        if not match:
            raise NotFound(f"Service {binary} could not be found on host {host}.")
        async with self.db.session() as s:
            st = await repo.service_state(s, binary, host)
            if st is None:
                st = ServiceState(binary=binary, host=host, updated_at=utcnow())
                s.add(st)
            st.disabled = not enabled
            st.disabled_reason = None if enabled else reason
            st.updated_at = utcnow()
        rows = await self.list_services(host=host, binary=binary)
        return rows[0]

    async def set_frozen(self, host: Any, *, frozen: bool) -> None:
        if not isinstance(host, str) or not host:
            raise InvalidInput("Missing required element 'host' in request body.")
        volume_hosts = [h for b, h, _ in self._known() if b == "cinder-volume"]
        if host not in volume_hosts:
            raise InvalidInput(f"Invalid host: no volume service on host {host}.")
        async with self.db.session() as s:
            st = await repo.service_state(s, "cinder-volume", host)
            if st is None:
                st = ServiceState(binary="cinder-volume", host=host, updated_at=utcnow())
                s.add(st)
            st.frozen = frozen
            st.updated_at = utcnow()

    async def disabled_backends(self) -> set[str]:
        async with self.db.reader() as s:
            states = await repo.service_states(s)
        return {h for (b, h), st in states.items() if b == "cinder-volume" and st.disabled}

    async def host_resources(self, host: str) -> list[dict[str, Any]]:
        volume_hosts = [h for b, h, _ in self._known() if b == "cinder-volume"]
        if host not in volume_hosts:
            raise NotFound(f"Host {host} could not be found.")
        async with self.db.reader() as s:
            usage = await repo.host_usage(s, host)
        total_count = sum(c for _, c, _ in usage)
        total_gb = sum(g for _, _, g in usage)
        out = [
            {
                "resource": {
                    "volume_count": str(total_count),
                    "total_volume_gb": str(total_gb),
                    "total_snapshot_gb": "0",
                    "project": "(total)",
                    "host": host,
                    "snapshot_count": "0",
                }
            }
        ]
        for project, count, gb in usage:
            out.append(
                {
                    "resource": {
                        "volume_count": str(count),
                        "total_volume_gb": str(gb),
                        "total_snapshot_gb": "0",
                        "project": project,
                        "host": host,
                        "snapshot_count": "0",
                    }
                }
            )
        return out
