"""Weighers: each scores hosts; scores are normalised to [0, 1] across the candidates and
summed with their multipliers (nova's weighing, k8s's Score plugins). Positive multipliers
spread instances (most free first), negative ones stack them."""

from collections.abc import Sequence
from typing import Protocol

from stratus.scheduler.request import HostState, RequestSpec


class Weigher(Protocol):
    name: str
    multiplier: float

    def raw(self, host: HostState, spec: RequestSpec) -> float: ...


class RAMWeigher:
    name = "RAMWeigher"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def raw(self, host: HostState, spec: RequestSpec) -> float:
        return host.free_ram_mb


class CPUWeigher:
    name = "CPUWeigher"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def raw(self, host: HostState, spec: RequestSpec) -> float:
        return host.free_vcpus


class DiskWeigher:
    name = "DiskWeigher"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def raw(self, host: HostState, spec: RequestSpec) -> float:
        return host.free_disk_gb


class ServerGroupSoftAffinityWeigher:
    """soft-affinity prefers hosts running more members; soft-anti-affinity fewer."""

    name = "ServerGroupSoftAffinityWeigher"

    def __init__(self, multiplier: float = 10.0) -> None:
        self.multiplier = multiplier

    def raw(self, host: HostState, spec: RequestSpec) -> float:
        members = float(spec.group_hosts.get(host.host, 0))
        if spec.group_policy == "soft-affinity":
            return members
        if spec.group_policy == "soft-anti-affinity":
            return -members
        return 0.0


class BuildFailureWeigher:
    """Hosts where builds failed lately sink (nova's build_failure_weight_multiplier)."""

    name = "BuildFailureWeigher"

    def __init__(self, multiplier: float = 1000000.0) -> None:
        self.multiplier = multiplier

    def raw(self, host: HostState, spec: RequestSpec) -> float:
        return -float(host.failed_builds)


DEFAULT_WEIGHERS: tuple[Weigher, ...] = (
    RAMWeigher(),
    CPUWeigher(),
    DiskWeigher(),
    ServerGroupSoftAffinityWeigher(),
    BuildFailureWeigher(),
)


def weigh(
    hosts: Sequence[HostState], spec: RequestSpec, weighers: Sequence[Weigher]
) -> list[tuple[float, HostState]]:
    """Hosts with their total weight, best first (ties keep the input order)."""
    totals = [0.0] * len(hosts)
    for weigher in weighers:
        values = [weigher.raw(h, spec) for h in hosts]
        low, high = (min(values), max(values)) if values else (0.0, 0.0)
        span = high - low
        for i, value in enumerate(values):
            normalised = (value - low) / span if span else 0.0
            totals[i] += weigher.multiplier * normalised
    order = sorted(range(len(hosts)), key=lambda i: -totals[i])
    return [(totals[i], hosts[i]) for i in order]
