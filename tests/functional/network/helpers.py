"""Small request helpers for the in-process network tests."""

from typing import Any

import httpx


async def create(
    client: httpx.AsyncClient, collection: str, key: str, expect: int = 201, **body: Any
) -> dict[str, Any]:
    r = await client.post(f"/v2.0/{collection}", json={key: body})
    assert r.status_code == expect, r.text
    return r.json().get(key, r.json())  # type: ignore[no-any-return]


async def network(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    return await create(client, "networks", "network", **body)


async def subnet(
    client: httpx.AsyncClient, network_id: str, cidr: str, **body: Any
) -> dict[str, Any]:
    version = 6 if ":" in cidr else 4
    return await create(
        client, "subnets", "subnet", network_id=network_id, cidr=cidr, ip_version=version, **body
    )


async def port(
    client: httpx.AsyncClient, network_id: str, expect: int = 201, **body: Any
) -> dict[str, Any]:
    return await create(client, "ports", "port", expect=expect, network_id=network_id, **body)


def error_type(response: httpx.Response) -> str:
    return str(response.json()["NeutronError"]["type"])
