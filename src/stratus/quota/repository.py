"""All quota SQL."""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.quota.models import QuotaLimit, QuotaLock


async def lock_project(session: AsyncSession, project_id: str) -> None:
    """Serialise quota checks of one project until the transaction ends."""
    result = await session.execute(
        update(QuotaLock)
        .where(QuotaLock.project_id == project_id)
        .values(counter=QuotaLock.counter + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        try:
            # added inside the savepoint, so a lost race expunges it with the rollback
            async with session.begin_nested():
                session.add(QuotaLock(project_id=project_id, counter=1))
                await session.flush()
        except Exception:  # another transaction created it first: take the lock on theirs
            await session.execute(
                update(QuotaLock)
                .where(QuotaLock.project_id == project_id)
                .values(counter=QuotaLock.counter + 1)
            )


async def overrides(session: AsyncSession, project_id: str) -> dict[str, int]:
    rows = await session.execute(select(QuotaLimit).where(QuotaLimit.project_id == project_id))
    return {row.resource: row.hard_limit for row in rows.scalars()}


async def set_override(session: AsyncSession, project_id: str, resource: str, limit: int) -> None:
    existing = await session.get(QuotaLimit, (project_id, resource))
    if existing is None:
        session.add(QuotaLimit(project_id=project_id, resource=resource, hard_limit=limit))
    else:
        existing.hard_limit = limit


async def clear_overrides(session: AsyncSession, project_id: str, prefix: str) -> None:
    await session.execute(
        delete(QuotaLimit).where(
            QuotaLimit.project_id == project_id, QuotaLimit.resource.startswith(prefix)
        )
    )
