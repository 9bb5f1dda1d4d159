"""Compute settings: the simulated hosts and their capacity, overcommit ratios, the default
availability zone and quota defaults. Read from the ``compute`` section of the shared
Settings when it carries one (``stratus.yaml``), else these defaults."""

from typing import Any

from pydantic import BaseModel, Field


class FakeHost(BaseModel):
    """One simulated host: its CPU topology, memory and disk."""

    sockets: int = 2
    cores: int = 4
    threads: int = 2
    memory_mb: int = 65536
    disk_gb: int = 1000


class ComputeConfig(BaseModel):
    fake_hosts: int = 2
    host_prefix: str = "compute-"
    host: FakeHost = Field(default_factory=FakeHost)
    # RA1 Basic profile overbooking (4:1 CPU, 1:1 RAM); nova's own default ratios are 16/1.5.
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    # Host CPUs set aside for pinned guests (nova's [compute] cpu_dedicated_set, as a count
    # taken from the top of each host): reported to placement as PCPU at ratio 1.0, the rest
    # as VCPU. hw:cpu_policy=dedicated flavors (RA1 High-Performance) claim PCPU.
    cpu_dedicated_count: int = 4
    default_availability_zone: str = "nova"
    internal_service_availability_zone: str = "internal"
    control_host: str = "stratus"
    # How many candidates the scheduler asks placement for, as nova's max_placement_results.
    max_placement_results: int = 1000
    default_quotas: dict[str, int] = Field(default_factory=dict)
    # Seconds since the last heartbeat after which a service is reported "down".
    service_down_time: int = 60

    @property
    def host_names(self) -> list[str]:
        return [f"{self.host_prefix}{i}" for i in range(self.fake_hosts)]


def load(settings: Any) -> ComputeConfig:
    raw = getattr(settings, "compute", None)
    if raw is None:
        return ComputeConfig()
    if isinstance(raw, ComputeConfig):
        return raw
    if isinstance(raw, BaseModel):
        return ComputeConfig.model_validate(raw.model_dump())
    return ComputeConfig.model_validate(raw)
