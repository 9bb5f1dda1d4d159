"""ASGI middleware around each service: request ids, body-size limit, domain errors mapped
to the service's error body, microversion response headers. Pure ASGI, to keep it cheap."""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus.api.errors import Formatter
from stratus.api.microversion import MicroversionPolicy, Version
from stratus.kit.errors import PayloadTooLarge, StratusError

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-openstack-request-id"


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


def error_response_parts(
    formatter: Formatter,
    err: StratusError | None,
    status: int,
    title: str,
    message: str,
    request_id: str,
) -> bytes:
    body = formatter(status, title, message, err)
    if isinstance(body, dict) and "errors" in body:
        for item in body["errors"]:
            if isinstance(item, dict) and "request_id" in item:
                item["request_id"] = request_id
    return json.dumps(body).encode()


class ServiceMiddleware:
    """Wraps one service's app (a FastAPI instance)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        formatter: Formatter,
        body_limit: int | None,
        body_limit_exempt: Callable[[str], bool] | None = None,
        microversion: MicroversionPolicy | None = None,
    ) -> None:
        self.app = app
        self.formatter = formatter
        self.body_limit = body_limit
        self.exempt = body_limit_exempt
        self.microversion = microversion

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_id = state.get("request_id") or new_request_id()
        state["request_id"] = request_id
        limit = self.body_limit
        if limit is not None and self.exempt is not None and self.exempt(scope["path"]):
            limit = None
        if limit is not None:
            length = _content_length(scope)
            if length is not None and length > limit:
                await self._send_error(
                    send,
                    PayloadTooLarge(
                        f"Request is too large. Maximum request body is {limit} bytes."
                    ),
                    request_id,
                )
                return
            receive = _limited_receive(receive, limit)

        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                version = state.get("version")
                if self.microversion is not None and isinstance(version, Version):
                    for key, value in self.microversion.response_headers(version).items():
                        headers.append((key.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except StratusError as err:
            if started:
                raise
            await self._send_error(send, err, request_id, state)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await self._send_raw(
                send,
                500,
                "Internal Server Error",
                "An unexpected error prevented the server from fulfilling your request.",
                None,
                request_id,
                state,
            )

    async def _send_error(
        self, send: Send, err: StratusError, request_id: str, state: dict[str, Any] | None = None
    ) -> None:
        await self._send_raw(
            send, err.status, err.title, err.message, err, request_id, state, err.headers
        )

    async def _send_raw(
        self,
        send: Send,
        status: int,
        title: str,
        message: str,
        err: StratusError | None,
        request_id: str,
        state: dict[str, Any] | None,
        extra: dict[str, str] | None = None,
    ) -> None:
        body = error_response_parts(self.formatter, err, status, title, message, request_id)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (REQUEST_ID_HEADER, request_id.encode()),
        ]
        for key, value in (extra or {}).items():
            headers.append((key.lower().encode(), value.encode()))
        version = (state or {}).get("version")
        if self.microversion is not None and isinstance(version, Version):
            for key, value in self.microversion.response_headers(version).items():
                headers.append((key.lower().encode(), value.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limited_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(
                    f"Request is too large. Maximum request body is {limit} bytes."
                )
        return message

    return wrapped
