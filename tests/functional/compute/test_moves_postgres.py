"""The moves' data layer on PostgreSQL (the rest of the compute suite runs on SQLite): the
migration table and instance system metadata from the compute branch, a resize confirmed, a
live migration with its progress bytes (64-bit), os-migrations paging by uuid."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from stratus.testing import RunningCloud, running_cloud
from tests.conftest import postgres_database, postgres_reachable
from tests.functional.compute.conftest import SERVICES


@pytest.fixture(scope="module")
def pg_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with (
        postgres_database() as url,
        running_cloud(tmp_path_factory.mktemp("pgmoves"), services=SERVICES, db_url=url) as c,
    ):
        yield c


def test_moves_on_postgresql(pg_cloud: RunningCloud) -> None:
    conn = pg_cloud.connection("stratus-admin")
    headers = {"X-Auth-Token": conn.auth_token, "OpenStack-API-Version": "compute 2.88"}

    def api(method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(
            method, f"{pg_cloud.url}/compute/v2.1{path}", headers=headers, timeout=60, **kw
        )

    def settle(sid: str, status: str) -> dict[str, Any]:
        for _ in range(600):
            server: dict[str, Any] = api("GET", f"/servers/{sid}").json()["server"]
            if server["status"] == status and server["OS-EXT-STS:task_state"] is None:
                return server
            time.sleep(0.05)
        raise AssertionError(f"{sid} never reached {status}")

    image = conn.image.create_image(
        name="pg-img", disk_format="raw", container_format="bare", data=b"\0" * 1024
    )
    body = {"name": "pg", "imageRef": image.id, "flavorRef": "4", "networks": "none"}
    sid = api("POST", "/servers", json={"server": body}).json()["server"]["id"]
    source = settle(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    # Two resizes at once: the row lock lets exactly one through, the other sees its task.
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(
            pool.map(
                lambda _: (
                    api(
                        "POST", f"/servers/{sid}/action", json={"resize": {"flavorRef": "5"}}
                    ).status_code
                ),
                range(2),
            )
        )
    assert codes == [202, 409]
    assert settle(sid, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"] != source
    assert api("POST", f"/servers/{sid}/action", json={"confirmResize": None}).status_code == 204
    settle(sid, "ACTIVE")
    live = {"os-migrateLive": {"host": None, "block_migration": True}}
    assert api("POST", f"/servers/{sid}/action", json=live).status_code == 202
    assert settle(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == source
    rows = api("GET", f"/os-migrations?instance_uuid={sid}").json()["migrations"]
    assert [(m["migration_type"], m["status"]) for m in rows] == [
        ("live-migration", "completed"),
        ("resize", "confirmed"),
    ]
    # The live migration copied 16 GiB of guest memory (m1.xlarge): its progress bytes were
    # stored in 64-bit columns, or PostgreSQL would have refused them.
    page = api("GET", f"/os-migrations?limit=1&marker={rows[0]['uuid']}").json()
    assert [m["uuid"] for m in page["migrations"]] == [rows[1]["uuid"]]
    assert api("DELETE", f"/servers/{sid}").status_code == 204
