"""Driving Tempest: a private workspace, discovery of the installed tests, one run, its records.

Nothing is written to ``~/.tempest``: the workspace registry lives in the run directory.
"""

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import toolenv
from .results import read_records
from .selection import base_id

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
        """Run ``ids``, one ``tempest run`` per top-level package (tempest, each plugin).

        Batches keep one suite from stopping another: heat-tempest-plugin's gabbi suites, once
        skipped, end their stestr worker, and every test queued behind them on that worker
        was never run. Each batch's records are appended to ``results.jsonl``.
        """
        (self.run_dir / "selected.txt").write_text("\n".join(ids) + "\n")
        batches: dict[str, list[str]] = {}
        for t in ids:
            batches.setdefault(t.split(".", 1)[0], []).append(t)
        console = self.run_dir / "console.log"
        records = self.run_dir / "results.jsonl"
        records.write_text("")
        (self.run_dir / "results.subunit").write_bytes(b"")
        deadline = time.monotonic() + timeout if timeout else None
        rc, timed_out = 0, False
        with console.open("w") as out:
            for package, batch in batches.items():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    timed_out = True
                    break
                out.write(f"=== {package}: {len(batch)} tests\n")
                out.flush()
                before = self._stestr_runs()
                brc, btimed = self._run_batch(package, batch, concurrency, remaining, out)
                rc = rc or brc
                timed_out = timed_out or btimed
                if self._stestr_runs() > before:  # else "stestr last" is the previous batch
                    self._append_records(records)
                if btimed:
                    break
        log = self.ws / "logs" / "tempest.log"
        if log.exists():
            with contextlib.suppress(OSError):
                (self.run_dir / "tempest.log").symlink_to(log)
        return RunOutput(rc, timed_out, records, console)

    def _run_batch(
        self, package: str, batch: list[str], concurrency: int, timeout: float | None, out: IO[str]
    ) -> tuple[int, bool]:
        # Exact-id regexes rather than --load-list: heat-tempest-plugin's gabbi tests get a new
        # idempotent id at every discovery, so only the id without its [attrs] is stable.
        load = self.run_dir / f"include-{package}.txt"
        load.write_text("".join(f"^{re.escape(base_id(t))}(\\[|$)\n" for t in batch))
        proc = subprocess.Popen(
            [
                str(self.bin / "tempest"),
                "run",
                "--config-file",
                str(self.conf),
                "--include-list",
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
            return proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            return 1, True

    def _stestr_runs(self) -> int:
        repo = self.ws / ".stestr"
        return sum(1 for p in repo.iterdir() if p.name.isdigit()) if repo.exists() else 0

    def _append_records(self, records: Path) -> None:
        subunit = self.run_dir / "last.subunit"
        with subunit.open("wb") as out:
            subprocess.run(
                [str(self.bin / "stestr"), "last", "--subunit"],
                cwd=self.ws,
                env=self._env(),
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
        dumper = Path(__file__).with_name("subunit_dump.py")
        with subunit.open("rb") as inp, records.open("a") as out:
            subprocess.run(
                [str(self.bin / "python"), str(dumper)],
                stdin=inp,
                stdout=out,
                stderr=subprocess.DEVNULL,
                env=self._env(),
            )
        with subunit.open("rb") as inp, (self.run_dir / "results.subunit").open("ab") as out:
            out.write(inp.read())
        subunit.unlink()

    def records(self, output: RunOutput) -> list[dict[str, object]]:
        return read_records(output.records_path)
