"""Persistence: async engine and sessions, the declarative Base, portable types, migrations."""

from stratus.db.base import Base, JSONType, UTCDateTime
from stratus.db.engine import Database

__all__ = ["Base", "Database", "JSONType", "UTCDateTime"]
