"""The `stratus` command: up (persistence across restarts), status, keys rotate, policy list,
db upgrade, reset."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from stratus.testing.cloud import free_port

STRATUS = str(Path(sys.executable).parent / "stratus")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRATUS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [STRATUS, "up", "--port", str(port), "--data-dir", str(data_dir), "--services", "identity"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "STRATUS_IDENTITY__PASSWORD_HASH_ROUNDS": "4"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v3", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(proc.stdout.read() if proc.stdout else "stratus did not start")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


def token(port: int, password: str) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{port}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": "admin", "domain": {"id": "default"}, "password": password}
                    },
                },
                "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
            }
        },
    )


def test_up_prints_usage_and_state_survives_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc = start(data, port)
    clouds = yaml.safe_load((data / "clouds.yaml").read_text())["clouds"]
    assert {"stratus", "stratus-admin", "devstack", "devstack-admin"} <= set(clouds)
    password = clouds["stratus-admin"]["auth"]["password"]
    admin = token(port, password).headers["X-Subject-Token"]
    created = httpx.post(
        f"http://127.0.0.1:{port}/v3/projects",
        headers={"X-Auth-Token": admin},
        json={"project": {"name": "survivor"}},
    )
    assert created.status_code == 201
    out = stop(proc)
    assert f"OS_CLIENT_CONFIG_FILE={data / 'clouds.yaml'}" in out.replace("\n", "")
    assert password in out  # shown once, on first start

    port2 = free_port()
    proc = start(data, port2)
    try:
        resp = token(port2, password)
        assert resp.status_code == 201
        # a token issued before the restart is still valid (keys persisted)
        check = httpx.get(
            f"http://127.0.0.1:{port2}/v3/auth/tokens",
            headers={"X-Auth-Token": admin, "X-Subject-Token": admin},
        )
        assert check.status_code == 200
        names = [
            p["name"]
            for p in httpx.get(
                f"http://127.0.0.1:{port2}/v3/projects", headers={"X-Auth-Token": admin}
            ).json()["projects"]
        ]
        assert "survivor" in names
        # the catalog follows the new port
        catalog = resp.json()["token"]["catalog"]
        identity = next(s for s in catalog if s["type"] == "identity")
        assert all(str(port2) in e["url"] for e in identity["endpoints"])
        status = run("status", "--url", f"http://127.0.0.1:{port2}")
        assert status.returncode == 0 and "running" in status.stdout
    finally:
        out = stop(proc)
    assert password not in out  # not shown again


def test_status_when_down() -> None:
    result = run("status", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "not running" in result.stdout


def test_keys_rotate_policy_list_db_upgrade_reset(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert run("db", "upgrade", "--data-dir", str(data)).returncode == 0
    assert (data / "stratus.sqlite").exists()
    (data / "keys" / "fernet").mkdir(parents=True)
    rotated = run("keys", "rotate", "--data-dir", str(data))
    assert rotated.returncode == 0
    assert sorted(p.name for p in (data / "keys" / "fernet").iterdir()) == ["0", "1", "2"]
    (data / "policy.yaml").write_text(json.dumps({"identity:list_projects": "role:reader"}))
    listed = run("policy", "list", "--data-dir", str(data), "--service", "identity:list_proj")
    assert listed.returncode == 0
    assert "role:reader" in listed.stdout and "override" in listed.stdout
    assert run("reset", "--data-dir", str(data), "--yes").returncode == 0
    assert not data.exists()
