"""Flavors: the default set, CRUD, private flavors and access, extra specs validation."""

from typing import Any

import openstack.exceptions
import pytest

from tests.functional.compute.conftest import Caller


def test_default_flavors(demo: Any) -> None:
    names = {f.name for f in demo.compute.flavors()}
    assert {"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= names
    assert {"ra1.b.small", "ra1.h.medium"} <= names
    tiny = demo.compute.find_flavor("m1.tiny")
    assert (tiny.vcpus, tiny.ram, tiny.disk) == (1, 512, 1)


def test_pinned_profile_flavor_carries_extra_specs(demo_api: Caller) -> None:
    resp = demo_api("GET", "/flavors/ra1.h.medium", version="2.61")
    assert resp.status_code == 200
    specs = resp.json()["flavor"]["extra_specs"]
    assert specs["hw:cpu_policy"] == "dedicated"
    assert specs["hw:cpu_thread_policy"] == "isolate"


def test_flavor_lifecycle_and_private_access(admin: Any, demo: Any, demo_api: Caller) -> None:
    flavor = admin.compute.create_flavor(
        name="priv.small", ram=256, vcpus=1, disk=1, is_public=False, description="p"
    )
    assert flavor.is_public is False
    # Not visible to the demo project until access is granted.
    assert "priv.small" not in {f.name for f in demo.compute.flavors()}
    assert demo_api("GET", f"/flavors/{flavor.id}").status_code == 404
    demo_project = demo.current_project_id
    admin.compute.flavor_add_tenant_access(flavor, demo_project)
    assert "priv.small" in {f.name for f in demo.compute.flavors()}
    access = admin.compute.get_flavor_access(flavor)
    assert [a["tenant_id"] for a in access] == [demo_project]
    admin.compute.flavor_remove_tenant_access(flavor, demo_project)
    assert "priv.small" not in {f.name for f in demo.compute.flavors()}
    admin.compute.delete_flavor(flavor)
    with pytest.raises(openstack.exceptions.NotFoundException):
        admin.compute.get_flavor(flavor.id)


def test_flavor_errors(admin_api: Caller, demo_api: Caller) -> None:
    body = {"flavor": {"name": "m1.tiny", "ram": 1, "vcpus": 1, "disk": 0}}
    resp = admin_api("POST", "/flavors", json=body)
    assert resp.status_code == 409
    assert (
        resp.json()["conflictingRequest"]["message"] == "Flavor with name m1.tiny already exists."
    )
    resp = demo_api(
        "POST", "/flavors", json={"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0}}
    )
    assert resp.status_code == 403
    assert "forbidden" in resp.json()
    resp = admin_api(
        "POST", "/flavors", json={"flavor": {"name": "bad", "ram": 0, "vcpus": 1, "disk": 0}}
    )
    assert resp.status_code == 400
    assert "badRequest" in resp.json()
    resp = demo_api("GET", "/flavors/nope")
    assert resp.status_code == 404
    assert resp.json() == {
        "itemNotFound": {"code": 404, "message": "Flavor nope could not be found."}
    }


def test_description_update_needs_2_55(admin_api: Caller) -> None:
    resp = admin_api(
        "POST",
        "/flavors",
        version="2.55",
        json={"flavor": {"name": "descr", "ram": 64, "vcpus": 1, "disk": 0, "id": "descr"}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["flavor"]["description"] is None
    assert (
        admin_api(
            "PUT", "/flavors/descr", version="2.54", json={"flavor": {"description": "x"}}
        ).status_code
        == 404
    )
    resp = admin_api(
        "PUT", "/flavors/descr", version="2.55", json={"flavor": {"description": "new"}}
    )
    assert resp.status_code == 200
    assert resp.json()["flavor"]["description"] == "new"
    # swap is "" before 2.75 and 0 from 2.75.
    assert admin_api("GET", "/flavors/descr", version="2.74").json()["flavor"]["swap"] == ""
    assert admin_api("GET", "/flavors/descr", version="2.75").json()["flavor"]["swap"] == 0
    assert admin_api("DELETE", "/flavors/descr").status_code == 202


def test_extra_specs_validation(admin_api: Caller) -> None:
    assert (
        admin_api(
            "POST",
            "/flavors",
            json={"flavor": {"name": "specs", "ram": 64, "vcpus": 2, "disk": 0, "id": "specs"}},
        ).status_code
        == 200
    )
    good = {
        "hw:cpu_policy": "dedicated",
        "hw:numa_nodes": "2",
        "hw:mem_page_size": "1GB",
        "resources:CUSTOM_FPGA": "1",
        "trait:HW_CPU_X86_AVX2": "required",
        "aggregate_instance_extra_specs:ssd": "true",
    }
    resp = admin_api(
        "POST", "/flavors/specs/os-extra_specs", version="2.86", json={"extra_specs": good}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["extra_specs"] == good
    for bad in (
        {"hw:cpu_policy": "sometimes"},
        {"hw:numa_nodes": "0"},
        {"trait:HW_CPU_X86_AVX2": "maybe"},
        {"hw:no_such_key": "1"},
    ):
        resp = admin_api(
            "POST", "/flavors/specs/os-extra_specs", version="2.86", json={"extra_specs": bad}
        )
        assert resp.status_code == 400, bad
    # Before 2.86 nova did not judge values; neither do we.
    resp = admin_api(
        "POST",
        "/flavors/specs/os-extra_specs",
        version="2.85",
        json={"extra_specs": {"hw:cpu_policy": "sometimes"}},
    )
    assert resp.status_code == 200
    assert admin_api("GET", "/flavors/specs/os-extra_specs/hw:numa_nodes").json() == {
        "hw:numa_nodes": "2"
    }
    resp = admin_api(
        "PUT", "/flavors/specs/os-extra_specs/hw:numa_nodes", json={"hw:numa_nodes": "1"}
    )
    assert resp.json() == {"hw:numa_nodes": "1"}
    assert (
        admin_api(
            "PUT", "/flavors/specs/os-extra_specs/hw:numa_nodes", json={"other": "1"}
        ).status_code
        == 400
    )
    assert admin_api("DELETE", "/flavors/specs/os-extra_specs/hw:numa_nodes").status_code == 200
    assert admin_api("GET", "/flavors/specs/os-extra_specs/hw:numa_nodes").status_code == 404
