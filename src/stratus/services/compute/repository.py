"""All compute SQL."""

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from stratus.services.compute.models import (
    Aggregate,
    ComputeNode,
    ComputeService,
    Flavor,
    FlavorProject,
    Instance,
    InstanceAction,
    KeyPair,
    Migration,
    QuotaClass,
    ServerGroup,
    ServerGroupMember,
)

T = TypeVar("T")

# Statements of every boot and delete, built once (an ORM statement built per call costs
# ~120-240 us of CPU to construct, key and execute; these ~40-60 us). Bind parameters of
# UPDATEs are named b_* (SQLAlchemy keeps column names for SET).
_INSTANCES = cast(Table, Instance.__table__)
_ACTIONS = cast(Table, InstanceAction.__table__)
_LIVE_INSTANCE = select(Instance).where(
    Instance.uuid == bindparam("uuid"), Instance.deleted.is_(False)
)
_ANY_INSTANCE = select(Instance).where(Instance.uuid == bindparam("uuid"))
_SET_EVENTS = (
    update(_ACTIONS)
    .where(_ACTIONS.c.id == bindparam("b_id"))
    .values(events=bindparam("b_events"), updated_at=bindparam("b_now"))
)
# One pass over the services computes their four figures.
_HOST_MARKS = select(
    select(func.count()).select_from(ComputeNode).scalar_subquery(),
    select(func.max(ComputeNode.id)).scalar_subquery(),
    func.count(ComputeService.id),
    func.max(ComputeService.updated_at),
    select(func.count()).select_from(Aggregate).scalar_subquery(),
    select(func.max(Aggregate.updated_at)).scalar_subquery(),
    select(func.max(Aggregate.id)).scalar_subquery(),
    func.min(ComputeService.last_seen_up),
    func.max(ComputeService.last_seen_up),
).select_from(ComputeService)
# UPDATEs of an instance's columns, one per set of columns written (a handful of shapes).
_INSTANCE_UPDATES: dict[tuple[bool, frozenset[str]], Update] = {}


def _instance_update(values: dict[str, Any], *, live: bool) -> Update:
    """The UPDATE of ``values``' columns on one instance row that is not deleted (and, when
    ``live``, not being deleted either); parameters from ``_set_params``."""
    key = (live, frozenset(values))
    stmt = _INSTANCE_UPDATES.get(key)
    if stmt is None:
        t = _INSTANCES
        where = [t.c.uuid == bindparam("row_uuid"), t.c.deleted.is_(False)]
        if live:
            where.append(or_(t.c.task_state.is_(None), t.c.task_state != "deleting"))
        # (a bind parameter may not take a column's own name in SET)
        stmt = update(t).where(*where).values({k: bindparam(f"set_{k}") for k in values})
        _INSTANCE_UPDATES[key] = stmt
    return stmt


def _set_params(uuid: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"row_uuid": uuid, **{f"set_{k}": v for k, v in values.items()}}


# -- flavors ---------------------------------------------------------------------------


def flavor_visible(project_id: str | None) -> ColumnElement[bool]:
    access = (
        select(FlavorProject.flavor_id)
        .where(FlavorProject.flavor_id == Flavor.id, FlavorProject.project_id == project_id)
        .exists()
        if project_id
        else false()
    )
    return or_(Flavor.is_public.is_(True), access)


async def get_flavor(session: AsyncSession, flavorid: str) -> Flavor | None:
    stmt = select(Flavor).where(Flavor.flavorid == flavorid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def flavor_by_name(session: AsyncSession, name: str) -> Flavor | None:
    stmt = select(Flavor).where(Flavor.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def flavor_has_access(session: AsyncSession, flavor: Flavor, project_id: str) -> bool:
    stmt = select(FlavorProject).where(
        FlavorProject.flavor_id == flavor.id, FlavorProject.project_id == project_id
    )
    return (await session.execute(stmt)).first() is not None


async def list_flavors(
    session: AsyncSession,
    *,
    visible_to: str | None,
    is_public: bool | None,
    min_ram: int | None,
    min_disk: int | None,
    sort_key: str,
    sort_dir: str,
    limit: int | None,
    marker: Flavor | None,
) -> list[Flavor]:
    """``is_public`` True: public flavors and those shared with ``visible_to``; False:
    private ones only; None: all."""
    stmt = select(Flavor).where(Flavor.disabled.is_(False))
    if is_public is True:
        stmt = stmt.where(flavor_visible(visible_to))
    elif is_public is False:
        stmt = stmt.where(Flavor.is_public.is_(False))
    if min_ram is not None:
        stmt = stmt.where(Flavor.memory_mb >= min_ram)
    if min_disk is not None:
        stmt = stmt.where(Flavor.root_gb >= min_disk)
    column = getattr(Flavor, sort_key)
    if marker is not None:
        value = getattr(marker, sort_key)
        after = column > value if sort_dir == "asc" else column < value
        stmt = stmt.where(or_(after, and_(column == value, Flavor.id > marker.id)))
    stmt = stmt.order_by(column.asc() if sort_dir == "asc" else column.desc(), Flavor.id.asc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def flavor_projects(session: AsyncSession, flavor: Flavor) -> list[str]:
    stmt = (
        select(FlavorProject.project_id)
        .where(FlavorProject.flavor_id == flavor.id)
        .order_by(FlavorProject.project_id)
    )
    return list((await session.execute(stmt)).scalars())


async def remove_flavor_project(session: AsyncSession, flavor: Flavor, project_id: str) -> int:
    result = await session.execute(
        delete(FlavorProject).where(
            FlavorProject.flavor_id == flavor.id, FlavorProject.project_id == project_id
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- key pairs -------------------------------------------------------------------------


async def get_keypair(session: AsyncSession, user_id: str, name: str) -> KeyPair | None:
    stmt = select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_keypairs(
    session: AsyncSession, user_id: str, *, limit: int | None, marker: str | None
) -> list[KeyPair]:
    stmt = select(KeyPair).where(KeyPair.user_id == user_id)
    if marker is not None:
        stmt = stmt.where(KeyPair.name > marker)
    stmt = stmt.order_by(KeyPair.name)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def count_keypairs(session: AsyncSession, user_id: str) -> int:
    stmt = select(func.count()).select_from(KeyPair).where(KeyPair.user_id == user_id)
    return int((await session.execute(stmt)).scalar_one())


async def count_keypairs_of_project(session: AsyncSession, project_id: str) -> int:
    stmt = select(func.count()).select_from(KeyPair).where(KeyPair.project_id == project_id)
    return int((await session.execute(stmt)).scalar_one())


# -- services and nodes ----------------------------------------------------------------


async def list_services(session: AsyncSession) -> list[ComputeService]:
    stmt = select(ComputeService).order_by(ComputeService.id)
    return list((await session.execute(stmt)).scalars())


async def get_service(session: AsyncSession, host: str, binary: str) -> ComputeService | None:
    stmt = select(ComputeService).where(
        ComputeService.host == host, ComputeService.binary == binary
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_nodes(session: AsyncSession) -> list[ComputeNode]:
    stmt = select(ComputeNode).order_by(ComputeNode.id)
    return list((await session.execute(stmt)).scalars())


async def get_node(session: AsyncSession, hostname: str) -> ComputeNode | None:
    stmt = select(ComputeNode).where(ComputeNode.hypervisor_hostname == hostname)
    return (await session.execute(stmt)).scalar_one_or_none()


async def touch_services(session: AsyncSession, now: dt.datetime) -> None:
    """Every service's heartbeat, in one statement."""
    await session.execute(
        update(ComputeService).values(last_seen_up=now).execution_options(synchronize_session=False)
    )


async def insert_rows(
    session: AsyncSession,
    model: type[ComputeService] | type[ComputeNode],
    rows: list[dict[str, Any]],
) -> None:
    """Many new service or node rows at once (registering thousands of hosts)."""
    for start in range(0, len(rows), 1000):
        await session.execute(insert(model), rows[start : start + 1000])


async def host_marks(session: AsyncSession) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Two fingerprints for the scheduler's host snapshot: one that changes whenever a
    compute node, a service (enable/disable, forced down) or an aggregate changes, and one
    that changes at every heartbeat (the oldest and newest last_seen_up)."""
    row = tuple((await session.execute(_HOST_MARKS)).one())
    return row[:7], row[7:]


async def node_columns(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """(uuid, host, hypervisor hostname, hypervisor version) of every node: what a host
    snapshot needs, without loading whole rows."""
    stmt = select(
        ComputeNode.uuid,
        ComputeNode.host,
        ComputeNode.hypervisor_hostname,
        ComputeNode.hypervisor_version,
    ).order_by(ComputeNode.id)
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


async def compute_liveness(
    session: AsyncSession,
) -> dict[str, tuple[bool, bool, dt.datetime | None]]:
    """host -> (disabled, forced down, last seen up) of every nova-compute service."""
    stmt = select(
        ComputeService.host,
        ComputeService.disabled,
        ComputeService.forced_down,
        ComputeService.last_seen_up,
    ).where(ComputeService.binary == "nova-compute")
    return {h: (bool(d), bool(f), seen) for h, d, f, seen in (await session.execute(stmt)).all()}


async def instance_counts_by_node(session: AsyncSession) -> dict[str, int]:
    stmt = (
        select(Instance.node, func.count())
        .where(Instance.deleted.is_(False), Instance.node.is_not(None))
        .group_by(Instance.node)
    )
    return {str(node): int(n) for node, n in (await session.execute(stmt)).all()}


# -- instances -------------------------------------------------------------------------


async def get_instance(
    session: AsyncSession, uuid: str, *, read_deleted: bool = False
) -> Instance | None:
    stmt = _ANY_INSTANCE if read_deleted else _LIVE_INSTANCE
    return (await session.execute(stmt, {"uuid": uuid})).scalar_one_or_none()


async def update_live_instance(session: AsyncSession, uuid: str, values: dict[str, Any]) -> bool:
    """Set ``values`` on the instance unless it is deleted or being deleted (one UPDATE, the
    row not loaded); False when nothing matched."""
    result = await session.execute(_instance_update(values, live=True), _set_params(uuid, values))
    return bool(getattr(result, "rowcount", 0))


async def mark_deleted(session: AsyncSession, uuid: str, values: dict[str, Any]) -> bool:
    """Set ``values`` (the deleted state) on the live instance; False when it is gone."""
    result = await session.execute(_instance_update(values, live=False), _set_params(uuid, values))
    return bool(getattr(result, "rowcount", 0))


async def list_instances(
    session: AsyncSession,
    clauses: Sequence[ColumnElement[bool]],
    *,
    sort: Sequence[tuple[str, str]],
    limit: int | None,
    marker: Instance | None,
) -> list[Instance]:
    """Instances for the server lists: what their views and filters read (the build's own
    columns are left unloaded, they are JSON to decode on every row of every poll)."""
    stmt = (
        select(Instance)
        .where(*clauses)
        .options(
            defer(Instance.requested_networks),
            defer(Instance.scheduler_hints),
            defer(Instance.system_metadata),
            defer(Instance.key_data),
        )
    )
    keys = [*sort, ("uuid", "desc")]
    if marker is not None:
        alternatives = []
        for i, (key, direction) in enumerate(keys):
            parts: list[ColumnElement[bool]] = [
                getattr(Instance, k) == getattr(marker, k) for k, _ in keys[:i]
            ]
            column = getattr(Instance, key)
            value = getattr(marker, key)
            parts.append(column > value if direction == "asc" else column < value)
            alternatives.append(and_(*parts))
        stmt = stmt.where(or_(*alternatives))
    for key, direction in keys:
        column = getattr(Instance, key)
        stmt = stmt.order_by(column.asc() if direction == "asc" else column.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def instance_usage(session: AsyncSession, project_id: str) -> tuple[int, int, int]:
    """(instances, cores, ram) of the project's live instances."""
    stmt = select(
        func.count(),
        func.coalesce(func.sum(Instance.vcpus), 0),
        func.coalesce(func.sum(Instance.memory_mb), 0),
    ).where(Instance.project_id == project_id, Instance.deleted.is_(False))
    count, cores, ram = (await session.execute(stmt)).one()
    return int(count), int(cores), int(ram)


async def hosts_of(session: AsyncSession, uuids: Sequence[str]) -> set[str]:
    if not uuids:
        return set()
    stmt = select(Instance.host).where(
        Instance.uuid.in_(list(uuids)), Instance.deleted.is_(False), Instance.host.is_not(None)
    )
    return {str(h) for h in (await session.execute(stmt)).scalars()}


async def host_list_of(session: AsyncSession, uuids: Sequence[str]) -> list[str]:
    """The host of each live, placed instance among ``uuids`` (one entry per instance)."""
    if not uuids:
        return []
    stmt = select(Instance.host).where(
        Instance.uuid.in_(list(uuids)), Instance.deleted.is_(False), Instance.host.is_not(None)
    )
    return [str(h) for h in (await session.execute(stmt)).scalars()]


async def instances_on_node(session: AsyncSession, node: str) -> list[Instance]:
    stmt = (
        select(Instance)
        .where(Instance.node == node, Instance.deleted.is_(False))
        .order_by(Instance.created_at)
    )
    return list((await session.execute(stmt)).scalars())


# -- instance actions ------------------------------------------------------------------


async def list_actions(session: AsyncSession, uuid: str) -> list[InstanceAction]:
    stmt = (
        select(InstanceAction)
        .where(InstanceAction.instance_uuid == uuid)
        .order_by(InstanceAction.start_time.desc(), InstanceAction.id.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def get_action(session: AsyncSession, uuid: str, request_id: str) -> InstanceAction | None:
    stmt = select(InstanceAction).where(
        InstanceAction.instance_uuid == uuid, InstanceAction.request_id == request_id
    )
    return (await session.execute(stmt)).scalars().first()


async def latest_action(session: AsyncSession, uuid: str, action: str) -> InstanceAction | None:
    stmt = (
        select(InstanceAction)
        .where(InstanceAction.instance_uuid == uuid, InstanceAction.action == action)
        .order_by(InstanceAction.id.desc())
    )
    return (await session.execute(stmt)).scalars().first()


async def set_action_events(
    session: AsyncSession, action_id: int, events: list[dict[str, Any]], now: dt.datetime
) -> None:
    await session.execute(_SET_EVENTS, {"b_id": action_id, "b_events": list(events), "b_now": now})


def touch(row: Any, now: dt.datetime) -> None:
    row.updated_at = now


# -- server groups ---------------------------------------------------------------------


async def get_group(session: AsyncSession, uuid: str) -> ServerGroup | None:
    stmt = select(ServerGroup).where(ServerGroup.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_groups(
    session: AsyncSession, project_id: str | None, *, limit: int | None, offset: int | None
) -> list[ServerGroup]:
    stmt = select(ServerGroup)
    if project_id is not None:
        stmt = stmt.where(ServerGroup.project_id == project_id)
    stmt = stmt.order_by(ServerGroup.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def group_members(session: AsyncSession, group: ServerGroup) -> list[str]:
    stmt = (
        select(ServerGroupMember.instance_uuid)
        .join(Instance, Instance.uuid == ServerGroupMember.instance_uuid)
        .where(ServerGroupMember.group_id == group.id, Instance.deleted.is_(False))
        .order_by(Instance.created_at, Instance.uuid)
    )
    return list((await session.execute(stmt)).scalars())


async def groups_of_instance(session: AsyncSession, uuid: str) -> list[ServerGroup]:
    stmt = (
        select(ServerGroup)
        .join(ServerGroupMember, ServerGroupMember.group_id == ServerGroup.id)
        .where(ServerGroupMember.instance_uuid == uuid)
    )
    return list((await session.execute(stmt)).scalars())


async def remove_member(session: AsyncSession, uuid: str) -> None:
    await session.execute(delete(ServerGroupMember).where(ServerGroupMember.instance_uuid == uuid))


async def count_groups(session: AsyncSession, project_id: str) -> int:
    stmt = select(func.count()).select_from(ServerGroup).where(ServerGroup.project_id == project_id)
    return int((await session.execute(stmt)).scalar_one())


# -- aggregates ------------------------------------------------------------------------


async def list_aggregates(session: AsyncSession) -> list[Aggregate]:
    stmt = select(Aggregate).order_by(Aggregate.id)
    return list((await session.execute(stmt)).scalars())


async def get_aggregate(session: AsyncSession, ident: int) -> Aggregate | None:
    return await session.get(Aggregate, ident)


async def aggregate_by_name(session: AsyncSession, name: str) -> Aggregate | None:
    stmt = select(Aggregate).where(Aggregate.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def instances_in_period(
    session: AsyncSession, project_id: str | None, start: dt.datetime, end: dt.datetime
) -> list[Instance]:
    """Instances (deleted ones too) that ran at some point in [start, end)."""
    stmt = select(Instance).where(
        Instance.launched_at.is_not(None),
        Instance.launched_at < end,
        or_(Instance.terminated_at.is_(None), Instance.terminated_at > start),
    )
    if project_id is not None:
        stmt = stmt.where(Instance.project_id == project_id)
    stmt = stmt.order_by(Instance.project_id, Instance.created_at, Instance.uuid)
    return list((await session.execute(stmt)).scalars())


async def quota_class(session: AsyncSession, name: str) -> dict[str, int]:
    stmt = select(QuotaClass).where(QuotaClass.class_name == name)
    return {r.resource: r.hard_limit for r in (await session.execute(stmt)).scalars()}


async def set_quota_class(session: AsyncSession, name: str, resource: str, limit: int) -> None:
    row = await session.get(QuotaClass, (name, resource))
    if row is None:
        session.add(QuotaClass(class_name=name, resource=resource, hard_limit=limit))
    else:
        row.hard_limit = limit


# -- migrations (moves) -----------------------------------------------------------------


async def get_migration(session: AsyncSession, ident: int | str) -> Migration | None:
    """By integer id or by uuid."""
    if isinstance(ident, int):
        stmt = select(Migration).where(Migration.id == ident)
    else:
        stmt = select(Migration).where(Migration.uuid == ident)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_migrations(
    session: AsyncSession, clauses: Sequence[ColumnElement[bool]] = ()
) -> list[Migration]:
    """Newest first (created_at, then id), as nova lists them."""
    stmt = (
        select(Migration).where(*clauses).order_by(Migration.created_at.desc(), Migration.id.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def instance_migrations(
    session: AsyncSession,
    uuid: str,
    *,
    types: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> list[Migration]:
    stmt = select(Migration).where(Migration.instance_uuid == uuid)
    if types:
        stmt = stmt.where(Migration.migration_type.in_(types))
    if statuses:
        stmt = stmt.where(Migration.status.in_(statuses))
    stmt = stmt.order_by(Migration.created_at.desc(), Migration.id.desc())
    return list((await session.execute(stmt)).scalars())


async def instances_on_host(session: AsyncSession, host: str) -> list[Instance]:
    stmt = (
        select(Instance)
        .where(Instance.host == host, Instance.deleted.is_(False))
        .order_by(Instance.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def touch_services_except(
    session: AsyncSession, now: dt.datetime, hosts: Sequence[str] | set[str]
) -> None:
    """Heartbeat every service but those of ``hosts`` (agents that stopped)."""
    await session.execute(
        update(ComputeService)
        .where(ComputeService.host.not_in(list(hosts)))
        .values(last_seen_up=now)
        .execution_options(synchronize_session=False)
    )


async def lock_instance(session: AsyncSession, uuid: str) -> Instance | None:
    """The live instance, its row locked for this transaction (two actions racing on one
    server: the second waits, then sees the first one's task_state)."""
    stmt = (
        select(Instance).where(Instance.uuid == uuid, Instance.deleted.is_(False)).with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()
