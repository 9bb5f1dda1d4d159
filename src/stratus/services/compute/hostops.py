"""The compute agent's side of server actions and moves: one bus method per driver
operation (snapshot, rescue, migrate disk, live migration with progress, ...)."""

import base64
from typing import Any

from stratus.bus.base import Bus, Message
from stratus.services.compute.drivers.base import (
    ComputeDriver,
    InstanceSpec,
    LiveMigrationProgress,
)

# The conductor's topic for moves (progress of live migrations is reported there).
MOVES_TOPIC = "compute-conductor-moves"


def _spec(payload: dict[str, Any]) -> InstanceSpec:
    raw = dict(payload)
    raw["port_ids"] = tuple(raw.get("port_ids") or ())
    return InstanceSpec(**raw)


async def run(driver: ComputeDriver, bus: Bus, host: str, msg: Message) -> Any:
    """Run one operation on ``host``; ValueError for a method no driver has."""
    p = msg.payload
    m = msg.method
    if m == "snapshot":
        data = await driver.snapshot(host, str(p["uuid"]))
        # The bus carries JSON: image bytes travel base64-encoded.
        return base64.b64encode(data).decode()
    if m == "rescue":
        return int(await driver.rescue(host, str(p["uuid"]), str(p["image_id"])))
    if m == "unrescue":
        return int(await driver.unrescue(host, str(p["uuid"])))
    if m == "volume_snapshot_create":
        await driver.volume_snapshot_create(
            host, str(p["uuid"]), str(p["volume_id"]), str(p["new_file"])
        )
        return None
    if m == "volume_snapshot_delete":
        await driver.volume_snapshot_delete(
            host, str(p["uuid"]), str(p["volume_id"]), dict(p["delete_info"])
        )
        return None
    if m == "trigger_crash_dump":
        await driver.trigger_crash_dump(host, str(p["uuid"]))
        return None
    if m == "set_admin_password":
        await driver.set_admin_password(host, str(p["uuid"]), str(p["password"]))
        return None
    if m == "attach_interface":
        await driver.attach_interface(host, str(p["uuid"]), str(p["port_id"]))
        return None
    if m == "detach_interface":
        await driver.detach_interface(host, str(p["uuid"]), str(p["port_id"]))
        return None
    if m == "migrate_disk_and_power_off":
        await driver.migrate_disk_and_power_off(
            host, str(p["uuid"]), str(p["dest"]), _spec(p["spec"])
        )
        return None
    if m == "finish_migration":
        return int(
            await driver.finish_migration(host, _spec(p["spec"]), power_on=bool(p["power_on"]))
        )
    if m == "confirm_migration":
        await driver.confirm_migration(host, str(p["uuid"]))
        return None
    if m == "finish_revert_migration":
        return int(
            await driver.finish_revert_migration(
                host, _spec(p["spec"]), power_on=bool(p["power_on"])
            )
        )
    if m == "pre_live_migration":
        await driver.pre_live_migration(host, _spec(p["spec"]))
        return None
    if m == "live_migration":
        uuid, migration = str(p["uuid"]), int(p["migration"])

        async def report(progress: LiveMigrationProgress) -> None:
            await bus.call(
                Message(
                    MOVES_TOPIC,
                    "progress",
                    {
                        "uuid": uuid,
                        "migration": migration,
                        "memory_total": progress.memory_total,
                        "memory_processed": progress.memory_processed,
                        "disk_total": progress.disk_total,
                        "disk_processed": progress.disk_processed,
                    },
                )
            )

        await driver.live_migration(
            host,
            uuid,
            str(p["dest"]),
            block_migration=bool(p["block_migration"]),
            progress=report,
        )
        return None
    if m == "post_live_migration":
        return int(await driver.post_live_migration(host, _spec(p["spec"])))
    if m == "live_migration_force_complete":
        await driver.live_migration_force_complete(host, str(p["uuid"]))
        return None
    if m == "live_migration_abort":
        await driver.live_migration_abort(host, str(p["uuid"]))
        return None
    raise ValueError(f"unknown compute method {m}")
