"""DEL-4 in production shape: the beat schedule's expiry task, run by a real Celery worker on Redis."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from delegations.models import CaretakerGrant
from portal.celery import app
from portal.models import AuditEvent

from .factories import caretakers_of, grant_row, make_world


def test_del4_beat_schedule_runs_the_sweeps():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["delegations-expire-grants"] == {
        "task": "delegations.tasks.expire_grants",
        "schedule": 60.0,
    }
    for entry in ("delegations-expire-grants", "delegations-send-reminders", "delegations-lapse-requests"):
        assert schedule[entry]["task"] in app.tasks


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not finish in time"
        time.sleep(0.1)


@pytest.mark.celery_worker
def test_del4_real_worker_expires_a_grant_through_the_beat_task(celery_worker_redis):
    w = make_world()
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() - timedelta(seconds=1))
    keep = grant_row(tenant=w.tenant2, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=1))
    assert not caretakers_of(w.tenant)  # past its expiry: no rights, even before the sweep (DEL-4)
    # Sent by name, as celery beat sends it; the worker commits, the test reads the database.
    app.send_task(settings.CELERY_BEAT_SCHEDULE["delegations-expire-grants"]["task"])
    _wait_for(lambda: CaretakerGrant.objects.get(pk=grant.pk).status == "expired")
    assert not caretakers_of(w.tenant)
    assert CaretakerGrant.objects.get(pk=keep.pk).status == "active"
    # A second run only takes what has become due since.
    later = grant_row(
        tenant=w.other_tenant, caretaker=w.tech, expires_at=timezone.now() - timedelta(seconds=1)
    )
    app.send_task("delegations.tasks.expire_grants")
    _wait_for(lambda: CaretakerGrant.objects.get(pk=later.pk).status == "expired")
    assert AuditEvent.objects.filter(action="delegation.expired", grant=grant).count() == 1
