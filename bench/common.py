"""Benchmark plumbing shared by bench/*.py: start Stratus, drive load, report ratios."""

import asyncio
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STRATUS = str(Path(sys.executable).parent / "stratus")
ANCHORS = ROOT.parent / "shared" / "anchors"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    total = 0
    pids = [str(pid)]
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for p in pids + kids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


@dataclass
class Stratus:
    url: str
    proc: subprocess.Popen[bytes]
    ready_s: float
    data_dir: Path

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def start_stratus(
    admin_password: str, *, services: str | None = None, env: dict[str, str] | None = None
) -> Stratus:
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-bench-"))
    port = free_port()
    full_env = {**os.environ, "STRATUS_ADMIN_PASSWORD": admin_password, **(env or {})}
    args = [STRATUS, "up", "--port", str(port), "--data-dir", str(data_dir)]
    if services:
        args += ["--services", services]
    started = time.monotonic()
    proc = subprocess.Popen(
        args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/v3", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("stratus exited during start-up")
        if time.monotonic() - started > 60:
            raise RuntimeError("stratus did not answer within 60 s")
        time.sleep(0.01)
    return Stratus(url=url, proc=proc, ready_s=time.monotonic() - started, data_dir=data_dir)


@dataclass
class Result:
    rate: float
    p50_ms: float
    p95_ms: float
    errors: int


async def drive(
    count: int, concurrency: int, call: Callable[[httpx.AsyncClient, int], Awaitable[bool]]
) -> Result:
    """Run ``count`` calls with ``concurrency`` workers; rate is calls per wall second."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(count))

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=120) as client:
            for i in counter:
                t = time.perf_counter()
                ok = await call(client, i)
                latencies.append(time.perf_counter() - t)
                errors += 0 if ok else 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    ordered = sorted(latencies)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return Result(
        rate=len(latencies) / wall,
        p50_ms=statistics.median(ordered) * 1000,
        p95_ms=p95 * 1000,
        errors=errors,
    )


def ratio(ours: float, theirs: float) -> str:
    if theirs <= 0:
        return "n/a"
    return f"{ours / theirs:.1f}x"
