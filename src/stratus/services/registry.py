"""Which services exist and where their specs live. Specs are imported when a service is
enabled; each service's app is built lazily, on its first request (identity eagerly: every
other service validates tokens through it)."""

import importlib

from stratus.api.service import ServiceSpec

# service type -> module exposing ``SPEC``. Add a line when a service lands.
SERVICE_MODULES: dict[str, str] = {
    "identity": "stratus.services.identity.spec",
    "network": "stratus.services.network.spec",
    "placement": "stratus.services.placement.spec",
    "image": "stratus.services.image.spec",
    "object-store": "stratus.services.object_store.spec",
    "compute": "stratus.services.compute.spec",
    "block-storage": "stratus.services.volume.spec",
}


def enabled_specs(wanted: tuple[str, ...]) -> list[ServiceSpec]:
    specs = []
    for service_type, module in SERVICE_MODULES.items():
        if service_type == "identity" or service_type in wanted:
            specs.append(importlib.import_module(module).SPEC)
    return specs
