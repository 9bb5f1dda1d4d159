"""All network SQL: generic listing (filters, tags, keyset pagination, sorting), visibility
clauses per resource, IPAM and segmentation-id allocation rows, RBAC and tag rows."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db.base import Base
from stratus.services.network import models as m

T = TypeVar("T", bound=Base)


# --- generic ----------------------------------------------------------------------------


async def get(session: AsyncSession, model: type[T], ident: str, *, lock: bool = False) -> T | None:
    stmt = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


def column(model: type[Base], name: str) -> Any:
    return getattr(model, name)


def equals_any(model: type[Base], name: str, values: Sequence[Any]) -> ColumnElement[bool]:
    col = column(model, name)
    wanted = [v for v in values if v is not None]
    clauses = []
    if wanted:
        clauses.append(col.in_(wanted) if len(wanted) > 1 else col == wanted[0])
    if len(wanted) != len(values):
        clauses.append(col.is_(None))
    return or_(*clauses) if len(clauses) > 1 else clauses[0]


def substring(model: type[Base], name: str, text: str) -> ColumnElement[bool]:
    return column(model, name).contains(text, autoescape=True)  # type: ignore[no-any-return]


def tag_filters(
    model: type[Base],
    *,
    all_of: Sequence[str] = (),
    any_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    not_any_of: Sequence[str] = (),
) -> list[ColumnElement[bool]]:
    ident = model.id  # type: ignore[attr-defined]
    out: list[ColumnElement[bool]] = []
    for tag in all_of:
        out.append(exists().where(m.Tag.resource_id == ident, m.Tag.tag == tag))
    if any_of:
        out.append(exists().where(m.Tag.resource_id == ident, m.Tag.tag.in_(any_of)))
    if none_of:
        # not-tags: exclude resources having ALL of these tags
        out.append(
            ~and_(*[exists().where(m.Tag.resource_id == ident, m.Tag.tag == t) for t in none_of])
        )
    if not_any_of:
        out.append(~exists().where(m.Tag.resource_id == ident, m.Tag.tag.in_(not_any_of)))
    return out


async def list_rows(
    session: AsyncSession,
    model: type[T],
    *,
    where: Iterable[ColumnElement[bool]] = (),
    sort: Sequence[tuple[str, str]] = (),
    limit: int | None = None,
    marker: str | None = None,
    page_reverse: bool = False,
) -> list[T]:
    keys = [(k, d) for k, d in sort]
    if "id" not in {k for k, _ in keys}:
        keys.append(("id", keys[0][1] if keys else "asc"))
    if page_reverse:
        keys = [(k, "desc" if d == "asc" else "asc") for k, d in keys]
    stmt: Any = select(model)
    for clause in where:
        stmt = stmt.where(clause)
    if marker is not None:
        marker_row = await get(session, model, marker)
        if marker_row is not None:
            stmt = stmt.where(_after(model, marker_row, keys))
    for key, direction in keys:
        col = column(model, key)
        stmt = stmt.order_by(col.desc() if direction == "desc" else col.asc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = list((await session.execute(stmt)).scalars())
    if page_reverse:
        rows.reverse()
    return rows


def _after(model: type[Base], marker: Base, keys: Sequence[tuple[str, str]]) -> Any:
    """Keyset condition: rows strictly after the marker in the (key, direction) ordering."""
    ors = []
    for i, (key, direction) in enumerate(keys):
        ands = [column(model, k) == getattr(marker, k) for k, _ in keys[:i]]
        col = column(model, key)
        value = getattr(marker, key)
        ands.append(col < value if direction == "desc" else col > value)
        ors.append(and_(*ands))
    return or_(*ors)


async def count(session: AsyncSession, model: type[Base], *where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(model)
    for clause in where:
        stmt = stmt.where(clause)
    return int((await session.execute(stmt)).scalar_one())


async def flush_unique(session: AsyncSession, row: Base) -> bool:
    """Insert ``row`` in a savepoint; False when a unique/primary key says it already exists."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


# --- visibility ---------------------------------------------------------------------------


def _rbac_targets(object_type: str, actions: Sequence[str], project_id: str) -> Any:
    return select(m.RBACPolicy.object_id).where(
        m.RBACPolicy.object_type == object_type,
        m.RBACPolicy.action.in_(actions),
        m.RBACPolicy.target_project.in_([project_id, "*"]),
    )


def visible_networks(project_id: str) -> ColumnElement[bool]:
    return or_(
        m.Network.project_id == project_id,
        m.Network.id.in_(
            _rbac_targets("network", ("access_as_shared", "access_as_external"), project_id)
        ),
    )


def visible_network_ids(project_id: str) -> Any:
    return select(m.Network.id).where(visible_networks(project_id))


def visible_subnets(project_id: str) -> ColumnElement[bool]:
    """Own subnets and those of networks shared with the project; an external network's
    subnets stay hidden unless the network is also shared (as upstream)."""
    shared = select(m.Network.id).where(
        or_(
            m.Network.project_id == project_id,
            m.Network.id.in_(_rbac_targets("network", ("access_as_shared",), project_id)),
        )
    )
    return or_(m.Subnet.project_id == project_id, m.Subnet.network_id.in_(shared))


def visible_ports(project_id: str) -> ColumnElement[bool]:
    owned = select(m.Network.id).where(m.Network.project_id == project_id)
    return or_(m.Port.project_id == project_id, m.Port.network_id.in_(owned))


def visible_security_groups(project_id: str) -> ColumnElement[bool]:
    return or_(
        m.SecurityGroup.project_id == project_id,
        m.SecurityGroup.id.in_(_rbac_targets("security_group", ("access_as_shared",), project_id)),
    )


def visible_sg_rules(project_id: str) -> ColumnElement[bool]:
    groups = select(m.SecurityGroup.id).where(visible_security_groups(project_id))
    return or_(
        m.SecurityGroupRule.project_id == project_id,
        m.SecurityGroupRule.security_group_id.in_(groups),
    )


def owned(model: type[Base], project_id: str) -> ColumnElement[bool]:
    return column(model, "project_id") == project_id  # type: ignore[no-any-return]


def shared_networks(project_id: str | None, wanted: bool) -> ColumnElement[bool]:
    targets = ["*"] if project_id is None else ["*", project_id]
    sub = select(m.RBACPolicy.object_id).where(
        m.RBACPolicy.object_type == "network",
        m.RBACPolicy.action == "access_as_shared",
        m.RBACPolicy.target_project.in_(targets),
    )
    return m.Network.id.in_(sub) if wanted else m.Network.id.not_in(sub)


def networks_with_segment(**attrs: Sequence[Any]) -> ColumnElement[bool]:
    sub = select(m.Segment.network_id)
    for name, values in attrs.items():
        sub = sub.where(equals_any(m.Segment, name, values))
    return m.Network.id.in_(sub)


def ports_with_fixed_ip(
    ip_addresses: Sequence[str], subnet_ids: Sequence[str], substr: Sequence[str]
) -> ColumnElement[bool]:
    sub = select(m.IPAllocation.port_id)
    if ip_addresses:
        sub = sub.where(m.IPAllocation.ip_address.in_(ip_addresses))
    if subnet_ids:
        sub = sub.where(m.IPAllocation.subnet_id.in_(subnet_ids))
    for text in substr:
        sub = sub.where(m.IPAllocation.ip_address.contains(text, autoescape=True))
    return m.Port.id.in_(sub)


async def ports_holding_ip(session: AsyncSession, ip_address: str) -> list[m.Port]:
    """The ports with ``ip_address`` among their fixed IPs (one per network at most)."""
    stmt = select(m.Port).where(ports_with_fixed_ip([ip_address], [], []))
    return list((await session.execute(stmt)).scalars())


def ports_in_security_groups(group_ids: Sequence[str]) -> ColumnElement[bool]:
    sub = select(m.PortSecurityGroup.port_id).where(
        m.PortSecurityGroup.security_group_id.in_(group_ids)
    )
    return m.Port.id.in_(sub)


def nothing() -> ColumnElement[bool]:
    return false()


def everything() -> ColumnElement[bool]:
    return true()


# --- RBAC ---------------------------------------------------------------------------------


async def rbac_entries(
    session: AsyncSession, object_type: str, object_ids: Sequence[str]
) -> list[m.RBACPolicy]:
    if not object_ids:
        return []
    rows = await session.execute(
        select(m.RBACPolicy).where(
            m.RBACPolicy.object_type == object_type, m.RBACPolicy.object_id.in_(object_ids)
        )
    )
    return list(rows.scalars())


async def delete_rbac(
    session: AsyncSession,
    object_type: str,
    object_id: str,
    action: str | None = None,
    target: str | None = None,
) -> None:
    stmt = delete(m.RBACPolicy).where(
        m.RBACPolicy.object_type == object_type, m.RBACPolicy.object_id == object_id
    )
    if action is not None:
        stmt = stmt.where(m.RBACPolicy.action == action)
    if target is not None:
        stmt = stmt.where(m.RBACPolicy.target_project == target)
    await session.execute(stmt)


# --- tags ---------------------------------------------------------------------------------


async def tags_for(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not ids:
        return out
    rows = await session.execute(
        select(m.Tag.resource_id, m.Tag.tag).where(m.Tag.resource_id.in_(ids)).order_by(m.Tag.tag)
    )
    for resource_id, tag in rows:
        out.setdefault(resource_id, []).append(tag)
    return out


async def set_tags(
    session: AsyncSession, resource_type: str, resource_id: str, tags: Sequence[str]
) -> None:
    await session.execute(delete(m.Tag).where(m.Tag.resource_id == resource_id))
    for tag in dict.fromkeys(tags):
        session.add(m.Tag(resource_id=resource_id, tag=tag, resource_type=resource_type))
    await session.flush()


async def add_tag(session: AsyncSession, resource_type: str, resource_id: str, tag: str) -> bool:
    if await session.get(m.Tag, (resource_id, tag)) is not None:
        return False
    session.add(m.Tag(resource_id=resource_id, tag=tag, resource_type=resource_type))
    await session.flush()
    return True


async def remove_tag(session: AsyncSession, resource_id: str, tag: str) -> bool:
    result = await session.execute(
        delete(m.Tag).where(m.Tag.resource_id == resource_id, m.Tag.tag == tag)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def drop_tags(session: AsyncSession, resource_id: str) -> None:
    await session.execute(delete(m.Tag).where(m.Tag.resource_id == resource_id))


# --- segments -----------------------------------------------------------------------------


async def segments_for(
    session: AsyncSession, network_ids: Sequence[str]
) -> dict[str, list[m.Segment]]:
    out: dict[str, list[m.Segment]] = {}
    if not network_ids:
        return out
    rows = await session.execute(
        select(m.Segment)
        .where(m.Segment.network_id.in_(network_ids))
        .order_by(m.Segment.segment_index, m.Segment.created_at)
    )
    for seg in rows.scalars():
        out.setdefault(seg.network_id, []).append(seg)
    return out


async def used_segmentation_ids(
    session: AsyncSession, network_type: str, physnet: str, low: int, high: int
) -> set[int]:
    rows = await session.execute(
        select(m.SegmentAllocation.segmentation_id).where(
            m.SegmentAllocation.network_type == network_type,
            m.SegmentAllocation.physical_network == physnet,
            m.SegmentAllocation.segmentation_id.between(low, high),
        )
    )
    return set(rows.scalars())


async def segmentation_id_taken(
    session: AsyncSession, network_type: str, physnet: str, seg_id: int
) -> bool:
    row = await session.get(m.SegmentAllocation, (network_type, physnet, seg_id))
    return row is not None


# --- subnets and IPAM --------------------------------------------------------------------


async def subnets_for(
    session: AsyncSession, network_ids: Sequence[str]
) -> dict[str, list[m.Subnet]]:
    out: dict[str, list[m.Subnet]] = {}
    if not network_ids:
        return out
    rows = await session.execute(
        select(m.Subnet)
        .where(m.Subnet.network_id.in_(network_ids))
        .order_by(m.Subnet.created_at, m.Subnet.id)
    )
    for subnet in rows.scalars():
        out.setdefault(subnet.network_id, []).append(subnet)
    return out


async def allocations_for_ports(
    session: AsyncSession, port_ids: Sequence[str]
) -> dict[str, list[m.IPAllocation]]:
    out: dict[str, list[m.IPAllocation]] = {}
    if not port_ids:
        return out
    rows = await session.execute(select(m.IPAllocation).where(m.IPAllocation.port_id.in_(port_ids)))
    for alloc in rows.scalars():
        out.setdefault(alloc.port_id, []).append(alloc)
    return out


async def allocation(session: AsyncSession, subnet_id: str, ip: str) -> m.IPAllocation | None:
    return await session.get(m.IPAllocation, (subnet_id, ip))


async def allocated_in_subnet(session: AsyncSession, subnet_id: str) -> list[str]:
    rows = await session.execute(
        select(m.IPAllocation.ip_address).where(m.IPAllocation.subnet_id == subnet_id)
    )
    return list(rows.scalars())


async def default_sg_rules(
    session: AsyncSession, *, default: bool | None = None
) -> list[m.DefaultSecurityGroupRule]:
    """Rule templates: all, or those for default (True) / other (False) groups."""
    query = select(m.DefaultSecurityGroupRule)
    if default is True:
        query = query.where(m.DefaultSecurityGroupRule.used_in_default_sg.is_(True))
    elif default is False:
        query = query.where(m.DefaultSecurityGroupRule.used_in_non_default_sg.is_(True))
    rows = await session.execute(query.order_by(m.DefaultSecurityGroupRule.id))
    return list(rows.scalars())


async def allocated_among(
    session: AsyncSession, subnet_id: str, candidates: Sequence[str]
) -> set[str]:
    """Which of ``candidates`` are already allocated in the subnet (one indexed lookup)."""
    if not candidates:
        return set()
    rows = await session.execute(
        select(m.IPAllocation.ip_address).where(
            m.IPAllocation.subnet_id == subnet_id, m.IPAllocation.ip_address.in_(candidates)
        )
    )
    return set(rows.scalars())


async def allocation_count(session: AsyncSession, subnet_id: str) -> int:
    return await count(session, m.IPAllocation, m.IPAllocation.subnet_id == subnet_id)


async def try_allocate(
    session: AsyncSession, *, subnet_id: str, network_id: str, port_id: str, ip: str
) -> bool:
    return await flush_unique(
        session,
        m.IPAllocation(subnet_id=subnet_id, network_id=network_id, port_id=port_id, ip_address=ip),
    )


async def release(
    session: AsyncSession, port_id: str, subnet_id: str | None = None, ip: str | None = None
) -> None:
    stmt = delete(m.IPAllocation).where(m.IPAllocation.port_id == port_id)
    if subnet_id is not None:
        stmt = stmt.where(m.IPAllocation.subnet_id == subnet_id)
    if ip is not None:
        stmt = stmt.where(m.IPAllocation.ip_address == ip)
    await session.execute(stmt)


async def ports_using_subnet(session: AsyncSession, subnet_id: str) -> list[m.Port]:
    rows = await session.execute(
        select(m.Port)
        .join(m.IPAllocation, m.IPAllocation.port_id == m.Port.id)
        .where(m.IPAllocation.subnet_id == subnet_id)
    )
    return list(rows.scalars().unique())


async def ports_on_network(session: AsyncSession, network_id: str) -> list[m.Port]:
    rows = await session.execute(select(m.Port).where(m.Port.network_id == network_id))
    return list(rows.scalars())


async def ports_by_device(
    session: AsyncSession, device_id: str, owner_prefix: str | None = None
) -> list[m.Port]:
    stmt = select(m.Port).where(m.Port.device_id == device_id)
    if owner_prefix is not None:
        stmt = stmt.where(m.Port.device_owner.startswith(owner_prefix))
    rows = await session.execute(stmt)
    return list(rows.scalars())


async def mac_in_use(session: AsyncSession, network_id: str, mac: str) -> bool:
    rows = await session.execute(
        select(m.Port.id).where(m.Port.network_id == network_id, m.Port.mac_address == mac)
    )
    return rows.first() is not None


# --- security groups ----------------------------------------------------------------------


async def port_security_groups(
    session: AsyncSession, port_ids: Sequence[str]
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not port_ids:
        return out
    rows = await session.execute(
        select(m.PortSecurityGroup).where(m.PortSecurityGroup.port_id.in_(port_ids))
    )
    for row in rows.scalars():
        out.setdefault(row.port_id, []).append(row.security_group_id)
    return out


async def set_port_security_groups(
    session: AsyncSession, port_id: str, group_ids: Sequence[str]
) -> None:
    await session.execute(delete(m.PortSecurityGroup).where(m.PortSecurityGroup.port_id == port_id))
    for gid in dict.fromkeys(group_ids):
        session.add(m.PortSecurityGroup(port_id=port_id, security_group_id=gid))
    await session.flush()


async def group_in_use(session: AsyncSession, group_id: str) -> bool:
    rows = await session.execute(
        select(m.PortSecurityGroup.port_id)
        .where(m.PortSecurityGroup.security_group_id == group_id)
        .limit(1)
    )
    return rows.first() is not None


async def rules_for(
    session: AsyncSession, group_ids: Sequence[str]
) -> dict[str, list[m.SecurityGroupRule]]:
    out: dict[str, list[m.SecurityGroupRule]] = {}
    if not group_ids:
        return out
    rows = await session.execute(
        select(m.SecurityGroupRule)
        .where(m.SecurityGroupRule.security_group_id.in_(group_ids))
        .order_by(m.SecurityGroupRule.created_at, m.SecurityGroupRule.id)
    )
    for rule in rows.scalars():
        out.setdefault(rule.security_group_id, []).append(rule)
    return out


async def default_group(session: AsyncSession, project_id: str) -> str | None:
    row = await session.get(m.DefaultSecurityGroup, project_id)
    return row.security_group_id if row else None


async def default_group_ids(session: AsyncSession, group_ids: Sequence[str]) -> set[str]:
    if not group_ids:
        return set()
    rows = await session.execute(
        select(m.DefaultSecurityGroup.security_group_id).where(
            m.DefaultSecurityGroup.security_group_id.in_(group_ids)
        )
    )
    return set(rows.scalars())


# --- routers and floating IPs ------------------------------------------------------------


async def router_interface_ports(session: AsyncSession, router_ids: Sequence[str]) -> list[m.Port]:
    if not router_ids:
        return []
    rows = await session.execute(
        select(m.Port).where(
            m.Port.device_id.in_(router_ids),
            m.Port.device_owner.startswith("network:router_interface"),
        )
    )
    return list(rows.scalars())


async def floating_ips_where(
    session: AsyncSession, *where: ColumnElement[bool]
) -> list[m.FloatingIP]:
    stmt = select(m.FloatingIP)
    for clause in where:
        stmt = stmt.where(clause)
    return list((await session.execute(stmt)).scalars())


async def routers_with_gateway_on(session: AsyncSession, network_id: str) -> list[m.Router]:
    rows = await session.execute(select(m.Router).where(m.Router.gw_network_id == network_id))
    return list(rows.scalars())


# --- agents -------------------------------------------------------------------------------


async def upsert_agent(session: AsyncSession, agent: m.Agent) -> None:
    rows = await session.execute(
        select(m.Agent).where(m.Agent.agent_type == agent.agent_type, m.Agent.host == agent.host)
    )
    existing = rows.scalar_one_or_none()
    if existing is None:
        if not await flush_unique(session, agent):
            return
    else:
        existing.heartbeat_timestamp = agent.heartbeat_timestamp
        existing.configurations = agent.configurations


# --- trunks -------------------------------------------------------------------------------


async def subports_of(
    session: AsyncSession, trunk_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    if not trunk_ids:
        return out
    rows = await session.execute(
        select(m.SubPort, m.Port.mac_address)
        .join(m.Port, m.Port.id == m.SubPort.port_id)
        .where(m.SubPort.trunk_id.in_(trunk_ids))
        .order_by(m.SubPort.segmentation_id)
    )
    for sub, mac in rows:
        out.setdefault(sub.trunk_id, []).append(
            {
                "port_id": sub.port_id,
                "segmentation_type": sub.segmentation_type,
                "segmentation_id": sub.segmentation_id,
                "mac_address": mac,
            }
        )
    return out


async def trunk_details(
    session: AsyncSession, port_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    if not port_ids:
        return {}
    rows = list(
        (await session.execute(select(m.Trunk).where(m.Trunk.port_id.in_(port_ids)))).scalars()
    )
    subs = await subports_of(session, [t.id for t in rows])
    return {t.port_id: {"trunk_id": t.id, "sub_ports": subs.get(t.id, [])} for t in rows}


async def trunk_role(session: AsyncSession, port_id: str) -> tuple[str, str] | None:
    """('parent', trunk id) or ('subport', trunk id) when the port belongs to a trunk."""
    parent = (await session.execute(select(m.Trunk.id).where(m.Trunk.port_id == port_id))).first()
    if parent is not None:
        return "parent", str(parent[0])
    sub = await session.get(m.SubPort, port_id)
    if sub is not None:
        return "subport", sub.trunk_id
    return None


# --- QoS ----------------------------------------------------------------------------------


async def qos_rules(session: AsyncSession, policy_ids: Sequence[str]) -> dict[str, list[m.QosRule]]:
    out: dict[str, list[m.QosRule]] = {}
    if not policy_ids:
        return out
    rows = await session.execute(
        select(m.QosRule)
        .where(m.QosRule.qos_policy_id.in_(policy_ids))
        .order_by(m.QosRule.rule_type, m.QosRule.id)
    )
    for rule in rows.scalars():
        out.setdefault(rule.qos_policy_id, []).append(rule)
    return out


async def qos_policy_users(session: AsyncSession, policy_id: str) -> bool:
    for model in (m.Port, m.Network, m.FloatingIP):
        found = (
            await session.execute(select(model.id).where(model.qos_policy_id == policy_id).limit(1))
        ).first()
        if found is not None:
            return True
    gateway = select(m.Router.id).where(m.Router.gw_qos_policy_id == policy_id).limit(1)
    return (await session.execute(gateway)).first() is not None


async def default_qos_policy(session: AsyncSession, project_id: str) -> m.QosPolicy | None:
    rows = await session.execute(
        select(m.QosPolicy).where(
            m.QosPolicy.project_id == project_id, m.QosPolicy.is_default.is_(True)
        )
    )
    return rows.scalars().first()


async def port_forwardings_for(
    session: AsyncSession, fip_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    if not fip_ids:
        return out
    rows = await session.execute(
        select(m.PortForwarding).where(m.PortForwarding.floatingip_id.in_(fip_ids))
    )
    for pf in rows.scalars():
        out.setdefault(pf.floatingip_id, []).append(
            {
                "protocol": pf.protocol,
                "internal_ip_address": pf.internal_ip_address,
                "internal_port": pf.internal_port,
                "external_port": pf.external_port,
            }
        )
    return out


def subnets_on_shared(project_id: str | None, wanted: bool) -> ColumnElement[bool]:
    return m.Subnet.network_id.in_(select(m.Network.id).where(shared_networks(project_id, wanted)))
