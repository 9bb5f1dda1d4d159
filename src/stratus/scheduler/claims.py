"""Host claims: the exact NUMA/PCI placement of an instance, taken on its host with a
compare-and-swap on the host's usage row, so concurrent boots (in this process or another
API worker) never take the same CPU, page or device twice."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from stratus.db import Database
from stratus.kit.timeutil import utcnow
from stratus.scheduler import repository as repo
from stratus.scheduler.models import InstanceTopologyRow
from stratus.scheduler.topology import HostUsage

Fitter = Callable[[HostUsage], dict[str, Any] | None]

# Compare-and-swap attempts before a claim gives up on a host (each loser re-reads and refits).
_ATTEMPTS = 20


class HostClaims:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def usages(self, node_uuids: Sequence[str]) -> dict[str, HostUsage]:
        """Current usage of the given hosts (hosts nothing was claimed on are absent)."""
        async with self.db.reader() as s:
            rows = await repo.host_usages(s, node_uuids)
        return {uuid: HostUsage.from_json(row.usage) for uuid, row in rows.items()}

    async def claim(
        self, node_uuid: str, instance_uuid: str, fitter: Fitter
    ) -> dict[str, Any] | None:
        """Fit against the host's current usage and record the result; None when it no
        longer fits. A consumer holds one placement: claiming again replaces the old one."""
        await self.release(instance_uuid)
        for _attempt in range(_ATTEMPTS):
            try:
                async with self.db.session() as s:
                    row = await repo.host_usage(s, node_uuid)
                    usage = HostUsage.from_json(row.usage if row else None)
                    placed = fitter(usage)
                    if placed is None:
                        return None
                    usage.add(placed)
                    if row is None:
                        repo.add_usage(s, node_uuid, usage.to_json())
                    elif not await repo.swap_usage(s, node_uuid, row.generation, usage.to_json()):
                        raise _Lost()
                    repo.add_instance_topology(
                        s,
                        InstanceTopologyRow(
                            instance_uuid=instance_uuid,
                            node_uuid=node_uuid,
                            topology=placed,
                            created_at=utcnow(),
                        ),
                    )
                return placed
            except (_Lost, IntegrityError):
                continue
        return None

    async def release(self, instance_uuid: str) -> None:
        """Give back what the instance holds on its host (nothing held is fine)."""
        async with self.db.reader() as s:
            # Most instances hold nothing here: answer them without taking the write lock.
            if await repo.instance_topology(s, instance_uuid) is None:
                return
        for _attempt in range(_ATTEMPTS):
            try:
                async with self.db.session() as s:
                    held = await repo.instance_topology(s, instance_uuid)
                    if held is None:
                        return
                    row = await repo.host_usage(s, held.node_uuid)
                    if row is not None:
                        usage = HostUsage.from_json(row.usage)
                        usage.add(held.topology, sign=-1)
                        if not await repo.swap_usage(
                            s, held.node_uuid, row.generation, usage.to_json()
                        ):
                            raise _Lost()
                    await repo.delete_instance_topology(s, instance_uuid)
                return
            except _Lost:
                continue

    async def transfer(self, source: str, target: str) -> None:
        """Hand what ``source`` holds to ``target``, whose own claim is given back: a move
        keeps the source host's pins under the migration's uuid until it is confirmed, and
        returns them to the instance when it is reverted or rolled back."""
        await self.release(target)
        async with self.db.session() as s:
            held = await repo.instance_topology(s, source)
            if held is None:
                return
            repo.add_instance_topology(
                s,
                InstanceTopologyRow(
                    instance_uuid=target,
                    node_uuid=held.node_uuid,
                    topology=dict(held.topology),
                    created_at=utcnow(),
                ),
            )
            await repo.delete_instance_topology(s, source)

    async def topology(self, instance_uuid: str) -> dict[str, Any] | None:
        async with self.db.reader() as s:
            row = await repo.instance_topology(s, instance_uuid)
        return None if row is None else dict(row.topology)

    async def topologies(self, instance_uuids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not instance_uuids:
            return {}
        async with self.db.reader() as s:
            rows = await repo.instance_topologies(s, instance_uuids)
        return {k: dict(v.topology) for k, v in rows.items()}


class _Lost(Exception):
    """Another claim changed the host's usage first."""
