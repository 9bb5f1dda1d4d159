"""How the network service plugs into the cloud: ``/network``, catalog type ``network``."""

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp

from stratus.api.errors import network_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.quota.engine import QuotaEngine, QuotaResource
from stratus.services.network import config as netconfig
from stratus.services.network import models as m
from stratus.services.network import policies
from stratus.services.network import repository as repo
from stratus.services.network.admin import AdminService
from stratus.services.network.autotopo import AutoTopologyService
from stratus.services.network.bindings import BindingService
from stratus.services.network.core import QUOTA_DEFAULTS
from stratus.services.network.default_rules import DefaultRuleService
from stratus.services.network.drivers.base import MechanismDriver
from stratus.services.network.drivers.fake import FakeMechanismDriver
from stratus.services.network.flavors import FlavorService
from stratus.services.network.forwarding import PortForwardingService
from stratus.services.network.gate import GatedDatabase
from stratus.services.network.l3 import L3Service
from stratus.services.network.pools import PoolService
from stratus.services.network.qos import QosService
from stratus.services.network.ranges import SegmentRangeService
from stratus.services.network.secgroups import SecurityGroupService
from stratus.services.network.service import NetworkService
from stratus.services.network.trunks import TrunkService

HEARTBEAT_INTERVAL = 30.0
# Transactions of this service holding pooled connections at once on PostgreSQL (the pool
# holds 30; a nested reader may take a second one).
DB_SLOTS = 12


@dataclass
class NetworkServices:
    """Everything the handlers and the client reach: one object per bounded context."""

    l2: NetworkService
    sg: SecurityGroupService
    l3: L3Service
    admin: AdminService
    trunks: TrunkService
    qos: QosService
    pools: PoolService
    auto: AutoTopologyService
    ranges: SegmentRangeService
    forwarding: PortForwardingService
    bindings: BindingService
    flavors: FlavorService
    default_rules: DefaultRuleService
    driver: MechanismDriver


_COUNTED = {
    "network": m.Network,
    "subnet": m.Subnet,
    "port": m.Port,
    "router": m.Router,
    "floatingip": m.FloatingIP,
    "security_group": m.SecurityGroup,
    "security_group_rule": m.SecurityGroupRule,
    "rbac_policy": m.RBACPolicy,
}


def _counter(model: type[Any]) -> Any:
    async def count(session: AsyncSession, project_id: str) -> int:
        return await repo.count(session, model, repo.owned(model, project_id))

    return count


async def _zero(_session: AsyncSession, _project_id: str) -> int:
    return 0


def quota_engine(runtime: Runtime, defaults: dict[str, int]) -> QuotaEngine:
    engine = getattr(runtime, "quota", None)
    if engine is None:
        engine = QuotaEngine()
        runtime.quota = engine  # type: ignore[attr-defined]
    for name, default in QUOTA_DEFAULTS.items():
        counter = _counter(_COUNTED[name]) if name in _COUNTED else _zero
        engine.register(QuotaResource(f"network.{name}", defaults.get(name, default), counter))
    return engine  # type: ignore[no-any-return]


def services(runtime: Runtime) -> NetworkServices:
    """The service objects of this runtime, built once and shared by app, client, bootstrap."""
    existing = runtime.clients.get("network.services")
    if isinstance(existing, NetworkServices):
        return existing
    policies.load()
    cfg = netconfig.load(runtime.settings)
    driver = FakeMechanismDriver(runtime.bus)
    quota = quota_engine(runtime, cfg.default_quotas)
    db = GatedDatabase(runtime.db, slots=DB_SLOTS)
    common: dict[str, Any] = {"db": db, "config": cfg, "driver": driver, "quota": quota}
    l2 = NetworkService(**common)
    l3 = L3Service(l2=l2, **common)
    built = NetworkServices(
        l2=l2,
        sg=SecurityGroupService(**common),
        l3=l3,
        admin=AdminService(**common),
        trunks=TrunkService(l2=l2, **common),
        qos=QosService(**common),
        pools=PoolService(**common),
        auto=AutoTopologyService(l2=l2, l3=l3, **common),
        ranges=SegmentRangeService(**common),
        forwarding=PortForwardingService(l2=l2, **common),
        bindings=BindingService(**common),
        flavors=FlavorService(**common),
        default_rules=DefaultRuleService(**common),
        driver=driver,
    )
    runtime.clients["network.services"] = built
    from stratus.services.network.client import NetworkClient

    runtime.clients["network"] = NetworkClient(runtime, built)
    return built


def build(runtime: Runtime) -> ASGIApp:
    from stratus.services.network.api.routes import router

    built = services(runtime)
    app = make_service_app(
        runtime=runtime, routers=[router], formatter=network_error, title="network"
    )
    inner: Any = app
    while hasattr(inner, "app") and not hasattr(inner, "state"):
        inner = inner.app
    inner.state.network = built
    return app


def _agents(cfg: netconfig.NetworkConfig, driver: MechanismDriver) -> list[dict[str, Any]]:
    """What the driver runs here, as heartbeat rows (re-read at every beat: live counters)."""
    specs = driver.agents(cfg.host, cfg.availability_zones[0], tuple(cfg.physical_networks))
    return [dataclasses.asdict(a) for a in specs]


_heartbeats: set[asyncio.Task[None]] = set()


async def bootstrap(runtime: Runtime) -> None:
    built = services(runtime)
    await built.driver.start()
    await built.ranges.ensure_defaults()
    await built.admin.heartbeat(_agents(built.l2.config, built.driver))

    async def beat() -> None:
        # The driver's agents report like real ones: alive while this process runs, with
        # what they serve at the time of the beat.
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            try:
                await built.admin.heartbeat(_agents(built.l2.config, built.driver))
            except Exception:
                continue

    task = asyncio.get_running_loop().create_task(beat())
    _heartbeats.add(task)
    task.add_done_callback(_heartbeats.discard)


SPEC = ServiceSpec(
    service_type="network",
    mount="/network",
    catalog=(CatalogEntry(type="network", name="neutron", suffix="/network"),),
    build=build,
    bootstrap=bootstrap,
)
