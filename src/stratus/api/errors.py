"""Error bodies, one formatter per upstream convention. A formatter turns a status and a
message into the JSON body that service's clients parse."""

from collections.abc import Callable
from typing import Any

from stratus.kit.errors import StratusError

Formatter = Callable[[int, str, str, StratusError | None], dict[str, Any]]
"""(status, title, message, error) -> body."""


def identity_error(status: int, title: str, message: str, _err: StratusError | None) -> Any:
    """Keystone: {"error": {"code": 404, "title": "Not Found", "message": "..."}}."""
    return {"error": {"code": status, "title": title, "message": message}}


_NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    406: "notAcceptable",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def compute_error(status: int, title: str, message: str, _err: StratusError | None) -> Any:
    """Nova and Cinder: {"itemNotFound": {"code": 404, "message": "..."}}."""
    return {_NOVA_KEYS.get(status, "computeFault"): {"code": status, "message": message}}


def network_error(status: int, title: str, message: str, err: StratusError | None) -> Any:
    """Neutron: {"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}."""
    kind = getattr(err, "neutron_type", None) or (
        type(err).__name__ if err else title.replace(" ", "")
    )
    return {"NeutronError": {"type": kind, "message": message, "detail": ""}}


def placement_error(status: int, title: str, message: str, err: StratusError | None) -> Any:
    """Placement: {"errors": [{"status", "title", "detail", "code", "request_id"}]}; the
    request id is filled in by the service middleware."""
    code = (err.code if err is not None else None) or "placement.undefined_code"
    return {
        "errors": [
            {"status": status, "title": title, "detail": message, "code": code, "request_id": None}
        ]
    }


def plain_error(status: int, title: str, message: str, _err: StratusError | None) -> Any:
    """Glance, Swift and others that answer with a short title/message document."""
    return {"code": status, "title": title, "message": message}
