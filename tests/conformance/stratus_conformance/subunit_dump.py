"""Subunit v2 (stdin) → one JSON object per test (stdout). Runs inside the Tempest venv.

Kept stdlib + python-subunit/testtools only (both are Tempest dependencies), so the harness
itself needs neither.
"""

import json
import sys

import subunit  # type: ignore[import-not-found]
import testtools  # type: ignore[import-not-found]

_TEXT_DETAILS = ("reason", "traceback", "pythonlogging", "stderr")


def _text(details: dict, name: str) -> str:  # type: ignore[type-arg]
    content = details.get(name)
    if content is None:
        return ""
    try:
        return b"".join(content.iter_bytes()).decode("utf-8", "replace")
    except Exception:
        return ""


def _emit(test: dict) -> None:  # type: ignore[type-arg]
    start, stop = (test.get("timestamps") or (None, None))[:2]
    duration = (stop - start).total_seconds() if start and stop else None
    details = test.get("details") or {}
    record = {
        "id": test["id"],
        "status": test["status"],
        "reason": _text(details, "reason"),
        "traceback": _text(details, "traceback"),
        "duration": duration,
    }
    sys.stdout.write(json.dumps(record) + "\n")


def main() -> int:
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    result = testtools.StreamToDict(_emit)
    result.startTestRun()
    try:
        stream.run(result)
    finally:
        result.stopTestRun()
    return 0


if __name__ == "__main__":
    sys.exit(main())
