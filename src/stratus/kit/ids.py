"""Identifier generation in the forms OpenStack services use."""

import uuid


def hex_id() -> str:
    """A 32-character hex id, as Keystone uses for every entity."""
    return uuid.uuid4().hex


def uuid_str() -> str:
    """A dashed UUID, as Nova, Neutron, Cinder and Glance use."""
    return str(uuid.uuid4())


def is_uuid_like(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
