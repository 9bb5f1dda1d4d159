#!/usr/bin/env python3
"""Conformance runner: Tempest lists, the CI ratchet, the full run + docs, Rally.

  runner.py run --list api_identity [--list ...]   fresh Stratus, run the lists, summarise
  runner.py ci                                     the ratchet: every id in passing.txt must pass
  runner.py all                                    every list and RA1 case; regenerate the docs
  runner.py ratchet RUN_DIR [--prune]              add a run's passing tests to passing.txt
  runner.py lists                                  regenerate the per-service lists
  runner.py docs                                   regenerate docs/conformance.md
  runner.py rally                                  rally_sanity_cntt against a fresh Stratus

Against an existing cloud instead of a fresh one: ``--clouds-yaml FILE [--cloud NAME]``.
Outputs go to ``.cache/conformance/runs/<stamp>-<name>/`` (``latest`` links to the newest):
tempest.conf, facts.txt, selected.txt, console.log, junit.xml, summary.txt, results.json.
Exit codes: 0 all passed, 1 a test failed, 3 the cloud or the tools could not be set up.
"""

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stratus_conformance import image_server, paths, report, toolenv
from stratus_conformance.cloud import Credentials, StratusProcess
from stratus_conformance.discovery import discover
from stratus_conformance.results import (
    FAILED,
    PASSED,
    SKIPPED,
    Outcome,
    RunResult,
    collate,
    junit_xml,
    service_of,
    summary_text,
)
from stratus_conformance.selection import (
    TestList,
    base_id,
    find_list,
    load_lists,
    read_lines,
    resolve,
    shard,
)
from stratus_conformance.tempest_conf import build_conf, render
from stratus_conformance.tempest_run import Workspace

# Beyond this many ids the CI ratchet runs a deterministic, daily-rotating shard (see docs).
CI_MAX_TESTS = int(os.environ.get("STRATUS_CONFORMANCE_CI_MAX", "1500"))
CI_BUDGET = float(os.environ.get("STRATUS_CONFORMANCE_CI_BUDGET", "900"))


def log(msg: str) -> None:
    print(f"[conformance] {msg}", flush=True)


class SetupError(Exception):
    """The cloud or the tools could not be brought up: exit 3, no test verdict."""


def new_run_dir(name: str, out: str | None) -> Path:
    if out:
        run_dir = Path(out).resolve()
        run_dir.mkdir(parents=True, exist_ok=True)
        return run_dir
    runs = paths.cache_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = runs / f"{stamp}-{name}"
    run_dir.mkdir()
    latest = runs / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_dir.name)
    return run_dir


@contextmanager
def cloud_for(args: argparse.Namespace, run_dir: Path) -> Iterator[Credentials]:
    """The cloud under test: an existing one (--clouds-yaml) or a fresh `stratus up`."""
    if args.clouds_yaml:
        yield Credentials.from_clouds_yaml(Path(args.clouds_yaml), args.cloud)
        return
    data_dir = run_dir / "stratus-data"
    with image_server.serving() as image_url:
        # web-download may fetch from the harness's image server (its port opened to imports)
        port = urlsplit(image_url).port
        env = {"STRATUS_IMAGE__IMPORT_FILTERING__ALLOWED_PORTS": f"80,443,{port}"}
        stratus = StratusProcess(
            port=args.port or None, data_dir=data_dir, env={**env, **dict(args.stratus_env or [])}
        )
        log(f"starting stratus on port {stratus.port} (data dir {data_dir})")
        t0 = time.monotonic()
        try:
            creds = stratus.start()
        except RuntimeError as exc:
            raise SetupError(str(exc)) from exc
        log(f"stratus answered GET /v3 after {time.monotonic() - t0:.1f}s")
        try:
            yield replace(creds, image_url=image_url)
        finally:
            stratus.stop()
            log(f"stratus stopped (log: {stratus.log_path})")


def execute(
    args: argparse.Namespace,
    lists: list[TestList],
    run_dir: Path,
    *,
    explicit_ids: list[str] | None = None,
    timeout: float | None = None,
) -> tuple[RunResult, dict[str, list[str]], list[str]]:
    """Bring up the cloud, configure and run Tempest on the union of ``lists``.

    Returns the result, each list's resolved ids, and the requested ids Tempest lacks.
    """
    try:
        bin_dir = toolenv.tempest_bin()
    except (RuntimeError, OSError) as exc:
        raise SetupError(f"could not install Tempest: {exc}") from exc
    with cloud_for(args, run_dir) as creds:
        try:
            facts = discover(creds)
        except (RuntimeError, OSError) as exc:
            raise SetupError(f"cloud not usable: {exc}") from exc
        (run_dir / "facts.txt").write_text("\n".join(facts.notes) + "\n")
        for note in facts.notes:
            if note.startswith(("[service_available]", "WARNING", "probe", "could not")):
                log(note)
        conf_text = render(build_conf(facts))
        (run_dir / "tempest.conf").write_text(conf_text)
        ws = Workspace(run_dir, conf_text, bin_dir)
        try:
            available = ws.list_tests()
        except RuntimeError as exc:
            raise SetupError(str(exc)) from exc
        per_list: dict[str, list[str]] = {}
        missing: list[str] = []
        union: dict[str, str] = {}
        for tl in lists:
            sel = resolve(tl, available)
            per_list[tl.name] = sel.ids
            missing.extend(sel.missing)
            for t in sel.ids:
                union.setdefault(base_id(t), t)
        if explicit_ids is not None:
            union = {base_id(t): t for t in explicit_ids if base_id(t) in union}
        ids = list(union.values())
        if missing:
            log(f"{len(missing)} listed ids are not in the installed Tempest (see missing.txt)")
            (run_dir / "missing.txt").write_text("\n".join(missing) + "\n")
        if not ids:
            return RunResult({}, {}), per_list, missing
        # heat-tempest-plugin's gabbi suites report no per-test skip when Heat is absent (the
        # suite skips once and the rest is never reported), so the harness records the skip.
        preskipped = [t for t in ids if t.startswith("heat_tempest_plugin.")]
        if facts.available.get("heat"):
            preskipped = []
        to_run = [t for t in ids if t not in set(preskipped)]
        log(
            f"running {len(to_run)} tests, concurrency {args.concurrency}; "
            f"console: {run_dir}/console.log"
        )
        t0 = time.monotonic()
        out = ws.run(to_run, concurrency=args.concurrency, timeout=timeout)
        log(f"tempest finished in {time.monotonic() - t0:.0f}s (exit {out.returncode})")
        result = collate(to_run, ws.records(out))
        for t in preskipped:
            result.outcomes[base_id(t)] = Outcome(
                t, SKIPPED, "Heat is not available (no orchestration endpoint in the catalog)"
            )
        if out.timed_out:
            for o in result.outcomes.values():
                if o.status == FAILED and o.detail.startswith("never reported"):
                    o.detail = f"not run: the {timeout:.0f}s budget ran out"
    return result, per_list, missing


def write_outputs(run_dir: Path, result: RunResult, title: str) -> str:
    (run_dir / "junit.xml").write_text(junit_xml(result, title))
    (run_dir / "results.json").write_text(json.dumps(result.to_json(), indent=1))
    text = summary_text(result, title)
    (run_dir / "summary.txt").write_text(text)
    return text


def cmd_run(args: argparse.Namespace) -> int:
    lists = [find_list(name) for name in args.list]
    run_dir = new_run_dir("-".join(t.name for t in lists)[:60], args.out)
    try:
        result, _per, _missing = execute(args, lists, run_dir, timeout=args.timeout)
    except SetupError as exc:
        log(f"SETUP FAILED: {exc}")
        return 3
    if not result.outcomes:
        log("nothing selected")
        return 3
    print(write_outputs(run_dir, result, " + ".join(t.name for t in lists)), end="")
    log(f"results: {run_dir}")
    return 1 if result.failed() or result.fixture_failures else 0


def cmd_ci(args: argparse.Namespace) -> int:
    passing = read_lines(Path(args.passing))
    if not passing:
        print(f"conformance ratchet: {args.passing} lists no test yet; nothing to check.")
        return 0
    ids = passing
    note = ""
    if len(passing) > CI_MAX_TESTS:
        count = math.ceil(len(passing) / CI_MAX_TESTS)
        index = dt.date.today().toordinal() % count
        ids = shard(passing, index, count)
        note = f" (shard {index + 1}/{count} of {len(passing)}, rotating daily)"
    log(f"ratchet: {len(ids)} tests from {args.passing}{note}, budget {args.budget:.0f}s")
    run_dir = new_run_dir("ci", args.out)
    ratchet = TestList(name="passing", ids=ids)
    try:
        result, _per, missing = execute(args, [ratchet], run_dir, timeout=args.budget)
    except SetupError as exc:
        log(f"SETUP FAILED: {exc}")
        return 3
    text = write_outputs(run_dir, result, "conformance ratchet (passing.txt)")
    print(text, end="")
    regressions = [o for o in result.outcomes.values() if o.status != PASSED]
    if missing:
        print(f"ratchet: {len(missing)} ids in passing.txt are not in the installed Tempest:")
        for m in missing:
            print(f"  {m}")
    if regressions or missing:
        print(
            f"RATCHET FAILED: {len(regressions) + len(missing)} of {len(ids)} tests no longer pass."
        )
        for o in sorted(regressions, key=lambda o: o.id):
            print(f"  {o.status.upper()} {base_id(o.id)}: {o.detail}")
        log(f"results: {run_dir}")
        return 1
    print(f"ratchet ok: all {len(ids)} tests in passing.txt still pass.")
    return 0


def cmd_all(args: argparse.Namespace) -> int:
    lists = load_lists()
    if args.only:
        lists = [t for t in lists if t.name in set(args.only)]
    run_dir = new_run_dir("all", args.out)
    try:
        result, per_list, _missing = execute(args, lists, run_dir, timeout=args.timeout)
    except SetupError as exc:
        log(f"SETUP FAILED: {exc}")
        return 3
    print(write_outputs(run_dir, result, "all conformance lists"), end="")
    facts_file = run_dir / "facts.txt"
    facts = facts_file.read_text().splitlines() if facts_file.exists() else []
    summary = report.summarise(result, lists, per_list, toolenv.TEMPEST_REQUIREMENTS, facts)
    (run_dir / "lists.json").write_text(json.dumps(summary, indent=1))
    if not args.no_docs:
        paths.RESULTS.mkdir(parents=True, exist_ok=True)
        (paths.RESULTS / "tempest.json").write_text(json.dumps(summary, indent=1) + "\n")
        report.write_docs()
        log(f"wrote {paths.DOCS}")
    known = {base_id(t) for t in read_lines(paths.PASSING)}
    new = sorted(
        base_id(o.id)
        for o in result.outcomes.values()
        if o.status == PASSED and base_id(o.id) not in known
    )
    if new:
        log(f"{len(new)} tests pass that passing.txt lacks: `{sys.argv[0]} ratchet {run_dir}`")
    lost = [t for t in known if t in result.outcomes and result.outcomes[t].status != PASSED]
    if lost:
        log(f"{len(lost)} tests of passing.txt did not pass in this run (regressions)")
    return 0


def cmd_ratchet(args: argparse.Namespace) -> int:
    data = json.loads((Path(args.run_dir) / "results.json").read_text())
    result = RunResult.from_json(data)
    passed = {base_id(o.id) for o in result.outcomes.values() if o.status == PASSED}
    known = {base_id(t) for t in read_lines(paths.PASSING)}
    ran = set(result.outcomes)
    if args.prune:
        # drop listed tests that ran and did not pass; keep those this run did not cover
        keep = passed | (known - ran)
        for t in sorted((known & ran) - passed):
            log(f"dropping (did not pass): {t}")
    else:
        keep = passed | known
    header = (
        "# The conformance ratchet: every Tempest test id below passed against Stratus and must\n"
        "# keep passing (`make conformance-ci`). Add with `tests/conformance/runner.py ratchet\n"
        "# RUN_DIR`; remove a line only with a reason in the commit message.\n"
    )
    paths.PASSING.write_text(header + "".join(f"{t}\n" for t in sorted(keep)))
    log(f"passing.txt: {len(keep)} tests ({len(keep - known)} new)")
    return 0


def cmd_failures(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir or paths.cache_dir() / "runs" / "latest")
    result = RunResult.from_json(json.loads((run_dir / "results.json").read_text()))
    failed = sorted(result.failed(), key=lambda o: o.id)
    if args.service:
        failed = [o for o in failed if service_of(base_id(o.id)) in args.service]
    c = result.status_counts()
    lines = [
        f"# {len(failed)} failing tests of {len(result.outcomes)} "
        f"({c[PASSED]} passed, {c[SKIPPED]} skipped); run {run_dir.resolve().name}",
        "# test id / where (test source) / error",
        "",
    ]
    for o in failed:
        lines += [base_id(o.id), f"    at: {o.location or '?'}", f"    error: {o.detail}", ""]
    for name, detail in sorted(result.fixture_failures.items()):
        if name.startswith("tearDownClass"):
            lines += [name, f"    error: {detail}", ""]
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text)
        log(f"wrote {args.out} ({len(failed)} failing)")
    else:
        print(text)
    return 0


def cmd_lists(args: argparse.Namespace) -> int:
    run_dir = new_run_dir("lists", None)
    conf = render({"identity": {"uri_v3": "http://127.0.0.1:1/v3"}})
    available = Workspace(run_dir, conf).list_tests()
    written = report.write_service_lists(available)
    for name, count in written.items():
        log(f"{name}: {count} tests")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    report.write_docs()
    log(f"wrote {paths.DOCS}")
    return 0


def cmd_rally(args: argparse.Namespace) -> int:
    from stratus_conformance import rally

    run_dir = new_run_dir("rally", args.out)
    try:
        with cloud_for(args, run_dir) as creds:
            summary = rally.run_sanity(creds, run_dir, services=args.service)
    except SetupError as exc:
        log(f"SETUP FAILED: {exc}")
        return 3
    if not args.no_docs:
        paths.RESULTS.mkdir(parents=True, exist_ok=True)
        (paths.RESULTS / "rally.json").write_text(json.dumps(summary, indent=1) + "\n")
        report.write_docs()
    ok = all(t["passed"] for t in summary["tasks"])
    return 0 if ok else 1


def _env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected KEY=VALUE")
    return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)

    def cloud_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--clouds-yaml", help="test an existing cloud instead of a fresh Stratus")
        p.add_argument("--cloud", default="stratus-admin", help="admin cloud in --clouds-yaml")
        p.add_argument(
            "--stratus-env",
            type=_env_pair,
            action="append",
            metavar="KEY=VALUE",
            help="extra environment for the fresh Stratus",
        )
        p.add_argument("--port", type=int, default=0, help="port for the fresh Stratus")
        p.add_argument("--out", help="results directory (default: a new dir under .cache)")
        p.add_argument("--concurrency", type=int, default=2)

    p = sub.add_parser("run", help="run named lists")
    p.add_argument("--list", action="append", required=True, help="list name or .txt path")
    p.add_argument("--timeout", type=float, default=None)
    cloud_opts(p)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("ci", help="the ratchet")
    p.add_argument("--passing", default=str(paths.PASSING))
    p.add_argument("--budget", type=float, default=CI_BUDGET, help="seconds for the Tempest run")
    cloud_opts(p)
    p.set_defaults(fn=cmd_ci)

    p = sub.add_parser("all", help="every list and RA1 case, then the docs")
    p.add_argument("--only", action="append", help="restrict to these list names")
    p.add_argument("--no-docs", action="store_true")
    p.add_argument("--timeout", type=float, default=None)
    cloud_opts(p)
    p.set_defaults(fn=cmd_all)

    p = sub.add_parser("ratchet", help="add a run's passing tests to passing.txt")
    p.add_argument("run_dir")
    p.add_argument("--prune", action="store_true", help="also drop listed tests that did not pass")
    p.set_defaults(fn=cmd_ratchet)

    p = sub.add_parser("failures", help="failing tests of a run, with where and why")
    p.add_argument("run_dir", nargs="?", help="default: the latest run")
    p.add_argument("--out", help="write to this file")
    p.add_argument("--service", action="append", help="only these services (e.g. identity)")
    p.set_defaults(fn=cmd_failures)

    p = sub.add_parser("lists", help="regenerate per-service lists from the installed Tempest")
    p.set_defaults(fn=cmd_lists)

    p = sub.add_parser("docs", help="regenerate docs/conformance.md from tests/conformance/results")
    p.set_defaults(fn=cmd_docs)

    p = sub.add_parser("rally", help="rally_sanity_cntt")
    p.add_argument("--service", action="append", help="only these rally_sanity services")
    p.add_argument("--no-docs", action="store_true")
    cloud_opts(p)
    p.set_defaults(fn=cmd_rally)

    args = parser.parse_args(argv)
    rc: int = args.fn(args)
    return rc


if __name__ == "__main__":
    sys.exit(main())
