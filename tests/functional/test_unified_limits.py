"""Keystone unified limits reach the shared quota engine: a project limit on the image
service's ``image_count_total`` caps how many images that project may create."""

import uuid
from collections.abc import Iterator
from typing import Any

import openstack
import pytest

from stratus.testing import RunningCloud, running_cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with running_cloud(tmp_path_factory.mktemp("limits"), services=("identity", "image")) as c:
        yield c


def test_project_limit_caps_image_count(cloud: RunningCloud, tmp_path: Any) -> None:
    admin = cloud.connection("stratus-admin")
    image_service = next(s for s in admin.identity.services() if s.type == "image")
    name = f"lim-{uuid.uuid4().hex[:8]}"
    project = admin.identity.create_project(name=name, domain_id="default")
    user = admin.identity.create_user(
        name=name, domain_id="default", password="pw-limit-1", default_project_id=project.id
    )
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    admin.identity.create_registered_limit(
        service_id=image_service.id, resource_name="image_count_total", default_limit=-1
    )
    admin.identity.create_limit(
        service_id=image_service.id,
        project_id=project.id,
        resource_name="image_count_total",
        resource_limit=1,
    )

    conn = openstack.connect(
        auth_url=cloud.auth_url,
        username=name,
        password="pw-limit-1",
        project_id=project.id,
        user_domain_id="default",
        region_name="RegionOne",
    )
    conn.image.create_image(name="first", disk_format="raw", container_format="bare")
    with pytest.raises(openstack.exceptions.HttpException) as err:
        conn.image.create_image(name="second", disk_format="raw", container_format="bare")
    assert err.value.status_code == 413
    assert [i.name for i in conn.image.images(owner=project.id)] == ["first"]
