"""The ``hostname`` a user may give a server (create, update, rebuild).

From 2.90 it is a short host name (RFC 952 letters, digits and inner dashes, 2-63
characters); from 2.94 any fully qualified name of letters, digits, dashes, dots and
underscores (1-255). Before 2.90 the key is not part of the schema and answers 400 as an
unknown property where the body is strict.
"""

import re
from typing import Any

from stratus.api.microversion import Version
from stratus.kit.errors import BadRequest

_SHORT = re.compile(r"^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$")
_FQDN = re.compile(r"^[a-zA-Z0-9-._]*$")


def accepted(v: Version) -> bool:
    """Whether ``hostname`` is a known property at this microversion."""
    return v.at_least("2.90")


def validate(value: Any, v: Version) -> str:
    """The hostname as given, or 400 in nova's schema words."""
    if v.at_least("2.94"):
        ok = isinstance(value, str) and 1 <= len(value) <= 255 and bool(_FQDN.match(value))
    else:
        ok = isinstance(value, str) and 2 <= len(value) <= 63 and bool(_SHORT.match(value))
    if not ok:
        why = "is not of type 'string'" if not isinstance(value, str) else "does not match"
        raise BadRequest(f"Invalid input for field/attribute hostname. Value: {value}. {why}")
    return str(value)


def from_body(body: dict[str, Any], v: Version) -> str | None:
    """The validated ``hostname`` of a create/update/rebuild body, None when absent."""
    if "hostname" not in body or not accepted(v):
        return None
    return validate(body["hostname"], v)


def for_boot(body: dict[str, Any], v: Version, max_count: int) -> str | None:
    """A create's hostname; one name cannot go to several servers (nova: 400)."""
    name = from_body(body, v)
    if name is not None and max_count > 1:
        raise BadRequest("Unable to allocate a single hostname to multiple instances")
    return name
