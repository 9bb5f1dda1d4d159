"""Microversion negotiation for every service: ``OpenStack-API-Version`` and legacy headers,
``latest``, 406 when out of range, echoed response headers and ``Vary``."""

import re
from dataclasses import dataclass
from functools import total_ordering

from stratus.kit.errors import BadRequest, NotAcceptable

_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise BadRequest(f"Version string '{text}' is not in a valid format.")
        return cls(int(match.group(1)), int(match.group(2)))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        # Handlers and views ask with a handful of literals, many times per request.
        other = _PARSED.get(text)
        if other is None:
            other = _PARSED[text] = Version.parse(text)
        return (self.major, self.minor) >= (other.major, other.minor)


# at_least()'s literals, parsed once (a malformed one raises before it is kept).
_PARSED: dict[str, Version] = {}


@dataclass(frozen=True, slots=True)
class MicroversionPolicy:
    """How one service negotiates: its ``OpenStack-API-Version`` service name, its legacy
    header (if any) and the supported range."""

    service: str
    minimum: Version
    maximum: Version
    legacy_header: str | None = None
    # The exact ``Vary`` value upstream sends, when it differs from the header names
    # (placement sends "openstack-api-version").
    vary: str | None = None
    # Placement answers 400 on a malformed header; others 400 as well; kept explicit.

    @property
    def header_values(self) -> tuple[str, ...]:
        return ("OpenStack-API-Version",) + ((self.legacy_header,) if self.legacy_header else ())

    def negotiate(self, headers: dict[str, str]) -> Version:
        """Pick the version a request asked for (``headers`` keys lower-cased)."""
        requested: str | None = None
        generic = headers.get("openstack-api-version")
        if generic:
            for part in generic.split(","):
                words = part.strip().split()
                if len(words) == 2 and words[0].lower() == self.service:
                    requested = words[1]
                    break
        if requested is None and self.legacy_header:
            requested = headers.get(self.legacy_header.lower())
        if requested is None:
            return self.minimum
        if requested.strip().lower() == "latest":
            return self.maximum
        version = Version.parse(requested)
        if not self.minimum <= version <= self.maximum:
            raise NotAcceptable(
                f"Version {version} is not supported by the API. Minimum is {self.minimum} "
                f"and maximum is {self.maximum}."
            )
        return version

    def response_headers(self, version: Version) -> dict[str, str]:
        out = {
            "OpenStack-API-Version": f"{self.service} {version}",
            "Vary": self.vary or ", ".join(self.header_values),
        }
        if self.legacy_header:
            out[self.legacy_header] = str(version)
        return out
