"""The JSON schemas Glance publishes at ``/v2/schemas/*``; clients read them to know which
attributes are core, read-only or enumerated."""

from typing import Any

from stratus.services.image.service import (
    CONTAINER_FORMATS,
    DISK_FORMATS,
    MEMBER_STATUSES,
    STATUSES,
    VISIBILITIES,
)


def _ro(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description, **extra}


def image() -> dict[str, Any]:
    return {
        "name": "image",
        "additionalProperties": {"type": "string"},
        "properties": {
            "id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": (
                    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                    "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
                ),
            },
            "name": {
                "type": ["null", "string"],
                "description": "Descriptive name for the image",
                "maxLength": 255,
            },
            "status": _ro("string", "Status of the image", enum=list(STATUSES)),
            "visibility": {
                "type": "string",
                "description": "Scope of image accessibility",
                "enum": list(VISIBILITIES),
            },
            "protected": {
                "type": "boolean",
                "description": "If true, image will not be deletable.",
            },
            "os_hidden": {
                "type": "boolean",
                "description": "If true, image will not appear in default image list response.",
            },
            "checksum": _ro(["null", "string"], "md5 hash of image contents.", maxLength=32),
            "os_hash_algo": _ro(
                ["null", "string"],
                "Algorithm to calculate the os_hash_value",
                maxLength=64,
            ),
            "os_hash_value": _ro(
                ["null", "string"],
                "Hexdigest of the image contents using the algorithm specified by the os_hash_algo",
                maxLength=128,
            ),
            "owner": {
                "type": ["null", "string"],
                "description": "Owner of the image",
                "maxLength": 255,
            },
            "size": _ro(["null", "integer"], "Size of image file in bytes"),
            "virtual_size": _ro(["null", "integer"], "Virtual size of image in bytes"),
            "container_format": {
                "type": ["null", "string"],
                "description": "Format of the container",
                "enum": [None, *CONTAINER_FORMATS],
            },
            "disk_format": {
                "type": ["null", "string"],
                "description": "Format of the disk",
                "enum": [None, *DISK_FORMATS],
            },
            "created_at": _ro("string", "Date and time of image registration"),
            "updated_at": _ro("string", "Date and time of the last image modification"),
            "tags": {
                "type": "array",
                "description": "List of strings related to the image",
                "items": {"type": "string", "maxLength": 255},
            },
            "direct_url": _ro("string", "URL to access the image file kept in external store"),
            "min_ram": {
                "type": "integer",
                "description": "Amount of ram (in MB) required to boot image.",
            },
            "min_disk": {
                "type": "integer",
                "description": "Amount of disk space (in GB) required to boot image.",
            },
            "self": _ro("string", "An image self url"),
            "file": _ro("string", "An image file url"),
            "stores": _ro("string", "Store in which image data resides."),
            "schema": _ro("string", "An image schema url"),
            "locations": {
                "type": "array",
                "description": "A set of URLs to access the image file kept in external store",
                "items": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string", "maxLength": 255},
                        "metadata": {"type": "object"},
                        "validation_data": {"type": "object"},
                    },
                    "required": ["url", "metadata"],
                },
            },
        },
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def images() -> dict[str, Any]:
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def member() -> dict[str, Any]:
    return {
        "name": "member",
        "properties": {
            "created_at": {
                "type": "string",
                "description": "Date and time of image member creation",
            },
            "image_id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": (
                    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                    "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
                ),
            },
            "member_id": {"type": "string", "description": "An identifier for the image member"},
            "status": {
                "type": "string",
                "description": "The status of this image member",
                "enum": list(MEMBER_STATUSES),
            },
            "updated_at": {
                "type": "string",
                "description": "Date and time of last modification of image member",
            },
            "schema": {"readOnly": True, "type": "string"},
        },
    }


def members() -> dict[str, Any]:
    return {
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }


def task() -> dict[str, Any]:
    return {
        "name": "task",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "enum": ["import", "api_image_import"]},
            "status": {
                "type": "string",
                "enum": ["pending", "processing", "success", "failure"],
            },
            "input": {"type": ["null", "object"]},
            "result": {"type": ["null", "object"]},
            "owner": {"type": "string"},
            "message": {"type": "string"},
            "expires_at": {"type": ["null", "string"]},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "self": {"type": "string"},
            "schema": {"type": "string"},
        },
    }


def tasks() -> dict[str, Any]:
    return {
        "name": "tasks",
        "properties": {
            "tasks": {"type": "array", "items": task()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
    }


SCHEMAS = {
    "image": image,
    "images": images,
    "member": member,
    "members": members,
    "task": task,
    "tasks": tasks,
}


def _metadef(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _plural(name: str, key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            key: {"type": "array", "items": item},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


_STAMPS = {
    "created_at": {"type": "string", "readOnly": True, "format": "date-time"},
    "updated_at": {"type": "string", "readOnly": True, "format": "date-time"},
}


def metadef_resource_type() -> dict[str, Any]:
    return _metadef(
        "resource_type_association",
        {
            "name": {"type": "string", "maxLength": 80},
            "prefix": {"type": "string", "maxLength": 80},
            "properties_target": {"type": "string", "maxLength": 80},
            **_STAMPS,
        },
        ["name"],
    )


def metadef_property() -> dict[str, Any]:
    return _metadef(
        "property",
        {
            "name": {"type": "string", "maxLength": 80},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "operators": {"type": "array", "items": {"type": "string"}},
            "type": {
                "type": "string",
                "enum": ["array", "boolean", "integer", "number", "object", "string", None],
            },
            "enum": {"type": "array"},
            "default": {},
            "readonly": {"type": "boolean"},
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "minLength": {"type": "integer"},
            "maxLength": {"type": "integer"},
            "pattern": {"type": "string"},
            "items": {"type": "object"},
            "uniqueItems": {"type": "boolean"},
            "additionalItems": {"type": "boolean"},
        },
        ["type", "title", "name"],
    )


def metadef_object() -> dict[str, Any]:
    return _metadef(
        "object",
        {
            "name": {"type": "string", "maxLength": 80},
            "description": {"type": "string"},
            "required": {"type": "array", "items": {"type": "string"}},
            "properties": {"type": "object"},
            "schema": {"type": "string", "readOnly": True},
            "self": {"type": "string", "readOnly": True},
            **_STAMPS,
        },
        ["name"],
    )


def metadef_tag() -> dict[str, Any]:
    return _metadef("tag", {"name": {"type": "string", "maxLength": 255}, **_STAMPS}, ["name"])


def metadef_namespace() -> dict[str, Any]:
    return _metadef(
        "namespace",
        {
            "namespace": {"type": "string", "maxLength": 80},
            "display_name": {"type": "string", "maxLength": 80},
            "description": {"type": "string", "maxLength": 500},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "protected": {"type": "boolean"},
            "owner": {"type": "string", "maxLength": 255},
            "resource_type_associations": {"type": "array", "items": metadef_resource_type()},
            "properties": {"type": "object"},
            "objects": {"type": "array", "items": metadef_object()},
            "tags": {"type": "array", "items": metadef_tag()},
            "schema": {"type": "string", "readOnly": True},
            "self": {"type": "string", "readOnly": True},
            **_STAMPS,
        },
        ["namespace"],
    )


def metadef_namespaces() -> dict[str, Any]:
    return _plural("namespaces", "namespaces", metadef_namespace())


def metadef_resource_types() -> dict[str, Any]:
    return _plural(
        "resource_type_associations", "resource_type_associations", metadef_resource_type()
    )


def metadef_objects() -> dict[str, Any]:
    return _plural("objects", "objects", metadef_object())


def metadef_properties() -> dict[str, Any]:
    return {
        "name": "properties",
        "properties": {"properties": {"type": "object"}, "schema": {"type": "string"}},
    }


def metadef_tags() -> dict[str, Any]:
    return _plural("tags", "tags", metadef_tag())


METADEF_SCHEMAS = {
    "namespace": metadef_namespace,
    "namespaces": metadef_namespaces,
    "resource_type": metadef_resource_type,
    "resource_types": metadef_resource_types,
    "object": metadef_object,
    "objects": metadef_objects,
    "property": metadef_property,
    "properties": metadef_properties,
    "tag": metadef_tag,
    "tags": metadef_tags,
}
