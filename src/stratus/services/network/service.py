"""Networks, segments, subnets (IPAM) and ports: the L2 core of the network service."""

import ipaddress
import random
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import ipam
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core, network_target
from stratus.services.network.drivers.base import (
    Binding,
    FixedIP,
    NetworkSpec,
    PortSpec,
    SegmentSpec,
)
from stratus.services.network.errors import (
    HTTPBadRequest,
    InvalidInput,
    IpAddressGenerationFailure,
    IpAddressInUse,
    MacAddressGenerationFailure,
    MacAddressInUse,
    NetworkInUse,
    NetworkNotFound,
    NoNetworkAvailable,
    PortNotFound,
    SegmentationIdInUse,
    SegmentNotFound,
    SubnetInUse,
    SubnetNotFound,
)
from stratus.services.network.query import Query
from stratus.services.network.secgroups import ensure_default_group, visible_group

# Ports whose deletion follows their network's / subnet's, as neutron's auto-delete owners.
AUTO_DELETE_OWNERS = ("network:dhcp",)
ROUTER_INTERFACE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
)
AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")


# Random addresses screened per allocation before the ordered near-full scan.
RANDOM_BATCH = 64


class NetworkService(Core):
    # ====================================================================== networks

    async def get_network_row(
        self, session: AsyncSession, ctx: RequestContext, network_id: str
    ) -> m.Network:
        net = await repo.get(session, m.Network, network_id)
        if net is None or not await self._network_visible(session, ctx, net):
            raise NetworkNotFound(network_id)
        return net

    async def _network_visible(
        self, session: AsyncSession, ctx: RequestContext, net: m.Network
    ) -> bool:
        if self.is_admin(ctx) or net.project_id == ctx.project_id:
            return True
        project = ctx.project_id or ""
        entries = await repo.rbac_entries(session, "network", [net.id])
        return any(e.target_project in ("*", project) for e in entries)

    async def check_qos(
        self, session: AsyncSession, ctx: RequestContext | None, policy_id: str | None
    ) -> None:
        """A resource may only reference a QoS policy its caller can see."""
        if policy_id is None:
            return
        from stratus.services.network.qos import QosPolicyNotFound

        policy = await repo.get(session, m.QosPolicy, policy_id)
        if policy is None:
            raise QosPolicyNotFound(policy_id)
        if ctx is None or self.is_admin(ctx) or policy.project_id == ctx.project_id:
            return
        entries = await repo.rbac_entries(session, "qos_policy", [policy_id])
        if not any(e.target_project in ("*", ctx.project_id) for e in entries):
            raise QosPolicyNotFound(policy_id)

    async def _check_default_external(self, session: AsyncSession, skip: str | None) -> None:
        from sqlalchemy import select

        rows = await session.execute(
            select(m.Network.id).where(m.Network.external.is_(True), m.Network.is_default.is_(True))
        )
        others = [r for r in rows.scalars() if r != skip]
        if others:
            raise Conflict(
                f"Unable to set the network as default: the default external network {others[0]} exists."
            )

    async def _shared_with(
        self, session: AsyncSession, net: m.Network, project_id: str | None
    ) -> bool:
        entries = await repo.rbac_entries(session, "network", [net.id])
        return any(
            e.action == "access_as_shared" and e.target_project in ("*", project_id)
            for e in entries
        )

    async def list_networks(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        project = ctx.project_id or ""
        special = {
            "shared": lambda vals: repo.shared_networks(None if admin else project, bool(vals[0])),
            "provider:network_type": lambda vals: repo.networks_with_segment(network_type=vals),
            "provider:physical_network": lambda vals: repo.networks_with_segment(
                physical_network=vals
            ),
            "provider:segmentation_id": lambda vals: repo.networks_with_segment(
                segmentation_id=vals
            ),
        }
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.Network,
                attrs.NETWORK,
                query,
                scope=None if admin else repo.visible_networks(project),
                special=special,
            )
            return await self.network_views(session, ctx, rows)

    async def get_network(self, ctx: RequestContext, network_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            net = await self.get_network_row(session, ctx, network_id)
            view = (await self.network_views(session, ctx, [net]))[0]
        if not ctx.allows("get_network", view):
            raise NetworkNotFound(network_id)
        return view

    async def network_views(
        self, session: AsyncSession, ctx: RequestContext, rows: Sequence[m.Network]
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = await repo.tags_for(session, ids)
        segments = await repo.segments_for(session, ids)
        subnets = await repo.subnets_for(session, ids)
        rbac = await repo.rbac_entries(session, "network", ids)
        project = ctx.project_id
        shared: set[str] = set()
        for entry in rbac:
            if entry.action == "access_as_shared" and entry.target_project in ("*", project):
                shared.add(entry.object_id)
        show_provider = ctx.allows("get_network:provider:network_type", {"project_id": project})
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            segs = segments.get(row.id, [])
            view.update(
                name=row.name,
                admin_state_up=row.admin_state_up,
                status=row.status,
                subnets=[s.id for s in subnets.get(row.id, [])],
                shared=row.id in shared,
                mtu=row.mtu,
                port_security_enabled=row.port_security_enabled,
                availability_zone_hints=list(row.availability_zone_hints),
                availability_zones=list(
                    row.availability_zone_hints or self.config.availability_zones[:1]
                ),
                is_default=row.is_default,
                dns_domain=row.dns_domain,
                qos_policy_id=row.qos_policy_id,
                ipv4_address_scope=None,
                ipv6_address_scope=None,
                l2_adjacency=True,
            )
            view["router:external"] = row.external
            if show_provider:
                if len(segs) > 1:
                    view["segments"] = [_segment_provider(s) for s in segs]
                elif segs:
                    view.update(_segment_provider(segs[0]))
                else:
                    view.update(
                        {
                            "provider:network_type": None,
                            "provider:physical_network": None,
                            "provider:segmentation_id": None,
                        }
                    )
            out.append(view)
        return out

    async def create_network(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.NETWORK, body)
        owner = self.owner_of(ctx, data)
        target = {"project_id": owner, "tenant_id": owner, **{k: v for k, v in data.items()}}
        self.enforce(ctx, "create_network", target)
        self.enforce_attrs(
            ctx, "create", "network", attrs.NETWORK, {k: body[k] for k in body}, target
        )
        if (
            any(
                k in data
                for k in (
                    "provider:network_type",
                    "provider:physical_network",
                    "provider:segmentation_id",
                )
            )
            and "segments" in data
        ):
            raise BadRequest(
                "Invalid input for operation: Segments and provider values cannot both be set."
            )
        for zone in data.get("availability_zone_hints", []):
            if zone not in self.config.availability_zones:
                raise NotFound(f"AvailabilityZone {zone} could not be found.")
        net_id = uuid_str()
        async with self.db.session() as session:
            await self.claim(session, owner, "network")
            if data["is_default"] and data["router:external"]:
                await self._check_default_external(session, None)
            if "qos_policy_id" in body:
                await self.check_qos(session, ctx, data["qos_policy_id"])
            else:  # qos-default: the project's default policy applies to its new networks
                default_policy = await repo.default_qos_policy(session, owner)
                data["qos_policy_id"] = default_policy.id if default_policy else None
            net = self.new_std(
                m.Network,
                net_id,
                project_id=owner,
                name=data["name"],
                description=data["description"],
                admin_state_up=data["admin_state_up"],
                status="ACTIVE",
                external=data["router:external"],
                is_default=data["is_default"],
                port_security_enabled=data["port_security_enabled"],
                availability_zone_hints=data["availability_zone_hints"],
                dns_domain=data["dns_domain"],
                qos_policy_id=data["qos_policy_id"],
                mtu=0,
            )
            session.add(net)
            await session.flush()
            requested = data.get("segments")
            if requested is None:
                requested = [
                    {
                        "provider:network_type": data.get("provider:network_type"),
                        "provider:physical_network": data.get("provider:physical_network"),
                        "provider:segmentation_id": data.get("provider:segmentation_id"),
                    }
                ]
            segs = []
            for index, seg in enumerate(requested):
                segs.append(
                    await self._allocate_segment(
                        session, net_id, index, seg, owner, external=data["router:external"]
                    )
                )
            max_mtu = min(self._mtu_for(s.network_type) for s in segs)
            if "mtu" in data:
                if data["mtu"] > max_mtu:
                    raise InvalidInput(f"Requested MTU is too big, maximum is {max_mtu}")
                net.mtu = data["mtu"]
            else:
                net.mtu = max_mtu
            if data["shared"]:
                session.add(
                    m.RBACPolicy(
                        id=uuid_str(),
                        project_id=owner,
                        object_type="network",
                        object_id=net_id,
                        action="access_as_shared",
                        target_project="*",
                    )
                )
            if data["router:external"]:
                session.add(
                    m.RBACPolicy(
                        id=uuid_str(),
                        project_id=owner,
                        object_type="network",
                        object_id=net_id,
                        action="access_as_external",
                        target_project="*",
                    )
                )
            if data.get("tags"):
                await repo.set_tags(session, "network", net_id, data["tags"])
            await session.flush()
            view = (await self.network_views(session, ctx, [net]))[0]
            spec = self._network_spec(net, segs)
        await self.driver.network_created(spec)
        return view

    def _mtu_for(self, network_type: str) -> int:
        return self.config.overlay_mtu(network_type)

    async def _allocate_segment(
        self,
        session: AsyncSession,
        network_id: str,
        index: int,
        seg: Mapping[str, Any],
        owner: str | None = None,
        *,
        external: bool = False,
    ) -> m.Segment:
        network_type = seg.get("provider:network_type")
        physnet = seg.get("provider:physical_network")
        seg_id = seg.get("provider:segmentation_id")
        if network_type is None:
            if physnet is not None or seg_id is not None:
                raise InvalidInput("network_type required")
            # ML2's external_network_type: unset, external networks get the tenant type.
            network_type = (external and self.config.external_network_type) or (
                self.config.tenant_network_types[0]
            )
        if network_type not in attrs.NETWORK_TYPES:
            raise InvalidInput(f"network_type value '{network_type}' not supported")
        if seg_id is not None:
            try:
                seg_id = int(seg_id)
            except (TypeError, ValueError):
                raise InvalidInput(f"segmentation_id '{seg_id}' is not an integer") from None
        if network_type in ("vxlan", "geneve"):
            if physnet is not None:
                raise InvalidInput(
                    f"provider:physical_network specified for {network_type.upper()} network"
                )
            limit = 2**24 - 1
            if seg_id is not None and not 1 <= seg_id <= limit:
                raise InvalidInput(f"segmentation_id out of range (1 through {limit})")
            ranges = self.config.tunnel_ranges(network_type)
        elif network_type == "vlan":
            vlan_physnets = [r.physical_network for r in self.config.network_vlan_ranges]
            if physnet is None:
                if seg_id is not None or len(set(vlan_physnets)) != 1:
                    raise InvalidInput("physical_network required for VLAN provider network")
                physnet = vlan_physnets[0]
            if physnet not in vlan_physnets and physnet not in self.config.physical_networks:
                raise InvalidInput(
                    f"physical_network '{physnet}' unknown for VLAN provider network"
                )
            if seg_id is not None and not 1 <= seg_id <= 4094:
                raise InvalidInput("segmentation_id out of range (1 through 4094)")
            ranges = [
                (r.minimum, r.maximum)
                for r in self.config.network_vlan_ranges
                if r.physical_network == physnet
            ]
        elif network_type == "flat":
            if seg_id is not None:
                raise InvalidInput("provider:segmentation_id specified for flat network")
            if physnet is None:
                raise InvalidInput("physical_network required for flat provider network")
            if "*" not in self.config.flat_networks and physnet not in self.config.flat_networks:
                raise InvalidInput(
                    f"physical_network '{physnet}' unknown for flat provider network"
                )
            ranges = []
        else:  # local
            if physnet is not None or seg_id is not None:
                raise InvalidInput("provider:physical_network specified for local network")
            ranges = []
        segment: m.Segment = self.new_std(
            m.Segment,
            uuid_str(),
            network_id=network_id,
            network_type=network_type,
            physical_network=physnet,
            segmentation_id=seg_id,
            segment_index=index,
            name=None,
        )
        session.add(segment)
        await session.flush()
        pool_key = physnet or ""
        if network_type == "flat":
            if not await repo.flush_unique(
                session,
                m.SegmentAllocation(
                    network_type="flat",
                    physical_network=pool_key,
                    segmentation_id=0,
                    segment_id=segment.id,
                ),
            ):
                raise SegmentationIdInUse("flat", None, physnet)
        elif network_type in ("vlan", "vxlan", "geneve"):
            if seg_id is not None:
                if not await repo.flush_unique(
                    session,
                    m.SegmentAllocation(
                        network_type=network_type,
                        physical_network=pool_key,
                        segmentation_id=seg_id,
                        segment_id=segment.id,
                    ),
                ):
                    raise SegmentationIdInUse(network_type, seg_id, physnet)
            else:
                segment.segmentation_id = await self._tenant_segmentation_id(
                    session, network_type, physnet, pool_key, ranges, segment.id, owner
                )
        return segment

    async def _tenant_segmentation_id(
        self,
        session: AsyncSession,
        network_type: str,
        physnet: str | None,
        pool_key: str,
        configured: Sequence[tuple[int, int]],
        segment_id: str,
        owner: str | None,
    ) -> int:
        """The project's own segment ranges first, then shared ones (network-segment-range);
        the configured ranges when no range rows exist for the type."""
        from stratus.services.network.ranges import tenant_ranges

        groups = await tenant_ranges(session, network_type, physnet, owner) or [list(configured)]
        for index, group in enumerate(groups):
            try:
                return await self._pick_segmentation_id(
                    session, network_type, pool_key, group, segment_id
                )
            except NoNetworkAvailable:
                if index == len(groups) - 1:
                    raise
        raise NoNetworkAvailable()

    async def _pick_segmentation_id(
        self,
        session: AsyncSession,
        network_type: str,
        physnet: str,
        ranges: Sequence[tuple[int, int]],
        segment_id: str,
    ) -> int:
        """Random tries first (constant time while the range is not nearly full), then a scan
        of the used ids; every claim is an insert the primary key arbitrates."""
        total = sum(b - a + 1 for a, b in ranges)
        if total <= 0:
            raise NoNetworkAvailable()
        for _ in range(8):
            pick = random.randrange(total)
            for a, b in ranges:
                if pick <= b - a:
                    candidate = a + pick
                    break
                pick -= b - a + 1
            if await repo.flush_unique(
                session,
                m.SegmentAllocation(
                    network_type=network_type,
                    physical_network=physnet,
                    segmentation_id=candidate,
                    segment_id=segment_id,
                ),
            ):
                return candidate
        for a, b in ranges:
            used = await repo.used_segmentation_ids(session, network_type, physnet, a, b)
            for candidate in range(a, b + 1):
                if candidate in used:
                    continue
                if await repo.flush_unique(
                    session,
                    m.SegmentAllocation(
                        network_type=network_type,
                        physical_network=physnet,
                        segmentation_id=candidate,
                        segment_id=segment_id,
                    ),
                ):
                    return candidate
        raise NoNetworkAvailable()

    def _network_spec(self, net: m.Network, segs: Sequence[m.Segment]) -> NetworkSpec:
        return NetworkSpec(
            id=net.id,
            project_id=net.project_id,
            mtu=net.mtu,
            external=net.external,
            admin_state_up=net.admin_state_up,
            segments=tuple(_segment_spec(s) for s in segs),
        )

    async def update_network(
        self,
        ctx: RequestContext,
        network_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.NETWORK, body)
        async with self.db.session() as session:
            net = await self.get_network_row(session, ctx, network_id)
            view = (await self.network_views(session, ctx, [net]))[0]
            if not ctx.allows("get_network", view):
                raise NetworkNotFound(network_id)
            target = {**view, "project_id": net.project_id, "tenant_id": net.project_id}
            self.enforce(ctx, "update_network", target)
            self.enforce_attrs(ctx, "update", "network", attrs.NETWORK, data, target)
            self.check_revision(net, if_match)
            if any(k.startswith("provider:") or k == "segments" for k in data):
                raise InvalidInput("Plugin does not support updating provider attributes")
            if "qos_policy_id" in data:
                await self.check_qos(session, ctx, data["qos_policy_id"])
            if data.get("is_default") and (net.external or data.get("router:external")):
                await self._check_default_external(session, net.id)
            for key in (
                "name",
                "description",
                "admin_state_up",
                "port_security_enabled",
                "dns_domain",
                "qos_policy_id",
                "is_default",
            ):
                if key in data:
                    setattr(net, key, data[key])
            if "mtu" in data:
                segs = (await repo.segments_for(session, [net.id])).get(net.id, [])
                max_mtu = min(
                    (self._mtu_for(s.network_type) for s in segs),
                    default=self.config.global_physnet_mtu,
                )
                if data["mtu"] > max_mtu:
                    raise InvalidInput(f"Requested MTU is too big, maximum is {max_mtu}")
                versions = {
                    sub.ip_version
                    for sub in (await repo.subnets_for(session, [net.id])).get(net.id, [])
                }
                minimum = 1280 if 6 in versions else 68 if 4 in versions else 0
                if data["mtu"] < minimum:
                    raise Conflict(
                        f"Invalid input for operation: MTU {data['mtu']} is too small for the "
                        f"network's subnets (minimum {minimum})."
                    )
                net.mtu = data["mtu"]
            if "shared" in data:
                await self._set_wildcard(session, net, "access_as_shared", data["shared"])
            if "router:external" in data:
                if not data["router:external"] and net.external:
                    in_use = await repo.routers_with_gateway_on(session, net.id)
                    fips = await repo.floating_ips_where(
                        session, m.FloatingIP.floating_network_id == net.id
                    )
                    if in_use or fips:
                        raise Conflict(
                            f"Unable to reconfigure sharing settings for network {net.id}. "
                            "Multiple tenants are using it."
                        )
                net.external = data["router:external"]
                await self._set_wildcard(
                    session, net, "access_as_external", data["router:external"]
                )
            if "tags" in data:
                await repo.set_tags(session, "network", net.id, data["tags"])
            self.bump(net)
            await session.flush()
            view = (await self.network_views(session, ctx, [net]))[0]
            segs = (await repo.segments_for(session, [net.id])).get(net.id, [])
            spec = self._network_spec(net, segs)
        await self.driver.network_updated(spec)
        return view

    async def _set_wildcard(
        self, session: AsyncSession, net: m.Network, action: str, on: bool
    ) -> None:
        entries = [
            e
            for e in await repo.rbac_entries(session, "network", [net.id])
            if e.action == action and e.target_project == "*"
        ]
        if on and not entries:
            session.add(
                m.RBACPolicy(
                    id=uuid_str(),
                    project_id=net.project_id,
                    object_type="network",
                    object_id=net.id,
                    action=action,
                    target_project="*",
                )
            )
        elif not on and entries:
            if action == "access_as_shared":
                foreign = [
                    p
                    for p in await repo.ports_on_network(session, net.id)
                    if p.project_id != net.project_id and not p.device_owner.startswith("network:")
                ]
                if foreign:
                    raise Conflict(
                        f"Unable to reconfigure sharing settings for network {net.id}. Multiple tenants are using it."
                    )
            await repo.delete_rbac(session, "network", net.id, action, "*")

    async def delete_network(
        self, ctx: RequestContext, network_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            net = await self.get_network_row(session, ctx, network_id)
            view = (await self.network_views(session, ctx, [net]))[0]
            if not ctx.allows("get_network", view):
                raise NetworkNotFound(network_id)
            self.enforce(ctx, "delete_network", {**view, "project_id": net.project_id})
            self.check_revision(net, if_match)
            ports = await repo.ports_on_network(session, net.id)
            if any(
                p.device_owner not in (*AUTO_DELETE_OWNERS, "network:floatingip") for p in ports
            ):
                raise NetworkInUse(network_id)
            # floating IPs of an external network go with it, as upstream
            for fip in await repo.floating_ips_where(
                session, m.FloatingIP.floating_network_id == net.id
            ):
                await repo.drop_tags(session, fip.id)
                await session.delete(fip)
            await session.flush()
            for port in ports:
                await session.delete(port)
            await repo.delete_rbac(session, "network", net.id)
            await repo.drop_tags(session, net.id)
            for subnet in (await repo.subnets_for(session, [net.id])).get(net.id, []):
                await repo.drop_tags(session, subnet.id)
                await session.delete(subnet)
            for seg in (await repo.segments_for(session, [net.id])).get(net.id, []):
                await session.delete(seg)
            await session.flush()
            await session.delete(net)
        await self.driver.network_deleted(network_id)

    # ====================================================================== segments

    async def list_segments(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_segment", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            rows = await self.list_rows(session, m.Segment, attrs.SEGMENT, query, scope=None)
            tags = await self.tags_of(session, rows)
            return [self._segment_view(r, tags) for r in rows]

    def _segment_view(self, seg: m.Segment, tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        view = self.std_view(_Projectless(seg), tags)
        del view["project_id"], view["tenant_id"]
        view.update(
            network_id=seg.network_id,
            name=seg.name,
            network_type=seg.network_type,
            physical_network=seg.physical_network,
            segmentation_id=seg.segmentation_id,
        )
        return view

    async def get_segment(self, ctx: RequestContext, segment_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_segment", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            seg = await repo.get(session, m.Segment, segment_id)
            if seg is None:
                raise SegmentNotFound(segment_id)
            return self._segment_view(seg, await self.tags_of(session, [seg]))

    async def create_segment(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.SEGMENT, body)
        self.enforce(ctx, "create_segment", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            net = await self.get_network_row(session, ctx, data["network_id"])
            count = len((await repo.segments_for(session, [net.id])).get(net.id, []))
            seg = await self._allocate_segment(
                session,
                net.id,
                count,
                {
                    "provider:network_type": data["network_type"],
                    "provider:physical_network": data["physical_network"],
                    "provider:segmentation_id": data["segmentation_id"],
                },
            )
            seg.name = data["name"]
            seg.description = data["description"]
            self.bump(net)
            await session.flush()
            return self._segment_view(seg, {})

    async def update_segment(
        self,
        ctx: RequestContext,
        segment_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.SEGMENT, body)
        self.enforce(ctx, "update_segment", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            seg = await repo.get(session, m.Segment, segment_id)
            if seg is None:
                raise SegmentNotFound(segment_id)
            self.check_revision(seg, if_match)
            for key in ("name", "description"):
                if key in data:
                    setattr(seg, key, data[key])
            self.bump(seg)
            await session.flush()
            return self._segment_view(seg, await self.tags_of(session, [seg]))

    async def delete_segment(
        self, ctx: RequestContext, segment_id: str, if_match: int | None = None
    ) -> None:
        self.enforce(ctx, "delete_segment", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            seg = await repo.get(session, m.Segment, segment_id)
            if seg is None:
                raise SegmentNotFound(segment_id)
            self.check_revision(seg, if_match)
            subnets = (await repo.subnets_for(session, [seg.network_id])).get(seg.network_id, [])
            if any(s.segment_id == seg.id for s in subnets):
                raise Conflict(
                    f"Segment '{seg.id}' cannot be deleted: 1 or more subnets are associated with it."
                )
            await session.delete(seg)

    # ====================================================================== subnets

    async def get_subnet_row(
        self, session: AsyncSession, ctx: RequestContext, subnet_id: str
    ) -> m.Subnet:
        subnet = await repo.get(session, m.Subnet, subnet_id)
        if subnet is None:
            raise SubnetNotFound(subnet_id)
        if not self.is_admin(ctx) and subnet.project_id != ctx.project_id:
            net = await repo.get(session, m.Network, subnet.network_id)
            if net is None or not await self._network_visible(session, ctx, net):
                raise SubnetNotFound(subnet_id)
        return subnet

    def subnet_view(self, row: m.Subnet, tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        view = self.std_view(row, tags)
        view.update(
            name=row.name,
            network_id=row.network_id,
            ip_version=row.ip_version,
            cidr=row.cidr,
            gateway_ip=row.gateway_ip,
            enable_dhcp=row.enable_dhcp,
            ipv6_ra_mode=row.ipv6_ra_mode,
            ipv6_address_mode=row.ipv6_address_mode,
            subnetpool_id=row.subnetpool_id,
            segment_id=row.segment_id,
            dns_publish_fixed_ip=row.dns_publish_fixed_ip,
            allocation_pools=[dict(p) for p in row.allocation_pools],
            dns_nameservers=list(row.dns_nameservers),
            host_routes=[dict(r) for r in row.host_routes],
            service_types=list(row.service_types),
        )
        return view

    async def list_subnets(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.Subnet,
                attrs.SUBNET,
                query,
                scope=None if admin else repo.visible_subnets(ctx.project_id or ""),
                special={
                    "cidr": lambda vals: repo.equals_any(
                        m.Subnet, "cidr", [_norm_cidr(v) for v in vals]
                    ),
                    "shared": lambda vals: repo.subnets_on_shared(
                        None if admin else ctx.project_id or "", attrs.to_bool(vals[0])
                    ),
                },
            )
            tags = await self.tags_of(session, rows)
            return [self.subnet_view(r, tags) for r in rows]

    async def get_subnet(self, ctx: RequestContext, subnet_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            subnet = await self.get_subnet_row(session, ctx, subnet_id)
            return self.subnet_view(subnet, await self.tags_of(session, [subnet]))

    async def create_subnet(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.SUBNET, body)
        owner = self.owner_of(ctx, data)
        async with self.db.session() as session:
            if data.get("subnetpool_id") or data.get("use_default_subnetpool"):
                data["subnetpool_id"] = await self._cidr_from_pool(session, ctx, data)
            return await self._create_subnet_in(session, ctx, body, data, owner)

    async def _cidr_from_pool(
        self, session: AsyncSession, ctx: RequestContext, data: dict[str, Any]
    ) -> str:
        from stratus.services.network.pools import (
            SubnetPoolNotFound,
            allocate_from_pool,
            default_pool,
        )

        if data.get("subnetpool_id"):
            row = await repo.get(session, m.SubnetPool, data["subnetpool_id"])
            visible = row is not None and (self.is_admin(ctx) or row.project_id == ctx.project_id)
            if row is not None and not visible:
                entries = await repo.rbac_entries(session, "subnetpool", [row.id])
                visible = any(e.target_project in ("*", ctx.project_id) for e in entries)
            if row is None or not visible:
                raise SubnetPoolNotFound(data["subnetpool_id"])
            pool = row
        else:
            found = await default_pool(session, data["ip_version"])
            if found is None:
                raise BadRequest(f"No default subnetpool found for IPv{data['ip_version']}")
            pool = found
        if pool.ip_version != data["ip_version"]:
            raise BadRequest(
                f"Cannot allocate IPv{data['ip_version']} subnet from IPv{pool.ip_version} subnet pool"
            )
        data["cidr"] = await allocate_from_pool(
            session, pool, cidr=data.get("cidr"), prefixlen=data.get("prefixlen")
        )
        return pool.id

    async def _create_subnet_in(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        body: Mapping[str, Any],
        data: dict[str, Any],
        owner: str,
    ) -> dict[str, Any]:
        if "cidr" not in data:
            raise BadRequest(
                "Bad subnets request: a cidr must be specified in the absence of a subnet pool"
            )
        version = data["ip_version"]
        if version not in (4, 6):
            raise HTTPBadRequest(
                f"Invalid input for ip_version. Reason: '{version}' is not in [4, 6]."
            )
        cidr = data["cidr"]
        _check_cidr_text(body.get("cidr"), cidr)
        net_obj = ipam.network(cidr)
        if net_obj.version != version:
            raise InvalidInput(f"Cidr {cidr} does not match with IP version {version}")
        ra, mode = data["ipv6_ra_mode"], data["ipv6_address_mode"]
        if version == 4 and (ra or mode):
            which, value = ("ipv6_ra_mode", ra) if ra else ("ipv6_address_mode", mode)
            raise InvalidInput(
                f"{which} set to '{value}' with ip_version set to '4', but this attribute is only valid for IPv6"
            )
        if ra and mode and ra != mode:
            raise InvalidInput(
                f"ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to '{mode}' is not valid. If both attributes are set, they must be the same value"
            )
        if (mode in AUTO_ADDRESS_MODES or ra in AUTO_ADDRESS_MODES) and net_obj.prefixlen != 64:
            raise InvalidInput(
                f"Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64"
            )
        if "gateway_ip" in data:
            gateway = data["gateway_ip"]
        else:
            gateway = str(ipam.first_host(net_obj))
        if gateway is not None:
            _check_gateway(cidr, gateway)
        if "allocation_pools" in data:
            pools = data["allocation_pools"]
            try:
                ipam.validate_pools(cidr, pools)
            except ipam.PoolError as err:
                raise BadRequest(str(err)) from None
            if gateway is not None and ipam.in_pools(gateway, pools):
                raise Conflict(
                    f"Gateway ip {gateway} conflicts with allocation pool {_pools_text(pools)}"
                )
        else:
            pools = ipam.default_pools(cidr, gateway)
        for route in data["host_routes"]:
            if (
                ipam.network(route["destination"]).version != version
                or ipam.version_of(route["nexthop"]) != version
            ):
                raise InvalidInput(
                    f"Host routes {route} do not match the subnet's IP version {version}"
                )
        net = await self.get_network_row(session, ctx, data["network_id"])
        target = {"project_id": owner, "tenant_id": owner, **network_target(net), **data}
        self.enforce(ctx, "create_subnet", target)
        if not self.is_admin(ctx) and net.project_id != owner:
            raise PolicyNotAuthorizedNetworkOwner()
        if data["segment_id"] is not None:
            seg = await repo.get(session, m.Segment, data["segment_id"])
            if seg is None or seg.network_id != net.id:
                raise SegmentNotFound(data["segment_id"])
        minimum = 68 if version == 4 else 1280
        if net.mtu < minimum:
            raise Conflict(
                f"Invalid input for operation: Network MTU {net.mtu} is too small for an "
                f"IPv{version} subnet (minimum {minimum})."
            )
        existing = (await repo.subnets_for(session, [net.id])).get(net.id, [])
        for other in existing:
            if ipam.overlaps(other.cidr, cidr):
                raise InvalidInput(
                    f"Requested subnet with cidr: {cidr} for network: {net.id} overlaps with another subnet"
                )
        await self.claim(session, owner, "subnet")
        subnet = self.new_std(
            m.Subnet,
            uuid_str(),
            network_id=net.id,
            project_id=owner,
            name=data["name"],
            description=data["description"],
            ip_version=version,
            cidr=cidr,
            gateway_ip=gateway,
            enable_dhcp=data["enable_dhcp"],
            ipv6_ra_mode=ra,
            ipv6_address_mode=mode,
            subnetpool_id=data.get("subnetpool_id"),
            segment_id=data["segment_id"],
            dns_publish_fixed_ip=data["dns_publish_fixed_ip"],
            allocation_pools=pools,
            dns_nameservers=data["dns_nameservers"],
            host_routes=data["host_routes"],
            service_types=data["service_types"],
        )
        session.add(subnet)
        self.bump(net)
        await session.flush()
        if data.get("tags"):
            await repo.set_tags(session, "subnet", subnet.id, data["tags"])
        return self.subnet_view(subnet, await self.tags_of(session, [subnet]))

    async def update_subnet(
        self,
        ctx: RequestContext,
        subnet_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.SUBNET, body)
        async with self.db.session() as session:
            subnet = await self.get_subnet_row(session, ctx, subnet_id)
            net = await repo.get(session, m.Network, subnet.network_id)
            self.enforce(
                ctx,
                "update_subnet",
                {
                    "project_id": subnet.project_id,
                    "tenant_id": subnet.project_id,
                    **network_target(net),
                },
            )
            self.check_revision(subnet, if_match)
            pools = data.get("allocation_pools", subnet.allocation_pools)
            gateway = (
                data.get("gateway_ip", subnet.gateway_ip)
                if "gateway_ip" in data
                else subnet.gateway_ip
            )
            if "allocation_pools" in data:
                try:
                    ipam.validate_pools(subnet.cidr, pools)
                except ipam.PoolError as err:
                    raise BadRequest(str(err)) from None
            if gateway is not None and ("gateway_ip" in data or "allocation_pools" in data):
                _check_gateway(subnet.cidr, gateway)
                if ipam.in_pools(gateway, pools):
                    raise Conflict(
                        f"Gateway ip {gateway} conflicts with allocation pool {_pools_text(pools)}"
                    )
            if "gateway_ip" in data and gateway != subnet.gateway_ip and subnet.gateway_ip:
                holder = await repo.allocation(session, subnet.id, subnet.gateway_ip)
                if holder is not None:
                    owner_port = await repo.get(session, m.Port, holder.port_id)
                    if (
                        owner_port is not None
                        and owner_port.device_owner in ROUTER_INTERFACE_OWNERS
                    ):
                        raise Conflict(
                            f"Gateway IP {subnet.gateway_ip} of subnet {subnet.id} is used by the "
                            f"router interface {owner_port.id}; it cannot be changed."
                        )
            if "gateway_ip" in data and gateway is not None and gateway != subnet.gateway_ip:
                holder = await repo.allocation(session, subnet.id, gateway)
                if holder is not None:
                    raise IpAddressInUse(subnet.network_id, gateway)
            for key in (
                "name",
                "description",
                "enable_dhcp",
                "dns_nameservers",
                "host_routes",
                "service_types",
                "dns_publish_fixed_ip",
                "segment_id",
            ):
                if key in data:
                    setattr(subnet, key, data[key])
            subnet.allocation_pools = list(pools)
            subnet.gateway_ip = gateway
            self.bump(subnet)
            await session.flush()
            return self.subnet_view(subnet, await self.tags_of(session, [subnet]))

    async def delete_subnet(
        self, ctx: RequestContext, subnet_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            subnet = await self.get_subnet_row(session, ctx, subnet_id)
            net = await repo.get(session, m.Network, subnet.network_id)
            self.enforce(
                ctx,
                "delete_subnet",
                {
                    "project_id": subnet.project_id,
                    "tenant_id": subnet.project_id,
                    **network_target(net),
                },
            )
            self.check_revision(subnet, if_match)
            users = await repo.ports_using_subnet(session, subnet.id)
            blocking = [p for p in users if p.device_owner not in AUTO_DELETE_OWNERS]
            auto_only = all(_auto_address(subnet) for _ in [0]) and not [
                p for p in blocking if p.device_owner in ROUTER_INTERFACE_OWNERS
            ]
            if blocking and not (_auto_address(subnet) and auto_only):
                raise SubnetInUse(subnet_id)
            await repo.drop_tags(session, subnet.id)
            await session.delete(subnet)
            if net is not None:
                self.bump(net)

    # ====================================================================== ports

    async def get_port_row(
        self, session: AsyncSession, ctx: RequestContext, port_id: str
    ) -> m.Port:
        port = await repo.get(session, m.Port, port_id)
        if port is None:
            raise PortNotFound(port_id)
        if not self.is_admin(ctx) and port.project_id != ctx.project_id:
            net = await repo.get(session, m.Network, port.network_id)
            if net is None or net.project_id != ctx.project_id:
                raise PortNotFound(port_id)
        return port

    async def port_views(
        self, session: AsyncSession, ctx: RequestContext | None, rows: Sequence[m.Port]
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = await repo.tags_for(session, ids)
        allocs = await repo.allocations_for_ports(session, ids)
        groups = await repo.port_security_groups(session, ids)
        trunks = await repo.trunk_details(session, ids)
        show_binding = ctx is None or ctx.allows(
            "get_port:binding:vif_type", {"project_id": ctx.project_id}
        )
        show_trusted = ctx is None or ctx.allows("get_port:trusted", {"project_id": ctx.project_id})
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            ips = sorted(
                allocs.get(row.id, []),
                key=lambda a: (ipam.version_of(a.ip_address), a.subnet_id, a.ip_address),
            )
            view.update(
                name=row.name,
                network_id=row.network_id,
                mac_address=row.mac_address,
                admin_state_up=row.admin_state_up,
                status=row.status,
                device_id=row.device_id,
                device_owner=row.device_owner,
                fixed_ips=[{"subnet_id": a.subnet_id, "ip_address": a.ip_address} for a in ips],
                security_groups=sorted(groups.get(row.id, [])),
                port_security_enabled=row.port_security_enabled,
                allowed_address_pairs=[
                    _pair_view(p, row.mac_address) for p in row.allowed_address_pairs
                ],
                extra_dhcp_opts=[dict(o) for o in row.extra_dhcp_opts],
                dns_name=row.dns_name,
                dns_domain=row.dns_domain,
                dns_assignment=[
                    {
                        "hostname": row.dns_name
                        or f"host-{a.ip_address.replace('.', '-').replace(':', '-')}",
                        "ip_address": a.ip_address,
                        "fqdn": f"{row.dns_name or 'host-' + a.ip_address.replace('.', '-').replace(':', '-')}.openstacklocal.",
                    }
                    for a in ips
                ],
                qos_policy_id=row.qos_policy_id,
                qos_network_policy_id=None,
                resource_request=None,
                propagate_uplink_status=False,
                ip_allocation="immediate",
            )
            view["binding:vnic_type"] = row.binding_vnic_type
            if row.id in trunks:
                view["trunk_details"] = trunks[row.id]
            if show_binding:
                view["binding:host_id"] = row.binding_host_id
                view["binding:profile"] = dict(row.binding_profile)
                view["binding:vif_type"] = row.binding_vif_type
                view["binding:vif_details"] = dict(row.binding_vif_details)
            if show_trusted:
                view["trusted"] = row.binding_profile.get("trusted")
            out.append(view)
        return out

    async def list_ports(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        fixed = query.filters.pop("fixed_ips", [])
        special: dict[str, Any] = {
            "security_groups": lambda vals: repo.ports_in_security_groups(vals),
            "mac_address": lambda vals: repo.equals_any(
                m.Port, "mac_address", [str(v).lower() for v in vals]
            ),
        }
        async with self.db.reader() as session:
            if fixed:
                ips, subnets, substr = _parse_fixed_ip_filters(fixed)
                query.filters.setdefault("__fixed__", ["x"])
                special["__fixed__"] = lambda _v: repo.ports_with_fixed_ip(ips, subnets, substr)
            amap = dict(attrs.PORT)
            amap["__fixed__"] = attrs.Attr("__fixed__")
            rows = await self.list_rows(
                session,
                m.Port,
                amap,
                query,
                scope=None if admin else repo.visible_ports(ctx.project_id or ""),
                special=special,
            )
            return await self.port_views(session, ctx, rows)

    async def get_port(self, ctx: RequestContext, port_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            port = await self.get_port_row(session, ctx, port_id)
            return (await self.port_views(session, ctx, [port]))[0]

    async def create_port(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.PORT, body)
        owner = self.owner_of(ctx, data)
        async with self.db.session() as session:
            net = await self.get_network_row(session, ctx, data["network_id"])
            target = {
                "project_id": owner,
                "tenant_id": owner,
                **network_target(net),
                **{k: v for k, v in data.items() if not isinstance(v, (list, dict))},
            }
            target["shared"] = await self._shared_with(session, net, ctx.project_id)
            self.enforce(ctx, "create_port", target)
            given = dict(body)
            if "fixed_ips" in given:
                if any("ip_address" in f for f in data["fixed_ips"]):
                    self.enforce(ctx, "create_port:fixed_ips:ip_address", target)
                if any("subnet_id" in f for f in data["fixed_ips"]):
                    self.enforce(ctx, "create_port:fixed_ips:subnet_id", target)
                given.pop("fixed_ips")
            if data.get("device_owner", "").startswith("network:"):
                self.enforce(ctx, "create_port:device_owner", target)
            given.pop("device_owner", None)
            self.enforce_attrs(ctx, "create", "port", attrs.PORT, given, target)
            await self.claim(session, owner, "port")
            view, spec, binding = await self.create_port_in(session, ctx, net, owner, data)
        await self.driver.port_updated(spec, binding)
        return view

    async def create_port_in(
        self,
        session: AsyncSession,
        ctx: RequestContext | None,
        net: m.Network,
        owner: str,
        data: Mapping[str, Any],
    ) -> tuple[dict[str, Any], PortSpec, Binding | None]:
        """Create a port in ``session`` (shared with routers and floating IPs)."""
        port_id = uuid_str()
        if data.get("mac_address") is not None:
            mac = data["mac_address"]
            if await repo.mac_in_use(session, net.id, mac):
                raise MacAddressInUse(net.id, mac)
        else:
            mac = await self._generate_mac(session, net.id)
        port_security = data.get("port_security_enabled", net.port_security_enabled)
        device_owner = data.get("device_owner", "")
        pairs = data.get("allowed_address_pairs", [])
        if pairs and not port_security:
            raise Conflict(
                "Port Security must be enabled in order to have allowed address pairs on a port."
            )
        await self.check_qos(session, ctx, data.get("qos_policy_id"))
        port = self.new_std(
            m.Port,
            port_id,
            network_id=net.id,
            project_id=owner,
            name=data.get("name", ""),
            description=data.get("description", ""),
            mac_address=mac,
            admin_state_up=data.get("admin_state_up", True),
            status="DOWN",
            device_id=data.get("device_id", ""),
            device_owner=device_owner,
            port_security_enabled=port_security,
            binding_host_id=data.get("binding:host_id", ""),
            binding_vnic_type=data.get("binding:vnic_type", "normal"),
            binding_profile=_with_trusted(data.get("binding:profile", {}), data),
            binding_vif_type="unbound",
            binding_vif_details={},
            allowed_address_pairs=pairs,
            extra_dhcp_opts=data.get("extra_dhcp_opts", []),
            dns_name=data.get("dns_name", ""),
            dns_domain=data.get("dns_domain", ""),
            qos_policy_id=data.get("qos_policy_id"),
        )
        if not await repo.flush_unique(session, port):
            raise MacAddressInUse(net.id, mac)
        await self.allocate_ips(session, net, port, data.get("fixed_ips"))
        groups = data.get("security_groups")
        if groups is None:
            groups = []
            if port_security and not device_owner.startswith("network:"):
                groups = [await ensure_default_group(session, owner)]
        elif groups:
            if not port_security:
                raise BadRequest(
                    "Port security must be enabled and port must have an IP address in order to use security groups."
                )
            for gid in groups:
                if ctx is not None and not await visible_group(
                    session, ctx, gid, self.is_admin(ctx)
                ):
                    from stratus.services.network.errors import SecurityGroupNotFound

                    raise SecurityGroupNotFound(gid)
        await _check_statefulness(session, groups)
        await repo.set_port_security_groups(session, port.id, groups)
        if data.get("tags"):
            await repo.set_tags(session, "port", port.id, data["tags"])
        spec = await self.port_spec(session, port)
        binding = self._bind(port, spec)
        await session.flush()
        view = (await self.port_views(session, ctx, [port]))[0]
        return view, spec, binding

    def _bind(self, port: m.Port, spec: PortSpec) -> Binding | None:
        if not port.binding_host_id:
            port.binding_vif_type = "unbound"
            port.binding_vif_details = {}
            port.status = (
                "DOWN"
                if not port.device_owner.startswith("network:")
                else ("ACTIVE" if port.admin_state_up else "DOWN")
            )
            return None
        binding = self.driver.bind_port(spec)
        port.binding_vif_type = binding.vif_type
        port.binding_vif_details = binding.vif_details
        port.status = binding.status
        return binding

    async def port_spec(self, session: AsyncSession, port: m.Port) -> PortSpec:
        allocs = (await repo.allocations_for_ports(session, [port.id])).get(port.id, [])
        groups = (await repo.port_security_groups(session, [port.id])).get(port.id, [])
        segs = (await repo.segments_for(session, [port.network_id])).get(port.network_id, [])
        net = await repo.get(session, m.Network, port.network_id)
        return PortSpec(
            id=port.id,
            network_id=port.network_id,
            project_id=port.project_id,
            mac_address=port.mac_address,
            fixed_ips=tuple(FixedIP(a.subnet_id, a.ip_address) for a in allocs),
            device_id=port.device_id,
            device_owner=port.device_owner,
            host=port.binding_host_id,
            vnic_type=port.binding_vnic_type,
            profile=dict(port.binding_profile),
            admin_state_up=port.admin_state_up,
            port_security_enabled=port.port_security_enabled,
            security_group_ids=tuple(groups),
            allowed_address_pairs=tuple(dict(p) for p in port.allowed_address_pairs),
            segments=tuple(_segment_spec(s) for s in segs),
            mtu=net.mtu if net else 1500,
        )

    async def _generate_mac(self, session: AsyncSession, network_id: str) -> str:
        base = self.config.base_mac.split(":")
        for _ in range(16):
            octets = [b if b != "00" else f"{random.randrange(256):02x}" for b in base]
            mac = ":".join(octets)
            if not await repo.mac_in_use(session, network_id, mac):
                return mac
        raise MacAddressGenerationFailure(network_id)

    async def allocate_ips(
        self,
        session: AsyncSession,
        net: m.Network,
        port: m.Port,
        requested: Sequence[Mapping[str, str]] | None,
    ) -> None:
        """Give ``port`` its addresses: the requested ones, or one from the first IPv4 subnet
        with room, one from the first stateful IPv6 subnet, and an EUI-64 address on every
        SLAAC subnet. Subnets are locked (FOR UPDATE) while they are allocated from."""
        subnets = (await repo.subnets_for(session, [net.id])).get(net.id, [])
        by_id = {s.id: s for s in subnets}
        if requested is not None:
            if len(requested) > self.config.max_fixed_ips_per_port:
                raise BadRequest("Exceeded maximum amount of fixed ips per port.")
            for item in requested:
                subnet = None
                if "subnet_id" in item:
                    subnet = by_id.get(item["subnet_id"])
                    if subnet is None:
                        raise InvalidInput(
                            f"Failed to create port on network {net.id}, because fixed_ips included invalid subnet {item['subnet_id']}"
                        )
                    if "ip_address" in item and not ipam.contains(subnet.cidr, item["ip_address"]):
                        raise InvalidInput(
                            f"IP address {item['ip_address']} is not a valid IP for the specified subnet"
                        )
                else:
                    subnet = next(
                        (s for s in subnets if ipam.contains(s.cidr, item["ip_address"])), None
                    )
                    if subnet is None:
                        raise BadRequest(
                            f"IP address {item['ip_address']} is not a valid IP for any of the subnets on the specified network."
                        )
                if "ip_address" in item:
                    await self._take_ip(session, subnet, port, item["ip_address"])
                elif _auto_address(subnet) and not port.device_owner.startswith(
                    "network:router_interface"
                ):
                    await self._take_ip(
                        session, subnet, port, ipam.eui64(subnet.cidr, port.mac_address)
                    )
                else:
                    await self._pick_ip(session, subnet, port)
            return
        eligible = [s for s in subnets if _serves(s, port.device_owner)]
        if not eligible and subnets:
            eligible = [s for s in subnets if not s.service_types]
        v4 = [s for s in eligible if s.ip_version == 4]
        v6_stateful = [s for s in eligible if s.ip_version == 6 and not _auto_address(s)]
        v6_auto = [s for s in eligible if s.ip_version == 6 and _auto_address(s)]
        for family in (v4, v6_stateful):
            if not family:
                continue
            for index, subnet in enumerate(family):
                try:
                    await self._pick_ip(session, subnet, port)
                    break
                except IpAddressGenerationFailure:
                    if index == len(family) - 1:
                        raise
        if not port.device_owner.startswith("network:router_interface"):
            for subnet in v6_auto:
                await self._take_ip(
                    session, subnet, port, ipam.eui64(subnet.cidr, port.mac_address)
                )

    async def _take_ip(
        self, session: AsyncSession, subnet: m.Subnet, port: m.Port, ip: str
    ) -> None:
        net = ipam.network(subnet.cidr)
        value = ipaddress.ip_address(ip)
        if (
            subnet.ip_version == 4
            and net.prefixlen < 31
            and value in (net.network_address, net.broadcast_address)
        ):
            raise InvalidInput(f"IP address {ip} is not a valid IP for the specified subnet")
        if ip == subnet.gateway_ip and not port.device_owner.startswith("network:router"):
            raise IpAddressInUse(subnet.network_id, ip)
        if not await repo.try_allocate(
            session, subnet_id=subnet.id, network_id=subnet.network_id, port_id=port.id, ip=ip
        ):
            raise IpAddressInUse(subnet.network_id, ip)

    async def _pick_ip(self, session: AsyncSession, subnet: m.Subnet, port: m.Port) -> str:
        await repo.get(session, m.Subnet, subnet.id, lock=True)
        pools = subnet.allocation_pools
        # One lookup screens a batch of random candidates, so a subnet three quarters full
        # still almost never falls back to the scan below (0.75**64 ~ 1e-8), and the cost
        # does not grow with the number of addresses in use.
        batch = list(dict.fromkeys(ipam.random_candidates(pools, RANDOM_BATCH, subnet.ip_version)))
        taken = await repo.allocated_among(session, subnet.id, batch)
        for candidate in (c for c in batch if c not in taken):
            if await repo.try_allocate(
                session,
                subnet_id=subnet.id,
                network_id=subnet.network_id,
                port_id=port.id,
                ip=candidate,
            ):
                return candidate
        used = set(await repo.allocated_in_subnet(session, subnet.id))
        while True:
            candidate_or_none = ipam.first_free(pools, used, subnet.ip_version)
            if candidate_or_none is None:
                raise IpAddressGenerationFailure(subnet.network_id)
            if await repo.try_allocate(
                session,
                subnet_id=subnet.id,
                network_id=subnet.network_id,
                port_id=port.id,
                ip=candidate_or_none,
            ):
                return candidate_or_none
            used.add(candidate_or_none)

    async def update_port(
        self,
        ctx: RequestContext,
        port_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.PORT, body)
        async with self.db.session() as session:
            port = await self.get_port_row(session, ctx, port_id)
            net = await repo.get(session, m.Network, port.network_id)
            assert net is not None
            target = {
                "project_id": port.project_id,
                "tenant_id": port.project_id,
                **network_target(net),
                "device_owner": port.device_owner,
            }
            target["shared"] = await self._shared_with(session, net, ctx.project_id)
            self.enforce(ctx, "update_port", target)
            given = dict(data)
            if "fixed_ips" in given:
                if any("ip_address" in f for f in data["fixed_ips"]):
                    self.enforce(ctx, "update_port:fixed_ips:ip_address", target)
                given.pop("fixed_ips")
            if "device_owner" in given:
                if str(given["device_owner"]).startswith("network:"):
                    self.enforce(ctx, "update_port:device_owner", target)
                given.pop("device_owner")
            self.enforce_attrs(ctx, "update", "port", attrs.PORT, given, target)
            self.check_revision(port, if_match)
            view, spec, binding = await self.update_port_in(session, ctx, port, data)
        await self.driver.port_updated(spec, binding)
        return view

    async def update_port_in(
        self,
        session: AsyncSession,
        ctx: RequestContext | None,
        port: m.Port,
        data: Mapping[str, Any],
    ) -> tuple[dict[str, Any], PortSpec, Binding | None]:
        net = await repo.get(session, m.Network, port.network_id)
        assert net is not None
        if "mac_address" in data and data["mac_address"] is None:
            # port-mac-address-regenerate
            if port.binding_vif_type not in ("unbound", "binding_failed"):
                raise Conflict(
                    f"Port {port.id} is already bound, its MAC address cannot be changed"
                )
            port.mac_address = await self._generate_mac(session, net.id)
        elif "mac_address" in data and data["mac_address"] != port.mac_address:
            if port.binding_vif_type not in ("unbound", "binding_failed"):
                raise Conflict(
                    f"Port {port.id} is already bound, its MAC address cannot be changed"
                )
            if await repo.mac_in_use(session, net.id, data["mac_address"]):
                raise MacAddressInUse(net.id, data["mac_address"])
            port.mac_address = data["mac_address"]
        if "qos_policy_id" in data:
            await self.check_qos(session, ctx, data["qos_policy_id"])
        for key in (
            "name",
            "description",
            "admin_state_up",
            "device_id",
            "device_owner",
            "dns_name",
            "dns_domain",
            "qos_policy_id",
        ):
            if key in data:
                setattr(port, key, data[key])
        if "extra_dhcp_opts" in data:
            port.extra_dhcp_opts = data["extra_dhcp_opts"]
        if "port_security_enabled" in data:
            port.port_security_enabled = data["port_security_enabled"]
        current_groups = (await repo.port_security_groups(session, [port.id])).get(port.id, [])
        groups = data.get("security_groups", current_groups)
        pairs = data.get("allowed_address_pairs", port.allowed_address_pairs)
        if not port.port_security_enabled:
            if groups and "security_groups" in data:
                raise BadRequest(
                    "Port security must be enabled and port must have an IP address in order to use security groups."
                )
            if groups and "port_security_enabled" in data:
                raise Conflict(
                    "Port has security group associated. Cannot disable port security or ip address until security group is removed"
                )
            if pairs:
                raise Conflict(
                    "Port Security must be enabled in order to have allowed address pairs on a port."
                )
        if "security_groups" in data:
            for gid in groups:
                if ctx is not None and not await visible_group(
                    session, ctx, gid, self.is_admin(ctx)
                ):
                    from stratus.services.network.errors import SecurityGroupNotFound

                    raise SecurityGroupNotFound(gid)
            await _check_statefulness(session, groups)
            await repo.set_port_security_groups(session, port.id, groups)
        port.allowed_address_pairs = list(pairs)
        if "fixed_ips" in data:
            await self._reallocate(session, net, port, data["fixed_ips"])
        rebind = False
        for wire, col in (
            ("binding:host_id", "binding_host_id"),
            ("binding:vnic_type", "binding_vnic_type"),
            ("binding:profile", "binding_profile"),
        ):
            if wire in data:
                setattr(port, col, data[wire])
                rebind = True
        if "trusted" in data:
            port.binding_profile = _with_trusted(port.binding_profile, data)
            rebind = True
        if "tags" in data:
            await repo.set_tags(session, "port", port.id, data["tags"])
        self.bump(port)
        spec = await self.port_spec(session, port)
        binding = None
        if rebind or "admin_state_up" in data or "device_owner" in data:
            binding = self._bind(port, spec)
        await session.flush()
        view = (await self.port_views(session, ctx, [port]))[0]
        return view, spec, binding

    async def _reallocate(
        self,
        session: AsyncSession,
        net: m.Network,
        port: m.Port,
        requested: Sequence[Mapping[str, str]],
    ) -> None:
        current = (await repo.allocations_for_ports(session, [port.id])).get(port.id, [])
        keep: list[Mapping[str, str]] = []
        new: list[Mapping[str, str]] = []
        held = {(a.subnet_id, a.ip_address) for a in current}
        for item in requested:
            if "ip_address" in item:
                match = next(
                    (
                        a
                        for a in current
                        if a.ip_address == item["ip_address"]
                        and item.get("subnet_id", a.subnet_id) == a.subnet_id
                    ),
                    None,
                )
                if match is not None:
                    keep.append({"subnet_id": match.subnet_id, "ip_address": match.ip_address})
                    continue
            elif "subnet_id" in item:
                match = next(
                    (
                        a
                        for a in current
                        if a.subnet_id == item["subnet_id"] and (a.subnet_id, a.ip_address) in held
                    ),
                    None,
                )
                if (
                    match is not None
                    and {"subnet_id": match.subnet_id, "ip_address": match.ip_address} not in keep
                ):
                    keep.append({"subnet_id": match.subnet_id, "ip_address": match.ip_address})
                    continue
            new.append(item)
        for alloc in current:
            if {"subnet_id": alloc.subnet_id, "ip_address": alloc.ip_address} not in keep:
                await repo.release(session, port.id, alloc.subnet_id, alloc.ip_address)
        await session.flush()
        if new:
            await self.allocate_ips(session, net, port, new)

    async def delete_port(
        self,
        ctx: RequestContext,
        port_id: str,
        if_match: int | None = None,
        *,
        l3_check: bool = True,
    ) -> None:
        async with self.db.session() as session:
            port = await self.get_port_row(session, ctx, port_id)
            net = await repo.get(session, m.Network, port.network_id)
            self.enforce(
                ctx,
                "delete_port",
                {
                    "project_id": port.project_id,
                    "tenant_id": port.project_id,
                    **network_target(net),
                },
            )
            self.check_revision(port, if_match)
            if l3_check and (
                port.device_owner in ROUTER_INTERFACE_OWNERS
                or port.device_owner in ("network:router_gateway", "network:floatingip")
            ):
                raise Conflict(
                    f"Port {port.id} cannot be deleted directly via the port API: has device owner {port.device_owner}."
                )
            role = await repo.trunk_role(session, port.id)
            if role is not None:
                kind = "a parent port" if role[0] == "parent" else "a subport"
                raise Conflict(f"Port {port.id} is currently {kind} for trunk {role[1]}.")
            spec = await self.delete_port_in(session, port)
        await self.driver.port_deleted(spec)

    async def delete_port_in(self, session: AsyncSession, port: m.Port) -> PortSpec:
        spec = await self.port_spec(session, port)
        for fip in await repo.floating_ips_where(session, m.FloatingIP.port_id == port.id):
            fip.port_id = None
            fip.fixed_ip_address = None
            fip.router_id = None
            fip.status = "DOWN"
            self.bump(fip)
        await repo.drop_tags(session, port.id)
        await session.delete(port)
        await session.flush()
        return spec

    # ====================================================================== tags

    _TAGGABLE = {
        "networks": m.Network,
        "subnets": m.Subnet,
        "ports": m.Port,
        "routers": m.Router,
        "floatingips": m.FloatingIP,
        "security-groups": m.SecurityGroup,
        "segments": m.Segment,
        "security_groups": m.SecurityGroup,
        "trunks": m.Trunk,
        "network_segment_ranges": m.SegmentRange,
        "network-segment-ranges": m.SegmentRange,
        "subnetpools": m.SubnetPool,
        "policies": m.QosPolicy,
        "address-scopes": m.AddressScope,
    }

    async def _tag_target(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        collection: str,
        resource_id: str,
        *,
        write: bool,
    ) -> Any:
        model = self._TAGGABLE.get(collection)
        if model is None:
            raise NotFound("The resource could not be found.")
        row: Any = await repo.get(session, model, resource_id)
        admin = self.is_admin(ctx)
        if row is None:
            raise NotFound(
                f"{_singular(collection).capitalize()} {resource_id} could not be found."
            )
        if model is m.Network:
            await self.get_network_row(session, ctx, resource_id)
            if write and not admin and row.project_id != ctx.project_id:
                raise PolicyNotAuthorizedTag()
        elif model is m.Segment:
            if not admin:
                raise NotFound(f"Segment {resource_id} could not be found.")
        elif not admin and row.project_id != ctx.project_id:
            if model is m.Subnet:
                await self.get_subnet_row(session, ctx, resource_id)
                if write:
                    raise PolicyNotAuthorizedTag()
            elif model is m.Port:
                await self.get_port_row(session, ctx, resource_id)
            else:
                raise NotFound(
                    f"{_singular(collection).capitalize()} {resource_id} could not be found."
                )
        return row

    async def get_tags(self, ctx: RequestContext, collection: str, resource_id: str) -> list[str]:
        async with self.db.reader() as session:
            await self._tag_target(session, ctx, collection, resource_id, write=False)
            return (await repo.tags_for(session, [resource_id])).get(resource_id, [])

    async def has_tag(
        self, ctx: RequestContext, collection: str, resource_id: str, tag: str
    ) -> None:
        from stratus.services.network.errors import TagNotFound

        if tag not in await self.get_tags(ctx, collection, resource_id):
            raise TagNotFound(resource_id, tag)

    async def replace_tags(
        self, ctx: RequestContext, collection: str, resource_id: str, tags: Any
    ) -> list[str]:
        if not isinstance(tags, dict) or set(tags) != {"tags"}:
            raise BadRequest("Invalid input for operation: 'tags' is a required property.")
        try:
            wanted = attrs.tags(tags["tags"])
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for tags. Reason: {err}.") from None
        async with self.db.session() as session:
            row = await self._tag_target(session, ctx, collection, resource_id, write=True)
            await repo.set_tags(session, _singular(collection), resource_id, wanted)
            self.bump(row)
            return sorted(wanted)

    async def add_tag(
        self, ctx: RequestContext, collection: str, resource_id: str, tag: str
    ) -> None:
        try:
            attrs.tags([tag])
        except ValueError as err:
            raise HTTPBadRequest(f"Invalid input for tags. Reason: {err}.") from None
        async with self.db.session() as session:
            row = await self._tag_target(session, ctx, collection, resource_id, write=True)
            if await repo.add_tag(session, _singular(collection), resource_id, tag):
                self.bump(row)

    async def remove_tag(
        self, ctx: RequestContext, collection: str, resource_id: str, tag: str | None
    ) -> None:
        from stratus.services.network.errors import TagNotFound

        async with self.db.session() as session:
            row = await self._tag_target(session, ctx, collection, resource_id, write=True)
            if tag is None:
                await repo.drop_tags(session, resource_id)
            elif not await repo.remove_tag(session, resource_id, tag):
                raise TagNotFound(resource_id, tag)
            self.bump(row)


# ---------------------------------------------------------------------------- helpers


class PolicyNotAuthorizedNetworkOwner(NotFound):
    """A member creating a subnet on a network it does not own (shared or external):
    neutron hides the network from the subnet API, hence 404 rather than 403."""

    neutron_type = "NetworkNotFound"

    def __init__(self) -> None:
        super().__init__("Tenant is not allowed to create subnets on this network.")


class PolicyNotAuthorizedTag(Conflict):
    status = 403  # type: ignore[misc]
    title = "Forbidden"  # type: ignore[misc]
    neutron_type = "PolicyNotAuthorized"

    def __init__(self) -> None:
        super().__init__("Not authorized to modify tags of a resource owned by another project.")


class _Projectless:
    def __init__(self, seg: m.Segment) -> None:
        self.id = seg.id
        self.project_id = None
        self.description = seg.description
        self.revision_number = seg.revision_number
        self.created_at = seg.created_at
        self.updated_at = seg.updated_at


def _segment_provider(seg: m.Segment) -> dict[str, Any]:
    return {
        "provider:network_type": seg.network_type,
        "provider:physical_network": seg.physical_network,
        "provider:segmentation_id": seg.segmentation_id,
    }


def _segment_spec(seg: m.Segment) -> SegmentSpec:
    return SegmentSpec(
        id=seg.id,
        network_type=seg.network_type,
        physical_network=seg.physical_network,
        segmentation_id=seg.segmentation_id,
    )


def _auto_address(subnet: m.Subnet) -> bool:
    return subnet.ip_version == 6 and subnet.ipv6_address_mode in AUTO_ADDRESS_MODES


def _serves(subnet: m.Subnet, device_owner: str) -> bool:
    if not subnet.service_types:
        return True
    return device_owner in subnet.service_types


def _pools_text(pools: Sequence[Mapping[str, str]]) -> str:
    return ", ".join(f"{p['start']}-{p['end']}" for p in pools)


def _check_gateway(cidr: str, gateway: str) -> None:
    net = ipam.network(cidr)
    gw = ipaddress.ip_address(gateway)
    if gw.version != net.version:
        raise InvalidInput("Gateway IP version inconsistent with allocation pool version")
    if (
        gw in net
        and net.version == 4
        and net.prefixlen < 31
        and gw in (net.network_address, net.broadcast_address)
    ):
        raise InvalidInput("Gateway is not valid on subnet")
    if net.version == 6 and gw == net.network_address:
        raise InvalidInput("Gateway is not valid on subnet")


def _check_cidr_text(raw: Any, normalised: str) -> None:
    if isinstance(raw, str) and "/" in raw:
        strict = ipaddress.ip_network(raw, strict=False)
        if str(strict) != raw and ipaddress.ip_interface(raw).ip != strict.network_address:
            raise HTTPBadRequest(
                f"Invalid input for cidr. Reason: '{raw}' isn't a recognized IP subnet cidr, '{strict}' is recommended."
            )


def _norm_cidr(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        return str(value)


def _pair_view(pair: Mapping[str, str], mac: str) -> dict[str, str]:
    return {"ip_address": pair["ip_address"], "mac_address": pair.get("mac_address") or mac}


def _parse_fixed_ip_filters(values: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    ips: list[str] = []
    subnets: list[str] = []
    substr: list[str] = []
    for value in values:
        key, _, val = value.partition("=")
        if key == "ip_address":
            ips.append(val)
        elif key == "subnet_id":
            subnets.append(val)
        elif key == "ip_address_substr":
            substr.append(val)
    return ips, subnets, substr


def _singular(collection: str) -> str:
    return {
        "networks": "network",
        "subnets": "subnet",
        "ports": "port",
        "routers": "router",
        "floatingips": "floatingip",
        "security-groups": "security_group",
        "security_groups": "security_group",
        "segments": "segment",
        "trunks": "trunk",
        "network_segment_ranges": "network_segment_range",
        "network-segment-ranges": "network_segment_range",
        "subnetpools": "subnetpool",
        "policies": "policy",
        "address-scopes": "address_scope",
    }.get(collection, collection)


async def _check_statefulness(session: AsyncSession, group_ids: Sequence[str]) -> None:
    states = set()
    for gid in group_ids:
        group = await repo.get(session, m.SecurityGroup, gid)
        if group is not None:
            states.add(group.stateful)
    if len(states) > 1:
        raise Conflict(
            "Cannot apply both stateful and stateless security groups on the same port at the "
            "same time."
        )


def _with_trusted(profile: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """binding:profile with port-trusted-vif's ``trusted`` folded in (absent: untouched)."""
    merged = dict(profile)
    if data.get("trusted") is not None:
        merged["trusted"] = data["trusted"]
    elif "trusted" in data:
        merged.pop("trusted", None)
    return merged
