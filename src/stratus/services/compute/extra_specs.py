"""Flavor extra spec validation: the keys nova registers (``nova/api/validation/extra_specs``)
and their values. From 2.86 an unknown key in a namespace nova owns, or a bad value, is a 400;
keys outside those namespaces are free-form, as upstream."""

import re
from collections.abc import Callable, Mapping

from stratus.kit.errors import BadRequest

Check = Callable[[str], bool]

_BOOL = {"true", "false", "yes", "no", "1", "0", "y", "n", "on", "off", "t", "f"}
_RC = re.compile(r"^([A-Z0-9_]+)$")
_CPUSET = re.compile(r"^\^?\d+(-\d+)?(,\^?\d+(-\d+)?)*$")


def _choice(*values: str) -> Check:
    return lambda v: v in values


def _int(minimum: int = 0) -> Check:
    def check(v: str) -> bool:
        try:
            return int(v) >= minimum
        except ValueError:
            return False

    return check


def _bool(v: str) -> bool:
    return v.lower() in _BOOL


def _any(_v: str) -> bool:
    return True


def _page_size(v: str) -> bool:
    return v in ("small", "large", "any") or re.match(r"^\d+(KB|K|MB|M|GB|G)?$", v) is not None


def _cpuset(v: str) -> bool:
    return _CPUSET.match(v.replace(" ", "")) is not None


def _pci_alias(v: str) -> bool:
    return all(re.match(r"^[^:,]+(:\d+)?$", part.strip()) for part in v.split(","))


_FIXED: dict[str, Check] = {
    "hw:cpu_policy": _choice("shared", "dedicated", "mixed"),
    "hw:cpu_thread_policy": _choice("prefer", "isolate", "require"),
    "hw:emulator_threads_policy": _choice("share", "isolate"),
    "hw:cpu_sockets": _int(1),
    "hw:cpu_cores": _int(1),
    "hw:cpu_threads": _int(1),
    "hw:cpu_max_sockets": _int(1),
    "hw:cpu_max_cores": _int(1),
    "hw:cpu_max_threads": _int(1),
    "hw:cpu_realtime": _bool,
    "hw:cpu_realtime_mask": _cpuset,
    "hw:cpu_dedicated_mask": _cpuset,
    "hw:numa_nodes": _int(1),
    "hw:mem_page_size": _page_size,
    "hw:mem_encryption": _bool,
    "hw:watchdog_action": _choice("none", "pause", "poweroff", "reset", "disabled"),
    "hw:boot_menu": _bool,
    "hw:vif_multiqueue_enabled": _bool,
    "hw:pmu": _bool,
    "hw:serial_port_count": _int(0),
    "hw:pci_numa_affinity_policy": _choice("required", "legacy", "preferred", "socket"),
    "hw:tpm_version": _choice("1.2", "2.0"),
    "hw:tpm_model": _choice("tpm-tis", "tpm-crb"),
    "hw:hide_hypervisor_id": _bool,
    "hw:locked_memory": _bool,
    "hw:virtio_packed_ring": _bool,
    "hw:maxphysaddr_mode": _choice("passthrough", "emulate"),
    "hw:maxphysaddr_bits": _int(1),
    "hw:ephemeral_encryption": _bool,
    "hw:ephemeral_encryption_format": _choice("luks", "plain"),
    "hw:cpu_model": _any,
    "hw_rng:allowed": _bool,
    "hw_rng:rate_bytes": _int(0),
    "hw_rng:rate_period": _int(0),
    "hw_video:ram_max_mb": _int(0),
    "os:secure_boot": _choice("required", "disabled", "optional"),
    "os:monitors": _any,
    "pci_passthrough:alias": _pci_alias,
    "accel:device_profile": _any,
    "group_policy": _choice("none", "isolate"),
    "quota:cpu_shares": _int(0),
    "quota:cpu_period": _int(0),
    "quota:cpu_quota": _int(-1),
    "quota:cpu_limit": _int(0),
    "quota:cpu_reservation": _int(0),
    "quota:memory_limit": _int(0),
    "quota:memory_reservation": _int(0),
    "quota:disk_io_limit": _int(0),
    "quota:vif_limit": _int(0),
}
for _dir in ("read", "write", "total"):
    for _unit in ("bytes", "iops"):
        _FIXED[f"quota:disk_{_dir}_{_unit}_sec"] = _int(0)
for _way in ("inbound", "outbound"):
    for _what in ("average", "peak", "burst"):
        _FIXED[f"quota:vif_{_way}_{_what}"] = _int(0)

_PATTERNS: list[tuple[re.Pattern[str], Check]] = [
    (re.compile(r"^hw:numa_cpus\.\d+$"), _cpuset),
    (re.compile(r"^hw:numa_mem\.\d+$"), _int(0)),
    (re.compile(r"^resources[a-zA-Z0-9_-]{0,64}:[A-Z0-9_]+$"), _int(0)),
    (re.compile(r"^trait[a-zA-Z0-9_-]{0,64}:[A-Z0-9_]+$"), _choice("required", "forbidden")),
    (re.compile(r"^aggregate_instance_extra_specs:.+$"), _any),
    (re.compile(r"^capabilities:.+$"), _any),
]

# Namespaces nova owns: an unknown key in one of them is refused at 2.86 and later.
_OWNED = ("hw", "hw_rng", "hw_video", "os", "quota", "pci_passthrough", "accel")

_KEY = re.compile(r"^[\w.:\- ]+$")


def check_key_syntax(key: str, value: str) -> None:
    """What every microversion enforces: key and value length and the key's characters."""
    if not 1 <= len(key) <= 255 or not _KEY.match(key):
        raise BadRequest(
            f"Invalid input for field/attribute extra_specs. Value: {key}. "
            "'Key' does not match any of the regexes"
        )
    if len(value) > 255:
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. is too long")


def validate(specs: Mapping[str, str], *, strict: bool) -> None:
    """Raise 400 for a malformed spec; ``strict`` (2.86+) also judges nova's own keys."""
    for key, value in specs.items():
        check_key_syntax(key, value)
        if not strict:
            continue
        check = _FIXED.get(key)
        if check is None:
            for pattern, candidate in _PATTERNS:
                if pattern.match(key):
                    check = candidate
                    break
        if check is None:
            namespace = key.split(":", 1)[0] if ":" in key else ""
            if namespace in _OWNED or re.match(r"^(resources|trait)\d*$", namespace):
                raise BadRequest(
                    f"Validation failed; extra spec '{key}' does not match any known key."
                )
            continue
        if not check(value):
            raise BadRequest(
                f"Validation failed; '{value}' is not a valid value for extra spec '{key}'."
            )
