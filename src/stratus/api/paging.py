"""Query helpers for collection GETs: limit/marker, sort keys, field selection, next links."""

from collections.abc import Iterable
from urllib.parse import urlencode

from starlette.requests import Request

from stratus.kit.errors import BadRequest


def limit_marker(request: Request, *, max_limit: int = 1000) -> tuple[int | None, str | None]:
    raw = request.query_params.get("limit")
    limit: int | None = None
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise BadRequest(f"Invalid value for 'limit': {raw!r} is not an integer.") from None
        if limit < 0:
            raise BadRequest("Invalid value for 'limit': it must be >= 0.")
        limit = min(limit, max_limit)
    return limit, request.query_params.get("marker")


def sort_keys(
    request: Request, allowed: Iterable[str], *, default: str = "id"
) -> list[tuple[str, str]]:
    allowed_set = set(allowed)
    keys = request.query_params.getlist("sort_key")
    dirs = request.query_params.getlist("sort_dir")
    out: list[tuple[str, str]] = []
    for i, key in enumerate(keys):
        if key not in allowed_set:
            raise BadRequest(f"Invalid sort key: {key}.")
        direction = dirs[i] if i < len(dirs) else (dirs[0] if dirs else "asc")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {direction}.")
        out.append((key, direction))
    return out or [(default, "asc")]


def fields(request: Request) -> set[str] | None:
    wanted = request.query_params.getlist("fields")
    return set(wanted) if wanted else None


def self_url(request: Request, base_url: str) -> str:
    return f"{base_url}{request.url.path}"


def next_href(request: Request, base_url: str, marker: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", marker))
    return f"{self_url(request, base_url)}?{urlencode(params)}"
