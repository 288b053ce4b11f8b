"""The demo licences (issue 11 "Interfaces and demo"): every kind and status, a due subscription, a swapped
pair, a hoster-held licence for a Shop GmbH tenant; idempotent; every licence page renders for the demo users."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from licenses.models import License, Subscription
from licenses.selectors import hosted_by_partner
from portal.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_demo_licences_cover_every_kind_and_status_and_are_idempotent():
    seed_demo()
    counts = License.objects.count()
    assert set(License.objects.values_list("kind", flat=True)) == {"full", "demo", "subscription", "nfr"}
    assert set(License.objects.values_list("status", flat=True)) == {
        "active",
        "cancelled",
        "recall_pending",
        "revoked",
        "expired",
    }
    assert Subscription.objects.filter(current_period_end__lte=timezone.localdate(), auto_renew=True).exists()
    assert Subscription.objects.filter(replaces__isnull=False).exists()
    hosted = [lic for lic in License.objects.filter(tenant__number="T-000002") if hosted_by_partner(lic)]
    assert hosted and hosted[0].holder.name == "Agentur Nord"
    reseller = (
        License.objects.filter(issuer__number="K-100003").values_list("group__code", flat=True).distinct()
    )
    assert set(reseller) == {"office", "server"}
    seed_demo()
    assert License.objects.count() == counts


@pytest.mark.parametrize(
    "email",
    [
        "admin@reseller.example",
        "admin@kanzlei.example",
        "user@kanzlei.example",
        "admin@vendor.example",
        "support@vendor.example",
        "owner@shop.example",
        "sales@partner.example",
    ],
)
def test_every_licence_page_renders_for_demo_users(demo_world, client, email):
    user = User.objects.get(email=email)
    client.force_login(user)
    for url in (
        "/licenses/",
        "/licenses/?scope=issued",
        "/licenses/?scope=held",
        "/licenses/?scope=mine",
        "/licenses/pools/",
        "/licenses/catalogue/",
        "/licenses/issue/",
        "/licenses/customers/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
    from portal import access

    for license in access.visible(user, License)[:20]:
        response = client.get(f"/licenses/{license.key}/")
        assert response.status_code == 200, license.key
