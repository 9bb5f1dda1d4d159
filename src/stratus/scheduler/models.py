"""The scheduler's own tables: what NUMA-placed guests hold on each host (one row per host,
with a generation for compare-and-swap claims) and the exact placement of each instance."""

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base, JSONType, UTCDateTime


class HostClaimRow(Base):
    __tablename__ = "scheduler_host_usage"

    node_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)


class InstanceTopologyRow(Base):
    __tablename__ = "scheduler_instance_topology"

    instance_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    node_uuid: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    topology: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
