"""Fixtures for the tenant operation tests (TEN-4..TEN-8): the demo catalogue, a partner-managed tenant with
a user per role, a clock in Europe/Berlin, and the deterministic MX checker."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from tenants.tests.factories import demo_catalogue, resold_tenant

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _deterministic_dns(settings):
    settings.PORTAL_DNS_CHECKER = "tenants.dns.DeterministicChecker"
    settings.PORTAL_MX_TARGETS = ["mx.portal-vendor.example"]
    settings.PORTAL_DNS_CHECK_DELAY = 0


@pytest.fixture
def types(db):
    return demo_catalogue()


@pytest.fixture
def world(db, types):
    """A customer whose tenant the partner created (so the partner manages it), with one user per role, and
    a second partner that manages nothing here."""
    partner = PartnerAccountFactory(name="Agentur Nord")
    customer = AccountFactory(name="Shop GmbH")
    tenant = resold_tenant(customer, partner, name="Shop – Webshop")
    other_partner = PartnerAccountFactory(name="Fremdagentur")
    return SimpleNamespace(
        partner=partner,
        customer=customer,
        tenant=tenant,
        types=types,
        sales=member(partner, "sales"),
        support=member(partner, "support"),
        tech=member(partner, "tech"),
        partner_admin=member(partner, "admin", "sales"),
        owner=member(customer, "owner"),
        customer_admin=member(customer, "admin"),
        other_sales=member(other_partner, "sales", "admin", "tech"),
        other_partner=other_partner,
    )


class Clock:
    """Sets ``timezone.now`` to a Berlin wall-clock time (or an aware datetime)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def set(self, value: datetime.datetime | str) -> datetime.datetime:
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=BERLIN)
        moment = value
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    def today(self, day: datetime.date | str) -> datetime.datetime:
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        return self.set(datetime.datetime.combine(day, datetime.time(12, 0)))


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); German is the default language of the portal."""
    from django.utils import translation

    with translation.override("en"):
        yield
