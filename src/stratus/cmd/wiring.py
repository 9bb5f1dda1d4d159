"""Assembles one cloud: settings → database → bus → policy → services → one ASGI app."""

import asyncio
import gc
import logging

from sqlalchemy.ext.asyncio import AsyncSession
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


class Dispatcher:
    """Routes by path prefix to each service's app. ``/compute`` and ``/compute/...`` both reach
    the compute app (the bare prefix answers as its root, where version documents live)."""

    def __init__(self, routes: list[tuple[str, ASGIApp]], fallback: ASGIApp) -> None:
        # Longest prefix first, so "/identity" never shadows a longer mount.
        self.routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return
        path: str = scope["path"]
        for prefix, app in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                child = dict(scope)
                child["root_path"] = scope.get("root_path", "") + prefix
                if path == prefix:
                    child["path"] = prefix + "/"
                    child["raw_path"] = child["path"].encode()
                await app(child, receive, send)
                return
        await self.fallback(scope, receive, send)


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

    def _assemble(self) -> "Dispatcher":
        routes: list[tuple[str, ASGIApp]] = []
        for spec in self.specs:
            app = self.apps[spec.service_type]
            for mount in (spec.mount, *spec.extra_mounts):
                routes.append((mount, app))
        # Keystone also answers at the root: "/" (version list) and "/v3".
        return Dispatcher(routes, fallback=self.apps["identity"])

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.policy.load()
        await upgrade(self.db)
        # identity first: it creates the catalog and the validator every service uses.
        await self.apps["identity"].get()
        self.runtime.quota.limit_source = self._unified_limit
        for spec in self.specs:
            if spec.bootstrap is not None:
                await spec.bootstrap(self.runtime)

    def settle_heap(self) -> None:
        """For a long-running server, once started: what start-up built (the services,
        the hosts, their caches) lives as long as the process, so move it out of the
        collector's way (``gc.freeze``). Full collections otherwise rescan it every time:
        90-320 ms each at 10,000 simulated hosts. Not for tests, which start many clouds."""
        gc.collect()
        gc.freeze()

    async def _unified_limit(
        self, session: AsyncSession, project_id: str, resource: str
    ) -> int | None:
        """Quota resources are named ``<service type>.<resource>``; a Keystone limit (or
        registered limit) for that service and resource applies when one exists."""
        service_type, _, name = resource.partition(".")
        identity = self.runtime.client("identity")
        value: int | None = await identity.project_limit(
            project_id, service_type, name, session=session
        )
        return value

    async def stop(self) -> None:
        await self.bus.close()
        await self.db.dispose()
