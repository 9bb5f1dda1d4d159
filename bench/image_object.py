"""Storage benchmark: upload and download of one large object (Swift) and one image (Glance)
through Stratus, against plain ``cp`` of the same file on the same disk, with the server's
peak RSS growth during the transfers (streaming, not buffering).

    .venv/bin/python bench/image_object.py              # 1024 MiB
    .venv/bin/python bench/image_object.py --mib 256

Not a test: it prints figures; goals are in issue 5 (throughput ratio to cp >= 0.7, RSS
growth < 50 MB).
"""

import argparse
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import rss_kib, start_stratus

PASSWORD = "bench-secret-1"
CHUNK = 1 << 20


def make_file(path: Path, mib: int) -> None:
    block = os.urandom(CHUNK)
    with open(path, "wb") as fh:
        for i in range(mib):
            # Vary each MiB a little so nothing can deduplicate it.
            fh.write(i.to_bytes(8, "little") + block[8:])
        fh.flush()
        os.fsync(fh.fileno())


def timed_cp(src: Path, dst: Path) -> float:
    started = time.monotonic()
    shutil.copyfile(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
    elapsed = time.monotonic() - started
    dst.unlink()
    return elapsed


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while data := fh.read(CHUNK):
            yield data


class PeakRss:
    """Samples a process's RSS in the background while a transfer runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_kib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_kib(self.pid))

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(pid: int, action: Callable[[], None]) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of one transfer."""
    with PeakRss(pid) as rss:
        started = time.monotonic()
        action()
        elapsed = time.monotonic() - started
    return elapsed, rss.peak


def token_and_catalog(url: str) -> tuple[str, dict[str, str]]:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"id": "default"}, "password": PASSWORD}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    r = httpx.post(f"{url}/identity/v3/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    endpoints = {}
    for entry in r.json()["token"]["catalog"]:
        for ep in entry["endpoints"]:
            if ep["interface"] == "public":
                endpoints[entry["type"]] = ep["url"]
    return r.headers["x-subject-token"], endpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    stratus = start_stratus(PASSWORD, services="identity,image,object-store")
    try:
        token, endpoints = token_and_catalog(stratus.url)
        headers = {"X-Auth-Token": token}
        work = stratus.data_dir / "bench"
        work.mkdir()
        source = work / "payload.bin"
        make_file(source, args.mib)
        size_mb = args.mib * CHUNK / 1e6
        cp_s = timed_cp(source, work / "copy.bin")
        client = httpx.Client(headers=headers, timeout=None)
        pid = stratus.proc.pid
        idle = rss_kib(pid)

        swift = endpoints["object-store"]
        client.put(f"{swift}/bench").raise_for_status()

        def put_object() -> None:
            client.put(f"{swift}/bench/payload", content=file_chunks(source)).raise_for_status()

        def get_object() -> None:
            with (
                client.stream("GET", f"{swift}/bench/payload") as r,
                open(work / "out", "wb") as fh,
            ):
                for data in r.iter_bytes(CHUNK):
                    fh.write(data)

        image_url = endpoints["image"].rstrip("/") + "/v2"
        image = client.post(
            f"{image_url}/images",
            json={"name": "bench", "disk_format": "raw", "container_format": "bare"},
        ).json()

        def put_image() -> None:
            client.put(
                f"{image_url}/images/{image['id']}/file",
                content=file_chunks(source),
                headers={"Content-Type": "application/octet-stream"},
            ).raise_for_status()

        def get_image() -> None:
            with (
                client.stream("GET", f"{image_url}/images/{image['id']}/file") as r,
                open(work / "out", "wb") as fh,
            ):
                for data in r.iter_bytes(CHUNK):
                    fh.write(data)

        print(f"payload {args.mib} MiB; cp (with fsync) {size_mb / cp_s:8.1f} MB/s")
        print(f"server idle RSS {idle / 1024:.1f} MiB")
        for label, action in (
            ("object upload", put_object),
            ("object download", get_object),
            ("image upload", put_image),
            ("image download", get_image),
        ):
            seconds, peak = measure(pid, action)
            print(
                f"{label:16s} {size_mb / seconds:8.1f} MB/s  ratio to cp "
                f"{cp_s / seconds:.2f}  peak RSS +{(peak - idle) / 1024:.1f} MiB"
            )
        if (work / "out").exists():
            (work / "out").unlink()
    finally:
        stratus.stop()
        shutil.rmtree(stratus.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
