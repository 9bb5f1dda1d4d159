"""Object storage tables: accounts, containers and objects. Bytes live in files; these rows
are the metadata and the counters."""

from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base
from stratus.db.base import JSONType


class Account(Base):
    __tablename__ = "objstore_accounts"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # AUTH_<project>
    # Lower-cased header name -> value: x-account-meta-*, temp-url keys, quota.
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Container(Base):
    __tablename__ = "objstore_containers"
    __table_args__ = (UniqueConstraint("account", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(256))
    # x-container-meta-*, x-container-read/write, x-versions-location, quotas, ...
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    object_count: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_used: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class StoredObject(Base):
    __tablename__ = "objstore_objects"
    __table_args__ = (UniqueConstraint("container_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    container_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("objstore_containers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(256))
    timestamp: Mapped[float] = mapped_column(Float)
    # x-object-meta-*, content-encoding/disposition, x-object-manifest, ...
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The file holding the bytes (None for manifests).
    blob: Mapped[str | None] = mapped_column(String(64))
    # Static large object manifest: [{"name": "/c/o", "hash": md5, "bytes": n}, ...]
    slo: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    delete_at: Mapped[float | None] = mapped_column(Float, index=True)
