"""Block storage benchmark (``file`` backend): a 10 GiB volume from a 1 GiB image and from a
snapshot of it, against ``cp`` of the same 1 GiB on the same disk; and snapshot / clone time
of empty volumes of growing size (copy-on-write or extent copies: it must not grow with size).

    .venv/bin/python bench/volume.py                 # 1024 MiB image, 10 GiB volumes
    .venv/bin/python bench/volume.py --mib 256 --rounds 1

Each round times ``cp`` (copy + fsync) of the image file right before the measured operation,
so a busy machine slows both alike; the ratio printed is operation time / cp time (1.0 = as
fast as cp; lower is better), the median over the rounds. Volume operations are timed from the
request until the API shows the volume (or snapshot) ``available``. Not a test: it prints.
"""

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from stratus.testing import running_cloud

BLOCK = 1 << 20


def make_file(path: Path, mib: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as fh:
        for i in range(mib):
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


class Api:
    def __init__(self, url: str, token: str, project: str) -> None:
        self.base = f"{url}/volume/v3/{project}"
        self.http = httpx.Client(headers={"X-Auth-Token": token}, timeout=3600)

    def wait(self, path: str, key: str, status: str = "available") -> dict[str, Any]:
        while True:
            body = self.http.get(self.base + path).json().get(key, {})
            if body.get("status") == status:
                return body
            if str(body.get("status", "")).startswith("error"):
                raise RuntimeError(f"{path}: {body.get('status')}")
            time.sleep(0.01)

    def gone(self, path: str) -> None:
        while self.http.get(self.base + path).status_code != 404:
            time.sleep(0.01)

    def volume(self, **body: Any) -> tuple[str, float]:
        started = time.monotonic()
        resp = self.http.post(self.base + "/volumes", json={"volume": body})
        resp.raise_for_status()
        vid = resp.json()["volume"]["id"]
        self.wait(f"/volumes/{vid}", "volume")
        return vid, time.monotonic() - started

    def snapshot(self, volume_id: str) -> tuple[str, float]:
        started = time.monotonic()
        resp = self.http.post(self.base + "/snapshots", json={"snapshot": {"volume_id": volume_id}})
        resp.raise_for_status()
        sid = resp.json()["snapshot"]["id"]
        self.wait(f"/snapshots/{sid}", "snapshot")
        return sid, time.monotonic() - started

    def delete_volume(self, vid: str) -> None:
        self.http.delete(f"{self.base}/volumes/{vid}?cascade=true")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--gib", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="where the cloud's data dir goes (e.g. an XFS or btrfs mount, where snapshots "
        "and clones are reflinks); a temporary directory by default",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stratus-bench-volume-", dir=args.work))
    overrides = {
        "block_storage": {
            "backends": [{"name": "file", "driver": "file", "capacity_gb": 100000}],
            "default_quotas": {"gigabytes": -1},
        }
    }
    try:
        with running_cloud(
            work / "cloud", services=("identity", "image", "block-storage"), **overrides
        ) as cloud:
            conn = cloud.connection("stratus-admin")
            api = Api(cloud.url, conn.auth_token, conn.current_project_id)
            src = work / "cloud" / "bench-image.raw"
            make_file(src, args.mib)
            md5 = hashlib.md5(usedforsecurity=False)
            with open(src, "rb") as fh:
                for chunk in iter(lambda: fh.read(BLOCK), b""):
                    md5.update(chunk)
            digest = md5.hexdigest()
            with open(src, "rb") as fh:
                image = conn.image.create_image(
                    name="bench", disk_format="raw", container_format="bare", data=fh
                )
            assert conn.image.get_image(image.id).checksum == digest
            from_image, from_snap, cps = [], [], []
            for _ in range(args.rounds):
                cps.append(timed_cp(src, work / "cloud" / "cp.raw"))
                vid, took = api.volume(size=args.gib, imageRef=image.id)
                from_image.append(took)
                sid, _ = api.snapshot(vid)
                cps.append(timed_cp(src, work / "cloud" / "cp.raw"))
                vid2, took = api.volume(size=args.gib, snapshot_id=sid)
                from_snap.append(took)
                api.delete_volume(vid2)
                time.sleep(0.5)
                api.delete_volume(vid)
            cp = statistics.median(cps)
            print(f"cp of {args.mib} MiB (+fsync): {cp:.3f} s")
            print(
                f"{args.gib} GiB volume from the {args.mib} MiB image: "
                f"{statistics.median(from_image):.3f} s  ratio {statistics.median(from_image) / cp:.2f}"
            )
            print(
                f"{args.gib} GiB volume from its snapshot:          "
                f"{statistics.median(from_snap):.3f} s  ratio {statistics.median(from_snap) / cp:.2f}"
            )
            print("snapshot and clone of empty volumes (time must not grow with size):")
            base_snap = base_clone = 0.0
            for gib in (1, 10, 100, 1000):
                vid, _ = api.volume(size=gib)
                snaps, clones = [], []
                for _ in range(args.rounds):
                    sid, t_snap = api.snapshot(vid)
                    snaps.append(t_snap)
                    cid, t_clone = api.volume(source_volid=vid)
                    clones.append(t_clone)
                    api.delete_volume(cid)
                    api.http.delete(f"{api.base}/snapshots/{sid}")
                    api.gone(f"/snapshots/{sid}")
                s, c = statistics.median(snaps), statistics.median(clones)
                base_snap = base_snap or s
                base_clone = base_clone or c
                print(
                    f"  {gib:>5} GiB: snapshot {s:.3f} s (x{s / base_snap:.2f} of 1 GiB), "
                    f"clone {c:.3f} s (x{c / base_clone:.2f} of 1 GiB)"
                )
                api.delete_volume(vid)
            # The same with the image's data in the volume: with reflinks (XFS, btrfs) the
            # time stays flat; elsewhere the allocated extents are copied (it follows the data).
            print(f"snapshot and clone of {args.gib} GiB volumes holding the {args.mib} MiB image:")
            vid, _ = api.volume(size=args.gib, imageRef=image.id)
            snaps, clones = [], []
            for _ in range(args.rounds):
                sid, t_snap = api.snapshot(vid)
                snaps.append(t_snap)
                cid, t_clone = api.volume(source_volid=vid)
                clones.append(t_clone)
                api.delete_volume(cid)
                api.http.delete(f"{api.base}/snapshots/{sid}")
                api.gone(f"/snapshots/{sid}")
            s, c = statistics.median(snaps), statistics.median(clones)
            print(
                f"  snapshot {s:.3f} s (x{s / base_snap:.2f} of an empty 1 GiB), "
                f"clone {c:.3f} s (x{c / base_clone:.2f} of an empty 1 GiB), "
                f"cp of the data {cp:.3f} s"
            )
            api.delete_volume(vid)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
