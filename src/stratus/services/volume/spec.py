"""How block storage plugs into the cloud: Cinder v3 at ``/volume`` (catalog types
``block-storage`` and ``volumev3``), the configured backends, default type and quotas."""

from typing import Any

from starlette.types import ASGIApp

from stratus.api.errors import compute_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.services.volume import config as volume_config
from stratus.services.volume import (
    policies,  # noqa: F401  (registers defaults)
    quota,
)
from stratus.services.volume.api import (
    attachments,
    backups,
    cgsnapshots,
    consistency_groups,
    group_snapshots,
    group_types,
    groups,
    messages,
    misc,
    qos,
    root,
    snapshots,
    transfers,
    types,
    volumes,
)
from stratus.services.volume.api.common import VolumeServices
from stratus.services.volume.api.versions import MICROVERSION
from stratus.services.volume.attachment import AttachmentService
from stratus.services.volume.backend import Backends
from stratus.services.volume.backup import BackupService
from stratus.services.volume.core import Core
from stratus.services.volume.group import GroupService
from stratus.services.volume.group_snapshot import GroupSnapshotService
from stratus.services.volume.group_type import GroupTypeService
from stratus.services.volume.host import HostService
from stratus.services.volume.images import VolumeImages
from stratus.services.volume.message import MessageService
from stratus.services.volume.qos import QosService
from stratus.services.volume.quota import QuotaService
from stratus.services.volume.snapshot import SnapshotService
from stratus.services.volume.transfer import TransferService
from stratus.services.volume.volume import VolumeService
from stratus.services.volume.volume_type import TypeService

_KEY = "block-storage.services"


def services(runtime: Runtime) -> VolumeServices:
    existing = runtime.clients.get(_KEY)
    if isinstance(existing, VolumeServices):
        return existing
    cfg = volume_config.load(runtime.settings)
    quota.register(runtime.quota, cfg.default_quotas)
    type_service = TypeService(runtime.db, runtime.quota, cfg.default_volume_type)
    core = Core(
        runtime=runtime,
        db=runtime.db,
        cfg=cfg,
        backends=Backends(cfg, runtime.settings.data_dir),
        quota=runtime.quota,
        types=type_service,
    )
    backup_service = BackupService(core)
    if "image" in runtime.settings.services:
        core.extras["image-data"] = VolumeImages(runtime)
    core.extras["volume-backups"] = backup_service
    if "compute" in runtime.settings.services:
        # in-use volumes that grew are announced to compute (nova's volume-extended event)
        from stratus.services.compute.client import ComputeClient

        core.extras["compute"] = ComputeClient(runtime)
    message_service = MessageService(runtime.db)
    core.extras["volume-messages"] = message_service
    group_type_service = GroupTypeService(runtime.db, cfg.default_group_type)
    group_service = GroupService(core, group_type_service)
    core.extras["volume-groups"] = group_service
    built = VolumeServices(
        core=core,
        volumes=VolumeService(core),
        snapshots=SnapshotService(core),
        backups=backup_service,
        attachments=AttachmentService(core),
        transfers=TransferService(core),
        types=type_service,
        qos=QosService(runtime.db),
        quotas=QuotaService(runtime.db, runtime.quota),
        hosts=HostService(core),
        groups=group_service,
        group_types=group_type_service,
        group_snapshots=GroupSnapshotService(core, group_service, message_service),
        messages=message_service,
    )
    runtime.clients[_KEY] = built
    return built


def build(runtime: Runtime) -> ASGIApp:
    built = services(runtime)
    routers = [
        volumes.router,
        snapshots.router,
        backups.router,
        types.router,
        qos.router,
        transfers.router,
        attachments.router,
        groups.router,
        consistency_groups.router,
        cgsnapshots.router,
        group_types.router,
        group_snapshots.router,
        messages.router,
        misc.router,
        root.router,
    ]
    app = make_service_app(
        runtime=runtime,
        routers=routers,
        formatter=compute_error,
        microversion=MICROVERSION,
        title="block storage",
    )
    inner: Any = app
    while hasattr(inner, "app") and not hasattr(inner, "state"):
        inner = inner.app
    inner.state.volume = built
    heads = root.collections(route for router in routers for route in router.routes)
    return root.ProjectlessUrls(app, heads)


async def bootstrap(runtime: Runtime) -> None:
    built = services(runtime)
    await built.types.ensure_default()
    await built.group_types.ensure_cgsnapshot_type()
    await built.quotas.load_default_class()


SPEC = ServiceSpec(
    service_type="block-storage",
    mount="/volume",
    catalog=(
        CatalogEntry(type="block-storage", name="cinder", suffix="/volume/v3/$(project_id)s"),
        CatalogEntry(type="volumev3", name="cinderv3", suffix="/volume/v3/$(project_id)s"),
    ),
    build=build,
    bootstrap=bootstrap,
)
