"""Tests of the conformance harness itself: selection, outcomes, tempest.conf, discovery, ratchet.

Everything here is cheap (no Tempest, no Stratus) except the tests marked ``slow``, which bring
up a real Stratus and a real Tempest run; see test_broken_stratus_fails_the_ratchet.
"""

import importlib.util
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from stratus_conformance import report
from stratus_conformance.cloud import Credentials
from stratus_conformance.discovery import Facts, _version_range, discover
from stratus_conformance.results import FAILED, PASSED, SKIPPED, collate, junit_xml, summary_text
from stratus_conformance.selection import (
    Ra1Case,
    TestList,
    base_id,
    load_lists,
    read_lines,
    resolve,
    shard,
)
from stratus_conformance.tempest_conf import build_conf, render

HERE = Path(__file__).resolve().parent


def _runner() -> Any:
    spec = importlib.util.spec_from_file_location("conformance_runner", HERE / "runner.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


AVAILABLE = [
    "tempest.api.identity.v3.test_users.UsersV3TestJSON.test_update_user_password[id-ad71bd23,smoke]",
    "tempest.api.identity.v3.test_users.UsersV3TestJSON.test_update_user_password_x[id-ad71bd24]",
    "tempest.api.identity.admin.v3.test_roles.RolesV3TestJSON.test_role_create_update_show_list[id-18afc6c0]",
    "tempest.api.compute.servers.test_servers.ServersTestJSON.test_create_server[id-5de47127,slow]",
    "keystone_tempest_plugin.tests.rbac.v3.test_user.SystemAdminTests.test_identity_get_user",
    "keystone_tempest_plugin.tests.api.identity.v3.test_x.XTest.test_y[id-1]",
]


# -- selection ---------------------------------------------------------------------------


def test_base_id_strips_only_the_attribute_suffix() -> None:
    assert base_id("a.B.test_c[id-1,smoke]") == "a.B.test_c"
    assert base_id("a.B.test_c") == "a.B.test_c"


def test_resolve_matches_exact_ids_not_prefixes_and_reports_missing() -> None:
    tl = TestList(
        name="x",
        ids=[
            "tempest.api.identity.v3.test_users.UsersV3TestJSON.test_update_user_password",
            "tempest.api.identity.v3.test_users.UsersV3TestJSON.test_gone[id-9]",
        ],
    )
    sel = resolve(tl, AVAILABLE)
    # test_update_user_password must not also pick test_update_user_password_x
    assert sel.ids == [AVAILABLE[0]]
    assert sel.missing == ["tempest.api.identity.v3.test_users.UsersV3TestJSON.test_gone[id-9]"]


def test_ra1_case_uses_stestr_search_semantics_with_excludes() -> None:
    case = Ra1Case(
        name="k",
        include=["keystone_tempest_plugin."],
        exclude=[".*rbac"],
        tests_count=1,
        deny_skipping=True,
        concurrency=4,
        plugin="",
    )
    sel = resolve(TestList(name="k", case=case), AVAILABLE)
    assert sel.ids == [AVAILABLE[5]]
    slow = Ra1Case("s", [r"(?=.*\[.*\bslow\b.*\])(^tempest.)"], [], None, True, 1, "")
    assert resolve(TestList(name="s", case=slow), AVAILABLE).ids == [AVAILABLE[3]]


def test_shards_partition_the_list_deterministically() -> None:
    ids = [f"t.C.test_{i}" for i in range(200)]
    parts = [shard(ids, i, 3) for i in range(3)]
    assert sorted(t for part in parts for t in part) == sorted(ids)
    assert all(parts) and shard(ids, 1, 3) == parts[1]


def test_committed_lists_load_and_ra1_cases_carry_upstream_counts() -> None:
    lists = {t.name: t for t in load_lists()}
    assert len(lists["api_identity"].ids) > 100
    assert len(lists["interop_platform_2020.06"].ids) == 273
    full = lists["tempest_full_cntt"].case
    assert full is not None and full.tests_count == 1262 and full.deny_skipping
    assert len(full.exclude) == 81


# -- outcomes ----------------------------------------------------------------------------


def _rec(tid: str, status: str, **kw: Any) -> dict[str, Any]:
    return {"id": tid, "status": status, "reason": "", "traceback": "", "duration": 0.5, **kw}


def test_collate_maps_class_fixtures_and_unreported_tests() -> None:
    requested = [
        "m.A.test_ok[id-1]",
        "m.A.test_bad[id-2]",
        "m.B.test_never_ran[id-3]",
        "m.C.test_class_skipped[id-4]",
        "m.D.test_lost[id-5]",
    ]
    tb = (
        "Traceback (most recent call last):\n  File x\n"
        "tempest.lib.exceptions.ServerFault: Got server fault\n"
        "Details: Internal Server Error"
    )
    records = [
        _rec("m.A.test_ok[id-1]", "success"),
        _rec("m.A.test_bad[id-2]", "fail", traceback=tb),
        _rec("setUpClass (m.B)", "fail", traceback="KeyError: 'catalog'"),
        _rec("setUpClass (m.C)", "skip", reason="Nova is not available"),
        _rec("m.A.test_ok[id-1]", "exists"),
    ]
    res = collate(requested, records)
    st = {k: o.status for k, o in res.outcomes.items()}
    assert st == {
        "m.A.test_ok": PASSED,
        "m.A.test_bad": FAILED,
        "m.B.test_never_ran": FAILED,
        "m.C.test_class_skipped": SKIPPED,
        "m.D.test_lost": FAILED,
    }
    assert res.outcomes["m.A.test_bad"].detail.startswith(
        "tempest.lib.exceptions.ServerFault: Got server fault Details: Internal"
    )
    assert "setUpClass failed: KeyError" in res.outcomes["m.B.test_never_ran"].detail
    assert res.outcomes["m.C.test_class_skipped"].detail == "Nova is not available"
    assert "setUpClass (m.B)" in res.fixture_failures

    root = ET.fromstring(junit_xml(res, "suite"))
    assert root.get("tests") == "5" and root.get("failures") == "3" and root.get("skipped") == "1"
    assert summary_text(res, "t").splitlines()[-1] == "1 passed, 3 failed, 1 skipped"


# -- tempest.conf ------------------------------------------------------------------------

CREDS = Credentials(
    auth_url="http://127.0.0.1:1/v3", username="admin", password="pw", project_name="admin"
)


def test_render_never_writes_an_empty_value() -> None:
    with pytest.raises(ValueError, match="empty"):
        render({"compute": {"min_microversion": ""}})


def test_build_conf_reflects_facts() -> None:
    facts = Facts(creds=CREDS, available={"nova": False, "glance": True})
    facts.flag("identity-feature-enabled", "trust", True, "probe")
    facts.set("compute", "image_ref", "img-1", "probe")
    conf = build_conf(facts)
    text = render(conf)
    assert conf["service_available"]["nova"] == "false"
    assert conf["service_available"]["glance"] == "true"
    assert conf["identity-feature-enabled"]["trust"] == "true"
    assert conf["compute"]["image_ref_alt"] == "img-1"
    assert conf["heat_plugin"]["endpoint_type"] == "public"
    assert "uri_v3 = http://127.0.0.1:1/v3" in text
    assert "min_microversion" not in conf["compute"]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {
                "version": {
                    "id": "v2.1",
                    "status": "CURRENT",
                    "min_version": "2.1",
                    "version": "2.96",
                }
            },
            ("2.1", "2.96"),
        ),
        (
            {
                "versions": [
                    {"id": "v3.0", "status": "CURRENT", "min_version": "3.0", "version": "3.70"}
                ]
            },
            ("3.0", "3.70"),
        ),
        (
            {
                "versions": [
                    {"id": "v1.0", "min_version": "1.0", "max_version": "1.39", "status": "CURRENT"}
                ]
            },
            ("1.0", "1.39"),
        ),
        ({"version": {"id": "v2.0", "status": "CURRENT", "min_version": "", "version": ""}}, None),
    ],
)
def test_version_range(doc: dict[str, Any], expected: tuple[str, str] | None) -> None:
    assert _version_range(doc) == expected


class _FakeKeystone(BaseHTTPRequestHandler):
    """Just enough of a cloud for discovery: a token with a catalog, a compute version doc."""

    locked: set[str] = set()
    failures: dict[str, int] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/v3/auth/tokens":
            user = body["auth"]["identity"]["password"]["user"]
            if "id" in user:  # the lockout probe's user: lock after 2 failures
                uid = user["id"]
                if user["password"].startswith("wrong-"):
                    _FakeKeystone.failures[uid] = _FakeKeystone.failures.get(uid, 0) + 1
                    return self._send(401, {"error": {"code": 401}})
                if _FakeKeystone.failures.get(uid, 0) >= 2:
                    return self._send(401, {"error": {"code": 401}})
                return self._send(201, {"token": {}}, {"X-Subject-Token": "t2"})
            catalog = [
                {
                    "type": "identity",
                    "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "url": base + "/v3"}
                    ],
                },
                {
                    "type": "compute",
                    "endpoints": [
                        {
                            "interface": "public",
                            "region_id": "RegionOne",
                            "url": base + "/compute/v2.1",
                        }
                    ],
                },
            ]
            tok = {
                "catalog": catalog,
                "user": {"id": "u1"},
                "project": {"id": "p1"},
                "roles": [{"name": "admin"}],
            }
            return self._send(201, {"token": tok}, {"X-Subject-Token": "tok"})
        if self.path == "/v3/users":
            return self._send(201, {"user": {"id": "probe-user"}})
        if self.path == "/compute/v2.1/flavors":
            f = body["flavor"]
            return self._send(200, {"flavor": {**f, "id": "fl-" + f["name"]}})
        return self._send(404)

    def do_GET(self) -> None:
        if self.path == "/compute/v2.1/":
            return self._send(
                200,
                {
                    "version": {
                        "id": "v2.1",
                        "status": "CURRENT",
                        "min_version": "2.1",
                        "version": "2.60",
                    }
                },
            )
        if self.path == "/compute/v2.1/flavors/detail":
            return self._send(200, {"flavors": []})
        if self.path == "/v3/OS-TRUST/trusts":
            return self._send(200, {"trusts": []})
        return self._send(501, {"error": {"code": 501, "message": "not implemented"}})

    def do_DELETE(self) -> None:
        self._send(204)


@pytest.fixture
def fake_cloud() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKeystone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3"
    server.shutdown()
    server.server_close()


def test_discovery_builds_the_conf_from_the_cloud(fake_cloud: str) -> None:
    creds = Credentials(auth_url=fake_cloud, username="admin", password="pw", project_name="admin")
    facts = discover(creds)
    conf = build_conf(facts)
    sa = conf["service_available"]
    assert sa["nova"] == "true" and sa["neutron"] == "false" and sa["glance"] == "false"
    assert (conf["compute"]["min_microversion"], conf["compute"]["max_microversion"]) == (
        "2.1",
        "2.60",
    )
    # no flavors existed: the harness created two through the API
    assert conf["compute"]["flavor_ref"] == "fl-conformance.tiny"
    assert conf["compute"]["flavor_ref_alt"] == "fl-conformance.small"
    ife = conf["identity-feature-enabled"]
    assert ife["trust"] == "true"  # the route answered 200
    assert ife["access_rules"] == "false"  # 501
    assert ife["security_compliance"] == "true"  # the probe user really got locked out
    assert conf["compute-feature-enabled"]["resize"] == "false"
    render(conf)


# -- ratchet and docs --------------------------------------------------------------------


def test_empty_ratchet_passes_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "passing.txt"
    empty.write_text("# nothing yet\n\n")
    assert _runner().main(["ci", "--passing", str(empty)]) == 0
    assert "lists no test yet" in capsys.readouterr().out
    assert _runner().main(["ci", "--passing", str(tmp_path / "missing.txt")]) == 0


def test_docs_render_both_ra1_views() -> None:
    tempest = {
        "date": "2026-01-01 00:00 UTC",
        "stratus_commit": "abc",
        "tools": ["tempest==47.0.0"],
        "totals": {"passed": 1, "failed": 1, "skipped": 1, "total": 3},
        "services": [{"service": "identity", "passed": 1, "failed": 1, "skipped": 1, "total": 3}],
        "lists": [
            {
                "name": "api_identity",
                "description": "d",
                "listed": 3,
                "selected": 3,
                "passed": 1,
                "failed": 1,
                "skipped": 1,
            },
            {
                "name": "tempest_keystone_cntt",
                "description": "d",
                "listed": None,
                "selected": 2,
                "passed": 2,
                "failed": 0,
                "skipped": 0,
                "ra1": {
                    "tests_count": 27,
                    "deny_skipping": True,
                    "verdict": "FAIL",
                    "reasons": ["count 2 ≠ 27"],
                },
            },
        ],
        "facts": ["[identity-feature-enabled] trust = true  (probe)"],
    }
    text = report.render_docs(tempest, None)
    assert "| `tempest_keystone_cntt` | 2 | 0 | 0 | 2 | 27 | FAIL | count 2 ≠ 27 |" in text
    assert "| identity | 1 | 1 | 1 | 3 |" in text
    assert "No Rally run recorded yet" in text


def test_passing_list_ids_are_unique_and_exist_in_the_committed_lists() -> None:
    passing = [base_id(t) for t in read_lines(HERE / "passing.txt")]
    assert len(passing) == len(set(passing))
    lists = load_lists()
    known = {base_id(t) for tl in lists for t in tl.ids}
    # the rest must be picked by an RA1 case regex (those match ids with their [attrs], which
    # passing.txt drops, so match the bare id against the include part only)
    cases = [tl.case for tl in lists if tl.case is not None]
    for t in set(passing) - known:
        assert any(
            re.search("|".join(c.include).replace(r"(?=.*\[.*\bslow\b.*\])", ""), t) for c in cases
        ), t


# -- the ratchet against a deliberately broken Stratus ----------------------------------


class _FaultProxy(BaseHTTPRequestHandler):
    """Forwards everything to Stratus, except one route, which answers 500 when armed."""

    upstream: int = 0
    fault: tuple[str, str] | None = None  # (method, path regex)

    def log_message(self, *args: Any) -> None:
        pass

    def _relay(self) -> None:
        import http.client
        import re

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path.split("?", 1)[0]
        if self.fault and self.command == self.fault[0] and re.fullmatch(self.fault[1], path):
            data = json.dumps(
                {"error": {"code": 500, "title": "Internal Server Error", "message": "injected"}}
            ).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _relay


RATCHET_SAMPLE = [
    # GET /identity/ (the version list): the route the proxy breaks
    "tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.test_list_api_versions",
    # GET /identity/v3: keeps working
    "tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.test_api_version_resources",
]


@pytest.mark.slow
@pytest.mark.conformance
def test_broken_stratus_fails_the_ratchet(tmp_path: Path) -> None:
    """The CI ratchet run twice on a real Stratus + Tempest: healthy → 0; one route 500 → 1.

    Slow (two fresh clouds and two Tempest runs, about a minute; the first run on a machine
    also installs Tempest): run it with ``pytest tests/conformance -m slow``.
    """
    from stratus_conformance.cloud import free_port

    passing = tmp_path / "passing.txt"
    passing.write_text("\n".join(RATCHET_SAMPLE) + "\n")
    stratus_port = free_port()
    _FaultProxy.upstream = stratus_port
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FaultProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Stratus advertises the proxy in its catalog and clouds.yaml, so all traffic crosses it.
    public = f"STRATUS_PUBLIC_URL=http://127.0.0.1:{server.server_address[1]}"
    argv = ["ci", "--passing", str(passing), "--port", str(stratus_port), "--stratus-env", public]
    runner = _runner()
    try:
        _FaultProxy.fault = None
        assert runner.main([*argv, "--out", str(tmp_path / "healthy")]) == 0

        _FaultProxy.fault = ("GET", r"(/identity)?/?")
        assert runner.main([*argv, "--out", str(tmp_path / "broken")]) == 1
    finally:
        server.shutdown()
        server.server_close()
    outcomes = json.loads((tmp_path / "broken" / "results.json").read_text())["outcomes"]
    status = {base_id(o["id"]): (o["status"], o["detail"]) for o in outcomes}
    assert status[RATCHET_SAMPLE[1]][0] == PASSED
    assert status[RATCHET_SAMPLE[0]][0] == FAILED
    assert "500" in status[RATCHET_SAMPLE[0]][1] or "ServerFault" in status[RATCHET_SAMPLE[0]][1]
    junit = ET.parse(tmp_path / "broken" / "junit.xml").getroot()
    assert junit.get("failures") == "1"
