"""The instance usage audit log (nova's os-instance_usage_audit_log): per audit period (a
calendar month, nova's default ``instance_usage_audit_period``), which compute hosts ran the
usage audit. Stratus's hosts do not run nova's periodic usage audit (it emits notifications
nobody consumes here), so every period reports its hosts as not run, honestly."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stratus.kit.errors import BadRequest

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def parse_before(text: str) -> dt.datetime:
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BadRequest(f"Invalid timestamp for date {text}")


def last_completed_month(before: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last whole calendar month ending at or before ``before`` (nova's
    last_completed_audit_period for 'month')."""
    now = before or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    end = dt.datetime(now.year, now.month, 1)
    begin = (
        dt.datetime(end.year - 1, 12, 1)
        if end.month == 1
        else dt.datetime(end.year, end.month - 1, 1)
    )
    return begin, end


def audit_report(
    hosts: set[str],
    ran: Mapping[str, Mapping[str, Any]],
    before: dt.datetime | None = None,
) -> dict[str, Any]:
    """The report of one period: ``ran`` maps the hosts that ran the audit to their task log
    (``state`` RUNNING/DONE, ``instances``, ``errors``, ``message``)."""
    begin, end = last_completed_month(before)
    done = sum(1 for r in ran.values() if r["state"] == "DONE")
    running = sum(1 for r in ran.values() if r["state"] == "RUNNING")
    errors = sum(int(r["errors"]) for r in ran.values())
    not_run = sorted(hosts - set(ran))
    if done == len(hosts):
        status = f"ALL hosts done. {errors} errors."
    else:
        status = f"{done} of {len(hosts)} hosts done. {errors} errors."
    return {
        "hosts_not_run": not_run,
        "log": {h: dict(r) for h, r in ran.items()},
        "num_hosts": len(hosts),
        "num_hosts_done": done,
        "num_hosts_not_run": len(not_run),
        "num_hosts_running": running,
        "overall_status": status,
        "period_beginning": str(begin),
        "period_ending": str(end),
        "total_errors": errors,
        "total_instances": sum(int(r["instances"]) for r in ran.values()),
    }
