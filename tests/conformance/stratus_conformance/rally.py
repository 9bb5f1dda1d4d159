"""rally_sanity_cntt (RA1 chapter 8) with rally-openstack against the cloud under test.

Each RA1 service is its own Rally task, as Functest runs them. Rally's state (its database,
``~/.rally/globals``) stays inside the run directory.
"""

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from . import paths, toolenv
from .cloud import Credentials
from .discovery import discover
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


def _task_args(creds: Credentials, run_dir: Path) -> dict[str, str]:
    """What Functest prepares before rally_sanity: an image, a flavor, a shared tenant network,
    the external network, and the ``heat_stack_owner`` role (each only where its service is)."""
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
    # discovery creates two images and two flavors when there are none, and the external net
    facts = discover(creds)
    s = Session(creds)
    s.authenticate()
    eps = s.endpoints()
    compute = facts.options.get("compute", {})
    if "image" in eps and "image_ref" in compute:
        base = eps["image"] if eps["image"].endswith("/v2") else eps["image"] + "/v2"
        r = s.call("GET", f"{base}/images/{compute['image_ref']}")
        args["image_name"] = r.body.get("name", "") if r.ok else ""
    if "compute" in eps and "flavor_ref" in compute:
        r = s.call("GET", f"{eps['compute']}/flavors/{compute['flavor_ref']}")
        args["flavor_name"] = r.body["flavor"]["name"] if r.ok else ""
    if "network" in eps:
        base = eps["network"] if eps["network"].endswith("/v2.0") else eps["network"] + "/v2.0"
        args["ext_net"] = facts.options.get("network", {}).get("floating_network_name", "")
        made = s.call(
            "POST", base + "/networks", body={"network": {"name": "rally-shared", "shared": True}}
        )
        if made.ok:
            net_id = made.body["network"]["id"]
            s.call(
                "POST",
                base + "/subnets",
                body={"subnet": {"network_id": net_id, "ip_version": 4, "cidr": "10.20.0.0/24"}},
            )
            args["net_id"] = net_id
    roles = s.call("GET", creds.auth_url + "/roles?name=heat_stack_owner")
    if roles.ok and not roles.body.get("roles"):
        s.call("POST", creds.auth_url + "/roles", body={"role": {"name": "heat_stack_owner"}})
    _log(f"task args: {json.dumps({k: v for k, v in args.items() if k != 'tmpl_dir'})}")
    return args


def _invalid_reason(text: str) -> str:
    """Rally's first validation reason ("Reason(s):" block), or its last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.startswith("Reason(s):") and i + 1 < len(lines):
            return lines[i + 1][:200]
    return (lines[-1] if lines else "")[:200]


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
                    errors = [it.get("error") for it in wl.get("data") or [] if it.get("error")]
                    why = f": {errors[0][0]}: {str(errors[0][1])[:120]}" if errors else ""
                    name = next(iter(wl.get("scenario") or {}), sub.get("title", "?"))
                    problems.append(name + why)
    return {
        "service": service,
        "workloads": workloads,
        "passed_workloads": passed,
        "passed": workloads > 0 and passed == workloads,
        "detail": detail or ("; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")),
    }


def _workload_count(task_file: Path) -> int:
    return sum(1 for ln in task_file.read_text().splitlines() if ln.startswith("  - title:"))


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
        found = re.search(r"Task ([0-9a-f]{8}-[0-9a-f-]{27})", started.stdout + started.stderr)
        uuid = found.group(1) if found else None
        report: dict[str, Any] = {}
        if uuid:
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
        summary = _summarise_report(report, service, "")
        if summary["workloads"] == 0:  # nothing ran: rally rejected the task
            reason = _invalid_reason(started.stdout + started.stderr)
            summary = _summarise_report(report, service, "task invalid: " + reason)
        summary["workloads"] = max(summary["workloads"], _workload_count(task_file))
        summary["passed"] = summary["passed_workloads"] == summary["workloads"] > 0
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
