"""The plumbing every server action shares: nova's state checks (locked, vm_state,
task_state: 409), the instance action with its events, the driver call on the instance's
host over the bus, and the typed spec a driver gets for an instance."""

import dataclasses
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from stratus.api.context import RequestContext
from stratus.bus.base import Message
from stratus.kit.errors import Conflict
from stratus.kit.timeutil import utcnow
from stratus.services.compute import repository as repo
from stratus.services.compute.drivers.base import InstanceSpec
from stratus.services.compute.errors import InstanceInvalidState, ServerNotFound
from stratus.services.compute.models import Instance
from stratus.services.compute.server import COMPUTE_TOPIC, ServerService, new_action

# How long a driver call on a host may take over the bus (a live migration waits for an
# operator's force-complete or abort).
LONG_CALL = 24 * 3600.0


class Lifecycle:
    """State checks, actions and events, host calls; used by the action and move services."""

    def __init__(self, servers: ServerService) -> None:
        self.servers = servers
        self.db = servers.db
        self.bus = servers.bus

    async def begin(
        self,
        ctx: RequestContext,
        uuid: str,
        action: str,
        *,
        vm_states: Iterable[str],
        task_state: str | None,
        record: str | None = None,
        task_states: Iterable[str | None] = (None,),
        check_lock: bool = True,
        values: Mapping[str, Any] | None = None,
    ) -> Instance:
        """Check and mark the instance in one transaction: locked (non-admins), vm_state,
        task_state; set ``task_state`` and record the instance action ``record``."""
        now = utcnow()
        async with self.db.session() as s:
            inst = await repo.lock_instance(s, uuid)
            if inst is None or not (ctx.is_admin or inst.project_id == ctx.project_id):
                raise ServerNotFound(uuid)
            if check_lock and inst.locked and not ctx.is_admin:
                raise Conflict(f"Instance {uuid} is locked")
            if inst.vm_state not in tuple(vm_states):
                raise InstanceInvalidState(action, uuid, "vm_state", inst.vm_state)
            if inst.task_state not in tuple(task_states):
                raise InstanceInvalidState(action, uuid, "task_state", inst.task_state)
            inst.task_state = task_state
            for key, value in (values or {}).items():
                setattr(inst, key, value)
            inst.updated_at = now
            if record:
                s.add(new_action(uuid, record, ctx, now))
            return inst

    async def update(self, uuid: str, **values: Any) -> Instance | None:
        """Apply ``values`` unless the instance is gone or being deleted."""
        async with self.db.session() as s:
            inst = await repo.get_instance(s, uuid)
            if inst is None or inst.task_state == "deleting":
                return None
            for key, value in values.items():
                setattr(inst, key, value)
            inst.updated_at = utcnow()
            return inst

    async def set_system_metadata(self, uuid: str, **items: Any) -> None:
        async with self.db.session() as s:
            inst = await repo.get_instance(s, uuid)
            if inst is None:
                return
            meta = dict(inst.system_metadata or {})
            for key, value in items.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
            inst.system_metadata = meta

    async def event(
        self,
        uuid: str,
        action: str,
        name: str,
        start: Any,
        err: BaseException | None = None,
        *,
        host: str | None = None,
    ) -> None:
        """Append an event to the latest ``action`` of the instance; an error marks it."""
        async with self.db.session() as s:
            row = await repo.latest_action(s, uuid, action)
            if row is None:
                return
            row.events = [
                *row.events,
                {
                    "event": name,
                    "start_time": start.isoformat(),
                    "finish_time": utcnow().isoformat(),
                    "result": "Success" if err is None else "Error",
                    "traceback": None if err is None else "".join(traceback.format_exception(err)),
                    "details": None if err is None else str(err),
                    "host": host or self.servers.config.control_host,
                },
            ]
            if err is not None:
                row.message = "Error"
            row.updated_at = utcnow()

    async def call(
        self, host: str, method: str, payload: dict[str, Any], *, timeout: float = 60.0
    ) -> Any:
        """Run a driver operation on ``host``'s compute agent."""
        return await self.bus.call(
            Message(COMPUTE_TOPIC, method, payload, server=host), timeout=timeout
        )


def instance_spec(
    inst: Instance, *, flavor: Mapping[str, Any] | None = None, image_id: str | None = None
) -> InstanceSpec:
    """What a driver gets for ``inst`` (optionally with another flavor or image)."""
    snap = flavor if flavor is not None else inst.flavor
    return InstanceSpec(
        uuid=inst.uuid,
        name=f"instance-{inst.uuid[:8]}",
        vcpus=int(snap.get("vcpus", inst.vcpus)),
        memory_mb=int(snap.get("memory_mb", inst.memory_mb)),
        root_gb=int(snap.get("root_gb", 0)),
        image_id=image_id or inst.image_ref,
        port_ids=tuple(v["port_id"] for v in inst.network_info),
        user_data=inst.user_data,
        metadata=dict(inst.meta),
    )


def spec_payload(spec: InstanceSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)
