"""The identity suite runs twice: on SQLite and on PostgreSQL (skipped when unreachable)."""

from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.conftest import postgres_database, postgres_reachable

SECURITY = {
    "password_hash_rounds": 4,
    "security_compliance": {
        "lockout_failure_attempts": 2,
        "lockout_duration": 5,
        "unique_last_password_count": 2,
    },
}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCloud]:
    data_dir = tmp_path_factory.mktemp(f"identity-{request.param}")
    if request.param == "sqlite":
        with running_cloud(data_dir, identity=SECURITY, services=("identity",)) as c:
            yield c
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with (
        postgres_database() as url,
        running_cloud(data_dir, db_url=url, identity=SECURITY, services=("identity",)) as c,
    ):
        yield c


@pytest.fixture(scope="session")
def admin(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus-admin")


@pytest.fixture(scope="session")
def demo(cloud: RunningCloud) -> Any:
    return cloud.connection("stratus")
