"""The in-process bus: call returns, cast and fanout deliver, timeouts and missing consumers."""

import asyncio
from typing import Any

import pytest

from stratus.bus.base import BusTimeout, Message, NoListener
from stratus.bus.inproc import InProcBus


async def test_call_cast_fanout() -> None:
    bus = InProcBus()
    seen: list[tuple[str, Any]] = []

    async def echo(msg: Message) -> Any:
        seen.append(("echo", msg.payload))
        return msg.payload["x"] * 2

    async def listener(msg: Message) -> None:
        seen.append(("fan", msg.method))

    await bus.consume("compute", echo, server="host1")
    await bus.consume("events", listener)
    await bus.consume("events", listener)
    assert await bus.call(Message("compute", "double", {"x": 21}, server="host1")) == 42
    await bus.cast(Message("compute", "double", {"x": 1}))
    await bus.fanout(Message("events", "changed"))
    await bus.drain()
    assert seen.count(("fan", "changed")) == 2
    assert ("echo", {"x": 1}) in seen


async def test_timeout_and_no_listener() -> None:
    bus = InProcBus()

    async def slow(msg: Message) -> None:
        await asyncio.sleep(5)

    await bus.consume("slow", slow)
    with pytest.raises(BusTimeout):
        await bus.call(Message("slow", "x"), timeout=0.05)
    with pytest.raises(NoListener):
        await bus.call(Message("nobody", "x"))
