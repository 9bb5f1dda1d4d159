"""Group types: what kind of generic volume group may be made (name, public or private to
projects, group specs such as ``consistent_group_snapshot_enabled``), and the cloud's
default group type."""

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.db import Database
from stratus.kit.errors import BadRequest, NotFound
from stratus.kit.ids import is_uuid_like, uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import repository as repo
from stratus.services.volume.errors import (
    GroupTypeExists,
    GroupTypeNotFound,
    GroupTypeNotFoundByName,
    InvalidGroupType,
)
from stratus.services.volume.models import GroupType

# cinder reserves this group type for consistency groups migrated to generic groups.
DEFAULT_CGSNAPSHOT_TYPE = "default_cgsnapshot_type"


class GroupTypeService:
    def __init__(self, db: Database, default_name: str | None) -> None:
        self.db = db
        self.default_name = default_name

    async def ensure_cgsnapshot_type(self) -> None:
        """cinder's migrations create the group type consistency groups are made of."""
        async with self.db.session() as s:
            if await repo.get_group_type_by_name(s, DEFAULT_CGSNAPSHOT_TYPE) is None:
                await repo.add(
                    s,
                    GroupType(
                        id=uuid_str(),
                        name=DEFAULT_CGSNAPSHOT_TYPE,
                        description="Default group type for migrating cgsnapshot",
                        is_public=True,
                        group_specs={"consistent_group_snapshot_enabled": "<is> True"},
                        created_at=utcnow(),
                    ),
                )

    async def cgsnapshot_type(self) -> GroupType:
        async with self.db.reader() as s:
            found = await repo.get_group_type_by_name(s, DEFAULT_CGSNAPSHOT_TYPE)
        if found is None:
            raise BadRequest(
                f"Group type {DEFAULT_CGSNAPSHOT_TYPE} not found. Rerun migration script to "
                "create the default cgsnapshot type."
            )
        return found

    # -- lookup ----------------------------------------------------------------------------

    async def find(
        self, s: AsyncSession, ref: str, *, ctx: RequestContext | None = None
    ) -> GroupType:
        """By id, else by name; private types only for admins and projects with access."""
        found = await repo.get_group_type(s, ref) if is_uuid_like(ref) else None
        by_name = False
        if found is None and not is_uuid_like(ref):
            found = await repo.get_group_type_by_name(s, ref)
            by_name = True
        if found is not None and not await self._may_see(s, found, ctx):
            found = None
        if found is None:
            raise GroupTypeNotFoundByName(ref) if by_name else GroupTypeNotFound(ref)
        return found

    @staticmethod
    async def _may_see(s: AsyncSession, t: GroupType, ctx: RequestContext | None) -> bool:
        if ctx is None or t.is_public or ctx.is_admin:
            return True
        return bool(ctx.project_id) and await repo.has_group_type_access(
            s, t.id, ctx.project_id or ""
        )

    async def get(self, ctx: RequestContext, ref: str) -> GroupType:
        async with self.db.reader() as s:
            return await self.find(s, ref, ctx=ctx)

    async def default(self) -> GroupType:
        """The configured ``default_group_type``; 404 when none is configured or it is gone."""
        if not self.default_name:
            raise NotFound("Default group type can not be found.")
        async with self.db.reader() as s:
            found = await repo.get_group_type_by_name(s, self.default_name)
        if found is None:
            raise NotFound("Default group type can not be found.")
        return found

    async def list_types(
        self, ctx: RequestContext, is_public: bool | None, sort: Sequence[tuple[str, str]]
    ) -> list[GroupType]:
        async with self.db.reader() as s:
            if not ctx.is_admin:
                return await repo.list_group_types(
                    s, project_id=ctx.project_id, is_public=None, is_admin=False, sort=sort
                )
            return await repo.list_group_types(
                s, project_id=None, is_public=is_public, is_admin=True, sort=sort
            )

    # -- changes ---------------------------------------------------------------------------

    async def create(
        self,
        *,
        name: str,
        description: str | None,
        is_public: bool,
        group_specs: Mapping[str, str],
    ) -> GroupType:
        async with self.db.session() as s:
            if await repo.get_group_type_by_name(s, name) is not None:
                raise GroupTypeExists(name)
            row = GroupType(
                id=uuid_str(),
                name=name,
                description=description,
                is_public=is_public,
                group_specs=dict(group_specs),
                created_at=utcnow(),
            )
            await repo.add(s, row)
            return row

    async def update(
        self,
        type_id: str,
        *,
        name: str | None,
        description: str | None,
        is_public: bool | None,
    ) -> GroupType:
        async with self.db.session() as s:
            row = await repo.get_group_type(s, type_id)
            if row is None:
                raise GroupTypeNotFound(type_id)
            if name is not None and name != row.name:
                if row.name == DEFAULT_CGSNAPSHOT_TYPE:
                    raise InvalidGroupType(
                        f"Group type {DEFAULT_CGSNAPSHOT_TYPE} is reserved and cannot be renamed."
                    )
                if await repo.get_group_type_by_name(s, name) is not None:
                    raise GroupTypeExists(name)
                row.name = name
            if description is not None:
                row.description = description
            if is_public is not None:
                row.is_public = is_public
            row.updated_at = utcnow()
            return row

    async def delete(self, type_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_group_type(s, type_id)
            if row is None:
                raise GroupTypeNotFound(type_id)
            if await repo.groups_of_type(s, type_id):
                raise InvalidGroupType("Target group type is still in use.")
            await repo.remove(s, row)

    # -- group specs -----------------------------------------------------------------------

    async def specs(self, ctx: RequestContext, type_id: str) -> dict[str, str]:
        async with self.db.reader() as s:
            row = await self.find(s, type_id, ctx=ctx)
            return dict(row.group_specs or {})

    async def set_specs(self, type_id: str, specs: Mapping[str, str]) -> None:
        async with self.db.session() as s:
            row = await repo.get_group_type(s, type_id)
            if row is None:
                raise GroupTypeNotFound(type_id)
            row.group_specs = {**(row.group_specs or {}), **specs}
            row.updated_at = utcnow()

    async def delete_spec(self, type_id: str, key: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_group_type(s, type_id)
            if row is None:
                raise GroupTypeNotFound(type_id)
            specs = dict(row.group_specs or {})
            if key not in specs:
                raise NotFound(f"Group Type {type_id} has no specs with key {key}.")
            del specs[key]
            row.group_specs = specs
            row.updated_at = utcnow()
