"""How identity plugs into the cloud: its app, its catalog entry, its bootstrap."""

from starlette.types import ASGIApp

from stratus.api.errors import identity_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec


def build(runtime: Runtime) -> ASGIApp:
    from stratus.api.service import make_service_app
    from stratus.services.identity import policies  # noqa: F401  (registers the defaults)
    from stratus.services.identity.api import (
        auth,
        catalog,
        delegation,
        extras,
        federation,
        limits,
        oauth1,
        projects,
        roles,
        users,
        versions,
    )
    from stratus.services.identity.client import IdentityClient
    from stratus.services.identity.service import IdentityService

    service = IdentityService(runtime.settings, runtime.db)
    runtime.validator = service.validator
    runtime.clients["identity"] = IdentityClient(service)
    app = make_service_app(
        runtime=runtime,
        routers=[
            versions.router,
            auth.router,
            projects.router,
            users.router,
            roles.router,
            catalog.router,
            delegation.router,
            limits.router,
            extras.router,
            oauth1.router,
            federation.router,
        ],
        formatter=identity_error,
        title="stratus-identity",
    )
    inner = app.app  # type: ignore[attr-defined]
    inner.state.identity = service
    return app


async def bootstrap(runtime: Runtime) -> None:
    from stratus.services.identity.bootstrap import bootstrap as run_bootstrap
    from stratus.services.identity.bootstrap import refresh_clouds_yaml
    from stratus.services.registry import enabled_specs

    client = runtime.client("identity")
    first = await run_bootstrap(
        client.service, runtime.settings, enabled_specs(runtime.settings.services)
    )
    if not first:
        refresh_clouds_yaml(runtime.settings)
    runtime.clients["identity.first_start"] = first


SPEC = ServiceSpec(
    service_type="identity",
    mount="/identity",
    catalog=(CatalogEntry(type="identity", name="keystone", suffix="/identity"),),
    build=build,
    bootstrap=bootstrap,
)
