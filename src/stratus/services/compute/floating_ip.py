"""nova's floating IP proxy (os-floating-ips, os-floating-ip-pools; deprecated at 2.36) and
the network listings (os-networks, os-tenant-networks): floating IPs and networks of the
network service in nova's shapes, reached through its client with the caller's context."""

from collections.abc import Mapping
from typing import Any

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound, StratusError

# nova's [neutron] default_floating_pool
DEFAULT_POOL = "nova"


def floating_ip_view(fip: Mapping[str, Any], pool: str) -> dict[str, Any]:
    details = fip.get("port_details") or {}
    return {
        "fixed_ip": fip.get("fixed_ip_address"),
        "id": fip["id"],
        "instance_id": details.get("device_id") or None if fip.get("port_id") else None,
        "ip": fip["floating_ip_address"],
        "pool": pool,
    }


def network_view(network: Mapping[str, Any], *, admin: bool) -> dict[str, Any]:
    """What nova's os-networks shows for a neutron network: its id and name, every
    nova-network field null."""
    fields = [
        "id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6",
        "gateway_v6", "label", "netmask_v6",
    ]  # fmt: skip
    if admin:
        fields += [
            "created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan",
            "vpn_public_address", "vpn_public_port", "vpn_private_address", "dhcp_start",
            "project_id", "host", "bridge_interface", "multi_host", "priority", "rxtx_base",
            "mtu", "dhcp_server", "enable_dhcp", "share_address",
        ]  # fmt: skip
    view: dict[str, Any] = dict.fromkeys(fields)
    view["id"] = network["id"]
    view["label"] = network.get("name")
    return view


def tenant_network_view(network: Mapping[str, Any]) -> dict[str, Any]:
    # nova has always answered the string "None" as the cidr of a neutron network
    return {"id": network["id"], "cidr": "None", "label": network.get("name")}


class FloatingIPProxy:
    def __init__(self, network: Any) -> None:
        self.network = network

    def _client(self) -> Any:
        if self.network is None:
            raise NotFound("The network service is not enabled.")
        return self.network

    async def _pool_names(self, ctx: RequestContext) -> dict[str, str]:
        return {
            n["id"]: n.get("name") or n["id"] for n in await self._client().external_networks(ctx)
        }

    async def list_ips(self, ctx: RequestContext) -> list[dict[str, Any]]:
        fips = await self._client().list_floating_ips(ctx, project_id=ctx.project_id)
        names = await self._pool_names(ctx)
        return [
            floating_ip_view(f, names.get(f["floating_network_id"], f["floating_network_id"]))
            for f in fips
        ]

    async def _get(self, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
        try:
            fip: dict[str, Any] = await self._client().get_floating_ip(ctx, fip_id)
        except NotFound:
            raise NotFound(f"Floating IP not found for ID {fip_id}") from None
        return fip

    async def show(self, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
        fip = await self._get(ctx, fip_id)
        names = await self._pool_names(ctx)
        net = fip["floating_network_id"]
        return floating_ip_view(fip, names.get(net, net))

    async def allocate(self, ctx: RequestContext, pool: str | None) -> dict[str, Any]:
        externals = await self._client().external_networks(ctx)
        wanted = pool or DEFAULT_POOL
        matches = [n for n in externals if n.get("name") == wanted] or [
            n for n in externals if n["id"] == wanted
        ]
        if not matches and pool is None and len(externals) == 1:
            # no pool named: the one external network there is stands in for nova's default
            matches = externals
        if not matches:
            raise NotFound("Floating IP pool not found.")
        if len(matches) > 1:
            raise Conflict(f"Multiple floating IP pools matches found for name '{wanted}'")
        net = matches[0]
        try:
            fip = await self._client().create_floating_ip(
                ctx, network_id=net["id"], project_id=ctx.project_id
            )
        except Conflict as err:
            if "quota" in err.message.lower():
                raise Forbidden(
                    f"IP allocation over quota in pool {pool}."
                    if pool
                    else "IP allocation over quota."
                ) from None
            raise NotFound(
                f"No more floating IPs in pool {pool}."
                if pool
                else "No more floating IPs available."
            ) from None
        except StratusError as err:
            if err.status == 400:
                raise BadRequest(err.message) from None
            raise
        return floating_ip_view(fip, net.get("name") or net["id"])

    async def delete(self, ctx: RequestContext, fip_id: str) -> None:
        await self._get(ctx, fip_id)
        await self._client().delete_floating_ip(ctx, fip_id)

    async def _by_address(self, ctx: RequestContext, address: str) -> dict[str, Any]:
        found = await self._client().floating_ips_by_address(ctx, address)
        if not found:
            raise NotFound(f"Floating IP not found for address {address}.")
        if len(found) > 1:
            raise Conflict(f"Multiple floating IPs are found for address {address}.")
        fip: dict[str, Any] = found[0]
        return fip

    async def associate(
        self,
        ctx: RequestContext,
        instance_uuid: str,
        network_info: list[dict[str, Any]],
        address: str,
        fixed_address: str | None,
    ) -> str | None:
        """nova's addFloatingIp: the server's first IPv4 fixed address, or the one named.
        Returns the device the floating IP was taken from, if any (its cache is stale)."""
        fixed = [
            (vif["port_id"], ip)
            for vif in network_info
            for subnet in vif.get("subnets", ())
            for ip in subnet.get("ips", ())
        ]
        if not fixed:
            raise BadRequest("No fixed IPs associated to instance")
        if fixed_address is not None:
            chosen = next(((p, ip) for p, ip in fixed if ip == fixed_address), None)
            if chosen is None:
                raise BadRequest("Specified fixed address not assigned to instance")
        else:
            v4 = [(p, ip) for p, ip in fixed if ":" not in ip]
            if not v4:
                raise BadRequest("Unable to associate floating IP to fixed IP")
            chosen = v4[0]
        fip = await self._by_address(ctx, address)
        previous = (fip.get("port_details") or {}).get("device_id") if fip.get("port_id") else None
        try:
            await self._client().associate_floating_ip(
                ctx, fip["id"], port_id=chosen[0], fixed_ip=chosen[1]
            )
        except (Conflict, StratusError) as err:
            if err.status in (400, 409):
                raise BadRequest(
                    f"Unable to associate floating IP {address} to fixed IP {chosen[1]} for "
                    f"instance {instance_uuid}. Error: {err.message}"
                ) from None
            raise
        return str(previous) if previous and previous != instance_uuid else None

    async def disassociate(
        self,
        ctx: RequestContext,
        instance_uuid: str,
        network_info: list[dict[str, Any]],
        address: str,
    ) -> None:
        """nova's removeFloatingIp: only from the server it is associated with (409 else)."""
        fip = await self._by_address(ctx, address)
        ports = {vif["port_id"] for vif in network_info}
        if not fip.get("port_id") or fip["port_id"] not in ports:
            raise Conflict(
                f"Floating IP {address} is not associated with instance {instance_uuid}."
            )
        await self._client().associate_floating_ip(ctx, fip["id"], port_id=None, fixed_ip=None)

    async def pools(self, ctx: RequestContext) -> list[dict[str, str]]:
        return [{"name": name} for name in (await self._pool_names(ctx)).values()]

    async def list_networks(self, ctx: RequestContext) -> list[dict[str, Any]]:
        return list(await self._client().list_networks(ctx))

    async def get_network(self, ctx: RequestContext, network_id: str) -> dict[str, Any]:
        try:
            net: dict[str, Any] = await self._client().show_network(ctx, network_id)
        except NotFound:
            raise NotFound("Network not found") from None
        return net
