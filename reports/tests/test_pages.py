"""Report pages and API answers: every page renders, bad input is a clear error (never a 500), creating a
destination from the page goes through the service (SSRF refusal shown in the form)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from reports.models import Destination
from reports.tests.helpers import make_world, subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(client):
    w = make_world()
    subscription(w.reseller, w.customer, w.product, dt.date(2026, 3, 10))
    client.force_login(w.reseller_admin)
    return w


def test_rep_pages_render_for_the_reseller_admin(w, client):
    for url in (
        "/reports/",
        "/reports/subscriptions/",
        "/reports/subscriptions/?cutoff=2026-03-15",
        "/reports/subscriptions/?month=2026-03",
        "/reports/statements/",
        "/reports/statements/?month=2026-03",
        "/reports/destinations/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/reports/subscriptions/?month=2026-03")
    assert [row.days for row in page.context["rows"]] == [22]
    assert client.get("/reports/statements/?month=2026-03").context["statement"].lines[0].days == 22
    for url in (
        "/reports/subscriptions/?month=März",
        "/reports/subscriptions/?cutoff=gestern",
        "/reports/statements/?month=x",
    ):
        assert client.get(url).status_code == 200, url
    data = b"".join(client.get("/reports/subscriptions/?month=2026-03&format=csv").streaming_content)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][9] == "22" and rows[1][11] == "0.7097"


def test_rep_api_subscriptions_and_bad_parameters(w, client):
    body = client.get("/api/v1/reports/subscriptions/", {"month": "2026-03"}).json()
    assert (
        body["count"] == 1 and body["results"][0]["days"] == 22 and body["results"][0]["events"] == ["begun"]
    )
    body = client.get("/api/v1/reports/subscriptions/", {"cutoff": "2026-03-09"}).json()
    assert body["count"] == 0
    assert client.get("/api/v1/reports/subscriptions/", {"cutoff": "2026-03-10"}).json()["count"] == 1
    for params, field in (({"month": "2026-13"}, "month"), ({"cutoff": "10.03.2026"}, "cutoff")):
        response = client.get("/api/v1/reports/subscriptions/", params)
        assert response.status_code == 400 and field in response.json()["fields"]
    response = client.get("/api/v1/statements/")
    assert response.status_code == 400 and response.json()["code"] == "month_required"
    response = client.get("/api/v1/statements/", {"month": "2026-03"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    response = client.get("/api/v1/statements/", {"month": "2026-03", "reseller": "K-0"})
    assert response.status_code == 404


def test_rep4_destination_form_creates_through_the_service(w, client, settings):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = False
    response = client.post(
        "/reports/destinations/",
        {
            "account": w.reseller.pk,
            "name": "Intern",
            "kind": "webhook",
            "url": "http://10.0.0.5/hook",
            "active": "on",
        },
    )
    assert response.status_code == 200 and not Destination.objects.exists()
    assert "10.0.0.5" in response.content.decode()
    response = client.post(
        "/reports/destinations/",
        {
            "account": w.reseller.pk,
            "name": "Buchhaltung",
            "kind": "email",
            "email": "buha@example.org",
            "send_statement": "on",
        },
    )
    destination = Destination.objects.get()
    assert response.status_code == 302 and destination.account == w.reseller and not destination.send_licenses
    # Another account's admin cannot pick the reseller (not in its choices) nor create via the API.
    client.force_login(w.other_admin)
    response = client.post(
        "/api/v1/reports/destinations/",
        {"account": w.reseller.number, "name": "x", "kind": "email", "email": "x@example.org"},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = client.post(
        "/api/v1/reports/destinations/",
        {"name": "Eigenes", "kind": "email", "email": "x@example.org"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="dest-1",
    )
    assert response.status_code == 201 and response.json()["account"] == w.other_reseller.number
    again = client.post(
        "/api/v1/reports/destinations/",
        {"name": "Eigenes", "kind": "email", "email": "x@example.org"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="dest-1",
    )
    assert again.json()["id"] == response.json()["id"] and Destination.objects.count() == 2
