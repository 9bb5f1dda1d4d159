"""In-process bus: the default. Calls are awaited directly; casts and fanouts run as tasks.
Consumers of one topic are served round-robin, like competing consumers on a queue."""

import asyncio
import itertools
from typing import Any

from stratus.bus.base import Handler, Message, NoListener


class InProcBus:
    def __init__(self) -> None:
        self._topics: dict[str, list[Handler]] = {}
        self._rr: dict[str, itertools.count[int]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def _key(self, msg: Message) -> str:
        return f"{msg.topic}.{msg.server}" if msg.server else msg.topic

    def _pick(self, msg: Message) -> Handler:
        key = self._key(msg)
        handlers = self._topics.get(key)
        if not handlers:
            raise NoListener(f"no consumer for {key}")
        counter = self._rr.setdefault(key, itertools.count())
        return handlers[next(counter) % len(handlers)]

    async def call(self, msg: Message, *, timeout: float = 60.0) -> Any:
        handler = self._pick(msg)
        try:
            return await asyncio.wait_for(handler(msg), timeout)
        except TimeoutError:
            from stratus.bus.base import BusTimeout

            raise BusTimeout(f"{self._key(msg)}.{msg.method} timed out after {timeout}s") from None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cast(self, msg: Message) -> None:
        self._spawn(self._pick(msg)(msg))

    async def fanout(self, msg: Message) -> None:
        for handler in list(self._topics.get(msg.topic, ())):
            self._spawn(handler(msg))

    async def consume(self, topic: str, handler: Handler, *, server: str | None = None) -> None:
        self._topics.setdefault(topic, []).append(handler)
        if server:
            self._topics.setdefault(f"{topic}.{server}", []).append(handler)

    async def drain(self) -> None:
        """Wait for every cast and fanout in flight (tests use it for determinism)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        self._topics.clear()
