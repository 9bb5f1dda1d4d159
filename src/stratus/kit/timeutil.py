"""UTC time and the timestamp formats upstream services emit."""

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC now: databases store naive UTC, as upstream does."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def as_naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def isotime_z_micro(value: dt.datetime) -> str:
    """Keystone token style: 2015-08-27T09:49:58.000000Z."""
    return as_naive_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def isotime_z(value: dt.datetime) -> str:
    """Second precision with Z: 2015-08-27T09:49:58Z."""
    return as_naive_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def isotime_plain(value: dt.datetime) -> str:
    """Microsecond precision without zone: 2015-08-27T09:49:58.000000."""
    return as_naive_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_isotime(text: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp (Z or offset or naive) into naive UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    return as_naive_utc(parsed)
