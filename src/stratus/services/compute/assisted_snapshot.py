"""Assisted volume snapshots (``/os-assisted-volume-snapshots``): block storage backends that
keep volumes as files (Cinder's remotefs drivers) ask compute to snapshot a volume that is in
use, since only the hypervisor may switch the guest's disk to a new overlay file. The API finds
the server the volume is attached to (one server: a multiattach volume is 400), checks it is on
a host with no task running, and hands the work to the compute host over the bus; the host runs
the driver operation and reports to block storage as nova does: the snapshot ``creating`` at
90 % (or ``error``), on delete ``deleting`` at 90 % (or ``error_deleting``); the remotefs
driver finishes the snapshot from there."""

import logging
from collections.abc import Mapping
from typing import Any

from stratus.api.auth import AuthInfo
from stratus.api.context import RequestContext
from stratus.bus.base import Bus, Message
from stratus.db import Database
from stratus.kit.errors import BadRequest
from stratus.services.compute import repository as repo
from stratus.services.compute.bdm import repository as bdm_repo
from stratus.services.compute.server import COMPUTE_TOPIC

log = logging.getLogger(__name__)

# Where the API hands the work to the compute side (nova's volume_snapshot_create and
# volume_snapshot_delete casts to the instance's host).
TOPIC = "compute-volume-snapshots"

# How far the hypervisor's part takes a snapshot (nova reports 90 %; the rest is Cinder's).
PROGRESS = "90%"


def _caller(ctx: RequestContext) -> dict[str, Any]:
    """The caller, as it travels with the cast (block storage is told as this user)."""
    auth = ctx.authenticated
    return {
        "user_id": auth.user_id,
        "user_name": auth.user_name,
        "project_id": auth.project_id,
        "roles": list(auth.roles),
    }


class AssistedSnapshots:
    def __init__(self, db: Database, bus: Bus, policy: Any, volumes: Any) -> None:
        self.db = db
        self.bus = bus
        self.policy = policy
        # services/volume/client.py VolumeClient, or None when block storage is disabled
        self.volumes = volumes

    async def _host_of(self, volume_id: str, action: str) -> tuple[str, str]:
        """The server ``volume_id`` is attached to and its host; nova's checks (all 400)."""
        async with self.db.reader() as s:
            mappings = await bdm_repo.of_volume(s, volume_id)
            if not mappings:
                raise BadRequest(f"No volume Block Device Mapping with id {volume_id}.")
            if len(mappings) > 1:
                raise BadRequest(
                    f"Block Device Mapping {volume_id} is a multi-attach volume and is not "
                    "valid for this operation."
                )
            uuid = mappings[0].instance_uuid
            inst = await repo.get_instance(s, uuid)
        if inst is None:
            raise BadRequest(f"No volume Block Device Mapping with id {volume_id}.")
        if not inst.host:
            raise BadRequest(f"Instance {uuid} is not ready")
        if inst.task_state is not None:
            raise BadRequest(
                f"Cannot '{action}' instance {uuid} while it is in task_state {inst.task_state}"
            )
        return uuid, inst.host

    async def create(
        self, ctx: RequestContext, volume_id: str, create_info: Mapping[str, Any]
    ) -> dict[str, Any]:
        uuid, host = await self._host_of(volume_id, "volume_snapshot_create")
        await self.bus.cast(
            Message(
                TOPIC,
                "volume_snapshot_create",
                {
                    "uuid": uuid,
                    "host": host,
                    "volume_id": volume_id,
                    "snapshot_id": str(create_info["snapshot_id"]),
                    "new_file": str(create_info["new_file"]),
                    "caller": _caller(ctx),
                },
            )
        )
        return {"id": create_info.get("id"), "volumeId": volume_id}

    async def delete(
        self,
        ctx: RequestContext,
        volume_id: str,
        snapshot_id: str,
        delete_info: Mapping[str, Any],
    ) -> None:
        uuid, host = await self._host_of(volume_id, "volume_snapshot_delete")
        await self.bus.cast(
            Message(
                TOPIC,
                "volume_snapshot_delete",
                {
                    "uuid": uuid,
                    "host": host,
                    "volume_id": volume_id,
                    "snapshot_id": snapshot_id,
                    "delete_info": dict(delete_info),
                    "caller": _caller(ctx),
                },
            )
        )

    # -- the compute side ----------------------------------------------------------------

    async def handle(self, msg: Message) -> None:
        p = msg.payload
        creating = msg.method == "volume_snapshot_create"
        if creating:
            args = {"volume_id": p["volume_id"], "new_file": p["new_file"]}
            done, failed = "creating", "error"
        elif msg.method == "volume_snapshot_delete":
            args = {"volume_id": p["volume_id"], "delete_info": p["delete_info"]}
            done, failed = "deleting", "error_deleting"
        else:
            return
        host, snapshot_id = str(p["host"]), str(p["snapshot_id"])
        try:
            await self.bus.call(
                Message(COMPUTE_TOPIC, msg.method, {"uuid": p["uuid"], **args}, server=host)
            )
        except Exception as err:
            log.warning("%s of %s on %s failed: %s", msg.method, snapshot_id, host, err)
            await self._report(p["caller"], snapshot_id, failed, None)
            return
        await self._report(p["caller"], snapshot_id, done, PROGRESS)

    async def _report(
        self, caller: Mapping[str, Any], snapshot_id: str, status: str, progress: str | None
    ) -> None:
        """Tell block storage how the snapshot went (as the caller; a snapshot it does not
        know is only logged, as nova does)."""
        if self.volumes is None:
            return
        auth = AuthInfo(
            user_id=str(caller["user_id"]),
            user_name=str(caller.get("user_name") or caller["user_id"]),
            user_domain_id="default",
            user_domain_name="Default",
            roles=tuple(caller.get("roles") or ()),
            project_id=caller.get("project_id"),
        )
        ctx = RequestContext(request_id="req-internal", auth=auth, policy=self.policy)
        try:
            await self.volumes.update_snapshot_status(ctx, snapshot_id, status, progress=progress)
        except Exception as err:
            log.warning("could not set snapshot %s to %s: %s", snapshot_id, status, err)


_KEY = "compute.assisted_snapshots"


def service_for(runtime: Any) -> AssistedSnapshots:
    """The one service of a runtime (the API handler and the bus consumer share it)."""
    existing = runtime.clients.get(_KEY)
    if isinstance(existing, AssistedSnapshots):
        return existing
    client = None
    if "block-storage" in runtime.settings.services:
        from stratus.services.volume.client import VolumeClient

        client = VolumeClient(runtime)
    built = AssistedSnapshots(runtime.db, runtime.bus, runtime.policy, client)
    runtime.clients[_KEY] = built
    return built
