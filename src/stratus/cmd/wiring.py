"""Assembles one cloud: settings → database → bus → policy → services → one ASGI app."""

import asyncio
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from stratus.api.policy import PolicyEngine
from stratus.api.runtime import Runtime
from stratus.api.service import ServiceSpec
from stratus.bus.inproc import InProcBus
from stratus.conf import Settings
from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.services.registry import enabled_specs

log = logging.getLogger(__name__)


class LazyApp:
    """Builds a service's app on its first request (localstack's lazy loading)."""

    def __init__(self, spec: ServiceSpec, runtime: Runtime) -> None:
        self.spec = spec
        self.runtime = runtime
        self._app: ASGIApp | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> ASGIApp:
        if self._app is None:
            async with self._lock:
                if self._app is None:
                    self._app = self.spec.build(self.runtime)
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = await self.get()
        await app(scope, receive, send)


class Cloud:
    """One running cloud: what ``stratus up`` serves and the test fixture runs in-process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.bus = InProcBus()
        self.policy = PolicyEngine(overrides_file=settings.data_dir / "policy.yaml")
        self.runtime = Runtime(settings=settings, db=self.db, bus=self.bus, policy=self.policy)
        self.specs = enabled_specs(settings.services)
        self.apps = {spec.service_type: LazyApp(spec, self.runtime) for spec in self.specs}
        self.asgi = self._assemble()
        self.first_start = False

    def _assemble(self) -> Starlette:
        routes: list[Any] = []
        identity = self.apps["identity"]
        for spec in self.specs:
            app = self.apps[spec.service_type]
            for mount in (spec.mount, *spec.extra_mounts):
                routes.append(Mount(mount, app=app))
        # Keystone also answers at the root: "/" (version list) and "/v3".
        routes.append(Mount("", app=identity))
        return Starlette(routes=routes, lifespan=None)

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.policy.load()
        await upgrade(self.db)
        # identity first: it creates the catalog and the validator every service uses.
        await self.apps["identity"].get()
        for spec in self.specs:
            if spec.bootstrap is not None:
                await spec.bootstrap(self.runtime)

    async def stop(self) -> None:
        await self.bus.close()
        await self.db.dispose()
