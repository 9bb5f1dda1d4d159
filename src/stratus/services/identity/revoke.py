"""Token revocation: events in the database, matched against a token's payload on validation.

Every worker keeps the recent events in memory and reloads them at most once a second, so a
revocation made by another worker takes effect within a second; one made by this worker takes
effect at once (and also clears the token caches through ``on_revoke`` callbacks)."""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.kit.timeutil import utcnow
from stratus.services.identity import repository as repo
from stratus.services.identity.models import RevocationEvent
from stratus.services.identity.token import TokenPayload

_MATCH_FIELDS = (
    "user_id",
    "project_id",
    "domain_id",
    "trust_id",
    "application_credential_id",
    "audit_id",
    "audit_chain_id",
)


@dataclass(frozen=True, slots=True)
class Event:
    """A revocation event detached from any session (ORM rows expire when a session rolls
    back, and these live in memory across requests)."""

    issued_before: dt.datetime
    user_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    role_id: str | None = None
    trust_id: str | None = None
    application_credential_id: str | None = None
    audit_id: str | None = None
    audit_chain_id: str | None = None

    @classmethod
    def of(cls, row: RevocationEvent) -> "Event":
        return cls(
            issued_before=row.issued_before,
            user_id=row.user_id,
            project_id=row.project_id,
            domain_id=row.domain_id,
            role_id=row.role_id,
            trust_id=row.trust_id,
            application_credential_id=row.application_credential_id,
            audit_id=row.audit_id,
            audit_chain_id=row.audit_chain_id,
        )


class Revoker:
    def __init__(self, db: Database, *, window: dt.timedelta) -> None:
        self.db = db
        self.window = window
        self._events: list[Event] = []
        self._loaded_at = 0.0
        self.on_revoke: list[Callable[[], None]] = []

    async def revoke(self, s: AsyncSession, **fields: Any) -> None:
        now = utcnow()
        event = RevocationEvent(issued_before=now, revoked_at=now, **fields)
        await repo.add(s, event)
        # Effective in this worker at once; should the transaction roll back, the next
        # re-read (within a second) drops it again.
        self._events.append(Event.of(event))
        for callback in self.on_revoke:
            callback()

    def notify(self) -> None:
        for callback in self.on_revoke:
            callback()

    async def _refresh(self, s: AsyncSession) -> None:
        """Re-read recent events, in the caller's session (a second connection per validation
        would let concurrent requests exhaust the pool waiting on each other)."""
        if time.monotonic() - self._loaded_at < 1.0:
            return
        since = utcnow() - self.window
        self._events = [Event.of(row) for row in await repo.revocations_since(s, since)]
        self._loaded_at = time.monotonic()

    async def is_revoked(
        self,
        s: AsyncSession,
        payload: TokenPayload,
        *,
        project_domain_id: str | None,
        user_domain_id: str | None,
        role_ids: set[str] | None = None,
    ) -> bool:
        await self._refresh(s)
        values = {
            "user_id": {payload.user_id},
            "project_id": {payload.project_id} if payload.project_id else set(),
            "domain_id": {d for d in (payload.domain_id, project_domain_id, user_domain_id) if d},
            "trust_id": {payload.trust_id} if payload.trust_id else set(),
            "application_credential_id": {payload.app_cred_id} if payload.app_cred_id else set(),
            "audit_id": {payload.audit_ids[0]} if payload.audit_ids else set(),
            "audit_chain_id": {payload.audit_ids[-1]} if payload.audit_ids else set(),
        }
        for event in self._events:
            if payload.issued_at >= event.issued_before:
                continue
            matched = True
            for name in _MATCH_FIELDS:
                wanted = getattr(event, name)
                if wanted is not None and wanted not in values[name]:
                    matched = False
                    break
            if matched and event.role_id is not None:
                matched = role_ids is not None and event.role_id in role_ids
            if matched:
                return True
        return False
