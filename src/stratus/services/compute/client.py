"""What other services may ask of compute in-process: nova's ``os-server-external-events``,
as block storage sends them (``volume-extended`` after an attached volume grew)."""

from collections.abc import Sequence
from typing import Any

from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound
from stratus.services.compute.action import ExternalEvent

_KEY = "compute.services"  # where compute's spec keeps its built services


class ComputeClient:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def external_events(
        self, events: Sequence[tuple[str, str, str | None]]
    ) -> list[ExternalEvent]:
        """(name, server uuid, tag) events, delivered as nova's API delivers them; each
        comes back with its code (200, or 404 / 422 for a server gone or not on a host)."""
        built: Any = self.runtime.clients.get(_KEY)
        actions = getattr(built, "actions", None)
        if actions is None:
            raise LookupError("the compute service is not running")
        batch = [ExternalEvent(name, server, "completed", tag) for name, server, tag in events]
        done: list[ExternalEvent] = await actions.external_events(batch)
        return done

    async def volume_extended(self, server_ids: Sequence[str], volume_id: str) -> bool:
        """Tell compute an attached volume grew (cinder's nova.API.extend_volume); True when
        every server took the event."""
        if not server_ids:
            return True
        done = await self.external_events([("volume-extended", s, volume_id) for s in server_ids])
        return all(e.code == 200 for e in done)

    async def server_exists(self, server_id: str) -> bool:
        """Whether compute has this server (any project, not deleted); False when compute
        is not running here."""
        built: Any = self.runtime.clients.get(_KEY)
        actions = getattr(built, "actions", None)
        if actions is None:
            return False
        try:
            await actions.get_any(server_id)
        except NotFound:
            return False
        return True
