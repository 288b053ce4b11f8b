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


# --- A shared, read-mostly world for the HTML view tests (tenants/tests/test_views*.py) ---------------------

VIEWS_TODAY = datetime.datetime(2025, 6, 10, 12, 0, tzinfo=BERLIN)


def build_views_world() -> SimpleNamespace:
    """The partner-managed tenant with one user per actor of the HTML role matrix and data in every state:

    - ``shop.example``: base + archive deployed (archive 15 % nfr), one registered user, spam-filter ordered;
    - ``nomx-vault.example``: confidential (expert mode, partner admin), deployed base, one registered user,
      archive ordered; its MX is missing, so the finished check names it (masked for most actors);
    - a finished consistency check and an offer. Every user speaks English (the pages follow the user's
      language), so messages are asserted by their msgids.
    """
    from accounts.tests.factories import VendorAccountFactory
    from portal import access
    from tenants import services
    from tenants.dns import DeterministicChecker
    from tenants.services.offers import OfferLineInput

    types = demo_catalogue()
    partner = PartnerAccountFactory(name="Agentur Nord")
    customer = AccountFactory(name="Shop GmbH")
    tenant = resold_tenant(customer, partner, name="Shop – Webshop")
    other_partner = PartnerAccountFactory(name="Fremdagentur")
    vendor = VendorAccountFactory(name="Portal Vendor")
    en = {"language": "en"}
    world = SimpleNamespace(
        types=types,
        partner=partner,
        customer=customer,
        tenant=tenant,
        other_partner=other_partner,
        vendor=vendor,
        sales=member(partner, "sales", **en),
        support=member(partner, "support", **en),
        tech=member(partner, "tech", **en),
        partner_admin=member(partner, "admin", **en),
        admin_sales=member(partner, "admin", "sales", **en),
        owner=member(customer, "owner", **en),
        customer_admin=member(customer, "admin", **en),
        other=member(other_partner, "sales", "admin", "tech", **en),
        vendor_support=member(vendor, "support", **en),
    )
    shop = services.add_domain(
        actor=world.sales, tenant=tenant, name="shop.example", service_types=["archive"]
    )
    world.shop_user = services.add_registered_user(
        actor=world.sales, domain=shop, email="info@shop.example", name="Info"
    )
    vault = services.add_domain(
        actor=world.admin_sales, tenant=tenant, name="nomx-vault.example", expert=True, confidential=True
    )
    world.vault_user = services.add_registered_user(
        actor=world.admin_sales, domain=vault, email="ceo@nomx-vault.example", name="Chief"
    )
    services.deploy_tenant(actor=world.tech, tenant=tenant)
    world.archive = shop.services.get(service_type__code="archive")
    services.set_discount(actor=world.sales, service=world.archive, percent=15, reason="nfr")
    world.spam = services.book_services(actor=world.sales, domain=shop, service_types=["spam-filter"])[0]
    world.vault_archive = services.book_services(actor=world.sales, domain=vault, service_types=["archive"])[
        0
    ]
    run, _created = services.start_consistency_check(actor=world.tech, tenant=tenant)
    world.run = services.run_consistency_check(run_id=run.pk, checker=DeterministicChecker())
    world.offer = services.create_offer(
        actor=world.sales,
        tenant=tenant,
        lines=[OfferLineInput("archive", quantity=2, discount_percent=10, discount_reason="test")],
        title="Archive for the shop",
    )
    world.shop, world.vault = shop, vault
    for value in vars(world).values():
        if hasattr(value, "_portal_roles"):
            access.forget(value)  # requests load their own user; keep no role cache around
    return world


@pytest.fixture(scope="module")
def views_world(django_db_setup, django_db_blocker):
    """``build_views_world()`` once per test module, in a transaction rolled back after the module; each test
    runs in a savepoint inside it (pytest-django's ``db``), so tests see the world and undo their changes.
    Built on 10 June 2025, noon in Berlin (tests set the same clock)."""
    from django.db import transaction
    from django.test.utils import override_settings

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with (
                pytest.MonkeyPatch.context() as patch,
                override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                    PORTAL_MX_TARGETS=["mx.portal-vendor.example"],
                    PORTAL_DNS_CHECK_DELAY=0,
                ),
            ):
                patch.setattr(timezone, "now", lambda: VIEWS_TODAY)
                world = build_views_world()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
