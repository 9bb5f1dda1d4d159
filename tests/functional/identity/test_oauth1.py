"""OS-OAUTH1 end to end: requests signed by oauthlib (an independent RFC 5849 implementation)
and keystoneauth's own OAuth1 plugin authenticating with the access token."""

import uuid
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.extras import oauth1 as ks_oauth1
from oauthlib import oauth1

from stratus.testing import RunningCloud
from tests.functional.identity.helpers import admin_token, token_for


def _demo_token(cloud: RunningCloud) -> tuple[str, str, str]:
    """(token, user id, project id) of the demo user on the demo project."""
    resp = token_for(cloud, "demo", cloud.demo_password, project="demo")
    assert resp.status_code == 201, resp.text
    body = resp.json()["token"]
    return resp.headers["X-Subject-Token"], body["user"]["id"], body["project"]["id"]


def _api(cloud: RunningCloud, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
    headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
    return httpx.request(method, f"{cloud.auth_url}{path}", headers=headers, **kw)


def _signed_post(url: str, client: oauth1.Client, **headers: str) -> httpx.Response:
    _, signed_headers, _ = client.sign(url, http_method="POST")
    return httpx.post(url, headers={**signed_headers, **headers})


def _form(resp: httpx.Response) -> dict[str, str]:
    assert resp.headers["content-type"].startswith("application/x-www-form-urlencoded")
    return dict(parse_qsl(resp.text))


@pytest.fixture
def consumer(cloud: RunningCloud) -> dict[str, Any]:
    resp = _api(cloud, "POST", "/OS-OAUTH1/consumers", admin_token(cloud), json={"consumer": {}})
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()["consumer"]
    return out


def _request_token(
    cloud: RunningCloud, consumer: dict[str, Any], project_id: str
) -> dict[str, str]:
    client = oauth1.Client(consumer["id"], client_secret=consumer["secret"], callback_uri="oob")
    resp = _signed_post(
        f"{cloud.auth_url}/OS-OAUTH1/request_token", client, **{"Requested-Project-Id": project_id}
    )
    assert resp.status_code == 201, resp.text
    return _form(resp)


def _access_token(
    cloud: RunningCloud, consumer: dict[str, Any], request_token: dict[str, str], verifier: str
) -> httpx.Response:
    client = oauth1.Client(
        consumer["id"],
        client_secret=consumer["secret"],
        resource_owner_key=request_token["oauth_token"],
        resource_owner_secret=request_token["oauth_token_secret"],
        verifier=verifier,
    )
    return _signed_post(f"{cloud.auth_url}/OS-OAUTH1/access_token", client)


def _authorize(cloud: RunningCloud, token: str, request_token: str, roles: list[str]) -> str:
    resp = _api(
        cloud,
        "PUT",
        f"/OS-OAUTH1/authorize/{request_token}",
        token,
        json={"roles": [{"name": r} for r in roles]},
    )
    assert resp.status_code == 200, resp.text
    verifier: str = resp.json()["token"]["oauth_verifier"]
    return verifier


def test_three_legs_then_keystoneauth_authenticates(
    cloud: RunningCloud, consumer: dict[str, Any]
) -> None:
    demo, user_id, project_id = _demo_token(cloud)
    request_token = _request_token(cloud, consumer, project_id)
    assert request_token["oauth_expires_at"].endswith("Z")

    verifier = _authorize(cloud, demo, request_token["oauth_token"], ["reader"])
    resp = _access_token(cloud, consumer, request_token, verifier)
    assert resp.status_code == 201, resp.text
    access = _form(resp)

    # The request token was consumed by the exchange.
    again = _access_token(cloud, consumer, request_token, verifier)
    assert again.status_code == 401

    # The user sees the access token, its project and the one delegated role.
    base = f"/users/{user_id}/OS-OAUTH1/access_tokens"
    shown = _api(cloud, "GET", f"{base}/{access['oauth_token']}", demo).json()["access_token"]
    assert shown["consumer_id"] == consumer["id"]
    assert shown["project_id"] == project_id
    assert shown["authorizing_user_id"] == user_id
    assert shown["expires_at"] == access["oauth_expires_at"]
    roles = _api(cloud, "GET", f"{base}/{access['oauth_token']}/roles", demo).json()["roles"]
    assert [r["name"] for r in roles] == ["reader"]

    # keystoneauth's OAuth1 plugin gets a Keystone token carrying only the delegated role.
    auth = ks_oauth1.V3OAuth1(
        cloud.auth_url,
        consumer_key=consumer["id"],
        consumer_secret=consumer["secret"],
        access_key=access["oauth_token"],
        access_secret=access["oauth_token_secret"],
    )
    sess = ks_session.Session(auth=auth)
    oauth_token = sess.get_token()
    assert oauth_token
    admin = admin_token(cloud)
    check = _api(cloud, "GET", "/auth/tokens", admin, headers={"X-Subject-Token": oauth_token})
    assert check.status_code == 200, check.text
    body = check.json()["token"]
    assert body["methods"] == ["oauth1"]
    assert body["project"]["id"] == project_id
    assert body["user"]["id"] == user_id
    assert [r["name"] for r in body["roles"]] == ["reader"]
    assert body["OS-OAUTH1"] == {
        "access_token_id": access["oauth_token"],
        "consumer_id": consumer["id"],
    }

    # A token issued through OAuth cannot delegate further.
    second = _request_token(cloud, consumer, project_id)
    denied = _api(
        cloud,
        "PUT",
        f"/OS-OAUTH1/authorize/{second['oauth_token']}",
        oauth_token,
        json={"roles": [{"name": "reader"}]},
    )
    assert denied.status_code == 403

    # Revoking the access token invalidates the Keystone tokens issued from it.
    gone = _api(cloud, "DELETE", f"{base}/{access['oauth_token']}", demo)
    assert gone.status_code == 204
    check = _api(cloud, "GET", "/auth/tokens", admin, headers={"X-Subject-Token": oauth_token})
    assert check.status_code == 404
    assert _api(cloud, "GET", f"{base}/{access['oauth_token']}", demo).status_code == 404


def test_bad_signatures_and_bad_requests_change_nothing(
    cloud: RunningCloud, consumer: dict[str, Any]
) -> None:
    demo, user_id, project_id = _demo_token(cloud)
    url = f"{cloud.auth_url}/OS-OAUTH1/request_token"

    wrong = oauth1.Client(consumer["id"], client_secret="not-the-secret", callback_uri="oob")
    assert _signed_post(url, wrong, **{"Requested-Project-Id": project_id}).status_code == 401
    unsigned = httpx.post(url, headers={"Requested-Project-Id": project_id})
    assert unsigned.status_code == 401

    right = oauth1.Client(consumer["id"], client_secret=consumer["secret"], callback_uri="oob")
    assert _signed_post(url, right).status_code == 400  # no Requested-Project-Id
    missing = _signed_post(url, right, **{"Requested-Project-Id": "0" * 32})
    assert missing.status_code == 404

    request_token = _request_token(cloud, consumer, project_id)
    # A role the user does not hold on the project cannot be delegated.
    resp = _api(
        cloud,
        "PUT",
        f"/OS-OAUTH1/authorize/{request_token['oauth_token']}",
        demo,
        json={"roles": [{"name": "admin"}]},
    )
    assert resp.status_code == 403
    # Unauthorized request tokens and wrong verifiers are refused.
    assert _access_token(cloud, consumer, request_token, "nope").status_code == 401
    verifier = _authorize(cloud, demo, request_token["oauth_token"], ["member"])
    assert _access_token(cloud, consumer, request_token, verifier + "x").status_code == 401
    listed = _api(cloud, "GET", f"/users/{user_id}/OS-OAUTH1/access_tokens", demo)
    assert request_token["oauth_token"] not in {a["id"] for a in listed.json()["access_tokens"]}

    # Deleting the consumer takes its tokens with it.
    resp = _access_token(cloud, consumer, request_token, verifier)
    assert resp.status_code == 201
    access = _form(resp)
    admin = admin_token(cloud)
    assert _api(cloud, "DELETE", f"/OS-OAUTH1/consumers/{consumer['id']}", admin).status_code == 204
    shown = _api(
        cloud, "GET", f"/users/{user_id}/OS-OAUTH1/access_tokens/{access['oauth_token']}", demo
    )
    assert shown.status_code == 404


def test_another_user_cannot_read_my_access_tokens(
    cloud: RunningCloud, consumer: dict[str, Any]
) -> None:
    demo, user_id, project_id = _demo_token(cloud)
    request_token = _request_token(cloud, consumer, project_id)
    verifier = _authorize(cloud, demo, request_token["oauth_token"], ["member"])
    access = _form(_access_token(cloud, consumer, request_token, verifier))
    admin = admin_token(cloud)
    # A second member of the same project (the shared cloud's demo may hold other roles by now).
    name = f"oauth-peer-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    user = {"name": name, "password": password, "domain_id": "default"}
    made = _api(cloud, "POST", "/users", admin, json={"user": user})
    assert made.status_code == 201, made.text
    peer_id = made.json()["user"]["id"]
    roles = _api(cloud, "GET", "/roles?name=member", admin).json()["roles"]
    grant = f"/projects/{project_id}/users/{peer_id}/roles/{roles[0]['id']}"
    assert _api(cloud, "PUT", grant, admin).status_code == 204
    resp = token_for(cloud, name, password, project="demo")
    assert resp.status_code == 201, resp.text
    peer = resp.headers["X-Subject-Token"]

    mine = f"/users/{user_id}/OS-OAUTH1/access_tokens"
    assert _api(cloud, "GET", mine, peer).status_code == 403
    assert _api(cloud, "GET", f"{mine}/{access['oauth_token']}", peer).status_code == 403
    assert _api(cloud, "DELETE", f"{mine}/{access['oauth_token']}", peer).status_code == 403
    # The owner and the admin still see it: the refused revoke changed nothing.
    listed = _api(cloud, "GET", mine, admin)
    assert access["oauth_token"] in {a["id"] for a in listed.json()["access_tokens"]}
