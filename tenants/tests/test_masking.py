"""Masking is a property of the read path (TEN-4, issue 8 §4): every list, filter, ordering, serializer,
template, message, audit line, notice and export that can touch a confidential domain's name or a registered
user's address, tried as each viewer without ``manage_confidential`` — partner sales, tech and support, the
customer's owner and admin, a ``read`` caretaker — and, as the control, as the partner admin who may see it.

The names are chosen so that ordering by the real name and ordering by the shown name disagree
(``aaa.zeta.example`` sorts first by its name, ``••••.alpha.example`` first as shown)."""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.tests.factories import member
from delegations.tests.factories import grant_row
from portal.models import AuditEvent
from tenants import selectors, services
from tenants.masking import Masker, mask, redact
from tenants.models import RegisteredUser

pytestmark = pytest.mark.django_db

SECRET_A = "aaa.zeta.example"  # first by real name, last as shown
SECRET_Z = "zzz.alpha.example"  # last by real name, first as shown
HIDDEN_FRAGMENTS = ("aaa", "zzz")  # the masked first labels: never to be found, sorted by or confirmed
BLIND = ["sales", "tech", "support", "owner", "customer_admin", "caretaker"]


@pytest.fixture
def mworld(world, clock):
    clock.today("2025-06-10")
    caretaker = member(world.other_partner, "tech", email="care@fremd.example")
    grant_row(tenant=world.tenant, caretaker=caretaker, scope="read")
    # Recorded while still public: the trail holds the real names (the audit must mask them when read).
    zeta = services.add_domain(actor=world.sales, tenant=world.tenant, name=SECRET_A)
    alpha = services.add_domain(actor=world.sales, tenant=world.tenant, name=SECRET_Z)
    public = services.add_domain(actor=world.sales, tenant=world.tenant, name="mmm.example")
    for domain, local in ((zeta, "anna"), (alpha, "bert"), (alpha, "carl")):
        services.add_registered_user(actor=world.sales, domain=domain, email=f"{local}@{domain.unicode_name}")
    for domain in (zeta, alpha):
        services.set_domain_confidential(actor=world.partner_admin, domain=domain, confidential=True)
    zeta.refresh_from_db()
    alpha.refresh_from_db()
    return SimpleNamespace(**vars(world), caretaker=caretaker, zeta=zeta, alpha=alpha, public=public)


def _api(client, user, url):
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def _no_secret(text: str) -> None:
    for fragment in HIDDEN_FRAGMENTS:
        assert fragment not in text.lower(), f"{fragment!r} leaked: {text[:500]}"


# --- Lists, filters, ordering (API) ---------------------------------------------------------------------


@pytest.mark.parametrize("role", BLIND)
def test_domain_search_never_matches_a_masked_name(client, mworld, role):
    url = f"/api/v1/tenants/{mworld.tenant.number}/domains/"
    for guess in ("aaa", "aaa.zeta", SECRET_A, "zzz", "z.alpha"):
        rows = _api(client, getattr(mworld, role), f"{url}?q={guess}")["results"]
        assert rows == [], (guess, rows)
    # What the viewer sees is searchable: the mask and the visible rest.
    shown = _api(client, getattr(mworld, role), f"{url}?q=alpha.example")["results"]
    assert [row["name"] for row in shown] == ["••••.alpha.example"]


def test_domain_search_finds_real_names_for_the_partner_admin(client, mworld):
    url = f"/api/v1/tenants/{mworld.tenant.number}/domains/?q=aaa"
    assert [row["name"] for row in _api(client, mworld.partner_admin, url)["results"]] == [SECRET_A]


@pytest.mark.parametrize("role", BLIND)
@pytest.mark.parametrize("ordering", ["", "?ordering=name", "?ordering=-name"])
def test_domain_ordering_follows_the_shown_name(client, mworld, role, ordering):
    url = f"/api/v1/tenants/{mworld.tenant.number}/domains/{ordering}"
    names = [row["name"] for row in _api(client, getattr(mworld, role), url)["results"]]
    masked = [name for name in names if name.startswith("••••")]
    expected = ["••••.alpha.example", "••••.zeta.example"]
    assert masked == (expected[::-1] if ordering.endswith("-name") else expected)
    # the selector (HTML tenant page) orders the same way
    page = [
        Masker(getattr(mworld, role))(d) for d in selectors.domains_of(getattr(mworld, role), mworld.tenant)
    ]
    assert [name for name in page if name.startswith("••••")] == expected


def test_domain_ordering_by_real_name_for_the_partner_admin(client, mworld):
    url = f"/api/v1/tenants/{mworld.tenant.number}/domains/?ordering=name"
    names = [row["name"] for row in _api(client, mworld.partner_admin, url)["results"]]
    assert names == [SECRET_A, "mmm.example", SECRET_Z]


@pytest.mark.parametrize("role", BLIND)
def test_services_list_orders_by_the_shown_domain_name(mworld, role):
    viewer = getattr(mworld, role)
    order = [service.domain_id for service in selectors.services_of(viewer, mworld.tenant)]
    first = {domain_id: order.index(domain_id) for domain_id in set(order)}
    assert first[mworld.alpha.pk] < first[mworld.zeta.pk]


@pytest.mark.parametrize("role", BLIND)
def test_registered_user_search_and_order_never_touch_the_masked_host(client, mworld, role):
    viewer = getattr(mworld, role)
    base = f"/api/v1/tenants/{mworld.tenant.number}/domains/{mworld.alpha.pk}/users/"
    for guess in ("zzz", "@zzz", "zzz.alpha", "bert@zzz"):
        assert _api(client, viewer, f"{base}?q={guess}")["results"] == [], guess
    rows = _api(client, viewer, f"{base}?q=bert")["results"]
    assert [row["email"] for row in rows] == ["bert@••••.alpha.example"]
    rows = _api(client, viewer, f"{base}?q=••••.alpha")["results"]
    assert len(rows) == 2
    listed = _api(client, viewer, f"{base}?ordering=-email")
    assert [row["email"] for row in listed["results"]] == [
        "carl@••••.alpha.example",
        "bert@••••.alpha.example",
    ]
    _no_secret(str(listed))


@pytest.mark.parametrize("role", BLIND)
def test_detail_by_guessed_name_is_404(client, mworld, role):
    client.force_login(getattr(mworld, role))
    response = client.get(f"/api/v1/tenants/{mworld.tenant.number}/domains/{SECRET_A}/")
    assert response.status_code == 404
    _no_secret(response.content.decode())


# --- Messages never confirm a guessed name ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "tech", "customer_admin"])
def test_adding_a_user_with_a_guessed_host_answers_the_same_for_right_and_wrong(client, mworld, role):
    client.force_login(getattr(mworld, role))
    url = f"/api/v1/tenants/{mworld.tenant.number}/domains/{mworld.zeta.pk}/users/"
    right = client.post(url, {"email": f"dora@{SECRET_A}"}, content_type="application/json")
    wrong = client.post(url, {"email": "dora@bbb.zeta.example"}, content_type="application/json")
    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json()
    assert right.json()["code"] == "email_not_on_domain"
    _no_secret(right.content.decode())
    assert not RegisteredUser.objects.filter(email__startswith="dora@").exists()
    # The way in: the address as the list shows it (or just the mailbox).
    made = client.post(url, {"email": "dora@••••.zeta.example"}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["email"] == "dora@••••.zeta.example"
    just_local = client.post(url, {"email": "emil"}, content_type="application/json")
    assert just_local.status_code == 201, just_local.content
    assert RegisteredUser.objects.get(email=f"emil@{SECRET_A}")


def test_html_add_user_message_is_masked_and_does_not_confirm(client, mworld):
    client.force_login(mworld.sales)
    url = reverse("tenant_domain_users", args=[mworld.tenant.number, mworld.zeta.pk])
    right = client.post(url, {"email": f"dora@{SECRET_A}"}, HTTP_HX_REQUEST="true")
    wrong = client.post(url, {"email": "dora@bbb.zeta.example"}, HTTP_HX_REQUEST="true")
    assert right.status_code == wrong.status_code

    # the same page for a right and a wrong guess (apart from the typed value, echoed in the field)
    def page(response, typed):
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode()).replace(typed, "X")

    assert page(right, SECRET_A) == page(wrong, "bbb.zeta.example")
    assert "@••••.zeta.example" in right.content.decode()  # the message names the domain as shown
    assert not RegisteredUser.objects.filter(email__startswith="dora@").exists()
    made = client.post(url, {"email": "dora@••••.zeta.example"}, HTTP_HX_REQUEST="true")
    assert made.status_code == 200
    page = client.get(url).content.decode()
    assert "dora@••••.zeta.example" in page
    _no_secret(page)


# --- Pages, audit trail, dashboard, export, notices -------------------------------------------------------


@pytest.mark.parametrize("role", BLIND)
def test_tenant_page_never_shows_the_name(client, mworld, role):
    client.force_login(getattr(mworld, role))
    page = client.get(reverse("tenant_detail", args=[mworld.tenant.number]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    _no_secret(page.content.decode())
    page = client.get(reverse("tenant_detail", args=[mworld.tenant.number]) + "?expert=1")
    _no_secret(page.content.decode())


@pytest.mark.parametrize("role", ["owner", "customer_admin"])
def test_audit_trail_masks_names_recorded_before_the_domain_became_confidential(client, mworld, role):
    viewer = getattr(mworld, role)
    stored = " ".join(str(event.changes) for event in AuditEvent.objects.filter(tenant=mworld.tenant))
    assert SECRET_A in stored  # recorded while public: the rows keep what happened
    client.force_login(viewer)
    trail = client.get(reverse("audit_trail"), HTTP_ACCEPT_LANGUAGE="en")
    assert trail.status_code == 200
    assert "••••.zeta.example" in trail.content.decode()  # the event is there, its name masked
    _no_secret(trail.content.decode())
    export = client.get(reverse("audit_trail") + "?format=csv")
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert len(list(csv.reader(io.StringIO(body)))) > 3
    _no_secret(body)
    dashboard = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    _no_secret(dashboard.content.decode())


def test_audit_trail_shows_the_names_to_the_partner_admin(mworld):
    from portal import audit_text

    events = audit_text.prepare(AuditEvent.objects.filter(tenant=mworld.tenant), mworld.partner_admin)
    assert any(SECRET_A in audit_text.sentence(event) for event in events)
    blind = audit_text.prepare(AuditEvent.objects.filter(tenant=mworld.tenant), mworld.sales)
    assert not any(SECRET_A in audit_text.sentence(event) for event in blind)


def test_rendering_an_unprepared_event_is_refused(mworld):
    from portal import audit_text

    with pytest.raises(RuntimeError):
        audit_text.sentence(AuditEvent.objects.filter(tenant=mworld.tenant).first())


def test_deploy_notice_sent_before_the_mark_reads_masked(mworld, django_capture_on_commit_callbacks):
    from delegations.models import Notification

    domain = services.add_domain(actor=mworld.sales, tenant=mworld.tenant, name="ooo.later.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.book_services(actor=mworld.sales, domain=domain, service_types=["archive"])
    notice = Notification.objects.filter(user=mworld.tech).order_by("-pk").first()
    assert notice is not None and "ooo.later.example" in notice.text
    services.set_domain_confidential(actor=mworld.partner_admin, domain=domain, confidential=True)
    notice.refresh_from_db()
    assert "ooo" not in notice.text and "••••.later.example" in notice.text


def test_redact_masks_both_forms_and_any_case(mworld):
    texts = [f"anna@{SECRET_A.upper()}", f"x {SECRET_Z}, y", "mmm.example", "baaa.zeta.example"]
    out = redact(mworld.sales, [mworld.tenant.pk], texts)
    assert out[0] == "anna@••••.zeta.example"
    assert out[1] == "x ••••.alpha.example, y"
    assert out[2] == "mmm.example"
    assert out[3] == "baaa.zeta.example"  # another name that merely ends like it stays
    assert redact(mworld.partner_admin, [mworld.tenant.pk], texts) == texts


def test_mask_is_one_function_of_viewer_and_object(mworld):
    user = RegisteredUser.objects.get(email=f"anna@{SECRET_A}")
    assert mask(mworld.sales, mworld.zeta) == "••••.zeta.example"
    assert mask(mworld.sales, user) == "anna@••••.zeta.example"
    assert mask(mworld.partner_admin, user) == f"anna@{SECRET_A}"
    assert mask(mworld.sales, mworld.public) == "mmm.example"


def test_reading_the_trail_costs_constant_queries(mworld, django_assert_max_num_queries):
    from portal import audit_text
    from tenants.tests.factories import resold_tenant

    for index in range(5):  # more tenants with confidential domains in the trail
        tenant = resold_tenant(mworld.customer, mworld.partner, name=f"Mehr {index}")
        domain = services.add_domain(actor=mworld.sales, tenant=tenant, name=f"x{index}.more.example")
        services.set_domain_confidential(actor=mworld.partner_admin, domain=domain, confidential=True)
    events = list(AuditEvent.objects.all())
    with django_assert_max_num_queries(3):
        prepared = audit_text.prepare(events, mworld.sales)
    assert not any("x3.more" in audit_text.sentence(event) for event in prepared)
