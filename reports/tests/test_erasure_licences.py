"""LIC-12 with licences: after the erasure the account's licences, activations and statement lines stay, and
vendor support can still restore a licence on a new machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import erasure
from licenses import services as license_services
from licenses.models import Activation, License
from reports import selectors
from reports.tests.helpers import license_, make_world, subscription

pytestmark = pytest.mark.django_db


def test_lic12_licences_activations_and_statements_survive_the_erasure():
    w = make_world()
    lic = license_(w.reseller, w.customer, w.product)
    Activation.objects.create(license=lic, fingerprint="PC-ALT", activated_at=timezone.now())
    subscription(w.reseller, w.customer, w.product, dt.date(2026, 3, 1))
    erasure.erase_account(actor=w.vendor_admin, account=w.customer, confirmation=w.customer.number)
    lic.refresh_from_db()
    assert lic.holder_id == w.customer.pk and lic.status == "active"
    assert License.objects.filter(holder=w.customer).count() == 2
    new = license_services.restore_license(actor=w.vendor_support, license=lic, fingerprint="PC-NEU")
    assert new.fingerprint == "PC-NEU"
    assert list(
        Activation.objects.filter(license=lic, deactivated_at__isnull=True).values_list(
            "fingerprint", flat=True
        )
    ) == ["PC-NEU"]
    stmt = selectors.statement(w.reseller, dt.date(2026, 3, 1))
    [line] = stmt.lines
    assert line.amount == Decimal("10.00") and line.customer.name == f"Gelöschtes Konto {w.customer.number}"
