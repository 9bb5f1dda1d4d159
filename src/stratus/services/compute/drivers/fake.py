"""The fake compute driver: simulated hosts held in memory. Spawning records the instance on
its host and answers RUNNING at once; nothing boots. Deterministic, so tests can reason about
what every host holds."""

from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.drivers.base import HostResources, InstanceSpec, PowerState
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

    def hosts(self) -> list[HostResources]:
        return list(self._hosts)

    async def spawn(self, host: str, spec: InstanceSpec) -> PowerState:
        if host not in self._running:
            raise LookupError(f"host {host} is not run by this driver")
        self._running[host][spec.uuid] = spec
        return PowerState.RUNNING

    async def destroy(self, host: str, uuid: str) -> None:
        self._running.get(host, {}).pop(uuid, None)
        self._power.pop(uuid, None)
        self._boots.pop(uuid, None)

    async def set_power(self, host: str, uuid: str, action: str) -> PowerState:
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
