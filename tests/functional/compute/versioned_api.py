"""Raw HTTP to a running cloud's compute and block storage APIs at fixed microversions, for
tests that assert status codes and bodies exactly; and a poller for their async results."""

import time
from typing import Any

import httpx

from stratus.testing import RunningCloud


class Api:
    compute_version = "2.1"
    volume_version = "3.0"

    def __init__(self, cloud: RunningCloud, conn: Any) -> None:
        self.cloud, self.token, self.project = cloud, conn.auth_token, conn.current_project_id

    def compute(
        self, method: str, path: str, version: str | None = None, **kw: Any
    ) -> httpx.Response:
        wanted = version or self.compute_version
        headers = {"X-Auth-Token": self.token, "OpenStack-API-Version": f"compute {wanted}"}
        url = f"{self.cloud.url}/compute/v2.1{path}"
        return httpx.request(method, url, headers=headers, timeout=60, **kw)

    __call__ = compute

    def volume(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {
            "X-Auth-Token": self.token,
            "OpenStack-API-Version": f"volume {self.volume_version}",
        }
        url = f"{self.cloud.url}/volume/v3/{self.project}{path}"
        return httpx.request(method, url, headers=headers, timeout=60, **kw)


def poll(get: Any, done: Any) -> Any:
    """Call ``get`` until ``done`` says its value is the wanted one (30 s at most)."""
    value = None
    for _ in range(600):
        value = get()
        if done(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"never reached the wanted state: {value}")
