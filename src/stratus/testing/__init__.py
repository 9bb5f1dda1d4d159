"""Run a whole Stratus cloud inside your tests (the moto idea, for OpenStack)."""

from stratus.testing.cloud import RunningCloud, running_cloud

__all__ = ["RunningCloud", "running_cloud"]
