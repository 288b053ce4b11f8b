"""DEL-4: the grant state machine — every transition, every illegal one, who may do what (DEL-7 audit)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from delegations import services
from delegations.models import CaretakerGrant
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent

from .factories import granted, requested

ACTIONS = ("accept", "decline", "withdraw", "revoke", "resign", "extend")
SERVICE = {
    "accept": services.accept_delegation,
    "decline": services.decline_delegation,
    "withdraw": services.withdraw_delegation,
    "revoke": services.revoke_caretaker_access,
    "resign": services.resign_caretaker_access,
    "extend": services.extend_caretaker_access,
}
# Who acts, per origin: the answering side accepts/declines, the initiating side withdraws.
ACTOR = {
    "request": {
        "accept": "owner",
        "decline": "owner",
        "withdraw": "tech",
        "revoke": "owner",
        "resign": "tech",
        "extend": "admin",
    },
    "grant": {
        "accept": "tech",
        "decline": "tech",
        "withdraw": "owner",
        "revoke": "admin",
        "resign": "tech",
        "extend": "owner",
    },
}
LEGAL = {
    "pending": {"accept": "active", "decline": "declined", "withdraw": "withdrawn"},
    "active": {"revoke": "revoked", "resign": "resigned", "extend": "active"},
}
STATES = ("pending", "active", "revoked", "expired", "resigned", "declined", "withdrawn", "lapsed")


def in_state(w, state: str, origin: str) -> CaretakerGrant:
    today = timezone.localdate()
    grant = requested(w) if origin == "request" else granted(w)[0]
    if state == "pending":
        return grant
    if state in ("declined", "withdrawn"):
        action = "decline" if state == "declined" else "withdraw"
        return SERVICE[action](actor=getattr(w, ACTOR[origin][action]), grant=grant)
    if state == "lapsed":
        CaretakerGrant.objects.filter(pk=grant.pk).update(created_at=timezone.now() - timedelta(days=31))
        assert services.lapse_stale_requests() == 1
        return CaretakerGrant.objects.get(pk=grant.pk)
    if origin == "request":
        grant = services.accept_delegation(actor=w.owner, grant=grant, expires_on=today + timedelta(days=20))
    else:
        grant = services.accept_delegation(actor=w.tech, grant=grant)
        CaretakerGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(days=20))
    if state == "active":
        return CaretakerGrant.objects.get(pk=grant.pk)
    if state == "expired":
        CaretakerGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        assert services.expire_due_grants() == 1
        return CaretakerGrant.objects.get(pk=grant.pk)
    action = "revoke" if state == "revoked" else "resign"
    return SERVICE[action](actor=getattr(w, ACTOR[origin][action]), grant=grant)


@pytest.mark.parametrize("origin", ["request", "grant"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_del4_state_machine(w, origin, state, action):
    grant = in_state(w, state, origin)
    assert grant.status == state
    actor = getattr(w, ACTOR[origin][action])
    before_events = AuditEvent.objects.filter(grant=grant).count()
    target = LEGAL.get(state, {}).get(action)
    if target is None:
        with pytest.raises(InvalidTransition):
            SERVICE[action](actor=actor, grant=grant)
        after = CaretakerGrant.objects.get(pk=grant.pk)
        assert (after.status, after.expires_at) == (grant.status, grant.expires_at)
        assert AuditEvent.objects.filter(grant=grant).count() == before_events
        return
    result = SERVICE[action](actor=actor, grant=grant)
    stored = CaretakerGrant.objects.get(pk=grant.pk)
    assert result.status == stored.status == target
    event = AuditEvent.objects.filter(grant=grant).order_by("-id").first()
    assert event.actor == actor and event.action.startswith("delegation.")
    assert event.account_id == w.customer.pk and event.tenant_id == w.tenant.pk
    if action == "extend":
        assert stored.expires_at == grant.expires_at + services.EXTENSION
    if target in ("revoked", "resigned", "withdrawn"):
        assert stored.ended_at is not None and stored.ended_by == actor
    if target in ("active", "declined") and action != "extend":
        assert stored.decided_at is not None and stored.decided_by == actor


@pytest.mark.parametrize("origin", ["request", "grant"])
def test_del4_past_expiry_counts_as_expired_before_the_sweep(w, origin):
    grant = in_state(w, "active", origin)
    CaretakerGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    grant.refresh_from_db()
    assert grant.effective_status == "expired"
    with pytest.raises(InvalidTransition):
        services.extend_caretaker_access(actor=w.owner, grant=grant)
    # Ending it by hand still works and is recorded as such.
    assert services.revoke_caretaker_access(actor=w.owner, grant=grant).status == "revoked"


# --- Who may ---------------------------------------------------------------------------------

# (origin, action) → actors refused with 403 (they see the grant) and 404 (they do not).
REFUSED = {
    # sales is the partner's admin: it sees its staff's requests, but answers none.
    ("request", "accept"): (["tech", "sales"], ["billing", "technical", "other_owner", "outsider"]),
    ("request", "withdraw"): (["owner", "admin", "sales"], ["support", "other_owner", "outsider"]),
    ("grant", "accept"): (["owner", "admin"], ["sales", "other_owner", "outsider"]),
    ("grant", "withdraw"): (["tech"], ["billing", "other_owner", "outsider"]),
}


@pytest.mark.parametrize(("origin", "action"), list(REFUSED))
def test_del4_answers_only_by_the_right_side(w, origin, action):
    refused_403, refused_404 = REFUSED[(origin, action)]
    grant = in_state(w, "pending", origin)
    for who in refused_403 + refused_404:
        expected = (
            NotPermitted if who in refused_403 else NotFound
        )  # billing/technical members see no delegations
        with pytest.raises(expected):
            SERVICE[action](actor=getattr(w, who), grant=grant)
    assert CaretakerGrant.objects.get(pk=grant.pk).status == "pending"


@pytest.mark.parametrize("origin", ["request", "grant"])
def test_del4_only_the_customer_revokes_and_extends_only_the_caretaker_resigns(w, origin):
    grant = in_state(w, "active", origin)
    for action, refused in (("revoke", "tech"), ("extend", "tech"), ("resign", "owner"), ("resign", "admin")):
        with pytest.raises(NotPermitted):
            SERVICE[action](actor=getattr(w, refused), grant=grant)
    for action in ("revoke", "resign", "extend"):
        with pytest.raises(NotFound):
            SERVICE[action](actor=w.other_owner, grant=grant)
    assert CaretakerGrant.objects.get(pk=grant.pk).status == "active"


def test_del4_customer_sets_an_expiry_when_accepting_a_request(w):
    grant = requested(w)
    day = timezone.localdate() + timedelta(days=3)
    grant = services.accept_delegation(actor=w.owner, grant=grant, expires_on=day)
    assert timezone.localtime(grant.expires_at).date() == day + timedelta(days=1)


def test_del4_caretaker_cannot_set_the_expiry(w):
    grant = granted(w)[0]
    with pytest.raises(RuleViolation):
        services.accept_delegation(actor=w.tech, grant=grant, expires_on=timezone.localdate())
    assert CaretakerGrant.objects.get(pk=grant.pk).status == "pending"


def test_del4_extend_to_a_chosen_date_and_refuse_an_earlier_one(w):
    grant = in_state(w, "active", "request")
    later = timezone.localdate() + timedelta(days=60)
    grant = services.extend_caretaker_access(actor=w.owner, grant=grant, expires_on=later)
    assert timezone.localtime(grant.expires_at).date() == later + timedelta(days=1)
    with pytest.raises(RuleViolation) as caught:
        services.extend_caretaker_access(
            actor=w.owner, grant=grant, expires_on=timezone.localdate() + timedelta(days=5)
        )
    assert caught.value.code == "expiry_not_later"


def test_del4_grant_without_expiry_cannot_be_extended(w):
    grant = services.accept_delegation(actor=w.owner, grant=requested(w))
    with pytest.raises(RuleViolation) as caught:
        services.extend_caretaker_access(actor=w.owner, grant=grant)
    assert caught.value.code == "grant_has_no_expiry"


def test_del4_accepting_after_the_expiry_date_passed_is_refused(w):
    grant = granted(w, expires_on=timezone.localdate())[0]
    CaretakerGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvalidTransition) as caught:
        services.accept_delegation(actor=w.tech, grant=grant)
    assert caught.value.code == "grant_expiry_passed"


def test_del4_request_for_a_tenant_that_moved_cannot_be_accepted(w):
    grant = requested(w)
    from tenants.models import Tenant

    tenant = Tenant.objects.get(pk=w.tenant.pk)
    tenant.account = w.other_customer
    tenant._transfer_approved = True
    tenant.save()
    from accounts.tests.factories import member

    member(w.customer, "owner", user=w.other_owner)
    with pytest.raises(InvalidTransition) as caught:
        services.accept_delegation(actor=w.owner, grant=grant)
    assert caught.value.code == "tenant_moved"


def test_del4_a_new_request_is_possible_after_the_old_one_ended(w):
    grant = requested(w)
    services.decline_delegation(actor=w.owner, grant=grant)
    again = requested(w)
    assert again.pk != grant.pk and again.status == "pending"
