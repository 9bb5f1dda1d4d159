"""Image API versions: v2.0 … v2.9, the newest CURRENT, as Glance's version document lists
them (newest first)."""

from typing import Any

# One line per version: what it added upstream.
VERSIONS = [
    ("2.9", "CURRENT"),  # Ussuri: multiple stores info, import to several stores
    ("2.8", "SUPPORTED"),  # Train: multi-store import
    ("2.7", "SUPPORTED"),  # Rocky: hidden images (os_hidden), multihash
    ("2.6", "SUPPORTED"),  # Queens: interoperable image import
    ("2.5", "SUPPORTED"),  # Mitaka: image members list changes
    ("2.4", "SUPPORTED"),  # Mitaka: tasks API
    ("2.3", "SUPPORTED"),  # Liberty: image deactivation
    ("2.2", "SUPPORTED"),  # Kilo: JSON-patch v2.1
    ("2.1", "SUPPORTED"),  # Juno: tags and members
    ("2.0", "SUPPORTED"),  # Folsom: the v2 API
]


def document(base_url: str) -> dict[str, Any]:
    return {
        "versions": [
            {
                "id": f"v{number}",
                "status": status,
                "links": [{"rel": "self", "href": f"{base_url}/image/v2/"}],
            }
            for number, status in VERSIONS
        ]
    }
