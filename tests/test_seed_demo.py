"""``manage.py seed_demo`` (SPEC §7) is idempotent: a second run changes no table."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from portal.models import Sequence


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@pytest.mark.django_db
def test_spec7_seed_demo_twice_changes_nothing(client):
    call_command("seed_demo", stdout=StringIO())
    first = row_counts()
    sequences = dict(Sequence.objects.values_list("name", "last_value"))
    call_command("seed_demo", stdout=StringIO())
    assert row_counts() == first
    assert dict(Sequence.objects.values_list("name", "last_value")) == sequences
    # The world is there: the SPEC §7 log-ins work with the demo password.
    assert first["accounts.User"] >= 6 and first["tenants.Tenant"] >= 8 and first["accounts.Membership"] >= 7
    for email in (
        "admin@vendor.example",
        "support@vendor.example",
        "sales@partner.example",
        "owner@shop.example",
    ):
        assert client.login(username=email, password="demo"), email
