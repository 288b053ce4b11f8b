"""Idempotency keys on creating POSTs (API-2): the first response is stored and replayed; another body with
the same key answers 422; a repeat while the first call still runs answers 409; keys belong to one user."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.tests.factories import AccountFactory, member
from portal.models import IdempotencyRecord
from tenants.models import Tenant

KEY = "4b8f2c1e-create-tenant-1"


def _post(client, body, key=KEY, **extra):
    return client.post(
        "/api/v1/tenants/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra
    )


@pytest.fixture
def owner(db):
    return member(AccountFactory(), "owner")


@pytest.mark.django_db
def test_api2_same_key_same_body_replays_the_first_response(client, owner):
    client.force_login(owner)
    first = _post(client, {"name": "Webshop"})
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = _post(client, {"name": "Webshop"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()["number"] == first.json()["number"]
    assert Tenant.objects.count() == 1
    assert IdempotencyRecord.objects.get(user=owner, key=KEY).completed_at is not None


@pytest.mark.django_db
def test_api2_replay_works_with_token_auth(client, owner):
    from accounts.tokens import issue_api_token

    _row, token = issue_api_token(user=owner)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    first = _post(client, {"name": "Webshop"}, **auth)
    again = _post(client, {"name": "Webshop"}, **auth)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Tenant.objects.count() == 1


@pytest.mark.django_db
def test_api2_a_refused_first_call_is_replayed_too(client, owner):
    client.force_login(owner)
    first = _post(client, {"name": "Staging", "environment": "staging"})
    assert first.status_code == 400
    again = _post(client, {"name": "Staging", "environment": "staging"})
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.django_db
def test_api2_same_key_other_body_is_422(client, owner):
    client.force_login(owner)
    assert _post(client, {"name": "Webshop"}).status_code == 201
    response = _post(client, {"name": "Another shop"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert set(response.json()) == {"code", "detail", "fields"}
    assert list(Tenant.objects.values_list("name", flat=True)) == ["Webshop"]


@pytest.mark.django_db
def test_api2_keys_belong_to_one_user(client, owner):
    colleague = member(owner.memberships.get().account, "owner")
    client.force_login(owner)
    mine = _post(client, {"name": "Webshop"})
    other = Client()
    other.force_login(colleague)
    theirs = _post(other, {"name": "Webshop"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["number"] != theirs.json()["number"]
    assert Tenant.objects.count() == 2


@pytest.mark.django_db
def test_api2_without_a_key_nothing_is_stored(client, owner):
    client.force_login(owner)
    for _ in range(2):
        assert (
            client.post("/api/v1/tenants/", {"name": "W"}, content_type="application/json").status_code == 201
        )
    assert Tenant.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_api2_a_repeat_while_the_first_call_runs_is_409(monkeypatch):
    """Two real requests at once: the first is held inside the view until the second has been answered."""
    from tenants.api import views as tenant_api

    owner = member(AccountFactory(), "owner")
    entered, release = threading.Event(), threading.Event()
    original = tenant_api.services.create_tenant

    def held_create_tenant(**kwargs):
        entered.set()
        assert release.wait(timeout=20)
        return original(**kwargs)

    monkeypatch.setattr(tenant_api.services, "create_tenant", held_create_tenant)
    results: dict = {}

    def first_call():
        try:
            first = Client()
            first.force_login(owner)
            results["first"] = _post(first, {"name": "Webshop"})
        finally:
            connection.close()

    thread = threading.Thread(target=first_call)
    thread.start()
    try:
        assert entered.wait(timeout=20), "the first request never reached the view"
        second = Client()
        second.force_login(owner)
        in_flight = _post(second, {"name": "Webshop"})
    finally:
        release.set()
        thread.join(timeout=30)
    assert in_flight.status_code == 409, in_flight.content
    assert in_flight.json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    # The first call has completed: now a repeat is a replay.
    replay = _post(second, {"name": "Webshop"})
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["number"] == results["first"].json()["number"]
    assert Tenant.objects.count() == 1


@pytest.mark.django_db
def test_api2_an_abandoned_unfinished_key_is_taken_over_after_the_stale_time(client, owner, settings):
    from datetime import timedelta

    from django.test import RequestFactory
    from django.utils import timezone

    from portal.middleware import IdempotencyMiddleware

    client.force_login(owner)
    body = b'{"name": "Webshop"}'
    # A process died mid-request: its record never completed.
    record = IdempotencyRecord.objects.create(
        user=owner,
        key=KEY,
        method="POST",
        path="/api/v1/tenants/",
        request_fingerprint=IdempotencyMiddleware.fingerprint(
            RequestFactory().post("/api/v1/tenants/", body, content_type="application/json"), body
        ),
    )
    blocked = client.post("/api/v1/tenants/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert blocked.status_code == 409
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    )
    retried = client.post("/api/v1/tenants/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert retried.status_code == 201, retried.content
    assert Tenant.objects.count() == 1


@pytest.mark.django_db
def test_api2_purge_job_removes_only_old_records(owner, settings):
    from datetime import timedelta

    from django.utils import timezone

    from portal.tasks import purge_idempotency_records

    old = IdempotencyRecord.objects.create(
        user=owner, key="old", method="POST", path="/x", request_fingerprint="a"
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS + 1)
    )
    IdempotencyRecord.objects.create(user=owner, key="new", method="POST", path="/x", request_fingerprint="b")
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
