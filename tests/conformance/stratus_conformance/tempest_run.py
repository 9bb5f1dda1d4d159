"""Driving Tempest: a private workspace, discovery of the installed tests, one run, its records.

Nothing is written to ``~/.tempest``: the workspace registry lives in the run directory.
"""

import contextlib
import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import toolenv
from .results import read_records

_TEST_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+(\[.*\])?$")


@dataclass
class RunOutput:
    returncode: int
    timed_out: bool
    records_path: Path
    console: Path


class Workspace:
    def __init__(self, run_dir: Path, conf_text: str, bin_dir: Path | None = None) -> None:
        self.run_dir = run_dir
        self.bin = bin_dir or toolenv.tempest_bin()
        confdir = run_dir / "conf"
        confdir.mkdir(parents=True, exist_ok=True)
        (confdir / "tempest.conf").write_text(conf_text)
        self.ws = run_dir / "ws"
        subprocess.run(
            [
                str(self.bin / "tempest"),
                "init",
                "--config-dir",
                str(confdir),
                "--workspace-path",
                str(run_dir / "workspace.yaml"),
                "--name",
                run_dir.name,
                str(self.ws),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.conf = self.ws / "etc" / "tempest.conf"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TEMPEST_CONFIG_DIR"] = str(self.conf.parent)
        env["TEMPEST_CONFIG"] = self.conf.name
        # the tools must not pick up our project venv
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = f"{self.bin}:{env.get('PATH', '')}"
        return env

    def list_tests(self) -> list[str]:
        """Every test id the installed Tempest + plugins offer (this also validates the conf)."""
        proc = subprocess.run(
            [str(self.bin / "tempest"), "run", "--config-file", str(self.conf), "--list-tests"],
            cwd=self.ws,
            env=self._env(),
            capture_output=True,
            text=True,
        )
        ids = [ln.strip() for ln in proc.stdout.splitlines() if _TEST_ID.match(ln.strip())]
        (self.run_dir / "available.txt").write_text("\n".join(ids) + "\n")
        if not ids or "Failed to import test module" in proc.stdout + proc.stderr:
            err = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise RuntimeError(
                f"Tempest test discovery failed (often a bad tempest.conf value):\n{err}"
            )
        return ids

    def run(self, ids: list[str], *, concurrency: int, timeout: float | None) -> RunOutput:
        load = self.run_dir / "selected.txt"
        load.write_text("\n".join(ids) + "\n")
        console = self.run_dir / "console.log"
        timed_out = False
        with console.open("w") as out:
            proc = subprocess.Popen(
                [
                    str(self.bin / "tempest"),
                    "run",
                    "--config-file",
                    str(self.conf),
                    "--load-list",
                    str(load),
                    "--concurrency",
                    str(concurrency),
                ],
                cwd=self.ws,
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    rc = proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    rc = proc.wait()
        records = self.run_dir / "results.jsonl"
        subunit = self.run_dir / "results.subunit"
        with subunit.open("wb") as out:
            subprocess.run(
                [str(self.bin / "stestr"), "last", "--subunit"],
                cwd=self.ws,
                env=self._env(),
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
        dumper = Path(__file__).with_name("subunit_dump.py")
        with subunit.open("rb") as inp, records.open("w") as out:
            subprocess.run(
                [str(self.bin / "python"), str(dumper)],
                stdin=inp,
                stdout=out,
                stderr=subprocess.DEVNULL,
                env=self._env(),
            )
        log = self.ws / "logs" / "tempest.log"
        if log.exists():
            with contextlib.suppress(OSError):
                (self.run_dir / "tempest.log").symlink_to(log)
        return RunOutput(rc, timed_out, records, console)

    def records(self, output: RunOutput) -> list[dict[str, object]]:
        return read_records(output.records_path)
