"""Compute benchmark: boot and delete servers on simulated hosts through the real API
(create → ACTIVE latency p50/p95, boots per second), printed against a baseline cloud with
2 hosts run alongside. Memory per simulated host is not measured yet.

    .venv/bin/python bench/compute.py [--hosts 100] [--servers 300] [--concurrency 50]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from stratus.testing import running_cloud


async def _boot_all(
    url: str, token: str, image: str, servers: int, concurrency: int
) -> dict[str, Any]:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.37"}
    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=f"{url}/compute/v2.1", headers=headers, timeout=120) as c:

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
                while True:
                    status = (await c.get(f"/servers/{sid}")).json()["server"]["status"]
                    if status in ("ACTIVE", "ERROR"):
                        break
                    await asyncio.sleep(0.05)
                if status != "ACTIVE":
                    errors += 1
                latencies.append(time.perf_counter() - start)
                await c.delete(f"/servers/{sid}")

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(servers)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "per_s": len(latencies) / elapsed,
        "errors": errors,
    }


def run(hosts: int, servers: int, concurrency: int) -> dict[str, Any]:
    with running_cloud(
        Path(tempfile.mkdtemp(prefix="stratus-bench-compute-")),
        services=("identity", "placement", "network", "image", "compute"),
        compute={"fake_hosts": hosts},
    ) as cloud:
        admin = cloud.connection("stratus-admin")
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
            f"{cloud.url}/compute/v2.1/os-quota-sets/{admin.current_project_id}",
            json=unlimited,
            headers={"X-Auth-Token": admin.auth_token},
            timeout=30,
        )
        resp.raise_for_status()
        out = asyncio.run(_boot_all(cloud.url, admin.auth_token, image.id, servers, concurrency))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--servers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    base = run(2, args.servers, args.concurrency)
    big = run(args.hosts, args.servers, args.concurrency)
    print(f"servers={args.servers} concurrency={args.concurrency}")
    for name, r in (("2 hosts (baseline)", base), (f"{args.hosts} hosts", big)):
        print(
            f"{name:>20}: create->ACTIVE p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
            f"{r['per_s']:.1f} boots/s, errors {r['errors']}"
        )
    print(
        f"p50 ratio {big['p50_ms'] / base['p50_ms']:.2f}, boots/s ratio {big['per_s'] / base['per_s']:.2f}"
    )


if __name__ == "__main__":
    main()
