"""All SQL of the metadata service: instances by uuid or fixed address, key pairs, passwords,
injected files."""

import datetime as dt

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.compute.metadata.models import InjectedFile, InstancePassword
from stratus.services.compute.models import Instance, KeyPair


async def get_instance(session: AsyncSession, uuid: str) -> Instance | None:
    stmt = select(Instance).where(Instance.uuid == uuid, Instance.deleted.is_(False))
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_instances(
    session: AsyncSession, uuids: list[str], *, project_id: str | None
) -> list[Instance]:
    """The live (not deleted) instances among ``uuids``, in ``project_id`` when given."""
    if not uuids:
        return []
    stmt = select(Instance).where(Instance.uuid.in_(uuids), Instance.deleted.is_(False))
    if project_id is not None:
        stmt = stmt.where(Instance.project_id == project_id)
    return list((await session.execute(stmt)).scalars())


async def get_keypair(session: AsyncSession, user_id: str, name: str) -> KeyPair | None:
    stmt = select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_password(session: AsyncSession, uuid: str) -> str | None:
    row = await session.get(InstancePassword, uuid)
    return row.password if row is not None else None


async def add_password(session: AsyncSession, uuid: str, password: str, now: dt.datetime) -> None:
    session.add(InstancePassword(instance_uuid=uuid, password=password, created_at=now))
    await session.flush()


async def has_kept(session: AsyncSession, uuid: str) -> bool:
    """Whether a password or injected files are kept for ``uuid`` (one query)."""
    stmt = select(
        or_(
            exists().where(InstancePassword.instance_uuid == uuid),
            exists().where(InjectedFile.instance_uuid == uuid),
        )
    )
    return bool((await session.execute(stmt)).scalar())


async def delete_password(session: AsyncSession, uuid: str) -> None:
    await session.execute(delete(InstancePassword).where(InstancePassword.instance_uuid == uuid))


def add_files(session: AsyncSession, uuid: str, files: list[tuple[str, bytes]]) -> None:
    for position, (path, contents) in enumerate(files):
        session.add(
            InjectedFile(instance_uuid=uuid, position=position, path=path, contents=contents)
        )


async def get_files(session: AsyncSession, uuid: str) -> list[tuple[str, bytes]]:
    stmt = (
        select(InjectedFile)
        .where(InjectedFile.instance_uuid == uuid)
        .order_by(InjectedFile.position)
    )
    return [(f.path, f.contents) for f in (await session.execute(stmt)).scalars()]


async def delete_files(session: AsyncSession, uuid: str) -> None:
    await session.execute(delete(InjectedFile).where(InjectedFile.instance_uuid == uuid))
