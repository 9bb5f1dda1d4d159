"""Placement benchmark: Stratus Placement beside the real OpenStack Placement on this
machine, both driven by the same endpoint-agnostic client (../shared/anchors/
placement_bench.py), reported as ratios, with a check that both return the same numbers
of allocation candidates for the same data.

    .venv/bin/python bench/placement.py --sizes 1000            # ours and real
    .venv/bin/python bench/placement.py --sizes 1000,10000 --no-real

Real Placement comes from ../shared/anchors/placement_setup.sh (a venv with PyPI
openstack-placement 16.0.0 under gunicorn, 2 sync workers, SQLite, noauth2). Stratus runs
``stratus up --services placement`` (one process, SQLite) and is called with a real
Keystone token. Not a test: it prints figures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import ANCHORS, ratio, start_stratus

PASSWORD = "bench-secret-1"
REAL_URL = "http://127.0.0.1:18778"


def admin_token(url: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"name": "Default"}, "password": PASSWORD}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
        }
    }
    resp = httpx.post(f"{url}/v3/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers["X-Subject-Token"]


def run_bench(url: str, token: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(ANCHORS / "placement_bench.py"),
        url,
        "--token", token,
        "--sizes", args.sizes,
        "--calls", str(args.calls),
        "--json", str(out),
    ]  # fmt: skip
    if args.no_keepalive:
        cmd.append("--no-keepalive")
    subprocess.run(cmd, check=True)
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-keepalive", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="placement-bench-"))

    stratus = start_stratus(PASSWORD, services="placement")
    try:
        print(f"stratus ready in {stratus.ready_s:.2f} s")
        ours = run_bench(
            f"{stratus.url}/placement", admin_token(stratus.url), args, tmp / "ours.json"
        )
    finally:
        stratus.stop()
    real: dict[str, Any] | None = None
    if not args.no_real:
        setup = str(ANCHORS / "placement_setup.sh")
        subprocess.run([setup, "install"], check=True)
        subprocess.run([setup, "start"], check=True)
        try:
            real = run_bench(REAL_URL, "admin", args, tmp / "real.json")
        finally:
            subprocess.run([setup, "stop"], check=False)
    report(ours, real)


def _rows(data: dict[str, Any] | None) -> dict[tuple[int, str], float]:
    """{(N, metric): value} from placement_bench.py's JSON."""
    out: dict[tuple[int, str], float] = {}
    for row in (data or {}).get("sizes", []):
        n = int(row["N"])
        out[(n, "create ms/provider")] = row["create_per_provider_ms"]
        out[(n, "PUT /allocations p50 ms")] = row["put_allocations"]["p50_ms"]
        out[(n, "GET /resource_providers/{uuid} p50 ms")] = row["get_rp"]["p50_ms"]
        for name, fig in row["allocation_candidates"].items():
            out[(n, f"a_c {name} p50 ms")] = fig["p50_ms"]
            out[(n, f"a_c {name} p95 ms")] = fig["p95_ms"]
            out[(n, f"a_c {name} candidates")] = float(fig["candidates"][0])
    return out


def report(ours: dict[str, Any], real: dict[str, Any] | None) -> None:
    mine, theirs = _rows(ours), _rows(real)
    print(f"\n{'N':>6} {'metric':<58} {'stratus':>9} {'real':>9} {'real/ours':>10}")
    differ = 0
    for (n, metric), value in mine.items():
        other = theirs.get((n, metric))
        if metric.endswith("candidates"):
            same = other is None or other == value
            differ += not same
            rel = "" if other is None else ("same" if same else "DIFFERENT")
        else:
            rel = "" if other is None else ratio(other, value)
        shown = "" if other is None else f"{other:.1f}"
        print(f"{n:>6} {metric:<58} {value:>9.1f} {shown:>9} {rel:>10}")
    if real is not None:
        print("candidate counts:", "identical" if not differ else f"{differ} DIFFER")


if __name__ == "__main__":
    main()
