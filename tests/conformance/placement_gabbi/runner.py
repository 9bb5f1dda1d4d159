"""Runs placement's own gabbi suite, loaded unmodified from the installed
``openstack-placement`` wheel, against Stratus Placement over real HTTP.

Runs inside the gabbi venv (see run.sh). For each YAML file: start a fresh Stratus
Placement (server.py, in the Stratus venv), recreate the file's fixtures through the public
API, run the file with gabbi, record passed/failed/skipped.

The fixtures are upstream's own classes (``placement.tests.functional.fixtures.gabbits``),
executed as they are, with their database helpers (``tb``, the user/project objects)
swapped for shims that do the same work through HTTP, and their in-process app/config
setup replaced by pointing at our server."""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import placement
import placement.tests.functional.fixtures.gabbits as upstream
import yaml
from gabbi import driver
from oslo_utils.fixture import uuidsentinel as uuids

GABBITS = Path(placement.__file__).parent / "tests" / "functional" / "gabbits"
API_VERSION = "placement 1.37"


class Api:
    """The shim's HTTP session against the server under test."""

    client: httpx.Client | None = None

    @classmethod
    def call(cls, method: str, path: str, body: Any = None) -> Any:
        assert cls.client is not None
        response = cls.client.request(method, path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"fixture {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


class Provider(SimpleNamespace):
    uuid: str
    name: str

    def set_aggregates(self, aggs: Any) -> None:
        gen = Api.call("GET", f"/resource_providers/{self.uuid}")["generation"]
        Api.call(
            "PUT",
            f"/resource_providers/{self.uuid}/aggregates",
            {"aggregates": list(aggs), "resource_provider_generation": gen},
        )

    def set_traits(self, traits: Any) -> None:
        Shim.set_traits(self, *[getattr(t, "name", t) for t in traits])


class Shim:
    """What upstream's fixtures call on ``tb`` (placement.tests.functional.db.test_base)."""

    @staticmethod
    def create_provider(context: Any, name: str, *aggs: str, **kwargs: Any) -> Provider:
        rp_uuid = kwargs.get("uuid", getattr(uuids, name))
        body: dict[str, Any] = {"name": name, "uuid": rp_uuid}
        if kwargs.get("parent"):
            body["parent_provider_uuid"] = kwargs["parent"]
        Api.call("POST", "/resource_providers", body)
        if aggs:
            gen = Api.call("GET", f"/resource_providers/{rp_uuid}")["generation"]
            Api.call(
                "PUT",
                f"/resource_providers/{rp_uuid}/aggregates",
                {"aggregates": list(aggs), "resource_provider_generation": gen},
            )
        return Provider(uuid=rp_uuid, name=name, _context=context)

    @staticmethod
    def ensure_rc(context: Any, name: str) -> None:
        if name.startswith("CUSTOM_"):
            Api.call("PUT", f"/resource_classes/{name}")

    @staticmethod
    def add_inventory(rp: Provider, rc: str, total: int, **kwargs: Any) -> None:
        Shim.ensure_rc(None, rc)
        kwargs.setdefault("max_unit", total)
        current = Api.call("GET", f"/resource_providers/{rp.uuid}/inventories")
        inventories = current["inventories"]
        inventories[rc] = {"total": total, **kwargs}
        Api.call(
            "PUT",
            f"/resource_providers/{rp.uuid}/inventories",
            {
                "inventories": inventories,
                "resource_provider_generation": current["resource_provider_generation"],
            },
        )

    @staticmethod
    def set_traits(rp: Provider, *traits: str) -> list[str]:
        for name in traits:
            if name.startswith("CUSTOM_"):
                Api.call("PUT", f"/traits/{name}")
        gen = Api.call("GET", f"/resource_providers/{rp.uuid}")["generation"]
        Api.call(
            "PUT",
            f"/resource_providers/{rp.uuid}/traits",
            {"traits": list(traits), "resource_provider_generation": gen},
        )
        return list(traits)

    @staticmethod
    def ensure_consumer(
        ctx: Any, user: Any, project: Any, consumer_id: str | None = None
    ) -> SimpleNamespace:
        return SimpleNamespace(uuid=consumer_id or str(uuid.uuid4()), user=user, project=project)

    @staticmethod
    def set_allocation(ctx: Any, rp: Provider, consumer: Any, used: dict[str, int]) -> None:
        current = Api.call("GET", f"/allocations/{consumer.uuid}")
        Api.call(
            "PUT",
            f"/allocations/{consumer.uuid}",
            {
                "allocations": {rp.uuid: {"resources": used}},
                "project_id": consumer.project.external_id,
                "user_id": consumer.user.external_id,
                "consumer_generation": current.get("consumer_generation"),
            },
        )

    @staticmethod
    def create_user_and_project(ctx: Any, prefix: str = "fake") -> tuple[Any, Any]:
        return (
            SimpleNamespace(external_id=f"{prefix}-user", create=lambda: None),
            SimpleNamespace(external_id=f"{prefix}-project", create=lambda: None),
        )


class _External(SimpleNamespace):
    """Users and projects exist in placement only through consumers: nothing to create."""

    def __init__(self, ctx: Any = None, external_id: str = "", **kw: Any) -> None:
        super().__init__(external_id=external_id, **kw)

    def create(self) -> None:
        return None


class _ResourceClass(SimpleNamespace):
    def __init__(self, ctx: Any = None, name: str = "", **kw: Any) -> None:
        super().__init__(name=name, **kw)

    def create(self) -> None:
        Api.call("PUT", f"/resource_classes/{self.name}")


def _api_start(self: Any) -> None:
    """Upstream APIFixture.start_fixture without the in-process app: the same env vars."""
    self.context = SimpleNamespace()
    self.policy_fixture = SimpleNamespace(set_rules=lambda rules: None)
    for key in (
        "RP_UUID", "RP_NAME", "RP_UUID1", "RP_NAME1", "RP_UUID2", "RP_NAME2",
        "PROJECT_ID", "ADMIN_PROJECT_ID", "SERVICE_PROJECT_ID", "USER_ID",
        "PROJECT_ID_ALT", "USER_ID_ALT", "INSTANCE_UUID", "MIGRATION_UUID",
        "CONSUMER_UUID", "PARENT_PROVIDER_UUID", "ALT_PARENT_PROVIDER_UUID",
    ):  # fmt: skip
        os.environ[key] = str(uuid.uuid4())
    os.environ["CUSTOM_RES_CLASS"] = "CUSTOM_IRON_NFV"
    os.environ["CUSTOM_RES_CLASS1"] = "CUSTOM_IRON_NFV1"
    os.environ["CUSTOM_RES_CLASS2"] = "CUSTOM_IRON_NFV2"


def _install_shims() -> None:
    upstream.tb = Shim  # type: ignore[attr-defined]
    upstream.user_obj = SimpleNamespace(User=_External)  # type: ignore[attr-defined]
    upstream.project_obj = SimpleNamespace(Project=_External)  # type: ignore[attr-defined]
    upstream.rc_obj = SimpleNamespace(ResourceClass=_ResourceClass)  # type: ignore[attr-defined]
    upstream.APIFixture.start_fixture = _api_start  # type: ignore[method-assign]
    upstream.APIFixture.stop_fixture = lambda self: None  # type: ignore[method-assign]


def _summary(trace: str) -> str:
    lines = trace.strip().splitlines()
    for i, line in enumerate(lines):
        if "Error:" in line or "Error(" in line:
            return " ".join(x.strip() for x in lines[i : i + 14])[:600]
    return lines[-1][:500] if lines else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(stratus_python: str, policy: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    args = [stratus_python, str(Path(__file__).with_name("server.py")), "--port", str(port)]
    args += ["--policy", policy]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"server died: {proc.stderr.read().decode() if proc.stderr else ''}")
    raise RuntimeError("server did not start")


def run_file(path: Path, stratus_python: str) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text())
    fixtures = spec.get("fixtures", [])
    policy = "default"
    if "OpenPolicyFixture" in fixtures:
        policy = "open"
    elif "SecureRBACPolicyFixture" in fixtures:
        policy = "secure"
    proc, port = start_server(stratus_python, policy)
    base = f"http://127.0.0.1:{port}"
    Api.client = httpx.Client(
        base_url=base,
        headers={
            "x-auth-token": "admin",
            "openstack-api-version": API_VERSION,
            "accept": "application/json",
        },
        timeout=60,
    )
    tmp = Path(tempfile.mkdtemp(prefix="gabbi-one-"))
    try:
        shutil.copy(path, tmp / path.name)
        loader = unittest.TestLoader()
        suite = driver.build_tests(
            str(tmp),
            loader,
            host="127.0.0.1",
            port=port,
            fixture_module=upstream,
            test_loader_name="stratus",
        )
        result = unittest.TestResult()
        suite.run(result)
        failures = [
            (getattr(t, "test_data", {}).get("name", str(t)), _summary(msg))
            for t, msg in result.failures + result.errors
        ]
        total = result.testsRun
        skipped = len(result.skipped)
        xfail = len(result.expectedFailures)
        failed = len(failures) + len(result.unexpectedSuccesses)
        passed = max(0, total - failed - skipped - xfail)
        return {
            "file": path.name,
            "fixtures": fixtures,
            "total": passed + failed + skipped + xfail,
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "xfail": xfail,
            "failures": [{"test": name, "message": msg} for name, msg in failures[:8]],
        }
    finally:
        Api.client.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


# Files (or single tests) that exercise an upstream-internal detail or a deployment option
# Stratus does not have; listed with the reason in the report.
EXCLUDED = {
    "cors.yaml": "needs oslo.middleware's CORS filter configured ([cors] allowed_origin); "
    "Stratus has no CORS option yet.",
}
EXCLUDED_TESTS = {
    ("basic-http.yaml", "bad content length not int"): "sends a non-integer Content-Length, "
    "which a real HTTP client refuses to put on the wire (upstream runs in-process through "
    "wsgi-intercept).",
}


def markdown(results: list[dict[str, Any]]) -> str:
    version = getattr(placement, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("openstack-placement")
    tests = sum(r["total"] for r in results)
    passed = sum(r["passed"] for r in results)
    clean = [r for r in results if r["failed"] == 0]
    lines = [
        "# Placement conformance: placement's own gabbi suite",
        "",
        f"The functional gabbi suite shipped in the `openstack-placement` {version} wheel "
        "(`placement/tests/functional/gabbits/*.yaml`), run unmodified against Stratus "
        "Placement over real HTTP by `tests/conformance/placement_gabbi/run.sh`. Each file "
        "gets a fresh Stratus; upstream's fixture classes run as they are, with their "
        "database helpers replaced by shims that create the same providers, inventories, "
        "traits, aggregates and allocations through the public API. Upstream's noauth2 "
        "headers (`x-auth-token: admin`, `x-roles`, `x-project-id`, "
        "`openstack-system-scope`) are translated into tokens by the test server. Policy "
        "fixtures map to policy files: LegacyRBACPolicyFixture and plain files use Stratus' "
        "defaults, SecureRBACPolicyFixture a policy.yaml with upstream's new persona "
        "defaults (no deprecated admin fallbacks), OpenPolicyFixture every rule `@`.",
        "",
        f"**{len(clean)}/{len(results)} files pass completely; {passed}/{tests} tests pass.**",
        "",
        "| file | passed | failed | skipped | total |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        mark = "" if r["failed"] == 0 else " ✗"
        lines.append(
            f"| {r['file']}{mark} | {r['passed']} | {r['failed']} | {r['skipped']} | {r['total']} |"
        )
    failing = [r for r in results if r["failed"]]
    if failing:
        lines += ["", "## Failures", ""]
        for r in failing:
            for f in r["failures"]:
                reason = EXCLUDED.get(r["file"]) or EXCLUDED_TESTS.get((r["file"], f["test"]))
                note = f" — excluded: {reason}" if reason else ""
                lines.append(f"- `{r['file']}` / {f['test']}{note}")
    lines += ["", "## Excluded (upstream-internal or deployment-specific)", ""]
    for name, reason in EXCLUDED.items():
        lines.append(f"- `{name}`: {reason}")
    for (name, test), reason in EXCLUDED_TESTS.items():
        lines.append(f"- `{name}` / {test}: {reason}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stratus-python", required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("files", nargs="*", help="YAML names (default: every file)")
    args = parser.parse_args()
    _install_shims()
    names = args.files or sorted(p.name for p in GABBITS.glob("*.yaml"))
    results = []
    for name in names:
        started = time.monotonic()
        try:
            outcome = run_file(GABBITS / name, args.stratus_python)
        except Exception as exc:  # a fixture or server failure fails the whole file
            outcome = {
                "file": name, "total": 0, "passed": 0, "failed": 1, "skipped": 0, "xfail": 0,
                "failures": [{"test": "setup", "message": str(exc)[:400]}],
            }  # fmt: skip
        outcome["seconds"] = round(time.monotonic() - started, 1)
        results.append(outcome)
        mark = "ok  " if outcome["failed"] == 0 else "FAIL"
        print(
            f"{mark} {name}: {outcome['passed']}/{outcome['total']} passed, "
            f"{outcome['failed']} failed, {outcome['skipped']} skipped",
            flush=True,
        )
    args.json.write_text(json.dumps(results, indent=1))
    if args.markdown is not None:
        args.markdown.write_text(markdown(results))
    files_ok = sum(1 for r in results if r["failed"] == 0)
    tests = sum(r["total"] for r in results)
    passed = sum(r["passed"] for r in results)
    failed = sum(r["failed"] for r in results)
    print(f"files: {files_ok}/{len(results)} clean; tests: {passed}/{tests} passed")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0)


if __name__ == "__main__":
    main()
