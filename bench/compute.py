"""Compute benchmark, three parts, each printed against a baseline run alongside:

1. boots: boot and delete servers through the real API on simulated hosts (create -> ACTIVE
   latency p50/p95 as the client sees it, boots per second), the big cloud against a
   2-host cloud. ``--watch list`` (default) follows every server in flight with one
   ``GET /servers/detail?changes-since=`` poll loop, as a client waiting on many servers
   does (every 20 ms, asking for changes since ``--lookback`` seconds, default 1, before its
   previous poll began, with microseconds: the figures before 2026-11-24's fourth session
   used whole-second stamps 2 s back, a ~2.5 s window, so each poll listed ~2.5x the servers); ``--watch each`` polls ``GET /servers/{id}`` every 50 ms per server (the method of
   the first figures, which loads the API with ~1,000 requests/s at concurrency 50).
   ``--cloud process`` (default) serves the cloud from ``stratus up`` in its own process, as
   deployed; ``--cloud thread`` from a thread of the benchmark's process (the first figures'
   method: client and cloud then share one interpreter lock). ``--concurrency 1,5,50`` sweeps
   levels on one cloud: by Little's law the latency at 50 in flight is 50 / (boots/s), so the
   low levels show the latency of one boot and the high one the throughput.
2. scheduling: one scheduling decision (host snapshot, placement candidates, filters,
   weighers, claim) in-process at N simulated hosts against 100 hosts, p50/p95 over repeated
   decisions; also how long the N hosts take to register.
3. memory: resident memory per simulated host, from a cloud process with N hosts against one
   with 2 (each in its own process).

    .venv/bin/python bench/compute.py boots [--hosts 100] [--servers 1000] [--concurrency 1,5,50]
        [--cloud process|thread] [--watch list|each] [--lookback 1.0] [--no-baseline]
    .venv/bin/python bench/compute.py scheduling [--sizes 1000,10000] [--request pinned]
    .venv/bin/python bench/compute.py memory [--sizes 1000,10000]
"""

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stratus.testing import running_cloud

SERVICES = ("identity", "placement", "network", "image", "compute")

# -- 1. boots -----------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


async def _boot_all(
    url: str,
    token: str,
    image: str,
    servers: int,
    concurrency: int,
    watch: str,
    lookback: float,
) -> dict[str, Any]:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.37"}
    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    # Keep every connection alive: a pool smaller than the concurrency opens and closes
    # sockets on every request, which costs the server more than the requests.
    limits = httpx.Limits(
        max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8
    )
    waiting: dict[str, asyncio.Future[str]] = {}
    async with httpx.AsyncClient(
        base_url=f"{url}/compute/v2.1", headers=headers, timeout=120, limits=limits
    ) as c:

        async def again(method: str, path: str, **kw: Any) -> httpx.Response:
            # A pooled connection the server closed as idle at the moment it was reused
            # fails once; GET and DELETE are safe to repeat.
            for attempt in range(3):
                try:
                    return await c.request(method, path, **kw)
                except httpx.TransportError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        async def watcher() -> None:
            since = time.time() - 5
            while True:
                began = time.time()
                stamp = dt.datetime.fromtimestamp(since, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                resp = await again("GET", "/servers/detail", params={"changes-since": stamp})
                if resp.status_code == 200:
                    for server in resp.json()["servers"]:
                        fut = waiting.get(server["id"])
                        settled = server["status"] in ("ACTIVE", "ERROR")
                        if fut is not None and not fut.done() and settled:
                            fut.set_result(server["status"])
                # Look back a little: a change stamped before this poll began may have been
                # committed only after the poll read.
                since = began - lookback
                await asyncio.sleep(0.02)

        async def wait_each(sid: str) -> str:
            while True:
                status = str((await again("GET", f"/servers/{sid}")).json()["server"]["status"])
                if status in ("ACTIVE", "ERROR"):
                    return status
                await asyncio.sleep(0.05)

        async def one(i: int) -> None:
            nonlocal errors
            async with sem:
                start = time.perf_counter()
                body = {
                    "server": {
                        "name": f"b{i}",
                        "imageRef": image,
                        "flavorRef": "1",
                        "networks": "none",
                    }
                }
                resp = await c.post("/servers", json=body)
                if resp.status_code != 202:
                    errors += 1
                    return
                sid = resp.json()["server"]["id"]
                if watch == "list":
                    fut = waiting.setdefault(sid, asyncio.get_running_loop().create_future())
                    status = await fut
                    waiting.pop(sid, None)
                else:
                    status = await wait_each(sid)
                if status != "ACTIVE":
                    errors += 1
                latencies.append(time.perf_counter() - start)
                await again("DELETE", f"/servers/{sid}")

        task = asyncio.create_task(watcher()) if watch == "list" else None
        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(servers)))
        elapsed = time.perf_counter() - began
        if task is not None:
            task.cancel()
    return {
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": 1000 * _pct(latencies, 0.95),
        "per_s": len(latencies) / elapsed,
        "errors": errors,
    }


@contextlib.contextmanager
def _cloud(hosts: int, mode: str) -> Iterator[tuple[str, Path]]:
    """A cloud with ``hosts`` simulated hosts: (url, clouds.yaml). ``process`` runs ``stratus
    up`` (uvloop) in its own process, as deployed, so the benchmark client does not share the
    cloud's interpreter lock; ``thread`` serves it from a thread of this process."""
    if mode == "thread":
        with running_cloud(
            Path(tempfile.mkdtemp(prefix="stratus-bench-compute-")),
            services=SERVICES,
            compute={"fake_hosts": hosts},
        ) as cloud:
            yield cloud.url, cloud.clouds_yaml
        return
    from bench.common import start_stratus

    stratus = start_stratus(
        "bench-" + uuid.uuid4().hex[:12],
        services=",".join(SERVICES),
        env={
            "STRATUS_COMPUTE__FAKE_HOSTS": str(hosts),
            "STRATUS_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
        },
    )
    try:
        yield stratus.url, stratus.data_dir / "clouds.yaml"
    finally:
        stratus.stop()


def run_boots(
    hosts: int,
    servers: int,
    concurrencies: list[int],
    watch: str,
    mode: str,
    lookback: float = 1.0,
) -> list[dict[str, Any]]:
    """One cloud, one boot run per concurrency level (in order)."""
    import openstack.config
    from openstack.connection import Connection

    with _cloud(hosts, mode) as (url, clouds_yaml):
        config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)])
        admin = Connection(config=config.get_one(cloud="stratus-admin"))
        image = admin.image.create_image(
            name="bench",
            disk_format="raw",
            container_format="bare",
            data=b"\0" * 512,
            visibility="public",
        )
        # No quota in the way: the benchmark measures the build path.
        unlimited = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
        resp = httpx.put(
            f"{url}/compute/v2.1/os-quota-sets/{admin.current_project_id}",
            json=unlimited,
            headers={"X-Auth-Token": admin.auth_token},
            timeout=30,
        )
        resp.raise_for_status()
        return [
            {
                "concurrency": c,
                **asyncio.run(
                    _boot_all(url, admin.auth_token, image.id, servers, c, watch, lookback)
                ),
            }
            for c in concurrencies
        ]


# -- 2. scheduling --------------------------------------------------------------------------


# What one decision places: a plain guest, or one with dedicated (pinned) CPUs, which the
# scheduler fits on the hosts' NUMA cells and claims on the host as well.
REQUESTS: dict[str, tuple[dict[str, int], dict[str, str]]] = {
    "plain": ({"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}, {}),
    "pinned": ({"PCPU": 2, "MEMORY_MB": 512, "DISK_GB": 1}, {"hw:cpu_policy": "dedicated"}),
}


async def _scheduling(hosts: int, decisions: int, request: str = "plain") -> dict[str, Any]:
    from stratus.cmd.wiring import Cloud
    from stratus.conf.settings import load_settings
    from stratus.scheduler import RequestSpec

    settings = load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="stratus-bench-sched-")),
        port=1,
        services=("identity", "placement", "compute"),
        compute={"fake_hosts": hosts},
        identity={"password_hash_rounds": 4},
    )
    cloud = Cloud(settings)
    began = time.perf_counter()
    await cloud.start()
    registered = time.perf_counter() - began
    cloud.settle_heap()  # as `stratus up` does once started
    built: Any = cloud.runtime.clients["compute.services"]
    scheduler = built.servers.scheduler
    timings: list[float] = []
    # Where a decision's time goes: placement's candidates and claim, the rest is ours
    # (host snapshot, filters, weighers).
    spent = {"candidates": 0.0, "claim": 0.0}
    client = scheduler.placement

    class Timed:
        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        async def allocation_candidates(self, query: Any) -> Any:
            t = time.perf_counter()
            try:
                return await client.allocation_candidates(query)
            finally:
                spent["candidates"] += time.perf_counter() - t

        async def claim(self, *a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return await client.claim(*a, **kw)
            finally:
                spent["claim"] += time.perf_counter() - t

    scheduler.placement = Timed()
    try:
        for i in range(decisions + 1):
            consumer = str(uuid.uuid4())
            resources, extra_specs = REQUESTS[request]
            spec = RequestSpec(
                instance_uuid=consumer,
                project_id="bench",
                user_id="bench",
                resources=dict(resources),
                extra_specs=dict(extra_specs),
            )
            start = time.perf_counter()
            states = await built.hosts.host_states()
            await scheduler.select(spec, states)
            took = time.perf_counter() - start
            if i:  # the first builds the host snapshot once
                timings.append(took)
            else:
                spent = {"candidates": 0.0, "claim": 0.0}
            await scheduler.release(consumer)
    finally:
        await cloud.stop()
    total = sum(timings)
    return {
        "hosts": hosts,
        "register_s": registered,
        "p50_ms": 1000 * statistics.median(timings),
        "p95_ms": 1000 * _pct(timings, 0.95),
        "candidates_ms": 1000 * spent["candidates"] / len(timings),
        "claim_ms": 1000 * spent["claim"] / len(timings),
        "ours_ms": 1000 * (total - spent["candidates"] - spent["claim"]) / len(timings),
    }


# -- 3. memory ---------------------------------------------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _memory_child(hosts: int) -> dict[str, Any]:
    """In a fresh process: RSS after a cloud with ``hosts`` hosts started and scheduled once."""
    from stratus.cmd.wiring import Cloud
    from stratus.conf.settings import load_settings
    from stratus.scheduler import RequestSpec

    settings = load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="stratus-bench-mem-")),
        port=1,
        services=("identity", "placement", "compute"),
        compute={"fake_hosts": hosts},
        identity={"password_hash_rounds": 4},
    )
    cloud = Cloud(settings)
    await cloud.start()
    built: Any = cloud.runtime.clients["compute.services"]
    consumer = str(uuid.uuid4())
    spec = RequestSpec(consumer, "bench", "bench", {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1})
    await built.servers.scheduler.select(spec, await built.hosts.host_states())
    await built.servers.scheduler.release(consumer)
    import gc

    gc.collect()
    rss = _rss_kib()
    await cloud.stop()
    return {"hosts": hosts, "rss_kib": rss}


def _memory(hosts: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "_memory_child", str(hosts)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"memory run at {hosts} hosts failed:\n{done.stderr[-3000:]}")
    out = done.stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "_memory_child":
        print(json.dumps(asyncio.run(_memory_child(int(sys.argv[2])))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("part", choices=("boots", "scheduling", "memory"))
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument(
        "--concurrency", default="50", help="boots: one level or a comma-separated sweep (1,5,50)"
    )
    parser.add_argument(
        "--cloud",
        choices=("process", "thread"),
        default="process",
        help="boots: the cloud in its own process (stratus up) or in a thread of the client's",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="boots: skip the 2-host baseline cloud"
    )
    parser.add_argument("--watch", choices=("list", "each"), default="list")
    parser.add_argument("--lookback", type=float, default=1.0)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--decisions", type=int, default=30)
    parser.add_argument(
        "--request", choices=sorted(REQUESTS), default="plain", help="scheduling: what to place"
    )
    args = parser.parse_args()
    if args.part == "boots":
        levels = [int(c) for c in str(args.concurrency).split(",")]
        print(
            f"servers={args.servers} concurrency={','.join(map(str, levels))} "
            f"watch={args.watch} lookback={args.lookback} cloud={args.cloud}"
        )
        runs: dict[str, list[dict[str, Any]]] = {}
        for name, hosts in (("2 hosts (baseline)", 2), (f"{args.hosts} hosts", args.hosts)):
            if args.no_baseline and hosts == 2:
                continue
            runs[name] = run_boots(
                hosts, args.servers, levels, args.watch, args.cloud, args.lookback
            )
            for r in runs[name]:
                print(
                    f"{name:>20}: concurrency {r['concurrency']:>3}: create->ACTIVE p50 "
                    f"{r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
                    f"{r['per_s']:.1f} boots/s, errors {r['errors']}",
                    flush=True,
                )
        if len(runs) == 2:
            base, big = runs.values()
            for b, r in zip(base, big, strict=True):
                print(
                    f"concurrency {r['concurrency']}: p50 ratio {r['p50_ms'] / b['p50_ms']:.2f}, "
                    f"boots/s ratio {r['per_s'] / b['per_s']:.2f}"
                )
    elif args.part == "scheduling":
        sizes = [int(s) for s in args.sizes.split(",")]
        print(f"request: {args.request}")
        baseline = asyncio.run(_scheduling(100, args.decisions, args.request))
        print(
            f"{'100 hosts (baseline)':>22}: decision p50 {baseline['p50_ms']:.1f} ms, "
            f"p95 {baseline['p95_ms']:.1f} ms, registered in {baseline['register_s']:.1f} s; "
            f"placement candidates {baseline['candidates_ms']:.1f} ms, claim "
            f"{baseline['claim_ms']:.1f} ms, scheduler {baseline['ours_ms']:.1f} ms",
            flush=True,
        )
        for n in sizes:
            r = asyncio.run(_scheduling(n, args.decisions, args.request))
            print(
                f"{f'{n} hosts':>22}: decision p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms "
                f"(x{r['p50_ms'] / baseline['p50_ms']:.2f} of 100 hosts), "
                f"registered in {r['register_s']:.1f} s; mean per decision: placement "
                f"candidates {r['candidates_ms']:.1f} ms, placement claim {r['claim_ms']:.1f} ms, "
                f"scheduler {r['ours_ms']:.1f} ms",
                flush=True,
            )
    else:
        sizes = [int(s) for s in args.sizes.split(",")]
        base = _memory(2)
        print(f"{'2 hosts (baseline)':>20}: RSS {base['rss_kib'] / 1024:.1f} MiB")
        for n in sizes:
            r = _memory(n)
            per_host = (r["rss_kib"] - base["rss_kib"]) * 1024 / (n - 2)
            print(
                f"{f'{n} hosts':>20}: RSS {r['rss_kib'] / 1024:.1f} MiB, "
                f"{per_host / 1024:.1f} KiB per simulated host"
            )


if __name__ == "__main__":
    main()
