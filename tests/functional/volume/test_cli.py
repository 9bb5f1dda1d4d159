"""The issue's bar: the `openstack` CLI, unmodified, for volumes, snapshots, backups, types,
QoS and transfers."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from stratus.testing import RunningCloud

OPENSTACK = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")


def osc(cloud: RunningCloud, *args: str, name: str = "stratus-admin", fmt: bool = True) -> Any:
    extra = ["-f", "json"] if fmt else []
    proc = subprocess.run(
        [OPENSTACK, *args, *extra], env=cloud.env(name), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def osc_fails(cloud: RunningCloud, *args: str, name: str = "stratus-admin") -> str:
    proc = subprocess.run(
        [OPENSTACK, *args], env=cloud.env(name), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def wait(
    cloud: RunningCloud, kind: list[str], ref: str, status: str, name: str = "stratus-admin"
) -> Any:
    deadline = time.monotonic() + 120
    while True:
        shown = osc(cloud, *kind, "show", ref, name=name)
        if shown["status"] == status:
            return shown
        assert shown["status"] not in ("error", "error_restoring"), shown
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)


def test_volume_lifecycle(cloud: RunningCloud) -> None:
    vol = osc(cloud, "volume", "create", "--size", "1", "--property", "a=b", "cli-vol")
    assert vol["size"] == 1 and vol["name"] == "cli-vol"
    wait(cloud, ["volume"], "cli-vol", "available")
    listed = osc(cloud, "volume", "list")
    assert any(v["Name"] == "cli-vol" and v["Status"] == "available" for v in listed)
    osc(cloud, "volume", "set", "--name", "cli-vol2", "--size", "2", "cli-vol", fmt=False)
    shown = wait(cloud, ["volume"], "cli-vol2", "available")
    assert shown["size"] == 2
    assert "a='b'" in str(shown["properties"]) or shown["properties"] == {"a": "b"}
    # shrinking is refused by the API and nothing changes
    assert "greater than" in osc_fails(cloud, "volume", "set", "--size", "1", "cli-vol2")
    assert osc(cloud, "volume", "show", "cli-vol2")["size"] == 2
    osc(cloud, "volume", "delete", "cli-vol2", fmt=False)


def test_snapshot_and_backup(cloud: RunningCloud) -> None:
    osc(cloud, "volume", "create", "--size", "1", "cli-src")
    wait(cloud, ["volume"], "cli-src", "available")
    osc(cloud, "volume", "snapshot", "create", "--volume", "cli-src", "cli-snap")
    wait(cloud, ["volume", "snapshot"], "cli-snap", "available")
    assert any(s["Name"] == "cli-snap" for s in osc(cloud, "volume", "snapshot", "list"))
    backup = osc(cloud, "volume", "backup", "create", "--name", "cli-bk", "cli-src")
    wait(cloud, ["volume", "backup"], backup["id"], "available")
    osc(cloud, "volume", "create", "--size", "1", "cli-dst")
    wait(cloud, ["volume"], "cli-dst", "available")
    osc(cloud, "volume", "backup", "restore", "--force", backup["id"], "cli-dst")
    wait(cloud, ["volume"], "cli-dst", "available")
    wait(cloud, ["volume", "backup"], backup["id"], "available")
    osc(cloud, "volume", "backup", "delete", backup["id"], fmt=False)
    osc(cloud, "volume", "snapshot", "delete", "cli-snap", fmt=False)
    for v in ("cli-src", "cli-dst"):
        wait(cloud, ["volume"], v, "available")
    deadline = time.monotonic() + 60
    while any(s["Name"] == "cli-snap" for s in osc(cloud, "volume", "snapshot", "list")):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    osc(cloud, "volume", "delete", "cli-src", "cli-dst", fmt=False)


def test_types_and_qos(cloud: RunningCloud) -> None:
    osc(
        cloud,
        "volume",
        "qos",
        "create",
        "--consumer",
        "front-end",
        "--property",
        "total_iops_sec=500",
        "cli-gold",
    )
    vtype = osc(
        cloud,
        "volume",
        "type",
        "create",
        "--property",
        "volume_backend_name=file",
        "--private",
        "cli-type",
    )
    assert vtype["is_public"] is False
    osc(cloud, "volume", "qos", "associate", "cli-gold", "cli-type", fmt=False)
    qos = osc(cloud, "volume", "qos", "show", "cli-gold")
    assert "cli-type" in str(qos["associations"])
    assert "total_iops_sec" in str(qos["properties"])
    osc(cloud, "volume", "type", "set", "--project", "demo", "cli-type", fmt=False)
    vol = osc(
        cloud, "volume", "create", "--size", "1", "--type", "cli-type", "typed", name="stratus"
    )
    assert vol["type"] == "cli-type"
    wait(cloud, ["volume"], "typed", "available", name="stratus")
    # a type in use cannot be deleted; QoS in use needs --force
    assert osc_fails(cloud, "volume", "type", "delete", "cli-type")
    osc(cloud, "volume", "delete", "typed", name="stratus", fmt=False)
    osc(cloud, "volume", "qos", "disassociate", "--volume-type", "cli-type", "cli-gold", fmt=False)
    osc(cloud, "volume", "qos", "delete", "cli-gold", fmt=False)
    deadline = time.monotonic() + 60
    while True:
        proc = subprocess.run(
            [OPENSTACK, "volume", "type", "delete", "cli-type"],
            env=cloud.env("stratus-admin"),
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            break
        assert time.monotonic() < deadline, proc.stderr
        time.sleep(0.3)


def test_transfer_request(cloud: RunningCloud) -> None:
    osc(cloud, "volume", "create", "--size", "1", "gift", name="stratus")
    wait(cloud, ["volume"], "gift", "available", name="stratus")
    req = osc(cloud, "volume", "transfer", "request", "create", "gift", name="stratus")
    assert req["auth_key"]
    assert osc(cloud, "volume", "show", "gift", name="stratus")["status"] == "awaiting-transfer"
    assert osc_fails(
        cloud, "volume", "transfer", "request", "accept", "--auth-key", "wrong", req["id"]
    )
    accepted = osc(
        cloud, "volume", "transfer", "request", "accept", "--auth-key", req["auth_key"], req["id"]
    )
    assert accepted["volume_id"] == req["volume_id"]
    shown = osc(cloud, "volume", "show", req["volume_id"])
    assert shown["status"] == "available"
    assert shown["os-vol-tenant-attr:tenant_id"] == osc(cloud, "project", "show", "admin")["id"]
    osc(cloud, "volume", "delete", req["volume_id"], fmt=False)


def test_limits_quotas_services_pools(cloud: RunningCloud) -> None:
    limits = osc(cloud, "limits", "show", "--absolute")
    names = {row["Name"] for row in limits}
    assert {"max_total_volumes", "total_gigabytes_used"} <= names or {
        "maxTotalVolumes",
        "totalGigabytesUsed",
    } <= names
    quota = osc(cloud, "quota", "show", "demo")
    rows = (
        quota
        if isinstance(quota, list)
        else [{"Resource": k, "Limit": v} for k, v in quota.items()]
    )
    assert {"Resource": "volumes", "Limit": 10}.items() <= next(
        r for r in rows if r.get("Resource") == "volumes"
    ).items()
    services = osc(cloud, "volume", "service", "list")
    assert {s["Binary"] for s in services} >= {"cinder-scheduler", "cinder-volume"}
    pools = osc(cloud, "volume", "backend", "pool", "list")
    assert pools[0]["Name"] == "stratus@file#file"
    zones = osc(cloud, "availability", "zone", "list", "--volume")
    assert zones[0]["Zone Name"] == "nova"
