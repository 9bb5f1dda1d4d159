"""The ``stratus`` command: up, status, reset, keys rotate, policy list, db upgrade."""

import asyncio
import contextlib
import json
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from stratus.cmd.host import host_app
from stratus.conf import Settings, load_settings

app = typer.Typer(
    help="Stratus: the OpenStack cloud of Anuket RA1, in one process.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Fernet token keys.")
policy_app = typer.Typer(help="Policy rules.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(keys_app, name="keys")
app.add_typer(policy_app, name="policy")
app.add_typer(db_app, name="db")
app.add_typer(host_app, name="host")
console = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="State directory.")]
DbUrl = Annotated[
    str | None, typer.Option("--db-url", help="SQLAlchemy URL (postgresql+asyncpg://...).")
]


def _settings(data_dir: Path | None = None, db_url: str | None = None, **kw: Any) -> Settings:
    return load_settings(data_dir=data_dir, db_url=db_url, **kw)


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
    db_url: DbUrl = None,
    services: Annotated[str | None, typer.Option(help="Comma-separated service types.")] = None,
    fake_hosts: Annotated[
        int | None,
        typer.Option("--fake-hosts", min=0, help="Simulated compute hosts (compute.fake_hosts)."),
    ] = None,
) -> None:
    """Start every enabled service in this process, on one port."""
    started = time.monotonic()
    kw: dict[str, Any] = {"host": host, "port": port}
    if services:
        kw["services"] = tuple(s.strip() for s in services.split(",") if s.strip())
    settings = _settings(data_dir, db_url, **kw)
    if fake_hosts is not None:
        # Only the count: the rest of the stratus.yaml compute section (host shape) stays.
        settings.compute = {**settings.compute, "fake_hosts": fake_hosts}
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        asyncio.run(_serve(settings, started))
    else:
        uvloop.run(_serve(settings, started))


async def _serve(settings: Settings, started: float) -> None:
    import uvicorn

    from stratus.cmd.wiring import Cloud

    cloud = Cloud(settings)
    await cloud.start()
    cloud.settle_heap()
    config = uvicorn.Config(
        cloud.asgi,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
    )
    server = uvicorn.Server(config)
    first = bool(cloud.runtime.clients.get("identity.first_start"))

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        clouds = settings.data_dir / "clouds.yaml"
        console.print(
            f"[bold green]Stratus is up[/] at {settings.base_url} "
            f"({elapsed:.2f}s, services: {', '.join(s.service_type for s in cloud.specs)})"
        )
        if first:
            from stratus.services.identity.bootstrap import read_passwords

            pw = read_passwords(settings.data_dir)
            console.print(
                f"  admin password: {pw.get('admin')}   demo password: {pw.get('demo')}"
                "  (shown once; kept in clouds.yaml)"
            )
        console.print(f"  export OS_CLIENT_CONFIG_FILE={clouds} OS_CLOUD=stratus")
        console.print("  (use OS_CLOUD=stratus-admin for the admin account)")

    task = asyncio.create_task(announce())
    try:
        await server.serve()
    finally:
        task.cancel()
        await cloud.stop()


@app.command()
def status(
    url: Annotated[str | None, typer.Option(help="Base URL of a running Stratus.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Tell whether a cloud answers, and which services its catalog lists."""
    settings = _settings(data_dir)
    base = (url or settings.base_url).rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/v3", timeout=3) as resp:
            version = json.load(resp)["version"]["id"]
    except (urllib.error.URLError, OSError) as err:
        console.print(f"[red]not running[/] at {base}: {err}")
        raise typer.Exit(1) from None
    console.print(f"[green]running[/] at {base} (identity {version})")
    console.print(f"data dir: {settings.data_dir}")


@app.command()
def reset(
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Wipe the data directory (database, keys, blobs, clouds.yaml)."""
    settings = _settings(data_dir)
    if not settings.data_dir.exists():
        console.print(f"nothing to reset at {settings.data_dir}")
        return
    if not yes and not typer.confirm(f"Delete everything under {settings.data_dir}?"):
        raise typer.Exit(1)
    shutil.rmtree(settings.data_dir)
    console.print(f"wiped {settings.data_dir}")


@keys_app.command("rotate")
def keys_rotate(data_dir: DataDir = None) -> None:
    """Rotate the Fernet keys: staged becomes primary, a new key is staged."""
    from stratus.services.identity.keys import KeyRepository

    settings = _settings(data_dir)
    repo = KeyRepository(settings.keys_dir / "fernet")
    primary = repo.rotate()
    console.print(f"rotated: key {primary} is now primary (restart or wait for reload)")


@policy_app.command("list")
def policy_list(
    data_dir: DataDir = None,
    service: Annotated[str | None, typer.Option(help="Only rules with this prefix.")] = None,
) -> None:
    """List every policy rule with its effective check string."""
    import importlib

    from stratus.api.policy import PolicyEngine, registered
    from stratus.services.registry import SERVICE_MODULES

    settings = _settings(data_dir)
    for module in SERVICE_MODULES.values():
        package = module.rsplit(".", 1)[0]
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"{package}.policies")
    engine = PolicyEngine(overrides_file=settings.data_dir / "policy.yaml")
    engine.load()
    table = Table("rule", "check string", "source")
    for name, rule in sorted(registered().items()):
        if service and not name.startswith(service):
            continue
        effective = engine.check_str(name) or ""
        source = "override" if effective != rule.check_str else "default"
        table.add_row(name, effective, source)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, db_url: DbUrl = None) -> None:
    """Bring the database schema to the newest revision."""
    from stratus.db.migrate import upgrade_sync

    settings = _settings(data_dir, db_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_sync(settings.database_url)
    console.print(f"schema up to date ({settings.database_url.split('@')[-1]})")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
