"""JSON schemas of placement request bodies and query strings, per microversion, validated
with jsonschema so failures read as upstream's ("JSON does not validate: ...")."""

import copy
from typing import Any

UUID = "^[0-9a-fA-F-]{36}$"
RC = "^[A-Z0-9_]+$"
CUSTOM = "^CUSTOM_[A-Z0-9_]+$"
CONSUMER_TYPE = RC
CONSUMER_TYPE_GET = RC + "|^all|^unknown$"
GROUP = r"[1-9][0-9]*"
GROUP_1_33 = r"[a-zA-Z0-9_-]{1,64}"
MAX_INT = 2147483647
MAX_FLOAT = 3.40282e38

Schema = dict[str, Any]


def _extend(base: Schema, **props: Any) -> Schema:
    out = copy.deepcopy(base)
    out["properties"].update(props)
    return out


PROVIDER_POST: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "uuid": {"type": "string", "format": "uuid"},
    },
    "required": ["name"],
    "additionalProperties": False,
}
_PARENT = {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}
PROVIDER_POST_1_14 = _extend(PROVIDER_POST, parent_provider_uuid=_PARENT)
PROVIDER_PUT = copy.deepcopy(PROVIDER_POST)
del PROVIDER_PUT["properties"]["uuid"]
PROVIDER_PUT_1_14 = _extend(PROVIDER_PUT, parent_provider_uuid=_PARENT)

PROVIDERS_QUERY: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"}},
    "additionalProperties": False,
}
PROVIDERS_QUERY_1_3 = _extend(PROVIDERS_QUERY, member_of={"type": "string"})
PROVIDERS_QUERY_1_4 = _extend(PROVIDERS_QUERY_1_3, resources={"type": "string"})
PROVIDERS_QUERY_1_14 = _extend(PROVIDERS_QUERY_1_4, in_tree={"type": "string", "format": "uuid"})
PROVIDERS_QUERY_1_18 = _extend(PROVIDERS_QUERY_1_14, required={"type": "string"})

_INT = {"type": "integer", "maximum": MAX_INT}
INVENTORY_BASE: Schema = {
    "type": "object",
    "properties": {
        "resource_provider_generation": {"type": "integer"},
        "total": {**_INT, "minimum": 1},
        "reserved": {**_INT, "minimum": 0},
        "min_unit": {**_INT, "minimum": 1},
        "max_unit": {**_INT, "minimum": 1},
        "step_size": {**_INT, "minimum": 1},
        "allocation_ratio": {"type": "number", "maximum": MAX_FLOAT},
    },
    "required": ["total", "resource_provider_generation"],
    "additionalProperties": False,
}
INVENTORY_POST = _extend(INVENTORY_BASE, resource_class={"type": "string", "pattern": RC})
INVENTORY_POST["required"] = ["total", "resource_class"]
INVENTORY_RECORD = copy.deepcopy(INVENTORY_BASE)
INVENTORY_RECORD["required"] = ["total"]
INVENTORIES_PUT: Schema = {
    "type": "object",
    "properties": {
        "resource_provider_generation": {"type": "integer"},
        "inventories": {"type": "object", "patternProperties": {RC: INVENTORY_RECORD}},
    },
    "required": ["resource_provider_generation", "inventories"],
    "additionalProperties": False,
}

RESOURCE_CLASS: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string", "pattern": CUSTOM, "maxLength": 255}},
    "required": ["name"],
    "additionalProperties": False,
}

_TRAIT = {"type": "string", "minLength": 1, "maxLength": 255}
PROVIDER_TRAITS_PUT: Schema = {
    "type": "object",
    "properties": {
        "traits": {"type": "array", "items": _TRAIT},
        "resource_provider_generation": {"type": "integer"},
    },
    "required": ["traits", "resource_provider_generation"],
    "additionalProperties": False,
}
TRAITS_QUERY: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "associated": {"type": "string"}},
    "additionalProperties": False,
}

_AGG_LIST = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
    "uniqueItems": True,
}
AGGREGATES_PUT_1_1: Schema = copy.deepcopy(_AGG_LIST)
AGGREGATES_PUT_1_19: Schema = {
    "type": "object",
    "properties": {
        "aggregates": copy.deepcopy(_AGG_LIST),
        "resource_provider_generation": {"type": "integer"},
    },
    "required": ["aggregates", "resource_provider_generation"],
    "additionalProperties": False,
}

USAGES_QUERY: Schema = {
    "type": "object",
    "properties": {
        "project_id": {"type": "string", "minLength": 1, "maxLength": 255},
        "user_id": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "required": ["project_id"],
    "additionalProperties": False,
}
USAGES_QUERY_1_38 = _extend(
    USAGES_QUERY,
    consumer_type={
        "type": "string",
        "pattern": CONSUMER_TYPE_GET,
        "minLength": 1,
        "maxLength": 255,
    },
)

_RESOURCES = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {RC: {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}
_ID_255 = {"type": "string", "minLength": 1, "maxLength": 255}
ALLOCATION_PUT: Schema = {
    "type": "object",
    "properties": {
        "allocations": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "resource_provider": {
                        "type": "object",
                        "properties": {"uuid": {"type": "string", "format": "uuid"}},
                        "additionalProperties": False,
                        "required": ["uuid"],
                    },
                    "resources": _RESOURCES,
                },
                "required": ["resource_provider", "resources"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["allocations"],
    "additionalProperties": False,
}
ALLOCATION_PUT_1_8 = _extend(ALLOCATION_PUT, project_id=_ID_255, user_id=_ID_255)
ALLOCATION_PUT_1_8["required"] = ["allocations", "project_id", "user_id"]
ALLOCATION_PUT_1_12: Schema = {
    "type": "object",
    "properties": {
        "allocations": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {
                UUID: {
                    "type": "object",
                    "properties": {"generation": {"type": "integer"}, "resources": _RESOURCES},
                    "required": ["resources"],
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
        },
        "project_id": _ID_255,
        "user_id": _ID_255,
    },
    "additionalProperties": False,
    "required": ["allocations", "project_id", "user_id"],
}
DELETABLE = copy.deepcopy(ALLOCATION_PUT_1_12)
DELETABLE["properties"]["allocations"]["minProperties"] = 0
_CONSUMER_GEN = {"type": ["integer", "null"], "additionalProperties": False}
ALLOCATION_PUT_1_28 = _extend(DELETABLE, consumer_generation=_CONSUMER_GEN)
ALLOCATION_PUT_1_28["required"].append("consumer_generation")
MAPPINGS = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {
        GROUP_1_33: {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "format": "uuid"},
        }
    },
}
ALLOCATION_PUT_1_34 = _extend(ALLOCATION_PUT_1_28, mappings=MAPPINGS)
ALLOCATION_PUT_1_38 = _extend(
    ALLOCATION_PUT_1_34,
    consumer_type={"type": "string", "pattern": CONSUMER_TYPE, "minLength": 1, "maxLength": 255},
)
ALLOCATION_PUT_1_38["required"].append("consumer_type")


def _post(per_consumer: Schema, min_props: int = 1) -> Schema:
    return {
        "type": "object",
        "minProperties": min_props,
        "additionalProperties": False,
        "patternProperties": {UUID: per_consumer},
    }


ALLOCATIONS_POST_1_13 = _post(DELETABLE)
ALLOCATIONS_POST_1_28 = _post(ALLOCATION_PUT_1_28)
ALLOCATIONS_POST_1_34 = _post(ALLOCATION_PUT_1_34)
ALLOCATIONS_POST_1_38 = _post(ALLOCATION_PUT_1_38)


def _reshaper(allocations: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {
            "inventories": {
                "type": "object",
                "patternProperties": {UUID: INVENTORIES_PUT},
                "minProperties": 1,
                "additionalProperties": False,
            },
            "allocations": allocations,
        },
        "required": ["inventories", "allocations"],
        "additionalProperties": False,
    }


RESHAPER = _reshaper(_post(ALLOCATION_PUT_1_28, 0))
RESHAPER_1_34 = _reshaper(_post(ALLOCATION_PUT_1_34, 0))
RESHAPER_1_38 = _reshaper(_post(ALLOCATION_PUT_1_38, 0))

CANDIDATES_1_10: Schema = {
    "type": "object",
    "properties": {"resources": {"type": "string"}},
    "required": ["resources"],
    "additionalProperties": False,
}
CANDIDATES_1_16 = _extend(
    CANDIDATES_1_10,
    limit={"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$", "minimum": 1, "minLength": 1},
)
CANDIDATES_1_17 = _extend(CANDIDATES_1_16, required={"type": ["string"]})
CANDIDATES_1_21 = _extend(CANDIDATES_1_17, member_of={"type": ["string"]})


def _granular(group: str, keys: tuple[str, ...]) -> Schema:
    out = copy.deepcopy(CANDIDATES_1_21)
    for key in ("resources", "required", "member_of"):
        del out["properties"][key]
    del out["required"]
    out["properties"]["group_policy"] = {"type": "string", "enum": ["none", "isolate"]}
    out["patternProperties"] = {f"^{k}({group})?$": {"type": "string"} for k in keys}
    return out


CANDIDATES_1_25 = _granular(GROUP, ("resources", "required", "member_of"))
CANDIDATES_1_31 = _granular(GROUP, ("resources", "required", "member_of", "in_tree"))
CANDIDATES_1_33 = _granular(GROUP_1_33, ("resources", "required", "member_of", "in_tree"))
CANDIDATES_1_35 = _extend(CANDIDATES_1_33, root_required={"type": ["string"]})
CANDIDATES_1_36 = _extend(CANDIDATES_1_35, same_subtree={"type": ["string"]})
