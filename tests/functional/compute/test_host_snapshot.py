"""The scheduler's host snapshot: reused while nothing changes, rebuilt when a service or
node changes, and its ``up`` flags follow heartbeats and the passing of service_down_time
without a rebuild. Registration reports every simulated host to placement in bulk."""

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from stratus.kit.timeutil import utcnow
from stratus.services.compute import host as host_module
from stratus.services.compute.host import node_uuid
from stratus.services.compute.models import ComputeService


def test_snapshot_follows_services_and_time(tmp_path: Path, monkeypatch: Any) -> None:
    asyncio.run(_snapshot(tmp_path, monkeypatch))


async def _snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stratus.cmd.wiring import Cloud
    from stratus.conf.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path,
        port=1,
        services=("identity", "placement", "compute"),
        compute={"fake_hosts": 3, "service_down_time": 60},
        identity={"password_hash_rounds": 4},
    )
    cloud = Cloud(settings)
    await cloud.start()
    try:
        built: Any = cloud.runtime.clients["compute.services"]
        hosts, db = built.hosts, built.hosts.db
        first = await hosts.host_states()
        assert len(first) == 3 and all(s.up and s.enabled for s in first.values())
        # Nothing changed: the very same states serve the next decision.
        again = await hosts.host_states()
        assert all(again[u] is first[u] for u in first)
        # Placement knows every host, with its inventory.
        for state in first.values():
            assert state.uuid == node_uuid(state.nodename)
            _gen, usage = await hosts.placement.service.usages_for_provider(state.uuid)
            assert {"VCPU", "MEMORY_MB", "DISK_GB"} <= set(usage)

        stale = next(u for u, s in first.items() if s.host == "compute-1")
        # compute-1 last heartbeat long ago (no other column changes): it is down.
        async with db.session() as s:
            await s.execute(
                update(ComputeService)
                .where(ComputeService.host == "compute-1")
                .values(last_seen_up=utcnow() - dt.timedelta(seconds=120))
            )
        states = await hosts.host_states()
        assert not states[stale].up
        assert all(states[u].up for u in states if u != stale)
        # Other hosts keep their states; compute-1's was replaced, not changed.
        assert first[stale].up
        assert all(states[u] is first[u] for u in states if u != stale)
        # A heartbeat brings it back.
        await hosts.heartbeat()
        assert all(s.up for s in (await hosts.host_states()).values())
        # Time passes with no heartbeat and no row changing: every host turns down.
        later = utcnow() + dt.timedelta(seconds=61)
        monkeypatch.setattr(host_module, "utcnow", lambda: later)
        assert not any(s.up for s in (await hosts.host_states()).values())
        monkeypatch.undo()
        assert all(s.up for s in (await hosts.host_states()).values())
        # Disabling a service rebuilds the snapshot.
        await hosts.update_service(host="compute-2", binary="nova-compute", disabled=True)
        states = await hosts.host_states()
        assert [s.host for s in states.values() if not s.enabled] == ["compute-2"]
        # Registering again (a restart) changes no provider generation.
        before = {u: (await hosts.placement.service.get_provider(u)).generation for u in states}
        await hosts.register()
        after = {u: (await hosts.placement.service.get_provider(u)).generation for u in states}
        assert before == after
    finally:
        await cloud.stop()
