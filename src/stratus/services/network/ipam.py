"""Address maths for IPAM: default pools, pool validation, candidate picking and IPv6 EUI-64.
Pure functions; the allocator in ``service.py`` couples them with the allocation table,
whose primary key (subnet, address) is the final word against double allocation."""

import ipaddress
import random
from collections.abc import Iterator, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


class PoolError(ValueError):
    pass


def network(cidr: str) -> IPNetwork:
    return ipaddress.ip_network(cidr, strict=False)


def first_host(net: IPNetwork) -> IPAddr:
    return net.network_address + 1 if net.num_addresses > 2 else net.network_address


def usable_range(net: IPNetwork) -> tuple[int, int]:
    """First and last addresses a pool may hold: IPv4 excludes network and broadcast."""
    first = int(net.network_address)
    last = int(net.broadcast_address)
    if net.version == 4:
        if net.prefixlen >= 31:
            return first, last
        return first + 1, last - 1
    # IPv6: the subnet-router anycast address (network address) is never allocated.
    return first + 1, last


def default_pools(cidr: str, gateway: str | None) -> list[dict[str, str]]:
    net = network(cidr)
    low, high = usable_range(net)
    ranges = [(low, high)]
    if gateway is not None:
        gw = int(ipaddress.ip_address(gateway))
        ranges = _exclude(ranges, gw)
    return [_as_pool(net.version, a, b) for a, b in ranges if a <= b]


def _exclude(ranges: list[tuple[int, int]], ip: int) -> list[tuple[int, int]]:
    out = []
    for a, b in ranges:
        if a <= ip <= b:
            if a <= ip - 1:
                out.append((a, ip - 1))
            if ip + 1 <= b:
                out.append((ip + 1, b))
        else:
            out.append((a, b))
    return out


def _as_pool(version: int, a: int, b: int) -> dict[str, str]:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return {"start": str(make(a)), "end": str(make(b))}


def pool_ranges(pools: Sequence[dict[str, str]]) -> list[tuple[int, int]]:
    return [
        (int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"]))) for p in pools
    ]


def validate_pools(cidr: str, pools: Sequence[dict[str, str]]) -> None:
    """Upstream's checks: same version, inside the subnet, start <= end, no overlap."""
    net = network(cidr)
    low, high = int(net.network_address), int(net.broadcast_address)
    seen: list[tuple[int, int, str]] = []
    for pool in pools:
        start = ipaddress.ip_address(pool["start"])
        end = ipaddress.ip_address(pool["end"])
        text = f"{pool['start']}-{pool['end']}"
        if start.version != net.version or end.version != net.version:
            raise PoolError(
                f"Invalid input for operation: Invalid IP address version in pool {text}."
            )
        a, b = int(start), int(end)
        if not (low <= a <= high and low <= b <= high):
            raise PoolError(f"The allocation pool {text} spans beyond the subnet cidr {cidr}.")
        if a > b:
            raise PoolError(f"The allocation pool {text} spans beyond the subnet cidr {cidr}.")
        for c, d, other in seen:
            if a <= d and c <= b:
                raise PoolError(
                    f"Found overlapping allocation pools: {text} and {other} for subnet {cidr}."
                )
        seen.append((a, b, text))


def in_pools(ip: str, pools: Sequence[dict[str, str]]) -> bool:
    value = int(ipaddress.ip_address(ip))
    return any(a <= value <= b for a, b in pool_ranges(pools))


def pool_size(pools: Sequence[dict[str, str]]) -> int:
    return sum(b - a + 1 for a, b in pool_ranges(pools))


def random_candidates(pools: Sequence[dict[str, str]], count: int, version: int) -> Iterator[str]:
    """``count`` random addresses from the pools, weighted by pool size. Random picking keeps
    allocation time independent of how many addresses are already used (until nearly full)."""
    ranges = pool_ranges(pools)
    sizes = [b - a + 1 for a, b in ranges]
    total = sum(sizes)
    if total <= 0:
        return
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for _ in range(count):
        pick = random.randrange(total)
        for (a, _b), size in zip(ranges, sizes, strict=True):
            if pick < size:
                yield str(make(a + pick))
                break
            pick -= size


def first_free(pools: Sequence[dict[str, str]], used: set[str], version: int) -> str | None:
    """Scan the pools in order for an address not in ``used`` (the near-full fallback)."""
    used_ints = {int(ipaddress.ip_address(u)) for u in used}
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for a, b in pool_ranges(pools):
        if b - a + 1 <= len([u for u in used_ints if a <= u <= b]):
            continue
        for value in range(a, b + 1):
            if value not in used_ints:
                return str(make(value))
    return None


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of ``mac`` on an IPv6 /64 (modified EUI-64, RFC 4291)."""
    net = ipaddress.IPv6Network(cidr, strict=False)
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    iid = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    value = int.from_bytes(bytes(iid), "big")
    return str(ipaddress.IPv6Address(int(net.network_address) | value))


def contains(cidr: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in network(cidr)
    except ValueError:
        return False


def overlaps(a: str, b: str) -> bool:
    na, nb = network(a), network(b)
    return na.version == nb.version and na.overlaps(nb)  # type: ignore[arg-type]


def version_of(ip: str) -> int:
    return ipaddress.ip_address(ip).version
