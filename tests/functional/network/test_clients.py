"""Real clients over real HTTP: openstacksdk's ``conn.network`` and the ``openstack`` CLI."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openstack.exceptions
import pytest

from stratus.testing import RunningCloud

OPENSTACK = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")


def test_sdk_scenario(admin_sdk: Any, demo_sdk: Any) -> None:
    ext = admin_sdk.network.create_network(
        name="public-sdk",
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
    )
    admin_sdk.network.create_subnet(
        network_id=ext.id, cidr="203.0.113.0/24", ip_version=4, enable_dhcp=False
    )
    net = demo_sdk.network.create_network(name="sdk-net")
    assert net.mtu == 1450 and net.status == "ACTIVE"
    sub = demo_sdk.network.create_subnet(
        network_id=net.id, cidr="10.11.0.0/24", ip_version=4, dns_nameservers=["1.1.1.1"]
    )
    assert sub.gateway_ip == "10.11.0.1"
    port = demo_sdk.network.create_port(network_id=net.id, name="sdk-port")
    assert port.fixed_ips[0]["subnet_id"] == sub.id
    assert [p.id for p in demo_sdk.network.ports(network_id=net.id)] == [port.id]
    router = demo_sdk.network.create_router(
        name="sdk-router", external_gateway_info={"network_id": ext.id}
    )
    demo_sdk.network.add_interface_to_router(router, subnet_id=sub.id)
    fip = demo_sdk.network.create_ip(floating_network_id=ext.id, port_id=port.id)
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    assert fip.router_id == router.id
    demo_sdk.network.set_tags(net, ["blue"])
    assert demo_sdk.network.get_network(net.id).tags == ["blue"]
    assert [n.id for n in demo_sdk.network.networks(tags="blue")] == [net.id]
    sg = demo_sdk.network.create_security_group(name="sdk-sg")
    demo_sdk.network.create_security_group_rule(
        security_group_id=sg.id,
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
    )
    with pytest.raises(openstack.exceptions.ConflictException):
        demo_sdk.network.create_security_group_rule(
            security_group_id=sg.id,
            direction="ingress",
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
        )
    # isolation: the admin project sees it, another project's member would not; the SDK
    # raises NotFound for an id it may not see
    demo_project = demo_sdk.current_project_id
    assert admin_sdk.network.get_network(net.id).project_id == demo_project
    with pytest.raises(openstack.exceptions.ResourceNotFound):
        demo_sdk.network.get_network(admin_sdk.network.create_network(name="admin-only").id)
    quota = demo_sdk.network.get_quota(demo_project)
    assert quota.networks == 100
    assert {e.alias for e in demo_sdk.network.extensions()} >= {
        "router",
        "security-group",
        "provider",
    }
    # teardown through the SDK, in dependency order
    demo_sdk.network.delete_ip(fip)
    demo_sdk.network.remove_interface_from_router(router, subnet_id=sub.id)
    demo_sdk.network.delete_router(router)
    demo_sdk.network.delete_port(port)
    demo_sdk.network.delete_network(net)
    assert demo_sdk.network.find_network("sdk-net") is None


def _cli(cloud: RunningCloud, name: str, *args: str) -> Any:
    out = subprocess.run(
        [OPENSTACK, *args, "-f", "json"],
        env=cloud.env(name),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


@pytest.mark.skipif(not Path(OPENSTACK).exists(), reason="the openstack CLI is not installed")
def test_cli_flow(cloud: RunningCloud) -> None:
    net = _cli(cloud, "stratus", "network", "create", "cli-net")
    assert net["name"] == "cli-net"
    sub = _cli(
        cloud,
        "stratus",
        "subnet",
        "create",
        "cli-sub",
        "--network",
        "cli-net",
        "--subnet-range",
        "10.12.0.0/24",
    )
    assert sub["cidr"] == "10.12.0.0/24"
    port = _cli(
        cloud,
        "stratus",
        "port",
        "create",
        "cli-port",
        "--network",
        "cli-net",
        "--fixed-ip",
        "subnet=cli-sub,ip-address=10.12.0.9",
    )
    assert "10.12.0.9" in json.dumps(port["fixed_ips"])
    router = _cli(cloud, "stratus", "router", "create", "cli-router")
    subprocess.run(
        [OPENSTACK, "router", "add", "subnet", "cli-router", "cli-sub"],
        env=cloud.env("stratus"),
        check=True,
        timeout=120,
    )
    shown = _cli(cloud, "stratus", "router", "show", router["id"])
    assert shown["name"] == "cli-router"
    listed = _cli(cloud, "stratus", "port", "list", "--network", "cli-net")
    assert {p["Name"] for p in listed} >= {"cli-port"}
    sg = _cli(cloud, "stratus", "security", "group", "create", "cli-sg")
    rule = _cli(
        cloud,
        "stratus",
        "security",
        "group",
        "rule",
        "create",
        "--protocol",
        "tcp",
        "--dst-port",
        "443",
        sg["id"],
    )
    assert rule["port_range_min"] == 443
    admin_net = _cli(
        cloud,
        "stratus-admin",
        "network",
        "create",
        "--provider-network-type",
        "vlan",
        "--provider-physical-network",
        "physnet1",
        "--provider-segment",
        "123",
        "cli-vlan",
    )
    assert admin_net["provider:segmentation_id"] == 123
    subprocess.run(
        [OPENSTACK, "router", "remove", "subnet", "cli-router", "cli-sub"],
        env=cloud.env("stratus"),
        check=True,
        timeout=120,
    )
    for args in (
        ("router", "delete", "cli-router"),
        ("port", "delete", "cli-port"),
        ("network", "delete", "cli-net"),
    ):
        subprocess.run([OPENSTACK, *args], env=cloud.env("stratus"), check=True, timeout=120)
