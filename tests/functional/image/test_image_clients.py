"""The image service through unmodified clients: openstacksdk and the openstack CLI, over
real HTTP against a whole cloud."""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

OPENSTACK = str(Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "openstack")


def cli(cloud, *args: str, name: str = "stratus") -> str:
    exe = OPENSTACK if Path(OPENSTACK).exists() else "openstack"
    result = subprocess.run(
        [exe, *args], env=cloud.env(name), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sdk_create_with_file_download_and_update(demo_conn, tmp_path):
    payload = os.urandom(2 * 1024 * 1024 + 3)
    source = tmp_path / "disk.raw"
    source.write_bytes(payload)
    image = demo_conn.image.create_image(
        name="sdk-image",
        filename=str(source),
        disk_format="raw",
        container_format="bare",
        wait=True,
    )
    try:
        got = demo_conn.image.get_image(image.id)
        assert got.status == "active"
        assert got.size == len(payload)
        assert got.checksum == hashlib.md5(payload).hexdigest()
        assert got.hash_algo == "sha512"
        assert got.hash_value == hashlib.sha512(payload).hexdigest()
        assert demo_conn.image.download_image(got).content == payload
        updated = demo_conn.image.update_image(got, name="renamed", os_distro="cirros")
        assert updated.name == "renamed"
        assert demo_conn.image.get_image(image.id).os_distro == "cirros"
        demo_conn.image.add_tag(got, "gold")
        assert "gold" in demo_conn.image.get_image(image.id).tags
        names = [i.name for i in demo_conn.image.images(tag="gold")]
        assert names == ["renamed"]
    finally:
        demo_conn.image.delete_image(image.id)
    assert demo_conn.image.find_image(image.id) is None


def test_sdk_sharing_between_projects(admin_conn, demo_conn):
    image = demo_conn.image.create_image(
        name="to-share",
        disk_format="raw",
        container_format="bare",
        visibility="shared",
        data=b"shared-bytes",
        validate_checksum=False,
    )
    admin_project = admin_conn.current_project_id
    try:
        member = demo_conn.image.add_member(image.id, member_id=admin_project)
        assert member.status == "pending"
        admin_conn.image.update_member(member, image.id, status="accepted")
        listed = [m.member_id for m in demo_conn.image.members(image.id)]
        assert listed == [admin_project]
    finally:
        demo_conn.image.delete_image(image.id)


@pytest.mark.slow
def test_cli_create_file_save_and_show(stratus_cloud, tmp_path):
    payload = os.urandom(1024 * 1024 + 11)
    source = tmp_path / "cli.qcow2"
    source.write_bytes(payload)
    created = json.loads(
        cli(
            stratus_cloud,
            "image",
            "create",
            "--file",
            str(source),
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--property",
            "purpose=test",
            "-f",
            "json",
            "cli-image",
        )
    )
    image_id = created["id"]
    shown = json.loads(cli(stratus_cloud, "image", "show", "-f", "json", image_id))
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(payload).hexdigest()
    assert shown["properties"]["purpose"] == "test"
    target = tmp_path / "saved.bin"
    cli(stratus_cloud, "image", "save", "--file", str(target), image_id)
    assert target.read_bytes() == payload
    listing = json.loads(cli(stratus_cloud, "image", "list", "-f", "json"))
    assert image_id in [row["ID"] for row in listing]
    cli(stratus_cloud, "image", "set", "--property", "hw_disk_bus=scsi", image_id)
    shown = json.loads(cli(stratus_cloud, "image", "show", "-f", "json", image_id))
    assert shown["properties"]["hw_disk_bus"] == "scsi"
    cli(stratus_cloud, "image", "delete", image_id)
