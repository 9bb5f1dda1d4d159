"""Network settings: type driver ranges, MTUs, MAC base. Read from the ``network`` section of
``<data_dir>/stratus.yaml`` when the shared Settings carries one, else these defaults
(DevStack's ML2 defaults: vxlan tenant networks, VNIs 1-1000, physnet ``public``)."""

from typing import Any

from pydantic import BaseModel, Field


class VlanRange(BaseModel):
    physical_network: str
    minimum: int = 1
    maximum: int = 4094


class NetworkConfig(BaseModel):
    tenant_network_types: list[str] = Field(default_factory=lambda: ["vxlan", "geneve", "vlan"])
    vxlan_vni_ranges: list[tuple[int, int]] = Field(default_factory=lambda: [(1, 1000)])
    geneve_vni_ranges: list[tuple[int, int]] = Field(default_factory=lambda: [(1, 1000)])
    network_vlan_ranges: list[VlanRange] = Field(
        default_factory=lambda: [VlanRange(physical_network="physnet1", minimum=100, maximum=199)]
    )
    flat_networks: list[str] = Field(default_factory=lambda: ["*"])
    physical_networks: list[str] = Field(default_factory=lambda: ["public", "physnet1"])
    global_physnet_mtu: int = 1500
    base_mac: str = "fa:16:3e:00:00:00"
    availability_zones: list[str] = Field(default_factory=lambda: ["nova"])
    default_quotas: dict[str, int] = Field(default_factory=dict)
    driver: str = "fake"
    host: str = "stratus"
    max_fixed_ips_per_port: int = 5

    def overlay_mtu(self, network_type: str) -> int:
        # VXLAN header over IPv4: 50 bytes; Geneve: 58 (neutron's defaults for the two).
        overhead = {"vxlan": 50, "geneve": 58}.get(network_type, 0)
        return self.global_physnet_mtu - overhead

    def tunnel_ranges(self, network_type: str) -> list[tuple[int, int]]:
        return self.vxlan_vni_ranges if network_type == "vxlan" else self.geneve_vni_ranges


def load(settings: Any) -> NetworkConfig:
    raw = getattr(settings, "network", None)
    if raw is None:
        return NetworkConfig()
    if isinstance(raw, NetworkConfig):
        return raw
    if isinstance(raw, BaseModel):
        return NetworkConfig.model_validate(raw.model_dump())
    return NetworkConfig.model_validate(raw)
