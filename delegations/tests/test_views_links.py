"""Browser pages of delegated access, server side, continued: the grant link page (DEL-2), in-app notifications,
managed accounts (ACC-4: request, answer, notice, dissolution, the account profile).

Status codes per role, 404 for the unseen, and nothing changed on bad input.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from delegations import services
from delegations.models import CaretakerGrant, GrantInvitation, ManagedAccount, Notification
from portal.models import AuditEvent

from .conftest import link_token
from .factories import granted, requested
from .test_views_pages import ROLES


@pytest.fixture
def web(w, client):
    for name in ROLES + ["other_owner"]:
        user = getattr(w, name)
        user.language = "en"
        user.save(update_fields=["language"])

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def link(w, run_on_commit):
    """A customer's grant of T-100001 and T-100002 to ``tech@agentur.example``: the link URL from the mail."""
    with run_on_commit():
        granted(w, tenants=[w.tenant, w.tenant2])
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    return reverse("delegation_accept_link") + f"?token={token}", token


def _grants():
    return list(CaretakerGrant.objects.order_by("pk").values_list("status", "caretaker_id"))


def _invitation():
    invitation = GrantInvitation.objects.get()
    return invitation.used_at, invitation.used_by_id


# --- DEL-2: the link page ---------------------------------------------------------------------------------------


def test_del2_anonymous_get_shows_the_offer_with_log_in_and_sign_up_that_come_back(client, link):
    url, token = link
    before = (_grants(), _invitation())
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    content = response.content.decode()
    assert "T-100001 Kunde Webshop" in content and "T-100002 Kunde Lager" in content
    assert "tech@agentur.example" in content
    # The log-in link returns to this very page; the sign-up form posts back to it.
    (login_link,) = re.findall(r'href="(/login/\?next=[^"]+)"', content)
    back = unquote(login_link.split("next=", 1)[1])
    assert client.get(back, HTTP_ACCEPT_LANGUAGE="en").context["info"].state == "valid"
    assert 'name="password"' in content and f'value="{token}"' in content
    assert (_grants(), _invitation()) == before  # GET changes nothing


def test_del2_invited_user_accepts_by_post(w, web, link):
    url, token = link
    client = web(w.tech)
    page = client.get(url)
    assert page.status_code == 200 and b"Accept access" in page.content
    assert _grants() == [("pending", None), ("pending", None)]
    response = client.post(reverse("delegation_accept_link"), {"token": token})
    assert response.status_code == 302 and response["Location"] == reverse("delegation_overview")
    assert _grants() == [("active", w.tech.pk), ("active", w.tech.pk)]
    assert _invitation()[1] == w.tech.pk


def test_del2_other_logged_in_email_gets_a_clear_refusal_and_changes_nothing(w, web, link):
    url, token = link
    client = web(w.sales)
    before = (_grants(), _invitation())
    page = client.get(url)
    assert page.status_code == 403
    assert b"This invitation is for tech@agentur.example, but you are logged in as sales@agentur.example" in (
        page.content
    )
    assert b'name="token"' not in page.content  # no accept button; a log-out that comes back instead
    assert b"Log out and log in as tech@agentur.example" in page.content
    response = client.post(reverse("delegation_accept_link"), {"token": token})
    assert response.status_code == 403
    assert b"you are logged in as sales@agentur.example" in response.content
    assert (_grants(), _invitation()) == before  # the link stays usable for the right user
    assert web(w.tech).post(reverse("delegation_accept_link"), {"token": token}).status_code == 302


def test_del2_used_link_answers_410_with_a_clear_message(w, web, link):
    url, token = link
    web(w.tech).post(reverse("delegation_accept_link"), {"token": token})
    after = (_grants(), _invitation())
    again = web(w.tech).post(reverse("delegation_accept_link"), {"token": token})
    assert again.status_code == 410 and b"already been used" in again.content
    page = web(w.tech).get(url)
    assert page.status_code == 410 and b"This link has already been used." in page.content
    assert (_grants(), _invitation()) == after


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-3] + "xyz", lambda t: "", lambda t: "garbage", lambda t: t.replace(":", ":0", 1)],
    ids=["signature", "empty", "garbage", "payload"],
)
def test_del2_tampered_link_answers_400_and_changes_nothing(w, web, client, link, mangle):
    url, token = link
    before = (_grants(), _invitation())
    bad = mangle(token)
    page = client.get(reverse("delegation_accept_link") + f"?token={bad}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and b"This link is invalid." in page.content
    response = web(w.tech).post(reverse("delegation_accept_link"), {"token": bad})
    assert response.status_code == 400 and b"This link is invalid." in response.content
    assert (_grants(), _invitation()) == before


def test_del2_expired_link_answers_410(w, web, link):
    url, token = link
    GrantInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = web(w.tech).get(url)
    assert page.status_code == 410 and b"This link has expired" in page.content
    response = web(w.tech).post(reverse("delegation_accept_link"), {"token": token})
    assert response.status_code == 410 and b"This link has expired" in response.content
    assert _grants() == [("pending", None), ("pending", None)]


def test_del2_replaced_and_withdrawn_links_explain_themselves(w, web, link, run_on_commit):
    url, token = link
    grant = CaretakerGrant.objects.order_by("pk").first()
    with run_on_commit():
        services.resend_grant_link(actor=w.owner, grant=grant)
    page = web(w.tech).get(url)
    assert page.status_code == 410 and b"replaced by a newer one" in page.content
    new_token = link_token([m.body for m in mail.outbox if "?token=" in m.body][-1])
    for pending in CaretakerGrant.objects.all():
        services.withdraw_delegation(actor=w.owner, grant=pending)
    page = web(w.tech).get(reverse("delegation_accept_link") + f"?token={new_token}")
    assert page.status_code == 410 and b"no longer pending" in page.content


def test_del2_sign_up_on_the_link_page_creates_the_user_and_accepts(w, client, run_on_commit):
    with run_on_commit():
        granted(w, "neu@example.org")
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    response = client.post(
        reverse("delegation_accept_link"),
        {"token": token, "name": "Nora Neu", "password": "Kaffee-Tasse-2026"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.org")
    assert user.name == "Nora Neu" and user.check_password("Kaffee-Tasse-2026")
    assert CaretakerGrant.objects.get().caretaker == user
    assert client.get(reverse("delegation_overview")).status_code == 200  # logged in


@pytest.mark.parametrize(
    "data", [{"password": "123"}, {}, {"password": ""}], ids=["weak", "missing", "empty"]
)
def test_del2_bad_sign_up_changes_nothing(w, client, run_on_commit, data):
    with run_on_commit():
        granted(w, "neu@example.org")
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    response = client.post(
        reverse("delegation_accept_link"), {"token": token, **data}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.context["signup"].errors
    assert not User.objects.filter(email="neu@example.org").exists()
    assert CaretakerGrant.objects.get().status == "pending" and _invitation() == (None, None)


def test_del2_sign_up_for_an_existing_user_says_log_in(w, client, link):
    url, token = link
    response = client.post(
        reverse("delegation_accept_link"),
        {"token": token, "password": "Kaffee-Tasse-2026"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and b"exists already. Log in to accept." in response.content
    assert _grants() == [("pending", None), ("pending", None)]


# --- In-app notifications ----------------------------------------------------------------------------------------


@pytest.fixture
def notices(w, run_on_commit):
    with run_on_commit():
        requested(w)
    return list(Notification.objects.filter(user=w.owner))


def test_del1_owner_reads_the_notification_and_marks_it_read(w, web, notices):
    (notice,) = notices
    page = web(w.owner).get(reverse("notification_list"))
    assert page.status_code == 200 and page.context["unread"] == 1
    assert b"asks for Technical access to your tenant T-100001" in page.content
    overview = web(w.owner).get(reverse("delegation_overview"))
    assert overview.context["unread_notifications"] == 1
    response = web(w.owner).post(reverse("notification_read", args=[notice.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"Mark as read" not in response.content
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert web(w.owner).get(reverse("notification_list")).context["unread"] == 0


def test_del1_notifications_are_private(w, web, notices):
    (notice,) = notices
    assert list(web(w.tech).get(reverse("notification_list")).context["page"]) == []
    assert web(w.tech).post(reverse("notification_read", args=[notice.pk])).status_code == 404
    assert web(w.outsider).post(reverse("notification_read", args=[notice.pk])).status_code == 404
    assert web(w.owner).get(reverse("notification_read", args=[notice.pk])).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_del1_mark_all_read_touches_only_ones_own(w, web, notices):
    assert Notification.objects.filter(user=w.admin, read_at__isnull=True).count() == 1
    response = web(w.owner).post(reverse("notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=w.owner, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=w.admin, read_at__isnull=True).count() == 1


def test_notifications_need_a_log_in(client):
    assert client.get(reverse("notification_list")).status_code == 302


# --- ACC-4: managed accounts ---------------------------------------------------------------------------------------


def _relation(w, status="pending"):
    relation = services.request_management(
        actor=w.sales, customer_number=w.customer.number, scope="technical", partner_account=w.partner
    )
    if status == "active":
        relation = services.approve_management(actor=w.owner, relation=relation)
    return relation


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("sales", 200),
        ("tech", 403),
        ("support", 403),
        ("owner", 403),
        ("admin", 403),
        ("vendor_support", 403),
        ("outsider", 403),
    ],
)
def test_acc4_request_form_only_for_partner_admins_and_sales(w, web, role, status):
    client = web(getattr(w, role))
    assert client.get(reverse("management_request")).status_code == status
    response = client.post(
        reverse("management_request"), {"customer_number": w.customer.number.lower(), "scope": "technical"}
    )
    assert response.status_code == (302 if status == 200 else status)
    assert ManagedAccount.objects.count() == (1 if status == 200 else 0)


def test_acc4_request_then_owner_approves_on_the_overview(w, web):
    response = web(w.sales).post(
        reverse("management_request"),
        {"customer_number": w.customer.number, "scope": "read", "message": "Wir übernehmen gern."},
    )
    relation = ManagedAccount.objects.get()
    assert response["Location"] == reverse("managed_account_list")  # the same for unknown numbers
    assert (relation.status, relation.scope, relation.partner_account) == ("pending", "read", w.partner)
    overview = web(w.owner).get(reverse("delegation_overview"))
    assert [
        (r["relation"].pk, [b.action for b in r["buttons"]]) for r in overview.context["management_requests"]
    ] == [(relation.pk, ["approve", "decline"])]
    assert overview.context["management_rows"] == []  # answered under "Open requests", not twice
    nav = [i for i in overview.context["nav_items"] if i["url"] == reverse("delegation_overview")]
    assert nav[0]["count"] == 1
    # Only the owner answers: the customer's admin sees the relation but may not approve.
    assert web(w.admin).post(reverse("management_action", args=[relation.pk, "approve"])).status_code == 403
    assert web(w.sales).post(reverse("management_action", args=[relation.pk, "approve"])).status_code == 403
    relation.refresh_from_db()
    assert relation.status == "pending"
    response = web(w.owner).post(
        reverse("management_action", args=[relation.pk, "approve"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"Approved" in response.content
    relation.refresh_from_db()
    assert relation.status == "active" and relation.decided_by == w.owner


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"customer_number": "", "scope": "read"}, 400),
        ({"customer_number": "K-1", "scope": "admin"}, 400),
    ],
    ids=["no-number", "bad-scope"],
)
def test_acc4_bad_management_request_changes_nothing(w, web, data, status):
    response = web(w.sales).post(reverse("management_request"), data)
    assert response.status_code == status
    assert response.context["form"].errors
    assert not ManagedAccount.objects.exists()


def test_acc4_second_pending_request_stores_nothing_new(w, web):
    _relation(w)
    response = web(w.sales).post(
        reverse("management_request"), {"customer_number": w.customer.number, "scope": "read"}
    )
    assert response.status_code == 302  # the same answer as the first time (issue 10: no enumeration)
    assert ManagedAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("admin", 200),
        ("billing", 200),
        ("sales", 200),
        ("tech", 200),
        ("vendor_support", 200),
        ("other_owner", 404),
        ("outsider", 404),
    ],
)
def test_acc4_relation_page_by_role(w, web, role, status):
    relation = _relation(w)
    assert (
        web(getattr(w, role)).get(reverse("managed_account_detail", args=[relation.pk])).status_code == status
    )
    listed = web(getattr(w, role)).get(reverse("managed_account_list"))
    assert listed.status_code == 200
    assert [r["relation"].pk for r in listed.context["rows"]] == ([relation.pk] if status == 200 else [])


@pytest.mark.parametrize(
    ("role", "action", "status", "after"),
    [
        ("owner", "decline", 302, "declined"),
        ("sales", "withdraw", 302, "withdrawn"),
        ("owner", "withdraw", 403, "pending"),
        ("tech", "withdraw", 403, "pending"),  # partner tech: not its partner's management requests
        ("owner", "dissolve", 409, "pending"),
        ("other_owner", "approve", 404, "pending"),
        ("outsider", "decline", 404, "pending"),
        ("owner", "explode", 404, "pending"),
    ],
)
def test_acc4_pending_relation_buttons_by_role(w, web, role, action, status, after):
    relation = _relation(w)
    response = web(getattr(w, role)).post(reverse("management_action", args=[relation.pk, action]))
    assert response.status_code == status
    relation.refresh_from_db()
    assert relation.status == after


def test_acc4_owner_dissolves_at_once(w, web):
    relation = _relation(w, "active")
    response = web(w.owner).post(
        reverse("management_action", args=[relation.pk, "dissolve"]), {"reason": "Wir machen es selbst."}
    )
    assert response.status_code == 302
    relation.refresh_from_db()
    assert (relation.status, relation.end_reason, relation.ended_by) == (
        "dissolved",
        "Wir machen es selbst.",
        w.owner,
    )


def test_acc4_vendor_dissolves_only_after_notifying_the_partner(w, web, run_on_commit):
    relation = _relation(w, "active")
    client = web(w.vendor_support)
    page = client.get(reverse("managed_account_detail", args=[relation.pk]))
    assert [b.action for b in page.context["buttons"]] == ["notify_partner"]  # no dissolve yet
    early = client.post(reverse("management_action", args=[relation.pk, "dissolve"]))
    assert early.status_code == 400 and b"Notify the partner first" in early.content
    empty = client.post(reverse("management_action", args=[relation.pk, "notify_partner"]), {"notice": "  "})
    assert empty.status_code == 400 and empty.context["notice_form"].errors
    relation.refresh_from_db()
    assert (relation.status, relation.partner_notified_at) == ("active", None)
    with run_on_commit():
        response = client.post(
            reverse("management_action", args=[relation.pk, "notify_partner"]),
            {"notice": "Die Inhaberin wünscht die Auflösung zum Monatsende."},
        )
    assert response.status_code == 302
    relation.refresh_from_db()
    assert relation.partner_notice == "Die Inhaberin wünscht die Auflösung zum Monatsende."
    assert any(w.sales.email in m.to for m in mail.outbox)  # the partner's admin got the notice
    page = client.get(reverse("managed_account_detail", args=[relation.pk]))
    assert [b.action for b in page.context["buttons"]] == ["dissolve"] and page.context["on_behalf"]
    assert client.post(reverse("management_action", args=[relation.pk, "dissolve"])).status_code == 302
    relation.refresh_from_db()
    assert relation.status == "dissolved" and relation.ended_by == w.vendor_support
    event = AuditEvent.objects.get(action="management.dissolved")
    assert event.changes["on_behalf_of_owner"] is True


def test_acc4_vendor_finds_relations_in_the_list(w, web):
    relation = _relation(w, "active")
    client = web(w.vendor_support)
    found = client.get(reverse("managed_account_list") + f"?q={w.customer.number}&status=active")
    assert [r["relation"].pk for r in found.context["rows"]] == [relation.pk]
    assert [
        r["relation"].pk for r in client.get(reverse("managed_account_list") + "?q=nothing").context["rows"]
    ] == []
    assert client.get(reverse("managed_account_list") + "?status=bogus").status_code == 200


def test_acc4_account_page_shows_customer_as_company_and_partner_as_contact(w, web):
    url = reverse("account_detail", args=[w.customer.url_key])
    assert b"Contact (managing partner)" not in web(w.owner).get(url).content
    relation = _relation(w, "active")
    page = web(w.owner).get(url).content.decode()
    assert "Contact (managing partner)" in page and "Agentur Test" in page
    assert "<dt>Company</dt><dd>Kunde GmbH</dd>" in page
    relation_link = reverse("managed_account_detail", args=[relation.pk])
    assert relation_link in page
    vendor_page = web(w.vendor_support).get(url).content.decode()
    assert relation_link in vendor_page  # vendor staff reach the relation (and its dissolution) from here
    # The partner account's own page carries no such line.
    assert (
        b"Contact (managing partner)"
        not in web(w.sales).get(reverse("account_detail", args=[w.partner.url_key])).content
    )
