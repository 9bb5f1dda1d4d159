"""Expired tokens: refused (404 on validation, 401 on use) unless ``allow_expired`` is asked
within the window."""

import time
from collections.abc import Iterator

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.functional.identity.helpers import call, token_for


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    identity = {"password_hash_rounds": 4, "token_expiration": 4, "allow_expired_window": 600}
    with running_cloud(
        tmp_path_factory.mktemp("expiry"), identity=identity, services=("identity",)
    ) as cloud:
        yield cloud


def test_expired_token(short_lived: RunningCloud) -> None:
    cloud = short_lived
    old = token_for(cloud, "demo", cloud.demo_password, project="demo").headers["X-Subject-Token"]
    time.sleep(4.5)
    fresh = token_for(cloud, "admin", cloud.admin_password, project="admin")
    admin = fresh.headers["X-Subject-Token"]
    assert call(cloud, "GET", "/v3/auth/projects", old).status_code == 401
    assert (
        call(cloud, "GET", "/v3/auth/tokens", admin, headers={"X-Subject-Token": old}).status_code
        == 404
    )
    allowed = call(
        cloud, "GET", "/v3/auth/tokens?allow_expired=1", admin, headers={"X-Subject-Token": old}
    )
    assert allowed.status_code == 200
    assert allowed.json()["token"]["user"]["name"] == "demo"
    # an expired token cannot be exchanged for a new one
    rescope = httpx.post(
        f"{cloud.url}/v3/auth/tokens",
        json={"auth": {"identity": {"methods": ["token"], "token": {"id": old}}}},
    )
    assert rescope.status_code == 404
