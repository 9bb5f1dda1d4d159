"""Unmodified clients against groups and messages: openstacksdk's block storage proxy and
the ``openstack volume group ...`` / ``volume message`` commands."""

import time
import uuid
from typing import Any

from stratus.testing import RunningCloud
from tests.functional.volume.test_cli import osc


def _f(row: dict[str, Any], key: str) -> Any:
    """A field of the CLI's JSON output, whatever its capitalisation."""
    return next(v for k, v in row.items() if k.lower() == key.lower())


def _wait(conn: Any, fetch: Any, ref: str, status: str) -> Any:
    res = fetch(ref)
    return conn.block_storage.wait_for_status(res, status=status, failures=["error"], wait=60)


def test_sdk_group_type_group_snapshot(admin: Any, demo: Any) -> None:
    bs = admin.block_storage
    vtype = bs.create_type(name=f"sdk-gvt-{uuid.uuid4().hex[:6]}")
    gtype = bs.create_group_type(name=f"sdk-gt-{uuid.uuid4().hex[:6]}", description="sdk")
    try:
        assert bs.get_group_type(gtype.id).description == "sdk"
        bs.create_group_type_group_specs(gtype, {"k": "v"})
        assert bs.get_group_type_group_specs_property(gtype, "k") == "v"
        assert gtype.id in {t.id for t in bs.group_types()}

        dbs = demo.block_storage
        group = dbs.create_group(name="sdk-group", group_type=gtype.id, volume_types=[vtype.id])
        group = _wait(demo, dbs.get_group, group.id, "available")
        assert group.volume_types == [vtype.id] and group.group_type == gtype.id
        vol = dbs.create_volume(size=1, volume_type=vtype.id, group_id=group.id)
        dbs.wait_for_status(vol, status="available", failures=["error"], wait=60)
        snap = dbs.create_group_snapshot(group_id=group.id, name="sdk-gs")
        snap = _wait(demo, dbs.get_group_snapshot, snap.id, "available")
        assert snap.group_id == group.id
        assert snap.id in {s.id for s in dbs.group_snapshots(details=True)}
        dbs.delete_group_snapshot(snap)
        dbs.wait_for_delete(snap, wait=60)
        dbs.delete_group(group, delete_volumes=True)
        dbs.wait_for_delete(group, wait=60)
        assert dbs.find_volume(vol.id) is None
    finally:
        bs.delete_group_type(gtype, ignore_missing=True)
        bs.delete_type(vtype, ignore_missing=True)


def test_cli_group_commands(cloud: RunningCloud) -> None:
    mv = ["--os-volume-api-version", "3.20"]
    suffix = uuid.uuid4().hex[:6]
    vtype = osc(cloud, "volume", "type", "create", f"cli-gvt-{suffix}")
    gtype = osc(cloud, *mv, "volume", "group", "type", "create", f"cli-gt-{suffix}")
    assert _f(gtype, "name") == f"cli-gt-{suffix}"
    group = osc(
        cloud,
        *mv,
        "volume",
        "group",
        "create",
        "--volume-group-type",
        _f(gtype, "id"),
        "--volume-type",
        _f(vtype, "id"),
        "--name",
        f"cli-group-{suffix}",
    )
    listed = osc(cloud, *mv, "volume", "group", "list")
    assert _f(group, "id") in {_f(g, "id") for g in listed}
    shown = osc(cloud, *mv, "volume", "group", "show", _f(group, "id"))
    assert _f(shown, "name") == f"cli-group-{suffix}"
    osc(cloud, *mv, "volume", "group", "delete", _f(group, "id"), fmt=False)
    deadline = time.monotonic() + 60
    while _f(group, "id") in {_f(g, "id") for g in osc(cloud, *mv, "volume", "group", "list")}:
        assert time.monotonic() < deadline, "the group was not deleted"
        time.sleep(0.2)
    osc(cloud, *mv, "volume", "group", "type", "delete", _f(gtype, "id"), fmt=False)
    osc(cloud, "volume", "type", "delete", _f(vtype, "id"), fmt=False)
    messages = osc(cloud, "--os-volume-api-version", "3.3", "volume", "message", "list")
    assert isinstance(messages, list)
