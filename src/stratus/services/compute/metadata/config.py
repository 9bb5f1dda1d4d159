"""Metadata service settings, read from ``compute.metadata`` of ``stratus.yaml``: how a request
names its instance (nova's ``[neutron] service_metadata_proxy`` and
``metadata_proxy_shared_secret``, ``[api] use_forwarded_for``), the DHCP domain, the static
vendor data."""

import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

SECRET_FILE = "metadata_proxy_shared_secret"


class MetadataConfig(BaseModel):
    # True: requests come through a metadata proxy that names the instance with X-Instance-ID,
    # X-Tenant-ID and X-Instance-ID-Signature (HMAC-SHA256 of the id with the shared secret).
    # False: the instance is found by the request's source address (a fixed IP).
    service_metadata_proxy: bool = True
    # None: generated once into <data-dir>/keys/metadata_proxy_shared_secret.
    proxy_shared_secret: str | None = None
    # Take the source address from X-Forwarded-For (only behind a proxy that sets it).
    use_forwarded_for: bool = False
    dhcp_domain: str = ""
    # nova's StaticJSON vendor data: vendor_data.json, and "static" in vendor_data2.json.
    vendor_data: dict[str, Any] = Field(default_factory=dict)


def load(settings: Any) -> MetadataConfig:
    raw = getattr(settings, "compute", None)
    section = raw.get("metadata") if isinstance(raw, dict) else None
    return MetadataConfig.model_validate(section or {})


def shared_secret(cfg: MetadataConfig, keys_dir: Path) -> str:
    """The configured secret, else the one generated for this data dir (kept across restarts,
    readable by the metadata proxies of this cloud)."""
    if cfg.proxy_shared_secret:
        return cfg.proxy_shared_secret
    path = keys_dir / SECRET_FILE
    if path.is_file():
        return path.read_text().strip()
    keys_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(value)
    return value
