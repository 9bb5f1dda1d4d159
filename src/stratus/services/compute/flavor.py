"""Flavors: CRUD, tenant access for private flavors, extra specs, and the default set."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.compute import extra_specs
from stratus.services.compute import repository as repo
from stratus.services.compute.errors import FlavorExists, FlavorExtraSpecNotFound, FlavorNotFound
from stratus.services.compute.models import Flavor, FlavorProject

_ID = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
_INT32 = 2147483647


@dataclass(frozen=True)
class DefaultFlavor:
    flavorid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    extra_specs: Mapping[str, str]
    description: str | None = None


# DevStack's m1.* set, and RA1 profile flavors (§4.2.1 Basic "B" and High-Performance "H"
# profiles; the H profile pins vCPUs on isolated siblings with huge pages).
DEFAULT_FLAVORS = (
    DefaultFlavor("1", "m1.tiny", 1, 512, 1, {}),
    DefaultFlavor("2", "m1.small", 1, 2048, 20, {}),
    DefaultFlavor("3", "m1.medium", 2, 4096, 40, {}),
    DefaultFlavor("4", "m1.large", 4, 8192, 80, {}),
    DefaultFlavor("5", "m1.xlarge", 8, 16384, 160, {}),
    DefaultFlavor("ra1.b.small", "ra1.b.small", 1, 512, 1, {}, "RA1 Basic profile, small"),
    DefaultFlavor("ra1.b.medium", "ra1.b.medium", 2, 4096, 40, {}, "RA1 Basic profile, medium"),
    DefaultFlavor(
        "ra1.h.medium",
        "ra1.h.medium",
        2,
        4096,
        40,
        {
            "hw:cpu_policy": "dedicated",
            "hw:cpu_thread_policy": "isolate",
            "hw:mem_page_size": "large",
            "hw:numa_nodes": "1",
        },
        "RA1 High-Performance profile: pinned vCPUs, huge pages, one NUMA node",
    ),
)


def _int(value: Any, field: str, minimum: int, maximum: int = _INT32) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}.")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or not minimum <= number <= maximum:
        raise BadRequest(
            f"Invalid input for field/attribute {field}. Value: {value}. "
            f"{value!r} is not a valid integer between {minimum} and {maximum}"
        )
    return number


_TRUE = {"true", "t", "1", "on", "y", "yes"}
_FALSE = {"false", "f", "0", "off", "n", "no"}


def _boolean(value: Any) -> Any:
    """nova's parameter_types.boolean: bools, 0/1 and their usual spellings."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value


class FlavorService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure_defaults(self) -> None:
        async with self.db.session() as s:
            for d in DEFAULT_FLAVORS:
                if await repo.get_flavor(s, d.flavorid) or await repo.flavor_by_name(s, d.name):
                    continue
                s.add(
                    Flavor(
                        flavorid=d.flavorid,
                        name=d.name,
                        vcpus=d.vcpus,
                        memory_mb=d.memory_mb,
                        root_gb=d.root_gb,
                        ephemeral_gb=0,
                        swap=0,
                        rxtx_factor=1.0,
                        is_public=True,
                        disabled=False,
                        description=d.description,
                        extra_specs=dict(d.extra_specs),
                        created_at=utcnow(),
                    )
                )

    async def get(
        self,
        flavorid: str,
        *,
        project_id: str | None,
        is_admin: bool,
        session: AsyncSession | None = None,
    ) -> Flavor:
        """A flavor the caller may use; in ``session`` when given (a boot's first read)."""
        if session is None:
            async with self.db.reader() as s:
                return await self.get(flavorid, project_id=project_id, is_admin=is_admin, session=s)
        flavor = await repo.get_flavor(session, flavorid)
        if flavor is None:
            raise FlavorNotFound(flavorid)
        if (
            not flavor.is_public
            and not is_admin
            and (
                project_id is None or not await repo.flavor_has_access(session, flavor, project_id)
            )
        ):
            raise FlavorNotFound(flavorid)
        return flavor

    async def list_flavors(
        self,
        *,
        project_id: str | None,
        is_admin: bool,
        is_public: str | None,
        min_ram: str | None,
        min_disk: str | None,
        sort_key: str,
        sort_dir: str,
        limit: int | None,
        marker: str | None,
    ) -> list[Flavor]:
        # nova's rule: admins filter by is_public (default: public ones, plus private ones
        # their project was given); everyone else sees public flavors and the private ones
        # shared with their project.
        public: bool | None = True
        if is_admin and is_public is not None:
            text = is_public.strip().lower()
            if text == "none":
                public = None
            elif text in _TRUE:
                public = True
            elif text in _FALSE:
                public = False
            else:
                raise BadRequest(f"Invalid is_public filter [{is_public}]")
        if sort_key not in {
            "created_at",
            "description",
            "disabled",
            "ephemeral_gb",
            "flavorid",
            "id",
            "is_public",
            "memory_mb",
            "name",
            "root_gb",
            "rxtx_factor",
            "swap",
            "updated_at",
            "vcpus",
        }:
            raise BadRequest(f"Invalid sort key: {sort_key}")
        if sort_dir not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {sort_dir}")
        ram = _int(min_ram, "minRam", 0) if min_ram is not None else None
        disk = _int(min_disk, "minDisk", 0) if min_disk is not None else None
        async with self.db.reader() as s:
            marker_row = None
            if marker is not None:
                marker_row = await repo.get_flavor(s, marker)
                if marker_row is None:
                    raise BadRequest(f"marker [{marker}] not found")
            return await repo.list_flavors(
                s,
                visible_to=project_id,
                is_public=public,
                min_ram=ram,
                min_disk=disk,
                sort_key="flavorid" if sort_key == "id" else sort_key,
                sort_dir=sort_dir,
                limit=limit,
                marker=marker_row,
            )

    async def create(self, body: Mapping[str, Any], *, with_description: bool) -> Flavor:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 255 or name != name.strip():
            raise BadRequest(f"Invalid input for field/attribute name. Value: {name}.")
        flavorid = body.get("id")
        if flavorid is None or flavorid == "auto":
            flavorid = uuid_str()
        elif isinstance(flavorid, int | float) and not isinstance(flavorid, bool):
            # nova takes a number and keeps its text
            flavorid = str(flavorid)
        if (
            not isinstance(flavorid, str)
            or not 1 <= len(flavorid) <= 255
            or not _ID.match(flavorid)
        ):
            raise BadRequest(f"Invalid input for field/attribute id. Value: {flavorid}.")
        unknown = set(body) - {
            "name",
            "id",
            "ram",
            "vcpus",
            "disk",
            "OS-FLV-EXT-DATA:ephemeral",
            "swap",
            "rxtx_factor",
            "os-flavor-access:is_public",
            "description",
        }
        if "description" in body and not with_description:
            unknown.add("description")
        if unknown:
            raise BadRequest(
                "Invalid input for field/attribute flavor. Additional properties are not "
                f"allowed ({', '.join(sorted(repr(u) for u in unknown))} was unexpected)"
            )
        for required in ("ram", "vcpus", "disk"):
            if required not in body:
                raise BadRequest(
                    f"Invalid input for field/attribute flavor. '{required}' is a required property"
                )
        description = body.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > 65535
        ):
            raise BadRequest(
                f"Invalid input for field/attribute description. Value: {description}."
            )
        is_public = _boolean(body.get("os-flavor-access:is_public", True))
        if not isinstance(is_public, bool):
            raise BadRequest(
                f"Invalid input for field/attribute os-flavor-access:is_public. Value: {is_public}."
            )
        rxtx = body.get("rxtx_factor", 1.0)
        if (
            isinstance(rxtx, bool)
            or not isinstance(rxtx, int | float)
            or not 0 < rxtx <= 3.40282e38
        ):
            raise BadRequest(f"Invalid input for field/attribute rxtx_factor. Value: {rxtx}.")
        flavor = Flavor(
            flavorid=flavorid,
            name=name,
            memory_mb=_int(body["ram"], "ram", 1),
            vcpus=_int(body["vcpus"], "vcpus", 1),
            root_gb=_int(body["disk"], "disk", 0),
            ephemeral_gb=_int(
                body.get("OS-FLV-EXT-DATA:ephemeral", 0), "OS-FLV-EXT-DATA:ephemeral", 0
            ),
            swap=_int(body.get("swap", 0) or 0, "swap", 0),
            rxtx_factor=float(rxtx),
            is_public=is_public,
            disabled=False,
            description=description,
            extra_specs={},
            created_at=utcnow(),
        )
        try:
            async with self.db.session() as s:
                if await repo.flavor_by_name(s, name):
                    raise FlavorExists(f"Flavor with name {name} already exists.")
                if await repo.get_flavor(s, flavorid):
                    raise FlavorExists(f"Flavor with ID {flavorid} already exists.")
                s.add(flavor)
        except IntegrityError:
            raise FlavorExists(f"Flavor with name {name} already exists.") from None
        return flavor

    async def update_description(self, flavorid: str, description: str | None) -> Flavor:
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            flavor.description = description
            flavor.updated_at = utcnow()
            return flavor

    async def delete(self, flavorid: str) -> None:
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            await s.delete(flavor)

    # -- access ------------------------------------------------------------------------

    async def access(self, flavorid: str) -> list[str]:
        async with self.db.reader() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            if flavor.is_public:
                raise NotFound("Access list not available for public flavors.")
            return await repo.flavor_projects(s, flavor)

    async def add_access(self, flavorid: str, project_id: str, *, strict: bool) -> list[str]:
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            if flavor.is_public and strict:
                raise Conflict("Can not add access to a public flavor.")
            if await repo.flavor_has_access(s, flavor, project_id):
                raise Conflict(
                    f"Flavor access already exists for flavor {flavorid} and project "
                    f"{project_id} combination."
                )
            s.add(FlavorProject(flavor_id=flavor.id, project_id=project_id))
            await s.flush()
            return await repo.flavor_projects(s, flavor)

    async def remove_access(self, flavorid: str, project_id: str) -> list[str]:
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            if not await repo.remove_flavor_project(s, flavor, project_id):
                raise NotFound(
                    f"Flavor access not found for {flavorid} / {project_id} combination."
                )
            return await repo.flavor_projects(s, flavor)

    # -- extra specs -------------------------------------------------------------------

    async def set_extra_specs(
        self, flavorid: str, specs: Mapping[str, Any], *, strict: bool
    ) -> dict[str, str]:
        clean: dict[str, str] = {}
        for key, value in specs.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise BadRequest(
                    f"Invalid input for field/attribute {key}. Value: {value}. "
                    f"{value!r} is not of type 'string', 'number'"
                )
            clean[key] = str(value)
        extra_specs.validate(clean, strict=strict)
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            merged = dict(flavor.extra_specs)
            merged.update(clean)
            flavor.extra_specs = merged
            flavor.updated_at = utcnow()
        return clean

    async def delete_extra_spec(self, flavorid: str, key: str) -> None:
        async with self.db.session() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            if key not in flavor.extra_specs:
                raise FlavorExtraSpecNotFound(flavorid, key)
            specs = dict(flavor.extra_specs)
            del specs[key]
            flavor.extra_specs = specs
            flavor.updated_at = utcnow()

    async def extra_specs(self, flavorid: str) -> dict[str, str]:
        async with self.db.reader() as s:
            flavor = await repo.get_flavor(s, flavorid)
            if flavor is None:
                raise FlavorNotFound(flavorid)
            return dict(flavor.extra_specs)
