"""Fixtures of the delegation tests: the world, API clients, helpers to read links from mails."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from .factories import make_world


@pytest.fixture
def w(db):
    return make_world()


@pytest.fixture
def api():
    """``api(user)`` → an APIClient logged in as that user (session), acting for its first account."""

    def make(user, account=None):
        client = APIClient()
        client.force_login(user)
        headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if account is not None:
            headers["HTTP_X_ACCOUNT"] = account.number
        client.credentials(**headers)
        return client

    return make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Use as ``with run_on_commit(): ...``: after-commit tasks (notices, mails) run at the block's end."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


def link_token(body: str) -> str:
    match = re.search(r"\?token=(\S+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture(autouse=True)
def _english():
    """Assertions read English messages (German is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield
