"""A fresh Stratus for one conformance run: `stratus up` on a free port in a temporary data dir."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import paths

# Keystone's [security_compliance] values Tempest's [identity] user_* options assume, and a
# cheap bcrypt cost so that Tempest's many user creations do not dominate the run.
CONFORMANCE_ENV = {
    "STRATUS_IDENTITY__SECURITY_COMPLIANCE__LOCKOUT_FAILURE_ATTEMPTS": "2",
    "STRATUS_IDENTITY__SECURITY_COMPLIANCE__LOCKOUT_DURATION": "5",
    "STRATUS_IDENTITY__SECURITY_COMPLIANCE__UNIQUE_LAST_PASSWORD_COUNT": "2",
    "STRATUS_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
    # Network quotas as neutron-tempest-plugin's own gate jobs set them (zuul.d, [QUOTAS]):
    # its test classes keep their routers and groups until the class ends.
    # A simulated snapshot takes a second, so that Tempest's "second image while the first
    # is saving" sees the first one in progress whatever the machine's load.
    "STRATUS_COMPUTE__FAKE_SNAPSHOT_SECONDS": "1",
    "STRATUS_NETWORK__DEFAULT_QUOTAS": (
        '{"router": 100, "floatingip": 500, "security_group": 150, "security_group_rule": 1000}'
    ),
}


@dataclass(frozen=True)
class Credentials:
    """The admin account Tempest and Rally log in with."""

    auth_url: str  # ends with /v3
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    region: str = "RegionOne"
    # A disk image the harness serves over HTTP for the import tests (None: not served).
    image_url: str | None = None

    @property
    def root_url(self) -> str:
        return self.auth_url.removesuffix("/").removesuffix("/v3")

    @classmethod
    def from_clouds_yaml(cls, path: Path, cloud: str = "stratus-admin") -> "Credentials":
        data = yaml.safe_load(path.read_text()) or {}
        entry: dict[str, Any] = (data.get("clouds") or {}).get(cloud) or {}
        if not entry:
            raise KeyError(f"cloud {cloud!r} not found in {path}")
        auth = entry.get("auth") or {}
        url = str(auth["auth_url"]).rstrip("/")
        if not url.endswith("/v3"):
            url += "/v3"
        return cls(
            auth_url=url,
            username=auth["username"],
            password=str(auth["password"]),
            project_name=auth.get("project_name", "admin"),
            user_domain_name=auth.get("user_domain_name", "Default"),
            project_domain_name=auth.get("project_domain_name", "Default"),
            region=entry.get("region_name", "RegionOne"),
        )


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status: int = resp.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


class StratusProcess:
    """`stratus up` in the background; ``start()`` returns the admin credentials."""

    def __init__(
        self,
        *,
        port: int | None = None,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        self.port = port or free_port()
        self._tmp = None if data_dir else tempfile.mkdtemp(prefix="stratus-conformance-")
        self.data_dir = data_dir or Path(self._tmp or "")
        self.extra_env = {**CONFORMANCE_ENV, **(env or {})}
        self.keep = keep
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "stratus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> Credentials:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stratus = paths.stratus_bin()
        if not stratus.exists():
            raise RuntimeError(f"{stratus} not found: run `make install` first")
        env = {**os.environ, **self.extra_env}
        cmd = [str(stratus), "up", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        clouds = self.data_dir / "clouds.yaml"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"stratus up exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            if http_status(self.url + "/v3") == 200 and clouds.exists():
                return Credentials.from_clouds_yaml(clouds, "stratus-admin")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"stratus did not answer GET /v3 within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # Our own process group (start_new_session): uvicorn and anything it spawned.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._tmp and not self.keep:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "StratusProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
