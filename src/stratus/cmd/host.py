"""`stratus host drain NAME`: host maintenance through the public compute API — disable the
host's nova-compute (no new placements), then move every server off it: live migration for
running and paused servers, cold migration (confirmed) for stopped ones; report what could
not move and why."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

host_app = typer.Typer(help="Compute host maintenance.")

LIVE = ("ACTIVE", "PAUSED")
COLD = ("SHUTOFF",)


@dataclass
class DrainReport:
    host: str
    moved: dict[str, str] = field(default_factory=dict)  # server id -> new host
    failed: dict[str, str] = field(default_factory=dict)  # server id -> why


class DrainError(Exception):
    pass


def _call(conn: Any, method: str, path: str, version: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {"microversion": version, "raise_exc": False}
    if body is not None:
        kwargs["json"] = body
    return conn.compute.request(path, method, **kwargs)


def _error(resp: Any) -> str:
    try:
        body = resp.json()
        (inner,) = body.values()
        return str(inner.get("message", resp.text))
    except Exception:
        return str(resp.text)


def drain(
    conn: Any,
    host: str,
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
    timeout: float = 600.0,
) -> DrainReport:
    """Disable ``host`` and move its servers away, one at a time (so each placement sees
    the last: server group rules hold). ``on_progress(server_id, done, total)``."""
    services = _call(conn, "GET", f"/os-services?binary=nova-compute&host={host}", "2.53")
    found = services.json().get("services", []) if services.status_code == 200 else []
    if not found:
        raise DrainError(f"no nova-compute service on host {host}")
    service_id = found[0]["id"]
    disabled = _call(
        conn,
        "PUT",
        f"/os-services/{service_id}",
        "2.53",
        {"status": "disabled", "disabled_reason": "stratus host drain"},
    )
    if disabled.status_code != 200:
        raise DrainError(f"could not disable {host}: {_error(disabled)}")
    listed = _call(conn, "GET", f"/servers/detail?all_tenants=1&host={host}", "2.88")
    servers = listed.json().get("servers", [])
    report = DrainReport(host)
    for done, server in enumerate(servers):
        sid = server["id"]
        status = server["status"]
        if status in LIVE:
            body: Any = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
        elif status in COLD:
            body = {"migrate": None}
        else:
            report.failed[sid] = f"cannot move a server in status {status}"
            if on_progress:
                on_progress(sid, done + 1, len(servers))
            continue
        resp = _call(conn, "POST", f"/servers/{sid}/action", "2.88", body)
        if resp.status_code != 202:
            report.failed[sid] = _error(resp)
        else:
            where = _settle(conn, sid, host, cold=status in COLD, timeout=timeout)
            if where is None or where == host:
                report.failed[sid] = _why(conn, sid)
            else:
                report.moved[sid] = where
        if on_progress:
            on_progress(sid, done + 1, len(servers))
    return report


def _settle(conn: Any, sid: str, host: str, *, cold: bool, timeout: float) -> str | None:
    """Wait for the move to end (confirming a cold one); the server's host then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = _call(conn, "GET", f"/servers/{sid}", "2.88").json()["server"]
        if server["OS-EXT-STS:task_state"] is None:
            if cold and server["status"] == "VERIFY_RESIZE":
                _call(conn, "POST", f"/servers/{sid}/action", "2.88", {"confirmResize": None})
                continue
            if server["status"] not in ("MIGRATING", "RESIZE"):
                return str(server["OS-EXT-SRV-ATTR:host"])
        time.sleep(0.05)
    return None


def _why(conn: Any, sid: str) -> str:
    actions = _call(conn, "GET", f"/servers/{sid}/os-instance-actions", "2.88").json()
    latest = (actions.get("instanceActions") or [{}])[0]
    request_id = latest.get("request_id")
    if request_id:
        detail = _call(conn, "GET", f"/servers/{sid}/os-instance-actions/{request_id}", "2.88")
        for event in detail.json().get("instanceAction", {}).get("events", []):
            if event.get("result") == "Error":
                return str(event.get("details") or event.get("traceback") or "move failed")
    return "the move did not complete"


@host_app.command("drain")
def drain_command(
    name: Annotated[str, typer.Argument(help="The compute host to empty.")],
    cloud: Annotated[
        str | None, typer.Option(help="clouds.yaml entry (default: OS_CLOUD).")
    ] = None,
) -> None:
    """Disable a compute host and move every server off it."""
    import openstack
    from rich.progress import Progress

    conn = openstack.connect(cloud=cloud) if cloud else openstack.connect()
    with Progress() as progress:
        task = progress.add_task(f"draining {name}", total=None)

        def step(sid: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{name}: {sid}")

        try:
            report = drain(conn, name, on_progress=step)
        except DrainError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
    for sid, where in report.moved.items():
        typer.echo(f"moved {sid} -> {where}")
    for sid, why in report.failed.items():
        typer.echo(f"NOT moved {sid}: {why}")
    typer.echo(f"{name}: {len(report.moved)} moved, {len(report.failed)} could not move")
    if report.failed:
        raise typer.Exit(2)
