"""osc-placement (`openstack resource provider ...`) works unchanged against Stratus."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from stratus.testing import RunningCloud
from tests.functional.placement.helpers import new_uuid

OPENSTACK = str(Path(sys.executable).with_name("openstack"))


def osc(cloud: RunningCloud, *args: str, fmt: bool = True) -> Any:
    out = subprocess.run(
        [OPENSTACK, "--os-placement-api-version", "1.39", *args, *(["-f", "json"] if fmt else [])],
        env=cloud.env("stratus-admin"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_resource_provider_cli(cloud: RunningCloud) -> None:
    name = f"cli-{new_uuid()}"
    rp = osc(cloud, "resource", "provider", "create", name)
    assert rp["name"] == name and rp["generation"] == 0
    inv = osc(
        cloud, "resource", "provider", "inventory", "set", rp["uuid"],
        "--resource", "VCPU=16", "--resource", "MEMORY_MB=8192",
    )  # fmt: skip
    assert {row["resource_class"] for row in inv} == {"VCPU", "MEMORY_MB"}
    trait = f"CUSTOM_CLI_{new_uuid().replace('-', '')[:8].upper()}"
    osc(cloud, "trait", "create", trait, fmt=False)
    osc(cloud, "resource", "provider", "trait", "set", rp["uuid"], "--trait", trait)
    rows = osc(
        cloud, "allocation", "candidate", "list",
        "--resource", "VCPU=2", "--required", trait,
    )  # fmt: skip
    assert len(rows) == 1
    assert rows[0]["resource provider"] == rp["uuid"]
    listed = osc(cloud, "resource", "provider", "list", "--name", name)
    assert [r["uuid"] for r in listed] == [rp["uuid"]]
    usage = osc(cloud, "resource", "provider", "usage", "show", rp["uuid"])
    assert {row["resource_class"]: row["usage"] for row in usage} == {"VCPU": 0, "MEMORY_MB": 0}
