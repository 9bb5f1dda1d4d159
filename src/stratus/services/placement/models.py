"""Placement tables. Providers, classes and traits have integer ids used in joins; the
API speaks uuids and names only."""

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base
from stratus.db.base import UTCDateTime


class ResourceProvider(Base):
    __tablename__ = "placement_resource_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    root_provider_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    parent_provider_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("placement_resource_providers.id"), nullable=True, index=True
    )
    # The usage epoch (PlacementEpoch "usage") of the last change to this provider's
    # allocations: a search cache refreshes only providers marked past what it has seen.
    usage_seq: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0", index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlacementEpoch(Base):
    """Counters that writers bump as the last statement of their transaction: "structure"
    (providers, inventories, traits, aggregates) and "usage" (allocations). The row lock
    is held until commit, so the counters grow in commit order: a reader that sees value
    S also sees every change numbered up to S, in any process."""

    __tablename__ = "placement_epochs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class ResourceClass(Base):
    __tablename__ = "placement_resource_classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Trait(Base):
    __tablename__ = "placement_traits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Inventory(Base):
    __tablename__ = "placement_inventories"
    __table_args__ = (UniqueConstraint("resource_provider_id", "resource_class_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_providers.id"), nullable=False
    )
    resource_class_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_classes.id"), nullable=False, index=True
    )
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reserved: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    min_unit: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    max_unit: Mapped[int] = mapped_column(BigInteger, nullable=False)
    step_size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    allocation_ratio: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsumerType(Base):
    __tablename__ = "placement_consumer_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class Consumer(Base):
    __tablename__ = "placement_consumers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    consumer_type_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("placement_consumer_types.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Allocation(Base):
    __tablename__ = "placement_allocations"
    __table_args__ = (
        Index("ix_placement_allocations_rp_rc", "resource_provider_id", "resource_class_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_providers.id"), nullable=False
    )
    consumer_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    resource_class_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_classes.id"), nullable=False
    )
    used: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ProviderTrait(Base):
    __tablename__ = "placement_provider_traits"

    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_providers.id"), primary_key=True
    )
    trait_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_traits.id"), primary_key=True, index=True
    )


class ProviderAggregate(Base):
    __tablename__ = "placement_provider_aggregates"

    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("placement_resource_providers.id"), primary_key=True
    )
    aggregate_uuid: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    # The order the aggregates were given in, which is the order they are listed in.
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
