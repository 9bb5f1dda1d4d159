"""The bar of the foundation issue: the `openstack` CLI, unmodified, against Stratus."""

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from stratus.testing import RunningCloud

OPENSTACK = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")


def osc(cloud: RunningCloud, *args: str, name: str = "stratus-admin", fmt: bool = True) -> Any:
    extra = ["-f", "json"] if fmt else []
    proc = subprocess.run(
        [OPENSTACK, *args, *extra], env=cloud.env(name), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def osc_fails(cloud: RunningCloud, *args: str, name: str = "stratus-admin") -> str:
    proc = subprocess.run(
        [OPENSTACK, *args], env=cloud.env(name), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    return proc.stderr


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"project": f"cli-proj-{tag}", "user": f"cli-user-{tag}"}


def test_token_issue(cloud: RunningCloud) -> None:
    token = osc(cloud, "token", "issue")
    assert token["id"].startswith("gAAAA")
    assert token["project_id"]


def test_project_user_role_flow(cloud: RunningCloud, names: dict[str, str]) -> None:
    project = osc(cloud, "project", "create", "--description", "made by the CLI", names["project"])
    assert project["name"] == names["project"]
    assert project["description"] == "made by the CLI"
    user = osc(
        cloud,
        "user",
        "create",
        "--password",
        "s3cret-pass",
        "--project",
        names["project"],
        names["user"],
    )
    assert user["name"] == names["user"]
    osc(
        cloud,
        "role",
        "add",
        "--user",
        names["user"],
        "--project",
        names["project"],
        "member",
        fmt=False,
    )
    rows = osc(cloud, "role", "assignment", "list", "--names", "--user", names["user"])
    assert {
        "Role": "member",
        "User": f"{names['user']}@Default",
        "Project": f"{names['project']}@Default",
    }.items() <= rows[0].items()
    # effective roles include the implied reader role
    rows = osc(
        cloud, "role", "assignment", "list", "--names", "--effective", "--user", names["user"]
    )
    assert {r["Role"] for r in rows} == {"member", "reader"}


def test_application_credential_authenticates(cloud: RunningCloud, tmp_path: Path) -> None:
    cred = osc(
        cloud,
        "application",
        "credential",
        "create",
        "--secret",
        "app-secret-1",
        f"cred-{uuid.uuid4().hex[:6]}",
    )
    assert cred["Secret"] == "app-secret-1"
    assert {r["name"] for r in cred["Roles"]} >= {"admin", "member", "reader"}
    clouds = {
        "clouds": {
            "appcred": {
                "auth_type": "v3applicationcredential",
                "auth": {
                    "auth_url": cloud.auth_url,
                    "application_credential_id": cred["ID"],
                    "application_credential_secret": "app-secret-1",
                },
                "region_name": "RegionOne",
                "identity_api_version": 3,
            }
        }
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(json.dumps(clouds))
    env = cloud.env("appcred")
    env["OS_CLIENT_CONFIG_FILE"] = str(path)
    proc = subprocess.run(
        [OPENSTACK, "token", "issue", "-f", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project_id"]


def test_trust_create(cloud: RunningCloud) -> None:
    trustee = osc(
        cloud, "user", "create", "--password", "pw-trustee-1", f"trustee-{uuid.uuid4().hex[:6]}"
    )
    trust = osc(
        cloud,
        "trust",
        "create",
        "--project",
        "admin",
        "--role",
        "member",
        "--impersonate",
        "admin",
        trustee["id"],
    )
    assert trust["is_impersonation"] is True
    assert trust["trustee_user_id"] == trustee["id"]
    listed = osc(cloud, "trust", "list")
    assert trust["id"] in {t["ID"] for t in listed}


def test_limit_create(cloud: RunningCloud) -> None:
    service = osc(
        cloud,
        "service",
        "create",
        "--name",
        f"svc-{uuid.uuid4().hex[:6]}",
        f"type-{uuid.uuid4().hex[:6]}",
    )
    registered = osc(
        cloud,
        "registered",
        "limit",
        "create",
        "--service",
        service["id"],
        "--default-limit",
        "10",
        "widgets",
    )
    assert registered["default_limit"] == 10
    limit = osc(
        cloud,
        "limit",
        "create",
        "--project",
        "demo",
        "--service",
        service["id"],
        "--resource-limit",
        "5",
        "widgets",
    )
    assert limit["resource_limit"] == 5
    # a limit for a resource nobody registered is refused
    err = osc_fails(
        cloud,
        "limit",
        "create",
        "--project",
        "demo",
        "--service",
        service["id"],
        "--resource-limit",
        "5",
        "gadgets",
    )
    assert "403" in err


def test_member_cannot_create_projects(cloud: RunningCloud) -> None:
    err = osc_fails(cloud, "project", "create", f"nope-{uuid.uuid4().hex[:6]}", name="stratus")
    assert "403" in err
