"""The fake compute driver: simulated hosts held in memory. Spawning records the instance on
its host and answers RUNNING at once; nothing boots. Deterministic, so tests can reason about
what every host holds."""

from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.drivers.base import HostResources, InstanceSpec, PowerState


class FakeComputeDriver:
    name = "fake"

    def __init__(self, config: ComputeConfig) -> None:
        shape = config.host
        self._hosts = [
            HostResources(
                hostname=name,
                sockets=shape.sockets,
                cores=shape.cores,
                threads=shape.threads,
                memory_mb=shape.memory_mb,
                disk_gb=shape.disk_gb,
                hypervisor_type="fake",
                hypervisor_version=1000,
                host_ip=f"192.168.{(i // 250) % 250}.{i % 250 + 1}",
                traits=("COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_DEVICE_TAGGING"),
            )
            for i, name in enumerate(config.host_names)
        ]
        self._running: dict[str, dict[str, InstanceSpec]] = {h.hostname: {} for h in self._hosts}

    def hosts(self) -> list[HostResources]:
        return list(self._hosts)

    async def spawn(self, host: str, spec: InstanceSpec) -> PowerState:
        if host not in self._running:
            raise LookupError(f"host {host} is not run by this driver")
        self._running[host][spec.uuid] = spec
        return PowerState.RUNNING

    async def destroy(self, host: str, uuid: str) -> None:
        self._running.get(host, {}).pop(uuid, None)

    def power_state(self, host: str, uuid: str) -> PowerState:
        return PowerState.RUNNING if uuid in self._running.get(host, {}) else PowerState.NOSTATE

    def instances_on(self, host: str) -> list[str]:
        return sorted(self._running.get(host, {}))
