"""Filters: each rules a host in or out for one request spec (nova's filter names)."""

from typing import Protocol

from stratus.scheduler.request import HostState, RequestSpec


class Filter(Protocol):
    name: str

    def passes(self, host: HostState, spec: RequestSpec) -> bool: ...


class ComputeFilter:
    """The host's nova-compute service is enabled and up."""

    name = "ComputeFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.enabled and host.up


class AvailabilityZoneFilter:
    name = "AvailabilityZoneFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.availability_zone is None or host.availability_zone == spec.availability_zone


class ForcedHostFilter:
    """``az:host:node`` from an admin: only that host (and node)."""

    name = "ForcedHostFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.force_host and host.host != spec.force_host:
            return False
        return not (spec.force_node and host.nodename != spec.force_node)


class SameHostFilter:
    """``same_host`` hint: on a host where one of the named instances runs."""

    name = "SameHostFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not spec.same_host or host.host in spec.same_host


class DifferentHostFilter:
    name = "DifferentHostFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.different_host


class IgnoreHostsFilter:
    """Hosts a failed build already tried (a reschedule avoids them)."""

    name = "IgnoreHostsFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.ignore_hosts


class ServerGroupAffinityFilter:
    """affinity: once a member runs somewhere, every other member goes there too."""

    name = "ServerGroupAffinityFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return True
        return host.host in spec.group_hosts


class ServerGroupAntiAffinityFilter:
    """anti-affinity: at most ``max_server_per_host`` members per host."""

    name = "ServerGroupAntiAffinityFilter"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "anti-affinity":
            return True
        return spec.group_hosts.get(host.host, 0) < spec.max_server_per_host


class AggregateInstanceExtraSpecsFilter:
    """``aggregate_instance_extra_specs:K=V`` in the flavor: the host's aggregates carry K=V
    (a comma-separated metadata value matches any of its items)."""

    name = "AggregateInstanceExtraSpecsFilter"
    prefix = "aggregate_instance_extra_specs:"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        for key, wanted in spec.extra_specs.items():
            if not key.startswith(self.prefix):
                continue
            have = {
                item.strip()
                for value in host.aggregate_metadata.get(key[len(self.prefix) :], set())
                for item in value.split(",")
            }
            if wanted.strip() not in have:
                return False
        return True


class AggregateMultiTenancyIsolation:
    """Hosts in an aggregate with ``filter_tenant_id`` metadata take only those projects."""

    name = "AggregateMultiTenancyIsolation"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        allowed = {
            item.strip()
            for key, values in host.aggregate_metadata.items()
            if key == "filter_tenant_id" or key.startswith("filter_tenant_id")
            for value in values
            for item in value.split(",")
        }
        return not allowed or spec.project_id in allowed


DEFAULT_FILTERS: tuple[Filter, ...] = (
    ComputeFilter(),
    AvailabilityZoneFilter(),
    ForcedHostFilter(),
    SameHostFilter(),
    DifferentHostFilter(),
    IgnoreHostsFilter(),
    ServerGroupAffinityFilter(),
    ServerGroupAntiAffinityFilter(),
    AggregateInstanceExtraSpecsFilter(),
    AggregateMultiTenancyIsolation(),
)
