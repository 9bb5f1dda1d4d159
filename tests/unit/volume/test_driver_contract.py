"""The volume driver contract, run over every driver: bytes written come back, snapshots and
clones hold the bytes of their moment, revert restores them, extend keeps them, manage and
unmanage keep the data."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stratus.services.volume.drivers.base import GIB, SnapshotSpec, VolumeDriver, VolumeSpec
from stratus.services.volume.drivers.fake import FakeVolumeDriver
from stratus.services.volume.drivers.file import FileVolumeDriver


@pytest.fixture(params=["fake", "file"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> VolumeDriver:
    if request.param == "fake":
        return FakeVolumeDriver()
    return FileVolumeDriver(tmp_path / "file")


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _prefix(driver: VolumeDriver, spec: VolumeSpec, length: int) -> bytes:
    out = bytearray()
    async for chunk in driver.read(spec, 1 << 20):
        out += chunk
        if len(out) >= length:
            break
    return bytes(out[:length])


async def test_write_read_snapshot_clone_revert(driver: VolumeDriver) -> None:
    vol = VolumeSpec(id="v1", size=1)
    await driver.create(vol)
    first = os.urandom(3000)
    assert await driver.write(vol, _chunks(first[:1000], first[1000:])) == 3000
    assert await _prefix(driver, vol, 3000) == first
    snap = SnapshotSpec(id="s1", volume_id="v1", size=1)
    await driver.create_snapshot(snap, vol)
    second = os.urandom(3000)
    await driver.write(vol, _chunks(second))
    clone = VolumeSpec(id="v2", size=2)
    await driver.clone(clone, vol)
    assert await _prefix(driver, clone, 3000) == second
    from_snap = VolumeSpec(id="v3", size=1)
    await driver.from_snapshot(from_snap, snap)
    assert await _prefix(driver, from_snap, 3000) == first
    await driver.revert(vol, snap)
    assert await _prefix(driver, vol, 3000) == first
    await driver.extend(vol, 2)
    assert await _prefix(driver, vol, 3000) == first
    with pytest.raises(ValueError):
        await driver.write(VolumeSpec(id="v3", size=1), _chunks(b"x"), offset=GIB)
    for spec in (vol, clone, from_snap):
        await driver.delete(spec)
    await driver.delete_snapshot(snap)


async def test_unmanage_then_manage_keeps_the_data(driver: VolumeDriver) -> None:
    vol = VolumeSpec(id="v9", size=1)
    await driver.create(vol)
    data = os.urandom(512)
    await driver.write(vol, _chunks(data))
    await driver.unmanage(vol)
    listed = await driver.manageable({})
    ref = next(m.reference for m in listed if m.safe_to_manage)
    size, provider = await driver.manage(VolumeSpec(id="v10", size=0), ref)
    assert size == 1
    adopted = VolumeSpec(id="v10", size=1, provider_id=provider)
    assert await _prefix(driver, adopted, 512) == data
    assert (await driver.manageable({provider: "v10"}))[0].safe_to_manage is False
