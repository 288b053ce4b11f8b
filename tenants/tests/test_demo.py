"""The demo world's tenant data (SPEC §7, TEN-4..TEN-8): every service status, a confidential domain,
discounts with reasons, a finished check with findings; seeding twice changes nothing."""

from __future__ import annotations

import pytest

from portal.demo import seed_demo
from tenants.models import BookedService, CheckRun, Domain, Finding, Offer, RegisteredUser, ServiceType

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (ServiceType, Domain, BookedService, RegisteredUser, CheckRun, Finding, Offer)
    }


def test_demo_has_every_status_and_is_idempotent():
    seed_demo()
    first = _counts()
    assert set(BookedService.objects.values_list("status", flat=True)) == {
        "ordered",
        "deployed",
        "ending",
        "ended",
        "cancelled",
    }
    assert ServiceType.objects.filter(is_base=True).count() == 1
    assert ServiceType.objects.filter(is_base=False, active=True).count() >= 4  # issue 4: base + 4 add-ons
    assert ServiceType.objects.filter(requires__isnull=False).distinct().count() >= 3
    assert Domain.objects.filter(confidential=True).count() == 1
    assert BookedService.objects.filter(discount_reason__in=["nfr", "test"]).count() == 2
    assert BookedService.objects.exclude(discount_reason__in=["", "nfr", "test"]).exists()  # free text
    run = CheckRun.objects.get(tenant__number="T-000006")
    assert run.status == "done"
    assert set(run.findings.values_list("code", flat=True)) == {
        "mx_elsewhere",
        "domain_without_users",
        "discount_without_reason",
    }
    assert Offer.objects.get().tenant.number == "T-000001"
    # The partner manages the Shop GmbH tenants: its sales user sees their domains.
    from accounts.models import User
    from tenants import selectors

    sales = User.objects.get(email="sales@partner.example")
    counts = {t.number: t.domains_count for t in selectors.tenants_visible_to(sales)}
    assert counts["T-000001"] == 2 and counts["T-000002"] == 1 and counts["T-000003"] == 1
    # ... and tenants of a few more customers (issue 4).
    managed_accounts = {t.account.name for t in selectors.tenants_visible_to(sales).select_related("account")}
    assert "Shop GmbH" in managed_accounts and len(managed_accounts) >= 3, managed_accounts
    seed_demo()
    assert _counts() == first


def test_demo_check_findings_render_in_german_and_english(client):
    """The finished check of T-000006 shows its findings on the tenant page (a "deployed" count in the
    domain-without-users finding is no date), in the user's language."""
    from django.utils import translation

    from accounts.models import User
    from tenants.checks import describe_finding

    seed_demo()
    tech = User.objects.get(email="tech@partner.example")
    client.force_login(tech)
    finding = Finding.objects.get(run__tenant__number="T-000006", code="domain_without_users")
    assert finding.details["deployed"] > 0
    with translation.override("en"):
        assert describe_finding(finding, "x.example") == (
            "x.example has no registered users: its deployed services are not billed."
        )
    User.objects.filter(pk=tech.pk).update(language="de")
    response = client.get("/tenants/T-000006/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    page = response.content.decode()
    assert "hat keine registrierten Benutzer: die bereitgestellten Services werden nicht abgerechnet." in page
    assert "Bestehende Services je Domain" in page and "Konsistenzprüfung von Domains und Services" in page
    assert "hat einen Rabatt von 15 % ohne Grund." in page  # stored as "15.00", shown in the user's format
