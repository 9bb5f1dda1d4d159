"""Network settings as the service uses them: the typed ``network`` section of the shared
Settings (``stratus.conf.network``), checked against what this service knows (quota names)."""

from typing import Any

from pydantic import BaseModel

from stratus.conf.network import NetworkSettings, VlanRange

NetworkConfig = NetworkSettings

__all__ = ["NetworkConfig", "VlanRange", "load"]


def load(settings: Any) -> NetworkConfig:
    raw = getattr(settings, "network", None)
    if raw is None:
        cfg = NetworkConfig()
    elif isinstance(raw, NetworkConfig):
        cfg = raw
    elif isinstance(raw, BaseModel):
        cfg = NetworkConfig.model_validate(raw.model_dump())
    else:
        cfg = NetworkConfig.model_validate(raw)
    from stratus.services.network.core import QUOTA_DEFAULTS

    unknown = sorted(set(cfg.default_quotas) - set(QUOTA_DEFAULTS))
    if unknown:
        raise ValueError(
            f"network.default_quotas: unknown resources {unknown}; "
            f"known: {', '.join(sorted(QUOTA_DEFAULTS))}"
        )
    return cfg
