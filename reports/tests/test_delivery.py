"""REP-4: a webhook receiver in the test verifies the signature and answers 500 once: the outbox retries and
the delivery log shows both attempts; re-send; SSRF refusal; e-mail with the CSV attached, once; the beat
creates one delivery per destination and period."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from portal import outbox
from portal.celery import app
from portal.errors import RuleViolation
from portal.models import JobStatus, OutboxJob
from reports import services, tasks, webhooks
from reports.models import Content, Delivery, DeliveryStatus
from reports.tests.helpers import license_, make_world

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server: records each request, answers with the next status from ``statuses``."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?source=portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allow_local(settings):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True


def _yesterday():
    return timezone.localdate() - dt.timedelta(days=1)


def _issued_yesterday(w):
    at = timezone.make_aware(dt.datetime.combine(_yesterday(), dt.time(10)))
    lic = license_(w.reseller, w.customer, w.product, issued_at=at)
    license_(w.other_reseller, w.other_customer, w.product, issued_at=at)  # not the reseller's
    license_(w.reseller, w.customer, w.product)  # today: tomorrow's delivery
    return lic


def test_rep4_webhook_is_signed_retried_after_500_logged_and_resent(
    allow_local, django_capture_on_commit_callbacks
):
    w = make_world()
    lic = _issued_yesterday(w)
    with Receiver([500, 200, 200]) as receiver:
        destination = services.create_destination(
            actor=w.reseller_admin,
            account=w.reseller,
            name="ERP",
            kind="webhook",
            url=receiver.url,
            send_statement=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.schedule_license_deliveries() == 1
        assert len(receiver.requests) == 2
        for request in receiver.requests:
            header = request["headers"][webhooks.SIGNATURE_HEADER]
            assert webhooks.verify_signature(destination.secret, request["body"], header)
            assert not webhooks.verify_signature("whsec_other", request["body"], header)
            assert not webhooks.verify_signature(destination.secret, request["body"] + b" ", header)
            assert request["path"] == "/hook?source=portal"
        payload = json.loads(receiver.requests[1]["body"])
        assert payload["type"] == "licenses.daily" and payload["account"] == w.reseller.number
        assert [row["key"] for row in payload["data"]] == [lic.key]
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2 and delivery.rows == 1
        log = list(delivery.attempt_log.order_by("number").values_list("status_code", "ok"))
        assert log == [(500, False), (200, True)]
        job = OutboxJob.objects.get(task_name="reports.tasks.deliver")
        assert job.status == JobStatus.DONE and job.attempts == 2
        # The same job's message again (a redelivery) sends nothing.
        app.tasks["reports.tasks.deliver"].apply(kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk})
        assert len(receiver.requests) == 2
        # A second beat run creates no second delivery.
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.schedule_license_deliveries() == 0
        # Re-send: a new job, a third request, the log grows.
        with django_capture_on_commit_callbacks(execute=True):
            services.resend_delivery(actor=w.reseller_admin, delivery=delivery)
        assert len(receiver.requests) == 3
        assert receiver.requests[2]["headers"]["Portal-Delivery"] == f"{delivery.pk}.1"
        delivery.refresh_from_db()
        assert (
            delivery.resends == 1 and delivery.attempts == 3 and delivery.status == DeliveryStatus.DELIVERED
        )


def test_rep4_webhook_retries_for_about_a_day_with_jitter():
    task = app.tasks["reports.tasks.deliver"]
    assert task.outbox_retry_on == (webhooks.WebhookError,)
    retries = task.max_attempts - 1
    lows = [
        outbox.backoff(n, base=task.outbox_retry_base, cap=task.outbox_retry_max)
        for n in range(1, retries + 1)
    ]
    nominal = [
        min(task.outbox_retry_max, task.outbox_retry_base * 2 ** (n - 1)) for n in range(1, retries + 1)
    ]
    assert all(n / 2 <= low <= n for low, n in zip(lows, nominal, strict=True))
    assert sum(nominal) / 2 >= 18 * 3600 and sum(nominal) <= 37 * 3600


def test_rep4_failed_last_attempt_marks_the_delivery_failed(
    allow_local, django_capture_on_commit_callbacks, settings
):
    settings.REPORTS_WEBHOOK_MAX_RETRIES = 0
    w = make_world()
    _issued_yesterday(w)
    with Receiver([503]) as receiver:
        services.create_destination(
            actor=w.reseller_admin, account=w.reseller, name="ERP", kind="webhook", url=receiver.url
        )
        task = app.tasks["reports.tasks.deliver"]
        previous = task.outbox_max_retries
        task.outbox_max_retries = 0
        try:
            with django_capture_on_commit_callbacks(execute=True):
                tasks.schedule_license_deliveries()
        finally:
            task.outbox_max_retries = previous
    delivery = Delivery.objects.get(content=Content.LICENSES)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 503
    assert OutboxJob.objects.get(task_name="reports.tasks.deliver").status == JobStatus.FAILED


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "ftp://example.org/",
        "http://user:pass@example.org/",
    ],
)
def test_rep4_ssrf_webhook_urls_to_internal_addresses_are_refused(url):
    w = make_world()
    with pytest.raises(RuleViolation) as exc:
        services.create_destination(
            actor=w.reseller_admin, account=w.reseller, name="x", kind="webhook", url=url
        )
    assert exc.value.code == "unsafe_url" and "url" in exc.value.fields


def test_rep4_ssrf_checked_again_when_sending(settings, django_capture_on_commit_callbacks):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True
    w = make_world()
    _issued_yesterday(w)
    with Receiver([200]) as receiver:
        services.create_destination(
            actor=w.reseller_admin, account=w.reseller, name="x", kind="webhook", url=receiver.url
        )
        settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = False
        with django_capture_on_commit_callbacks(execute=True):
            tasks.schedule_license_deliveries()
        assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and "(127.0.0.1)" in delivery.last_error


def test_rep4_email_destination_gets_the_csv_once(django_capture_on_commit_callbacks):
    w = make_world()
    lic = _issued_yesterday(w)
    services.create_destination(
        actor=w.reseller_admin,
        account=w.reseller,
        name="Buchhaltung",
        kind="email",
        email="buha@haendler.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_license_deliveries()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buha@haendler.example"] and "Neue Lizenzen" in message.subject
    [(name, content, mimetype)] = message.attachments
    assert name.endswith(".csv") and mimetype == "text/csv"
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    assert lic.key in text and "'=Kunde mit Formel" in text
    job = OutboxJob.objects.get(task_name="reports.tasks.deliver")
    OutboxJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    Delivery.objects.update(status=DeliveryStatus.PENDING)
    outbox.rerun([job.pk])
    app.tasks["reports.tasks.deliver"].apply(kwargs={**job.kwargs, outbox.JOB_KWARG: job.pk})
    assert len(mail.outbox) == 1


def test_rep4_statement_delivery_on_the_first(allow_local, django_capture_on_commit_callbacks):
    from reports.tests.helpers import subscription

    w = make_world()
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    subscription(w.reseller, w.customer, w.product, last_month)
    with Receiver([200]) as receiver:
        services.create_destination(
            actor=w.reseller_admin,
            account=w.reseller,
            name="ERP",
            kind="webhook",
            url=receiver.url,
            send_licenses=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.schedule_statement_deliveries() == 1
            assert tasks.schedule_license_deliveries() == 0
        payload = json.loads(receiver.requests[0]["body"])
    assert payload["type"] == "statement.monthly" and payload["total"] == "10.00"
    assert payload["period"]["from"] == last_month.isoformat()


def test_rep4_email_refused_with_4xx_is_logged_retried_and_sent_once(
    django_capture_on_commit_callbacks, settings
):
    import smtplib
    from unittest import mock

    from django.core.mail import EmailMessage

    settings.OUTBOX_RETRY_BASE_SECONDS = 0.01
    w = make_world()
    _issued_yesterday(w)
    services.create_destination(
        actor=w.reseller_admin,
        account=w.reseller,
        name="Buchhaltung",
        kind="email",
        email="buha@haendler.example",
    )
    real_send = EmailMessage.send
    calls = []

    def flaky_send(message, fail_silently=False):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPResponseException(451, b"4.3.0 try again later")
        return real_send(message, fail_silently)

    with (
        mock.patch.object(EmailMessage, "send", flaky_send),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.schedule_license_deliveries()
    assert len(mail.outbox) == 1 and len(calls) == 2
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    log = list(delivery.attempt_log.order_by("number").values_list("ok", "error"))
    assert log[0][0] is False and "451" in log[0][1] and log[1] == (True, "")
