"""The shared objects one running cloud hands to every service: settings, database, bus,
policy engine, token validator, and the in-process clients services use to reach each other."""

from dataclasses import dataclass, field
from typing import Any

from stratus.api.auth import CachingValidator
from stratus.api.policy import PolicyEngine
from stratus.bus.base import Bus
from stratus.conf import Settings
from stratus.db import Database
from stratus.quota import QuotaEngine


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bus: Bus
    policy: PolicyEngine
    validator: CachingValidator | None = None
    quota: QuotaEngine = field(default_factory=QuotaEngine)
    # service type -> that service's client object (see services/<type>/client.py)
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service_type: str) -> Any:
        try:
            return self.clients[service_type]
        except KeyError:
            raise LookupError(f"service {service_type!r} is not enabled") from None
