"""The object storage section of the settings (``object_store:`` in stratus.yaml). Today it
holds the ``ratelimit`` middleware's options, under Swift's own names::

    object_store:
      ratelimit:
        account_ratelimit: 10          # container PUT/DELETE per second per account
        container_ratelimit_0: 100     # object writes per second for containers of >= 0 objects
        container_ratelimit_100: 50    # ... linearly interpolated between the sizes given
        container_listing_ratelimit_0: 100
        max_sleep_time_seconds: 60     # a request that would wait longer answers 498
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stratus.conf import Settings

CONTAINER_PREFIX = "container_ratelimit_"
LISTING_PREFIX = "container_listing_ratelimit_"


class RateLimitConfig(BaseModel):
    """Swift's ``[filter:ratelimit]`` options, with Swift's defaults (nothing limited)."""

    model_config = ConfigDict(extra="forbid")

    account_ratelimit: float = 0.0
    max_sleep_time_seconds: float = 60.0
    log_sleep_time_seconds: float = 0.0
    rate_buffer_seconds: int = 5
    clock_accuracy: int = 1000
    account_whitelist: list[str] = Field(default_factory=list)
    account_blacklist: list[str] = Field(default_factory=list)
    # (container size, requests per second), from the container_ratelimit_<size> options.
    container_ratelimits: list[tuple[int, float]] = Field(default_factory=list)
    container_listing_ratelimits: list[tuple[int, float]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _swift_names(cls, raw: Any) -> Any:
        """Fold ``container_ratelimit_<N>`` / ``container_listing_ratelimit_<N>`` keys into the
        two lists, and comma-separated account lists into lists."""
        if not isinstance(raw, dict):
            return raw
        out: dict[str, Any] = {}
        sized: dict[str, list[tuple[int, float]]] = {
            "container_ratelimits": [],
            "container_listing_ratelimits": [],
        }
        for key, value in raw.items():
            key = str(key)
            for prefix, field in (
                (LISTING_PREFIX, "container_listing_ratelimits"),
                (CONTAINER_PREFIX, "container_ratelimits"),
            ):
                if key.startswith(prefix):
                    size = key[len(prefix) :]
                    if not size.isdigit():
                        raise ValueError(f"{key}: the size must be a whole number")
                    sized[field].append((int(size), float(value)))
                    break
            else:
                if key in ("account_whitelist", "account_blacklist") and isinstance(value, str):
                    value = [name.strip() for name in value.split(",") if name.strip()]
                out[key] = value
        for field, pairs in sized.items():
            if pairs:
                out[field] = sorted([*out.get(field, []), *pairs])
        return out

    @model_validator(mode="after")
    def _sorted(self) -> "RateLimitConfig":
        self.container_ratelimits.sort()
        self.container_listing_ratelimits.sort()
        return self


class ObjectStoreConfig(BaseModel):
    ratelimit: RateLimitConfig = Field(default_factory=RateLimitConfig)


def load(settings: Settings) -> ObjectStoreConfig:
    raw: Any = getattr(settings, "object_store", None) or {}
    return ObjectStoreConfig.model_validate(raw)
