"""Fixtures of the security tests (issue 10): the delegation world, API clients, English messages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from delegations.tests.factories import make_world


@pytest.fixture
def w(db):
    return make_world()


@pytest.fixture
def api():
    """``api(user, account=None)`` → an APIClient logged in as ``user`` (session), English, optionally
    acting for ``account`` (X-Account)."""

    def make(user, account=None):
        client = APIClient()
        client.force_login(user)
        headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if account is not None:
            headers["HTTP_X_ACCOUNT"] = account.number
        client.credentials(**headers)
        return client

    return make


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def assert_error_shape(response, status: int | None = None) -> dict:
    """The one error body of the API: ``{"code", "detail", "fields"}``, as JSON."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["code"], str) and isinstance(body["detail"], str)
    assert isinstance(body["fields"], dict)
    return body


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """``with run_on_commit(): ...``: after-commit tasks (notices, mails) run at the block's end."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner
