"""os-simple-tenant-usage: instance hours, vCPU/memory/disk hours per project over a period,
from the instances' launch and termination times."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from stratus.db import Database
from stratus.kit.errors import BadRequest
from stratus.kit.timeutil import isotime_plain, utcnow
from stratus.services.compute import repository as repo
from stratus.services.compute.models import Instance

_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")


def parse_time(text: str | None, what: str, default: dt.datetime) -> dt.datetime:
    if text is None:
        return default
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BadRequest(f"Invalid input received: Invalid {what} time.")


@dataclass
class Usage:
    project_id: str
    start: dt.datetime
    stop: dt.datetime
    servers: list[dict[str, Any]]

    def view(self, *, detailed: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenant_id": self.project_id,
            "total_local_gb_usage": sum(s["local_gb"] * s["hours"] for s in self.servers),
            "total_vcpus_usage": sum(s["vcpus"] * s["hours"] for s in self.servers),
            "total_memory_mb_usage": sum(s["memory_mb"] * s["hours"] for s in self.servers),
            "total_hours": sum(s["hours"] for s in self.servers),
            "start": isotime_plain(self.start),
            "stop": isotime_plain(self.stop),
        }
        if detailed:
            out["server_usages"] = self.servers
        return out


def _server(
    inst: Instance, start: dt.datetime, stop: dt.datetime, now: dt.datetime
) -> dict[str, Any]:
    assert inst.launched_at is not None
    began = max(start, inst.launched_at)
    ended = min(stop, inst.terminated_at or now)
    seconds = max(0.0, (ended - began).total_seconds())
    flavor = inst.flavor
    uptime_end = inst.terminated_at or now
    return {
        "instance_id": inst.uuid,
        "name": inst.display_name,
        "tenant_id": inst.project_id,
        "flavor": flavor["name"],
        "vcpus": inst.vcpus,
        "memory_mb": inst.memory_mb,
        "local_gb": int(flavor.get("root_gb", 0)) + int(flavor.get("ephemeral_gb", 0)),
        "hours": seconds / 3600.0,
        "started_at": isotime_plain(inst.launched_at),
        "ended_at": isotime_plain(inst.terminated_at) if inst.terminated_at else None,
        "state": "terminated" if inst.deleted else inst.vm_state,
        "uptime": int((uptime_end - inst.launched_at).total_seconds()),
    }


class UsageService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def usage(
        self, project_id: str | None, start: dt.datetime, stop: dt.datetime
    ) -> list[Usage]:
        if start > stop:
            raise BadRequest(
                "Invalid input received: Invalid start time. The start time cannot occur "
                "after the end time."
            )
        now = utcnow()
        async with self.db.reader() as s:
            rows = await repo.instances_in_period(s, project_id, start, stop)
        out: dict[str, Usage] = {}
        for inst in rows:
            usage = out.setdefault(inst.project_id, Usage(inst.project_id, start, stop, []))
            usage.servers.append(_server(inst, start, stop, now))
        if project_id is not None and project_id not in out:
            out[project_id] = Usage(project_id, start, stop, [])
        return list(out.values())
