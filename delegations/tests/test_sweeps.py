"""DEL-4: expiry, lapse and reminder jobs — set-based, idempotent, exactly one reminder each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from delegations import services
from delegations.models import CaretakerGrant, Notification
from portal.models import AuditEvent
from tenants.tests.factories import TenantFactory

from .factories import caretakers_of, grant_rights, grant_row, granted, requested


def test_del4_expiry_sweep_ends_due_grants_and_their_rights(w, run_on_commit):
    now = timezone.now()
    due = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=now - timedelta(minutes=1))
    later = grant_row(tenant=w.tenant2, caretaker=w.tech, expires_at=now + timedelta(hours=1))
    endless = grant_row(tenant=w.other_tenant, caretaker=w.tech, expires_at=None)
    # Past its expiry, the grant gives nothing even before the sweep reaches it (DEL-4, read time).
    assert not caretakers_of(w.tenant) and caretakers_of(w.tenant2)
    with run_on_commit():
        assert services.expire_due_grants() == 1
    due.refresh_from_db()
    assert (due.status, due.ended_at is not None) == ("expired", True)
    assert CaretakerGrant.objects.get(pk=later.pk).status == "active"
    assert CaretakerGrant.objects.get(pk=endless.pk).status == "active"
    assert not caretakers_of(w.tenant)
    assert caretakers_of(w.tenant2)
    event = AuditEvent.objects.get(action="delegation.expired")
    assert (event.actor, event.grant_id, event.tenant_id, event.account_id) == (
        None,
        due.pk,
        w.tenant.pk,
        w.customer.pk,
    )
    assert event.changes == {"tenant_number": "T-100001", "scope": "technical", "caretaker": w.tech.email}
    assert event.target_repr == "tech@agentur.example → T-100001 (technical, expired)"
    assert event.target_id == str(due.pk) and event.target_type.model == "caretakergrant"
    assert abs((event.created_at - timezone.now()).total_seconds()) < 60
    # Both sides hear of it.
    assert set(Notification.objects.filter(kind="grant_expired").values_list("user__email", flat=True)) == {
        w.tech.email,
        w.owner.email,
        w.admin.email,
    }
    # Running it again finds nothing.
    assert services.expire_due_grants() == 0


def test_del4_expiry_sweep_works_in_batches(w):
    now = timezone.now()
    tenants = [TenantFactory(account=w.customer) for _ in range(7)]
    for tenant in tenants:
        grant_row(tenant=tenant, caretaker=w.tech, scope="read", expires_at=now - timedelta(seconds=5))
    assert services.expire_due_grants(batch_size=3) == 7
    assert not CaretakerGrant.objects.filter(status="active").exists()
    assert AuditEvent.objects.filter(action="delegation.expired").count() == 7


def test_del4_expiry_keeps_other_caretakers_of_the_same_tenant(w):
    now = timezone.now()
    grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=now - timedelta(seconds=1))
    grant_row(tenant=w.tenant, caretaker=w.sales, scope="read", expires_at=None)
    services.expire_due_grants()
    assert caretakers_of(w.tenant) == {w.sales.email}


def test_del4_lapse_after_30_days_unanswered(w, run_on_commit):
    old_request = requested(w)
    phantom = requested(w, "T-555555")
    fresh = requested(w, w.tenant2.number)
    old_grant = granted(w, "x@example.org")[0]
    CaretakerGrant.objects.filter(pk__in=[old_request.pk, phantom.pk, old_grant.pk]).update(
        created_at=timezone.now() - timedelta(days=30, seconds=1)
    )
    with run_on_commit():
        assert services.lapse_stale_requests() == 3
    statuses = dict(CaretakerGrant.objects.values_list("pk", "status"))
    assert statuses == {
        old_request.pk: "lapsed",
        phantom.pk: "lapsed",
        fresh.pk: "pending",
        old_grant.pk: "lapsed",
    }
    # The requester hears the same about the real and the unknown number; the customer about its invitation.
    lapsed_for_tech = Notification.objects.filter(kind="grant_lapsed", user=w.tech)
    assert sorted(n.data["tenant"] for n in lapsed_for_tech) == ["T-100001", "T-555555"]
    assert Notification.objects.filter(kind="grant_lapsed", user=w.owner, grant=old_grant).exists()
    assert services.lapse_stale_requests() == 0


def _reminded(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("grant_id", "user__email"))


def test_del4_reminders_seven_days_and_one_day_before_to_both_sides_once(w, run_on_commit):
    now = timezone.now()
    in_five_days = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=now + timedelta(days=5))
    in_twenty_days = grant_row(tenant=w.tenant2, caretaker=w.tech, expires_at=now + timedelta(days=20))
    with run_on_commit():
        assert services.send_expiry_reminders(now=now) == {"1d": 0, "7d": 1}
    assert _reminded("grant_reminder_7d") == sorted(
        [(in_five_days.pk, w.tech.email), (in_five_days.pk, w.owner.email), (in_five_days.pk, w.admin.email)]
    )
    reminder_mails = [m for m in mail.outbox if "T-100001" in m.subject]
    assert len(reminder_mails) == 3
    owner_mail = next(m for m in reminder_mails if m.to == [w.owner.email])
    assert f"/delegations/{in_five_days.pk}/extend/" in owner_mail.body  # one click for the customer
    tech_mail = next(m for m in reminder_mails if m.to == [w.tech.email])
    assert "/extend/" not in tech_mail.body
    # Twice more, and later the same day: nothing new.
    with run_on_commit():
        assert services.send_expiry_reminders(now=now) == {"1d": 0, "7d": 0}
        assert services.send_expiry_reminders(now=now + timedelta(hours=3)) == {"1d": 0, "7d": 0}
    assert len(_reminded("grant_reminder_7d")) == 3 and len(mail.outbox) == 3
    # Four days later the one-day reminder is due, once.
    with run_on_commit():
        assert services.send_expiry_reminders(now=now + timedelta(days=4, hours=1)) == {"1d": 1, "7d": 0}
        assert services.send_expiry_reminders(now=now + timedelta(days=4, hours=2)) == {"1d": 0, "7d": 0}
    assert len(_reminded("grant_reminder_1d")) == 3
    assert CaretakerGrant.objects.get(pk=in_twenty_days.pk).reminder_7d_sent_at is None


def test_del4_grant_within_a_day_gets_only_the_one_day_reminder(w, run_on_commit):
    now = timezone.now()
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=now + timedelta(hours=10))
    with run_on_commit():
        assert services.send_expiry_reminders(now=now) == {"1d": 1, "7d": 0}
    grant.refresh_from_db()
    assert grant.reminder_1d_sent_at and grant.reminder_7d_sent_at
    assert not Notification.objects.filter(kind="grant_reminder_7d").exists()


def test_del4_extending_rearms_the_reminders_for_the_new_date(w, run_on_commit):
    grant = services.accept_delegation(
        actor=w.owner, grant=requested(w), expires_on=timezone.localdate() + timedelta(days=3)
    )
    with run_on_commit():
        assert services.send_expiry_reminders()["7d"] == 1
        services.extend_caretaker_access(actor=w.owner, grant=grant)  # +30 days: no reminder due now
        assert services.send_expiry_reminders() == {"1d": 0, "7d": 0}
        later = timezone.now() + timedelta(days=28)
        assert services.send_expiry_reminders(now=later)["7d"] == 1
    # Two distinct 7-day reminders (one per expiry date) for each side.
    assert Notification.objects.filter(kind="grant_reminder_7d", user=w.tech).count() == 2


def test_del4_delivery_twice_notifies_once(w, run_on_commit):
    from delegations.notifications import deliver_grant_event

    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=2))
    assert deliver_grant_event("grant_reminder_7d", [grant.pk]) == 3
    assert deliver_grant_event("grant_reminder_7d", [grant.pk]) == 0
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("language", ["de", "en"])
def test_del4_reminder_mail_in_the_recipients_language(w, run_on_commit, language):
    from django.utils import formats, translation

    w.tech.language = language
    w.tech.save()
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=2))
    with run_on_commit():
        services.send_expiry_reminders()
    tech_mail = next(m for m in mail.outbox if m.to == [w.tech.email])
    with translation.override(language):
        expected = formats.date_format(timezone.localtime(grant.expires_at), "DATETIME_FORMAT")
    assert expected in tech_mail.subject


def test_del6_expiry_keeps_the_other_active_grant_of_the_same_caretaker(w):
    """An expired grant's rights go; another active grant of the same caretaker on the tenant still gives its own."""
    now = timezone.now()
    ending = grant_row(
        tenant=w.tenant, caretaker=w.tech, scope="full_technical", expires_at=now - timedelta(seconds=1)
    )
    # The same caretaker under an older e-mail address, still active with a narrower scope on the same tenant.
    other = grant_row(
        tenant=w.tenant, caretaker=w.tech, scope="read", caretaker_email="old-address@agentur.example"
    )
    services.expire_due_grants()
    assert grant_rights(w.tech, w.tenant) == {"view"}
    assert (CaretakerGrant.objects.get(pk=ending.pk).status, other.status) == ("expired", "active")
