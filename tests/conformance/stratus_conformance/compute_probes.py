"""Compute feature flags that only a real server can show: boot one (no network) and look at
what the API really does with it. Runs after the image probe (it needs image_ref)."""

import time
from typing import TYPE_CHECKING

from .openstack_http import Session

if TYPE_CHECKING:
    from .discovery import Facts

_V = {"OpenStack-API-Version": "compute 2.37"}


def probe_compute_servers(s: Session, facts: "Facts") -> None:
    url = facts.endpoints["compute"]
    # Tempest reads these from inside a guest over SSH: the fake driver boots no guest, so
    # they stay off even though /metadata and config drive images are served.
    for opt in GUEST_SIDE:
        facts.flag(
            "compute-feature-enabled", opt, False, "Tempest checks it from inside a real guest"
        )
    compute = facts.options.get("compute", {})
    image, flavor = compute.get("image_ref"), compute.get("flavor_ref")
    section = "compute-feature-enabled"
    if not image or not flavor:
        for opt in ("enable_instance_password", "console_output", "personality"):
            facts.flag(section, opt, False, "no image or flavor to boot a probe server")
        return
    body = {"server": {"name": "conformance-probe", "imageRef": image, "flavorRef": flavor,
                       "networks": "none"}}  # fmt: skip
    _probe_personality(s, url, image, flavor, facts)
    made = s.call("POST", url + "/servers", body=body, headers=_V)
    if not made.ok:
        for opt in ("enable_instance_password", "console_output"):
            facts.flag(section, opt, False, f"probe server not created: HTTP {made.status}")
        return
    server = made.body["server"]
    try:
        facts.flag(
            section,
            "enable_instance_password",
            "adminPass" in server,
            "POST /servers answers adminPass"
            if "adminPass" in server
            else "POST /servers answers no adminPass",
        )
        status = ""
        for _ in range(300):
            shown = s.call("GET", f"{url}/servers/{server['id']}", headers=_V)
            status = (shown.body or {}).get("server", {}).get("status", "") if shown.ok else ""
            if status in ("ACTIVE", "ERROR"):
                break
            time.sleep(0.2)
        if status != "ACTIVE":
            facts.flag(section, "console_output", False, f"probe server ended {status or '?'}")
            return
        out = s.call(
            "POST",
            f"{url}/servers/{server['id']}/action",
            body={"os-getConsoleOutput": {"length": 5}},
            headers=_V,
        )
        text = (out.body or {}).get("output") if out.ok and isinstance(out.body, dict) else None
        facts.flag(
            section,
            "console_output",
            bool(text),
            f"os-getConsoleOutput → HTTP {out.status}, {len(text or '')} characters",
        )
    finally:
        s.call("DELETE", f"{url}/servers/{server['id']}", headers=_V)


def _probe_personality(s: Session, url: str, image: str, flavor: str, facts: "Facts") -> None:
    """File injection (up to 2.56) works when a server with one file is accepted."""
    body = {"server": {"name": "conformance-probe-files", "imageRef": image, "flavorRef": flavor,
                       "networks": "none",
                       "personality": [{"path": "/etc/probe", "contents": "cHJvYmU="}]}}  # fmt: skip
    made = s.call(
        "POST", url + "/servers", body=body, headers={"OpenStack-API-Version": "compute 2.56"}
    )
    if made.ok:
        s.call("DELETE", f"{url}/servers/{made.body['server']['id']}", headers=_V)
    facts.flag(
        "compute-feature-enabled",
        "personality",
        made.ok,
        f"POST /servers with a personality file at 2.56 → HTTP {made.status}",
    )


GUEST_SIDE = ("metadata_service", "config_drive")
PROBED = ("enable_instance_password", "console_output", "personality", *GUEST_SIDE)
