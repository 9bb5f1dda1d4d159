"""The ``network:`` section of stratus.yaml (``STRATUS_NETWORK__*`` in the environment): type
driver ranges, physical networks, MTU, MAC base, availability zones, quota defaults and the
type external networks get. Defaults are DevStack's ML2 ones: VXLAN tenant
networks with VNIs 1-1000, VLANs 100-199 on ``physnet1``, flat networks on any physnet."""

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TYPE_DRIVERS = ("flat", "vlan", "vxlan", "geneve", "local")
TENANT_TYPES = ("vxlan", "geneve", "vlan", "local")
_MAC_BASE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


class VlanRange(BaseModel):
    """ML2's ``network_vlan_ranges`` entry ``physnet:min:max``."""

    model_config = ConfigDict(extra="forbid")

    physical_network: str = Field(min_length=1)
    minimum: int = Field(1, ge=1, le=4094)
    maximum: int = Field(4094, ge=1, le=4094)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.minimum > self.maximum:
            raise ValueError(f"VLAN range {self.minimum}-{self.maximum}: minimum above maximum")
        return self


class NetworkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # ML2 [ml2] tenant_network_types: the first one is what a project's network gets.
    tenant_network_types: list[str] = Field(default_factory=lambda: ["vxlan", "geneve", "vlan"])
    vxlan_vni_ranges: list[tuple[int, int]] = Field(default_factory=lambda: [(1, 1000)])
    geneve_vni_ranges: list[tuple[int, int]] = Field(default_factory=lambda: [(1, 1000)])
    network_vlan_ranges: list[VlanRange] = Field(
        default_factory=lambda: [VlanRange(physical_network="physnet1", minimum=100, maximum=199)]
    )
    # ML2 [ml2_type_flat] flat_networks; "*" allows any physical network.
    flat_networks: list[str] = Field(default_factory=lambda: ["*"])
    physical_networks: list[str] = Field(default_factory=lambda: ["public", "physnet1"])
    global_physnet_mtu: int = Field(1500, ge=68, le=65535)
    base_mac: str = "fa:16:3e:00:00:00"
    availability_zones: list[str] = Field(default_factory=lambda: ["nova"], min_length=1)
    # network/subnet/port/router/floatingip/security_group/... -> limit (-1 unlimited).
    default_quotas: dict[str, int] = Field(default_factory=dict)
    # ML2's external_network_type: the type an external network without provider attributes
    # gets (unset: the first tenant network type).
    external_network_type: str | None = None
    # The mechanism driver; only "fake" exists yet (the Linux data plane is a later issue).
    driver: Literal["fake"] = "fake"
    host: str = "stratus"
    max_fixed_ips_per_port: int = Field(5, ge=1)

    @field_validator("tenant_network_types")
    @classmethod
    def _tenant_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TENANT_TYPES]
        if unknown or not value:
            raise ValueError(
                f"tenant_network_types {value}: each must be one of {', '.join(TENANT_TYPES)}"
            )
        return value

    @field_validator("external_network_type")
    @classmethod
    def _external_type(cls, value: str | None) -> str | None:
        if value is not None and value not in TYPE_DRIVERS:
            raise ValueError(f"external_network_type {value!r}: one of {', '.join(TYPE_DRIVERS)}")
        return value

    @field_validator("vxlan_vni_ranges", "geneve_vni_ranges")
    @classmethod
    def _vni_ranges(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        for low, high in value:
            if not 1 <= low <= high <= 2**24 - 1:
                raise ValueError(f"VNI range {low}-{high}: need 1 <= min <= max <= 16777215")
        return value

    @field_validator("base_mac")
    @classmethod
    def _base_mac(cls, value: str) -> str:
        mac = value.lower()
        if not _MAC_BASE.match(mac):
            raise ValueError(f"base_mac {value!r} is not six hex octets separated by ':'")
        if int(mac[:2], 16) & 1:
            raise ValueError(f"base_mac {value!r} is a multicast address")
        return mac

    @field_validator("default_quotas")
    @classmethod
    def _quotas(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if v < -1}
        if bad:
            raise ValueError(f"default_quotas {bad}: a limit is -1 (unlimited) or >= 0")
        return value

    def overlay_mtu(self, network_type: str) -> int:
        # VXLAN header over IPv4: 50 bytes; Geneve: 58 (neutron's defaults for the two).
        overhead = {"vxlan": 50, "geneve": 58}.get(network_type, 0)
        return self.global_physnet_mtu - overhead

    def tunnel_ranges(self, network_type: str) -> list[tuple[int, int]]:
        return self.vxlan_vni_ranges if network_type == "vxlan" else self.geneve_vni_ranges
