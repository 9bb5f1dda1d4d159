"""The network policy defaults evaluate as upstream's do for the three personas."""

from stratus.api.policy import PolicyEngine
from stratus.services.network import policies


def creds(project: str, *roles: str) -> dict[str, object]:
    return {"project_id": project, "roles": list(roles), "user_id": "u", "is_admin": False}


def test_network_visibility_rules() -> None:
    policies.load()
    engine = PolicyEngine()
    member = creds("p-b", "member", "reader")
    own = {"project_id": "p-b", "tenant_id": "p-b", "shared": False, "router:external": False}
    other = {"project_id": "p-a", "tenant_id": "p-a", "shared": False, "router:external": False}
    assert engine.enforce("get_network", own, member)
    assert not engine.enforce("get_network", other, member)
    assert engine.enforce("get_network", {**other, "shared": True}, member)
    assert engine.enforce("get_network", {**other, "router:external": True}, member)
    assert engine.enforce("get_network", other, creds("p-x", "admin"))
    assert not engine.enforce("create_network:shared", own, member)
    assert engine.enforce(
        "create_port:fixed_ips:subnet_id",
        {**other, "network:project_id": "p-a", "shared": True},
        member,
    )
    assert not engine.enforce(
        "create_port:fixed_ips:ip_address",
        {**other, "network:project_id": "p-a", "shared": True},
        member,
    )
    assert engine.enforce(
        "create_port:fixed_ips:ip_address", {**own, "network:project_id": "p-b"}, member
    )
