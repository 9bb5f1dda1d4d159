"""A collection GET as the service sees it: filters, tag filters, sorting, paging, fields."""

from dataclasses import dataclass, field


@dataclass(slots=True)
class Query:
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    tags: list[str] = field(default_factory=list)
    tags_any: list[str] = field(default_factory=list)
    not_tags: list[str] = field(default_factory=list)
    not_tags_any: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
