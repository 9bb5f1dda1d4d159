"""How compute plugs into the cloud: ``/compute``, catalog type ``compute`` (nova), the
simulated hosts and their in-process compute agents, the conductor on the bus."""

import asyncio
from typing import Any

from starlette.types import ASGIApp

from stratus.api.errors import compute_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.scheduler import Scheduler
from stratus.scheduler.claims import HostClaims
from stratus.services.compute import (
    assisted_snapshot,
    policies,  # noqa: F401  (registers defaults)
    quota,
)
from stratus.services.compute import config as compute_config
from stratus.services.compute.action import SNAPSHOT_TOPIC, ActionService
from stratus.services.compute.aggregate import AggregateService
from stratus.services.compute.api import actions as action_api
from stratus.services.compute.api import (
    aggregates,
    assisted_volume_snapshots,
    diagnostics,
    flavors,
    groups,
    hosts,
    keypairs,
    quotas,
    root,
    server_password,
    servers,
    usage,
    volume_attachments,  # block storage (issue 8)
    volumes_proxy,  # block storage (issue 8)
)
from stratus.services.compute.api import migrations as migration_api
from stratus.services.compute.api import proxies as proxy_api
from stratus.services.compute.api.common import ComputeServices
from stratus.services.compute.api.versions import MICROVERSION
from stratus.services.compute.drivers.fake import FakeComputeDriver
from stratus.services.compute.flavor import FlavorService
from stratus.services.compute.group import ServerGroupService
from stratus.services.compute.host import HostService
from stratus.services.compute.hostops import MOVES_TOPIC
from stratus.services.compute.keypair import KeyPairService
from stratus.services.compute.metadata import mount as metadata_mount
from stratus.services.compute.metadata.app import MetadataApp
from stratus.services.compute.migration import MoveService
from stratus.services.compute.quota import QuotaService
from stratus.services.compute.server import COMPUTE_TOPIC, CONDUCTOR_TOPIC, ServerService
from stratus.services.compute.usage import UsageService
from stratus.services.compute.volume_attachment import service_for as volume_attachment_service
from stratus.services.image.client import ImageClient

HEARTBEAT_INTERVAL = 10.0
_KEY = "compute.services"


def _placement(runtime: Runtime) -> Any:
    client = runtime.clients.get("placement")
    if client is None and "placement" in runtime.settings.services:
        # Placement's own spec builds its client on bootstrap; build it now if we come first.
        from stratus.services.placement import spec as placement_spec

        placement_spec._service(runtime)
        client = runtime.clients.get("placement")
    return client


def _network(runtime: Runtime) -> Any:
    client = runtime.clients.get("network")
    if client is None and "network" in runtime.settings.services:
        from stratus.services.network import spec as network_spec

        network_spec.services(runtime)
        client = runtime.clients.get("network")
    return client


def services(runtime: Runtime) -> ComputeServices:
    existing = runtime.clients.get(_KEY)
    if isinstance(existing, ComputeServices):
        return existing
    cfg = compute_config.load(runtime.settings)
    quota.register(runtime.quota, cfg.default_quotas)
    driver = FakeComputeDriver(cfg)
    placement = _placement(runtime)
    host_service = HostService(runtime.db, cfg, driver, placement)
    flavor_service = FlavorService(runtime.db)
    keypair_service = KeyPairService(runtime.db, runtime.quota)
    scheduler = (
        Scheduler(
            placement,
            max_candidates=cfg.max_placement_results,
            claims=HostClaims(runtime.db),
            pci_aliases=cfg.pci_aliases,
        )
        if placement
        else None
    )
    built = ComputeServices(
        flavors=flavor_service,
        keypairs=keypair_service,
        quotas=QuotaService(runtime.db, runtime.quota),
        hosts=host_service,
        servers=ServerService(
            db=runtime.db,
            bus=runtime.bus,
            config=cfg,
            driver=driver,
            hosts=host_service,
            flavors=flavor_service,
            keypairs=keypair_service,
            quota=runtime.quota,
            scheduler=scheduler,
            network=_network(runtime),
            images=ImageClient(runtime.db),
        ),
        groups=ServerGroupService(runtime.db, runtime.quota),
        aggregates=AggregateService(runtime.db, cfg, placement),
        usage=UsageService(runtime.db),
        metadata=metadata_mount.service(runtime, _network(runtime)),
    )
    # The compute host writes a config drive before it spawns a guest that asked for one.
    built.servers.config_drives = built.metadata
    if built.metadata is not None and scheduler is not None and scheduler.claims is not None:
        built.metadata.topology = scheduler.claims.topology
    # Server actions and moves: snapshots go to the image service through its client.
    built.actions = ActionService(built.servers, ImageClient(runtime.db, runtime=runtime))
    built.moves = MoveService(built.servers, placement)
    runtime.clients[_KEY] = built
    return built


def build(runtime: Runtime) -> ASGIApp:
    built = services(runtime)
    app = make_service_app(
        runtime=runtime,
        routers=[
            flavors.router,
            keypairs.router,
            quotas.router,
            hosts.router,
            diagnostics.router,
            servers.router,
            server_password.router,
            groups.router,
            aggregates.router,
            usage.router,
            action_api.router,
            migration_api.router,
            *proxy_api.ROUTERS,
            volume_attachments.router,  # block storage (issue 8)
            volumes_proxy.router,  # block storage (issue 8)
            assisted_volume_snapshots.router,
            root.router,
        ],
        formatter=compute_error,
        microversion=MICROVERSION,
        title="compute",
    )
    inner: Any = app
    while hasattr(inner, "app") and not hasattr(inner, "state"):
        inner = inner.app
    inner.state.compute = built
    inner.state.volume_attachments = volume_attachment_service(runtime)  # block storage
    inner.state.assisted_snapshots = assisted_snapshot.service_for(runtime)
    assert built.metadata is not None
    return metadata_mount.MetadataMount(root.LegacyV2(app), MetadataApp(built.metadata))


_tasks: set[asyncio.Task[None]] = set()


async def bootstrap(runtime: Runtime) -> None:
    built = services(runtime)
    await built.flavors.ensure_defaults()
    await built.quotas.load_default_class()
    await built.hosts.register()
    await runtime.bus.consume(CONDUCTOR_TOPIC, built.servers.handle_conductor)
    await runtime.bus.consume(MOVES_TOPIC, built.moves.handle)
    await runtime.bus.consume(SNAPSHOT_TOPIC, built.actions.handle)
    await runtime.bus.consume(
        assisted_snapshot.TOPIC, assisted_snapshot.service_for(runtime).handle
    )
    for res in built.servers.driver.hosts():
        # One in-process compute agent per simulated host, addressed by host name.
        await runtime.bus.consume(f"{COMPUTE_TOPIC}.{res.hostname}", built.servers.handle_compute)

    async def beat() -> None:
        while True:
            # nova's report_interval (10 s) against service_down_time (60 s): a shorter
            # down time (tests, small labs) beats proportionally more often.
            await asyncio.sleep(min(HEARTBEAT_INTERVAL, built.hosts.config.service_down_time / 4))
            try:
                await built.hosts.heartbeat()
                # a host back after an evacuation destroys the guests it lost
                await built.moves.clean_evacuated()
            except Exception:
                continue

    task = asyncio.get_running_loop().create_task(beat())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


SPEC = ServiceSpec(
    service_type="compute",
    mount="/compute",
    catalog=(CatalogEntry(type="compute", name="nova", suffix="/compute/v2.1"),),
    build=build,
    bootstrap=bootstrap,
    # nova-api-metadata's tree, under its own prefix of the one port
    extra_mounts=(metadata_mount.MOUNT,),
)
