"""Swift's error answers: the status code and the short HTML or text body its proxy sends."""

from stratus.kit.errors import StratusError

_HTML = {
    400: (
        "Bad Request",
        "The server could not comply with the request since it is either "
        "malformed or otherwise incorrect.",
    ),
    401: (
        "Unauthorized",
        "This server could not verify that you are authorized to access "
        "the document you requested.",
    ),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    411: ("Length Required", "Length Required"),
    412: ("Precondition Failed", "A precondition for this request was not met."),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    416: ("Requested Range Not Satisfiable", "The Range requested is not available."),
    422: ("Unprocessable Entity", "Unable to process the contained instructions"),
    499: ("Client Disconnect", "The client was disconnected during request."),
    501: ("Not Implemented", "The server does not implement this feature."),
    503: (
        "Service Unavailable",
        "The server is currently unavailable. Please try again at a later time.",
    ),
}


class SwiftError(StratusError):
    """An answer with Swift's own body: HTML by default, text/plain when ``text`` is given."""

    def __init__(
        self,
        status: int,
        text: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        title, html = _HTML.get(status, ("Error", "Error"))
        super().__init__(text or title, headers=headers)
        self.http_status = status
        if text is not None:
            self.body = text.encode()
            self.content_type = "text/plain; charset=UTF-8"
        else:
            self.body = f"<html><h1>{title}</h1><p>{html}</p></html>".encode()
            self.content_type = "text/html; charset=UTF-8"


def bad_request(text: str) -> SwiftError:
    return SwiftError(400, text)


def not_found() -> SwiftError:
    return SwiftError(404)


def forbidden() -> SwiftError:
    return SwiftError(403)


def unauthorized() -> SwiftError:
    return SwiftError(401)


def conflict() -> SwiftError:
    return SwiftError(409)


def precondition_failed() -> SwiftError:
    return SwiftError(412)
