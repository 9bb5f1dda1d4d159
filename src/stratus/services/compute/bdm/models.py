"""Block device mappings of servers to volumes (nova's ``block_device_mapping`` rows whose
destination is a volume)."""

import datetime as dt

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base, UTCDateTime


class VolumeMapping(Base):
    __tablename__ = "compute_volume_mappings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # nova's bdm uuid
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    attachment_id: Mapped[str | None] = mapped_column(String(36))
    device_name: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))
    source_type: Mapped[str] = mapped_column(String(32))
    boot_index: Mapped[int | None] = mapped_column(Integer)
    delete_on_termination: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
