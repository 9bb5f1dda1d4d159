"""The metadata service's table: the password a guest posted (nova keeps it in the instance's
system metadata as ``password_0..3``; here one row per instance)."""

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base, UTCDateTime


class InstancePassword(Base):
    __tablename__ = "compute_instance_passwords"

    instance_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The guest's encrypted password (base64 text of at most 1020 characters, as nova).
    password: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
