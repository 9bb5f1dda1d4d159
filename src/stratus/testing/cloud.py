"""A whole cloud on a free port in a background thread, with a fresh data dir."""

import asyncio
import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.conf import load_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningCloud:
    url: str
    data_dir: Path
    admin_password: str
    demo_password: str
    cloud: Any = field(repr=False, default=None)

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    @property
    def clouds_yaml(self) -> Path:
        return self.data_dir / "clouds.yaml"

    def connection(self, name: str = "stratus-admin") -> Any:
        """An openstacksdk Connection for one of the clouds in the generated clouds.yaml."""
        import openstack.config
        from openstack.connection import Connection

        config = openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)])
        return Connection(config=config.get_one(cloud=name))

    def env(self, name: str = "stratus-admin") -> dict[str, str]:
        """Environment for running the ``openstack`` CLI against this cloud."""
        env = dict(os.environ)
        env.update(OS_CLIENT_CONFIG_FILE=str(self.clouds_yaml), OS_CLOUD=name)
        for key in list(env):
            if key.startswith("OS_") and key not in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD"):
                del env[key]
        return env


@contextlib.contextmanager
def running_cloud(data_dir: Path | None = None, **overrides: Any) -> Iterator[RunningCloud]:
    """Start a cloud (uvicorn in a thread) and stop it on exit."""
    import uvicorn

    from stratus.cmd.wiring import Cloud
    from stratus.services.identity.bootstrap import read_passwords

    tmp = None
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="stratus-test-")
        data_dir = Path(tmp.name)
    port = overrides.pop("port", None) or free_port()
    overrides.setdefault("identity", {"password_hash_rounds": 4})
    settings = load_settings(data_dir=data_dir, port=port, host="127.0.0.1", **overrides)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        async def main() -> None:
            cloud = Cloud(settings)
            await cloud.start()
            holder["cloud"] = cloud
            config = uvicorn.Config(
                cloud.asgi,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="off",
                access_log=False,
                loop="asyncio",
            )
            server = uvicorn.Server(config)
            holder["server"] = server
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn has no event
                await asyncio.sleep(0.01)
            ready.set()
            await task
            await cloud.stop()

        try:
            asyncio.run(main())
        except BaseException as err:  # surfaced to the caller below
            holder["error"] = err
            ready.set()

    thread = threading.Thread(target=run, name="stratus-cloud", daemon=True)
    thread.start()
    ready.wait(60)
    if "error" in holder:
        raise RuntimeError("the cloud failed to start") from holder["error"]
    passwords = read_passwords(data_dir)
    running = RunningCloud(
        url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        admin_password=passwords["admin"],
        demo_password=passwords["demo"],
        cloud=holder.get("cloud"),
    )
    try:
        yield running
    finally:
        server = holder.get("server")
        if server is not None:
            server.should_exit = True
        thread.join(15)
        if tmp is not None:
            tmp.cleanup()
