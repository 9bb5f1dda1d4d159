"""Neutron's version discovery: ``GET /`` lists v2.0; ``GET /v2.0`` lists the core resources."""

from typing import Any

CORE_RESOURCES = (("subnet", "subnets"), ("network", "networks"), ("port", "ports"))


def versions_document(base: str) -> dict[str, Any]:
    return {
        "versions": [
            {"status": "CURRENT", "id": "v2.0", "links": [{"href": f"{base}/v2.0/", "rel": "self"}]}
        ]
    }


def resources_document(base: str) -> dict[str, Any]:
    return {
        "resources": [
            {
                "links": [{"href": f"{base}/v2.0/{collection}", "rel": "self"}],
                "name": name,
                "collection": collection,
            }
            for name, collection in CORE_RESOURCES
        ]
    }
