"""All image SQL."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.image.models import (
    Image,
    ImageMember,
    ImageProperty,
    ImageTag,
    ImageTask,
    MetadefItem,
    MetadefNamespace,
    MetadefResourceType,
)

MIB = 1 << 20


@dataclass
class Viewer:
    """Who is listing: their project and whether they see every image (admin)."""

    project_id: str | None
    is_admin: bool


@dataclass
class ImageFilters:
    visibility: str | None = None  # public/private/shared/community/all or None (default)
    member_status: str = "accepted"
    exact: dict[str, Any] = field(default_factory=dict)  # column -> value
    within: dict[str, list[str]] = field(default_factory=dict)  # column -> "in:" values
    tags: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    size_min: int | None = None
    size_max: int | None = None
    times: list[tuple[str, str, dt.datetime]] = field(default_factory=list)  # col, op, when
    os_hidden: bool = False


_SORT_NULL_DEFAULTS: dict[str, Any] = {
    "name": "",
    "status": "",
    "container_format": "",
    "disk_format": "",
    "size": -1,
    "virtual_size": -1,
    "id": "",
    "owner": "",
    "visibility": "",
}


def _sort_expr(key: str) -> Any:
    column = getattr(Image, key)
    if key in _SORT_NULL_DEFAULTS:
        return func.coalesce(column, literal(_SORT_NULL_DEFAULTS[key]))
    return column


def _sort_value(image: Image, key: str) -> Any:
    value = getattr(image, key)
    if value is None and key in _SORT_NULL_DEFAULTS:
        return _SORT_NULL_DEFAULTS[key]
    return value


def _member_of(project_id: str | None, statuses: Sequence[str] | None) -> ColumnElement[bool]:
    if project_id is None:
        return false()
    cond = and_(ImageMember.image_id == Image.id, ImageMember.member == project_id)
    if statuses is not None:
        cond = and_(cond, ImageMember.status.in_(statuses))
    return exists().where(cond)


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Images a caller may see by id (admins see all)."""
    if viewer.is_admin:
        return true()
    owner = Image.owner == viewer.project_id if viewer.project_id else false()
    return or_(
        owner,
        Image.visibility.in_(("public", "community")),
        and_(Image.visibility == "shared", _member_of(viewer.project_id, None)),
    )


def _listing_clause(viewer: Viewer, filters: ImageFilters) -> ColumnElement[bool]:
    statuses = None if filters.member_status == "all" else [filters.member_status]
    owner = Image.owner == viewer.project_id if viewer.project_id else false()
    shared_with_me = and_(Image.visibility == "shared", _member_of(viewer.project_id, statuses))
    vis = filters.visibility
    if viewer.is_admin:
        if vis in (None, "all"):
            return true()
        return Image.visibility == vis
    if vis is None:
        return or_(owner, Image.visibility == "public", shared_with_me)
    if vis == "all":
        return or_(owner, Image.visibility.in_(("public", "community")), shared_with_me)
    if vis == "public":
        return Image.visibility == "public"
    if vis == "community":
        return Image.visibility == "community"
    if vis == "private":
        return and_(Image.visibility == "private", owner)
    # shared: mine, or shared with me
    return and_(Image.visibility == "shared", or_(owner, _member_of(viewer.project_id, statuses)))


def _filter_clauses(filters: ImageFilters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    for column, value in filters.exact.items():
        out.append(getattr(Image, column) == value)
    for column, values in filters.within.items():
        out.append(getattr(Image, column).in_(values))
    for tag in filters.tags:
        out.append(exists().where(and_(ImageTag.image_id == Image.id, ImageTag.value == tag)))
    for name, value in filters.properties.items():
        out.append(
            exists().where(
                and_(
                    ImageProperty.image_id == Image.id,
                    ImageProperty.name == name,
                    ImageProperty.value == value,
                )
            )
        )
    if filters.size_min is not None:
        out.append(Image.size >= filters.size_min)
    if filters.size_max is not None:
        out.append(Image.size <= filters.size_max)
    for column, op, when in filters.times:
        col = getattr(Image, column)
        # The API shows whole seconds (as Glance stores them): a time given matches the
        # whole second it names, so eq: finds the image a client just read.
        start = when.replace(microsecond=0)
        end = start + dt.timedelta(seconds=1)
        out.append(
            {
                "gt": col >= end,
                "gte": col >= start,
                "lt": col < start,
                "lte": col < end,
                "eq": and_(col >= start, col < end),
                "neq": or_(col < start, col >= end),
            }[op]
        )
    out.append(Image.os_hidden == filters.os_hidden if filters.os_hidden else not_(Image.os_hidden))
    return out


async def get(session: AsyncSession, image_id: str, viewer: Viewer | None = None) -> Image | None:
    stmt = select(Image).where(Image.id == image_id)
    if viewer is not None:
        stmt = stmt.where(visible_clause(viewer))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, image_id: str) -> Image | None:
    stmt = select(Image).where(Image.id == image_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_images(
    session: AsyncSession,
    viewer: Viewer,
    filters: ImageFilters,
    *,
    sort: list[tuple[str, str]],
    limit: int,
    marker: Image | None,
) -> list[Image]:
    stmt = select(Image).where(_listing_clause(viewer, filters), *_filter_clauses(filters))
    keys = list(sort)
    names = [k for k, _ in keys]
    if "created_at" not in names:
        keys.append(("created_at", "desc"))
    if "id" not in names:
        keys.append(("id", "desc"))
    if marker is not None:
        alternatives = []
        for i, (key, direction) in enumerate(keys):
            parts = [_sort_expr(k) == _sort_value(marker, k) for k, _ in keys[:i]]
            expr = _sort_expr(key)
            value = _sort_value(marker, key)
            parts.append(expr > value if direction == "asc" else expr < value)
            alternatives.append(and_(*parts))
        stmt = stmt.where(or_(*alternatives))
    for key, direction in keys:
        expr = _sort_expr(key)
        stmt = stmt.order_by(expr.asc() if direction == "asc" else expr.desc())
    stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def properties(session: AsyncSession, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = await session.execute(select(ImageProperty).where(ImageProperty.image_id.in_(ids)))
    for prop in rows.scalars():
        out[prop.image_id][prop.name] = prop.value
    return out


async def tags(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await session.execute(
        select(ImageTag).where(ImageTag.image_id.in_(ids)).order_by(ImageTag.value)
    )
    for tag in rows.scalars():
        out[tag.image_id].append(tag.value)
    return out


async def set_properties(session: AsyncSession, image_id: str, props: dict[str, str]) -> None:
    await session.execute(delete(ImageProperty).where(ImageProperty.image_id == image_id))
    for name, value in props.items():
        session.add(ImageProperty(image_id=image_id, name=name, value=value))
    await session.flush()


async def set_tags(session: AsyncSession, image_id: str, values: Sequence[str]) -> None:
    await session.execute(delete(ImageTag).where(ImageTag.image_id == image_id))
    for value in dict.fromkeys(values):
        session.add(ImageTag(image_id=image_id, value=value))
    await session.flush()


async def add(session: AsyncSession, image: Image) -> None:
    session.add(image)
    await session.flush()


async def remove(session: AsyncSession, image: Image) -> None:
    for model in (ImageProperty, ImageTag, ImageMember):
        await session.execute(delete(model).where(model.image_id == image.id))
    await session.delete(image)
    await session.flush()


async def count_owned(session: AsyncSession, project_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(Image).where(Image.owner == project_id)
    )
    return int(result.scalar_one())


async def count_uploading(session: AsyncSession, project_id: str) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(Image)
        .where(Image.owner == project_id, Image.status.in_(("saving", "uploading", "importing")))
    )
    return int(result.scalar_one())


async def bytes_owned(session: AsyncSession, project_id: str) -> int:
    result = await session.execute(
        select(func.coalesce(func.sum(Image.size), 0)).where(
            Image.owner == project_id, Image.location.is_not(None)
        )
    )
    return int(result.scalar_one() or 0)


async def staged_bytes(session: AsyncSession, project_id: str) -> int:
    result = await session.execute(
        select(func.coalesce(func.sum(Image.size), 0)).where(
            Image.owner == project_id, Image.staged.is_not(None)
        )
    )
    return int(result.scalar_one() or 0)


# -- members -----------------------------------------------------------------------------


async def members(session: AsyncSession, image_id: str) -> list[ImageMember]:
    rows = await session.execute(
        select(ImageMember)
        .where(ImageMember.image_id == image_id)
        .order_by(ImageMember.created_at, ImageMember.member)
    )
    return list(rows.scalars())


async def member(session: AsyncSession, image_id: str, member_id: str) -> ImageMember | None:
    rows = await session.execute(
        select(ImageMember).where(ImageMember.image_id == image_id, ImageMember.member == member_id)
    )
    return rows.scalar_one_or_none()


async def add_member(session: AsyncSession, entry: ImageMember) -> None:
    session.add(entry)
    await session.flush()


async def remove_member(session: AsyncSession, entry: ImageMember) -> None:
    await session.delete(entry)
    await session.flush()


async def count_members(session: AsyncSession, image_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(ImageMember).where(ImageMember.image_id == image_id)
    )
    return int(result.scalar_one())


# -- metadata definitions ----------------------------------------------------------------


async def namespaces(session: AsyncSession, viewer: Viewer) -> list[MetadefNamespace]:
    stmt = select(MetadefNamespace).order_by(MetadefNamespace.namespace)
    if not viewer.is_admin:
        stmt = stmt.where(
            or_(
                MetadefNamespace.visibility == "public",
                MetadefNamespace.owner == viewer.project_id,
            )
        )
    return list((await session.execute(stmt)).scalars())


async def namespace(
    session: AsyncSession, name: str, viewer: Viewer | None = None
) -> MetadefNamespace | None:
    stmt = select(MetadefNamespace).where(MetadefNamespace.namespace == name)
    if viewer is not None and not viewer.is_admin:
        stmt = stmt.where(
            or_(
                MetadefNamespace.visibility == "public",
                MetadefNamespace.owner == viewer.project_id,
            )
        )
    return (await session.execute(stmt)).scalar_one_or_none()


async def items(
    session: AsyncSession, namespace_ids: Sequence[int], kind: str
) -> list[MetadefItem]:
    if not namespace_ids:
        return []
    stmt = (
        select(MetadefItem)
        .where(MetadefItem.namespace_id.in_(namespace_ids), MetadefItem.kind == kind)
        .order_by(MetadefItem.created_at, MetadefItem.name)
    )
    return list((await session.execute(stmt)).scalars())


async def item(
    session: AsyncSession, namespace_id: int, kind: str, name: str
) -> MetadefItem | None:
    return await session.get(MetadefItem, (namespace_id, kind, name))


async def remove_items(session: AsyncSession, namespace_id: int, kind: str | None) -> None:
    stmt = delete(MetadefItem).where(MetadefItem.namespace_id == namespace_id)
    if kind is not None:
        stmt = stmt.where(MetadefItem.kind == kind)
    await session.execute(stmt)


async def resource_types(session: AsyncSession) -> list[MetadefResourceType]:
    rows = await session.execute(select(MetadefResourceType).order_by(MetadefResourceType.name))
    return list(rows.scalars())


async def resource_type(session: AsyncSession, name: str) -> MetadefResourceType | None:
    return await session.get(MetadefResourceType, name)


async def add_metadef(session: AsyncSession, row: MetadefNamespace | MetadefItem) -> None:
    session.add(row)
    await session.flush()


async def task(session: AsyncSession, task_id: str) -> ImageTask | None:
    return await session.get(ImageTask, task_id)


async def tasks(session: AsyncSession, viewer: Viewer) -> list[ImageTask]:
    stmt = select(ImageTask).order_by(ImageTask.created_at.desc(), ImageTask.id)
    if not viewer.is_admin:
        stmt = stmt.where(ImageTask.owner == viewer.project_id)
    return list((await session.execute(stmt)).scalars())


async def image_tasks(session: AsyncSession, image_id: str) -> list[ImageTask]:
    stmt = (
        select(ImageTask)
        .where(ImageTask.image_id == image_id)
        .order_by(ImageTask.created_at, ImageTask.id)
    )
    return list((await session.execute(stmt)).scalars())


async def add_task(session: AsyncSession, row: ImageTask) -> None:
    session.add(row)
    await session.flush()
