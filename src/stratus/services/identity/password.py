"""Password hashing (bcrypt at Keystone's cost) and the security-compliance rules."""

import asyncio
import re

import bcrypt

from stratus.conf import SecurityCompliance
from stratus.services.identity.errors import PasswordRejected

# bcrypt reads at most 72 bytes; Keystone truncates the same way.
_BCRYPT_MAX = 72


def _prepare(password: str) -> bytes:
    return password.encode()[:_BCRYPT_MAX]


async def hash_password(password: str, rounds: int) -> str:
    salt = bcrypt.gensalt(rounds=rounds)
    digest = await asyncio.to_thread(bcrypt.hashpw, _prepare(password), salt)
    return str(digest.decode())


async def check_password(password: str, hashed: str) -> bool:
    try:
        return bool(await asyncio.to_thread(bcrypt.checkpw, _prepare(password), hashed.encode()))
    except ValueError:
        return False


def validate_strength(password: str, rules: SecurityCompliance, max_length: int) -> None:
    if len(password) > max_length:
        raise PasswordRejected(
            f"Invalid input for field 'password': password is too long "
            f"(maximum {max_length} characters)."
        )
    if rules.password_regex and not re.match(rules.password_regex, password):
        detail = rules.password_regex_description or "The password does not match the requirements"
        raise PasswordRejected(
            f"Password validation error: The password does not meet the requirements: {detail}."
        )
