"""Volume types: extra specs, project access for private types, encryption types, the
cloud's and each project's default type."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.db import Database
from stratus.kit.errors import NotFound
from stratus.kit.ids import is_uuid_like, uuid_str
from stratus.kit.timeutil import utcnow
from stratus.quota import QuotaEngine
from stratus.services.volume import quota
from stratus.services.volume import repository as repo
from stratus.services.volume.errors import (
    InvalidInput,
    InvalidVolumeType,
    QosSpecsNotFound,
    VolumeTypeExists,
    VolumeTypeInUse,
    VolumeTypeNotFound,
)
from stratus.services.volume.models import VolumeDefaultType, VolumeType, VolumeTypeAccess

ENCRYPTION_LOCATIONS = ("front-end", "back-end")


def check_specs(specs: Any) -> dict[str, str]:
    if not isinstance(specs, dict):
        raise InvalidInput("extra_specs must be an object.")
    out: dict[str, str] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise InvalidInput(f"Invalid extra spec key {key!r}.")
        if isinstance(value, bool):
            value = str(value)
        if not isinstance(value, (str, int, float)) or len(str(value)) > 255:
            raise InvalidInput(f"Invalid extra spec value for {key}.")
        out[key] = str(value)
    return out


class TypeService:
    def __init__(self, db: Database, engine: QuotaEngine, default_name: str) -> None:
        self.db = db
        self.engine = engine
        self.default_name = default_name

    async def ensure_default(self) -> None:
        """cinder creates ``__DEFAULT__`` in its migrations; we create the configured one."""
        async with self.db.session() as s:
            existing = await repo.get_type_by_name(s, self.default_name)
            if existing is None:
                existing = VolumeType(
                    id=uuid_str(),
                    name=self.default_name,
                    description="Default Volume Type",
                    is_public=True,
                    extra_specs={},
                    created_at=utcnow(),
                )
                await repo.add(s, existing)
            types = await repo.list_types(s, project_id=None, is_public=None, is_admin=True)
        for t in types:
            quota.register_type(self.engine, t.id, t.name)

    # -- lookup ----------------------------------------------------------------------------

    async def find(
        self, s: AsyncSession, ref: str, *, ctx: RequestContext | None = None
    ) -> VolumeType:
        """By id, else by name; private types only for admins and projects with access."""
        found = await repo.get_type(s, ref) if is_uuid_like(ref) else None
        if found is None:
            found = await repo.get_type_by_name(s, ref)
        if found is None:
            raise VolumeTypeNotFound(ref)
        if (
            ctx is not None
            and not found.is_public
            and not ctx.is_admin
            and (not ctx.project_id or not await repo.has_type_access(s, found.id, ctx.project_id))
        ):
            raise VolumeTypeNotFound(ref)
        return found

    async def default_for(self, s: AsyncSession, project_id: str | None) -> VolumeType:
        if project_id:
            chosen = await repo.default_type_of(s, project_id)
            if chosen is not None:
                t = await repo.get_type(s, chosen.volume_type_id)
                if t is not None:
                    return t
        t = await repo.get_type_by_name(s, self.default_name)
        if t is None:
            raise VolumeTypeNotFound(self.default_name)
        return t

    async def get(self, ctx: RequestContext, ref: str) -> VolumeType:
        async with self.db.reader() as s:
            if ref == "default":
                return await self.default_for(s, ctx.project_id)
            return await self.find(s, ref, ctx=ctx)

    async def list_types(self, ctx: RequestContext, is_public: bool | None) -> list[VolumeType]:
        async with self.db.reader() as s:
            if not ctx.is_admin:
                # public types and the private ones shared with the caller's project
                return await repo.list_types(
                    s, project_id=ctx.project_id, is_public=None, is_admin=False
                )
            if is_public is True and ctx.project_id:
                return await repo.list_types(
                    s, project_id=ctx.project_id, is_public=None, is_admin=False
                )
            return await repo.list_types(s, project_id=None, is_public=is_public, is_admin=True)

    # -- changes ---------------------------------------------------------------------------

    async def create(
        self,
        *,
        name: str,
        description: str | None,
        is_public: bool,
        extra_specs: Mapping[str, str],
    ) -> VolumeType:
        async with self.db.session() as s:
            if await repo.get_type_by_name(s, name) is not None:
                raise VolumeTypeExists(name)
            row = VolumeType(
                id=uuid_str(),
                name=name,
                description=description,
                is_public=is_public,
                extra_specs=dict(extra_specs),
                created_at=utcnow(),
            )
            await repo.add(s, row)
        quota.register_type(self.engine, row.id, row.name)
        return row

    async def update(
        self,
        type_id: str,
        *,
        name: str | None,
        description: str | None,
        description_set: bool,
        is_public: bool | None,
    ) -> VolumeType:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if name is not None and name != row.name:
                if row.name == self.default_name:
                    raise InvalidVolumeType("The default volume type cannot be renamed.")
                if await repo.get_type_by_name(s, name) is not None:
                    raise VolumeTypeExists(name)
                row.name = name
            if description_set:
                row.description = description
            if is_public is not None:
                row.is_public = is_public
            row.updated_at = utcnow()
        quota.register_type(self.engine, row.id, row.name)
        return row

    async def delete(self, type_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if row.name == self.default_name:
                raise InvalidVolumeType("Default volume type can not be deleted.")
            if await repo.volumes_of_type(s, type_id) or await repo.groups_using_volume_type(
                s, type_id
            ):
                raise VolumeTypeInUse(type_id)
            if await repo.count_default_type_uses(s, type_id):
                raise InvalidVolumeType(
                    f"Volume type {type_id} is the default volume type of a project: it "
                    "cannot be deleted."
                )
            await repo.remove(s, row)

    async def set_specs(self, type_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if specs and await repo.volumes_of_type(s, type_id):
                # cinder refuses changes of a type in use only for some keys; we follow its
                # default (allowed) and keep specs editable.
                pass
            row.extra_specs = {**row.extra_specs, **specs}
            row.updated_at = utcnow()
            return dict(row.extra_specs)

    async def delete_spec(self, type_id: str, key: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if key not in row.extra_specs:
                raise NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")
            specs = dict(row.extra_specs)
            del specs[key]
            row.extra_specs = specs

    # -- access ----------------------------------------------------------------------------

    async def access(self, type_id: str) -> list[str]:
        async with self.db.reader() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if row.is_public:
                raise NotFound(f"Volume type access for {type_id} is not found (public type).")
            return await repo.type_access(s, type_id)

    async def add_access(self, type_id: str, project_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if row.is_public:
                raise InvalidVolumeType(
                    "Invalid volume type: Type access modification is not "
                    "applicable to public volume type."
                )
            if await repo.has_type_access(s, type_id, project_id):
                from stratus.kit.errors import Conflict

                raise Conflict(
                    f"Volume type access for {type_id} / {project_id} combination already exists."
                )
            await repo.add(s, VolumeTypeAccess(volume_type_id=type_id, project_id=project_id))

    async def remove_access(self, type_id: str, project_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if row.is_public:
                raise InvalidVolumeType(
                    "Type access modification is not applicable to public volume type."
                )
            if not await repo.remove_type_access(s, type_id, project_id):
                raise NotFound(
                    f"Volume type access not found for {type_id} / {project_id} combination."
                )

    # -- encryption ------------------------------------------------------------------------

    async def encryption(self, type_id: str) -> dict[str, Any] | None:
        async with self.db.reader() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            return dict(row.encryption) if row.encryption else None

    async def set_encryption(
        self, type_id: str, values: Mapping[str, Any], *, create: bool
    ) -> dict[str, Any]:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if await repo.volumes_of_type(s, type_id):
                raise InvalidVolumeType(
                    "Cannot create or update encryption specs of a volume type in use."
                    if create
                    else "Cannot update encryption specs. Volume type in use."
                )
            if create and row.encryption:
                from stratus.kit.errors import Conflict

                raise Conflict(f"Volume type encryption for type {type_id} already exists.")
            if not create and not row.encryption:
                raise NotFound(f"Volume type encryption for type {type_id} does not exist.")
            merged = {**(row.encryption or {}), **dict(values)}
            if not merged.get("provider"):
                raise InvalidInput("provider must be specified.")
            location = merged.get("control_location", "front-end")
            if location not in ENCRYPTION_LOCATIONS:
                raise InvalidInput(f"Valid control location are: {list(ENCRYPTION_LOCATIONS)}")
            key_size = merged.get("key_size")
            if key_size is not None and (
                isinstance(key_size, bool) or not isinstance(key_size, int) or key_size < 0
            ):
                raise InvalidInput("key_size must be a non-negative integer.")
            merged.setdefault("cipher", None)
            merged.setdefault("key_size", None)
            merged["control_location"] = location
            now = utcnow().isoformat()
            merged.setdefault("created_at", now)
            merged["updated_at"] = now if not create else None
            merged["encryption_id"] = merged.get("encryption_id") or uuid_str()
            row.encryption = merged
            return dict(merged)

    async def delete_encryption(self, type_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if not row.encryption:
                raise NotFound(f"Volume type encryption for type {type_id} does not exist.")
            if await repo.volumes_of_type(s, type_id):
                raise InvalidVolumeType("Cannot delete encryption specs. Volume type in use.")
            row.encryption = None

    # -- default types (3.62) --------------------------------------------------------------

    async def set_project_default(self, project_id: str, type_ref: str) -> VolumeDefaultType:
        async with self.db.session() as s:
            t = await self.find(s, type_ref)
            existing = await repo.default_type_of(s, project_id)
            if existing is None:
                existing = VolumeDefaultType(project_id=project_id, volume_type_id=t.id)
                await repo.add(s, existing)
            else:
                existing.volume_type_id = t.id
            return existing

    async def project_default(self, project_id: str) -> VolumeDefaultType:
        async with self.db.reader() as s:
            found = await repo.default_type_of(s, project_id)
        if found is None:
            raise NotFound(f"Default type for project {project_id} could not be found.")
        return found

    async def project_defaults(self) -> list[VolumeDefaultType]:
        async with self.db.reader() as s:
            return await repo.list_default_types(s)

    async def unset_project_default(self, project_id: str) -> None:
        async with self.db.session() as s:
            found = await repo.default_type_of(s, project_id)
            if found is None:
                raise NotFound(f"Default type for project {project_id} could not be found.")
            await repo.remove(s, found)

    # -- QoS association -------------------------------------------------------------------

    async def associate_qos(self, type_id: str, qos_id: str | None) -> None:
        async with self.db.session() as s:
            row = await repo.get_type(s, type_id)
            if row is None:
                raise VolumeTypeNotFound(type_id)
            if qos_id is not None:
                if await repo.get_qos(s, qos_id) is None:
                    raise QosSpecsNotFound(qos_id)
                if row.qos_specs_id and row.qos_specs_id != qos_id:
                    raise InvalidVolumeType(
                        f"Type {type_id} is already associated with another qos specs: "
                        f"{row.qos_specs_id}"
                    )
            row.qos_specs_id = qos_id
