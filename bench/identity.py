"""Identity benchmark: Stratus beside a real Keystone on this machine, reported as ratios.

    .venv/bin/python bench/identity.py            # both (Keystone via ../shared/anchors)
    .venv/bin/python bench/identity.py --no-keystone

Measures token issue and validation (rate, p50) with 1 and 8 concurrent clients,
``GET /v3/projects`` with 1,000 projects, start-up time (process start to first 200 on /v3)
and idle RSS. Both sides hash passwords with bcrypt at cost 12 (Keystone's default).
Not a test: it prints figures; goals are in the foundation issue.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import ANCHORS, Result, drive, ratio, rss_kib, start_stratus

PASSWORD = "bench-secret-1"
KEYSTONE_PORT = 15000


@dataclass
class Target:
    name: str
    url: str  # base, without /v3
    password: str
    figures: dict[str, Any] = field(default_factory=dict)


def auth_body(password: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
        }
    }


async def measure(target: Target, requests: int, projects: int) -> None:
    body = auth_body(target.password)
    url = f"{target.url}/v3/auth/tokens"

    async def issue(client: httpx.AsyncClient, _i: int) -> bool:
        return (await client.post(url, json=body)).status_code == 201

    async with httpx.AsyncClient(timeout=120) as client:
        resp = await client.post(url, json=body)
        resp.raise_for_status()
        admin = resp.headers["X-Subject-Token"]
        pool = [(await client.post(url, json=body)).headers["X-Subject-Token"] for _ in range(20)]

    async def validate(client: httpx.AsyncClient, i: int) -> bool:
        headers = {"X-Auth-Token": admin, "X-Subject-Token": pool[i % len(pool)]}
        return (await client.get(url, headers=headers)).status_code == 200

    issue_n = max(20, requests // 10)  # bcrypt at cost 12 makes issue slow on both sides
    for conc in (1, 8):
        target.figures[f"issue c={conc}"] = await drive(issue_n, conc, issue)
        target.figures[f"validate c={conc}"] = await drive(requests, conc, validate)

    async with httpx.AsyncClient(timeout=120) as client:
        headers = {"X-Auth-Token": admin}
        have = len(
            (await client.get(f"{target.url}/v3/projects", headers=headers)).json()["projects"]
        )
        sem = asyncio.Semaphore(8)

        async def make(i: int) -> None:
            async with sem:
                await client.post(
                    f"{target.url}/v3/projects",
                    headers=headers,
                    json={"project": {"name": f"bench-{i}", "domain_id": "default"}},
                )

        await asyncio.gather(*(make(i) for i in range(max(0, projects - have))))

    async def list_projects(client: httpx.AsyncClient, _i: int) -> bool:
        return (
            await client.get(f"{target.url}/v3/projects", headers={"X-Auth-Token": admin})
        ).status_code == 200

    target.figures["list 1000 projects c=1"] = await drive(
        max(10, requests // 20), 1, list_projects
    )


def keystone(action: str) -> str:
    env = {**os.environ, "KEYSTONE_PORT": str(KEYSTONE_PORT), "KEYSTONE_WORKERS": "2"}
    proc = subprocess.run(
        ["bash", str(ANCHORS / "keystone_setup.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"keystone {action} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def keystone_rss_mb() -> str:
    for line in keystone("rss").splitlines():
        if line.startswith("rss_total_kib"):
            return f"{int(line.split()[-1]) / 1024:.0f}"
    return "?"


def report(ours: Target, theirs: Target | None) -> None:
    print(f"\n{'measure':28} {'stratus':>22} {'keystone':>22} {'ratio':>8}")
    for key, value in ours.figures.items():
        other = theirs.figures.get(key) if theirs else None
        if isinstance(value, Result):
            mine = f"{value.rate:8.1f}/s p50 {value.p50_ms:6.1f}ms"
            them = f"{other.rate:8.1f}/s p50 {other.p50_ms:6.1f}ms" if other else "-"
            r = ratio(value.rate, other.rate) if other else "-"
            errs = f"  ({value.errors} errors)" if value.errors else ""
            print(f"{key:28} {mine:>22} {them:>22} {r:>8}{errs}")
        else:
            print(f"{key:28} {value!s:>22} {other!s:>22}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--no-keystone", action="store_true")
    args = parser.parse_args()

    stratus = start_stratus(
        PASSWORD, services="identity", env={"STRATUS_IDENTITY__PASSWORD_HASH_ROUNDS": "12"}
    )
    ours = Target("stratus", stratus.url, PASSWORD)
    try:
        ours.figures["start-up (s)"] = f"{stratus.ready_s:.2f}"
        ours.figures["idle RSS (MB)"] = f"{rss_kib(stratus.proc.pid) / 1024:.0f}"
        asyncio.run(measure(ours, args.requests, args.projects))
        ours.figures["RSS after load (MB)"] = f"{rss_kib(stratus.proc.pid) / 1024:.0f}"
    finally:
        stratus.stop()

    theirs = None
    if not args.no_keystone:
        keystone("install")
        out = keystone("start")
        try:
            theirs = Target("keystone", f"http://127.0.0.1:{KEYSTONE_PORT}", "anchor-secret")
            for line in out.splitlines():
                if line.startswith("startup_to_first_200_s"):
                    theirs.figures["start-up (s)"] = line.split()[-1]
            theirs.figures["idle RSS (MB)"] = keystone_rss_mb()
            asyncio.run(measure(theirs, args.requests, args.projects))
            theirs.figures["RSS after load (MB)"] = keystone_rss_mb()
        except Exception as err:  # report what was measured before the failure
            print(f"keystone run failed: {err}", file=sys.stderr)
        finally:
            keystone("stop")
    report(ours, theirs)


if __name__ == "__main__":
    main()
