"""All identity SQL."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db.base import Base
from stratus.services.identity.models import (
    Assignment,
    Endpoint,
    ImpliedRole,
    Membership,
    Password,
    Project,
    ProjectTag,
    RevocationEvent,
    Role,
    Service,
    User,
)

T = TypeVar("T", bound=Base)


async def get(session: AsyncSession, model: type[T], key: Any) -> T | None:
    return await session.get(model, key)


async def find(session: AsyncSession, model: type[T], **where: Any) -> list[T]:
    stmt = select(model)
    for column, value in where.items():
        attr = getattr(model, column)
        if isinstance(value, (list, tuple, set, frozenset)):
            stmt = stmt.where(attr.in_(list(value)))
        else:
            stmt = stmt.where(attr == value)
    return list((await session.execute(stmt)).scalars())


async def find_one(session: AsyncSession, model: type[T], **where: Any) -> T | None:
    rows = await find(session, model, **where)
    return rows[0] if rows else None


async def add(session: AsyncSession, row: Base) -> None:
    session.add(row)
    await session.flush()


async def remove(session: AsyncSession, row: Base) -> None:
    await session.delete(row)
    await session.flush()


async def count(session: AsyncSession, model: type[T], **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return int((await session.execute(stmt)).scalar_one())


# -- projects -------------------------------------------------------------------------------


async def project_tags(session: AsyncSession, project_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(project_ids)
    out: dict[str, list[str]] = {pid: [] for pid in ids}
    if not ids:
        return out
    rows = await session.execute(select(ProjectTag).where(ProjectTag.project_id.in_(ids)))
    for tag in rows.scalars():
        out[tag.project_id].append(tag.name)
    for tags in out.values():
        tags.sort()
    return out


async def set_project_tags(session: AsyncSession, project_id: str, tags: Sequence[str]) -> None:
    await session.execute(delete(ProjectTag).where(ProjectTag.project_id == project_id))
    for name in dict.fromkeys(tags):
        session.add(ProjectTag(project_id=project_id, name=name))
    await session.flush()


async def projects_with_tags(
    session: AsyncSession,
    *,
    all_of: Sequence[str] = (),
    any_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    not_any_of: Sequence[str] = (),
) -> set[str] | None:
    """Project ids matching tag filters; None when no tag filter applies."""
    if not (all_of or any_of or none_of or not_any_of):
        return None
    rows = await session.execute(select(ProjectTag.project_id, ProjectTag.name))
    tags: dict[str, set[str]] = {}
    for pid, name in rows:
        tags.setdefault(pid, set()).add(name)
    all_projects = {p for (p,) in await session.execute(select(Project.id))}
    result = set()
    for pid in all_projects:
        have = tags.get(pid, set())
        if all_of and not set(all_of) <= have:
            continue
        if any_of and not set(any_of) & have:
            continue
        if none_of and set(none_of) <= have:
            continue
        if not_any_of and set(not_any_of) & have:
            continue
        result.add(pid)
    return result


async def children(session: AsyncSession, parent_id: str) -> list[Project]:
    return await find(session, Project, parent_id=parent_id)


# -- users and passwords --------------------------------------------------------------------


async def passwords(session: AsyncSession, user_id: str) -> list[Password]:
    rows = await session.execute(
        select(Password).where(Password.user_id == user_id).order_by(Password.id.desc())
    )
    return list(rows.scalars())


async def trim_passwords(session: AsyncSession, user_id: str, keep: int) -> None:
    history = await passwords(session, user_id)
    for old in history[max(keep, 1) :]:
        await session.delete(old)


async def group_ids_of(session: AsyncSession, user_id: str) -> list[str]:
    rows = await session.execute(select(Membership.group_id).where(Membership.user_id == user_id))
    return [gid for (gid,) in rows]


async def users_in_group(session: AsyncSession, group_id: str) -> list[User]:
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group_id)
    )
    return list(rows.scalars())


# -- roles and assignments ------------------------------------------------------------------


async def implied_pairs(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(ImpliedRole.prior_role_id, ImpliedRole.implied_role_id))
    return [(a, b) for a, b in rows]


async def assignments(
    session: AsyncSession,
    *,
    actor_ids: Iterable[str] | None = None,
    target_ids: Iterable[str] | None = None,
    role_ids: Iterable[str] | None = None,
    types: Iterable[str] | None = None,
    inherited: bool | None = None,
) -> list[Assignment]:
    stmt = select(Assignment)
    if actor_ids is not None:
        stmt = stmt.where(Assignment.actor_id.in_(list(actor_ids)))
    if target_ids is not None:
        stmt = stmt.where(Assignment.target_id.in_(list(target_ids)))
    if role_ids is not None:
        stmt = stmt.where(Assignment.role_id.in_(list(role_ids)))
    if types is not None:
        stmt = stmt.where(Assignment.type.in_(list(types)))
    if inherited is not None:
        stmt = stmt.where(Assignment.inherited == inherited)
    return list((await session.execute(stmt)).scalars())


async def delete_assignments(session: AsyncSession, **where: Any) -> None:
    stmt = delete(Assignment)
    for column, value in where.items():
        stmt = stmt.where(getattr(Assignment, column) == value)
    await session.execute(stmt)


async def roles_by_ids(session: AsyncSession, ids: Iterable[str]) -> dict[str, Role]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(Role).where(Role.id.in_(wanted)))
    return {r.id: r for r in rows.scalars()}


# -- catalog --------------------------------------------------------------------------------


async def catalog_rows(session: AsyncSession) -> list[tuple[Service, Endpoint]]:
    rows = await session.execute(
        select(Service, Endpoint)
        .join(Endpoint, Endpoint.service_id == Service.id)
        .where(Service.enabled.is_(True), Endpoint.enabled.is_(True))
    )
    return [(s, e) for s, e in rows]


# -- revocation -----------------------------------------------------------------------------


async def revocations_since(session: AsyncSession, since: dt.datetime) -> list[RevocationEvent]:
    rows = await session.execute(
        select(RevocationEvent).where(
            RevocationEvent.issued_before >= since,
            or_(RevocationEvent.expires_at.is_(None), RevocationEvent.expires_at >= since),
        )
    )
    return list(rows.scalars())


async def prune_revocations(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(delete(RevocationEvent).where(RevocationEvent.revoked_at < before))
