"""pytest plugin (auto-loaded via the ``pytest11`` entry point): fixtures ``stratus_cloud``,
``admin_conn`` and ``demo_conn``."""

from collections.abc import Iterator
from typing import Any

import pytest

from stratus.testing.cloud import RunningCloud, running_cloud


@pytest.fixture(scope="session")
def stratus_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """One cloud for the whole test session (each xdist worker gets its own)."""
    with running_cloud(tmp_path_factory.mktemp("stratus")) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def admin_conn(stratus_cloud: RunningCloud) -> Any:
    return stratus_cloud.connection("stratus-admin")


@pytest.fixture(scope="session")
def demo_conn(stratus_cloud: RunningCloud) -> Any:
    return stratus_cloud.connection("stratus")
