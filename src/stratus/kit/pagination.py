"""Limit/marker pagination maths shared by repositories and views."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    limit: int | None
    marker: str | None
    sort: tuple[tuple[str, str], ...] = ()


def clamp_limit(limit: int | None, *, max_limit: int = 1000) -> int | None:
    if limit is None:
        return None
    return max(0, min(limit, max_limit))
