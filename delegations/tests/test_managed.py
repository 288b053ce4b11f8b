"""ACC-4: managed accounts — the owner approves, the partner's members get scope ∩ role on every tenant,
present and future; the owner dissolves at once; vendor staff only after notifying the partner."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.tests.factories import PartnerAccountFactory, member
from delegations import services
from delegations.models import ManagedAccount, Notification
from delegations.selectors import managing_partner_of
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from tenants import services as tenant_services
from tenants.models import Tenant


def _request(w, scope="technical"):
    return services.request_management(
        actor=w.sales, customer_number=w.customer.number, scope=scope, partner_account=w.partner
    )


def _active(w, scope="technical"):
    return services.approve_management(actor=w.owner, relation=_request(w, scope))


def _tenants(user):
    access.forget(user)
    return set(access.visible(user, Tenant).values_list("number", flat=True))


def test_acc4_request_notifies_the_owners(w, run_on_commit):
    with run_on_commit():
        relation = _request(w)
    assert (relation.status, relation.partner_account, relation.requested_by) == (
        "pending",
        w.partner,
        w.sales,
    )
    assert set(
        Notification.objects.filter(kind="management_requested").values_list("user__email", flat=True)
    ) == {w.owner.email}
    assert [m.to for m in mail.outbox] == [[w.owner.email]]
    assert AuditEvent.objects.filter(action="management.requested", account=w.customer).exists()


@pytest.mark.parametrize("who", ["tech", "support", "owner"])
def test_acc4_only_partner_admin_or_sales_request(w, who):
    with pytest.raises(NotPermitted):
        services.request_management(actor=getattr(w, who), customer_number=w.customer.number, scope="read")


def test_acc4_unknown_customer_number_and_duplicates(w):
    """Issue 10: an unknown number is stored as typed, like a caretaker request (no enumeration); a partner
    account is no customer; asking again while pending stores nothing new."""
    unknown = services.request_management(
        actor=w.sales, customer_number="k-999999 ", scope="read", partner_account=w.partner
    )
    assert (unknown.customer_account, unknown.customer_number, unknown.status) == (
        None,
        "K-999999",
        "pending",
    )
    not_a_customer = services.request_management(
        actor=w.sales, customer_number=w.partner.number, scope="read"
    )
    assert not_a_customer.customer_account is None
    first = _request(w)
    assert _request(w) == first
    assert ManagedAccount.objects.filter(customer_account=w.customer).count() == 1
    with pytest.raises(NotFound):  # no owner sees, let alone approves, a request without an account
        services.approve_management(actor=w.owner, relation=unknown)


def test_acc4_only_the_owner_approves(w):
    relation = _request(w)
    for who in ("admin", "billing", "technical"):
        with pytest.raises(NotPermitted):
            services.approve_management(actor=getattr(w, who), relation=relation)
    for who in ("other_owner", "outsider"):
        with pytest.raises(NotFound):
            services.approve_management(actor=getattr(w, who), relation=relation)
    with pytest.raises(NotPermitted):
        services.approve_management(actor=w.sales, relation=relation)  # the partner sees it, cannot approve
    assert ManagedAccount.objects.get().status == "pending"


def test_acc4_active_relation_gives_scope_and_role_rights_on_all_tenants(w):
    assert _tenants(w.tech) == set()
    _active(w, scope="technical")
    assert _tenants(w.tech) == {"T-100001", "T-100002"}
    assert _tenants(w.support) == {"T-100001", "T-100002"}
    tenant = Tenant.objects.get(pk=w.tenant.pk)
    # tech: its role ∩ technical scope; support: view only; sales: view + change, but never billing.
    assert access.rights(w.tech, tenant) == {"view", "change", "run_check", "deploy"}
    assert access.rights(w.support, tenant) == {"view"}
    assert access.rights(w.sales, tenant) == {"view", "change"}
    assert not access.can(w.sales, "view_billing", tenant) and not access.can(w.sales, "book", tenant)
    assert not access.can(w.sales, "manage_members", w.customer) and not access.can(
        w.sales, "transfer", w.customer
    )
    assert _tenants(w.tech) & {"T-100009"} == set()


def test_acc4_future_tenants_of_a_managed_account_get_the_partners_rights(w):
    _active(w, scope="read")
    tenant = tenant_services.create_tenant(actor=w.owner, account=w.customer, name="Neuer Shop")
    assert tenant.number in _tenants(w.tech)
    assert access.rights(w.tech, tenant) == {"view"}


def test_acc4_owner_dissolves_at_once(w, run_on_commit):
    relation = _active(w)
    with run_on_commit():
        services.dissolve_management(actor=w.owner, relation=relation, reason="Wir machen es selbst.")
    assert ManagedAccount.objects.get().status == "dissolved"
    assert _tenants(w.tech) == set()
    notified = set(
        Notification.objects.filter(kind="management_dissolved").values_list("user__email", flat=True)
    )
    assert notified == {w.sales.email}  # the partner's admin (and requester); not the owner who did it
    event = AuditEvent.objects.get(action="management.dissolved")
    assert event.changes["on_behalf_of_owner"] is False and event.account == w.customer


def test_acc4_vendor_staff_dissolve_only_after_notifying_the_partner(w, run_on_commit):
    relation = _active(w)
    with pytest.raises(RuleViolation) as caught:
        services.dissolve_management(actor=w.vendor_support, relation=relation)
    assert caught.value.code == "partner_not_notified"
    with pytest.raises(NotPermitted):
        services.notify_partner_of_dissolution(actor=w.owner, relation=relation, notice="x")
    with pytest.raises(RuleViolation):
        services.notify_partner_of_dissolution(actor=w.vendor_support, relation=relation, notice="  ")
    with run_on_commit():
        services.notify_partner_of_dissolution(
            actor=w.vendor_support, relation=relation, notice="Der Kunde hat uns um Auflösung gebeten."
        )
    relation.refresh_from_db()
    assert relation.partner_notified_at is not None and "Auflösung" in relation.partner_notice
    notice = Notification.objects.get(kind="management_dissolution_notice")
    assert notice.user == w.sales
    assert any("Auflösung" in m.body for m in mail.outbox if m.to == [w.sales.email])
    with pytest.raises(InvalidTransition):
        services.notify_partner_of_dissolution(actor=w.vendor_support, relation=relation, notice="again")
    services.dissolve_management(actor=w.vendor_support, relation=relation, reason="Auf Wunsch des Inhabers")
    assert ManagedAccount.objects.get().status == "dissolved" and _tenants(w.tech) == set()
    assert AuditEvent.objects.get(action="management.dissolved").changes["on_behalf_of_owner"] is True


def test_acc4_partner_cannot_dissolve_and_admin_of_customer_cannot_either(w):
    relation = _active(w)
    for who in ("sales", "admin"):
        with pytest.raises(NotPermitted):
            services.dissolve_management(actor=getattr(w, who), relation=relation)
    assert ManagedAccount.objects.get().status == "active"


def test_acc4_decline_and_withdraw(w):
    relation = services.decline_management(actor=w.owner, relation=_request(w), reason="Nein danke")
    assert relation.status == "declined"
    with pytest.raises(InvalidTransition):
        services.approve_management(actor=w.owner, relation=relation)
    second = services.withdraw_management(actor=w.sales, relation=_request(w))
    assert second.status == "withdrawn"
    with pytest.raises(NotPermitted):
        services.withdraw_management(actor=w.owner, relation=_request(w))


def test_acc4_one_managing_partner_at_a_time(w):
    _active(w)
    second_account = PartnerAccountFactory(name="Zweite Agentur")
    other_partner = member(second_account, "admin", "sales", email="sales@zweite.example")
    relation = services.request_management(
        actor=other_partner, customer_number=w.customer.number, scope="read"
    )
    with pytest.raises(InvalidTransition) as caught:
        services.approve_management(actor=w.owner, relation=relation)
    assert caught.value.code == "already_managed"
    assert managing_partner_of(w.customer) == w.partner
    # Asking again for an account the partner already manages stores nothing new (and answers the same).
    assert _request(w).status == "active"
    assert ManagedAccount.objects.filter(partner_account=w.partner).count() == 1


def test_acc4_profile_names_the_customer_and_the_partner_as_contact(w):
    assert managing_partner_of(w.customer) is None
    relation = _active(w)
    assert managing_partner_of(w.customer) == w.partner
    assert w.customer.name == "Kunde GmbH"  # the customer stays the company
    services.dissolve_management(actor=w.owner, relation=relation)
    assert managing_partner_of(w.customer) is None


@pytest.mark.parametrize("state", ["declined", "withdrawn", "dissolved"])
def test_acc4_ended_relations_allow_nothing(w, state):
    relation = _request(w)
    if state == "declined":
        relation = services.decline_management(actor=w.owner, relation=relation)
    elif state == "withdrawn":
        relation = services.withdraw_management(actor=w.sales, relation=relation)
    else:
        relation = services.dissolve_management(
            actor=w.owner, relation=services.approve_management(actor=w.owner, relation=relation)
        )
    for call in (
        lambda: services.approve_management(actor=w.owner, relation=relation),
        lambda: services.decline_management(actor=w.owner, relation=relation),
        lambda: services.withdraw_management(actor=w.sales, relation=relation),
        lambda: services.dissolve_management(actor=w.owner, relation=relation),
    ):
        with pytest.raises(InvalidTransition):
            call()
    assert ManagedAccount.objects.get().status == state
