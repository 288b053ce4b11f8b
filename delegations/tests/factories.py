"""Test data for delegations: a small world of accounts and users, and grants in any state.

Grants in a state are reached through the services wherever a test is about behaviour; ``grant_row`` writes
a row directly (with its permissions recomputed) for tests that need many rows or a given timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import factory
from django.utils import timezone

from accounts.models import Account, User
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, VendorAccountFactory, member
from portal import access
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

from ..models import CaretakerGrant, GrantOrigin, GrantStatus


@dataclass
class World:
    customer: Account
    owner: User
    admin: User
    billing: User
    technical: User
    tenant: Tenant
    tenant2: Tenant
    partner: Account
    tech: User  # partner role tech: may request caretaker access
    sales: User  # partner roles admin + sales: may request management
    support: User  # partner role support
    other_customer: Account
    other_owner: User
    other_tenant: Tenant
    vendor: Account
    vendor_support: User
    outsider: User  # no membership at all


def make_world() -> World:
    customer = AccountFactory(name="Kunde GmbH")
    partner = PartnerAccountFactory(name="Agentur Test")
    other_customer = AccountFactory(name="Andere AG")
    vendor = VendorAccountFactory(name="Vendor")
    from accounts.tests.factories import UserFactory

    return World(
        customer=customer,
        owner=member(customer, "owner", email="owner@kunde.example"),
        admin=member(customer, "admin", email="admin@kunde.example"),
        billing=member(customer, "billing", email="billing@kunde.example"),
        technical=member(customer, "technical", email="technical@kunde.example"),
        tenant=TenantFactory(account=customer, number="T-100001", name="Kunde Webshop"),
        tenant2=TenantFactory(account=customer, number="T-100002", name="Kunde Lager"),
        partner=partner,
        tech=member(partner, "tech", email="tech@agentur.example"),
        sales=member(partner, "admin", "sales", email="sales@agentur.example"),
        support=member(partner, "support", email="support@agentur.example"),
        other_customer=other_customer,
        other_owner=member(other_customer, "owner", email="owner@andere.example"),
        other_tenant=TenantFactory(account=other_customer, number="T-100009", name="Andere ERP"),
        vendor=vendor,
        vendor_support=member(vendor, "support", email="support@vendor.example"),
        outsider=UserFactory(email="nobody@nowhere.example"),
    )


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaretakerGrant

    tenant = factory.SubFactory(TenantFactory)
    tenant_number = factory.LazyAttribute(lambda o: o.tenant.number)
    customer_account = factory.LazyAttribute(lambda o: o.tenant.account)
    caretaker_email = factory.LazyAttribute(
        lambda o: o.caretaker.email if o.caretaker else "caretaker@example.org"
    )
    origin = GrantOrigin.GRANT
    scope = "technical"
    status = GrantStatus.PENDING


def grant_row(
    *,
    tenant: Tenant,
    caretaker: User,
    scope: str = "technical",
    status: str = GrantStatus.ACTIVE,
    expires_at: datetime | None = None,
    origin: str = GrantOrigin.GRANT,
    **fields,
) -> CaretakerGrant:
    """A grant row in ``status`` (the authority reads rights from the row itself)."""
    decided = {"decided_at": timezone.now()} if status != GrantStatus.PENDING else {}
    grant = GrantFactory(
        tenant=tenant,
        caretaker=caretaker,
        scope=scope,
        status=status,
        expires_at=expires_at,
        origin=origin,
        **{**decided, **fields},
    )
    return grant


# --- Through the services ---------------------------------------------------------------------


def requested(
    w: World, tenant_number: str | None = None, *, actor: User | None = None, scope: str = "technical"
) -> CaretakerGrant:
    """A partner's pending request (DEL-1), as the partner's tech user sends it."""
    from .. import services

    actor = actor or w.tech
    number = tenant_number or w.tenant.number
    services.request_caretaker_access(
        actor=actor, tenant_number=number, scope=scope, partner_account=w.partner
    )
    return CaretakerGrant.objects.get(tenant_number=number, caretaker_email=actor.email, status="pending")


def accepted_request(w: World, *, scope: str = "technical", expires_on=None) -> CaretakerGrant:
    from .. import services

    grant = requested(w, scope=scope)
    return services.accept_delegation(actor=w.owner, grant=grant, expires_on=expires_on)


def granted(
    w: World, email: str | None = None, *, tenants=None, scope: str = "technical", expires_on=None
) -> list[CaretakerGrant]:
    """A customer's pending grant (DEL-2) to ``email`` (default: the partner's tech user)."""
    from .. import services

    return services.grant_caretaker_access(
        actor=w.owner,
        tenants=tenants or [w.tenant],
        email=email or w.tech.email,
        scope=scope,
        expires_on=expires_on,
    )


def caretakers_of(tenant) -> set[str]:
    """E-mails of the users who reach ``tenant`` through a caretaker grant (the authority's explanation)."""
    from tenants.models import Tenant

    explanation = access.explain(Tenant.objects.get(pk=tenant.pk))
    users = explanation.users()
    return {
        users[user_id].email
        for user_id, reasons in explanation.reasons.items()
        if any(reason.source == "caretaker_grant" for reason in reasons)
    }


def grant_rights(user, tenant) -> frozenset[str]:
    """What ``user`` holds on ``tenant`` through caretaker grants."""
    from tenants.models import Tenant

    reasons = access.explain(Tenant.objects.get(pk=tenant.pk), user=user).reasons.get(user.pk, [])
    return frozenset().union(*(r.rights for r in reasons if r.source == "caretaker_grant"))
