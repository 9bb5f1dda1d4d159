"""Compute feature flags for server actions and moves, each from a round trip on a real
(fake-driver) server: pause, suspend, rescue (and stable device rescue), shelve, snapshot,
change_password, resize, cold and live migration, interface attach. A flag is on only when the action answered as upstream
and the server reached the state it should. Runs after the image probe (it needs image_ref)."""

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .openstack_http import Session

if TYPE_CHECKING:
    from .discovery import Facts

_SECTION = "compute-feature-enabled"
PROBED = (
    "pause",
    "suspend",
    "rescue",
    "stable_rescue",
    "shelve",
    "snapshot",
    "change_password",
    "resize",
    "cold_migration",
    "live_migration",
    "interface_attach",
    "block_migration_for_live_migration",
    "disk_config",
)


def _v(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {version}"}


class _Server:
    def __init__(self, s: Session, url: str, sid: str) -> None:
        self.s, self.url, self.sid = s, url, sid

    def show(self) -> dict[str, Any]:
        got = self.s.call("GET", f"{self.url}/servers/{self.sid}", headers=_v("2.88"))
        body: dict[str, Any] = (got.body or {}).get("server", {}) if got.ok else {}
        return body

    def wait(self, *statuses: str) -> dict[str, Any]:
        server: dict[str, Any] = {}
        for _ in range(300):
            server = self.show()
            if server.get("status") in (*statuses, "ERROR") and not server.get(
                "OS-EXT-STS:task_state"
            ):
                return server
            time.sleep(0.1)
        return server

    def act(self, body: Any, version: str = "2.88") -> int:
        got = self.s.call(
            "POST", f"{self.url}/servers/{self.sid}/action", body=body, headers=_v(version)
        )
        return int(got.status)


def probe_compute_actions(s: Session, facts: "Facts") -> None:
    url = facts.endpoints["compute"]
    compute = facts.options.get("compute", {})
    image, flavor = compute.get("image_ref"), compute.get("flavor_ref")
    alt = compute.get("flavor_ref_alt")
    hvs = s.call("GET", url + "/os-hypervisors", headers=_v("2.53"))
    nodes = (hvs.body or {}).get("hypervisors", []) if hvs.ok else []
    usable = [h for h in nodes if h.get("state") == "up" and h.get("status") == "enabled"]
    if usable:
        facts.set("compute", "min_compute_nodes", str(len(usable)), "os-hypervisors up+enabled")
    if not image or not flavor:
        for opt in PROBED:
            facts.flag(_SECTION, opt, False, "no image or flavor to boot a probe server")
        return
    body = {"server": {"name": "conformance-actions", "imageRef": image, "flavorRef": flavor,
                       "networks": "none"}}  # fmt: skip
    made = s.call("POST", url + "/servers", body=body, headers=_v("2.37"))
    if not made.ok:
        for opt in PROBED:
            facts.flag(_SECTION, opt, False, f"probe server not created: HTTP {made.status}")
        return
    server = _Server(s, url, made.body["server"]["id"])
    try:
        if server.wait("ACTIVE").get("status") != "ACTIVE":
            for opt in PROBED:
                facts.flag(_SECTION, opt, False, "probe server never became ACTIVE")
            return
        _round_trips(server, facts, alt, len(usable))
        _interface(s, url, server, facts)
    finally:
        s.call("DELETE", f"{url}/servers/{server.sid}", headers=_v("2.37"))


def _check(
    facts: "Facts", opt: str, steps: list[tuple[Callable[[], Any], Callable[[Any], bool], str]]
) -> None:
    """Run (action, ok?, what) steps in order; the flag is on when every step is ok."""
    for action, ok, what in steps:
        got = action()
        if not ok(got):
            facts.flag(_SECTION, opt, False, f"{what} → {got!r}"[:200])
            return
    facts.flag(_SECTION, opt, True, " → ".join(w for _, _, w in steps))


def _status(server: _Server, *want: str) -> Callable[[], Any]:
    return lambda: server.wait(*want).get("status")


def _round_trips(server: _Server, facts: "Facts", alt: str | None, nodes: int) -> None:
    act = server.act
    _check(facts, "pause", [
        (lambda: act({"pause": None}), lambda c: c == 202, "pause 202"),
        (_status(server, "PAUSED"), lambda st: st == "PAUSED", "PAUSED"),
        (lambda: act({"unpause": None}), lambda c: c == 202, "unpause 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    _check(facts, "suspend", [
        (lambda: act({"suspend": None}), lambda c: c == 202, "suspend 202"),
        (_status(server, "SUSPENDED"), lambda st: st == "SUSPENDED", "SUSPENDED"),
        (lambda: act({"resume": None}), lambda c: c == 202, "resume 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    _check(facts, "rescue", [
        (lambda: act({"rescue": None}), lambda c: c == 200, "rescue 200"),
        (_status(server, "RESCUE"), lambda st: st == "RESCUE", "RESCUE"),
        (lambda: act({"unrescue": None}), lambda c: c == 202, "unrescue 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    _check(facts, "stable_rescue", [
        (lambda: _stable_rescue(server), lambda ok: ok is True,
         "snapshot with hw_rescue_device/hw_rescue_bus → rescue 200 (2.87) → RESCUE → ACTIVE"),
    ])  # fmt: skip
    _check(facts, "change_password", [
        (lambda: act({"changePassword": {"adminPass": "Probe-0"}}), lambda c: c == 202,
         "changePassword 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    _check(facts, "snapshot", [
        (lambda: _snapshot(server), lambda ok: ok is True, "createImage → image active"),
    ])  # fmt: skip
    _check(facts, "shelve", [
        (lambda: act({"shelve": None}), lambda c: c == 202, "shelve 202"),
        (_status(server, "SHELVED_OFFLOADED"), lambda st: st == "SHELVED_OFFLOADED",
         "SHELVED_OFFLOADED"),
        (lambda: act({"unshelve": None}), lambda c: c == 202, "unshelve 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    if alt and alt != facts.options.get("compute", {}).get("flavor_ref"):
        _check(facts, "resize", [
            (lambda: act({"resize": {"flavorRef": alt}}), lambda c: c == 202, "resize 202"),
            (_status(server, "VERIFY_RESIZE"), lambda st: st == "VERIFY_RESIZE", "VERIFY_RESIZE"),
            (lambda: act({"revertResize": None}), lambda c: c == 202, "revertResize 202"),
            (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
        ])  # fmt: skip
    else:
        facts.flag(_SECTION, "resize", False, "no second flavor to resize to")
    image = facts.options.get("compute", {}).get("image_ref")
    rebuild = {"rebuild": {"imageRef": image, "OS-DCF:diskConfig": "AUTO"}}
    resize = {"resize": {"flavorRef": alt, "OS-DCF:diskConfig": "MANUAL"}}
    _check(facts, "disk_config", [
        (lambda: act(rebuild), lambda c: c == 202, "rebuild with AUTO 202"),
        (lambda: server.wait("ACTIVE").get("OS-DCF:diskConfig"), lambda d: d == "AUTO",
         "ACTIVE with AUTO"),
        (lambda: act(resize), lambda c: c == 202, "resize with MANUAL 202"),
        (lambda: server.wait("VERIFY_RESIZE").get("OS-DCF:diskConfig"), lambda d: d == "MANUAL",
         "VERIFY_RESIZE with MANUAL"),
        (lambda: act({"revertResize": None}), lambda c: c == 202, "revertResize 202"),
        (_status(server, "ACTIVE"), lambda st: st == "ACTIVE", "ACTIVE"),
    ])  # fmt: skip
    if nodes < 2:
        for opt in ("cold_migration", "live_migration", "block_migration_for_live_migration"):
            facts.flag(_SECTION, opt, False, f"{nodes} usable compute node(s): nowhere to move")
        return
    start = server.show().get("OS-EXT-SRV-ATTR:host")
    _check(facts, "cold_migration", [
        (lambda: act({"migrate": None}), lambda c: c == 202, "migrate 202"),
        (_status(server, "VERIFY_RESIZE"), lambda st: st == "VERIFY_RESIZE", "VERIFY_RESIZE"),
        (lambda: act({"confirmResize": None}), lambda c: c == 204, "confirmResize 204"),
        (lambda: server.wait("ACTIVE").get("OS-EXT-SRV-ATTR:host"), lambda h: h != start,
         "ACTIVE on another host"),
    ])  # fmt: skip
    start = server.show().get("OS-EXT-SRV-ATTR:host")
    live = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
    _check(facts, "live_migration", [
        (lambda: act(live, "2.25"), lambda c: c == 202, "os-migrateLive 202"),
        (lambda: server.wait("ACTIVE").get("OS-EXT-SRV-ATTR:host"), lambda h: h != start,
         "ACTIVE on another host"),
    ])  # fmt: skip
    start = server.show().get("OS-EXT-SRV-ATTR:host")
    block = {"os-migrateLive": {"host": None, "block_migration": True}}
    _check(facts, "block_migration_for_live_migration", [
        (lambda: act(block, "2.25"), lambda c: c == 202, "os-migrateLive block_migration 202"),
        (lambda: server.wait("ACTIVE").get("OS-EXT-SRV-ATTR:host"), lambda h: h != start,
         "ACTIVE on another host"),
    ])  # fmt: skip


def _snapshot(server: _Server) -> bool:
    got = server.s.call(
        "POST",
        f"{server.url}/servers/{server.sid}/action",
        body={"createImage": {"name": "conformance-probe-snap"}},
        headers=_v("2.45"),
    )
    if got.status != 202:
        return False
    image_id = (got.body or {}).get("image_id")
    if not image_id:
        return False
    server.wait("ACTIVE")
    image_url = server.url.split("/compute")[0] + "/image/v2/images/" + image_id
    shown = server.s.call("GET", image_url)
    ok = shown.ok and (shown.body or {}).get("status") == "active"
    server.s.call("DELETE", image_url)
    return bool(ok)


def _stable_rescue(server: _Server) -> bool | str:
    """Stable device rescue as Tempest drives it: a snapshot of the server that names its
    rescue device and bus, the rescue with it at 2.87, then back to ACTIVE."""
    got = server.s.call(
        "POST",
        f"{server.url}/servers/{server.sid}/action",
        body={"createImage": {"name": "conformance-probe-rescue"}},
        headers=_v("2.45"),
    )
    image_id = (got.body or {}).get("image_id") if got.status == 202 else None
    if not image_id:
        return f"createImage HTTP {got.status}"
    image_url = server.url.split("/compute")[0] + "/image/v2/images/" + image_id
    try:
        server.wait("ACTIVE")
        patch = [
            {"op": "add", "path": "/hw_rescue_device", "value": "disk"},
            {"op": "add", "path": "/hw_rescue_bus", "value": "virtio"},
        ]
        updated = server.s.call(
            "PATCH",
            image_url,
            raw=json.dumps(patch).encode(),
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"},
        )
        if not updated.ok:
            return f"image update HTTP {updated.status}"
        rescued = server.act({"rescue": {"rescue_image_ref": image_id}}, "2.87")
        if rescued != 200:
            return f"rescue HTTP {rescued}"
        if server.wait("RESCUE").get("status") != "RESCUE":
            return "never RESCUE"
        if server.act({"unrescue": None}) != 202:
            return "unrescue refused"
        return server.wait("ACTIVE").get("status") == "ACTIVE" or "never ACTIVE again"
    finally:
        server.s.call("DELETE", image_url)


def _interface(s: Session, url: str, server: _Server, facts: "Facts") -> None:
    net_url = facts.endpoints.get("network")
    if not net_url:
        facts.flag(_SECTION, "interface_attach", False, "no network service")
        return
    base = net_url if net_url.endswith("/v2.0") else net_url + "/v2.0"
    net = s.call("POST", base + "/networks", body={"network": {"name": "conformance-iface"}})
    if not net.ok:
        facts.flag(_SECTION, "interface_attach", False, f"probe network: HTTP {net.status}")
        return
    net_id = net.body["network"]["id"]
    try:
        s.call("POST", base + "/subnets", body={"subnet": {
            "network_id": net_id, "cidr": "10.254.254.0/28", "ip_version": 4}})  # fmt: skip
        got = s.call(
            "POST",
            f"{url}/servers/{server.sid}/os-interface",
            body={"interfaceAttachment": {"net_id": net_id}},
            headers=_v("2.37"),
        )
        port = (got.body or {}).get("interfaceAttachment", {}).get("port_id") if got.ok else None
        gone = 0
        if port:
            gone = s.call(
                "DELETE", f"{url}/servers/{server.sid}/os-interface/{port}", headers=_v("2.37")
            ).status
        facts.flag(
            _SECTION,
            "interface_attach",
            bool(port) and gone == 202,
            f"os-interface attach → HTTP {got.status}, detach → HTTP {gone}",
        )
    finally:
        for _ in range(50):
            if s.call("DELETE", f"{base}/networks/{net_id}").status in (204, 404):
                break
            time.sleep(0.1)
