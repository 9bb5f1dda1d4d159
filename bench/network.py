"""Network benchmarks: port create p50, ``GET /v2.0/ports?network_id=`` over 10,000 ports,
and IP allocation in a /16 that already holds 50,000 addresses, printed as ratios against a
baseline run alongside (an empty network / an empty /16).

    .venv/bin/python bench/network.py [--ports 10000] [--used 50000] [--db-url URL]
"""

import argparse
import asyncio
import ipaddress
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.routing import Mount

from stratus.api.auth import AuthInfo, CachingValidator
from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.bus.inproc import InProcBus
from stratus.conf.settings import load_settings
from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.timeutil import utcnow
from stratus.services.network import models as m
from stratus.services.network import spec as network_spec

ADMIN = AuthInfo(
    user_id="u-admin",
    user_name="admin",
    user_domain_id="default",
    user_domain_name="Default",
    roles=("admin", "member", "reader"),
    project_id="p-bench",
    project_name="bench",
)


class Stub:
    async def validate(self, token: str) -> AuthInfo:
        return ADMIN


async def timed(
    client: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = await client.request(method, url, **kw)
    return time.perf_counter() - start, r


async def make_net(client: httpx.AsyncClient, cidr: str) -> tuple[str, str]:
    r = await client.post("/v2.0/networks", json={"network": {"name": cidr}})
    net_id = r.json()["network"]["id"]
    r = await client.post(
        "/v2.0/subnets", json={"subnet": {"network_id": net_id, "cidr": cidr, "ip_version": 4}}
    )
    return net_id, r.json()["subnet"]["id"]


async def bulk_ports(db: Database, net_id: str, subnet_id: str, cidr: str, count: int) -> None:
    """Fill a subnet directly in the database (the API path is what is measured, not this)."""
    hosts = ipaddress.ip_network(cidr).hosts()
    next(hosts)  # the gateway
    now = utcnow()
    batch = 2000
    done = 0
    while done < count:
        n = min(batch, count - done)
        ports, allocs = [], []
        for _ in range(n):
            pid = str(uuid.uuid4())
            ip = str(next(hosts))
            mac = f"fa:16:3e:{(done >> 16) & 255:02x}:{(done >> 8) & 255:02x}:{done & 255:02x}"
            ports.append(
                dict(
                    id=pid,
                    network_id=net_id,
                    project_id="p-bench",
                    name="",
                    description="",
                    mac_address=mac,
                    admin_state_up=True,
                    status="DOWN",
                    device_id="",
                    device_owner="",
                    port_security_enabled=False,
                    binding_host_id="",
                    binding_vnic_type="normal",
                    binding_profile={},
                    binding_vif_type="unbound",
                    binding_vif_details={},
                    allowed_address_pairs=[],
                    extra_dhcp_opts=[],
                    dns_name="",
                    qos_policy_id=None,
                    revision_number=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            allocs.append(dict(subnet_id=subnet_id, ip_address=ip, port_id=pid, network_id=net_id))
            done += 1
        async with db.session() as session:
            await session.execute(insert(m.Port), ports)
            await session.execute(insert(m.IPAllocation), allocs)


async def allocation_times(client: httpx.AsyncClient, net_id: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t, r = await timed(
            client,
            "POST",
            "/v2.0/ports",
            json={"port": {"network_id": net_id, "port_security_enabled": False}},
        )
        assert r.status_code == 201, r.text
        times.append(t)
    return times


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(len(samples) * 0.95) - 1)]


async def main(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-bench-"))
    settings = load_settings(data_dir=data_dir, services=("network",), db_url=args.db_url)
    db = Database(settings.database_url)
    runtime = Runtime(
        settings=settings,
        db=db,
        bus=InProcBus(),
        policy=PolicyEngine(),
        validator=CachingValidator(Stub(), ttl=60),
    )
    await upgrade(db)
    app = Starlette(routes=[Mount("/network", app=network_spec.SPEC.build(runtime))])
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://b/network",
        headers={"X-Auth-Token": "t"},
    )
    await client.put(
        "/v2.0/quotas/p-bench", json={"quota": {"port": -1, "network": -1, "subnet": -1}}
    )

    # 1. port create p50 on an empty network
    net_id, _ = await make_net(client, "10.0.0.0/16")
    creates = await allocation_times(client, net_id, args.samples)
    p50_create = statistics.median(creates)
    print(
        f"port create: p50 {p50_create * 1000:.2f} ms, p95 {p95(creates) * 1000:.2f} ms "
        f"({args.samples} creates, {'PostgreSQL' if args.db_url else 'SQLite'})"
    )

    # 2. list ports of one network among many, baseline: a network with 10 ports
    small_net, small_sub = await make_net(client, "10.1.0.0/24")
    await bulk_ports(db, small_net, small_sub, "10.1.0.0/24", 10)
    big_net, big_sub = await make_net(client, "10.2.0.0/16")
    await bulk_ports(db, big_net, big_sub, "10.2.0.0/16", args.ports)
    # Measurements are interleaved (one sample of each variant per round, first round
    # dropped as warm-up) so that the load of this shared machine hits every variant alike.
    small_t: list[float] = []
    full_t: list[float] = []
    page_t: list[float] = []
    for round_ in range(6):
        t_small, _ = await timed(client, "GET", "/v2.0/ports", params={"network_id": small_net})
        t_full, r = await timed(client, "GET", "/v2.0/ports", params={"network_id": big_net})
        assert len(r.json()["ports"]) == args.ports
        t_page, _ = await timed(
            client, "GET", "/v2.0/ports", params={"network_id": big_net, "limit": "100"}
        )
        if round_:
            small_t.append(t_small)
            full_t.append(t_full)
            page_t.append(t_page)
    small = statistics.median(small_t)
    full = statistics.median(full_t)
    page = statistics.median(page_t)
    print(f"GET ports?network_id (10 ports): p50 {small * 1000:.1f} ms")
    print(
        f"GET ports?network_id ({args.ports} ports, all): p50 {full * 1000:.0f} ms  "
        f"ratio {full / small:.1f}x; per port {full / args.ports * 1e6:.0f} us"
    )
    print(
        f"GET ports?network_id ({args.ports} ports, limit=100): p50 {page * 1000:.1f} ms  "
        f"ratio {page / small:.1f}x"
    )

    # 3. allocation in a /16 holding `used` addresses vs an empty /16, and in between: if
    # allocation scanned the used addresses, time would grow with them (linear); it must not.
    levels = [0, *sorted({args.used // 5, args.used // 2, args.used})]
    nets: list[str] = []
    for index, used in enumerate(levels):
        cidr = f"10.{3 + index}.0.0/16"
        net, sub = await make_net(client, cidr)
        if used:
            await bulk_ports(db, net, sub, cidr, used)
        nets.append(net)
    samples: list[list[float]] = [[] for _ in levels]
    for round_ in range(args.samples + 1):
        for index, net in enumerate(nets):
            t = (await allocation_times(client, net, 1))[0]
            if round_:
                samples[index].append(t)
    base = statistics.median(samples[0])
    for used, times in zip(levels, samples, strict=True):
        p50 = statistics.median(times)
        print(
            f"IP allocation, /16 with {used} used: p50 {p50 * 1000:.2f} ms, "
            f"p95 {p95(times) * 1000:.2f} ms  ratio {p50 / base:.2f}x (vs empty)"
        )
    await client.aclose()
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=10000)
    parser.add_argument("--used", type=int, default=50000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--db-url", default=None)
    asyncio.run(main(parser.parse_args()))
