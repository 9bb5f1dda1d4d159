"""Test outcomes: from subunit records to one result per requested test, JUnit and summaries.

Tempest reports a failing ``setUpClass`` once, as ``setUpClass (module.Class)``, and never
reports that class's tests; a class skipped as a whole shows up the same way. So each
requested id gets the outcome of its class in that case, and a requested id that was never
reported at all counts as failed: a test that did not run did not pass.
"""

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .selection import base_id, class_of

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_STATUS = {
    "success": PASSED,
    "xfail": PASSED,
    "fail": FAILED,
    "uxsuccess": FAILED,
    "skip": SKIPPED,
}
# assertRaises mismatch: the call succeeded where Tempest expected an error status.
_NO_RAISE = re.compile(
    r"^testtools\.matchers\._impl\.MismatchError: <bound method (\S+) of <.*?>> returned "
)
_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((.+)\)$")

# Which Stratus service a test measures, by its id prefix (longest prefix wins).
_SERVICE_PREFIXES = {
    "tempest.api.identity": "identity",
    "tempest.api.compute": "compute",
    "tempest.api.network": "network",
    "tempest.api.volume": "block-storage",
    "tempest.api.image": "image",
    "tempest.api.object_storage": "object-store",
    "tempest.serial_tests.api.identity": "identity",
    "tempest.serial_tests.api.compute": "compute",
    "tempest.serial_tests.api.network": "network",
    "tempest.serial_tests.api.volume": "block-storage",
    "tempest.serial_tests.api.image": "image",
    "tempest.scenario": "scenario",
    "tempest.serial_tests.scenario": "scenario",
    "keystone_tempest_plugin": "identity",
    "neutron_tempest_plugin": "network",
    "cinder_tempest_plugin": "block-storage",
    "glance_tempest_plugin": "image",
    "heat_tempest_plugin": "orchestration",
    "barbican_tempest_plugin": "key-manager",
}


def service_of(test_id: str) -> str:
    best = ""
    for prefix in _SERVICE_PREFIXES:
        if (test_id == prefix or test_id.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return _SERVICE_PREFIXES.get(best, "other")


@dataclass
class Outcome:
    id: str
    status: str
    detail: str = ""
    duration: float | None = None
    location: str = ""


_DOTTED_EXC = re.compile(r"^([A-Za-z_]\w*\.)+[A-Z]\w*(: |$)")


def error_line(traceback: str) -> str:
    """The exception line of a traceback (plus Tempest's ``Details:`` line), shortened.

    A dotted exception name (``tempest.lib.exceptions.X: ...``) wins over later unindented
    lines, which Tempest fills with context such as ``Catalog: [...]``.
    """
    lines = [ln.rstrip() for ln in traceback.strip().splitlines()]

    def pick(i: int) -> str:
        text = _NO_RAISE.sub(r"expected an error, but \1 succeeded and returned ", lines[i])
        if i + 1 < len(lines) and lines[i + 1].startswith("Details:"):
            text += " " + lines[i + 1]
        return text[:400]

    for i in range(len(lines) - 1, -1, -1):
        if _DOTTED_EXC.match(lines[i]):
            return pick(i)
    for i in range(len(lines) - 1, -1, -1):
        ln = lines[i]
        if (
            ln
            and not ln.startswith((" ", "\t", "Details:", "Traceback"))
            and (":" in ln or re.match(r"^[\w.]+$", ln))
        ):
            return pick(i)
    return (lines[-1] if lines else "")[:400]


_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)$')


def test_location(traceback: str) -> str:
    """``file.py:LINE in func: statement`` of the innermost frame of the test's own code."""
    lines = traceback.splitlines()
    best = ""
    for i, ln in enumerate(lines):
        m = _FRAME.match(ln)
        if not m:
            continue
        path, lineno, func = m.groups()
        if any(
            part in path for part in ("/testtools/", "/tempest/lib/", "/unittest/", "/services/")
        ):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) else ""
        best = f"{path.rpartition('site-packages/')[2]}:{lineno} in {func}: {code}"
    return best[:300]


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


@dataclass
class RunResult:
    outcomes: dict[str, Outcome]  # base id → outcome, for every requested test
    fixture_failures: dict[str, str]  # "tearDownClass (mod.Class)" etc. → error line

    def status_counts(self, ids: list[str] | None = None) -> Counter[str]:
        keys = [base_id(i) for i in ids] if ids is not None else list(self.outcomes)
        return Counter(self.outcomes[k].status for k in keys if k in self.outcomes)

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.status == FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "outcomes": [asdict(o) for o in self.outcomes.values()],
            "fixture_failures": self.fixture_failures,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunResult":
        outcomes = {base_id(o["id"]): Outcome(**o) for o in data.get("outcomes", [])}
        return cls(outcomes, dict(data.get("fixture_failures", {})))


def collate(requested: list[str], records: list[dict[str, Any]]) -> RunResult:
    reported: dict[str, Outcome] = {}
    class_fail: dict[str, tuple[str, str]] = {}
    class_skip: dict[str, str] = {}
    fixture_failures: dict[str, str] = {}
    for rec in records:
        status = _STATUS.get(rec.get("status", ""))
        if status is None:  # "exists", "inprogress": not an outcome
            continue
        rid = rec["id"]
        m = _FIXTURE.match(rid)
        detail = (
            rec.get("reason", "").strip()
            if status == SKIPPED
            else error_line(rec.get("traceback", "") or rec.get("reason", ""))
        )
        if m:
            kind, klass = m.groups()
            if status == FAILED:
                fixture_failures[rid] = detail
                if kind == "setUpClass":
                    class_fail[klass] = (detail, test_location(rec.get("traceback", "")))
            elif status == SKIPPED and kind == "setUpClass":
                class_skip[klass] = detail
            continue
        where = test_location(rec.get("traceback", "")) if status == FAILED else ""
        reported[base_id(rid)] = Outcome(rid, status, detail, rec.get("duration"), where)
    outcomes: dict[str, Outcome] = {}
    for tid in requested:
        b = base_id(tid)
        if b in reported:
            outcomes[b] = reported[b]
        elif class_of(tid) in class_fail:
            detail, where = class_fail[class_of(tid)]
            outcomes[b] = Outcome(tid, FAILED, "setUpClass failed: " + detail, None, where)
        elif class_of(tid) in class_skip:
            outcomes[b] = Outcome(tid, SKIPPED, class_skip[class_of(tid)])
        else:
            outcomes[b] = Outcome(tid, FAILED, "never reported (the run stopped or crashed)")
    return RunResult(outcomes, fixture_failures)


def junit_xml(result: RunResult, suite: str) -> str:
    counts = result.status_counts()
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name={quoteattr(suite)} tests="{len(result.outcomes)}" '
        f'failures="{counts[FAILED]}" errors="0" skipped="{counts[SKIPPED]}">',
    ]
    for o in sorted(result.outcomes.values(), key=lambda o: o.id):
        b = base_id(o.id)
        klass, _, name = b.rpartition(".")
        name = o.id[len(klass) + 1 :] if o.id.startswith(klass) else name
        t = f' time="{o.duration:.3f}"' if o.duration is not None else ""
        head = f"<testcase classname={quoteattr(klass)} name={quoteattr(name)}{t}"
        if o.status == PASSED:
            parts.append(head + "/>")
        elif o.status == SKIPPED:
            parts.append(f"{head}><skipped message={quoteattr(o.detail)}/></testcase>")
        else:
            parts.append(
                f"{head}><failure message={quoteattr(o.detail)}>{escape(o.detail)}</failure>"
                "</testcase>"
            )
    for name, detail in sorted(result.fixture_failures.items()):
        parts.append(
            f'<testcase classname="fixture" name={quoteattr(name)}>'
            f"<error message={quoteattr(detail)}>{escape(detail)}</error></testcase>"
        )
    parts.append("</testsuite>")
    return "\n".join(parts) + "\n"


def service_table(result: RunResult) -> list[tuple[str, int, int, int, int]]:
    """(service, passed, failed, skipped, total) rows, sorted by service."""
    per: dict[str, Counter[str]] = {}
    for key, o in result.outcomes.items():
        per.setdefault(service_of(key), Counter())[o.status] += 1
    rows = []
    for svc in sorted(per):
        c = per[svc]
        rows.append((svc, c[PASSED], c[FAILED], c[SKIPPED], sum(c.values())))
    return rows


def summary_text(result: RunResult, title: str) -> str:
    lines = [title, "", f"{'service':<16} {'passed':>7} {'failed':>7} {'skipped':>8} {'total':>7}"]
    for svc, p, f, s, t in service_table(result):
        lines.append(f"{svc:<16} {p:>7} {f:>7} {s:>8} {t:>7}")
    if result.fixture_failures:
        lines.append("")
        lines.append(f"class fixture failures: {len(result.fixture_failures)}")
        for name, detail in sorted(result.fixture_failures.items()):
            lines.append(f"  {name}: {detail}")
    failed = sorted(result.failed(), key=lambda o: o.id)
    if failed:
        lines.append("")
        lines.append("failed:")
        for o in failed:
            lines.append(f"  {base_id(o.id)}: {o.detail}")
    c = result.status_counts()
    lines.append("")
    # The plain closing line CI tools read.
    lines.append(f"{c[PASSED]} passed, {c[FAILED]} failed, {c[SKIPPED]} skipped")
    return "\n".join(lines) + "\n"
