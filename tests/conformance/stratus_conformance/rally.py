"""rally_sanity_cntt (RA1 chapter 8) with rally-openstack against the cloud under test.

Each RA1 service is its own Rally task, as Functest runs them. Rally's state (its database,
``~/.rally/globals``) stays inside the run directory.
"""

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from . import paths, toolenv
from .cloud import Credentials
from .openstack_http import Session
from .report import _git_commit

SERVICES = (
    "authenticate",
    "glance",
    "cinder",
    "heat",
    "keystone",
    "neutron",
    "nova",
    "quotas",
    "swift",
)


def _log(msg: str) -> None:
    print(f"[rally] {msg}", flush=True)


class Rally:
    def __init__(self, base: Path, creds: Credentials) -> None:
        self.bin = toolenv.rally_bin()
        self.base = base
        (base / "home").mkdir(parents=True, exist_ok=True)
        self.conf = base / "rally.conf"
        self.conf.write_text(f"[database]\nconnection = sqlite:///{base / 'rally.sqlite'}\n")
        self.env = dict(os.environ)
        self.env.pop("VIRTUAL_ENV", None)
        self.env.update(
            HOME=str(base / "home"),
            OS_AUTH_URL=creds.auth_url,
            OS_IDENTITY_API_VERSION="3",
            OS_USERNAME=creds.username,
            OS_PASSWORD=creds.password,
            OS_PROJECT_NAME=creds.project_name,
            OS_USER_DOMAIN_NAME=creds.user_domain_name,
            OS_PROJECT_DOMAIN_NAME=creds.project_domain_name,
            OS_REGION_NAME=creds.region,
        )

    def __call__(self, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / "rally"), "--config-file", str(self.conf), *args]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
        if log is not None:
            log.write_text(proc.stdout + proc.stderr)
        return proc

    def last_task(self) -> str | None:
        globals_file = self.base / "home" / ".rally" / "globals"
        if not globals_file.exists():
            return None
        for line in globals_file.read_text().splitlines():
            if line.startswith("RALLY_TASK="):
                return line.split("=", 1)[1].strip()
        return None


def _task_args(creds: Credentials, run_dir: Path) -> dict[str, str]:
    """Names the workloads need: an image, a flavor, a tenant-visible network, the external one."""
    args = {
        "image_name": "",
        "flavor_name": "",
        "net_id": "",
        "ext_net": "",
        "disk_format": "raw",
        "tmpl_dir": str(paths.RALLY_DIR / "templates"),
    }
    image_file = run_dir / "rally-image.raw"
    image_file.write_bytes(b"\0" * 4096)
    args["image_location"] = str(image_file)
    s = Session(creds)
    s.authenticate()
    eps = s.endpoints()
    if "image" in eps:
        base = eps["image"] if eps["image"].endswith("/v2") else eps["image"] + "/v2"
        r = s.call("GET", base + "/images?status=active")
        if r.ok and r.body.get("images"):
            args["image_name"] = r.body["images"][0].get("name", "")
    if "compute" in eps:
        r = s.call("GET", eps["compute"] + "/flavors/detail")
        if r.ok and r.body.get("flavors"):
            fl = sorted(r.body["flavors"], key=lambda f: f.get("ram", 0))
            args["flavor_name"] = fl[0]["name"]
    if "network" in eps:
        base = eps["network"] if eps["network"].endswith("/v2.0") else eps["network"] + "/v2.0"
        r = s.call("GET", base + "/networks")
        if r.ok:
            for net in r.body.get("networks", []):
                if net.get("router:external"):
                    args["ext_net"] = args["ext_net"] or net["name"]
                elif net.get("shared"):
                    args["net_id"] = args["net_id"] or net["id"]
    return args


def _summarise_report(report: dict[str, Any], service: str, detail: str) -> dict[str, Any]:
    workloads = passed = 0
    problems = []
    for task in report.get("tasks", []):
        for sub in task.get("subtasks", []):
            for wl in sub.get("workloads", []):
                workloads += 1
                failed_iters = wl.get("failed_iteration_count", 0)
                ok = bool(wl.get("pass_sla")) and failed_iters == 0
                if wl.get("total_iteration_count", 0) == 0:
                    ok = False
                passed += ok
                if not ok:
                    problems.append(wl.get("name", sub.get("title", "?")))
    return {
        "service": service,
        "workloads": workloads,
        "passed_workloads": passed,
        "passed": workloads > 0 and passed == workloads,
        "detail": detail or ("; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")),
    }


def run_sanity(
    creds: Credentials, run_dir: Path, services: list[str] | None = None
) -> dict[str, Any]:
    base = run_dir / "rally"
    base.mkdir(parents=True, exist_ok=True)
    rally = Rally(base, creds)
    if not (base / "rally.sqlite").exists():
        rally("db", "create", log=base / "db.log")
    rally("env", "create", "--name", "stratus", "--from-sysenv", log=base / "env.log")
    check = rally("env", "check", log=base / "env_check.log")
    _log(f"env check exit {check.returncode}")
    args = json.dumps(_task_args(creds, run_dir))
    tasks = []
    for service in services or SERVICES:
        task_file = paths.RALLY_DIR / f"{service}.yaml"
        _log(f"task {service}")
        started = rally(
            "task",
            "start",
            str(task_file),
            "--task-args",
            args,
            "--tag",
            service,
            log=base / f"{service}.log",
        )
        uuid = rally.last_task()
        report: dict[str, Any] = {}
        detail = ""
        if uuid and started.returncode in (0, 1):
            out = base / f"{service}.json"
            rally("task", "report", uuid, "--json", "--out", str(out))
            if out.exists():
                report = json.loads(out.read_text())
            rally(
                "task",
                "export",
                uuid,
                "--type",
                "junit-xml",
                "--to",
                str(base / f"{service}.junit.xml"),
            )
        if not report:
            lines = [ln for ln in (started.stdout + started.stderr).splitlines() if ln.strip()]
            detail = (lines[-1] if lines else f"rally exit {started.returncode}")[:200]
        summary = _summarise_report(report, service, detail)
        _log(f"{service}: {summary['passed_workloads']}/{summary['workloads']} workloads pass")
        tasks.append(summary)
    verdict = "PASS" if tasks and all(t["passed"] for t in tasks) else "FAIL"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "stratus_commit": _git_commit(),
        "tools": list(toolenv.RALLY_REQUIREMENTS),
        "tasks": tasks,
        "verdict": verdict,
    }
