"""Storage benchmark: upload and download of one large object (Swift) and one image (Glance)
through Stratus, side by side with plain ``cp`` of the same file on the same disk, and the
server's peak RSS growth during each transfer (streaming, not buffering).

    .venv/bin/python bench/storage.py                  # 1024 MiB, 3 rounds
    .venv/bin/python bench/storage.py --mib 256 --rounds 1

Every round times ``cp`` (copy + fsync of the destination) right before each transfer, so a
busy machine slows both sides alike; the ratio printed is cp time / transfer time (1.0 = as
fast as cp), the median over the rounds. Uploads end when the server has fsynced the data and
answered; downloads write the bytes to a file on the same disk and fsync it, as cp does. The
client is the standard library's http.client with 1 MiB blocks, so that its own cost stays
small next to the server's (its CPU per GiB is printed too: client and server share the
machine's cores). Not a test: it prints figures; the goals are in issue 5 (ratio >= 0.7, RSS
growth < 50 MB).

It also prints how fast one core of this machine computes md5 and sha512 over a single
stream: a Swift upload must compute the md5 of every byte in order (it is the object's ETag),
so that rate is the ceiling of an object upload here, whatever the server does around it; an
image upload computes md5 and sha512 side by side (two cores), and is held to the slower.
"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import rss_kib, start_stratus

PASSWORD = "bench-secret-1"
BLOCK = 1 << 20


def make_file(path: Path, mib: int) -> str:
    """A file of random bytes (each MiB a little different); returns its md5."""
    block = os.urandom(BLOCK)
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "wb") as fh:
        for i in range(mib):
            data = i.to_bytes(8, "little") + block[8:]
            digest.update(data)
            fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return digest.hexdigest()


def timed_cp(src: Path, dst: Path) -> float:
    started = time.monotonic()
    shutil.copyfile(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
    elapsed = time.monotonic() - started
    dst.unlink()
    return elapsed


class PeakRss:
    """Samples a process's RSS (with its children) in the background during a transfer."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = rss_kib(pid)
        self.peak = self.start
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
        self.peak = max(self.peak, rss_kib(self.pid))


class Http:
    """A connection per request (cp runs between them, longer than the server keeps an idle
    connection); bodies streamed from and to files in 1 MiB blocks."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.token = token

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        source: Path | None = None,
        sink: Path | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(url).path
        query = urlsplit(url).query
        if query:
            path += "?" + query
        all_headers = {"X-Auth-Token": self.token, **(headers or {})}
        self.conn = http.client.HTTPConnection(self.host, self.port, blocksize=BLOCK)
        if source is not None:
            all_headers["Content-Length"] = str(source.stat().st_size)
            with open(source, "rb") as fh:
                self.conn.request(method, path, body=fh, headers=all_headers)
                resp = self.conn.getresponse()
        else:
            self.conn.request(method, path, body=body, headers=all_headers)
            resp = self.conn.getresponse()
        got = {k.lower(): v for k, v in resp.getheaders()}
        if sink is None or resp.status >= 300:
            return resp.status, got, resp.read()
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        with open(sink, "wb") as out:
            while n := resp.readinto(buffer):
                out.write(view[:n])
            out.flush()
            os.fsync(out.fileno())
        return resp.status, got, b""


def expect(status: int, want: int, what: str, body: bytes = b"") -> None:
    if status != want:
        raise RuntimeError(f"{what}: HTTP {status} (wanted {want}) {body[:200]!r}")


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
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    conn.request(
        "POST",
        "/identity/v3/auth/tokens",
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    data = json.loads(resp.read())
    expect(resp.status, 201, "token")
    endpoints = {}
    for entry in data["token"]["catalog"]:
        for ep in entry["endpoints"]:
            if ep["interface"] == "public":
                endpoints[entry["type"]] = ep["url"]
    return resp.getheader("x-subject-token") or "", endpoints


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_pressure() -> str:
    """The kernel's CPU pressure (share of time runnable tasks waited for a CPU): how busy
    the machine was with other work during the run."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"
    return line.split()[2].removeprefix("avg60=") + "%"


def hash_rate(name: str, mib: int = 256) -> float:
    """MB/s of one ``name`` digest over a single stream of ``mib`` MiB, in 4 MiB updates (the
    server's batch size), on one core; the best of three runs."""
    block = os.urandom(4 * BLOCK)
    best = 0.0
    for _ in range(3):
        digest = hashlib.new(name, usedforsecurity=False)
        started = time.perf_counter()
        for _ in range(mib // 4):
            digest.update(block)
        best = max(best, mib * BLOCK / 1e6 / (time.perf_counter() - started))
    return best


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while data := fh.read(BLOCK):
            digest.update(data)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stratus = start_stratus(PASSWORD, services="identity,image,object-store")
    try:
        token, endpoints = token_and_catalog(stratus.url)
        client = Http(stratus.url, token)
        work = stratus.data_dir / "bench"
        work.mkdir()
        source = work / "payload.bin"
        out = work / "out.bin"
        md5 = make_file(source, args.mib)
        size_mb = args.mib * BLOCK / 1e6
        pid = stratus.proc.pid
        swift = endpoints["object-store"].rstrip("/")
        image_api = endpoints["image"].rstrip("/") + "/v2"
        status, _, body = client.request("PUT", f"{swift}/bench")
        expect(status, 201, "container", body)
        idle = rss_kib(pid)

        def put_object() -> None:
            status, headers, body = client.request("PUT", f"{swift}/bench/payload", source=source)
            expect(status, 201, "object upload", body)
            if headers.get("etag", "").strip('"') != md5:
                raise RuntimeError("object ETag is not the payload's md5")

        def get_object() -> None:
            status, _, body = client.request("GET", f"{swift}/bench/payload", sink=out)
            expect(status, 200, "object download", body)

        image_id = ""

        def put_image() -> None:
            nonlocal image_id
            status, _, body = client.request(
                "POST",
                f"{image_api}/images",
                body=json.dumps(
                    {"name": "bench", "disk_format": "raw", "container_format": "bare"}
                ).encode(),
                headers={"Content-Type": "application/json"},
            )
            expect(status, 201, "image create", body)
            image_id = json.loads(body)["id"]
            status, _, body = client.request(
                "PUT",
                f"{image_api}/images/{image_id}/file",
                source=source,
                headers={"Content-Type": "application/octet-stream"},
            )
            expect(status, 204, "image upload", body)

        def get_image() -> None:
            status, _, body = client.request("GET", f"{image_api}/images/{image_id}/file", sink=out)
            expect(status, 200, "image download", body)

        def drop_image() -> None:
            status, _, body = client.request("DELETE", f"{image_api}/images/{image_id}")
            expect(status, 204, "image delete", body)

        transfers: list[tuple[str, Callable[[], None]]] = [
            ("object upload", put_object),
            ("object download", get_object),
            ("image upload", put_image),
            ("image download", get_image),
        ]
        ratios: dict[str, list[float]] = {label: [] for label, _ in transfers}
        rates: dict[str, list[float]] = {label: [] for label, _ in transfers}
        growth: dict[str, int] = dict.fromkeys(ratios, 0)
        cpu: dict[str, list[float]] = {label: [] for label, _ in transfers}
        client_cpu: dict[str, list[float]] = {label: [] for label, _ in transfers}
        cp_rates: list[float] = []
        for _ in range(args.rounds):
            for label, action in transfers:
                # The previous download's file goes outside the timing, as cp's copy does
                # (truncating a cached 1 GiB file costs the client ~1 CPU s/GiB).
                out.unlink(missing_ok=True)
                cp_s = timed_cp(source, work / "copy.bin")
                cp_rates.append(size_mb / cp_s)
                with PeakRss(pid) as rss:
                    cpu_before = cpu_seconds(pid)
                    client_before = time.process_time()
                    started = time.monotonic()
                    action()
                    seconds = time.monotonic() - started
                    cpu[label].append(cpu_seconds(pid) - cpu_before)
                    client_cpu[label].append(time.process_time() - client_before)
                if label.endswith("download") and md5_of(out) != md5:
                    raise RuntimeError(f"{label}: bytes differ from the upload")
                ratios[label].append(cp_s / seconds)
                rates[label].append(size_mb / seconds)
                growth[label] = max(growth[label], rss.peak - idle)
            drop_image()
            out.unlink(missing_ok=True)

        gib = args.mib / 1024
        cp_median = statistics.median(cp_rates)
        md5_rate, sha512_rate = hash_rate("md5"), hash_rate("sha512")
        print(
            f"payload {args.mib} MiB, {args.rounds} round(s); cp (copy + fsync) median "
            f"{cp_median:.0f} MB/s (range {min(cp_rates):.0f}-{max(cp_rates):.0f}); server idle "
            f"RSS {idle / 1024:.1f} MiB; machine CPU pressure (60 s) {cpu_pressure()}"
        )
        print(
            f"one core hashes a single stream at: md5 {md5_rate:.0f} MB/s "
            f"({md5_rate / cp_median:.2f} of cp: the ceiling of an object upload), sha512 "
            f"{sha512_rate:.0f} MB/s (an image upload needs both: "
            f"{min(md5_rate, sha512_rate) / cp_median:.2f} of cp with two free cores)"
        )
        print(
            f"{'transfer':16s} {'MB/s':>6s} {'ratio to cp':>12s} {'peak RSS growth':>16s} "
            f"{'server CPU s/GiB':>17s} {'client CPU s/GiB':>17s}"
        )
        for label, _ in transfers:
            print(
                f"{label:16s} {statistics.median(rates[label]):6.0f} "
                f"{statistics.median(ratios[label]):12.2f} "
                f"{growth[label] / 1024:12.1f} MiB "
                f"{statistics.median(cpu[label]) / gib:17.2f} "
                f"{statistics.median(client_cpu[label]) / gib:17.2f}"
            )
    finally:
        stratus.stop()
        shutil.rmtree(stratus.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
