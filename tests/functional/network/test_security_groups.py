"""Security groups: the default group and its rules, rule validation and duplicates."""

from tests.functional.network.conftest import Net
from tests.functional.network.helpers import create, error_type


async def test_default_group_on_first_use(net: Net) -> None:
    r = await net.demo.get("/v2.0/security-groups")
    groups = r.json()["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    rules = groups[0]["security_group_rules"]
    shape = sorted(
        (x["direction"], x["ethertype"], x["remote_group_id"] is not None) for x in rules
    )
    assert shape == [
        ("egress", "IPv4", False),
        ("egress", "IPv6", False),
        ("ingress", "IPv4", True),
        ("ingress", "IPv6", True),
    ]
    assert all(x["belongs_to_default_sg"] for x in rules)
    # listing again does not create another
    assert len((await net.demo.get("/v2.0/security-groups")).json()["security_groups"]) == 1
    r = await net.demo.delete(f"/v2.0/security-groups/{groups[0]['id']}")
    assert r.status_code == 409
    assert (await net.alt.get(f"/v2.0/security-groups/{groups[0]['id']}")).status_code == 404


async def test_rules(net: Net) -> None:
    sg = await create(
        net.demo, "security-groups", "security_group", name="web", description="web servers"
    )
    assert len(sg["security_group_rules"]) == 2  # egress v4 and v6
    rule = await create(
        net.demo,
        "security-group-rules",
        "security_group_rule",
        security_group_id=sg["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=80,
        port_range_max=80,
        remote_ip_prefix="0.0.0.0/0",
    )
    assert rule["ethertype"] == "IPv4" and rule["normalized_cidr"] == "0.0.0.0/0"
    r = await net.demo.post(
        "/v2.0/security-group-rules",
        json={
            "security_group_rule": {
                "security_group_id": sg["id"],
                "direction": "ingress",
                "protocol": "6",
                "port_range_min": 80,
                "port_range_max": 80,
                "remote_ip_prefix": "0.0.0.0/0",
            }
        },
    )
    assert r.status_code == 409 and error_type(r) == "SecurityGroupRuleExists"
    assert rule["id"] in r.json()["NeutronError"]["message"]
    bad = [
        {"direction": "sideways"},
        {"direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
        {"direction": "ingress", "protocol": "bogus"},
        {"direction": "ingress", "port_range_min": 22, "port_range_max": 22},
        {"direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
        {"direction": "ingress", "protocol": "icmp", "port_range_min": 300},
        {"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": sg["id"]},
    ]
    for body in bad:
        r = await net.demo.post(
            "/v2.0/security-group-rules",
            json={"security_group_rule": {"security_group_id": sg["id"], **body}},
        )
        assert r.status_code == 400, (body, r.text)
    icmp = await create(
        net.demo,
        "security-group-rules",
        "security_group_rule",
        security_group_id=sg["id"],
        direction="ingress",
        protocol="icmp",
        port_range_min=8,
        port_range_max=0,
    )
    assert icmp["protocol"] == "icmp"
    r = await net.demo.get(
        "/v2.0/security-group-rules", params={"security_group_id": sg["id"], "direction": "ingress"}
    )
    assert sorted(x["id"] for x in r.json()["security_group_rules"]) == sorted(
        [rule["id"], icmp["id"]]
    )
    assert (
        await net.alt.post(
            "/v2.0/security-group-rules",
            json={"security_group_rule": {"security_group_id": sg["id"], "direction": "ingress"}},
        )
    ).status_code == 404
    assert (await net.demo.delete(f"/v2.0/security-group-rules/{icmp['id']}")).status_code == 204
    events = [e for e, _ in net.services.driver.events if e == "security_group_update"]
    assert events
    assert (await net.demo.delete(f"/v2.0/security-groups/{sg['id']}")).status_code == 204
    assert (await net.demo.get(f"/v2.0/security-group-rules/{rule['id']}")).status_code == 404


async def test_upstream_wording_of_rule_errors(net: Net) -> None:
    sg = await create(net.demo, "security-groups", "security_group", name="words")
    cases = [
        (-16, 80, "Invalid value for port -16"),
        (80, 79, "port_range_min must be <= port_range_max"),
        (80, 65536, "Invalid value for port 65536"),
        (None, 6, "port_range_min must be <= port_range_max"),
    ]
    for low, high, text in cases:
        r = await net.demo.post(
            "/v2.0/security-group-rules",
            json={
                "security_group_rule": {
                    "security_group_id": sg["id"],
                    "direction": "ingress",
                    "protocol": "tcp",
                    "port_range_min": low,
                    "port_range_max": high,
                }
            },
        )
        assert r.status_code == 400 and text in r.json()["NeutronError"]["message"], (
            low,
            high,
            r.text,
        )
    for low, high, text in [
        (1, 256, "Invalid value for ICMP code"),
        (300, 1, "Invalid value for ICMP type"),
        (None, 6, "ICMP type (port-range-min) is missing"),
    ]:
        r = await net.demo.post(
            "/v2.0/security-group-rules",
            json={
                "security_group_rule": {
                    "security_group_id": sg["id"],
                    "direction": "ingress",
                    "protocol": "icmp",
                    "port_range_min": low,
                    "port_range_max": high,
                }
            },
        )
        assert r.status_code == 400 and text in r.json()["NeutronError"]["message"], (
            low,
            high,
            r.text,
        )
    r = await net.demo.post(
        "/v2.0/security-group-rules",
        json={
            "security_group_rule": {
                "security_group_id": sg["id"],
                "direction": "ingress",
                "remote_group_id": "bad_group_id",
            }
        },
    )
    assert r.status_code == 404 and error_type(r) == "SecurityGroupNotFound"
    r = await net.demo.put(
        f"/v2.0/security-groups/{sg['id']}", json={"security_group": {"name": "default"}}
    )
    assert r.status_code == 409


async def test_default_rule_templates(net: Net) -> None:
    r = await net.admin.get("/v2.0/default-security-group-rules")
    assert r.status_code == 200, r.text
    legacy = r.json()["default_security_group_rules"]
    shape = sorted(
        (
            t["direction"],
            t["ethertype"],
            t["remote_group_id"],
            t["used_in_default_sg"],
            t["used_in_non_default_sg"],
        )
        for t in legacy
    )
    assert shape == [
        ("egress", "IPv4", None, True, True),
        ("egress", "IPv6", None, True, True),
        ("ingress", "IPv4", "PARENT", True, False),
        ("ingress", "IPv6", "PARENT", True, False),
    ]
    # members may read the templates but not change them
    assert (await net.demo.get("/v2.0/default-security-group-rules")).status_code == 200
    ssh = {
        "direction": "ingress",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "used_in_default_sg": False,
        "used_in_non_default_sg": True,
    }
    r = await net.demo.post(
        "/v2.0/default-security-group-rules", json={"default_security_group_rule": ssh}
    )
    assert r.status_code == 403
    made = (
        await net.admin.post(
            "/v2.0/default-security-group-rules", json={"default_security_group_rule": ssh}
        )
    ).json()["default_security_group_rule"]
    assert made["ethertype"] == "IPv4" and made["remote_group_id"] is None
    # the same rule for the same kind of group is a conflict; for the other kind it is not
    r = await net.admin.post(
        "/v2.0/default-security-group-rules",
        json={"default_security_group_rule": {**ssh, "used_in_default_sg": True}},
    )
    assert r.status_code == 409, r.text
    other = await create(
        net.admin,
        "default-security-group-rules",
        "default_security_group_rule",
        **{**ssh, "used_in_default_sg": True, "used_in_non_default_sg": False},
    )
    # bad rules are refused as group rules are
    r = await net.admin.post(
        "/v2.0/default-security-group-rules",
        json={"default_security_group_rule": {**ssh, "protocol": None}},
    )
    assert r.status_code == 400
    # new groups start from the templates: alt's default group gets PARENT as itself
    groups = (await net.alt.get("/v2.0/security-groups")).json()["security_groups"]
    default = next(g for g in groups if g["name"] == "default")
    rules = {
        (x["direction"], x["ethertype"], x["protocol"], x["remote_group_id"])
        for x in default["security_group_rules"]
    }
    assert ("ingress", "IPv4", None, default["id"]) in rules
    assert ("ingress", "IPv4", "tcp", None) in rules  # the default-only ssh template
    web = await create(net.alt, "security-groups", "security_group", name="web")
    rules = {
        (x["direction"], x["ethertype"], x["protocol"], x["port_range_min"])
        for x in web["security_group_rules"]
    }
    assert rules == {
        ("egress", "IPv4", None, None),
        ("egress", "IPv6", None, None),
        ("ingress", "IPv4", "tcp", 22),
    }
    # an admin listing another project's groups makes that project's default group, as neutron
    r = await net.admin.get("/v2.0/security-groups", params={"project_id": "p-fresh"})
    assert [g["name"] for g in r.json()["security_groups"]] == ["default"]
    for rule_id in (made["id"], other["id"]):
        r = await net.admin.delete(f"/v2.0/default-security-group-rules/{rule_id}")
        assert r.status_code == 204
    r = await net.admin.get(f"/v2.0/default-security-group-rules/{made['id']}")
    assert r.status_code == 404 and error_type(r) == "DefaultSecurityGroupRuleNotFound"
