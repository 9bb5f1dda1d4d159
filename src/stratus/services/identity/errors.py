"""Identity domain errors, with Keystone's messages."""

from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


def not_found(kind: str, ident: str) -> NotFound:
    return NotFound(f"Could not find {kind}: {ident}.")


def conflict(kind: str, detail: str) -> Conflict:
    return Conflict(f"Conflict occurred attempting to store {kind} - {detail}.")


class AuthFailed(Unauthorized):
    def __init__(self, message: str = "The request you have made requires authentication.") -> None:
        super().__init__(message)
        # Set when a wrong password was given: the lockout counter must be persisted even
        # though the request's transaction rolls back.
        self.failed_user_id: str | None = None


class PasswordRejected(BadRequest):
    pass


__all__ = [
    "AuthFailed",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PasswordRejected",
    "conflict",
    "not_found",
]
