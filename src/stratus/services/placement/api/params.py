"""Query-string mini-languages: resources=RC:N,..., required=T,!T / in:A,B, member_of=
agg / in:a,b / !agg / !in:a,b, in_tree=uuid."""

import uuid as uuidlib
from typing import TYPE_CHECKING

from stratus.services.placement.errors import PlacementBadRequest

if TYPE_CHECKING:
    from stratus.services.placement.api.http import Req

_FORM = "?resources=VCPU:2,MEMORY_MB:1024"


def parse_resources(value: str) -> dict[str, int]:
    if value.strip() == "":
        raise PlacementBadRequest(
            "Badly formed resources parameter. Expected resources query string parameter in "
            f"form: {_FORM}. Got: empty string."
        )
    out: dict[str, int] = {}
    for item in value.split(","):
        try:
            name, amount_text = item.split(":")
        except ValueError:
            raise PlacementBadRequest(
                "Badly formed resources parameter. Expected resources query string parameter "
                f"in form: {_FORM}. Got: {item}."
            ) from None
        try:
            amount = int(amount_text)
        except ValueError:
            raise PlacementBadRequest(
                f"Requested resource {name} expected positive integer amount. Got: {amount_text}."
            ) from None
        if amount < 1:
            raise PlacementBadRequest(
                f"Requested resource {name} requires amount >= 1. Got: {amount}."
            )
        out[name] = amount
    return out


def parse_required(
    req: "Req", values: list[str], *, key: str = "required"
) -> tuple[list[set[str]], set[str]]:
    """Required trait expressions: a list of any-of sets (ANDed) and the forbidden set."""
    allow_forbidden = req.at("1.22")
    allow_any = req.at("1.39")
    if not allow_any:
        values = values[-1:]
    required: list[set[str]] = []
    forbidden: set[str] = set()
    for value in values:
        if value.startswith("in:"):
            if not allow_any:
                raise PlacementBadRequest(
                    "Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,"
                    f"CUSTOM_MAGIC' only supported since microversion 1.39. Got: {value}"
                )
            names = {n.strip() for n in value[3:].split(",")}
            if not all(names):
                raise PlacementBadRequest(
                    f"Invalid query string parameters: Expected '{key}' parameter value of "
                    "the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: "
                    f"{value}"
                )
            if any(n.startswith("!") for n in names):
                raise PlacementBadRequest(
                    "Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,"
                    f"CUSTOM_MAGIC' does not support forbidden traits. Got: {value}"
                )
            required.append(names)
            continue
        items = [n.strip() for n in value.split(",")]
        bad = {n[1:] for n in items if n.startswith("!")}
        if not all(items) or not all(bad):
            form = (
                "HW_CPU_X86_VMX,!CUSTOM_MAGIC"
                if allow_forbidden
                else ("HW_CPU_X86_VMX,CUSTOM_MAGIC")
            )
            raise PlacementBadRequest(
                f"Invalid query string parameters: Expected '{key}' parameter value of the "
                f"form: {form}. Got an empty trait in: {value}"
            )
        if bad and not allow_forbidden:
            raise PlacementBadRequest(
                f"Invalid query string parameters: Expected '{key}' parameter value of the "
                f"form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {value}"
            )
        required.extend({n} for n in items if not n.startswith("!"))
        forbidden |= bad
    return required, forbidden


def parse_member_of(value: str) -> tuple[set[str], set[str]]:
    """(any-of required aggregates, forbidden aggregates) of one member_of value."""
    if "," in value and not (value.startswith("in:") or value.startswith("!in:")):
        raise PlacementBadRequest(
            "Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' "
            f"keyword using the valid microversion. Got: {value}"
        )
    required: set[str] = set()
    forbidden: set[str] = set()
    if value.startswith("!in:"):
        forbidden = set(value[4:].split(","))
    elif value.startswith("!"):
        forbidden = {value[1:]}
    elif value.startswith("in:"):
        required = set(value[3:].split(","))
    else:
        required = {value}
    for agg in required | forbidden:
        if not is_uuid(agg):
            raise PlacementBadRequest(
                "Invalid query string parameters: Expected 'member_of' parameter to contain "
                f"valid UUID(s). Got: {agg}"
            )
    return {str(uuidlib.UUID(a)) for a in required}, {str(uuidlib.UUID(a)) for a in forbidden}


def parse_in_tree(value: str, key: str = "in_tree") -> str:
    if not is_uuid(value):
        raise PlacementBadRequest(
            f"Invalid query string parameters: Expected '{key}' parameter to be a format of "
            f"uuid. Got: {value}"
        )
    return str(uuidlib.UUID(value))


def is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True
