"""Which URLs ``web-download`` (and legacy import tasks) may fetch, and the fetch itself, with
Glance's import filtering: allowed/disallowed schemes, hosts and ports (an allowed list, when
set, wins over its disallowed one), hosts spelled as plain addresses or names that resolve
(encoded addresses such as ``2130706433`` or ``127.1`` never match), and every redirect
checked like the first URL — so a tenant cannot point the image service at a port or host the
operator closed. Settings: the ``image.import_filtering`` section, Glance's option names."""

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 10


class Refused(Exception):
    """A URL (or a redirect) the filtering does not allow."""


@dataclass(frozen=True)
class Rules:
    allowed_schemes: tuple[str, ...] = ("http", "https")
    disallowed_schemes: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    disallowed_hosts: tuple[str, ...] = ()
    allowed_ports: tuple[int, ...] = (80, 443)
    disallowed_ports: tuple[int, ...] = ()

    @classmethod
    def from_settings(cls, section: Mapping[str, Any] | None) -> "Rules":
        given = dict(section or {})
        names = {f: given[f] for f in cls.__dataclass_fields__ if f in given}
        fields: dict[str, Any] = {}
        for name, value in names.items():
            items = value.split(",") if isinstance(value, str) else list(value or [])
            items = [str(i).strip() for i in items if str(i).strip()]
            fields[name] = tuple(int(i) for i in items) if name.endswith("ports") else tuple(items)
        return cls(**fields)


def normalize_host(host: str | None) -> str | None:
    """An address in its one standard spelling, a name that resolves, or None."""
    if not host:
        return None
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        try:
            return str(kind(host))
        except ValueError:
            pass
    if all(c.isdigit() or c == "." for c in host):
        return None  # 2130706433, 127.1, 10.1: addresses the resolver would still accept
    try:
        socket.getaddrinfo(host if host.endswith(".") else host + ".", 80)
    except (socket.gaierror, UnicodeError):
        return None
    return host


def allowed(uri: str, rules: Rules) -> bool:
    """Blocking (a host name is resolved): call it from a thread."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme
    banned_schemes = () if rules.allowed_schemes else rules.disallowed_schemes
    if not scheme or (rules.allowed_schemes and scheme not in rules.allowed_schemes):
        return False
    if scheme in banned_schemes:
        return False
    host = normalize_host(parts.hostname)
    banned_hosts = () if rules.allowed_hosts else rules.disallowed_hosts
    if host is None or (rules.allowed_hosts and host not in rules.allowed_hosts):
        return False
    if host in banned_hosts:
        return False
    banned_ports = () if rules.allowed_ports else rules.disallowed_ports
    if port is not None and rules.allowed_ports and port not in rules.allowed_ports:
        return False
    return port not in banned_ports


async def permitted(uri: str, rules: Rules) -> bool:
    return await asyncio.to_thread(allowed, uri, rules)


async def fetch(uri: str, rules: Rules) -> AsyncIterator[bytes]:
    """The body at ``uri`` a MiB at a time, following only redirects the rules allow."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", uri) as response:
                if response.is_redirect and "location" in response.headers:
                    target = urljoin(uri, response.headers["location"])
                    if not await permitted(target, rules):
                        raise Refused(f"Redirect to disallowed URL: {target}")
                    uri = target
                    continue
                response.raise_for_status()
                async for chunk in response.aiter_bytes(1 << 20):
                    yield chunk
                return
    raise Refused(f"Too many redirects fetching {uri}")
