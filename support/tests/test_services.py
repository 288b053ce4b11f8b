"""SUP-1 contracts, SUP-6 tickets (filing account, stored verdict, refusals naming the reason chain, linked
tickets, who sees which), ACC-1 staging/simulation accounts by the owner (e-mail domain rule)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from delegations.models import CaretakerGrant, ManagedAccount
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from support import selectors, services
from support.models import CoverageCategory, Ticket
from support.tests.factories import ContractFactory
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered():
    return CoverageCategory.objects.get(code="user_question")


@pytest.fixture
def excluded():
    return CoverageCategory.objects.get(code="database")


@pytest.fixture
def shop():
    account = AccountFactory(number="K-300001", name="Shop GmbH", contact_email="owner@shop.example")
    ContractFactory(account=account, number="V-300001")
    return account


@pytest.fixture
def owner(shop):
    return member(shop, "owner", email="olga@shop.example")


def _ticket(actor, account, category, **kw):
    return services.create_ticket(
        actor=actor,
        subject_account=account,
        category=category,
        subject="Kasse hängt",
        message="Seit heute.",
        **kw,
    )


def test_sup2_seeded_categories():
    excluded = set(CoverageCategory.objects.filter(covered=False).values_list("code", flat=True))
    assert excluded == {
        "operating_system",
        "network",
        "database",
        "hardware",
        "virtualization",
        "terminal_server",
        "third_party",
        "print_report",
        "data_import",
    }
    assert CoverageCategory.objects.filter(covered=True).count() == 3


def test_sup6_entitled_member_files_ticket_with_stored_verdict(owner, shop, covered):
    ticket = _ticket(owner, shop, covered)
    assert ticket.number.startswith("SUP-")
    assert ticket.account == shop and ticket.subject_account == shop and ticket.reference == ""
    assert ticket.verdict == "entitled"
    assert ticket.reasons[0] == {
        "code": "support_contract_open_end",
        "params": {"contract": "V-300001", "since": "2025-01-01"},
    }
    assert ticket.email_domain == "shop.example" and not ticket.billable
    assert ticket.messages.count() == 1
    assert AuditEvent.objects.filter(action="support.ticket.created", target_id=str(ticket.pk)).exists()


def test_sup6_staging_ticket_is_created_from_leading_account(owner, shop, covered):
    staging = services.create_staging_account(actor=owner, account=shop, contact_email="staging@shop.example")
    ticket = _ticket(owner, staging, covered)
    assert ticket.account == shop and ticket.subject_account == staging
    assert ticket.reference == "staging@shop.example"  # no number: the e-mail identifies it
    assert ticket.verdict == "via_leading_account"
    assert [r["code"] for r in ticket.reasons][-1] == "create_from_leading"


def test_sup6_refusal_update_service_only_names_the_chain(covered):
    account = AccountFactory(number="K-300002")
    ContractFactory(account=account, kind="update_service", number="V-300002")
    user = member(account, "owner")
    with pytest.raises(RuleViolation) as caught:
        _ticket(user, account, covered)
    assert caught.value.code == "not_entitled"
    assert "Update service V-300002 only" in str(caught.value.detail)
    assert "Order a support contract" in str(caught.value.detail)
    assert not Ticket.objects.exists()


def test_sup6_refusal_expired_contract(covered):
    account = AccountFactory(number="K-300003")
    ContractFactory(
        account=account, number="V-300003", valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2021, 1, 31)
    )
    user = member(account, "owner")
    with pytest.raises(RuleViolation) as caught:
        _ticket(user, account, covered)
    assert "expired" in str(caught.value.detail) and "V-300003" in str(caught.value.detail)


def test_sup6_refusal_staging_with_unentitled_leading(covered):
    leading = AccountFactory(number="K-300004", contact_email="a@firma.example")
    staging = AccountFactory(
        number="", purpose="staging", leading_account=leading, contact_email="s@firma.example"
    )
    user = member(leading, "owner")
    member(staging, "owner", user=user)
    with pytest.raises(RuleViolation) as caught:
        _ticket(user, staging, covered)
    detail = str(caught.value.detail)
    assert "inherits nothing" in detail and "K-300004" in detail


def test_sup6_staging_member_without_rights_on_leading_is_refused(shop, owner, covered):
    staging = services.create_staging_account(actor=owner, account=shop, contact_email="qa@shop.example")
    tester = member(staging, "member")
    with pytest.raises(NotPermitted) as caught:
        _ticket(tester, staging, covered)
    assert "K-300001" in str(caught.value.detail)


def test_sup6_billable_category_needs_confirmation(owner, shop, excluded):
    with pytest.raises(RuleViolation) as caught:
        _ticket(owner, shop, excluded)
    assert caught.value.code == "billable_not_confirmed"
    ticket = _ticket(owner, shop, excluded, accept_billable=True)
    assert ticket.billable


def test_sup6_outsider_gets_404_billing_role_403(shop, covered):
    with pytest.raises(NotFound):
        _ticket(UserFactory(), shop, covered)
    with pytest.raises(NotPermitted):
        _ticket(member(shop, "billing"), shop, covered)


def test_sup6_managing_partner_files_on_behalf(shop, owner, covered):
    partner = PartnerAccountFactory(number="K-300010")
    tech = member(partner, "tech")
    ManagedAccount.objects.create(
        customer_account=shop, partner_account=partner, scope="technical", status="active"
    )
    access.forget(tech)
    ticket = _ticket(tech, shop, covered)
    assert ticket.filed_by_account == partner
    assert selectors.tickets_visible_to(tech).filter(pk=ticket.pk).exists()
    # The partner does not see the customer's own tickets.
    own = _ticket(owner, shop, covered)
    assert not selectors.tickets_visible_to(tech).filter(pk=own.pk).exists()


def test_sup6_read_scope_partner_may_not_file(shop, covered):
    partner = PartnerAccountFactory()
    tech = member(partner, "tech")
    ManagedAccount.objects.create(
        customer_account=shop, partner_account=partner, scope="read", status="active"
    )
    with pytest.raises(NotPermitted):
        _ticket(tech, shop, covered)


def test_sup6_technical_caretaker_files_on_behalf(shop, owner, covered):
    partner = PartnerAccountFactory()
    tech = member(partner, "tech")
    tenant = TenantFactory(account=shop)
    CaretakerGrant.objects.create(
        tenant=tenant,
        tenant_number=tenant.number,
        customer_account=shop,
        caretaker=tech,
        caretaker_email=tech.email,
        partner_account=partner,
        origin="grant",
        scope="technical",
        status="active",
        requested_by=owner,
    )
    ticket = _ticket(tech, shop, covered, tenant=tenant)
    assert ticket.tenant == tenant and ticket.filed_by_account == partner


def test_sup6_who_sees_which_tickets_and_linked_by_domain(shop, owner, covered):
    staff = member(VendorAccountFactory(), "support")
    sister = AccountFactory(number="K-300020", contact_email="lager@shop.example")
    ContractFactory(account=sister)
    sister_owner = member(sister, "owner")
    first = _ticket(owner, shop, covered)
    second = _ticket(sister_owner, sister, covered)
    outsider = member(AccountFactory(), "owner")
    assert set(selectors.tickets_visible_to(staff)) == {first, second}
    assert set(selectors.tickets_visible_to(owner)) == {first}
    assert set(selectors.tickets_visible_to(outsider)) == set()
    assert list(selectors.linked_tickets(staff, first)) == [second]
    assert list(selectors.linked_tickets(owner, first)) == []  # linked, but not visible to the owner


def test_sup6_status_lifecycle_and_messages(shop, owner, covered):
    staff = member(VendorAccountFactory(), "support")
    ticket = _ticket(owner, shop, covered)
    with pytest.raises(NotPermitted):
        services.change_ticket_status(actor=owner, ticket=ticket, status="closed")
    services.change_ticket_status(actor=staff, ticket=ticket, status="waiting")
    services.add_message(actor=owner, ticket=ticket, body="Hier die Logs.")
    services.change_ticket_status(actor=staff, ticket=ticket, status="closed")
    with pytest.raises(InvalidTransition):
        services.change_ticket_status(actor=staff, ticket=ticket, status="closed")
    with pytest.raises(RuleViolation):
        services.add_message(actor=owner, ticket=ticket, body="Noch was")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None


# --- Staging and simulation accounts (ACC-1, cases D/E) ---


def test_acc1_owner_creates_staging_with_suggested_name(shop, owner):
    staging = services.create_staging_account(actor=owner, account=shop, contact_email="Staging@Shop.example")
    assert staging.name == "Shop GmbH (Staging)" and staging.number == ""
    assert staging.leading_account == shop and staging.purpose == "staging"
    assert staging.contact_email == "staging@shop.example"
    simulation = services.create_staging_account(
        actor=owner, account=shop, purpose="simulation", contact_email="sim@shop.example"
    )
    assert simulation.name == "Shop GmbH (Simulation)"
    assert access.can(owner, "view", staging)


def test_acc1_staging_email_domain_must_match(shop, owner):
    with pytest.raises(RuleViolation) as caught:
        services.create_staging_account(actor=owner, account=shop, contact_email="test@gmail.example")
    assert caught.value.code == "email_domain_mismatch"
    assert "shop.example" in str(caught.value.detail)
    assert "contact_email" in caught.value.fields


def test_acc1_only_owner_creates_staging(shop):
    admin = member(shop, "admin")
    with pytest.raises(NotPermitted):
        services.create_staging_account(actor=admin, account=shop, contact_email="s@shop.example")
    with pytest.raises(NotFound):
        services.create_staging_account(actor=UserFactory(), account=shop, contact_email="s@shop.example")


# --- Contracts (SUP-1) ---


def test_sup1_contracts_by_vendor_staff_audited(shop):
    staff = member(VendorAccountFactory(), "support")
    contact = member(shop, "technical")
    contract = services.create_contract(
        actor=staff,
        account=shop,
        kind="update_service",
        valid_from=dt.date(2026, 1, 1),
        technical_contact=contact,
    )
    assert contract.number.startswith("V-")
    services.update_contract(actor=staff, contract=contract, valid_until=dt.date(2026, 12, 31))
    event = AuditEvent.objects.get(action="support.contract.changed")
    assert event.changes["valid_until"] == "– → 2026-12-31"
    with pytest.raises(RuleViolation):
        services.update_contract(actor=staff, contract=contract, valid_until=dt.date(2025, 1, 1))
    with pytest.raises(RuleViolation) as caught:
        services.create_contract(
            actor=staff,
            account=shop,
            kind="support_contract",
            valid_from=dt.date(2026, 1, 1),
            system_administrator=UserFactory(),
        )
    assert caught.value.code == "contact_not_member"
    with pytest.raises(NotPermitted):
        services.create_contract(
            actor=member(shop, "owner"), account=shop, kind="support_contract", valid_from=dt.date(2026, 1, 1)
        )
