"""IPAM maths as invariants (hypothesis): default pools, pool validation, picking, EUI-64."""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from stratus.services.network import ipam


@st.composite
def v4_subnets(draw: st.DrawFn) -> str:
    prefix = draw(st.integers(min_value=16, max_value=30))
    base = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return str(ipaddress.ip_network((base, prefix), strict=False))


@given(v4_subnets(), st.booleans())
def test_default_pools_cover_every_host_but_the_gateway(cidr: str, with_gateway: bool) -> None:
    net = ipaddress.ip_network(cidr)
    gateway = str(next(net.hosts())) if with_gateway else None
    pools = ipam.default_pools(cidr, gateway)
    ipam.validate_pools(cidr, pools)
    hosts = net.num_addresses - 2
    assert ipam.pool_size(pools) == hosts - (1 if with_gateway else 0)
    if gateway:
        assert not ipam.in_pools(gateway, pools)
    assert not ipam.in_pools(str(net.network_address), pools)
    assert not ipam.in_pools(str(net.broadcast_address), pools)


@given(v4_subnets(), st.data())
def test_first_free_never_returns_a_used_address(cidr: str, data: st.DataObject) -> None:
    pools = ipam.default_pools(cidr, None)
    net = ipaddress.ip_network(cidr)
    hosts = [str(h) for h in list(net.hosts())[:64]]
    used = set(data.draw(st.lists(st.sampled_from(hosts), max_size=len(hosts))))
    free = ipam.first_free(pools, used, 4)
    if free is None:
        assert ipam.pool_size(pools) <= len(used)
    else:
        assert free not in used and ipam.in_pools(free, pools)


@given(v4_subnets())
def test_random_candidates_stay_in_the_pools(cidr: str) -> None:
    pools = ipam.default_pools(cidr, None)
    for candidate in ipam.random_candidates(pools, 20, 4):
        assert ipam.in_pools(candidate, pools)


def test_overlapping_pools_are_refused() -> None:
    try:
        ipam.validate_pools(
            "10.0.0.0/24",
            [{"start": "10.0.0.2", "end": "10.0.0.9"}, {"start": "10.0.0.9", "end": "10.0.0.20"}],
        )
    except ipam.PoolError as err:
        assert "overlapping" in str(err)
    else:
        raise AssertionError("overlap accepted")


def test_eui64() -> None:
    assert ipam.eui64("2001:db8::/64", "fa:16:3e:12:34:56") == "2001:db8::f816:3eff:fe12:3456"
