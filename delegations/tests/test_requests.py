"""DEL-1: a partner asks for caretaker access by tenant number; no enumeration; rate limits."""

from __future__ import annotations

import pytest
from django.core import mail

from delegations import services
from delegations.models import CaretakerGrant, Notification
from portal.errors import NotPermitted, RateLimited, RuleViolation
from portal.models import AuditEvent, RequestCounter

from .factories import requested


def test_del1_request_creates_pending_grant_and_notifies_owners_and_admins(w, run_on_commit):
    with run_on_commit():
        result = services.request_caretaker_access(
            actor=w.tech,
            tenant_number=" t-100001 ",
            scope="technical",
            message="Update vorbereiten",
            partner_account=w.partner,
        )
    assert result == "requested"  # the same for an unknown number: nothing tells whether the tenant exists
    grant = CaretakerGrant.objects.get()
    assert (grant.tenant, grant.customer_account, grant.caretaker, grant.status) == (
        w.tenant,
        w.customer,
        w.tech,
        "pending",
    )
    assert (grant.origin, grant.scope, grant.partner_account, grant.requested_by) == (
        "request",
        "technical",
        w.partner,
        w.tech,
    )
    notified = set(Notification.objects.filter(kind="request_received").values_list("user__email", flat=True))
    assert notified == {w.owner.email, w.admin.email}  # not billing, not technical, not the requester
    assert sorted(m.to[0] for m in mail.outbox) == sorted([w.owner.email, w.admin.email])
    assert "T-100001" in mail.outbox[0].body and "Update vorbereiten" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="delegation.requested")
    assert (event.actor, event.acting_account, event.grant, event.tenant, event.account) == (
        w.tech,
        w.partner,
        grant,
        w.tenant,
        w.customer,
    )


def test_del1_unknown_number_is_stored_like_a_real_request_but_reaches_nobody(w, run_on_commit):
    with run_on_commit():
        services.request_caretaker_access(
            actor=w.tech, tenant_number="T-999999", scope="read", partner_account=w.partner
        )
    grant = CaretakerGrant.objects.get()
    assert (grant.tenant, grant.customer_account, grant.status, grant.tenant_number) == (
        None,
        None,
        "pending",
        "T-999999",
    )
    assert mail.outbox == [] and not Notification.objects.exists()
    # The requester's audit line reads the same as for an existing tenant.
    assert (
        AuditEvent.objects.get(action="delegation.requested").target_repr
        == "tech@agentur.example → T-999999 (read, pending)"
    )


def test_del1_repeated_request_adds_nothing_and_answers_the_same(w):
    requested(w)
    services.request_caretaker_access(
        actor=w.tech, tenant_number=w.tenant.number, scope="read", partner_account=w.partner
    )
    services.request_caretaker_access(
        actor=w.tech, tenant_number="T-999999", scope="read", partner_account=w.partner
    )
    services.request_caretaker_access(
        actor=w.tech, tenant_number="T-999999", scope="read", partner_account=w.partner
    )
    assert CaretakerGrant.objects.count() == 2


@pytest.mark.parametrize("who", ["sales", "support", "owner", "outsider"])
def test_del1_only_partner_tech_staff_may_request(w, who):
    with pytest.raises(NotPermitted):
        services.request_caretaker_access(actor=getattr(w, who), tenant_number=w.tenant.number, scope="read")
    assert not CaretakerGrant.objects.exists()


def test_del1_partner_account_is_found_when_the_user_has_one(w):
    services.request_caretaker_access(actor=w.tech, tenant_number=w.tenant.number, scope="read")
    assert CaretakerGrant.objects.get().partner_account == w.partner


@pytest.mark.parametrize(
    ("number", "scope", "message", "code"),
    [
        ("", "read", "", "invalid_tenant_number"),
        ("T-" + "1" * 30, "read", "", "invalid_tenant_number"),
        ("T-100001", "billing", "", "invalid_scope"),
        ("T-100001", "read", "x" * 2001, "message_too_long"),
    ],
)
def test_del1_bad_input_is_refused_and_nothing_is_stored(w, number, scope, message, code):
    with pytest.raises(RuleViolation) as caught:
        services.request_caretaker_access(
            actor=w.tech, tenant_number=number, scope=scope, message=message, partner_account=w.partner
        )
    assert caught.value.code == code
    assert not CaretakerGrant.objects.exists() and not RequestCounter.objects.exists()


def test_del1_rate_limit_per_user(w, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "3/hour",
            "delegation_request_account": "100/hour",
        },
    }
    for n in range(3):
        services.request_caretaker_access(
            actor=w.tech, tenant_number=f"T-90000{n}", scope="read", partner_account=w.partner
        )
    with pytest.raises(RateLimited) as caught:
        services.request_caretaker_access(
            actor=w.tech, tenant_number="T-100001", scope="read", partner_account=w.partner
        )
    assert caught.value.status_code == 429
    assert "at most 3 per" in str(caught.value.detail) and "try again in" in str(caught.value.detail)
    assert not CaretakerGrant.objects.filter(tenant_number="T-100001").exists()
    # Another user of the same partner still may (the account limit is higher).
    other_tech = w.tech.__class__.objects.create_user(email="tech2@agentur.example")
    from accounts.tests.factories import member

    member(w.partner, "tech", user=other_tech)
    services.request_caretaker_access(
        actor=other_tech, tenant_number="T-100001", scope="read", partner_account=w.partner
    )
    assert CaretakerGrant.objects.filter(tenant_number="T-100001").count() == 1


def test_del1_rate_limit_per_partner_account(w, settings):
    from accounts.tests.factories import member

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "100/hour",
            "delegation_request_account": "2/hour",
        },
    }
    colleague = member(w.partner, "tech", email="colleague@agentur.example")
    services.request_caretaker_access(
        actor=w.tech, tenant_number="T-900001", scope="read", partner_account=w.partner
    )
    services.request_caretaker_access(
        actor=colleague, tenant_number="T-900002", scope="read", partner_account=w.partner
    )
    with pytest.raises(RateLimited) as caught:
        services.request_caretaker_access(
            actor=colleague, tenant_number="T-900003", scope="read", partner_account=w.partner
        )
    assert "partner account" in str(caught.value.detail)
    assert CaretakerGrant.objects.count() == 2


def test_del1_rate_limit_counts_unknown_numbers_alike(w, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "2/hour",
            "delegation_request_account": "100/hour",
        },
    }
    services.request_caretaker_access(
        actor=w.tech, tenant_number="T-999998", scope="read", partner_account=w.partner
    )
    services.request_caretaker_access(
        actor=w.tech, tenant_number=w.tenant.number, scope="read", partner_account=w.partner
    )
    with pytest.raises(RateLimited):
        services.request_caretaker_access(
            actor=w.tech, tenant_number="T-999997", scope="read", partner_account=w.partner
        )


def test_del1_rate_limit_window_resets(w, settings):
    from datetime import timedelta

    from django.utils import timezone

    from portal import ratelimit

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "1/hour",
            "delegation_request_account": "100/hour",
        },
    }
    now = timezone.now()
    ratelimit.hit("delegation_request_user", "u1", now=now)
    with pytest.raises(RateLimited):
        ratelimit.hit("delegation_request_user", "u1", now=now)
    ratelimit.hit("delegation_request_user", "u1", now=now + timedelta(hours=1))
    ratelimit.hit("delegation_request_user", "u2", now=now)
