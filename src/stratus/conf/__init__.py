"""Typed configuration: one Settings model read from a file, the environment and the CLI."""

from stratus.conf.settings import IdentitySettings, SecurityCompliance, Settings, load_settings

__all__ = ["IdentitySettings", "SecurityCompliance", "Settings", "load_settings"]
