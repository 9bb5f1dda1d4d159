"""Building blocks for placement tests: providers with inventory, claims."""

import uuid
from typing import Any

from tests.functional.placement.conftest import Api


def new_uuid() -> str:
    return str(uuid.uuid4())


def provider(
    api: Api,
    name: str | None = None,
    *,
    parent: str | None = None,
    inventories: dict[str, dict[str, Any]] | None = None,
    traits: list[str] | None = None,
    aggregates: list[str] | None = None,
) -> str:
    body: dict[str, Any] = {"name": name or f"rp-{new_uuid()}"}
    if parent:
        body["parent_provider_uuid"] = parent
    resp = api("POST", "/resource_providers", json=body)
    assert resp.status_code == 200, resp.text
    rp = resp.json()["uuid"]
    gen = 0
    if inventories:
        resp = api(
            "PUT",
            f"/resource_providers/{rp}/inventories",
            json={"resource_provider_generation": gen, "inventories": inventories},
        )
        assert resp.status_code == 200, resp.text
        gen = resp.json()["resource_provider_generation"]
    if traits:
        for trait in traits:
            if trait.startswith("CUSTOM_"):
                api("PUT", f"/traits/{trait}")
        resp = api(
            "PUT",
            f"/resource_providers/{rp}/traits",
            json={"resource_provider_generation": gen, "traits": traits},
        )
        assert resp.status_code == 200, resp.text
        gen = resp.json()["resource_provider_generation"]
    if aggregates:
        resp = api(
            "PUT",
            f"/resource_providers/{rp}/aggregates",
            json={"resource_provider_generation": gen, "aggregates": aggregates},
        )
        assert resp.status_code == 200, resp.text
    return rp


def claim(
    api: Api,
    consumer: str,
    allocations: dict[str, dict[str, int]],
    *,
    generation: int | None = None,
    project: str = "p1",
    user: str = "u1",
) -> Any:
    return api(
        "PUT",
        f"/allocations/{consumer}",
        json={
            "allocations": {rp: {"resources": res} for rp, res in allocations.items()},
            "project_id": project,
            "user_id": user,
            "consumer_generation": generation,
            "consumer_type": "INSTANCE",
        },
    )
