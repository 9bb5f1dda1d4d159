"""Microversion negotiation shared by every service."""

import pytest

from stratus.api.microversion import MicroversionPolicy, Version
from stratus.kit.errors import BadRequest, NotAcceptable

COMPUTE = MicroversionPolicy(
    "compute", Version(2, 1), Version(2, 88), "X-OpenStack-Nova-API-Version"
)


def test_default_is_minimum() -> None:
    assert COMPUTE.negotiate({}) == Version(2, 1)


def test_latest_and_exact() -> None:
    assert COMPUTE.negotiate({"openstack-api-version": "compute latest"}) == Version(2, 88)
    assert COMPUTE.negotiate({"openstack-api-version": "compute 2.10"}) == Version(2, 10)
    assert COMPUTE.negotiate({"x-openstack-nova-api-version": "2.5"}) == Version(2, 5)


def test_other_service_header_is_ignored() -> None:
    assert COMPUTE.negotiate({"openstack-api-version": "volume 3.10"}) == Version(2, 1)


def test_out_of_range_is_406_and_garbage_is_400() -> None:
    with pytest.raises(NotAcceptable):
        COMPUTE.negotiate({"openstack-api-version": "compute 2.200"})
    with pytest.raises(BadRequest):
        COMPUTE.negotiate({"openstack-api-version": "compute 2.x"})


def test_ordering_is_numeric() -> None:
    assert Version.parse("2.10") > Version.parse("2.9")
    assert Version.parse("1.0") < Version.parse("1.39")


def test_response_headers() -> None:
    headers = COMPUTE.response_headers(Version(2, 10))
    assert headers["OpenStack-API-Version"] == "compute 2.10"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.10"
    assert "OpenStack-API-Version" in headers["Vary"]
