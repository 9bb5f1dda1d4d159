"""Filters: each rules a host in or out for one request spec (nova's filter names)."""

from typing import Protocol

from stratus.scheduler.numa import fit
from stratus.scheduler.request import HostState, RequestSpec
from stratus.scheduler.topology import HostUsage


class Filter(Protocol):
    name: str

    def relevant(self, spec: RequestSpec) -> bool:
        """Whether this request can fail the filter at all (if not, it is skipped)."""
        ...

    def passes(self, host: HostState, spec: RequestSpec) -> bool: ...


class ComputeFilter:
    """The host's nova-compute service is enabled and up."""

    name = "ComputeFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return True

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.enabled and host.up


class AvailabilityZoneFilter:
    name = "AvailabilityZoneFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return spec.availability_zone is not None

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.availability_zone is None or host.availability_zone == spec.availability_zone


class ForcedHostFilter:
    """``az:host:node`` from an admin: only that host (and node)."""

    name = "ForcedHostFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return bool(spec.force_host or spec.force_node)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.force_host and host.host != spec.force_host:
            return False
        return not (spec.force_node and host.nodename != spec.force_node)


class SameHostFilter:
    """``same_host`` hint: on a host where one of the named instances runs."""

    name = "SameHostFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return bool(spec.same_host)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not spec.same_host or host.host in spec.same_host


class DifferentHostFilter:
    name = "DifferentHostFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return bool(spec.different_host)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.different_host


class IgnoreHostsFilter:
    """Hosts a failed build already tried (a reschedule avoids them)."""

    name = "IgnoreHostsFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return bool(spec.ignore_hosts)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.ignore_hosts


class ServerGroupAffinityFilter:
    """affinity: once a member runs somewhere, every other member goes there too."""

    name = "ServerGroupAffinityFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return spec.group_policy == "affinity"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return True
        return host.host in spec.group_hosts


class ServerGroupAntiAffinityFilter:
    """anti-affinity: at most ``max_server_per_host`` members per host."""

    name = "ServerGroupAntiAffinityFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return spec.group_policy == "anti-affinity"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "anti-affinity":
            return True
        return spec.group_hosts.get(host.host, 0) < spec.max_server_per_host


class AggregateInstanceExtraSpecsFilter:
    """``aggregate_instance_extra_specs:K=V`` in the flavor: the host's aggregates carry K=V
    (a comma-separated metadata value matches any of its items)."""

    name = "AggregateInstanceExtraSpecsFilter"
    prefix = "aggregate_instance_extra_specs:"

    def relevant(self, spec: RequestSpec) -> bool:
        return any(k.startswith(self.prefix) for k in spec.extra_specs)

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

    def relevant(self, spec: RequestSpec) -> bool:
        return True

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        allowed = {
            item.strip()
            for key, values in host.aggregate_metadata.items()
            if key == "filter_tenant_id" or key.startswith("filter_tenant_id")
            for value in values
            for item in value.split(",")
        }
        return not allowed or spec.project_id in allowed


class ImagePropertiesFilter:
    """The image's ``hw_architecture``, ``img_hv_type`` and ``hw_vm_mode`` are among what the
    host's hypervisor runs; ``img_hv_requested_version`` a version specifier it meets."""

    name = "ImagePropertiesFilter"

    def relevant(self, spec: RequestSpec) -> bool:
        return bool(spec.image_properties)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        props = spec.image_properties
        arch = _norm(props.get("hw_architecture") or props.get("architecture"))
        hv_type = _norm(props.get("img_hv_type") or props.get("hypervisor_type"))
        vm_mode = _norm(props.get("hw_vm_mode") or props.get("vm_mode"))
        if arch or hv_type or vm_mode:
            ok = any(
                (not arch or arch == a)
                and (not hv_type or hv_type == h)
                and (not vm_mode or vm_mode == m)
                for a, h, m in host.supported_instances
            )
            if not ok:
                return False
        wanted = props.get("img_hv_requested_version")
        return not wanted or _version_ok(host.hypervisor_version, str(wanted))


def _norm(value: object) -> str:
    text = str(value or "").strip().lower()
    # nova's canonical names: xen/hvm aliases and the usual architecture synonyms.
    return {"amd64": "x86_64", "x64": "x86_64", "i386": "i686", "baremetal": "hvm"}.get(text, text)


def _version_ok(have: int, wanted: str) -> bool:
    """``>=1000`` style specifiers on the hypervisor version (an integer as nova reports)."""
    text = wanted.strip()
    for op in (">=", "<=", "==", "!=", ">", "<", "="):
        if text.startswith(op):
            try:
                number = int(text[len(op) :].strip().replace(".", ""))
            except ValueError:
                return False
            return {
                ">=": have >= number,
                "<=": have <= number,
                "==": have == number,
                "=": have == number,
                "!=": have != number,
                ">": have > number,
                "<": have < number,
            }[op]
    try:
        return have == int(text.replace(".", ""))
    except ValueError:
        return False


class NUMATopologyFilter:
    """Guests with a NUMA topology (pinned CPUs, hw:numa_nodes, huge pages) fit on the
    host's cells as it is used now; the fit is kept for the claim."""

    name = "NUMATopologyFilter"
    # Fitting is expensive: the scheduler shares one verdict between hosts alike in
    # topology, RAM ratio and usage (see Scheduler.select).
    costly = True

    def relevant(self, spec: RequestSpec) -> bool:
        return spec.guest is not None and spec.guest.needs_numa

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        guest = spec.guest
        if guest is None or not guest.needs_numa:
            return True
        if host.topology is None:
            return False
        placed = fit(
            host.topology,
            host.usage or HostUsage(),
            guest,
            ram_ratio=host.ram_allocation_ratio,
        )
        if placed is None:
            return False
        spec.fits[host.uuid] = placed
        return True


class PciPassthroughFilter:
    """``pci_passthrough:alias`` devices are free on the host (NUMA-local when the alias's
    policy asks for it)."""

    name = "PciPassthroughFilter"
    # Fitting is expensive: the scheduler shares one verdict between hosts alike in
    # topology, RAM ratio and usage (see Scheduler.select).
    costly = True

    def relevant(self, spec: RequestSpec) -> bool:
        return spec.guest is not None and bool(spec.guest.pci)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        guest = spec.guest
        if guest is None or not guest.pci:
            return True
        if host.topology is None or not host.topology.pci:
            return False
        if guest.needs_numa:
            # NUMATopologyFilter already fitted cells and devices together.
            return host.uuid in spec.fits
        placed = fit(host.topology, host.usage or HostUsage(), guest)
        if placed is None:
            return False
        spec.fits[host.uuid] = placed
        return True


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
    ImagePropertiesFilter(),
    NUMATopologyFilter(),
    PciPassthroughFilter(),
)
