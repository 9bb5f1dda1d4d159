"""The fake compute driver: simulated hosts held in memory. Spawning records the instance on
its host and answers RUNNING at once; nothing boots. Deterministic, so tests can reason about
what every host holds."""

import asyncio
import dataclasses
import hashlib
import struct

from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.drivers.base import (
    DriverOperationFailed,
    HostResources,
    InstanceSpec,
    LiveMigrationAborted,
    LiveMigrationProgress,
    PowerState,
    ProgressCallback,
)
from stratus.services.compute.drivers.shapes import describe_hosts

_AFTER = {
    "stop": PowerState.SHUTDOWN,
    "start": PowerState.RUNNING,
    "reboot": PowerState.RUNNING,
    "pause": PowerState.PAUSED,
    "unpause": PowerState.RUNNING,
    "suspend": PowerState.SUSPENDED,
    "resume": PowerState.RUNNING,
}


class FakeComputeDriver:
    name = "fake"

    def __init__(self, config: ComputeConfig) -> None:
        self._hosts = describe_hosts(config)
        self._running: dict[str, dict[str, InstanceSpec]] = {h.hostname: {} for h in self._hosts}
        self._power: dict[str, PowerState] = {}
        self._boots: dict[str, int] = {}
        self._ops = FakeOperations()
        self._snapshot_seconds = config.fake_snapshot_seconds

    def hosts(self) -> list[HostResources]:
        return list(self._hosts)

    async def spawn(self, host: str, spec: InstanceSpec) -> PowerState:
        self._ops.check("spawn", host)
        if host not in self._running:
            raise LookupError(f"host {host} is not run by this driver")
        self._running[host][spec.uuid] = spec
        return PowerState.RUNNING

    async def destroy(self, host: str, uuid: str) -> None:
        if self._running.get(host, {}).pop(uuid, None) is None:
            return
        if any(uuid in guests for guests in self._running.values()):
            # A move left the guest running elsewhere: its state there stays.
            return
        self._power.pop(uuid, None)
        self._boots.pop(uuid, None)

    async def set_power(self, host: str, uuid: str, action: str) -> PowerState:
        self._ops.check("power", host)
        if uuid not in self._running.get(host, {}):
            raise LookupError(f"instance {uuid} is not on host {host}")
        state = _AFTER[action]
        self._power[uuid] = state
        if action == "reboot":
            self._boots[uuid] = self._boots.get(uuid, 1) + 1
        return state

    def console_output(self, host: str, uuid: str) -> str:
        spec = self._running.get(host, {}).get(uuid)
        if spec is None:
            return ""
        lines = []
        for boot in range(self._boots.get(uuid, 1)):
            lines += [
                f"[    0.000000] Linux version 6.1.0-fake (stratus) boot {boot + 1}",
                "[    0.000000] Command line: root=/dev/vda1 ro console=ttyS0",
                f"[    0.100000] Memory: {spec.memory_mb * 1024}K available",
                f"[    0.200000] smpboot: Allowing {spec.vcpus} CPUs, 0 hotplug CPUs",
                "[    1.000000] EXT4-fs (vda1): mounted filesystem with ordered data mode",
                "cloud-init[101]: Cloud-init v. 23.1 running 'init' (fake driver)",
                *(
                    f"cloud-init[101]: ci-info: | eth{i} | True | port {port} |"
                    for i, port in enumerate(spec.port_ids)
                ),
                "cloud-init[101]: Cloud-init v. 23.1 finished",
                "",
                f"{spec.name} login: ",
            ]
        # A console log ends at the login prompt, without a newline.
        return "\n".join(lines)

    def power_state(self, host: str, uuid: str) -> PowerState:
        if uuid not in self._running.get(host, {}):
            return PowerState.NOSTATE
        return self._power.get(uuid, PowerState.RUNNING)

    def instances_on(self, host: str) -> list[str]:
        return sorted(self._running.get(host, {}))

    # -- failure injection (tests) ---------------------------------------------------------

    def agent_running(self, host: str) -> bool:
        return host not in self._ops.stopped

    def stop_agent(self, host: str) -> None:
        """Simulate a host failure: its agent stops heartbeating and every operation on it
        fails (its guests are left as they were, as on a host that lost power)."""
        self._ops.stopped.add(host)

    def start_agent(self, host: str) -> None:
        self._ops.stopped.discard(host)

    def inject_failure(self, operation: str, *, host: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` (on ``host``, or any) fail."""
        self._ops.failures.append([operation, host, times])

    def clear_failures(self) -> None:
        self._ops.failures.clear()

    def hold_live_migrations(self, hold: bool) -> None:
        """While held, a live migration copies half the memory and then waits for
        force_complete or abort (so tests can watch progress)."""
        self._ops.hold = hold

    def hold_snapshots(self, hold: bool) -> None:
        """While held, a snapshot waits before it reads the disk (so tests can watch a
        server in the middle of createImage)."""
        self._ops.hold_snapshots = hold

    # -- lifecycle operations -----------------------------------------------------------------

    def _spec(self, host: str, uuid: str) -> InstanceSpec:
        spec = self._running.get(host, {}).get(uuid)
        if spec is None:
            raise DriverOperationFailed(f"instance {uuid} is not on host {host}")
        return spec

    async def snapshot(self, host: str, uuid: str) -> bytes:
        self._ops.check("snapshot", host)
        # Polled, not an Event: tests release it from another thread than the cloud's loop.
        while self._ops.hold_snapshots:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if self._snapshot_seconds > 0:
            await asyncio.sleep(self._snapshot_seconds)
        spec = self._spec(host, uuid)
        # Deterministic "disk contents": the same guest always snapshots to the same bytes.
        seed = f"{spec.uuid}:{spec.image_id}:{self._boots.get(uuid, 1)}".encode()
        # A qcow2 header (magic, version 3, no backing file, 64 KiB clusters, the virtual
        # size of the root disk) followed by the guest's "data".
        size = max(spec.root_gb, 1) * 1024**3
        header = struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 0, 0, 16, size)
        return header.ljust(512, b"\0") + hashlib.sha256(seed).digest() * 128

    async def volume_snapshot_create(
        self, host: str, uuid: str, volume_id: str, new_file: str
    ) -> None:
        self._ops.check("volume_snapshot_create", host)
        self._spec(host, uuid)
        if self.power_state(host, uuid) != PowerState.RUNNING:
            raise DriverOperationFailed(f"instance {uuid} is not running")
        chain = self._ops.volume_chains.setdefault((uuid, volume_id), [])
        if new_file in chain:
            raise DriverOperationFailed(f"{new_file} is already in the chain of {volume_id}")
        chain.append(new_file)

    async def volume_snapshot_delete(
        self, host: str, uuid: str, volume_id: str, delete_info: dict[str, object]
    ) -> None:
        self._ops.check("volume_snapshot_delete", host)
        self._spec(host, uuid)
        if delete_info.get("type", "qcow2") != "qcow2":
            raise DriverOperationFailed(f"unknown delete_info type {delete_info.get('type')}")
        if "file_to_merge" not in delete_info:
            raise DriverOperationFailed("delete_info has no file_to_merge")
        chain = self._ops.volume_chains.get((uuid, volume_id), [])
        merge = delete_info["file_to_merge"]
        if merge not in chain:
            raise DriverOperationFailed(f"{merge} is not in the chain of {volume_id}")
        target = delete_info.get("merge_target_file")
        if target is not None and target not in chain:
            raise DriverOperationFailed(f"{target} is not in the chain of {volume_id}")
        chain.remove(str(merge))

    def volume_chain(self, uuid: str, volume_id: str) -> list[str]:
        """The overlay files assisted snapshots left on the guest's disk of ``volume_id``."""
        return list(self._ops.volume_chains.get((uuid, volume_id), []))

    async def rescue(self, host: str, uuid: str, image_id: str) -> PowerState:
        self._ops.check("rescue", host)
        self._spec(host, uuid)
        self._ops.rescued[uuid] = image_id
        self._power[uuid] = PowerState.RUNNING
        return PowerState.RUNNING

    async def unrescue(self, host: str, uuid: str) -> PowerState:
        self._ops.check("unrescue", host)
        self._spec(host, uuid)
        self._ops.rescued.pop(uuid, None)
        self._power[uuid] = PowerState.RUNNING
        return PowerState.RUNNING

    def rescued_with(self, uuid: str) -> str | None:
        return self._ops.rescued.get(uuid)

    async def trigger_crash_dump(self, host: str, uuid: str) -> None:
        self._ops.check("crash_dump", host)
        self._spec(host, uuid)
        self._ops.crash_dumps[uuid] = self._ops.crash_dumps.get(uuid, 0) + 1

    def crash_dumps(self, uuid: str) -> int:
        return self._ops.crash_dumps.get(uuid, 0)

    async def set_admin_password(self, host: str, uuid: str, password: str) -> None:
        self._ops.check("set_admin_password", host)
        self._spec(host, uuid)
        self._ops.passwords[uuid] = password

    def admin_password(self, uuid: str) -> str | None:
        return self._ops.passwords.get(uuid)

    async def attach_interface(self, host: str, uuid: str, port_id: str) -> None:
        self._ops.check("attach_interface", host)
        spec = self._spec(host, uuid)
        if port_id not in spec.port_ids:
            self._running[host][uuid] = dataclasses.replace(
                spec, port_ids=(*spec.port_ids, port_id)
            )

    async def detach_interface(self, host: str, uuid: str, port_id: str) -> None:
        self._ops.check("detach_interface", host)
        spec = self._spec(host, uuid)
        self._running[host][uuid] = dataclasses.replace(
            spec, port_ids=tuple(p for p in spec.port_ids if p != port_id)
        )

    # -- cold migration and resize -----------------------------------------------------------

    async def migrate_disk_and_power_off(
        self, host: str, uuid: str, dest: str, spec: InstanceSpec
    ) -> None:
        self._ops.check("migrate_disk", host)
        self._spec(host, uuid)
        if dest not in self._running:
            raise DriverOperationFailed(f"host {dest} is not run by this driver")
        self._power[uuid] = PowerState.SHUTDOWN

    async def finish_migration(
        self, host: str, spec: InstanceSpec, *, power_on: bool
    ) -> PowerState:
        self._ops.check("finish_migration", host)
        if host not in self._running:
            raise DriverOperationFailed(f"host {host} is not run by this driver")
        self._running[host][spec.uuid] = spec
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        self._power[spec.uuid] = state
        return state

    async def confirm_migration(self, host: str, uuid: str) -> None:
        self._ops.check("confirm_migration", host)
        self._running.get(host, {}).pop(uuid, None)

    async def finish_revert_migration(
        self, host: str, spec: InstanceSpec, *, power_on: bool
    ) -> PowerState:
        self._ops.check("revert_migration", host)
        self._running[host][spec.uuid] = spec
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        self._power[spec.uuid] = state
        return state

    # -- live migration --------------------------------------------------------------------

    async def pre_live_migration(self, host: str, spec: InstanceSpec) -> None:
        self._ops.check("pre_live_migration", host)
        if host not in self._running:
            raise DriverOperationFailed(f"host {host} is not run by this driver")

    async def live_migration(
        self, host: str, uuid: str, dest: str, *, block_migration: bool, progress: ProgressCallback
    ) -> None:
        self._ops.check("live_migration", host)
        spec = self._spec(host, uuid)
        memory = spec.memory_mb * 1024 * 1024
        disk = spec.root_gb * 1024**3 if block_migration else 0
        await progress(LiveMigrationProgress(memory, 0, disk, 0))
        if self._ops.hold:
            await progress(LiveMigrationProgress(memory, memory // 2, disk, disk // 2))
            control = self._ops.control.setdefault(uuid, _Control())
            try:
                await control.wake.wait()
            finally:
                self._ops.control.pop(uuid, None)
            if control.aborted:
                raise LiveMigrationAborted(f"live migration of {uuid} aborted")
        await progress(LiveMigrationProgress(memory, memory, disk, disk))

    async def post_live_migration(self, host: str, spec: InstanceSpec) -> PowerState:
        self._ops.check("post_live_migration", host)
        for guests in self._running.values():
            guests.pop(spec.uuid, None)
        self._running[host][spec.uuid] = spec
        return self._power.setdefault(spec.uuid, PowerState.RUNNING)

    async def live_migration_force_complete(self, host: str, uuid: str) -> None:
        control = self._ops.control.get(uuid)
        if control is not None:
            control.wake.set()

    async def live_migration_abort(self, host: str, uuid: str) -> None:
        control = self._ops.control.get(uuid)
        if control is None:
            raise DriverOperationFailed(f"no live migration of {uuid} is running on {host}")
        control.aborted = True
        control.wake.set()


class _Control:
    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.aborted = False


class FakeOperations:
    """The fake driver's bookkeeping beyond placement of guests: injected failures, rescue
    images, crash dumps, passwords and held live migrations."""

    def __init__(self) -> None:
        # [operation, host or None, remaining count]
        self.failures: list[list[object]] = []
        self.rescued: dict[str, str] = {}
        self.crash_dumps: dict[str, int] = {}
        self.passwords: dict[str, str] = {}
        self.control: dict[str, _Control] = {}
        self.hold = False
        self.hold_snapshots = False
        # (instance, volume) -> overlay files of assisted volume snapshots, oldest first
        self.volume_chains: dict[tuple[str, str], list[str]] = {}
        self.stopped: set[str] = set()

    def check(self, operation: str, host: str) -> None:
        if host in self.stopped:
            raise DriverOperationFailed(f"the compute agent of {host} is not running")
        for entry in self.failures:
            op, on, left = entry
            if op == operation and on in (None, host) and isinstance(left, int) and left > 0:
                entry[2] = left - 1
                if left - 1 == 0:
                    self.failures.remove(entry)
                raise DriverOperationFailed(f"injected failure: {operation} on {host}")
