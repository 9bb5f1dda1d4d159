"""The in-process client the compute service uses: ports for a device, binding, network info."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import network, subnet


async def test_compute_client_wiring(net: Net) -> None:
    client = net.runtime.clients["network"]
    n = await network(net.demo, name="vm-net")
    s = await subnet(net.demo, n["id"], "10.120.0.0/24", dns_nameservers=["9.9.9.9"])
    port = await client.create_port(
        project_id="p-demo", network_id=n["id"], device_id="vm-1", device_owner="compute:nova"
    )
    assert port["fixed_ips"][0]["subnet_id"] == s["id"]
    bound = await client.bind_port(
        port["id"], host="compute-1", device_id="vm-1", device_owner="compute:nova"
    )
    assert bound["binding:vif_type"] == "ovs" and bound["status"] == "ACTIVE"
    vifs = await client.network_info("vm-1")
    assert len(vifs) == 1
    vif = vifs[0]
    assert vif.port_id == port["id"] and vif.network_name == "vm-net" and vif.mtu == 1450
    assert vif.active and vif.network_type == "vxlan"
    assert vif.subnets[0].gateway_ip == "10.120.0.1" and vif.subnets[0].dns_nameservers == (
        "9.9.9.9",
    )
    assert vif.subnets[0].ips == (port["fixed_ips"][0]["ip_address"],)
    events = [
        e
        for e, payload in net.services.driver.events
        if e == "port_update" and payload["id"] == port["id"]
    ]
    assert events and events[-1] == "port_update"
    user_port = (await net.demo.post("/v2.0/ports", json={"port": {"network_id": n["id"]}})).json()[
        "port"
    ]
    await client.bind_port(
        user_port["id"], host="compute-1", device_id="vm-1", device_owner="compute:nova"
    )
    deleted = await client.delete_ports_for_device("vm-1", keep=[user_port["id"]])
    assert deleted == [port["id"]]
    assert await client.network_info("vm-1") == []
    kept = (await net.demo.get(f"/v2.0/ports/{user_port['id']}")).json()["port"]
    assert kept["device_id"] == "" and kept["status"] == "DOWN"
