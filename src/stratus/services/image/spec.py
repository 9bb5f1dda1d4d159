"""The image service's entry in the registry: Glance v2 at ``/image``."""

import re

from starlette.types import ASGIApp

from stratus.api.errors import plain_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.services.image import policies  # noqa: F401 - registers the policy defaults
from stratus.services.image.api.metadefs import router as metadefs_router
from stratus.services.image.api.routes import router
from stratus.services.image.service import register_quotas
from stratus.services.image.store import sweep_partials

# Image data routes stream their bodies: no JSON body limit there.
_DATA_PATH = re.compile(r"/v2/images/[^/]+/(file|stage)$")


def _is_data(path: str) -> bool:
    return _DATA_PATH.search(path) is not None


def build(runtime: Runtime) -> ASGIApp:
    register_quotas(runtime)
    return make_service_app(
        runtime=runtime,
        routers=[metadefs_router, router],
        formatter=plain_error,
        body_limit_exempt=_is_data,
        title="stratus image",
    )


async def bootstrap(runtime: Runtime) -> None:
    register_quotas(runtime)
    # Uploads cut short by a crash leave their temporary files: they were never visible.
    await sweep_partials(runtime.settings.data_dir / "images" / "tmp")


SPEC = ServiceSpec(
    service_type="image",
    mount="/image",
    catalog=(CatalogEntry(type="image", name="glance", suffix="/image"),),
    build=build,
    bootstrap=bootstrap,
)
