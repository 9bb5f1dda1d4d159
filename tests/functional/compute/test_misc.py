"""Versions, microversion negotiation, keypairs, availability zones, limits, quota sets,
hypervisors and services."""

import base64
import hashlib
from typing import Any

import httpx
import openstack.exceptions
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from stratus.testing import RunningCloud
from tests.functional.compute.conftest import Caller


def test_version_documents(cloud: RunningCloud) -> None:
    root = httpx.get(f"{cloud.url}/compute/").json()
    v20, v21 = root["versions"]
    assert v20["id"] == "v2.0" and v20["status"] == "SUPPORTED"
    two = httpx.get(v20["links"][0]["href"]).json()["version"]
    assert two["links"][0] == v20["links"][0]
    assert v21["id"] == "v2.1" and v21["min_version"] == "2.1" and v21["status"] == "CURRENT"
    one = httpx.get(f"{cloud.url}/compute/v2.1/").json()["version"]
    assert one["version"] == v21["version"]
    assert one["links"][0]["href"] == f"{cloud.url}/compute/v2.1/"


def test_legacy_v2_endpoint_is_v2_1_at_2_1(cloud: RunningCloud, demo: Any) -> None:
    headers = {"X-Auth-Token": demo.auth_token, "OpenStack-API-Version": "compute 2.61"}
    flavor = httpx.get(f"{cloud.url}/compute/v2/flavors/1", headers=headers).json()["flavor"]
    assert flavor["name"] == "m1.tiny" and "extra_specs" not in flavor


def test_microversion_headers(demo_api: Caller) -> None:
    resp = demo_api("GET", "/flavors", version="2.60")
    assert resp.headers["x-compute-request-id"] == resp.headers["x-openstack-request-id"]
    assert resp.headers["OpenStack-API-Version"] == "compute 2.60"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.60"
    legacy = demo_api("GET", "/flavors", headers={"X-OpenStack-Nova-API-Version": "2.10"})
    assert legacy.headers["OpenStack-API-Version"] == "compute 2.10"
    assert demo_api("GET", "/flavors").headers["OpenStack-API-Version"] == "compute 2.1"
    resp = demo_api("GET", "/flavors", version="9.0")
    assert resp.status_code == 406
    assert "notAcceptable" in resp.json()


def test_not_served_routes_answer_501(demo_api: Caller) -> None:
    resp = demo_api("GET", "/os-cells")
    assert resp.status_code == 501
    assert resp.json()["notImplemented"]["code"] == 501


def _md5(public: str) -> str:
    digest = hashlib.md5(base64.b64decode(public.split()[1]), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def test_keypairs(demo: Any, admin: Any, demo_api: Caller) -> None:
    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    imported = demo.compute.create_keypair(name="imported", public_key=public)
    assert imported.fingerprint == _md5(public)
    assert imported.private_key is None
    generated = demo.compute.create_keypair(name="generated")
    assert generated.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert generated.fingerprint == _md5(generated.public_key)
    assert {k.name for k in demo.compute.keypairs()} >= {"imported", "generated"}
    # Key pairs belong to their user: the admin user does not see demo's.
    assert "imported" not in {k.name for k in admin.compute.keypairs()}
    resp = demo_api(
        "POST", "/os-keypairs", json={"keypair": {"name": "imported", "public_key": public}}
    )
    assert resp.status_code == 409
    resp = demo_api(
        "POST", "/os-keypairs", json={"keypair": {"name": "bad", "public_key": "ssh-rsa nope"}}
    )
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"].startswith("Keypair data is invalid")
    shown = demo_api("GET", "/os-keypairs/imported", version="2.2").json()["keypair"]
    assert shown["type"] == "ssh" and shown["public_key"] == public
    assert demo_api("DELETE", "/os-keypairs/generated", version="2.2").status_code == 204
    with pytest.raises(openstack.exceptions.NotFoundException):
        demo.compute.get_keypair("generated")


def test_availability_zones(demo_api: Caller, admin_api: Caller) -> None:
    zones = demo_api("GET", "/os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
    assert demo_api("GET", "/os-availability-zone/detail").status_code == 403
    detail = admin_api("GET", "/os-availability-zone/detail").json()["availabilityZoneInfo"]
    by_zone = {z["zoneName"]: z["hosts"] for z in detail}
    assert set(by_zone["nova"]) == {"compute-0", "compute-1"}
    assert "nova-conductor" in by_zone["internal"]["stratus"]


def test_hypervisors_are_placement_providers(admin: Any, admin_api: Caller) -> None:
    hvs = admin_api("GET", "/os-hypervisors/detail", version="2.53").json()["hypervisors"]
    assert sorted(h["hypervisor_hostname"] for h in hvs) == ["compute-0", "compute-1"]
    for hv in hvs:
        assert hv["vcpus"] == 16 and hv["state"] == "up" and hv["status"] == "enabled"
        inv = admin.placement.get(f"/resource_providers/{hv['id']}/inventories").json()[
            "inventories"
        ]
        # 16 host CPUs: 4 dedicated to pinned guests (PCPU, 1:1), 12 shared (VCPU, 4:1).
        assert inv["VCPU"]["total"] == 12 and inv["VCPU"]["allocation_ratio"] == 4.0
        assert inv["PCPU"]["total"] == 4 and inv["PCPU"]["allocation_ratio"] == 1.0
        assert inv["MEMORY_MB"]["total"] == 65536 and inv["MEMORY_MB"]["reserved"] == 512
        assert inv["DISK_GB"]["total"] == 1000
    assert (
        "vcpus"
        not in admin_api("GET", "/os-hypervisors/detail", version="2.88").json()["hypervisors"][0]
    )
    assert admin_api("GET", "/os-hypervisors/statistics", version="2.88").status_code == 404
    stats = admin_api("GET", "/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 2 and stats["vcpus"] == 32


def test_services_disable_and_enable(admin_api: Caller, demo_api: Caller) -> None:
    services = admin_api("GET", "/os-services", version="2.53").json()["services"]
    binaries = sorted(s["binary"] for s in services)
    assert binaries == ["nova-compute", "nova-compute", "nova-conductor", "nova-scheduler"]
    assert demo_api("GET", "/os-services").status_code == 403
    compute1 = next(s for s in services if s["host"] == "compute-1")
    resp = admin_api(
        "PUT",
        f"/os-services/{compute1['id']}",
        version="2.53",
        json={"status": "disabled", "disabled_reason": "maintenance"},
    )
    assert resp.status_code == 200
    assert resp.json()["service"]["status"] == "disabled"
    assert resp.json()["service"]["disabled_reason"] == "maintenance"
    resp = admin_api(
        "PUT", f"/os-services/{compute1['id']}", version="2.53", json={"status": "enabled"}
    )
    assert resp.json()["service"]["status"] == "enabled"


def test_limits_and_quota_sets(demo: Any, demo_api: Caller, admin_api: Caller) -> None:
    project = demo.current_project_id
    absolute = demo_api("GET", "/limits").json()["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 10 and absolute["maxTotalCores"] == 20
    assert "maxTotalFloatingIps" in absolute
    assert (
        "maxTotalFloatingIps"
        not in demo_api("GET", "/limits", version="2.36").json()["limits"]["absolute"]
    )
    quota = demo_api("GET", f"/os-quota-sets/{project}").json()["quota_set"]
    assert quota["id"] == project and quota["instances"] == 10 and quota["key_pairs"] == 100
    assert (
        demo_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"cores": 5}}).status_code
        == 403
    )
    resp = admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"key_pairs": 50}})
    assert resp.status_code == 200 and resp.json()["quota_set"]["key_pairs"] == 50
    assert (
        admin_api("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"bogus": 1}}).status_code
        == 400
    )
    detail = demo_api("GET", f"/os-quota-sets/{project}/detail", version="2.57").json()["quota_set"]
    assert detail["key_pairs"]["limit"] == 50 and "injected_files" not in detail
    assert admin_api("DELETE", f"/os-quota-sets/{project}").status_code == 202
    assert demo_api("GET", f"/os-quota-sets/{project}").json()["quota_set"]["key_pairs"] == 100


def test_default_quota_class_sets_every_default(
    demo: Any, demo_api: Caller, admin_api: Caller
) -> None:
    shown = admin_api("GET", "/os-quota-class-sets/default").json()["quota_class_set"]
    assert shown["id"] == "default" and shown["instances"] == 10 and "floating_ips" in shown
    assert (
        "server_groups"
        in admin_api("GET", "/os-quota-class-sets/default", version="2.50").json()[
            "quota_class_set"
        ]
    )
    assert (
        demo_api(
            "PUT", "/os-quota-class-sets/default", json={"quota_class_set": {"instances": 7}}
        ).status_code
        == 403
    )
    try:
        resp = admin_api(
            "PUT", "/os-quota-class-sets/default", json={"quota_class_set": {"instances": 7}}
        )
        assert resp.status_code == 200 and resp.json()["quota_class_set"]["instances"] == 7
        project = demo.current_project_id
        assert demo_api("GET", f"/os-quota-sets/{project}").json()["quota_set"]["instances"] == 7
        assert demo_api("GET", "/limits").json()["limits"]["absolute"]["maxTotalInstances"] == 7
    finally:
        admin_api(
            "PUT", "/os-quota-class-sets/default", json={"quota_class_set": {"instances": 10}}
        )
