"""Quota tables: per-project overrides, and one lock row per project that serialises checks."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db.base import Base


class QuotaLimit(Base):
    __tablename__ = "quota_limits"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(BigInteger)


class QuotaLock(Base):
    """Taken FOR UPDATE before counting usage, so concurrent creates in one project queue up."""

    __tablename__ = "quota_locks"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
