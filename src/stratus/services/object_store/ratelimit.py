"""Swift's ``ratelimit`` middleware: container PUT/DELETE per account, object writes and
container listings per container (the rate depending on the container's object count), each
request delayed until its turn; one that would wait past ``max_sleep_time_seconds`` answers
``498 Slow down``. Swift keeps the running times in memcache; here they live in the process
(one Stratus API process serves the whole account, so the limit holds as configured)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from stratus.services.object_store.config import RateLimitConfig
from stratus.services.object_store.errors import SwiftError

log = logging.getLogger(__name__)

BLACKLIST_SLEEP = 1.0
WRITES = ("PUT", "DELETE", "POST", "COPY")


class SlowDown(SwiftError):
    def __init__(self) -> None:
        super().__init__(498, "Slow down")
        self.content_type = "text/html; charset=UTF-8"


class Blacklisted(SwiftError):
    def __init__(self) -> None:
        super().__init__(497, "Your account has been blacklisted")
        self.content_type = "text/html; charset=UTF-8"


def max_rate(limits: list[tuple[int, float]], size: int) -> float | None:
    """Requests per second for a container of ``size`` objects: the configured points joined
    by straight lines, flat after the last; none below the first point or for size 0."""
    if not size:
        return None
    found: float | None = None
    for i, (point, rate) in enumerate(limits):
        if size < point:
            break
        if i + 1 < len(limits):
            next_point, next_rate = limits[i + 1]
            found = rate + (size - point) * (next_rate - rate) / (next_point - point)
        else:
            found = rate
    return found


class RateLimiter:
    def __init__(self, config: RateLimitConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        # key -> the time (in clock_accuracy units) at which the next request may run.
        self._running: dict[str, int] = {}

    @property
    def active(self) -> bool:
        c = self.config
        return bool(
            c.account_ratelimit
            or c.container_ratelimits
            or c.container_listing_ratelimits
            or c.account_blacklist
        )

    def keys(
        self, method: str, account: str, container: str | None, obj: str | None, size: int
    ) -> list[tuple[str, float]]:
        """The (key, requests per second) pairs a request is counted against, in order.
        ``size`` is the container's object count (0 when unknown or not needed)."""
        c = self.config
        out: list[tuple[str, float]] = []
        if c.account_ratelimit and container and not obj and method in ("PUT", "DELETE"):
            out.append((f"ratelimit/{account}", c.account_ratelimit))
        if container and obj and method in WRITES:
            rate = max_rate(c.container_ratelimits, size)
            if rate:
                out.append((f"ratelimit/{account}/{container}", rate))
        if container and not obj and method == "GET":
            rate = max_rate(c.container_listing_ratelimits, size)
            if rate:
                out.append((f"ratelimit_listing/{account}/{container}", rate))
        return out

    def needs_size(self, method: str, container: str | None, obj: str | None) -> bool:
        c = self.config
        if not container:
            return False
        if obj:
            return bool(c.container_ratelimits) and method in WRITES
        return bool(c.container_listing_ratelimits) and method == "GET"

    def sleep_time(self, key: str, rate: float) -> float:
        """Seconds this request waits for its turn; raises SlowDown past the maximum (and
        then the request does not count)."""
        c = self.config
        accuracy = c.clock_accuracy
        now = round(self.clock() * accuracy)
        per_request = max(1, round(accuracy / rate))
        running = self._running.get(key, 0) + per_request
        wait = 0
        if now - running > c.rate_buffer_seconds * accuracy:
            # Idle long enough: start counting afresh from now.
            running = now + per_request
        else:
            wait = max(running - now - per_request, 0)
        if c.max_sleep_time_seconds * accuracy - wait <= accuracy * 0.01:
            raise SlowDown()
        self._running[key] = running
        return wait / accuracy

    async def check(
        self,
        method: str,
        account: str,
        container: str | None,
        obj: str | None,
        container_size: Callable[[], Awaitable[int]],
    ) -> None:
        """Delay the request until its turn, or refuse it (497 blacklisted, 498 slow down)."""
        c = self.config
        if account in c.account_whitelist:
            return
        if account in c.account_blacklist:
            log.error("Returning 497 because of blacklisting: %s", account)
            await asyncio.sleep(BLACKLIST_SLEEP)
            raise Blacklisted()
        size = await container_size() if self.needs_size(method, container, obj) else 0
        for key, rate in self.keys(method, account, container, obj, size):
            try:
                wait = self.sleep_time(key, rate)
            except SlowDown:
                log.error(
                    "Returning 498 for %s to %s/%s/%s. Ratelimit (Max Sleep)",
                    method,
                    account,
                    container,
                    obj,
                )
                raise
            if c.log_sleep_time_seconds and wait > c.log_sleep_time_seconds:
                log.warning("Ratelimit sleep log: %s for %s/%s/%s", wait, account, container, obj)
            if wait > 0:
                await asyncio.sleep(wait)

    def info(self) -> dict[str, object]:
        """The ``ratelimit`` section of ``/info`` (the same subset Swift publishes)."""
        c = self.config
        return {
            "account_ratelimit": c.account_ratelimit,
            "max_sleep_time_seconds": c.max_sleep_time_seconds,
            "container_ratelimits": [list(p) for p in c.container_ratelimits],
            "container_listing_ratelimits": [list(p) for p in c.container_listing_ratelimits],
        }
