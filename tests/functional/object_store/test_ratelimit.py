"""Swift's ratelimit middleware: configured in settings (``object_store.ratelimit``), container
PUT/DELETE per account, object writes and listings per container, 498 "Slow down" when the
wait would pass max_sleep_time_seconds, 497 for a blacklisted account, published in /info."""

import time
from pathlib import Path

import pytest
from tests.functional.object_store.conftest import swift_clients

from stratus.services.object_store.config import RateLimitConfig
from stratus.services.object_store.ratelimit import RateLimiter, SlowDown, max_rate

A = "/v1/AUTH_p-demo"


def test_config_reads_swift_option_names() -> None:
    conf = RateLimitConfig.model_validate(
        {
            "account_ratelimit": "2",
            "container_ratelimit_100": 50,
            "container_ratelimit_0": 100,
            "container_listing_ratelimit_10": 5,
            "account_blacklist": "AUTH_a, AUTH_b",
        }
    )
    assert conf.account_ratelimit == 2.0
    assert conf.container_ratelimits == [(0, 100.0), (100, 50.0)]
    assert conf.container_listing_ratelimits == [(10, 5.0)]
    assert conf.account_blacklist == ["AUTH_a", "AUTH_b"]
    with pytest.raises(ValueError):
        RateLimitConfig.model_validate({"container_ratelimit_x": 1})
    with pytest.raises(ValueError):
        RateLimitConfig.model_validate({"no_such_option": 1})


def test_rate_interpolated_between_sizes() -> None:
    limits = [(10, 100.0), (50, 20.0), (100, 10.0)]
    assert max_rate(limits, 0) is None
    assert max_rate(limits, 5) is None
    assert max_rate(limits, 10) == 100.0
    assert max_rate(limits, 30) == 60.0
    assert max_rate(limits, 75) == 15.0
    assert max_rate(limits, 5000) == 10.0


def test_sleep_times_follow_the_rate() -> None:
    now = [1000.0]
    limiter = RateLimiter(
        RateLimitConfig(account_ratelimit=10, max_sleep_time_seconds=1), clock=lambda: now[0]
    )
    # Ten per second: back-to-back requests wait 0, 0.1, 0.2, ... seconds.
    waits = [limiter.sleep_time("k", 10) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # Past max_sleep_time_seconds: refused, and the refused request is not counted.
    for _ in range(5):
        limiter.sleep_time("k", 10)
    with pytest.raises(SlowDown):
        limiter.sleep_time("k", 10)
    with pytest.raises(SlowDown):
        limiter.sleep_time("k", 10)
    # Time passes: room again.
    now[0] += 0.5
    assert limiter.sleep_time("k", 10) == pytest.approx(0.5)
    # Idle past rate_buffer_seconds: counting starts afresh.
    now[0] += 60
    assert limiter.sleep_time("k", 10) == 0.0


def test_which_requests_count() -> None:
    limiter = RateLimiter(
        RateLimitConfig(
            account_ratelimit=1,
            container_ratelimits=[(1, 5.0)],
            container_listing_ratelimits=[(1, 7.0)],
        )
    )
    assert limiter.keys("PUT", "AUTH_a", "c", None, 0) == [("ratelimit/AUTH_a", 1.0)]
    assert limiter.keys("DELETE", "AUTH_a", "c", None, 0) == [("ratelimit/AUTH_a", 1.0)]
    assert limiter.keys("POST", "AUTH_a", "c", None, 0) == []
    assert limiter.keys("GET", "AUTH_a", None, None, 0) == []
    assert limiter.keys("PUT", "AUTH_a", "c", "o", 3) == [("ratelimit/AUTH_a/c", 5.0)]
    assert limiter.keys("COPY", "AUTH_a", "c", "o", 3) == [("ratelimit/AUTH_a/c", 5.0)]
    assert limiter.keys("PUT", "AUTH_a", "c", "o", 0) == []
    assert limiter.keys("GET", "AUTH_a", "c", "o", 3) == []
    assert limiter.keys("GET", "AUTH_a", "c", None, 3) == [("ratelimit_listing/AUTH_a/c", 7.0)]


@pytest.mark.parametrize("db_url", [None], indirect=False)
async def test_container_writes_slowed_down(tmp_path: Path, db_url: str | None) -> None:
    # One container PUT/DELETE per 100 s and at most 1 s of waiting: the second is refused.
    settings = {
        "object_store": {"ratelimit": {"account_ratelimit": 0.01, "max_sleep_time_seconds": 1}}
    }
    async with swift_clients(tmp_path, db_url, **settings) as api:
        info = (await api.anon.get("/info")).json()
        assert info["ratelimit"]["account_ratelimit"] == 0.01
        assert info["ratelimit"]["max_sleep_time_seconds"] == 1
        assert (await api.demo.put(A + "/first")).status_code == 201
        r = await api.demo.put(A + "/second")
        assert r.status_code == 498
        assert r.text == "Slow down"
        # Refused before anything happened; other accounts have their own budget.
        assert (await api.demo.head(A + "/second")).status_code == 404
        assert (await api.alt.put("/v1/AUTH_p-alt/second")).status_code == 201
        # Reads and object writes are not counted against the account rate.
        assert (await api.demo.get(A + "/first")).status_code == 204
        assert (await api.demo.put(A + "/first/o", content=b"x")).status_code == 201
        assert (await api.demo.put(A + "/first/p", content=b"y")).status_code == 201
        assert (await api.demo.delete(A + "/first/o")).status_code == 204
        # Even an anonymous caller is counted (the middleware runs before auth).
        assert (await api.anon.put(A + "/third")).status_code == 498


@pytest.mark.parametrize("db_url", [None], indirect=False)
async def test_object_writes_by_container_size(tmp_path: Path, db_url: str | None) -> None:
    settings = {
        "object_store": {
            "ratelimit": {
                "container_ratelimit_2": 0.01,
                "container_listing_ratelimit_2": 0.01,
                "max_sleep_time_seconds": 1,
            }
        }
    }
    async with swift_clients(tmp_path, db_url, **settings) as api:
        assert (await api.demo.put(A + "/c")).status_code == 201
        # Below the first size configured: not limited.
        for name in ("a", "b"):
            assert (await api.demo.put(f"{A}/c/{name}", content=b"1")).status_code == 201
        # Two objects now: one write per 100 s.
        assert (await api.demo.put(A + "/c/d", content=b"1")).status_code == 201
        r = await api.demo.put(A + "/c/e", content=b"1")
        assert r.status_code == 498
        assert (await api.demo.head(A + "/c/e")).status_code == 404
        assert (await api.demo.delete(A + "/c/a")).status_code == 498
        assert (await api.demo.head(A + "/c/a")).status_code == 200
        # Object reads are never limited; listings by their own rate.
        assert (await api.demo.get(A + "/c/a")).status_code == 200
        assert (await api.demo.get(A + "/c")).status_code == 200
        assert (await api.demo.get(A + "/c")).status_code == 498


@pytest.mark.parametrize("db_url", [None], indirect=False)
async def test_blacklisted_account(tmp_path: Path, db_url: str | None) -> None:
    settings = {"object_store": {"ratelimit": {"account_blacklist": "AUTH_p-demo"}}}
    async with swift_clients(tmp_path, db_url, **settings) as api:
        r = await api.demo.get(A + "/c")
        assert r.status_code == 497
        assert r.text == "Your account has been blacklisted"
        assert (await api.alt.put("/v1/AUTH_p-alt/c")).status_code == 201


@pytest.mark.parametrize("db_url", [None], indirect=False)
async def test_off_by_default(tmp_path: Path, db_url: str | None) -> None:
    async with swift_clients(tmp_path, db_url) as api:
        info = (await api.anon.get("/info")).json()
        assert info["ratelimit"] == {
            "account_ratelimit": 0.0,
            "max_sleep_time_seconds": 60.0,
            "container_ratelimits": [],
            "container_listing_ratelimits": [],
        }
        for i in range(5):
            assert (await api.demo.put(f"{A}/c{i}")).status_code == 201


@pytest.mark.parametrize("db_url", [None], indirect=False)
async def test_requests_wait_their_turn(tmp_path: Path, db_url: str | None) -> None:
    # Two per second and a minute of patience: the second PUT is delayed, not refused.
    settings = {"object_store": {"ratelimit": {"account_ratelimit": 2}}}
    async with swift_clients(tmp_path, db_url, **settings) as api:
        started = time.monotonic()
        assert (await api.demo.put(A + "/one")).status_code == 201
        assert (await api.demo.put(A + "/two")).status_code == 201
        assert (await api.demo.put(A + "/three")).status_code == 201
        # Three requests at two per second take at least a second (a lower bound only).
        assert time.monotonic() - started >= 0.99
