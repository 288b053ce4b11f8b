"""Browser pages of delegated access, server side: the overview (DEL-5), the lifecycle buttons (DEL-4), a grant's
page and trail (DEL-7), the extension page (DEL-4), the partner's request form (DEL-1) and the customer's grant
form with its confirmation step (DEL-2).

Every page for owner, admin, billing, technical, caretaker (partner tech), partner sales/support, vendor staff
and an outsider: GET and POST status codes, 404 for what the user cannot see, 403 for what it sees but may
not do, and nothing changed on bad input.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from delegations.models import CaretakerGrant, GrantInvitation
from portal.models import AuditEvent, RequestCounter
from tenants.tests.factories import TenantFactory

from .factories import accepted_request, grant_row, granted, requested

ROLES = ["owner", "admin", "billing", "technical", "tech", "sales", "support", "vendor_support", "outsider"]


@pytest.fixture
def web(w, client):
    """``web(user)`` → the test client logged in as ``user`` (English UI: the users prefer English)."""
    for name in ROLES + ["other_owner"]:
        user = getattr(w, name)
        user.language = "en"
        user.save(update_fields=["language"])

    def login(user):
        client.force_login(user)
        return client

    return login


def _state(grant):
    grant.refresh_from_db()
    return grant.status, grant.expires_at, grant.decided_at, grant.ended_at


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')


def _without_csrf(content: bytes) -> bytes:
    return CSRF.sub(b"CSRF", content)


# --- DEL-5: the overview -----------------------------------------------------------------------------------


CUSTOMER_ROLES = {"owner", "admin"}  # may grant, so may revoke: the only ones with rows under "granted"


@pytest.mark.parametrize("role", ROLES)
def test_del5_overview_answers_every_user(w, web, role):
    response = web(getattr(w, role)).get(reverse("delegation_overview"))
    assert response.status_code == 200
    # "Granted (as customer)" only for those who may grant and revoke: it can never have rows for the others.
    expected = ["incoming", "outgoing", "granted", "caretaking"]
    if role not in CUSTOMER_ROLES:
        expected.remove("granted")
    assert [s["key"] for s in response.context["sections"]] == expected
    assert (b"Granted (as customer)" in response.content) is (role in CUSTOMER_ROLES)


def test_del5_overview_needs_a_log_in(client):
    response = client.get(reverse("delegation_overview"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _buttons(response, section: str) -> dict[str, list[str]]:
    rows = next(s["rows"] for s in response.context["sections"] if s["key"] == section)
    return {row.tenant_label: [b.action for b in row.buttons] for row in rows}


def test_del5_each_side_sees_its_rows_and_its_buttons(w, web):
    requested(w)
    owner = web(w.owner).get(reverse("delegation_overview"))
    assert _buttons(owner, "incoming") == {"T-100001 Kunde Webshop": ["accept", "decline"]}
    assert b"Kunde Webshop" in owner.content
    tech = web(w.tech).get(reverse("delegation_overview"))
    assert _buttons(tech, "outgoing") == {"T-100001": ["withdraw"]}  # the requester: number only (DEL-1)
    assert _buttons(tech, "incoming") == {} and b"Kunde Webshop" not in tech.content
    # The administrator of the customer answers too; billing and technical members do not see requests.
    assert _buttons(web(w.admin).get(reverse("delegation_overview")), "incoming") == {
        "T-100001 Kunde Webshop": ["accept", "decline"]
    }
    for role in ("billing", "technical", "other_owner", "outsider", "sales"):
        response = web(getattr(w, role)).get(reverse("delegation_overview"))
        assert all(not s["rows"] for s in response.context["sections"]), role


def test_del5_active_grant_shows_revoke_extend_for_the_customer_and_resign_for_the_caretaker(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    grant_row(tenant=w.tenant2, caretaker=w.tech)  # without expiry: nothing to extend
    owner = web(w.owner).get(reverse("delegation_overview"))
    assert _buttons(owner, "granted") == {
        "T-100001 Kunde Webshop": ["revoke", "extend"],
        "T-100002 Kunde Lager": ["revoke"],
    }
    tech = web(w.tech).get(reverse("delegation_overview"))
    assert _buttons(tech, "caretaking") == {
        "T-100001 Kunde Webshop": ["resign"],
        "T-100002 Kunde Lager": ["resign"],
    }
    assert reverse("tenant_detail", args=[w.tenant.number]).encode() in tech.content
    assert f'hx-post="{reverse("delegation_action", args=[grant.pk, "revoke"])}"'.encode() in owner.content


def test_del5_history_lists_ended_grants_without_buttons(w, web):
    grant = accepted_request(w)
    web(w.owner).post(reverse("delegation_action", args=[grant.pk, "revoke"]))
    response = web(w.owner).get(reverse("delegation_overview"))
    assert [row.grant.pk for row in response.context["history"]] == [grant.pk]
    assert response.context["history"][0].status_label == "Revoked"
    assert _buttons(response, "granted") == {}


def _overview_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("delegation_overview")).status_code == 200
    return len(queries)


def test_del5_overview_query_count_does_not_grow_with_rows(w, web):
    client = web(w.owner)
    grant_row(tenant=w.tenant, caretaker=w.tech)
    few = _overview_queries(client)
    for n in range(15):
        tenant = TenantFactory(account=w.customer, number=f"T-2000{n:02d}")
        grant_row(tenant=tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=9))
        grant_row(tenant=tenant, caretaker=w.sales, status="revoked", ended_at=timezone.now())
    many = _overview_queries(client)
    assert many == few, (few, many)


# --- DEL-4: the buttons ------------------------------------------------------------------------------------


def test_del4_owner_accepts_with_an_expiry_date(w, web):
    grant = requested(w)
    until = timezone.localdate() + timedelta(days=10)
    response = web(w.owner).post(
        reverse("delegation_action", args=[grant.pk, "accept"]), {"expires_on": until.isoformat()}
    )
    assert response.status_code == 302 and response["Location"] == reverse("delegation_overview")
    grant.refresh_from_db()
    assert grant.status == "active"
    assert timezone.localtime(grant.expires_at).date() == until + timedelta(days=1)  # the end of that day


@pytest.mark.parametrize(
    "data", [{"expires_on": "not-a-date"}, {"expires_on": "2001-01-01"}], ids=["garbage", "past"]
)
def test_del4_bad_expiry_on_accept_changes_nothing(w, web, data):
    grant = requested(w)
    before = _state(grant)
    response = web(w.owner).post(reverse("delegation_action", args=[grant.pk, "accept"]), data)
    assert response.status_code == 400
    assert _state(grant) == before
    assert [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("role", "action", "status", "after"),
    [
        ("owner", "accept", 302, "active"),
        ("admin", "accept", 302, "active"),
        ("owner", "decline", 302, "declined"),
        ("tech", "withdraw", 302, "withdrawn"),
        ("tech", "accept", 403, "pending"),  # the requester cannot answer its own request
        ("owner", "withdraw", 403, "pending"),  # only the requester withdraws a request
        ("owner", "revoke", 409, "pending"),  # not active yet
        ("billing", "accept", 404, "pending"),  # billing members do not see caretaker requests
        ("technical", "decline", 404, "pending"),
        ("other_owner", "accept", 404, "pending"),
        (
            "sales",
            "withdraw",
            403,
            "pending",
        ),  # sees its partner's requests (partner admin), may not withdraw
        ("support", "decline", 404, "pending"),
        ("outsider", "accept", 404, "pending"),
    ],
)
def test_del4_request_buttons_by_role(w, web, role, action, status, after):
    grant = requested(w)
    response = web(getattr(w, role)).post(
        reverse("delegation_action", args=[grant.pk, action]), {"unlimited": "1"}
    )
    assert response.status_code == status
    grant.refresh_from_db()
    assert grant.status == after


@pytest.mark.parametrize(
    ("role", "action", "status", "after"),
    [
        ("owner", "revoke", 302, "revoked"),
        ("admin", "revoke", 302, "revoked"),
        ("tech", "resign", 302, "resigned"),
        ("tech", "revoke", 403, "active"),
        ("tech", "extend", 403, "active"),
        ("owner", "resign", 403, "active"),
        ("owner", "accept", 403, "active"),  # a customer's grant is accepted by the caretaker
        ("tech", "accept", 409, "active"),
        ("billing", "revoke", 404, "active"),
        ("other_owner", "revoke", 404, "active"),
        ("outsider", "resign", 404, "active"),
    ],
)
def test_del4_active_grant_buttons_by_role(w, web, role, action, status, after):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    response = web(getattr(w, role)).post(
        reverse("delegation_action", args=[grant.pk, action]), {"unlimited": "1"}
    )
    assert response.status_code == status
    grant.refresh_from_db()
    assert grant.status == after


def test_del4_extend_button_adds_thirty_days(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    old = grant.expires_at
    assert web(w.owner).post(reverse("delegation_action", args=[grant.pk, "extend"])).status_code == 302
    grant.refresh_from_db()
    assert grant.expires_at == old + timedelta(days=30)


def test_del4_extend_without_expiry_is_refused_and_changes_nothing(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech)
    response = web(w.owner).post(reverse("delegation_action", args=[grant.pk, "extend"]))
    assert response.status_code == 400
    grant.refresh_from_db()
    assert grant.expires_at is None
    assert "nothing to extend" in " ".join(str(m) for m in response.context["messages"])


def test_del4_unknown_action_and_get_are_refused(w, web):
    grant = requested(w)
    client = web(w.owner)
    assert client.post(reverse("delegation_action", args=[grant.pk, "explode"])).status_code == 404
    assert client.get(reverse("delegation_action", args=[grant.pk, "accept"])).status_code == 405
    assert client.post(reverse("delegation_action", args=[999999, "accept"])).status_code == 404
    assert CaretakerGrant.objects.get().status == "pending"


def test_del4_htmx_button_returns_the_refreshed_overview_fragment(w, web):
    grant = requested(w)
    response = web(w.owner).post(
        reverse("delegation_action", args=[grant.pk, "accept"]), {"unlimited": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "delegations/partials/_overview.html"
    assert b"Accepted. The access is active." in response.content  # the message travels with the fragment
    assert b"<html" not in response.content
    grant.refresh_from_db()
    assert grant.status == "active"
    # A refusal through htmx: 200 (htmx swaps only 2xx) with the reason in the fragment, nothing changed.
    again = web(w.owner).post(reverse("delegation_action", args=[grant.pk, "accept"]), HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and b"no longer pending" in again.content


def test_del4_redirect_target_only_on_this_site(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    detail = reverse("delegation_detail", args=[grant.pk])
    response = web(w.owner).post(reverse("delegation_action", args=[grant.pk, "extend"]), {"next": detail})
    assert response["Location"] == detail
    response = web(w.owner).post(
        reverse("delegation_action", args=[grant.pk, "extend"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("delegation_overview")


def test_del4_customer_invitation_can_be_resent_and_withdrawn(w, web, run_on_commit):
    with run_on_commit():
        (grant,) = granted(w)
    first = GrantInvitation.objects.get()
    response = web(w.owner).get(reverse("delegation_overview"))
    assert _buttons(response, "outgoing") == {"T-100001 Kunde Webshop": ["resend", "withdraw"]}
    with run_on_commit():
        assert web(w.owner).post(reverse("delegation_action", args=[grant.pk, "resend"])).status_code == 302
    first.refresh_from_db()
    assert first.replaced_at is not None and GrantInvitation.objects.count() == 2
    assert web(w.owner).post(reverse("delegation_action", args=[grant.pk, "withdraw"])).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "withdrawn"
    # The invited caretaker answers in its own "Open requests" only while it is pending.
    assert _buttons(web(w.tech).get(reverse("delegation_overview")), "incoming") == {}


def test_del2_invited_caretaker_accepts_in_open_requests(w, web):
    (grant,) = granted(w)
    tech = web(w.tech).get(reverse("delegation_overview"))
    assert _buttons(tech, "incoming") == {"T-100001 Kunde Webshop": ["accept", "decline"]}
    assert web(w.tech).post(reverse("delegation_action", args=[grant.pk, "accept"])).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "active" and grant.caretaker == w.tech


# --- DEL-7: a grant's page and trail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("admin", 200),
        ("tech", 200),
        ("sales", 200),  # partner admin: its partner's grants
        ("vendor_support", 200),
        ("billing", 404),
        ("technical", 404),
        ("support", 404),
        ("other_owner", 404),
        ("outsider", 404),
    ],
)
def test_del7_grant_page_by_role(w, web, role, status):
    grant = requested(w)
    response = web(getattr(w, role)).get(reverse("delegation_detail", args=[grant.pk]))
    assert response.status_code == status


def test_del7_grant_page_shows_what_the_caretaker_did_with_it(w, web):
    from tenants import services as tenant_services

    grant = accepted_request(w)
    tenant_services.rename_tenant(actor=w.tech, tenant=w.tenant, name="Kunde Webshop neu")
    response = web(w.owner).get(reverse("delegation_detail", args=[grant.pk]))
    actions = [event.action for event in response.context["page"]]
    assert "tenant.renamed" in actions and "delegation.accepted" in actions
    assert AuditEvent.objects.get(action="tenant.renamed").grant == grant
    # The tenant's own trail shows it to the customer, naming the grant used (DEL-7).
    trail = web(w.owner).get(reverse("audit_trail") + f"?tenant={w.tenant.number}")
    assert trail.status_code == 200
    renamed = next(e for e in trail.context["page"] if e.action == "tenant.renamed")
    assert renamed.grant == grant and renamed.actor == w.tech
    assert f"#{grant.pk} (Technical)".encode() in trail.content


def test_del1_grant_page_does_not_disclose_the_tenant_to_the_requester(w, web):
    grant = requested(w)
    response = web(w.tech).get(reverse("delegation_detail", args=[grant.pk]))
    assert b"Kunde Webshop" not in response.content and b"Kunde GmbH" not in response.content
    assert b"T-100001" in response.content


# --- DEL-4: the extension page (reminder mail) ---------------------------------------------------------------


def test_del4_extend_page_get_changes_nothing_post_extends(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    url = reverse("delegation_extend", args=[grant.pk])
    before = _state(grant)
    response = web(w.owner).get(url)
    assert response.status_code == 200 and b"Extend by 30 days" in response.content
    assert _state(grant) == before
    target = timezone.localdate() + timedelta(days=60)
    assert web(w.owner).post(url, {"expires_on": target.isoformat()}).status_code == 302
    grant.refresh_from_db()
    assert timezone.localtime(grant.expires_at).date() == target + timedelta(days=1)


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("tech", 403), ("billing", 404), ("other_owner", 404), ("outsider", 404)],
)
def test_del4_extend_page_by_role(w, web, role, status):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    url = reverse("delegation_extend", args=[grant.pk])
    before = _state(grant)
    assert web(getattr(w, role)).get(url).status_code == status
    response = web(getattr(w, role)).post(url)
    assert response.status_code == (302 if status == 200 else status)
    if status != 200:
        assert _state(grant) == before


def test_del4_extend_page_refuses_earlier_date_and_ended_grants(w, web):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    url = reverse("delegation_extend", args=[grant.pk])
    before = _state(grant)
    earlier = web(w.owner).post(url, {"expires_on": timezone.localdate().isoformat()})
    assert earlier.status_code == 400 and _state(grant) == before
    assert b"later than the current one" in earlier.content
    assert web(w.owner).post(url, {"expires_on": "31.02.2026"}).status_code == 400
    assert _state(grant) == before
    web(w.owner).post(reverse("delegation_action", args=[grant.pk, "revoke"]))
    ended = _state(grant)
    response = web(w.owner).get(url)
    assert response.status_code == 409 and b"cannot be extended" in response.content
    assert web(w.owner).post(url).status_code == 409
    assert _state(grant) == ended


# --- DEL-1: the request form --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("tech", 200),
        ("owner", 403),
        ("admin", 403),
        ("sales", 403),  # partner admin + sales: managing accounts, not caretaker requests
        ("support", 403),
        ("vendor_support", 403),
        ("outsider", 403),
    ],
)
def test_del1_request_form_only_for_partner_tech(w, web, role, status):
    client = web(getattr(w, role))
    assert client.get(reverse("delegation_request")).status_code == status
    response = client.post(reverse("delegation_request"), {"tenant_number": "T-100001", "scope": "read"})
    assert response.status_code == (302 if status == 200 else status)
    assert CaretakerGrant.objects.count() == (1 if status == 200 else 0)


def test_del1_answer_is_identical_for_existing_and_unknown_tenant(w, web):
    client = web(w.tech)
    answers = []
    for number in (w.tenant.number, "T-999999", w.other_tenant.number):
        response = client.post(
            reverse("delegation_request"), {"tenant_number": number, "scope": "technical", "message": "Hallo"}
        )
        assert response.status_code == 302 and response["Location"] == reverse("delegation_request")
        page = client.get(response["Location"])
        assert b"If a tenant with this number exists, its owners have been asked" in page.content
        answers.append(_without_csrf(page.content))
    assert answers[0] == answers[1] == answers[2]  # byte for byte, but for the CSRF token
    assert CaretakerGrant.objects.filter(status="pending").count() == 3
    # The overview lists each the same way: the number as typed, no name, no owner.
    overview = client.get(reverse("delegation_overview"))
    assert _buttons(overview, "outgoing") == {
        "T-100001": ["withdraw"],
        "T-999999": ["withdraw"],
        "T-100009": ["withdraw"],
    }


@pytest.mark.parametrize(
    "data",
    [
        {"tenant_number": "", "scope": "read"},
        {"tenant_number": "T-100001", "scope": "billing"},
        {"tenant_number": "T-100001"},
        {"tenant_number": "T-1000011111111111111111", "scope": "read"},
        {"tenant_number": "T-100001", "scope": "read", "message": "x" * 2001},
    ],
    ids=["no-number", "unknown-scope", "no-scope", "too-long", "message-too-long"],
)
def test_del1_bad_request_input_changes_nothing(w, web, data):
    response = web(w.tech).post(reverse("delegation_request"), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not CaretakerGrant.objects.exists() and not RequestCounter.objects.exists()


def test_del1_rate_limit_answers_429_with_a_clear_message(w, web, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "2/hour",
            "delegation_request_account": "30/hour",
        },
    }
    client = web(w.tech)
    for number in ("T-000001", "T-000002"):
        assert (
            client.post(reverse("delegation_request"), {"tenant_number": number, "scope": "read"}).status_code
            == 302
        )
    response = client.post(reverse("delegation_request"), {"tenant_number": "T-000003", "scope": "read"})
    assert response.status_code == 429
    assert b"Too many access requests from you: at most 2 per hour" in response.content
    assert CaretakerGrant.objects.count() == 2
    assert response.context["form"]["tenant_number"].value() == "T-000003"  # the input is kept


def test_del1_partner_with_two_accounts_chooses_the_one_it_acts_for(w, web):
    from accounts.tests.factories import PartnerAccountFactory, member

    second = PartnerAccountFactory(name="Zweitagentur")
    member(second, "tech", user=w.tech)
    client = web(w.tech)
    page = client.get(reverse("delegation_request"))
    assert page.context["form"].choose_account and b"Zweitagentur" in page.content
    missing = client.post(reverse("delegation_request"), {"tenant_number": "T-100001", "scope": "read"})
    assert missing.status_code == 400 and not CaretakerGrant.objects.exists()
    response = client.post(
        reverse("delegation_request"),
        {"tenant_number": "T-100001", "scope": "read", "partner_account": second.pk},
    )
    assert response.status_code == 302
    assert CaretakerGrant.objects.get().partner_account == second


# --- DEL-2: the grant form with its confirmation step --------------------------------------------------------


def _grant_data(w, **overrides):
    data = {"email": "Tech@Agentur.example", "tenants": [w.tenant.pk, w.tenant2.pk], "scope": "technical"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("admin", 200),
        ("billing", 403),
        ("technical", 403),
        ("tech", 403),
        ("sales", 403),
        ("vendor_support", 403),
        ("outsider", 403),
    ],
)
def test_del2_grant_form_only_for_customer_owners_and_admins(w, web, role, status):
    client = web(getattr(w, role))
    assert client.get(reverse("delegation_grant")).status_code == status
    response = client.post(reverse("delegation_grant"), {**_grant_data(w), "confirmed": "1"})
    assert response.status_code == (302 if status == 200 else status)
    assert CaretakerGrant.objects.count() == (2 if status == 200 else 0)


def test_del2_grant_form_offers_only_the_users_own_tenants(w, web):
    page = web(w.owner).get(reverse("delegation_grant"))
    assert set(page.context["form"].fields["tenants"].queryset) == {w.tenant, w.tenant2}
    assert b"Andere ERP" not in page.content
    # Another customer's tenant smuggled into the POST is not a valid choice.
    response = web(w.owner).post(
        reverse("delegation_grant"), {**_grant_data(w, tenants=[w.other_tenant.pk]), "confirmed": "1"}
    )
    assert response.status_code == 400 and not CaretakerGrant.objects.exists()


def test_del2_confirmation_step_changes_nothing_then_confirm_grants(
    w, web, django_capture_on_commit_callbacks
):
    client = web(w.owner)
    first = client.post(reverse("delegation_grant"), _grant_data(w, expires_on="2099-01-01"))
    assert first.status_code == 200 and first.context["step"] == "confirm"
    assert not CaretakerGrant.objects.exists() and not GrantInvitation.objects.exists() and not mail.outbox
    content = first.content.decode()
    assert (
        "tech@agentur.example" in content
        and "T-100001 Kunde Webshop" in content
        and "until 1 Jan 2099 (end of day)" in content
    )
    back = client.post(reverse("delegation_grant"), {**_grant_data(w), "confirmed": "1", "back": "1"})
    assert back.status_code == 200 and back.context["step"] == "edit" and not CaretakerGrant.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("delegation_grant"), {**_grant_data(w), "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("delegation_overview") + "#outgoing"
    grants = CaretakerGrant.objects.order_by("tenant_number")
    assert [(g.tenant, g.status, g.caretaker_email, g.origin) for g in grants] == [
        (w.tenant, "pending", "tech@agentur.example", "grant"),
        (w.tenant2, "pending", "tech@agentur.example", "grant"),
    ]
    link_mails = [m for m in mail.outbox if "?token=" in m.body]
    assert [m.to for m in link_mails] == [["tech@agentur.example"]]


def test_del2_tenant_preselected_from_the_tenant_page(w, web):
    page = web(w.owner).get(reverse("delegation_grant") + f"?tenant={w.tenant2.number}")
    groups = page.context["form"].tenant_groups()
    assert [(t.number, checked) for _label, rows in groups for t, checked in rows] == [
        ("T-100001", False),
        ("T-100002", True),
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"tenants": []}, "tenants"),
        ({"tenants": ["999999"]}, "tenants"),
        ({"scope": "owner"}, "scope"),
        ({"expires_on": "2001-01-01"}, "expires_on"),
        ({"expires_on": "morgen"}, "expires_on"),
        ({"email": "owner@kunde.example"}, "email"),  # to oneself: the service refuses
        ({"expires_on": "2099-12-31"}, "expires_on"),  # more than five years: the service refuses
    ],
)
def test_del2_bad_grant_input_changes_nothing(w, web, overrides, field):
    response = web(w.owner).post(
        reverse("delegation_grant"), {**_grant_data(w, **overrides), "confirmed": "1"}
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert response.context["step"] == "edit"
    assert not CaretakerGrant.objects.exists() and not GrantInvitation.objects.exists() and not mail.outbox


def test_del2_tenants_of_two_accounts_are_refused_in_the_form(w, web):
    from accounts.tests.factories import AccountFactory, member

    second = AccountFactory(name="Zweitfirma")
    member(second, "owner", user=w.owner)
    foreign = TenantFactory(account=second, number="T-100050")
    response = web(w.owner).post(
        reverse("delegation_grant"), {**_grant_data(w, tenants=[w.tenant.pk, foreign.pk]), "confirmed": "1"}
    )
    assert response.status_code == 400 and "tenants" in response.context["form"].errors
    assert not CaretakerGrant.objects.exists()


def test_del2_second_grant_to_the_same_caretaker_is_refused_with_the_reason(w, web):
    granted(w)
    response = web(w.owner).post(reverse("delegation_grant"), {**_grant_data(w), "confirmed": "1"})
    assert response.status_code == 400
    assert b"already has access, or an open invitation or request, for: T-100001" in response.content
    assert CaretakerGrant.objects.count() == 1
