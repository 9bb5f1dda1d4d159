"""All object storage SQL."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.object_store.models import Account, Container, StoredObject


async def account(session: AsyncSession, name: str) -> Account | None:
    return await session.get(Account, name)


async def ensure_account(session: AsyncSession, name: str, now: float) -> Account:
    row = await session.get(Account, name)
    if row is None:
        row = Account(name=name, meta={}, created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
    return row


async def account_totals(session: AsyncSession, name: str) -> tuple[int, int, int]:
    """(containers, objects, bytes) of an account."""
    result = await session.execute(
        select(
            func.count(Container.id),
            func.coalesce(func.sum(Container.object_count), 0),
            func.coalesce(func.sum(Container.bytes_used), 0),
        ).where(Container.account == name)
    )
    count, objects, used = result.one()
    return int(count), int(objects), int(used)


async def container(session: AsyncSession, account_name: str, name: str) -> Container | None:
    result = await session.execute(
        select(Container).where(Container.account == account_name, Container.name == name)
    )
    return result.scalar_one_or_none()


async def add(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()


async def delete_row(session: AsyncSession, row: Any) -> None:
    await session.delete(row)
    await session.flush()


async def list_containers(
    session: AsyncSession,
    account_name: str,
    *,
    prefix: str | None,
    marker: str | None,
    end_marker: str | None,
    reverse: bool,
    limit: int,
) -> list[Container]:
    stmt = select(Container).where(Container.account == account_name)
    name = _bytewise(session, Container.name)
    stmt = _window(stmt, name, prefix, marker, end_marker, reverse)
    stmt = stmt.order_by(name.desc() if reverse else name.asc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


def _bytewise(session: AsyncSession, column: Any) -> Any:
    """Swift lists names in byte order; PostgreSQL needs the "C" collation for that
    (SQLite compares bytes already)."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return column.collate("C")
    return column


def _window(
    stmt: Any,
    column: Any,
    prefix: str | None,
    marker: str | None,
    end_marker: str | None,
    reverse: bool,
) -> Any:
    if prefix:
        stmt = stmt.where(column >= prefix, column < prefix + "\U0010ffff")
    if reverse:
        if marker:
            stmt = stmt.where(column < marker)
        if end_marker:
            stmt = stmt.where(column > end_marker)
    else:
        if marker:
            stmt = stmt.where(column > marker)
        if end_marker:
            stmt = stmt.where(column < end_marker)
    return stmt


async def list_objects(
    session: AsyncSession,
    container_id: int,
    *,
    prefix: str | None,
    marker: str | None,
    end_marker: str | None,
    reverse: bool,
    limit: int,
) -> list[StoredObject]:
    stmt = select(StoredObject).where(StoredObject.container_id == container_id)
    name = _bytewise(session, StoredObject.name)
    stmt = _window(stmt, name, prefix, marker, end_marker, reverse)
    stmt = stmt.order_by(name.desc() if reverse else name.asc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_object(session: AsyncSession, container_id: int, name: str) -> StoredObject | None:
    result = await session.execute(
        select(StoredObject).where(
            StoredObject.container_id == container_id, StoredObject.name == name
        )
    )
    return result.scalar_one_or_none()


async def count_bump(session: AsyncSession, container_id: int, objects: int, size: int) -> None:
    await session.execute(
        update(Container)
        .where(Container.id == container_id)
        .values(
            object_count=Container.object_count + objects,
            bytes_used=Container.bytes_used + size,
        )
    )


async def expired(session: AsyncSession, container_id: int, now: float) -> list[StoredObject]:
    result = await session.execute(
        select(StoredObject).where(
            and_(
                StoredObject.container_id == container_id,
                StoredObject.delete_at.is_not(None),
                StoredObject.delete_at <= now,
            )
        )
    )
    return list(result.scalars())


async def remove_objects(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(StoredObject).where(StoredObject.id.in_(ids)))
