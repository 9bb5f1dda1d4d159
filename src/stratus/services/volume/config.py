"""The block storage section of the settings (``block_storage:`` in stratus.yaml): the
backends, the default volume type, quota defaults, backup chunking."""

from typing import Any

from pydantic import BaseModel, Field

from stratus.conf import Settings


class BackendConfig(BaseModel):
    name: str = "file"
    driver: str = "file"  # file | fake
    capacity_gb: int = 1000
    availability_zone: str = "nova"


class VolumeConfig(BaseModel):
    host: str = "stratus"
    backends: list[BackendConfig] = Field(default_factory=lambda: [BackendConfig()])
    default_volume_type: str = "__DEFAULT__"
    # cinder's [DEFAULT] default_group_type: unset by default (GET group_types/default 404s).
    default_group_type: str | None = None
    default_availability_zone: str = "nova"
    # cinder's [DEFAULT] quota_* options.
    default_quotas: dict[str, int] = Field(default_factory=dict)
    backup_chunk_size: int = 32 * 1024 * 1024
    backup_container: str = "volumebackups"
    backup_availability_zone: str = "nova"


def load(settings: Settings) -> VolumeConfig:
    raw: Any = getattr(settings, "block_storage", None) or {}
    return VolumeConfig.model_validate(raw)
