"""The Settings model. Precedence: CLI overrides > environment (STRATUS_*) > stratus.yaml > defaults."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from stratus.conf.network import NetworkSettings

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "stratus"

ALL_SERVICES = (
    "identity",
    "placement",
    "compute",
    "network",
    "block-storage",
    "image",
    "object-store",
    "orchestration",
    "key-manager",
    "accelerator",
)


class SecurityCompliance(BaseModel):
    """Keystone's [security_compliance] options; all off by default, as upstream."""

    lockout_failure_attempts: int | None = None
    lockout_duration: int = 1800
    disable_user_account_days_inactive: int | None = None
    password_expires_days: int | None = None
    unique_last_password_count: int = 0
    minimum_password_age: int = 0
    password_regex: str | None = None
    password_regex_description: str | None = None
    change_password_upon_first_use: bool = False


class IdentitySettings(BaseModel):
    token_expiration: int = 3600
    # Keystone's default bcrypt cost.
    password_hash_rounds: int = 12
    max_password_length: int = 4096
    allow_expired_window: int = 172800
    # Seconds a validated token is kept in the per-process cache.
    token_cache_ttl: float = 5.0
    max_token_size: int = 255
    security_compliance: SecurityCompliance = Field(default_factory=SecurityCompliance)
    enforce_scope: bool = False
    unified_limits_model: str = "flat"
    # OS-OAUTH1 token lifetimes in seconds (Keystone's [oauth1] defaults); 0 = no expiry.
    oauth1_request_token_duration: int = 28800
    oauth1_access_token_duration: int = 86400


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRATUS_", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path = DEFAULT_DATA_DIR
    db_url: str | None = None
    public_url: str | None = None
    region: str = "RegionOne"
    services: tuple[str, ...] = ALL_SERVICES
    max_request_body_size: int = 114688
    admin_password: str | None = None
    demo_password: str | None = None
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    log_level: str = "warning"
    # The compute service's own section (services/compute/config.py: fake_hosts, ratios, ...).
    compute: dict[str, Any] = Field(default_factory=dict)
    # Block storage (services/volume/config.py: backends, default type, quotas, backups).
    block_storage: dict[str, Any] = Field(default_factory=dict)
    # The network service's section (conf/network.py: type driver ranges, MAC base, quotas, ...).
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    # Object storage (services/object_store/config.py: the ratelimit middleware's options).
    object_store: dict[str, Any] = Field(default_factory=dict)
    # The image service (require_image_format_match: refuse uploads whose content does not
    # match their disk_format, true by default as in Glance).
    image: dict[str, Any] = Field(default_factory=dict)

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite+stratus:///{self.data_dir / 'stratus.sqlite'}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, layering ``<data_dir>/stratus.yaml`` below env and explicit overrides."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    probe = Settings(**clean)
    file_values: dict[str, Any] = {}
    conf_file = probe.data_dir / "stratus.yaml"
    if conf_file.is_file():
        loaded = yaml.safe_load(conf_file.read_text()) or {}
        if isinstance(loaded, dict):
            file_values = loaded
    if not file_values:
        return probe
    env_only = Settings()
    merged: dict[str, Any] = {**file_values}
    for name in Settings.model_fields:
        if name in env_only.model_fields_set:
            value = getattr(env_only, name)
            if isinstance(value, BaseModel):
                # Only the fields the environment named: STRATUS_IDENTITY__TOKEN_EXPIRATION
                # must not wipe the rest of the file's identity section.
                value = value.model_dump(exclude_unset=True)
            merged[name] = _deep_merge(merged.get(name), value)
    for name, value in clean.items():
        merged[name] = _deep_merge(merged.get(name), value)
    return Settings(**merged)


def _deep_merge(base: Any, top: Any) -> Any:
    """``top`` over ``base``; mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for key, value in top.items():
            out[key] = _deep_merge(base.get(key), value)
        return out
    return top
