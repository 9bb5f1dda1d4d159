"""The policy engine: oslo.policy syntax, rule references, overrides from a file."""

from pathlib import Path

import pytest

from stratus.api.policy import PolicyEngine, PolicyParseError, Rule, parse, register

MEMBER = {"roles": ["member", "reader"], "project_id": "p1", "user_id": "u1"}
SYSTEM_READER = {"roles": ["reader"], "system_scope": "all", "user_id": "u2"}


@pytest.mark.parametrize(
    "rule,target,creds,expected",
    [
        ("role:member", {}, MEMBER, True),
        ("role:admin", {}, MEMBER, False),
        ("role:MEMBER", {}, MEMBER, True),
        ("project_id:%(project_id)s", {"project_id": "p1"}, MEMBER, True),
        ("project_id:%(project_id)s", {"project_id": "p2"}, MEMBER, False),
        ("project_id:%(target.project.id)s", {"target": {"project": {"id": "p1"}}}, MEMBER, True),
        ("user_id:%(target.user.id)s", {"target.user.id": "u1"}, MEMBER, True),
        ("role:reader and system_scope:all", {}, SYSTEM_READER, True),
        ("role:reader and system_scope:all", {}, MEMBER, False),
        (
            "role:admin or (role:reader and project_id:%(project_id)s)",
            {"project_id": "p1"},
            MEMBER,
            True,
        ),
        ("not role:admin", {}, MEMBER, True),
        ("@", {}, {}, True),
        ("!", {}, MEMBER, False),
        ("", {}, {}, True),
        ("is_admin:True", {}, {"is_admin": True}, True),
        ("is_admin:1", {}, {"is_admin": False, "roles": []}, False),
        ("'member':%(role.name)s", {"role.name": "member"}, {}, True),
        ("project_id:%(missing)s", {}, MEMBER, False),
    ],
)
def test_checks(
    rule: str, target: dict[str, object], creds: dict[str, object], expected: bool
) -> None:
    assert parse(rule)(target, creds, PolicyEngine()) is expected


@pytest.mark.parametrize("bad", ["role:admin or", "(role:admin", "role:a and and role:b", "admin"])
def test_malformed_rules_are_rejected(bad: str) -> None:
    with pytest.raises(PolicyParseError):
        parse(bad)


def test_rule_references_and_file_override(tmp_path: Path) -> None:
    register([Rule("test:base", "role:admin"), Rule("test:action", "rule:test:base or role:x")])
    engine = PolicyEngine(overrides_file=tmp_path / "policy.yaml")
    engine.load()
    assert engine.enforce("test:action", {}, {"roles": ["x"]})
    assert not engine.enforce("test:action", {}, {"roles": ["member"]})
    (tmp_path / "policy.yaml").write_text('"test:base": "role:member"\n')
    engine.load()  # a running engine re-reads the file within a second by itself
    assert engine.enforce("test:action", {}, {"roles": ["member"]})


def test_unregistered_rule_is_an_error() -> None:
    with pytest.raises(KeyError):
        PolicyEngine().enforce("test:never-registered", {}, {})


def test_helper_rules_resolve_in_the_service_that_registered_them() -> None:
    """Keystone's ``owner`` is the user, Neutron's the project: loading both services must not
    let one service's helper rule replace the other's."""
    register(
        [
            Rule("nsA:owner", "!"),
            Rule("owner", "user_id:%(user_id)s"),
            Rule("a:read", "rule:owner"),
        ],
        namespace="svc_a",
    )
    register(
        [Rule("owner", "project_id:%(project_id)s"), Rule("b:read", "rule:owner")],
        namespace="svc_b",
    )
    engine = PolicyEngine()
    peer = {"roles": ["member"], "project_id": "p1", "user_id": "u2"}
    mine = {"user_id": "u1", "project_id": "p1"}
    assert not engine.enforce("a:read", mine, peer)  # same project, another user: refused
    assert engine.enforce("a:read", mine, {**peer, "user_id": "u1"})
    assert engine.enforce("b:read", mine, peer)  # project ownership is enough in svc_b


def test_identity_owner_survives_loading_network_policies() -> None:
    from stratus.services.identity import policies as _identity  # noqa: F401
    from stratus.services.network import policies as network

    network.load()
    engine = PolicyEngine()
    other_user_same_project = {"roles": ["member", "reader"], "project_id": "p1", "user_id": "u2"}
    target = {"user_id": "u1", "project_id": "p1"}
    assert not engine.enforce("identity:ec2_list_credentials", target, other_user_same_project)
