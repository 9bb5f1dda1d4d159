"""The metadata service's tables: the password a guest posted (nova keeps it in the instance's
system metadata as ``password_0..3``; here one row per instance) and the files a server was
created or rebuilt with (``personality``, up to 2.56), kept for its config drive."""

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db import Base, UTCDateTime


class InstancePassword(Base):
    __tablename__ = "compute_instance_passwords"

    instance_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The guest's encrypted password (base64 text of at most 1020 characters, as nova).
    password: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class InjectedFile(Base):
    """One ``personality`` file: nova hands them to the compute host with the build request;
    Stratus builds on the host from the database, so they wait here."""

    __tablename__ = "compute_injected_files"

    instance_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    contents: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
