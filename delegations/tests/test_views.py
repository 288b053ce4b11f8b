"""The minimal delegation pages (UI-1; DEL-2, DEL-4, DEL-5) and the navigation count."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from delegations.models import CaretakerGrant, GrantInvitation

from .conftest import link_token
from .factories import grant_row, granted, requested


def _html(client, user):
    client.force_login(user)
    return client


def test_del5_overview_shows_sections_and_nav_count(w, client):
    requested(w)
    requested(w, "T-777777")
    response = _html(client, w.owner).get(reverse("delegation_overview"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["overview"].counts["incoming"] == 1
    nav = [item for item in response.context["nav_items"] if item["url"] == reverse("delegation_overview")]
    assert nav and nav[0]["count"] == 1
    assert b"Kunde Webshop" in response.content and b"T-777777" not in response.content


def test_del1_overview_hides_the_tenant_name_from_the_requester(w, client):
    requested(w)
    response = _html(client, w.tech).get(reverse("delegation_overview"))
    assert b"T-100001" in response.content and b"Kunde Webshop" not in response.content


def test_del4_overview_buttons_run_the_services(w, client):
    grant = requested(w)
    client = _html(client, w.owner)
    response = client.post(reverse("delegation_action", args=[grant.pk, "accept"]), {"unlimited": "1"})
    assert response.status_code == 302 and CaretakerGrant.objects.get().status == "active"
    response = client.post(
        reverse("delegation_action", args=[grant.pk, "accept"]), {"unlimited": "1"}, follow=True
    )
    assert CaretakerGrant.objects.get().status == "active" and list(response.context["messages"])
    client.force_login(w.other_owner)
    assert client.post(reverse("delegation_action", args=[grant.pk, "revoke"])).status_code == 404
    assert client.post(reverse("delegation_action", args=[grant.pk, "explode"])).status_code == 404


def test_del4_extend_page_from_the_reminder(w, client):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(days=5))
    url = reverse("delegation_extend", args=[grant.pk])
    client = _html(client, w.owner)
    assert client.get(url).status_code == 200
    assert CaretakerGrant.objects.get().expires_at == grant.expires_at  # GET changes nothing
    assert client.post(url).status_code == 302
    assert CaretakerGrant.objects.get().expires_at == grant.expires_at + timedelta(days=30)
    client.force_login(w.outsider)
    assert client.get(url).status_code == 404


def test_del2_link_page_get_changes_nothing_post_accepts(w, client, run_on_commit):
    with run_on_commit():
        granted(w)
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    url = reverse("delegation_accept_link") + f"?token={token}"
    anonymous = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        anonymous.status_code == 200
        and b"Kunde Webshop" in anonymous.content
        and b"Sign up" in anonymous.content
    )
    client.force_login(w.sales)
    wrong = client.get(url)
    assert w.sales.email.encode() in wrong.content and w.tech.email.encode() in wrong.content
    assert b'name="token"' not in wrong.content  # no accept button for the wrong user
    client.post(reverse("delegation_accept_link"), {"token": token})
    assert CaretakerGrant.objects.get().status == "pending" and GrantInvitation.objects.get().used_at is None
    client.force_login(w.tech)
    response = client.post(reverse("delegation_accept_link"), {"token": token})
    assert response.status_code == 302 and CaretakerGrant.objects.get().status == "active"


def test_del2_sign_up_on_the_link_page_logs_in(w, client, run_on_commit):
    with run_on_commit():
        granted(w, "neu@example.org")
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    response = client.post(
        reverse("delegation_accept_link"), {"token": token, "password": "a-Long-pass-2026", "name": "Neu"}
    )
    assert response.status_code == 302
    assert CaretakerGrant.objects.get().caretaker.email == "neu@example.org"
    assert client.get(reverse("delegation_overview")).status_code == 200  # logged in
