"""Moves: resize (confirm/revert), cold migration, live migration (progress, force-complete,
abort) and evacuation, each with a migration record. As upstream, while a move is in flight
the source host's allocations belong to the migration (its uuid is the placement consumer)
and the destination's to the instance; confirming drops the migration's, reverting gives
them back to the instance, a failure rolls the claim back to the source."""

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from stratus.api.context import RequestContext
from stratus.bus.base import Message
from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import parse_isotime, utcnow
from stratus.quota.engine import OverQuota
from stratus.scheduler import NoValidHost, RequestSpec, Selection
from stratus.services.compute import repository as repo
from stratus.services.compute.drivers.base import LiveMigrationAborted, PowerState
from stratus.services.compute.errors import FlavorNotFound, InstanceInvalidState
from stratus.services.compute.hostops import MOVES_TOPIC
from stratus.services.compute.lifecycle import LONG_CALL, Lifecycle, instance_spec, spec_payload
from stratus.services.compute.models import Instance, Migration
from stratus.services.compute.server import ServerService, _flavor_snapshot
from stratus.services.placement.service import ConsumerAllocations

log = logging.getLogger(__name__)

# Live migrations still running (the ones /servers/{id}/migrations lists).
LIVE_IN_PROGRESS = ("queued", "accepted", "preparing", "running", "post-migrating")


class MigrationNotFound(NotFound):
    def __init__(self, migration_id: Any, uuid: str) -> None:
        super().__init__(f"Instance {uuid} does not have a migration with id {migration_id}")


@dataclass
class LiveMigrateRequest:
    host: str | None
    block_migration: bool | str
    force: bool = False


class MoveService:
    def __init__(self, servers: ServerService, placement: Any) -> None:
        self.servers = servers
        self.life = Lifecycle(servers)
        self.db = servers.db
        self.placement = placement

    # -- reads -------------------------------------------------------------------------

    async def list_all(
        self,
        *,
        filters: Mapping[str, str],
        limit: int | None = None,
        marker: str | None = None,
    ) -> list[Migration]:
        clauses: list[ColumnElement[bool]] = []
        for key, column in (
            ("instance_uuid", Migration.instance_uuid),
            ("status", Migration.status),
            ("migration_type", Migration.migration_type),
            ("source_compute", Migration.source_compute),
            ("user_id", Migration.user_id),
            ("project_id", Migration.project_id),
        ):
            if filters.get(key):
                clauses.append(column == filters[key])
        host = filters.get("host")
        if host:
            clauses.append((Migration.source_compute == host) | (Migration.dest_compute == host))
        for key, op in (("changes-since", "ge"), ("changes-before", "le")):
            if filters.get(key):
                try:
                    when = parse_isotime(filters[key])
                except ValueError:
                    raise BadRequest(
                        f"Invalid input for query parameters {key}. Value: {filters[key]}."
                    ) from None
                clauses.append(
                    Migration.updated_at >= when if op == "ge" else Migration.updated_at <= when
                )
        async with self.db.reader() as s:
            rows = await repo.list_migrations(s, clauses)
        if marker is not None:
            ids = [r.uuid for r in rows]
            if marker not in ids:
                raise BadRequest(f"Marker {marker} could not be found.")
            rows = rows[ids.index(marker) + 1 :]
        return rows[:limit] if limit is not None else rows

    async def in_progress(self, ctx: RequestContext, uuid: str) -> list[Migration]:
        await self.servers.get(ctx, uuid)
        async with self.db.reader() as s:
            return await repo.instance_migrations(
                s, uuid, types=("live-migration",), statuses=LIVE_IN_PROGRESS
            )

    async def get_in_progress(self, ctx: RequestContext, uuid: str, ident: int) -> Migration:
        for row in await self.in_progress(ctx, uuid):
            if row.id == ident:
                return row
        async with self.db.reader() as s:
            row_any = await repo.get_migration(s, ident)
        if row_any is None or row_any.instance_uuid != uuid:
            raise MigrationNotFound(ident, uuid)
        raise NotFound(f"In-progress live migration {ident} is not found for server {uuid}.")

    # -- allocations -------------------------------------------------------------------

    async def _swap(self, *, to_migration: bool, inst: Instance, migration_uuid: str) -> None:
        """Move allocations between the instance and the migration consumer, atomically: to
        the migration before a move (the source's), back to the instance on a revert or
        rollback (replacing what the instance holds on the destination)."""
        src, dst = (inst.uuid, migration_uuid) if to_migration else (migration_uuid, inst.uuid)
        scheduler = self.servers.scheduler
        if scheduler is not None and scheduler.claims is not None:
            # The exact pins, pages and devices go with the allocations.
            await scheduler.claims.transfer(src, dst)
        if self.placement is None:
            return
        view = await self.placement.allocations(src)
        held = {rp: dict(v["resources"]) for rp, v in view.allocations.items()}
        if not held:
            return
        await self.placement.service.write_allocations(
            [
                ConsumerAllocations(
                    consumer_uuid=dst,
                    allocations=held,
                    project_id=inst.project_id,
                    user_id=inst.user_id,
                    consumer_type="MIGRATION" if to_migration else "INSTANCE",
                ),
                ConsumerAllocations(
                    consumer_uuid=src,
                    allocations={},
                    project_id=inst.project_id,
                    user_id=inst.user_id,
                ),
            ]
        )

    async def _drop(self, consumer: str) -> None:
        scheduler = self.servers.scheduler
        if scheduler is not None:
            # allocations and host claims (the source's pins held by the migration)
            await scheduler.release(consumer)
        elif self.placement is not None:
            with contextlib.suppress(NotFound):
                await self.placement.delete_allocations(consumer)

    async def _schedule(
        self,
        inst: Instance,
        migration: Migration,
        *,
        flavor: Mapping[str, Any],
        target: str | None,
        avoid_source: bool,
    ) -> Selection:
        """Swap the source claim to the migration and claim the destination for the
        instance; on NoValidHost the claim goes back and 400 is raised."""
        scheduler = self.servers.scheduler
        if scheduler is None:
            raise BadRequest("No valid host was found. The placement service is not enabled.")
        spec = await self._request_spec(inst, flavor, target)
        if avoid_source and inst.host:
            spec.ignore_hosts.add(inst.host)
        await self._swap(to_migration=True, inst=inst, migration_uuid=migration.uuid)
        try:
            return await scheduler.select(spec, await self.servers.hosts.host_states())
        except NoValidHost as err:
            await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
            raise BadRequest(str(err)) from None
        except BaseException:
            await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
            raise

    async def _request_spec(
        self, inst: Instance, flavor: Mapping[str, Any], target: str | None
    ) -> RequestSpec:
        clone = Instance(**{c.key: getattr(inst, c.key) for c in Instance.__table__.columns})
        clone.flavor = dict(flavor)
        clone.vcpus = int(flavor["vcpus"])
        clone.memory_mb = int(flavor["memory_mb"])
        clone.requested_host = target
        spec = await self.servers._request_spec(clone)
        spec.force_node = None
        return spec

    async def _check_target(self, host: str | None) -> None:
        if host is None:
            return
        states = await self.servers.hosts.host_states()
        if not any(h.host == host for h in states.values()):
            raise BadRequest(f"Compute host {host} could not be found.")

    async def _new_migration(
        self,
        ctx: RequestContext,
        inst: Instance,
        kind: str,
        status: str,
        *,
        new_flavor: Mapping[str, Any] | None = None,
    ) -> Migration:
        now = utcnow()
        old_id = await self._flavor_int_id(inst.flavor.get("flavorid"))
        new_id = await self._flavor_int_id((new_flavor or inst.flavor).get("flavorid"))
        row = Migration(
            uuid=uuid_str(),
            instance_uuid=inst.uuid,
            migration_type=kind,
            status=status,
            source_compute=inst.host,
            source_node=inst.node,
            old_instance_type_id=old_id,
            new_instance_type_id=new_id,
            old_flavor=dict(inst.flavor),
            new_flavor=dict(new_flavor or inst.flavor),
            project_id=inst.project_id,
            user_id=inst.user_id,
            created_at=now,
            updated_at=now,
        )
        async with self.db.session() as s:
            s.add(row)
        return row

    async def _flavor_int_id(self, flavorid: Any) -> int | None:
        if flavorid is None:
            return None
        async with self.db.reader() as s:
            row = await repo.get_flavor(s, str(flavorid))
        return row.id if row is not None else None

    async def _set_migration(self, migration_id: int, **values: Any) -> None:
        async with self.db.session() as s:
            row = await repo.get_migration(s, migration_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    async def _dest_ip(self, host: str) -> str | None:
        async with self.db.reader() as s:
            node = await repo.get_node(s, host)
        return node.host_ip if node is not None else None

    async def _rebind_ports(self, inst: Instance, host: str) -> None:
        network = self.servers.network
        if network is None:
            return
        zone = inst.availability_zone or self.servers.config.default_availability_zone
        for vif in inst.network_info:
            with contextlib.suppress(NotFound):
                await network.bind_port(
                    vif["port_id"], host=host, device_id=inst.uuid, device_owner=f"compute:{zone}"
                )

    # -- resize and cold migration -----------------------------------------------------

    async def resize(
        self, ctx: RequestContext, uuid: str, flavor_ref: str, *, disk_config: str | None = None
    ) -> None:
        inst = await self.servers.get(ctx, uuid)
        flavorid = flavor_ref.rstrip("/").rsplit("/", 1)[-1]
        try:
            flavor = await self.servers.flavors.get(
                flavorid, project_id=ctx.project_id, is_admin=ctx.is_admin
            )
        except FlavorNotFound:
            raise BadRequest("Unable to locate requested flavor.") from None
        if flavor.flavorid == inst.flavor.get("flavorid"):
            raise BadRequest("When resizing, instances must change flavor!")
        if flavor.root_gb < int(inst.flavor.get("root_gb", 0)) and flavor.root_gb != 0:
            raise BadRequest("Resize error: Unable to resize disk down.")
        if flavor.disabled:
            raise BadRequest("Unable to locate requested flavor.")
        new = _flavor_snapshot(flavor)
        await self._cold_move(
            ctx, inst, "resize", new_flavor=new, target=None, disk_config=disk_config
        )

    async def migrate(self, ctx: RequestContext, uuid: str, host: str | None) -> None:
        inst = await self.servers.get(ctx, uuid)
        await self._check_target(host)
        if host is not None and host == inst.host:
            raise BadRequest("Cannot migrate to the host where the server exists.")
        await self._cold_move(ctx, inst, "migrate", new_flavor=None, target=host)

    async def _cold_move(
        self,
        ctx: RequestContext,
        inst: Instance,
        action: str,
        *,
        new_flavor: dict[str, Any] | None,
        target: str | None,
        disk_config: str | None = None,
    ) -> None:
        uuid = inst.uuid
        previous_disk_config = inst.disk_config
        deltas = {}
        if new_flavor is not None:
            deltas = {
                "compute.cores": int(new_flavor["vcpus"]) - inst.vcpus,
                "compute.ram": int(new_flavor["memory_mb"]) - inst.memory_mb,
            }
        async with self.db.session() as s:
            try:
                await self.servers.quota.claim(s, inst.project_id, deltas)
            except OverQuota as err:
                name = err.resource.removeprefix("compute.")
                raise Forbidden(
                    f"Quota exceeded for {name}: Requested {err.requested}, but already used "
                    f"{err.in_use} of {err.limit} {name}"
                ) from None
        inst = await self.life.begin(
            ctx,
            uuid,
            action,
            vm_states=("active", "stopped"),
            task_state="resize_prep",
            record=action,
            # the disk is partitioned anew on the destination the way the caller asked
            values={"disk_config": disk_config} if disk_config else None,
        )
        start = utcnow()
        kind = "resize" if new_flavor is not None else "migration"
        flavor = new_flavor or dict(inst.flavor)
        migration = await self._new_migration(ctx, inst, kind, "pre-migrating", new_flavor=flavor)
        try:
            selection = await self._schedule(
                inst, migration, flavor=flavor, target=target, avoid_source=True
            )
        except BaseException as err:
            await self._set_migration(migration.id, status="error")
            await self.life.event(uuid, action, "conductor_migrate_server", start, err)
            await self.life.update(uuid, task_state=None, disk_config=previous_disk_config)
            raise
        await self.life.event(uuid, action, "conductor_migrate_server", start)
        await self._set_migration(
            migration.id,
            status="migrating",
            dest_compute=selection.host,
            dest_node=selection.nodename,
            dest_host=await self._dest_ip(selection.host),
        )
        await self.servers.bus.cast(
            Message(
                MOVES_TOPIC,
                "finish_cold_move",
                {"uuid": uuid, "migration": migration.id, "action": action},
            )
        )

    async def _finish_cold_move(self, uuid: str, migration_id: int, action: str) -> None:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
            migration = await repo.get_migration(s, migration_id)
        if inst is None or migration is None or migration.dest_compute is None:
            return
        source, dest = inst.host, migration.dest_compute
        new_flavor = dict(migration.new_flavor or inst.flavor)
        power_on = inst.vm_state == "active"
        start = utcnow()
        try:
            await self.life.update(uuid, task_state="resize_migrating")
            if source:
                await self.life.call(
                    source,
                    "migrate_disk_and_power_off",
                    {
                        "uuid": uuid,
                        "dest": dest,
                        "spec": spec_payload(instance_spec(inst, flavor=new_flavor)),
                    },
                )
            await self.life.event(uuid, action, "compute_resize_instance", start, host=source)
            await self.life.update(uuid, task_state="resize_migrated")
            await self._set_migration(migration_id, status="post-migrating")
            start = utcnow()
            await self._rebind_ports(inst, dest)
            await self.life.update(uuid, task_state="resize_finish")
            power = await self.life.call(
                dest,
                "finish_migration",
                {
                    "spec": spec_payload(instance_spec(inst, flavor=new_flavor)),
                    "power_on": power_on,
                },
            )
        except Exception as err:
            log.info("cold move of %s failed: %s", uuid, err)
            await self.life.event(uuid, action, "compute_finish_resize", start, err, host=dest)
            await self._rollback_cold(inst, migration, err)
            return
        await self.life.event(uuid, action, "compute_finish_resize", start, host=dest)
        await self.life.set_system_metadata(uuid, old_vm_state=inst.vm_state)
        await self.life.update(
            uuid,
            host=dest,
            node=migration.dest_node,
            flavor=new_flavor,
            vcpus=int(new_flavor["vcpus"]),
            memory_mb=int(new_flavor["memory_mb"]),
            vm_state="resized",
            task_state=None,
            power_state=int(power),
            network_info=await self.servers._network_info(uuid),
        )
        await self._set_migration(migration_id, status="finished")

    async def _rollback_cold(self, inst: Instance, migration: Migration, err: Exception) -> None:
        """Back to the source: the destination's claim dropped, the source's returned, the
        guest powered as it was."""
        dest = migration.dest_compute
        if dest:
            with contextlib.suppress(Exception):
                await self.life.call(dest, "destroy", {"uuid": inst.uuid})
        await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
        if inst.host:
            await self._rebind_ports(inst, inst.host)
            with contextlib.suppress(Exception):
                await self.life.call(
                    inst.host,
                    "finish_revert_migration",
                    {
                        "spec": spec_payload(instance_spec(inst)),
                        "power_on": inst.vm_state == "active",
                    },
                )
        await self._set_migration(migration.id, status="error")
        await self.life.update(inst.uuid, task_state=None, fault=_fault(err))

    async def confirm_resize(self, ctx: RequestContext, uuid: str) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "confirmResize",
            vm_states=("resized",),
            task_state=None,
            record="confirmResize",
        )
        migration = await self._finished(uuid)
        start = utcnow()
        await self._set_migration(migration.id, status="confirming")
        if migration.source_compute:
            with contextlib.suppress(Exception):
                await self.life.call(migration.source_compute, "confirm_migration", {"uuid": uuid})
        await self._drop(migration.uuid)
        await self._set_migration(migration.id, status="confirmed")
        old = str(inst.system_metadata.get("old_vm_state", "active"))
        await self.life.update(
            uuid, vm_state="stopped" if old == "stopped" else "active", task_state=None
        )
        await self.life.set_system_metadata(uuid, old_vm_state=None)
        await self.life.event(uuid, "confirmResize", "compute_confirm_resize", start)

    async def _finished(self, uuid: str) -> Migration:
        async with self.db.reader() as s:
            rows = await repo.instance_migrations(
                s, uuid, types=("resize", "migration"), statuses=("finished",)
            )
        if not rows:
            raise BadRequest("Instance has not been resized.")
        return rows[0]

    async def revert_resize(self, ctx: RequestContext, uuid: str) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "revertResize",
            vm_states=("resized",),
            task_state="resize_reverting",
            record="revertResize",
        )
        try:
            migration = await self._finished(uuid)
        except BadRequest:
            await self.life.update(uuid, task_state=None)
            raise
        await self._set_migration(migration.id, status="reverting")
        start = utcnow()
        dest = inst.host
        if dest:
            await self.life.call(dest, "destroy", {"uuid": uuid})
        await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
        old_flavor = dict(migration.old_flavor or inst.flavor)
        source = migration.source_compute
        old = str(inst.system_metadata.get("old_vm_state", "active"))
        power = int(PowerState.NOSTATE)
        if source:
            await self._rebind_ports(inst, source)
            power = int(
                await self.life.call(
                    source,
                    "finish_revert_migration",
                    {
                        "spec": spec_payload(instance_spec(inst, flavor=old_flavor)),
                        "power_on": old != "stopped",
                    },
                )
            )
        await self.life.update(
            uuid,
            host=source,
            node=migration.source_node,
            flavor=old_flavor,
            vcpus=int(old_flavor["vcpus"]),
            memory_mb=int(old_flavor["memory_mb"]),
            vm_state="stopped" if old == "stopped" else "active",
            task_state=None,
            power_state=power,
            network_info=await self.servers._network_info(uuid),
        )
        await self.life.set_system_metadata(uuid, old_vm_state=None)
        await self._set_migration(migration.id, status="reverted")
        await self.life.event(uuid, "revertResize", "compute_finish_revert_resize", start)

    # -- live migration ----------------------------------------------------------------

    async def live_migrate(self, ctx: RequestContext, uuid: str, req: LiveMigrateRequest) -> None:
        inst = await self.servers.get(ctx, uuid)
        await self._check_target(req.host)
        if req.host is not None and req.host == inst.host:
            raise BadRequest(f"Unable to migrate instance ({uuid}) to current host ({req.host}).")
        inst = await self.life.begin(
            ctx,
            uuid,
            "os-migrateLive",
            vm_states=("active", "paused"),
            task_state="migrating",
            record="live-migration",
        )
        start = utcnow()
        migration = await self._new_migration(ctx, inst, "live-migration", "accepted")
        try:
            selection = await self._schedule(
                inst, migration, flavor=dict(inst.flavor), target=req.host, avoid_source=True
            )
        except BaseException as err:
            await self._set_migration(migration.id, status="error")
            await self.life.event(
                uuid, "live-migration", "conductor_live_migrate_instance", start, err
            )
            await self.life.update(uuid, task_state=None)
            raise
        await self.life.event(uuid, "live-migration", "conductor_live_migrate_instance", start)
        block = req.block_migration
        if block == "auto":
            # Nothing is shared between simulated hosts: the disk moves with the guest.
            block = True
        await self._set_migration(
            migration.id,
            status="queued",
            dest_compute=selection.host,
            dest_node=selection.nodename,
            dest_host=await self._dest_ip(selection.host),
        )
        await self.servers.bus.cast(
            Message(
                MOVES_TOPIC,
                "live_migrate",
                {"uuid": uuid, "migration": migration.id, "block_migration": bool(block)},
            )
        )

    async def _run_live(self, uuid: str, migration_id: int, block_migration: bool) -> None:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
            migration = await repo.get_migration(s, migration_id)
        if inst is None or migration is None or migration.dest_compute is None:
            return
        source, dest = inst.host, migration.dest_compute
        start = utcnow()
        try:
            await self._cancelled(migration_id)
            await self._set_migration(migration_id, status="preparing")
            await self.life.call(
                dest, "pre_live_migration", {"spec": spec_payload(instance_spec(inst))}
            )
            await self._cancelled(migration_id)
            await self._set_migration(migration_id, status="running")

            if source:
                await self.life.call(
                    source,
                    "live_migration",
                    {
                        "uuid": uuid,
                        "dest": dest,
                        "block_migration": block_migration,
                        "migration": migration_id,
                    },
                    timeout=LONG_CALL,
                )
            await self._set_migration(migration_id, status="post-migrating")
            await self._rebind_ports(inst, dest)
            power = await self.life.call(
                dest, "post_live_migration", {"spec": spec_payload(instance_spec(inst))}
            )
        except LiveMigrationAborted as err:
            await self._rollback_live(inst, migration, "cancelled", err, start)
            return
        except Exception as err:
            if "aborted" in str(err):
                await self._rollback_live(inst, migration, "cancelled", err, start)
            else:
                await self._rollback_live(inst, migration, "error", err, start)
            return
        await self._drop(migration.uuid)
        await self.life.update(
            uuid,
            host=dest,
            node=migration.dest_node,
            task_state=None,
            power_state=int(power),
            network_info=await self.servers._network_info(uuid),
        )
        await self._set_migration(migration_id, status="completed")
        await self.life.event(uuid, "live-migration", "compute_live_migration", start, host=source)

    async def _cancelled(self, migration_id: int) -> None:
        """Raise LiveMigrationAborted when the migration was aborted while queued."""
        async with self.db.reader() as s:
            row = await repo.get_migration(s, migration_id)
        if row is not None and row.status == "cancelled":
            raise LiveMigrationAborted(f"live migration {migration_id} aborted before it ran")

    async def _rollback_live(
        self, inst: Instance, migration: Migration, status: str, err: Exception, start: Any
    ) -> None:
        dest = migration.dest_compute
        if dest:
            with contextlib.suppress(Exception):
                await self.life.call(dest, "destroy", {"uuid": inst.uuid})
        await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
        if inst.host:
            await self._rebind_ports(inst, inst.host)
        await self._set_migration(migration.id, status=status)
        await self.life.update(inst.uuid, task_state=None)
        await self.life.event(
            inst.uuid, "live-migration", "compute_live_migration", start, err, host=inst.host
        )

    async def progress(self, migration_id: int, payload: Mapping[str, int]) -> None:
        """A live migration reports how much it has copied."""
        await self._set_migration(
            migration_id,
            memory_total=payload["memory_total"],
            memory_processed=payload["memory_processed"],
            memory_remaining=payload["memory_total"] - payload["memory_processed"],
            disk_total=payload["disk_total"],
            disk_processed=payload["disk_processed"],
            disk_remaining=payload["disk_total"] - payload["disk_processed"],
        )

    async def force_complete(self, ctx: RequestContext, uuid: str, ident: int) -> None:
        inst = await self.servers.get(ctx, uuid)
        if inst.locked and not ctx.is_admin:
            raise Conflict(f"Instance {uuid} is locked")
        if inst.vm_state != "active":
            raise InstanceInvalidState("force_complete", uuid, "vm_state", inst.vm_state)
        if inst.task_state != "migrating":
            raise InstanceInvalidState("force_complete", uuid, "task_state", inst.task_state)
        migration = await self._live_of(uuid, ident)
        if migration.status != "running":
            raise BadRequest(
                f"Migration {ident} state of instance {uuid} is {migration.status}. Cannot "
                "force_complete while the migration is in this state."
            )
        await self.life.begin(
            ctx,
            uuid,
            "force_complete",
            vm_states=("active",),
            task_state="migrating",
            task_states=("migrating",),
            record="live_migration_force_complete",
        )
        await self.life.call(
            str(migration.source_compute), "live_migration_force_complete", {"uuid": uuid}
        )

    async def abort(
        self, ctx: RequestContext, uuid: str, ident: int, *, queued_too: bool = True
    ) -> None:
        """Abort a live migration: a running one (and, from 2.65, a queued or preparing one)."""
        inst = await self.servers.get(ctx, uuid)
        if inst.locked and not ctx.is_admin:
            raise Conflict(f"Instance {uuid} is locked")
        if inst.task_state != "migrating":
            raise InstanceInvalidState("abort live migration", uuid, "task_state", inst.task_state)
        migration = await self._live_of(uuid, ident)
        abortable = ("running", "queued", "preparing") if queued_too else ("running",)
        if migration.status not in abortable:
            raise BadRequest(
                f"Migration {ident} state of instance {uuid} is {migration.status}. Cannot "
                "abort live migration while the migration is in this state."
            )
        await self.life.begin(
            ctx,
            uuid,
            "abort live migration",
            vm_states=(inst.vm_state,),
            task_state="migrating",
            task_states=("migrating",),
            record="live_migration_abort",
        )
        if migration.status == "running":
            await self.life.call(
                str(migration.source_compute), "live_migration_abort", {"uuid": uuid}
            )
        else:
            # Not copying yet: the conductor sees the cancel before it starts the copy.
            await self._set_migration(migration.id, status="cancelled")

    async def _live_of(self, uuid: str, ident: int) -> Migration:
        async with self.db.reader() as s:
            row = await repo.get_migration(s, ident)
        if row is None or row.instance_uuid != uuid:
            raise MigrationNotFound(ident, uuid)
        if row.migration_type != "live-migration":
            raise BadRequest(f"Migration {ident} for instance {uuid} is not a live migration.")
        return row

    # -- evacuate ----------------------------------------------------------------------

    async def evacuate(
        self,
        ctx: RequestContext,
        uuid: str,
        host: str | None,
        admin_pass: str | None,
        *,
        stop: bool = False,
    ) -> None:
        """``stop`` (2.95): the server ends stopped at its destination, whatever it was."""
        inst = await self.servers.get(ctx, uuid)
        await self._check_target(host)
        if host is not None and host == inst.host:
            raise BadRequest("The target host can't be the same one.")
        if inst.host and await self._host_up(inst.host):
            raise BadRequest(f"Compute service of {inst.host} is still in use.")
        inst = await self.life.begin(
            ctx,
            uuid,
            "evacuate",
            vm_states=("active", "stopped", "error"),
            task_state="rebuilding",
            record="evacuate",
        )
        start = utcnow()
        migration = await self._new_migration(ctx, inst, "evacuation", "accepted")
        try:
            selection = await self._schedule(
                inst, migration, flavor=dict(inst.flavor), target=host, avoid_source=True
            )
        except BaseException as err:
            await self._set_migration(migration.id, status="error")
            await self.life.event(uuid, "evacuate", "conductor_rebuild_server", start, err)
            await self.life.update(uuid, task_state=None)
            raise
        await self.life.event(uuid, "evacuate", "conductor_rebuild_server", start)
        await self._set_migration(
            migration.id,
            status="pre-migrating",
            dest_compute=selection.host,
            dest_node=selection.nodename,
            dest_host=await self._dest_ip(selection.host),
        )
        await self.servers.bus.cast(
            Message(
                MOVES_TOPIC, "evacuate", {"uuid": uuid, "migration": migration.id, "stop": stop}
            )
        )

    async def _run_evacuate(self, uuid: str, migration_id: int, *, stop: bool = False) -> None:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
            migration = await repo.get_migration(s, migration_id)
        if inst is None or migration is None or migration.dest_compute is None:
            return
        dest = migration.dest_compute
        start = utcnow()
        try:
            await self._rebind_ports(inst, dest)
            await self.life.update(uuid, task_state="rebuild_spawning")
            power = int(
                await self.life.call(dest, "spawn", {"spec": spec_payload(instance_spec(inst))})
            )
            stopped = stop or inst.vm_state == "stopped"
            if stopped:
                power = int(await self.life.call(dest, "power", {"uuid": uuid, "action": "stop"}))
        except Exception as err:
            await self.life.event(
                uuid, "evacuate", "compute_rebuild_instance", start, err, host=dest
            )
            with contextlib.suppress(Exception):
                await self.life.call(dest, "destroy", {"uuid": uuid})
            await self._swap(to_migration=False, inst=inst, migration_uuid=migration.uuid)
            if inst.host:
                await self._rebind_ports(inst, inst.host)
            await self._set_migration(migration_id, status="failed")
            await self.life.update(uuid, vm_state="error", task_state=None, fault=_fault(err))
            return
        # The failed source cannot clean up after itself: its claim is dropped here.
        await self._drop(migration.uuid)
        await self.life.update(
            uuid,
            host=dest,
            node=migration.dest_node,
            vm_state="stopped" if stopped else "active",
            task_state=None,
            power_state=power,
            fault=None,
            network_info=await self.servers._network_info(uuid),
        )
        await self._set_migration(migration_id, status="done")
        await self.life.event(uuid, "evacuate", "compute_rebuild_instance", start, host=dest)

    async def clean_evacuated(self) -> int:
        """nova's _destroy_evacuated_instances: a host that is back (its nova-compute up and
        not forced down) destroys the guests that were evacuated away from it while it was
        down; their evacuations go from done to completed. The number cleaned."""
        async with self.db.reader() as s:
            done = await repo.list_migrations(
                s, [Migration.migration_type == "evacuation", Migration.status == "done"]
            )
            current = {
                m.instance_uuid: await repo.get_instance(s, m.instance_uuid, read_deleted=True)
                for m in done
            }
        cleaned = 0
        up: dict[str, bool] = {}
        for migration in done:
            source = migration.source_compute
            if not source:
                continue
            if source not in up:
                up[source] = await self._host_up(source)
            if not up[source]:
                continue
            inst = current.get(migration.instance_uuid)
            if inst is not None and not inst.deleted and inst.host == source:
                # evacuated back here since: the guest on this host is the live one
                await self._set_migration(migration.id, status="completed")
                continue
            try:
                await self.life.call(source, "destroy", {"uuid": migration.instance_uuid})
            except Exception as err:
                log.info("could not clean up %s on %s: %s", migration.instance_uuid, source, err)
                continue
            await self._set_migration(migration.id, status="completed")
            cleaned += 1
        return cleaned

    async def _host_up(self, host: str) -> bool:
        for view in await self.servers.hosts.services():
            if view.row.binary == "nova-compute" and view.row.host == host:
                return view.up
        return False

    # -- the conductor side ------------------------------------------------------------

    async def handle(self, msg: Message) -> None:
        uuid = str(msg.payload["uuid"])
        migration = int(msg.payload["migration"])
        if msg.method == "progress":
            await self.progress(migration, msg.payload)
            return
        try:
            if msg.method == "finish_cold_move":
                await self._finish_cold_move(uuid, migration, str(msg.payload["action"]))
            elif msg.method == "live_migrate":
                await self._run_live(uuid, migration, bool(msg.payload["block_migration"]))
            elif msg.method == "evacuate":
                await self._run_evacuate(uuid, migration, stop=bool(msg.payload.get("stop")))
        except Exception:
            log.exception("move %s of %s failed", msg.method, uuid)
            await self.life.update(uuid, task_state=None)
            await self._set_migration(migration, status="error")


def _fault(err: BaseException) -> dict[str, Any]:
    return {
        "code": 500,
        "message": str(err)[:255] or type(err).__name__,
        "details": str(err),
        "created": utcnow().isoformat(),
    }
