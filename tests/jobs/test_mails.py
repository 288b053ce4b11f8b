"""One mail per event, however often its job runs (redelivery, a retry after a transient error, a re-run from
the admin). Tests ACC-2 (invitation), DEL-2 (grant link), DEL-1/DEL-4 (notices) through the outbox."""

from __future__ import annotations

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from accounts import services as account_services
from delegations import services as delegation_services
from delegations.models import Notification
from delegations.tests.factories import make_world
from portal import outbox
from portal.celery import app
from portal.models import JobStatus, OutboxJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.01


def _run_again(job: OutboxJob) -> None:
    """The job's message once more: a redelivery (nothing to do) and a re-run after a failure (the body runs,
    its effects do not repeat)."""
    task = app.tasks[job.task_name]
    task.apply(kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk})
    OutboxJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    outbox.rerun([job.pk])
    task.apply(kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk})
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def test_del2_grant_link_is_mailed_once_however_often_its_job_runs(django_capture_on_commit_callbacks):
    w = make_world()
    with django_capture_on_commit_callbacks(execute=True):
        delegation_services.grant_caretaker_access(
            actor=w.owner, tenants=[w.tenant, w.tenant2], email="helper@example.org", scope="read"
        )
    job = OutboxJob.objects.get(task_name="delegations.tasks.send_grant_link")
    assert job.dedupe_key == f"grant-link:{job.kwargs['invitation_id']}"
    assert [m.to for m in mail.outbox] == [["helper@example.org"]]
    _run_again(job)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == outbox.message_id_for(job.dedupe_key)


def test_del1_notice_whose_mail_fails_with_smtp_4xx_is_retried_and_arrives_once(
    django_capture_on_commit_callbacks,
):
    """A 451 from the mail server rolls back the notice and its mail together; the retry delivers both, once
    per recipient (owners and admins of the customer)."""
    w = make_world()
    real_send = EmailMessage.send
    calls = []

    def flaky_send(message, fail_silently=False):
        calls.append(message.to[0])
        if len(calls) == 2:  # the second recipient's mail, first attempt
            raise smtplib.SMTPResponseException(451, b"4.3.0 try again later")
        return real_send(message, fail_silently)

    with (
        mock.patch.object(EmailMessage, "send", flaky_send),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delegation_services.request_caretaker_access(
            actor=w.tech, tenant_number=w.tenant.number, scope="read", message="Bitte"
        )
    job = OutboxJob.objects.get(task_name="delegations.tasks.deliver_notifications")
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert "451" in job.last_error
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([w.owner.email, w.admin.email])  # each once, although the job ran twice
    assert Notification.objects.filter(kind="request_received").count() == 2
    _run_again(job)
    assert len(mail.outbox) == 2 and Notification.objects.filter(kind="request_received").count() == 2


def test_acc2_invitation_mail_is_a_job_of_the_inviting_transaction_and_sent_once(
    django_capture_on_commit_callbacks,
):
    w = make_world()
    with django_capture_on_commit_callbacks(execute=True):
        account_services.invite_member(
            actor=w.owner, account=w.customer, email="new.member@example.org", roles=["billing"]
        )
    job = OutboxJob.objects.get(task_name="accounts.tasks.send_invitation_mail")
    assert job.status == JobStatus.DONE
    assert [m.to for m in mail.outbox] == [["new.member@example.org"]] and "/reset/" in mail.outbox[0].body
    _run_again(job)
    assert len(mail.outbox) == 1
