"""Licence API: list, detail (404 for unseen and malformed keys), issue with Idempotency-Key, actions, errors as
{code, detail, fields}; check-in signed with Ed25519 and verified with the published key; throttles."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from licenses import keys, services, signing
from licenses.models import License


@pytest.fixture
def api():
    def _client(user, account=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        if account is not None:
            client.credentials(HTTP_X_ACCOUNT=account.number)
        return client

    return _client


def test_issue_list_detail_and_idempotency(world, api):
    client = api(world.sales, world.reseller)
    body = {"product": "A-100", "kind": "demo", "holder": world.customer.number, "demo_days": 14}
    first = client.post("/api/v1/licenses/", body, format="json", HTTP_IDEMPOTENCY_KEY="issue-1")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/licenses/", body, format="json", HTTP_IDEMPOTENCY_KEY="issue-1")
    assert again.status_code == 201 and again.json()["key"] == first.json()["key"]
    assert License.objects.count() == 1
    key = first.json()["key"]
    listed = client.get("/api/v1/licenses/?kind=demo").json()
    assert [row["key"] for row in listed["results"]] == [key]
    detail = client.get(f"/api/v1/licenses/{key.lower().replace('-', '')}/")
    assert detail.status_code == 200 and detail.json()["holder"] == world.customer.number
    assert "void" not in detail.json()["actions"]


def test_issue_refusal_is_a_clear_error(world, api):
    client = api(world.sales, world.reseller)
    response = client.post(
        "/api/v1/licenses/",
        {"product": "A-100", "kind": "demo", "holder": world.customer.number, "demo_days": 90},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "demo_days_out_of_range" and "demo_days" in response.json()["fields"]
    response = client.post(
        "/api/v1/licenses/",
        {"product": "nope", "kind": "full", "holder": world.customer.number},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_product"
    response = client.post("/api/v1/licenses/", {"kind": "full"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) >= {"product", "holder"}


def test_unseen_and_malformed_keys_are_404(world, issue, api):
    license = issue("full")
    assert api(world.stranger_owner).get(f"/api/v1/licenses/{license.key}/").status_code == 404
    assert api(world.owner).get("/api/v1/licenses/not-a-key/").status_code == 404
    assert (
        api(world.stranger_owner)
        .post(f"/api/v1/licenses/{license.key}/activate/", {"fingerprint": "x"})
        .status_code
        == 404
    )
    assert api(None).get(f"/api/v1/licenses/{license.key}/").status_code in (401, 403)


def test_actions_through_the_api(world, issue, api):
    license = issue("subscription")
    owner = api(world.owner)
    assert (
        owner.post(
            f"/api/v1/licenses/{license.key}/assign/", {"user": world.member.email}, format="json"
        ).status_code
        == 200
    )
    member = api(world.member)
    response = member.post(
        f"/api/v1/licenses/{license.key}/activate/", {"fingerprint": "pc-1"}, format="json"
    )
    assert response.status_code == 201, response.content
    response = member.post(
        f"/api/v1/licenses/{license.key}/move/",
        {"from_fingerprint": "pc-1", "to_fingerprint": "pc-2"},
        format="json",
    )
    assert response.status_code == 201
    assert owner.post(f"/api/v1/licenses/{license.key}/cancel/").status_code == 403
    sales = api(world.sales, world.reseller)
    response = sales.post(f"/api/v1/licenses/{license.key}/swap/", {"product": "A-200"}, format="json")
    assert response.status_code == 201 and response.json()["subscription"]["replaces"] == license.key
    response = sales.post(f"/api/v1/licenses/{license.key}/void/", {"reason": "refund"}, format="json")
    assert response.status_code == 409


def test_check_in_is_signed_and_verifiable_with_the_published_key(world, issue, client):
    license = issue("full")
    published = client.get("/api/v1/licenses/signing-key/").json()
    assert published["algorithm"] == "ed25519" and "BEGIN PUBLIC KEY" in published["public_key"]
    response = client.post(
        "/api/v1/licenses/check-in/",
        json.dumps({"key": license.key, "fingerprint": "pc", "nonce": "abc123"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert signing.verify(response.content, response["X-Signature"], published["public_key"])
    answer = json.loads(response.content)
    assert (
        answer["nonce"] == "abc123"
        and answer["valid"] is True
        and answer["product"]["article_number"] == "A-100"
    )
    # a changed body (e.g. a replayed answer with another nonce) does not verify
    tampered = response.content.replace(b"abc123", b"zzz999")
    assert not signing.verify(tampered, response["X-Signature"], published["public_key"])


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"key": "x"}).encode(),
        json.dumps({"key": "abc", "nonce": "n"}).encode(),
    ],
)
def test_bad_check_ins_get_signed_clear_answers(world, client, body):
    response = client.post("/api/v1/licenses/check-in/", body, content_type="application/json")
    assert response.status_code in (200, 400)
    assert signing.verify(response.content, response["X-Signature"], signing.public_key_pem())
    answer = json.loads(response.content)
    assert answer.get("valid") is not True
    if response.status_code == 400:
        assert set(answer) == {"code", "detail", "fields"}


def test_unknown_and_revoked_keys_answer_alike(world, issue, client):
    license = issue("subscription")
    services.void_license(actor=world.sales, license=license)
    answers = []
    for key in (license.key, license.key, keys.generate_key()):
        response = client.post(
            "/api/v1/licenses/check-in/",
            json.dumps({"key": key, "nonce": "n"}),
            content_type="application/json",
        )
        assert response.status_code == 200
        answers.append(json.loads(response.content))
    assert answers[0]["reason"] == "recalled" and answers[1]["reason"] == "revoked"
    assert answers[2]["reason"] == "unknown_key" and answers[2]["valid"] is False


def test_check_in_is_throttled_per_key(world, issue, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "license_check_in_key": "2/hour",
        },
    }
    license = issue("full")
    codes = []
    for _ in range(3):
        response = client.post(
            "/api/v1/licenses/check-in/",
            json.dumps({"key": license.key, "nonce": "n"}),
            content_type="application/json",
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 429]
    assert response["Retry-After"] and signing.verify(
        response.content, response["X-Signature"], signing.public_key_pem()
    )
