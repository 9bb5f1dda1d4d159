"""The race-free quota engine every service shares."""

from stratus.quota.engine import OverQuota, QuotaEngine, QuotaResource

__all__ = ["OverQuota", "QuotaEngine", "QuotaResource"]
