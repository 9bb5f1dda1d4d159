"""The ``network:`` section of stratus.yaml reaches the service: tenant type and ranges, the
external network type, MAC base, quota defaults; bad values stop the load with a clear error."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from pydantic import ValidationError

from stratus.conf.settings import load_settings
from stratus.services.network import config as netconfig
from tests.functional.network.conftest import Net
from tests.functional.network.helpers import error_type, network, port, subnet

NETWORK_SECTION = {
    "tenant_network_types": ["vlan"],
    "network_vlan_ranges": [{"physical_network": "physnet9", "minimum": 300, "maximum": 302}],
    "physical_networks": ["physnet9", "ext"],
    "vxlan_vni_ranges": [[5000, 5001]],
    "external_network_type": "vxlan",
    "base_mac": "fa:16:3f:00:00:00",
    "default_quotas": {"network": 2},
}


@pytest.fixture
def stratus_yaml(tmp_path: Path) -> Path:
    conf = tmp_path / "stratus.yaml"
    conf.write_text(yaml.safe_dump({"network": NETWORK_SECTION}))
    return conf


@pytest_asyncio.fixture(loop_scope="function")
async def configured(stratus_yaml: Path, net: Net) -> AsyncIterator[Net]:
    # ``stratus_yaml`` comes first so that ``net`` loads the file it wrote.
    yield net


async def _segment(net: Net, network_id: str) -> tuple[str, str | None, int]:
    got = (await net.admin.get(f"/v2.0/networks/{network_id}")).json()["network"]
    return (
        got["provider:network_type"],
        got["provider:physical_network"],
        got["provider:segmentation_id"],
    )


async def test_yaml_section_drives_types_ranges_mac_and_quotas(configured: Net) -> None:
    net = configured
    first = await network(net.demo, name="one")
    second = await network(net.demo, name="two")
    kinds = {await _segment(net, first["id"]), await _segment(net, second["id"])}
    assert {k[:2] for k in kinds} == {("vlan", "physnet9")}
    assert {k[2] for k in kinds} <= {300, 301, 302} and len(kinds) == 2

    # default_quotas: 2 networks per project
    r = await net.demo.post("/v2.0/networks", json={"network": {"name": "three"}})
    assert r.status_code == 409 and error_type(r) == "OverQuota", r.text
    assert (await net.demo.get("/v2.0/quotas/p-demo")).json()["quota"]["network"] == 2

    # the last VLAN of the range goes to another project; then the range is empty
    await network(net.alt, name="alt-one")
    r = await net.admin.post("/v2.0/networks", json={"network": {"name": "none-left"}})
    assert r.status_code == 503 and error_type(r) == "NoNetworkAvailable", r.text

    # external networks without provider attributes: the configured external type and range
    ext = await network(net.admin, name="ext", **{"router:external": True})
    kind, physnet, vni = await _segment(net, ext["id"])
    assert (kind, physnet) == ("vxlan", None) and vni in (5000, 5001)

    # MACs come from the configured base
    await subnet(net.demo, first["id"], "10.31.0.0/24")
    made = await port(net.demo, first["id"])
    assert made["mac_address"].startswith("fa:16:3f:")


def test_environment_sets_the_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATUS_NETWORK__BASE_MAC", "FA:16:3F:00:00:00")
    monkeypatch.setenv("STRATUS_NETWORK__TENANT_NETWORK_TYPES", '["geneve"]')
    cfg = netconfig.load(load_settings(data_dir=tmp_path))
    assert cfg.base_mac == "fa:16:3f:00:00:00"
    assert cfg.tenant_network_types == ["geneve"]


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        ({"base_mac": "fb:16:3e:00:00:00"}, "multicast"),
        ({"base_mac": "fa:16:3e:00:00"}, "six hex octets"),
        (
            {"network_vlan_ranges": [{"physical_network": "p", "minimum": 20, "maximum": 10}]},
            "minimum above maximum",
        ),
        ({"vxlan_vni_ranges": [[0, 10]]}, "VNI range"),
        ({"tenant_network_types": ["gre"]}, "tenant_network_types"),
        ({"external_network_type": "gre"}, "external_network_type"),
        ({"default_quotas": {"port": -5}}, "-1 (unlimited)"),
        ({"no_such_option": 1}, "no_such_option"),
        ({"driver": "linuxbridge"}, "driver"),
    ],
)
def test_bad_values_are_refused_at_load(
    tmp_path: Path, section: dict[str, object], complaint: str
) -> None:
    (tmp_path / "stratus.yaml").write_text(yaml.safe_dump({"network": section}))
    with pytest.raises(ValidationError, match=re.escape(complaint)):
        load_settings(data_dir=tmp_path)


def test_unknown_quota_resource_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stratus.yaml").write_text(
        yaml.safe_dump({"network": {"default_quotas": {"ports": 10}}})
    )
    with pytest.raises(ValueError, match=r"unknown resources \['ports'\]"):
        netconfig.load(load_settings(data_dir=tmp_path))
