"""Issue 8 §6: one transition table per stateful model — what the pages and the API's ``actions`` offer is
exactly what the services accept, for every user and state (grants: pending request, pending invitation,
active, active past its expiry, revoked; relations: pending, active, active after the notice, dissolved).
The API's ``actions`` field once offered ``dissolve`` to vendor staff before the required notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from delegations import selectors, services
from delegations.models import CaretakerGrant, ManagedAccount
from portal.errors import DomainError

from .factories import grant_row, granted, requested

PEOPLE = (
    "owner",
    "admin",
    "billing",
    "tech",
    "sales",
    "support",
    "other_owner",
    "vendor_support",
    "outsider",
)

GRANT_CALLS = {
    "accept": services.accept_delegation,
    "decline": services.decline_delegation,
    "withdraw": services.withdraw_delegation,
    "revoke": services.revoke_caretaker_access,
    "resign": services.resign_caretaker_access,
    "extend": services.extend_caretaker_access,
}
RELATION_CALLS = {
    "approve": services.approve_management,
    "decline": services.decline_management,
    "withdraw": services.withdraw_management,
    "notify_partner": lambda actor, relation: services.notify_partner_of_dissolution(
        actor=actor, relation=relation, notice="We will dissolve this relation for the owner."
    ),
    "dissolve": services.dissolve_management,
}


def _succeeds(call) -> bool:
    try:
        with transaction.atomic():
            call()
            transaction.set_rollback(True)
    except DomainError:
        return False
    return True


def _grants(w) -> dict[str, CaretakerGrant]:
    return {
        "pending request": requested(w),
        "pending invitation": granted(w, w.tech.email, tenants=[w.tenant2])[0],
        "active": grant_row(
            tenant=w.other_tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=3)
        ),
        "active past expiry": grant_row(
            tenant=w.tenant,
            caretaker=w.support,
            scope="read",
            expires_at=timezone.now() - timedelta(minutes=1),
        ),
        "revoked": grant_row(tenant=w.tenant2, caretaker=w.sales, status="revoked"),
    }


def test_del4_offered_grant_actions_are_exactly_what_the_services_accept(w, api):
    grants = _grants(w)
    for name in PEOPLE:
        user = getattr(w, name)
        listed = {
            row["id"]: row["actions"]
            for row in api(user).get("/api/v1/delegations/?page_size=100").json()["results"]
        }
        for state, grant in grants.items():
            grant = CaretakerGrant.objects.get(pk=grant.pk)
            offered = set(selectors.allowed_actions(user, grant))
            accepted = {
                action
                for action, call in GRANT_CALLS.items()
                if _succeeds(lambda c=call: c(actor=user, grant=grant))
            }
            assert offered == accepted, (name, state, offered, accepted)
            if grant.pk in listed:
                assert set(listed[grant.pk]) == offered, (name, state)
            page_rows = selectors.grant_rows(user, selectors.grants_for(user).filter(pk=grant.pk))
            assert [set(row.actions) for row in page_rows] in ([offered], []), (name, state)


@pytest.mark.parametrize("notified", [False, True])
def test_acc4_offered_relation_actions_are_exactly_what_the_services_accept(w, api, notified):
    pending = services.request_management(
        actor=w.sales, customer_number=w.other_customer.number, scope="read"
    )
    active = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="technical")
    services.approve_management(actor=w.owner, relation=active)
    if notified:
        services.notify_partner_of_dissolution(actor=w.vendor_support, relation=active, notice="Notice.")
    relations = {"pending": pending, "active": active}
    for name in PEOPLE:
        user = getattr(w, name)
        response = api(user).get("/api/v1/managed-accounts/?page_size=100")
        listed = (
            {row["id"]: row["actions"] for row in response.json()["results"]}
            if response.status_code == 200
            else {}
        )
        for state, relation in relations.items():
            relation = ManagedAccount.objects.get(pk=relation.pk)
            offered = set(selectors.allowed_management_actions(user, relation))
            accepted = {
                action
                for action, call in RELATION_CALLS.items()
                if _succeeds(lambda c=call: c(actor=user, relation=relation))
            }
            assert offered == accepted, (name, state, notified, offered, accepted)
            if relation.pk in listed:
                assert set(listed[relation.pk]) == offered, (name, state)
    # Vendor staff: dissolve only after the notice (the API offered it before).
    vendor_offer = set(
        selectors.allowed_management_actions(w.vendor_support, ManagedAccount.objects.get(pk=active.pk))
    )
    assert ("dissolve" in vendor_offer) is notified and ("notify_partner" in vendor_offer) is not notified
