"""The one base error every domain error derives from; it carries its HTTP status.

Services raise these from ``service.py``; each service's error formatter turns them into
its own upstream error body. Nothing below ``api/`` knows about HTTP beyond the number.
"""

from typing import ClassVar


class StratusError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    code: ClassVar[str | None] = None

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.headers = headers or {}


class BadRequest(StratusError):
    status = 400
    title = "Bad Request"


class Unauthorized(StratusError):
    status = 401
    title = "Unauthorized"


class Forbidden(StratusError):
    status = 403
    title = "Forbidden"


class NotFound(StratusError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(StratusError):
    status = 405
    title = "Method Not Allowed"


class NotAcceptable(StratusError):
    status = 406
    title = "Not Acceptable"


class Conflict(StratusError):
    status = 409
    title = "Conflict"


class Gone(StratusError):
    status = 410
    title = "Gone"


class PreconditionFailed(StratusError):
    status = 412
    title = "Precondition Failed"


class PayloadTooLarge(StratusError):
    status = 413
    title = "Request Entity Too Large"


class UnsupportedMediaType(StratusError):
    status = 415
    title = "Unsupported Media Type"


class Unprocessable(StratusError):
    status = 422
    title = "Unprocessable Entity"


class NotImplementedYet(StratusError):
    status = 501
    title = "Not Implemented"


class ServiceUnavailable(StratusError):
    status = 503
    title = "Service Unavailable"
