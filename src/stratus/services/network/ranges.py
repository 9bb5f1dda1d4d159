"""Network segment ranges: which segmentation ids tenant networks get, shared or per project."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.query import Query

RANGE_TYPES = ("vlan", "vxlan", "geneve")
LIMITS = {"vlan": (1, 4094), "vxlan": (1, 2**24 - 1), "geneve": (1, 2**24 - 1)}

SEGMENT_RANGE = {
    **attrs.standard(),
    "project_id": attrs.Attr(
        "project_id", attrs.string(255, nullable=True), put=False, default=None
    ),
    "tenant_id": attrs.Attr("tenant_id", attrs.string(255, nullable=True), put=False, default=None),
    "name": attrs.Attr("name", attrs.string(255), default=""),
    "description": attrs.Attr("description", attrs.string(255), default=""),
    "default": attrs.Attr("default", None, post=False, put=False),
    "shared": attrs.Attr("shared", attrs.to_bool, put=False, default=True),
    "network_type": attrs.Attr("network_type", attrs.one_of(*RANGE_TYPES), put=False),
    "physical_network": attrs.Attr(
        "physical_network", attrs.string(64, nullable=True), put=False, default=None
    ),
    "minimum": attrs.Attr("minimum", attrs.integer(1, 2**24 - 1)),
    "maximum": attrs.Attr("maximum", attrs.integer(1, 2**24 - 1)),
    "available": attrs.Attr("available", None, post=False, put=False, filter=False, sort=False),
    "used": attrs.Attr("used", None, post=False, put=False, filter=False, sort=False),
}


class NetworkSegmentRangeNotFound(NotFound):
    def __init__(self, range_id: str) -> None:
        super().__init__(f"Network Segment Range {range_id} could not be found.")


class NetworkSegmentRangeReferencedByProject(Conflict):
    def __init__(self, range_id: str) -> None:
        super().__init__(
            f"Network Segment Range {range_id} is referenced by one or more tenant networks."
        )


class NetworkSegmentRangeDefaultReadOnly(Conflict):
    def __init__(self, range_id: str) -> None:
        super().__init__(
            f"Network Segment Range {range_id} is a default segment range which could not be updated or deleted."
        )


async def tenant_ranges(
    session: AsyncSession, network_type: str, physnet: str | None, project_id: str | None
) -> list[list[tuple[int, int]]]:
    """Candidate ranges in preference order: the project's own, then shared ones. Empty when
    no range rows exist for the type (the configured ranges then apply)."""
    stmt = select(m.SegmentRange).where(m.SegmentRange.network_type == network_type)
    if network_type == "vlan":
        stmt = stmt.where(m.SegmentRange.physical_network == physnet)
    rows = list((await session.execute(stmt)).scalars())
    own = [(r.minimum, r.maximum) for r in rows if not r.shared and r.project_id == project_id]
    shared = [(r.minimum, r.maximum) for r in rows if r.shared]
    return [group for group in (own, shared) if group]


class SegmentRangeService(Core):
    async def ensure_defaults(self) -> None:
        wanted: list[tuple[str, str | None, int, int]] = []
        wanted += [("vxlan", None, a, b) for a, b in self.config.vxlan_vni_ranges]
        wanted += [("geneve", None, a, b) for a, b in self.config.geneve_vni_ranges]
        wanted += [
            ("vlan", r.physical_network, r.minimum, r.maximum)
            for r in self.config.network_vlan_ranges
        ]
        async with self.db.session() as session:
            rows = list(
                (
                    await session.execute(
                        select(m.SegmentRange).where(m.SegmentRange.default.is_(True))
                    )
                ).scalars()
            )
            have = {(r.network_type, r.physical_network, r.minimum, r.maximum): r for r in rows}
            for key in wanted:
                if key not in have:
                    kind, physnet, low, high = key
                    session.add(
                        self.new_std(
                            m.SegmentRange,
                            uuid_str(),
                            name="",
                            default=True,
                            shared=True,
                            project_id=None,
                            network_type=kind,
                            physical_network=physnet,
                            minimum=low,
                            maximum=high,
                        )
                    )
            for key, row in have.items():
                if key not in wanted:
                    await session.delete(row)

    async def _range(self, session: AsyncSession, range_id: str) -> m.SegmentRange:
        row = await repo.get(session, m.SegmentRange, range_id)
        if row is None:
            raise NetworkSegmentRangeNotFound(range_id)
        return row

    async def _usage(
        self, session: AsyncSession, row: m.SegmentRange
    ) -> tuple[list[int], dict[str, list[int]]]:
        stmt = (
            select(m.SegmentAllocation.segmentation_id, m.Network.project_id)
            .join(m.Segment, m.Segment.id == m.SegmentAllocation.segment_id)
            .join(m.Network, m.Network.id == m.Segment.network_id)
            .where(
                m.SegmentAllocation.network_type == row.network_type,
                m.SegmentAllocation.physical_network == (row.physical_network or ""),
                m.SegmentAllocation.segmentation_id.between(row.minimum, row.maximum),
            )
        )
        used: dict[str, list[int]] = {}
        taken: set[int] = set()
        for seg_id, project in await session.execute(stmt):
            used.setdefault(project, []).append(seg_id)
            taken.add(seg_id)
        available = [i for i in range(row.minimum, row.maximum + 1) if i not in taken]
        return available, {k: sorted(v) for k, v in used.items()}

    async def views(
        self, session: AsyncSession, rows: Sequence[m.SegmentRange]
    ) -> list[dict[str, Any]]:
        tags = await repo.tags_for(session, [r.id for r in rows])
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            available, used = await self._usage(session, row)
            view.update(
                name=row.name,
                default=row.default,
                shared=row.shared,
                network_type=row.network_type,
                physical_network=row.physical_network,
                minimum=row.minimum,
                maximum=row.maximum,
                available=available,
                used=used,
            )
            out.append(view)
        return out

    async def list_ranges(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_network_segment_range", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            rows = await self.list_rows(session, m.SegmentRange, SEGMENT_RANGE, query, scope=None)
            return await self.views(session, rows)

    async def get_range(self, ctx: RequestContext, range_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_network_segment_range", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            return (await self.views(session, [await self._range(session, range_id)]))[0]

    def _check_bounds(self, network_type: str, low: int, high: int) -> None:
        lo, hi = LIMITS[network_type]
        if not lo <= low <= high <= hi:
            raise BadRequest(
                f"Invalid input for operation: network segment range [{low}, {high}] is not valid for {network_type} (allowed {lo} through {hi}, minimum <= maximum)."
            )

    async def create_range(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        self.enforce(ctx, "create_network_segment_range", {"project_id": ctx.project_id})
        data = attrs.prepare_create(SEGMENT_RANGE, body)
        project = data.get("project_id") or data.get("tenant_id")
        if not data["shared"] and not project:
            raise BadRequest(
                "Invalid input for operation: a project_id is required for a non-shared network segment range."
            )
        if data["shared"] and project:
            raise BadRequest(
                "Invalid input for operation: a shared network segment range has no project_id."
            )
        if data["network_type"] == "vlan" and not data["physical_network"]:
            raise BadRequest(
                "Invalid input for operation: physical_network is required for a vlan network segment range."
            )
        if data["network_type"] != "vlan" and data["physical_network"]:
            raise BadRequest(
                f"Invalid input for operation: physical_network is not allowed for a {data['network_type']} network segment range."
            )
        self._check_bounds(data["network_type"], data["minimum"], data["maximum"])
        async with self.db.session() as session:
            row = self.new_std(
                m.SegmentRange,
                uuid_str(),
                name=data["name"],
                description=data["description"],
                default=False,
                shared=data["shared"],
                project_id=project,
                network_type=data["network_type"],
                physical_network=data["physical_network"],
                minimum=data["minimum"],
                maximum=data["maximum"],
            )
            session.add(row)
            await session.flush()
            return (await self.views(session, [row]))[0]

    async def update_range(
        self,
        ctx: RequestContext,
        range_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        self.enforce(ctx, "update_network_segment_range", {"project_id": ctx.project_id})
        data = attrs.prepare_update(SEGMENT_RANGE, body)
        async with self.db.session() as session:
            row = await self._range(session, range_id)
            if row.default:
                raise NetworkSegmentRangeDefaultReadOnly(row.id)
            self.check_revision(row, if_match)
            low, high = data.get("minimum", row.minimum), data.get("maximum", row.maximum)
            self._check_bounds(row.network_type, low, high)
            _available, used = await self._usage(session, row)
            if any(not low <= i <= high for ids in used.values() for i in ids):
                raise NetworkSegmentRangeReferencedByProject(row.id)
            row.minimum, row.maximum = low, high
            for key in ("name", "description"):
                if key in data:
                    setattr(row, key, data[key])
            self.bump(row)
            await session.flush()
            return (await self.views(session, [row]))[0]

    async def delete_range(
        self, ctx: RequestContext, range_id: str, if_match: int | None = None
    ) -> None:
        self.enforce(ctx, "delete_network_segment_range", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            row = await self._range(session, range_id)
            if row.default:
                raise NetworkSegmentRangeDefaultReadOnly(row.id)
            self.check_revision(row, if_match)
            _available, used = await self._usage(session, row)
            if used and not row.shared:
                raise NetworkSegmentRangeReferencedByProject(row.id)
            await repo.drop_tags(session, row.id)
            await session.delete(row)
