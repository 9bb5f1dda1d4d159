"""RA1's mandatory security compliance: lockout, password history (configured in conftest)."""

import time
import uuid
from typing import Any

from stratus.testing import RunningCloud
from tests.functional.identity.helpers import call, token_for


def test_lockout_after_failed_attempts(cloud: RunningCloud, admin: Any) -> None:
    name = f"lock-{uuid.uuid4().hex[:8]}"
    admin.identity.create_user(name=name, domain_id="default", password="right-pw-1")
    assert token_for(cloud, name, "wrong").status_code == 401
    assert token_for(cloud, name, "wrong").status_code == 401
    # locked now: even the right password is refused, with the same 401
    assert token_for(cloud, name, "right-pw-1").status_code == 401
    time.sleep(5.5)  # lockout_duration = 5 s in this suite's configuration
    assert token_for(cloud, name, "right-pw-1").status_code == 201


def test_password_history(cloud: RunningCloud, admin: Any) -> None:
    name = f"hist-{uuid.uuid4().hex[:8]}"
    user = admin.identity.create_user(name=name, domain_id="default", password="first-pw-1")
    resp = call(
        cloud,
        "POST",
        f"/v3/users/{user.id}/password",
        json={"user": {"original_password": "first-pw-1", "password": "second-pw-2"}},
    )
    assert resp.status_code == 204
    resp = call(
        cloud,
        "POST",
        f"/v3/users/{user.id}/password",
        json={"user": {"original_password": "second-pw-2", "password": "first-pw-1"}},
    )
    assert resp.status_code == 400
    assert "previous password" in resp.json()["error"]["message"]
    assert token_for(cloud, name, "second-pw-2").status_code == 201
