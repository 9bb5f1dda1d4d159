"""The routers of nova's proxy and deprecated APIs, mounted before the 501 catch-all."""

from fastapi import APIRouter

from stratus.services.compute.api import (
    audit_log,
    consoles,
    extensions,
    floating_ips,
    images,
    networks,
    os_hosts,
    security_groups,
)

ROUTERS: list[APIRouter] = [
    security_groups.router,
    floating_ips.router,
    networks.router,
    images.router,
    extensions.router,
    audit_log.router,
    os_hosts.router,
    consoles.router,
]
