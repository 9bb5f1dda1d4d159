"""Compute moves benchmark: how long each action takes as a client sees it (request until the
server settles again), over the real API on simulated hosts, printed as p50/p95 and as a
ratio to a boot (create -> ACTIVE) measured in the same run, the baseline.

    .venv/bin/python bench/compute_moves.py [--hosts 4] [--servers 20]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stratus.testing import running_cloud

SERVICES = ("identity", "placement", "network", "image", "compute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--servers", type=int, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_cloud(Path(tmp), services=SERVICES, compute={"fake_hosts": args.hosts}) as cloud,
    ):
        conn = cloud.connection("stratus-admin")
        headers = {"X-Auth-Token": conn.auth_token, "OpenStack-API-Version": "compute 2.88"}
        base = f"{cloud.url}/compute/v2.1"
        client = httpx.Client(headers=headers, timeout=60)
        project = conn.current_project_id
        client.put(
            f"{base}/os-quota-sets/{project}",
            json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}},
        )
        image = conn.image.create_image(
            name="bench", disk_format="raw", container_format="bare", data=b"\0" * 4096
        )

        def settle(sid: str, *statuses: str) -> None:
            while True:
                server = client.get(f"{base}/servers/{sid}").json()["server"]
                if server["status"] in statuses and server["OS-EXT-STS:task_state"] is None:
                    return
                if server["status"] == "ERROR":
                    raise RuntimeError(f"{sid} went to ERROR")
                time.sleep(0.005)

        def timed(fn: Callable[[], Any]) -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        def action(sid: str, body: Any, *statuses: str, code: int = 202) -> None:
            resp = client.post(f"{base}/servers/{sid}/action", json=body)
            assert resp.status_code == code, resp.text
            settle(sid, *statuses)

        results: dict[str, list[float]] = {}
        ids: list[str] = []
        for n in range(args.servers):
            body = {"name": f"m{n}", "imageRef": image.id, "flavorRef": "1", "networks": "none"}

            def boot(body: dict[str, Any] = body) -> None:
                sid = client.post(f"{base}/servers", json={"server": body}).json()["server"]["id"]
                ids.append(sid)
                settle(sid, "ACTIVE")

            results.setdefault("boot (baseline)", []).append(timed(boot))
        live = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
        steps: list[tuple[str, Callable[[str], None]]] = [
            ("live migration", lambda s: action(s, live, "ACTIVE")),
            ("cold migration", lambda s: action(s, {"migrate": None}, "VERIFY_RESIZE")),
            ("confirmResize", lambda s: action(s, {"confirmResize": None}, "ACTIVE", code=204)),
            ("resize", lambda s: action(s, {"resize": {"flavorRef": "2"}}, "VERIFY_RESIZE")),
            ("revertResize", lambda s: action(s, {"revertResize": None}, "ACTIVE")),
            ("shelve (+offload)", lambda s: action(s, {"shelve": None}, "SHELVED_OFFLOADED")),
            ("unshelve", lambda s: action(s, {"unshelve": None}, "ACTIVE")),
            ("createImage", lambda s: action(s, {"createImage": {"name": "b"}}, "ACTIVE")),
            ("rescue", lambda s: action(s, {"rescue": None}, "RESCUE", code=200)),
            ("unrescue", lambda s: action(s, {"unrescue": None}, "ACTIVE")),
        ]
        for sid in ids:
            for name, step in steps:
                results.setdefault(name, []).append(timed(lambda st=step, s=sid: st(s)))
        baseline = statistics.median(results["boot (baseline)"])
        print(f"{args.hosts} simulated hosts, {args.servers} servers (m1.tiny, no network)")
        print(f"{'operation':<20} {'p50 ms':>8} {'p95 ms':>8} {'x boot p50':>11}")
        for name, values in results.items():
            values.sort()
            p50 = statistics.median(values)
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(f"{name:<20} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {p50 / baseline:11.2f}")


if __name__ == "__main__":
    main()
