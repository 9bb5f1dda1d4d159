"""How the metadata service joins the one process: built with compute, served at
``/metadata`` (a mount of the compute app that this wrapper sends to the metadata app)."""

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from stratus.api.runtime import Runtime
from stratus.services.compute.metadata import config
from stratus.services.compute.metadata.app import MetadataApp
from stratus.services.compute.metadata.service import MetadataService

MOUNT = "/metadata"


def service(runtime: Runtime, network: Any) -> MetadataService:
    cfg = config.load(runtime.settings)
    return MetadataService(
        runtime.db,
        cfg,
        secret=config.shared_secret(cfg, runtime.settings.keys_dir),
        data_dir=runtime.settings.data_dir,
        network=network,
        quota=runtime.quota,
    )


class MetadataMount:
    """Requests that came in under ``/metadata`` go to the metadata app, the rest to compute."""

    def __init__(self, compute: ASGIApp, metadata: MetadataApp) -> None:
        self.compute = compute
        self.metadata = metadata

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root: str = scope.get("root_path", "")
        if root.endswith(MOUNT):
            await self.metadata(scope, receive, send)
        else:
            await self.compute(scope, receive, send)
