"""Issue 13 (UI-1, DEL-1, DEL-4, DEL-7, TEN-3, TEN-5) against the demo world: hand-offs (bell, notices, to-dos),
a repeated caretaker request, accepting without an end date, one wording of a grant's end, the tenant list's
filters and CSV, the audit trail in words, titles, error pages, the profile, the admin's names, the mails.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from delegations.display import grant_end
from delegations.models import CaretakerGrant, Notification
from portal.csv import safe_cell
from portal.models import AuditEvent
from portal.templatetags.portal_tags import page_title
from tenants import services as tenant_services
from tenants.models import Domain, Offer, ServiceType, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_world, db):
    """The demo world, seeded once for this module (conftest.demo_world); each test's changes roll back."""
    mail.outbox.clear()
    return demo_world


def web(client, email: str, language: str = "de"):
    client.force_login(User.objects.get(email=email))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    User.objects.filter(email=email).update(language=language)
    return client


def unread(email: str) -> int:
    return Notification.objects.filter(user__email=email, read_at__isnull=True).count()


def text(response) -> str:
    return response.content.decode()


# --- §2 Hand-offs -------------------------------------------------------------------------------------------


def test_ui1_bell_with_unread_count_on_every_page(demo, client):
    web(client, "tech@partner.example")
    count = unread("tech@partner.example")
    assert count > 0
    for url in ("/", "/tenants/", "/tenants/T-000001/", "/audit/", "/accounts/", "/profile/"):
        page = text(client.get(url))
        assert 'aria-label="Benachrichtigungen"' in page, url
        assert f'data-count="{count}"' in page, url
        assert 'hx-trigger="portal:changed from:body, every 60s"' in page


def test_ui1_nav_fragment_and_htmx_actions_announce_a_change(demo, client):
    web(client, "tech@partner.example")
    fragment = text(client.get(reverse("nav_status")))
    assert 'id="nav-bell"' in fragment and 'id="nav-badge-delegations" hx-swap-oob="true"' in fragment
    notification = Notification.objects.filter(
        user__email="tech@partner.example", read_at__isnull=True
    ).first()
    before = unread("tech@partner.example")
    response = client.post(reverse("notification_read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "portal:changed" in response["HX-Trigger"]
    assert unread("tech@partner.example") == before - 1
    assert f'data-count="{before - 1}"' in text(client.get(reverse("nav_status")))
    plain = client.post(reverse("notification_read_all"))
    assert plain.status_code == 302 and "HX-Trigger" not in plain
    assert unread("tech@partner.example") == 0
    assert "portal:changed" not in client.get("/", HTTP_HX_REQUEST="true").get("HX-Trigger", "")


def test_ui1_booking_by_sales_notifies_who_may_deploy_once(demo, django_capture_on_commit_callbacks):
    sales, tech = (
        User.objects.get(email="sales@partner.example"),
        User.objects.get(email="tech@partner.example"),
    )
    domain = Domain.objects.filter(tenant__number="T-000003", released_at__isnull=True).first()
    earlier = list(Notification.objects.values_list("pk", flat=True))  # the demo's own bookings notified too
    with django_capture_on_commit_callbacks(execute=True):
        bookings = tenant_services.book_services(actor=sales, domain=domain, service_types=["archive"])
    notices = Notification.objects.filter(kind="tenant_deploy_needed").exclude(pk__in=earlier)
    assert list(notices.values_list("user__email", flat=True)) == ["tech@partner.example"]
    with translation.override("de"):
        assert f"E-Mail-Archiv ({bookings[0].number})" in notices.get().text
        assert "bereit zur Bereitstellung" in notices.get().text
    assert notices.get().url.startswith("/tenants/T-000003/")
    from tenants.tasks import notify_deploy_needed

    assert notify_deploy_needed(domain.pk, [b.pk for b in bookings], sales.pk) == 0  # delivered once
    tenant_services.deploy_tenant(actor=tech, tenant=domain.tenant)
    assert notify_deploy_needed(domain.pk, [b.pk for b in bookings], sales.pk) == 0  # nothing left to deploy


def test_ui1_dashboard_to_dos_per_role_link_to_the_place_to_act(demo, client):
    page = text(web(client, "tech@partner.example").get("/"))
    assert 'data-todo="deploy"' in page and 'href="/tenants/T-000001/"' in page
    assert 'data-todo="requests"' not in page and 'data-todo="offer"' not in page

    page = text(web(client, "owner@shop.example").get("/"))
    assert 'data-todo="requests"' in page and 'href="/delegations/#incoming"' in page
    expiring = CaretakerGrant.objects.get(tenant_number="T-000002", status="active")
    assert 'data-todo="expiring"' in page and f'href="/delegations/{expiring.pk}/"' in page
    assert 'data-todo="deploy"' not in page

    offer = Offer.objects.first()
    Offer.objects.filter(pk=offer.pk).update(valid_until=timezone.localdate() + datetime.timedelta(days=3))
    page = text(web(client, "sales@partner.example").get("/"))
    assert 'data-todo="offer"' in page and f"/tenants/{offer.tenant.number}/offers/{offer.pk}/" in page
    assert 'data-todo="deploy"' not in page  # sales books, tech deploys


# --- §2 A repeated request; accepting without an end date --------------------------------------------------


def test_del1_repeated_request_adds_the_message_and_says_it_is_pending(
    demo, client, django_capture_on_commit_callbacks
):
    web(client, "tech@partner.example")
    pending = CaretakerGrant.objects.get(tenant_number="T-000004", status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("delegation_request"),
            {"tenant_number": "T-000004", "scope": "technical", "message": "Noch eine Frage zum Termin."},
            follow=True,
        )
    assert "bereits Zugriff beantragt" in text(response)
    pending.refresh_from_db()
    assert (
        "Wir möchten das Staging-System" in pending.message
        and "Noch eine Frage zum Termin." in pending.message
    )
    assert CaretakerGrant.objects.filter(tenant_number="T-000004", status="pending").count() == 1
    assert AuditEvent.objects.filter(action="delegation.request_repeated", grant=pending).exists()
    assert Notification.objects.filter(
        kind="request_message_added", user__email="owner@shop.example"
    ).exists()
    # An unknown number answers alike: first the usual answer, then "already pending" — nothing is revealed.
    first = client.post(
        reverse("delegation_request"), {"tenant_number": "T-999999", "scope": "read"}, follow=True
    )
    again = client.post(
        reverse("delegation_request"), {"tenant_number": "T-999999", "scope": "read"}, follow=True
    )
    assert "Falls ein Mandant mit dieser Nummer existiert" in text(first) or "If a tenant" in text(first)
    assert "bereits Zugriff beantragt" in text(again)


def test_del4_accepting_a_request_without_end_date_asks_once(demo, client):
    web(client, "owner@shop.example")
    grant = CaretakerGrant.objects.get(tenant_number="T-000004", status="pending")
    url = reverse("delegation_action", args=[grant.pk, "accept"])
    question = client.post(url, {"next": "/delegations/"})
    assert question.status_code == 200 and "Ohne Enddatum annehmen" in text(question)
    grant.refresh_from_db()
    assert grant.status == "pending"
    overlay = client.post(url, {"next": "/delegations/"}, HTTP_HX_REQUEST="true")
    assert overlay["HX-Retarget"] == "#overlay" and 'role="dialog"' in text(overlay)
    done = client.post(url, {"next": "/delegations/", "unlimited": "1"})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.status == "active" and grant.expires_at is None


# --- §8 One wording of a grant's end -----------------------------------------------------------------------


def test_del2_grant_end_reads_the_same_on_every_page_message_and_mail(
    demo, client, django_capture_on_commit_callbacks
):
    web(client, "owner@shop.example")
    until = timezone.localdate() + datetime.timedelta(days=20)
    shop = Tenant.objects.get(number="T-000001")
    data = {
        "email": "neu@agentur.example",
        "tenants": [shop.pk],
        "scope": "read",
        "expires_on": until.isoformat(),
    }
    with translation.override("de"):
        wording = grant_end(until)
    assert wording == f"bis {until:%d.%m.%Y} (Tagesende)"
    confirm = client.post(reverse("delegation_grant"), data)
    assert wording in text(confirm)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("delegation_grant"), {**data, "confirmed": "1"}, follow=True)
    grant = CaretakerGrant.objects.get(caretaker_email="neu@agentur.example")
    assert grant_end(grant.expires_at) == grant_end(until)
    assert wording in text(done)  # the confirmation message and the overview's row
    assert wording in text(client.get(reverse("delegation_detail", args=[grant.pk])))
    link_mail = next(m for m in mail.outbox if m.to == ["neu@agentur.example"])
    assert wording in link_mail.body and "00:00" not in link_mail.body


def test_del4_grant_end_of_a_date_and_of_the_stored_midnight_are_the_same():
    day = datetime.date(2026, 12, 6)
    midnight = timezone.make_aware(datetime.datetime(2026, 12, 7, 0, 0))
    with translation.override("de"):
        assert grant_end(day) == grant_end(midnight) == "bis 06.12.2026 (Tagesende)"
        assert grant_end(None) == "unbefristet (bis zum Widerruf)"
        assert (
            grant_end(timezone.make_aware(datetime.datetime(2026, 12, 7, 15, 30)))
            == "bis 07.12.2026, 15:30 Uhr"
        )
    with translation.override("en"):
        assert grant_end(midnight) == "until 6 Dec 2026 (end of day)"


# --- §3 Tenant list, CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+49 40", "'+49 40"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Shop GmbH", "Shop GmbH"),
        (None, ""),
        (3, "3"),
    ],
)
def test_ui1_csv_cells_are_spreadsheet_safe(value, expected):
    assert safe_cell(value) == expected


def test_ten3_tenant_list_environment_undeployed_filter_page_size_and_csv(demo, client):
    web(client, "sales@partner.example")
    sales = User.objects.get(email="sales@partner.example")
    Tenant.objects.filter(number="T-000003").update(name="=cmd|' /C calc'!A0")
    page = text(client.get("/tenants/", {"per_page": "50"}))
    assert ">Produktion</td>" in page and '<option value="50" selected>' in page
    undeployed = set(
        Tenant.objects.filter(
            domains__services__status="ordered", domains__released_at__isnull=True
        ).values_list("number", flat=True)
    )
    assert undeployed and len(undeployed) < Tenant.objects.count()
    filtered = text(client.get("/tenants/", {"undeployed": "true"}))
    shown = set(re.findall(r'href="/tenants/(T-\d+)/"', filtered))
    assert shown == undeployed & set(re.findall(r"T-\d+", page))
    assert 'data-action="refresh"' in filtered and "undeployed=true" in filtered  # refresh keeps the filter
    response = client.get("/tenants/", {"format": "csv", "environment": "production", "sort": "-number"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:2] == ["ID", "Name"]
    numbers = [row[0] for row in rows[1:]]
    assert numbers == sorted(numbers, reverse=True) and numbers
    assert all(row[4] == "Produktion" for row in rows[1:])
    assert "'=cmd|' /C calc'!A0" in [row[1] for row in rows[1:]]
    visible = set(tenant_services_visible(sales))
    assert set(numbers) <= visible


def tenant_services_visible(user):
    from tenants.selectors import tenants_visible_to

    return tenants_visible_to(user).values_list("number", flat=True)


# --- §3 The audit trail in words -----------------------------------------------------------------------------


def test_del7_audit_trail_reads_as_sentences_filters_pages_and_exports(demo, client):
    web(client, "owner@shop.example")
    page = text(client.get("/audit/", {"per_page": "100"}))
    assert "Olga Owner hat den Betreuungszugriff von admin@reseller.example auf T-000003 widerrufen" in page
    for repr_leak in ("['", "{'", "': ", "None", "_technical", "(read,", "T23:", "+00:00"):
        assert repr_leak not in page, repr_leak
    only = text(client.get("/audit/", {"action": "delegation.revoked", "who": "olga"}))
    assert only.count("widerrufen</td>") <= 2 and "hat den Betreuungszugriff" in only
    assert "1 Eintrag" in only
    today = timezone.localdate().isoformat()
    assert "0 Einträge" in text(client.get("/audit/", {"until": "2000-01-01"}))
    assert "0 Einträge" not in text(client.get("/audit/", {"since": today, "tenant": "T-000002"}))
    response = client.get("/audit/", {"format": "csv", "tenant": "T-000002"})
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Zeit" and len(rows) > 1 and {row[6] for row in rows[1:]} == {"T-000002"}


# --- §6/§7 Titles, error pages, profile, last owner -----------------------------------------------------------


def test_ui1_page_titles_name_the_portal_once(demo, client):
    assert page_title("") == "Partnerportal" and page_title("Mandanten") == "Mandanten · Partnerportal"
    assert "<title>Anmelden · Partnerportal</title>" in text(client.get("/login/"))
    web(client, "owner@shop.example")
    for url in ("/", "/tenants/", "/delegations/", "/audit/", "/profile/", "/accounts/"):
        page = text(client.get(url))
        assert "Partnerportal · Partnerportal" not in page and page.count("<title>") == 1
    assert '<link rel="icon"' in text(client.get("/"))
    assert client.get("/favicon.ico")["Location"].endswith("favicon.svg")


def test_ui1_403_page_has_a_way_back_and_disabled_buttons_say_why(demo, client):
    web(client, "tech@partner.example")
    refused = client.get(reverse("delegation_grant"), HTTP_REFERER="http://testserver/delegations/")
    assert refused.status_code == 403
    assert 'href="http://testserver/delegations/"' in text(refused) and 'href="/"' in text(refused)
    assert 'href="/profile/"' in text(refused)
    overview = text(client.get("/delegations/"))
    assert 'data-disabled-action="grant"' in overview and 'aria-disabled="true"' in overview
    assert "Nur Inhaber und Administratoren eines Kundenkontos geben Zugriff frei." in overview
    tenant = text(client.get("/tenants/T-000001/"))
    assert 'data-disabled-action="add-domain"' in tenant and 'data-action="deploy"' in tenant


def test_acc2_profile_lists_memberships_with_roles(demo, client):
    page = text(web(client, "sales@partner.example").get("/profile/"))
    assert "Agentur Nord" in page and "Administrator, Vertrieb" in page or "Vertrieb, Administrator" in page


def test_acc2_last_owner_cannot_be_removed_and_removal_asks_first(demo, client):
    page = text(web(client, "owner@shop.example").get("/accounts/K-100001/"))
    assert 'data-disabled-action="remove-owner@shop.example"' in page
    assert "Der letzte Inhaber kann nicht entfernt werden" in page or "last owner" in page
    page = text(web(client, "sales@partner.example").get("/accounts/K-100002/"))
    assert 'data-action="remove-member"' in page and "data-confirm=" in page


# --- §3/§5 Admin names; the catalogue in both languages -------------------------------------------------------


def test_ui2_admin_is_branded_and_every_model_and_field_is_named_in_german(demo, client):
    import polib
    from django.conf import settings
    from django.contrib import admin
    from django.db.models.fields.related import ForeignObjectRel

    client.force_login(User.objects.get(email="admin@vendor.example"))
    index = text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Partnerportal" in index and "Django" not in index.split("<body")[1]
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale/de/LC_MESSAGES/django.po"))
    ours = {entry.msgid for entry in catalogue if entry.msgstr and "fuzzy" not in entry.flags}
    untranslated = []
    for model in admin.site._registry:
        meta = model._meta
        names = [meta.verbose_name, meta.verbose_name_plural] + [
            field.verbose_name for field in meta.get_fields() if not isinstance(field, ForeignObjectRel)
        ]
        for name in names:
            with translation.override("en"):
                english = str(name)
            with translation.override("de"):
                german = str(name)
            if german == english and english not in ours:
                untranslated.append(f"{meta.label}: {english}")
    assert untranslated == []


def test_ten5_catalogue_names_in_both_languages_pages_and_api(demo, client):
    base = ServiceType.objects.get(code="base")
    assert (base.name_de, base.name_en) == ("Mail-Basisdienst", "Mail base service")
    with translation.override("en"):
        assert ServiceType.objects.get(code="archive").name == "Mail archive"
    web(client, "sales@partner.example")
    assert "E-Mail-Archiv" in text(client.get("/tenants/T-000001/"))
    api = client.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="en").json()
    names = {row["code"]: row["name"] for row in api["results"]}
    assert names["archive"] == "Mail archive"
    api = client.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="de").json()
    assert {row["code"]: row["name"] for row in api["results"]}["archive"] == "E-Mail-Archiv"


# --- §8 Mails ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
def test_ui1_mail_in_the_recipients_language_with_the_frame(
    demo, language, settings, django_capture_on_commit_callbacks
):
    from delegations import services as delegation_services

    settings.SITE_URL = "http://127.0.0.1:8123"
    User.objects.filter(email="owner@shop.example").update(language=language)
    tech = User.objects.get(email="tech@partner.example")
    mail.outbox.clear()
    sender_language = "de" if language == "en" else "en"  # the sender's language does not matter
    with translation.override(sender_language), django_capture_on_commit_callbacks(execute=True):
        delegation_services.request_caretaker_access(actor=tech, tenant_number="T-000001", scope="read")
    message = next(m for m in mail.outbox if m.to == ["owner@shop.example"])
    words = {
        "de": (
            "Betreuungszugriff für T-000001",
            "Guten Tag Olga Owner,",
            "Mit freundlichen Grüßen",
            "Ihr Partnerportal-Team",
        ),
        "en": (
            "Caretaker access requested for T-000001",
            "Hello Olga Owner,",
            "Kind regards",
            "The Partnerportal team",
        ),
    }[language]
    assert words[0] in message.subject and not message.subject.endswith(".") and "[" not in message.subject
    for word in words[1:]:
        assert word in message.body
    assert "http://127.0.0.1:8123/delegations/" in message.body
    assert "Partner Portal" not in message.body
