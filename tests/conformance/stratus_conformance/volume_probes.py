"""Block storage flags that need servers: a multiattach volume attached to two servers
through nova (2.60) and detached again. Runs after the image probe (it needs image_ref)."""

import time
from typing import TYPE_CHECKING, Any

from .openstack_http import Session

if TYPE_CHECKING:
    from .discovery import Facts

_NOVA = {"OpenStack-API-Version": "compute 2.60"}


def _wait(s: Session, url: str, key: str, want: str) -> str:
    status = ""
    for _ in range(300):
        got = s.call("GET", url, headers=_NOVA)
        if got.status == 404:
            return "DELETED"
        status = (got.body or {}).get(key, {}).get("status", "") if got.ok else ""
        if status == want or status.lower().startswith("error"):
            break
        time.sleep(0.1)
    return status


def probe_volume_multiattach(s: Session, facts: "Facts") -> None:
    section, option = "compute-feature-enabled", "volume_multiattach"
    compute, volume = facts.endpoints.get("compute"), facts.endpoints.get("block-storage")
    image = facts.options.get("compute", {}).get("image_ref")
    flavor = facts.options.get("compute", {}).get("flavor_ref")
    if not (compute and volume and image and flavor):
        facts.flag(section, option, False, "no compute, block storage, image or flavor")
        return
    made: dict[str, Any] = {"servers": [], "volume": None, "type": None}
    ok = False
    try:
        t = s.call(
            "POST",
            volume + "/types",
            body={
                "volume_type": {
                    "name": "conformance-multiattach",
                    "extra_specs": {"multiattach": "<is> True"},
                }
            },
        )
        made["type"] = (t.body or {}).get("volume_type", {}).get("id")
        v = s.call(
            "POST",
            volume + "/volumes",
            body={"volume": {"size": 1, "volume_type": "conformance-multiattach"}},
        )
        made["volume"] = (v.body or {}).get("volume", {}).get("id")
        if (
            not made["volume"]
            or _wait(s, f"{volume}/volumes/{made['volume']}", "volume", "available") != "available"
        ):
            facts.flag(section, option, False, "could not create a multiattach volume")
            return
        for n in range(2):
            body = {
                "server": {
                    "name": f"conformance-multiattach-{n}",
                    "imageRef": image,
                    "flavorRef": flavor,
                    "networks": "none",
                }
            }
            r = s.call("POST", compute + "/servers", body=body, headers=_NOVA)
            if r.ok:
                made["servers"].append(r.body["server"]["id"])
        if len(made["servers"]) != 2 or any(
            _wait(s, f"{compute}/servers/{sid}", "server", "ACTIVE") != "ACTIVE"
            for sid in made["servers"]
        ):
            facts.flag(section, option, False, "probe servers did not become ACTIVE")
            return
        for sid in made["servers"]:
            s.call(
                "POST",
                f"{compute}/servers/{sid}/os-volume_attachments",
                headers=_NOVA,
                body={"volumeAttachment": {"volumeId": made["volume"]}},
            )
        shown = s.call("GET", f"{volume}/volumes/{made['volume']}")
        attached = {
            a.get("server_id") for a in (shown.body or {}).get("volume", {}).get("attachments", [])
        }
        ok = attached == set(made["servers"])
        for sid in made["servers"]:
            s.call(
                "DELETE",
                f"{compute}/servers/{sid}/os-volume_attachments/{made['volume']}",
                headers=_NOVA,
            )
        ok = (
            ok
            and _wait(s, f"{volume}/volumes/{made['volume']}", "volume", "available") == "available"
        )
        facts.flag(
            section,
            option,
            ok,
            "a multiattach volume on two servers and back"
            if ok
            else f"multiattach round trip failed (attached to {len(attached)})",
        )
    finally:
        for sid in made["servers"]:
            s.call("DELETE", f"{compute}/servers/{sid}", headers=_NOVA)
        for sid in made["servers"]:
            _wait(s, f"{compute}/servers/{sid}", "server", "DELETED")
        if made["volume"]:
            _wait(s, f"{volume}/volumes/{made['volume']}", "volume", "available")
            s.call("DELETE", f"{volume}/volumes/{made['volume']}")
            for _ in range(100):
                if s.call("GET", f"{volume}/volumes/{made['volume']}").status == 404:
                    break
                time.sleep(0.1)
        if made["type"] and ok:
            # Tempest creates its multiattach volumes with this type (devstack makes one too)
            facts.set("volume", "volume_type_multiattach", "conformance-multiattach", "probe type")
        elif made["type"]:
            s.call("DELETE", f"{volume}/types/{made['type']}")


def probe_volume_extend_attached(s: Session, facts: "Facts") -> None:
    """extend_attached_volume is on when an attached volume grows (3.42) and compute shows
    what Tempest waits for: an ``extend_volume`` instance action whose
    ``compute_extend_volume`` event finished with Success (nova does that on the
    volume-extended event block storage sends it)."""
    section, option = "volume-feature-enabled", "extend_attached_volume"
    compute, volume = facts.endpoints.get("compute"), facts.endpoints.get("block-storage")
    image = facts.options.get("compute", {}).get("image_ref")
    flavor = facts.options.get("compute", {}).get("flavor_ref")
    if not (compute and volume and image and flavor):
        facts.flag(section, option, False, "no compute, block storage, image or flavor")
        return
    server = vol = None
    why = ""
    ok = False
    try:
        v = s.call("POST", volume + "/volumes", body={"volume": {"size": 1}})
        vol = (v.body or {}).get("volume", {}).get("id")
        body = {
            "server": {
                "name": "conformance-extend-attached",
                "imageRef": image,
                "flavorRef": flavor,
                "networks": "none",
            }
        }
        r = s.call("POST", compute + "/servers", body=body, headers=_NOVA)
        server = (r.body or {}).get("server", {}).get("id") if r.ok else None
        if not vol or not server:
            why = "could not create a volume and a server"
            return
        vol_url = f"{volume}/volumes/{vol}"
        if (
            _wait(s, vol_url, "volume", "available") != "available"
            or _wait(s, f"{compute}/servers/{server}", "server", "ACTIVE") != "ACTIVE"
        ):
            why = "probe volume / server not ready"
            return
        s.call(
            "POST",
            f"{compute}/servers/{server}/os-volume_attachments",
            headers=_NOVA,
            body={"volumeAttachment": {"volumeId": vol}},
        )
        if _wait(s, vol_url, "volume", "in-use") != "in-use":
            why = "the volume did not attach"
            return
        grow = s.call(
            "POST",
            vol_url + "/action",
            body={"os-extend": {"new_size": 2}},
            headers={"OpenStack-API-Version": "volume 3.42"},
        )
        if not grow.ok or _wait(s, vol_url, "volume", "in-use") != "in-use":
            why = f"extend while attached → HTTP {grow.status}"
            return
        size = (s.call("GET", vol_url).body or {}).get("volume", {}).get("size")
        if size != 2:
            why = f"extend while attached left size {size}"
            return
        result = None
        for _ in range(100):
            actions = s.call("GET", f"{compute}/servers/{server}/os-instance-actions")
            found = [
                a
                for a in (actions.body or {}).get("instanceActions", [])
                if a.get("action") == "extend_volume"
            ]
            if found:
                shown = s.call(
                    "GET",
                    f"{compute}/servers/{server}/os-instance-actions/{found[0]['request_id']}",
                )
                for event in (shown.body or {}).get("instanceAction", {}).get("events", []):
                    if event.get("event") == "compute_extend_volume" and event.get("finish_time"):
                        result = event.get("result")
                if result:
                    break
            time.sleep(0.1)
        ok = (result or "").lower() == "success"
        why = (
            "attached volume grew; compute_extend_volume finished with Success"
            if ok
            else "attached volume grew, but compute shows no finished extend_volume action"
            + (f" (result {result})" if result else "")
        )
    finally:
        facts.flag(section, option, ok, why)
        if server:
            s.call("DELETE", f"{compute}/servers/{server}", headers=_NOVA)
            _wait(s, f"{compute}/servers/{server}", "server", "DELETED")
        if vol:
            _wait(s, f"{volume}/volumes/{vol}", "volume", "available")
            s.call("DELETE", f"{volume}/volumes/{vol}")
