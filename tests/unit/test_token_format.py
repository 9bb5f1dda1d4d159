"""Fernet token payloads and key rotation."""

import datetime as dt
from pathlib import Path

import pytest

from stratus.kit.errors import NotFound
from stratus.services.identity import token as tokens
from stratus.services.identity.keys import MAX_ACTIVE_KEYS, KeyRepository


def _payload() -> tokens.TokenPayload:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, 123456)
    return tokens.TokenPayload(
        user_id="u" * 32,
        methods=("password",),
        expires_at=now + dt.timedelta(hours=1),
        issued_at=now,
        audit_ids=(tokens.new_audit_id(),),
        project_id="p" * 32,
    )


def test_roundtrip_keeps_microseconds(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    payload = _payload()
    decoded = tokens.decode(tokens.encode(payload, keys.fernet()), keys.fernet())
    assert decoded == payload
    assert decoded.scope == "project"


def test_tampered_or_foreign_tokens_are_not_found(tmp_path: Path) -> None:
    a, b = KeyRepository(tmp_path / "a"), KeyRepository(tmp_path / "b")
    a.setup()
    b.setup()
    token = tokens.encode(_payload(), a.fernet())
    with pytest.raises(NotFound):
        tokens.decode(token, b.fernet())
    with pytest.raises(NotFound):
        tokens.decode(token[:-4] + "AAAA", a.fernet())


def test_rotation_keeps_recent_tokens_valid(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path)
    keys.setup()
    old = tokens.encode(_payload(), keys.fernet())
    keys.rotate()
    assert tokens.decode(old, keys.fernet()).user_id == "u" * 32
    for _ in range(MAX_ACTIVE_KEYS + 1):
        keys.rotate()
    assert len(list(tmp_path.iterdir())) == MAX_ACTIVE_KEYS
    with pytest.raises(NotFound):
        tokens.decode(old, keys.fernet())
