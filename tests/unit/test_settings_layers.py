"""Settings layering: defaults < stratus.yaml < STRATUS_* environment < explicit overrides,
merged field by field inside a section."""

from pathlib import Path

import pytest

from stratus.conf import load_settings


def test_environment_and_overrides_merge_into_the_file_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stratus.yaml").write_text(
        "identity:\n  token_expiration: 100\n  password_hash_rounds: 5\n"
        "compute:\n  fake_hosts: 3\n  cpu_allocation_ratio: 2.0\n"
    )
    monkeypatch.setenv("STRATUS_IDENTITY__TOKEN_EXPIRATION", "200")
    settings = load_settings(data_dir=tmp_path, compute={"fake_hosts": 7})
    assert settings.identity.token_expiration == 200  # the environment wins for its field
    assert settings.identity.password_hash_rounds == 5  # the file's other fields stay
    assert settings.compute == {"fake_hosts": 7, "cpu_allocation_ratio": 2.0}


def test_without_a_file_environment_and_overrides_still_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATUS_IDENTITY__TOKEN_EXPIRATION", "300")
    settings = load_settings(data_dir=tmp_path, identity={"password_hash_rounds": 6})
    assert settings.identity.password_hash_rounds == 6
    assert settings.identity.token_expiration == 300
