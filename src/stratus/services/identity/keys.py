"""Fernet key repository on disk, rotated as Keystone does: key ``0`` is staged, the highest
number is primary (signs new tokens), the rest are secondary (still decrypt)."""

import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

MAX_ACTIVE_KEYS = 3


class KeyRepository:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _indexes(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        return sorted(int(p.name) for p in self.directory.iterdir() if p.name.isdigit())

    def _write(self, index: int, key: bytes) -> None:
        path = self.directory / str(index)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        tmp.replace(path)

    def setup(self) -> None:
        """Create the staged and the first primary key if none exist."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if not self._indexes():
            self._write(0, Fernet.generate_key())
            self._write(1, Fernet.generate_key())

    def rotate(self) -> int:
        """Promote the staged key to primary, stage a new one, drop the oldest secondaries."""
        self.setup()
        indexes = self._indexes()
        new_primary = max(indexes) + 1
        (self.directory / "0").rename(self.directory / str(new_primary))
        self._write(0, Fernet.generate_key())
        indexes = self._indexes()
        secondaries = [i for i in indexes if i not in (0, new_primary)]
        excess = len(indexes) - MAX_ACTIVE_KEYS
        for index in secondaries[: max(0, excess)]:
            (self.directory / str(index)).unlink()
        return new_primary

    def fernet(self) -> MultiFernet:
        """Primary first (it encrypts), then secondaries and staged (they decrypt)."""
        indexes = self._indexes()
        ordered = sorted(indexes, reverse=True)  # primary = highest, staged 0 last
        keys = [Fernet((self.directory / str(i)).read_bytes().strip()) for i in ordered]
        return MultiFernet(keys)

    def mtime(self) -> float:
        return max((self.directory / str(i)).stat().st_mtime for i in self._indexes())
