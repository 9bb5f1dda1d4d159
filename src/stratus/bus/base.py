"""The bus protocol. Shaped after oslo.messaging so a RabbitMQ driver (topic exchanges, a
reply queue for calls, fanout exchanges) implements it without changing callers."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Handler = Callable[["Message"], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Message:
    """A bus message: ``method`` on ``topic`` (optionally one ``server`` of that topic)."""

    topic: str
    method: str
    payload: dict[str, Any] = field(default_factory=dict)
    server: str | None = None


class BusTimeout(Exception):
    """A call got no reply in time."""


class NoListener(Exception):
    """A call or cast named a topic/server nobody consumes."""


class Bus(Protocol):
    async def call(self, msg: Message, *, timeout: float = 60.0) -> Any:
        """Send to one consumer and wait for its return value (re-raises its error)."""
        ...

    async def cast(self, msg: Message) -> None:
        """Send to one consumer; do not wait."""
        ...

    async def fanout(self, msg: Message) -> None:
        """Send to every consumer of the topic."""
        ...

    async def consume(self, topic: str, handler: Handler, *, server: str | None = None) -> None:
        """Register ``handler`` for ``topic`` (and for ``topic.server`` when server is given)."""
        ...

    async def close(self) -> None: ...
