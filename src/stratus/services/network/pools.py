"""Subnet pools (prefix allocation, default pools) and address scopes."""

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.errors import HTTPBadRequest
from stratus.services.network.query import Query

ADDRESS_SCOPE = {
    **attrs.standard(),
    "name": attrs.Attr("name", attrs.string(255)),
    "description": attrs.Attr("description", attrs.string(255), default=""),
    "ip_version": attrs.Attr("ip_version", attrs.one_of(4, 6), put=False),
    "shared": attrs.Attr("shared", attrs.to_bool, default=False, sort=False),
}

SUBNETPOOL = {
    **attrs.standard(),
    "name": attrs.Attr("name", attrs.string(255)),
    "description": attrs.Attr("description", attrs.string(255), default=""),
    "prefixes": attrs.Attr("prefixes", attrs.list_of(attrs.cidr), filter=False, sort=False),
    "default_prefixlen": attrs.Attr(
        "default_prefixlen", attrs.integer(0, 128), default=attrs.MISSING
    ),
    "min_prefixlen": attrs.Attr("min_prefixlen", attrs.integer(0, 128), default=attrs.MISSING),
    "max_prefixlen": attrs.Attr("max_prefixlen", attrs.integer(0, 128), default=attrs.MISSING),
    "ip_version": attrs.Attr("ip_version", None, post=False, put=False),
    "shared": attrs.Attr("shared", attrs.to_bool, put=False, default=False, sort=False),
    "is_default": attrs.Attr("is_default", attrs.to_bool, default=False),
    "default_quota": attrs.Attr("default_quota", attrs.integer(0), default=None),
    "address_scope_id": attrs.Attr("address_scope_id", attrs.uuid_or_none, default=None),
}
_OPTIONAL = {"default_prefixlen", "min_prefixlen", "max_prefixlen"}


class SubnetPoolNotFound(NotFound):
    def __init__(self, pool_id: str) -> None:
        super().__init__(f"Subnet pool {pool_id} could not be found.")


class AddressScopeNotFound(NotFound):
    def __init__(self, scope_id: str) -> None:
        super().__init__(f"Address scope {scope_id} could not be found.")


class SubnetPoolInUse(Conflict):
    def __init__(self, pool_id: str) -> None:
        super().__init__(f"Subnet pool {pool_id} cannot be deleted: subnets are allocated from it.")


class SubnetAllocationError(Conflict):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Failed to allocate subnet: {reason}.")


class MinPrefixSubnetAllocationError(BadRequest):
    def __init__(self, prefixlen: int, minimum: int) -> None:
        super().__init__(
            f"Unable to allocate subnet with prefix length {prefixlen}, "
            f"minimum allowed prefix is {minimum}."
        )


class MaxPrefixSubnetAllocationError(BadRequest):
    def __init__(self, prefixlen: int, maximum: int) -> None:
        super().__init__(
            f"Unable to allocate subnet with prefix length {prefixlen}, "
            f"maximum allowed prefix is {maximum}."
        )


def _check_prefixlen(pool: m.SubnetPool, length: int) -> None:
    """Neutron's SubnetAllocator checks the bounds first, as a 400."""
    if length < pool.min_prefixlen:
        raise MinPrefixSubnetAllocationError(length, pool.min_prefixlen)
    if length > pool.max_prefixlen:
        raise MaxPrefixSubnetAllocationError(length, pool.max_prefixlen)


def _net(text: str) -> Any:
    # typed loosely: v4 and v6 networks share every method used here
    return ipaddress.ip_network(text, strict=False)


def compact(prefixes: Sequence[str]) -> list[str]:
    collapse: Any = ipaddress.collapse_addresses
    return [str(n) for n in collapse([_net(p) for p in prefixes])]


class PoolService(Core):
    # ------------------------------------------------------------------ address scopes

    async def _scope(
        self, session: AsyncSession, ctx: RequestContext, scope_id: str
    ) -> m.AddressScope:
        scope = await repo.get(session, m.AddressScope, scope_id)
        if scope is None or not await self._visible(session, ctx, "address_scope", scope):
            raise AddressScopeNotFound(scope_id)
        return scope

    async def _visible(
        self, session: AsyncSession, ctx: RequestContext, kind: str, row: Any
    ) -> bool:
        if self.is_admin(ctx) or row.project_id == ctx.project_id:
            return True
        entries = await repo.rbac_entries(session, kind, [row.id])
        return any(e.target_project in ("*", ctx.project_id) for e in entries)

    async def _shared_ids(
        self, session: AsyncSession, kind: str, ids: Sequence[str], project: str | None
    ) -> set[str]:
        return {
            e.object_id
            for e in await repo.rbac_entries(session, kind, ids)
            if e.target_project in ("*", project)
        }

    async def scope_views(
        self, session: AsyncSession, ctx: RequestContext, rows: Sequence[m.AddressScope]
    ) -> list[dict[str, Any]]:
        tags = await repo.tags_for(session, [r.id for r in rows])
        shared = await self._shared_ids(
            session, "address_scope", [r.id for r in rows], ctx.project_id
        )
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            view.update(name=row.name, ip_version=row.ip_version, shared=row.id in shared)
            out.append(view)
        return out

    def _scope_clause(self, model: Any, kind: str, ctx: RequestContext) -> Any:
        if self.is_admin(ctx):
            return None
        project = ctx.project_id or ""
        return or_(
            model.project_id == project,
            model.id.in_(
                select(m.RBACPolicy.object_id).where(
                    m.RBACPolicy.object_type == kind,
                    m.RBACPolicy.target_project.in_([project, "*"]),
                )
            ),
        )

    async def list_scopes(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        query.filters.pop("shared", None)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.AddressScope,
                ADDRESS_SCOPE,
                query,
                scope=self._scope_clause(m.AddressScope, "address_scope", ctx),
            )
            return await self.scope_views(session, ctx, rows)

    async def get_scope(self, ctx: RequestContext, scope_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return (
                await self.scope_views(session, ctx, [await self._scope(session, ctx, scope_id)])
            )[0]

    async def create_scope(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(ADDRESS_SCOPE, body)
        owner = self.owner_of(ctx, data)
        self.enforce(ctx, "create_address_scope", {"project_id": owner, "tenant_id": owner})
        if data["shared"]:
            self.enforce(ctx, "create_address_scope:shared", {"project_id": owner})
        async with self.db.session() as session:
            scope = self.new_std(
                m.AddressScope,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                ip_version=data["ip_version"],
            )
            session.add(scope)
            await session.flush()
            if data["shared"]:
                session.add(
                    m.RBACPolicy(
                        id=uuid_str(),
                        project_id=owner,
                        object_type="address_scope",
                        object_id=scope.id,
                        action="access_as_shared",
                        target_project="*",
                    )
                )
                await session.flush()
            return (await self.scope_views(session, ctx, [scope]))[0]

    async def update_scope(
        self,
        ctx: RequestContext,
        scope_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(ADDRESS_SCOPE, body)
        async with self.db.session() as session:
            scope = await self._scope(session, ctx, scope_id)
            self.enforce(
                ctx,
                "update_address_scope",
                {"project_id": scope.project_id, "tenant_id": scope.project_id},
            )
            self.check_revision(scope, if_match)
            for key in ("name", "description"):
                if key in data:
                    setattr(scope, key, data[key])
            if "shared" in data:
                self.enforce(ctx, "update_address_scope:shared", {"project_id": scope.project_id})
            if data.get("shared"):
                if not await self._shared_ids(session, "address_scope", [scope.id], "*"):
                    session.add(
                        m.RBACPolicy(
                            id=uuid_str(),
                            project_id=scope.project_id,
                            object_type="address_scope",
                            object_id=scope.id,
                            action="access_as_shared",
                            target_project="*",
                        )
                    )
            elif data.get("shared") is False and await self._shared_ids(
                session, "address_scope", [scope.id], "*"
            ):
                raise BadRequest("Unsharing an address scope is not allowed.")
            self.bump(scope)
            await session.flush()
            return (await self.scope_views(session, ctx, [scope]))[0]

    async def delete_scope(
        self, ctx: RequestContext, scope_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            scope = await self._scope(session, ctx, scope_id)
            self.enforce(
                ctx,
                "delete_address_scope",
                {"project_id": scope.project_id, "tenant_id": scope.project_id},
            )
            self.check_revision(scope, if_match)
            used = (
                await session.execute(
                    select(m.SubnetPool.id)
                    .where(m.SubnetPool.address_scope_id == scope.id)
                    .limit(1)
                )
            ).first()
            if used is not None:
                raise Conflict(
                    f"Unable to complete operation on address scope {scope.id}. There are one or more subnet pools in use on the address scope"
                )
            await repo.delete_rbac(session, "address_scope", scope.id)
            await repo.drop_tags(session, scope.id)
            await session.delete(scope)

    # ------------------------------------------------------------------ subnet pools

    async def _pool(
        self, session: AsyncSession, ctx: RequestContext | None, pool_id: str
    ) -> m.SubnetPool:
        pool = await repo.get(session, m.SubnetPool, pool_id)
        if pool is None or (
            ctx is not None and not await self._visible(session, ctx, "subnetpool", pool)
        ):
            raise SubnetPoolNotFound(pool_id)
        return pool

    async def pool_views(
        self, session: AsyncSession, ctx: RequestContext, rows: Sequence[m.SubnetPool]
    ) -> list[dict[str, Any]]:
        tags = await repo.tags_for(session, [r.id for r in rows])
        shared = await self._shared_ids(session, "subnetpool", [r.id for r in rows], ctx.project_id)
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            view.update(
                name=row.name,
                ip_version=row.ip_version,
                prefixes=list(row.prefixes),
                # neutron answers the prefix lengths as strings
                default_prefixlen=str(row.default_prefixlen),
                min_prefixlen=str(row.min_prefixlen),
                max_prefixlen=str(row.max_prefixlen),
                is_default=row.is_default,
                shared=row.id in shared,
                default_quota=row.default_quota,
                address_scope_id=row.address_scope_id,
            )
            out.append(view)
        return out

    async def list_pools(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        query.filters.pop("shared", None)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.SubnetPool,
                SUBNETPOOL,
                query,
                scope=self._scope_clause(m.SubnetPool, "subnetpool", ctx),
            )
            return await self.pool_views(session, ctx, rows)

    async def get_pool(self, ctx: RequestContext, pool_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return (await self.pool_views(session, ctx, [await self._pool(session, ctx, pool_id)]))[
                0
            ]

    def _lengths(
        self, version: int, data: Mapping[str, Any], current: m.SubnetPool | None
    ) -> tuple[int, int, int]:
        top = 32 if version == 4 else 128
        low = data.get(
            "min_prefixlen", current.min_prefixlen if current else (8 if version == 4 else 64)
        )
        high = data.get("max_prefixlen", current.max_prefixlen if current else top)
        default = data.get("default_prefixlen", current.default_prefixlen if current else low)
        if high > top or not low <= default <= high:
            raise BadRequest(
                f"Illegal prefix bounds: min_prefixlen={low}, default_prefixlen={default}, max_prefixlen={high}."
            )
        return low, default, high

    async def create_pool(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(SUBNETPOOL, body)
        if "prefixes" not in data or not data["prefixes"]:
            raise HTTPBadRequest(
                "Failed to parse request. Required attribute 'prefixes' not specified"
            )
        owner = self.owner_of(ctx, data)
        self.enforce(ctx, "create_subnetpool", {"project_id": owner, "tenant_id": owner})
        if data["shared"]:
            self.enforce(ctx, "create_subnetpool:shared", {"project_id": owner})
        if data["is_default"]:
            self.enforce(ctx, "create_subnetpool:is_default", {"project_id": owner})
        versions = {_net(p).version for p in data["prefixes"]}
        if len(versions) != 1:
            raise BadRequest("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
        version = versions.pop()
        low, default, high = self._lengths(version, data, None)
        async with self.db.session() as session:
            await self._check_scope(session, ctx, data["address_scope_id"], version)
            await self._check_scope_overlap(
                session, data["address_scope_id"], data["prefixes"], None
            )
            if data["is_default"]:
                await self._check_single_default(session, version, None)
            pool = self.new_std(
                m.SubnetPool,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                ip_version=version,
                prefixes=compact(data["prefixes"]),
                default_prefixlen=default,
                min_prefixlen=low,
                max_prefixlen=high,
                is_default=data["is_default"],
                default_quota=data["default_quota"],
                address_scope_id=data["address_scope_id"],
            )
            session.add(pool)
            await session.flush()
            if data["shared"]:
                session.add(
                    m.RBACPolicy(
                        id=uuid_str(),
                        project_id=owner,
                        object_type="subnetpool",
                        object_id=pool.id,
                        action="access_as_shared",
                        target_project="*",
                    )
                )
                await session.flush()
            return (await self.pool_views(session, ctx, [pool]))[0]

    async def _check_scope(
        self, session: AsyncSession, ctx: RequestContext, scope_id: str | None, version: int
    ) -> None:
        if scope_id is None:
            return
        scope = await self._scope(session, ctx, scope_id)
        if scope.ip_version != version:
            raise BadRequest(
                f"Illegal subnetpool association: subnetpool cannot be associated with address scope {scope_id} because subnetpool ip_version is not {scope.ip_version}."
            )

    async def _check_scope_overlap(
        self, session: AsyncSession, scope_id: str | None, prefixes: Sequence[str], skip: str | None
    ) -> None:
        """Pools of one address scope must not overlap."""
        if scope_id is None:
            return
        rows = await session.execute(
            select(m.SubnetPool).where(m.SubnetPool.address_scope_id == scope_id)
        )
        mine = [_net(p) for p in prefixes]
        for other in rows.scalars():
            if other.id == skip:
                continue
            for theirs in (_net(p) for p in other.prefixes):
                if any(n.version == theirs.version and n.overlaps(theirs) for n in mine):
                    raise Conflict(
                        f"Illegal subnetpool association: subnetpool prefixes overlap with subnet pool {other.id} in address scope {scope_id}."
                    )

    async def _check_single_default(
        self, session: AsyncSession, version: int, skip: str | None
    ) -> None:
        rows = await session.execute(
            select(m.SubnetPool.id).where(
                m.SubnetPool.is_default.is_(True), m.SubnetPool.ip_version == version
            )
        )
        others = [r for r in rows.scalars() if r != skip]
        if others:
            raise Conflict(
                f"A default subnetpool for this IP family has already been set. Only one default may exist per IP family: {others[0]}"
            )

    async def update_pool(
        self,
        ctx: RequestContext,
        pool_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(SUBNETPOOL, body)
        async with self.db.session() as session:
            pool = await self._pool(session, ctx, pool_id)
            self.enforce(
                ctx,
                "update_subnetpool",
                {"project_id": pool.project_id, "tenant_id": pool.project_id},
            )
            self.check_revision(pool, if_match)
            if "is_default" in data:
                self.enforce(ctx, "update_subnetpool:is_default", {"project_id": pool.project_id})
                if data["is_default"]:
                    await self._check_single_default(session, pool.ip_version, pool.id)
                pool.is_default = data["is_default"]
            if "prefixes" in data and pool.address_scope_id and not self.is_admin(ctx):
                scope = await repo.get(session, m.AddressScope, pool.address_scope_id)
                if scope is not None and scope.project_id != ctx.project_id:
                    raise BadRequest(
                        f"Illegal subnetpool update: prefixes of a pool in address scope "
                        f"{scope.id} may only be changed by the scope's owner."
                    )
            if "prefixes" in data:
                new = compact([*pool.prefixes, *data["prefixes"]])
                old_nets = [_net(p) for p in pool.prefixes]
                given = compact(data["prefixes"])
                if any(not any(o.subnet_of(_net(g)) for g in given) for o in old_nets):
                    raise BadRequest(
                        "Illegal update to prefixes: prefixes can only be added to a subnet pool."
                    )
                pool.prefixes = new
            low, default, high = self._lengths(pool.ip_version, data, pool)
            pool.min_prefixlen, pool.default_prefixlen, pool.max_prefixlen = low, default, high
            if "address_scope_id" in data:
                await self._check_scope(session, ctx, data["address_scope_id"], pool.ip_version)
                pool.address_scope_id = data["address_scope_id"]
            if "prefixes" in data or "address_scope_id" in data:
                await self._check_scope_overlap(
                    session, pool.address_scope_id, pool.prefixes, pool.id
                )
            for key in ("name", "description", "default_quota"):
                if key in data:
                    setattr(pool, key, data[key])
            self.bump(pool)
            await session.flush()
            return (await self.pool_views(session, ctx, [pool]))[0]

    async def change_prefixes(
        self, ctx: RequestContext, pool_id: str, body: Any, *, add: bool
    ) -> dict[str, Any]:
        """subnetpool-prefix-ops: add prefixes, or remove ones no allocated subnet uses."""
        if not isinstance(body, dict) or not isinstance(body.get("prefixes"), list):
            raise BadRequest("Failed to parse request. Required attribute 'prefixes' not specified")
        try:
            given = [attrs.cidr(p) for p in body["prefixes"]]
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for prefixes. Reason: {err}.") from None
        async with self.db.session() as session:
            pool = await self._pool(session, ctx, pool_id)
            self.enforce(
                ctx,
                "update_subnetpool",
                {"project_id": pool.project_id, "tenant_id": pool.project_id},
            )
            if any(_net(p).version != pool.ip_version for p in given):
                raise BadRequest("Illegal prefix: prefixes must be of the pool's IP version.")
            if add:
                pool.prefixes = compact([*pool.prefixes, *given])
                await self._check_scope_overlap(
                    session, pool.address_scope_id, pool.prefixes, pool.id
                )
            else:
                removed = [_net(p) for p in given]
                rows = await session.execute(
                    select(m.Subnet.cidr).where(m.Subnet.subnetpool_id == pool.id)
                )
                for cidr in rows.scalars():
                    if any(
                        _net(cidr).subnet_of(r) for r in removed if _net(cidr).version == r.version
                    ):
                        raise Conflict(
                            f"Illegal update to prefixes: prefix {cidr} is allocated from subnet pool {pool.id}."
                        )
                kept: list[str] = []
                for prefix in (_net(p) for p in pool.prefixes):
                    pieces = [prefix]
                    for r in removed:
                        next_pieces = []
                        for piece in pieces:
                            if r.version != piece.version or not piece.overlaps(r):
                                next_pieces.append(piece)
                            elif piece.subnet_of(r):
                                continue
                            else:
                                next_pieces.extend(piece.address_exclude(r))
                        pieces = next_pieces
                    kept.extend(str(p) for p in pieces)
                if not kept:
                    raise BadRequest(
                        "Illegal update to prefixes: a subnet pool keeps at least one prefix."
                    )
                pool.prefixes = compact(kept)
            self.bump(pool)
            await session.flush()
            return {"prefixes": list(pool.prefixes)}

    async def delete_pool(
        self, ctx: RequestContext, pool_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            pool = await self._pool(session, ctx, pool_id)
            self.enforce(
                ctx,
                "delete_subnetpool",
                {"project_id": pool.project_id, "tenant_id": pool.project_id},
            )
            self.check_revision(pool, if_match)
            used = (
                await session.execute(
                    select(m.Subnet.id).where(m.Subnet.subnetpool_id == pool.id).limit(1)
                )
            ).first()
            if used is not None:
                raise SubnetPoolInUse(pool.id)
            await repo.delete_rbac(session, "subnetpool", pool.id)
            await repo.drop_tags(session, pool.id)
            await session.delete(pool)


async def default_pool(session: AsyncSession, version: int) -> m.SubnetPool | None:
    rows = await session.execute(
        select(m.SubnetPool).where(
            m.SubnetPool.is_default.is_(True), m.SubnetPool.ip_version == version
        )
    )
    return rows.scalars().first()


async def allocate_from_pool(
    session: AsyncSession, pool: m.SubnetPool, *, cidr: str | None, prefixlen: int | None
) -> str:
    """A CIDR from ``pool``: the requested one if it fits and is free, else the first free
    aligned block of ``prefixlen`` (the pool row is locked while choosing)."""
    await repo.get(session, m.SubnetPool, pool.id, lock=True)
    rows = await session.execute(select(m.Subnet.cidr).where(m.Subnet.subnetpool_id == pool.id))
    taken = [_net(c) for c in rows.scalars()]
    prefixes = [_net(p) for p in pool.prefixes]
    if cidr is not None:
        wanted = _net(cidr)
        _check_prefixlen(pool, wanted.prefixlen)
        if not any(wanted.subnet_of(p) for p in prefixes):
            raise SubnetAllocationError(
                f"cidr {cidr} is not within the prefixes of subnet pool {pool.id}"
            )
        if any(wanted.overlaps(t) for t in taken):
            raise SubnetAllocationError(
                f"cidr {cidr} overlaps with another subnet of subnet pool {pool.id}"
            )
        return str(wanted)
    length = prefixlen if prefixlen is not None else pool.default_prefixlen
    _check_prefixlen(pool, length)
    for prefix in prefixes:
        if prefix.prefixlen > length:
            continue
        candidate_iter = prefix.subnets(new_prefix=length)
        for _ in range(65536):
            candidate = next(candidate_iter, None)
            if candidate is None:
                break
            clash = next((t for t in taken if candidate.overlaps(t)), None)
            if clash is None:
                return str(candidate)
    raise SubnetAllocationError(f"no free prefix of length /{length} in subnet pool {pool.id}")
