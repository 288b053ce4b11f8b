"""Member management in the browser (UI-1): the rights ceiling (ACC-3) and the last-owner rule (ACC-2) answer
with an error message and change nothing; members of other accounts are not found."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants

from accounts.models import Membership
from accounts.tests.factories import AccountFactory, member

pytestmark = pytest.mark.django_db


def _messages(response, level):
    """Messages shown after following the redirect back to the account page (which consumes them)."""
    assert response.redirect_chain, "expected a redirect back to the account page"
    return [str(m) for m in response.context["messages"] if m.level == level]


def _roles(account, user):
    return set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))


@pytest.fixture
def team(client):
    account = AccountFactory()
    owner, admin, plain = member(account, "owner"), member(account, "admin"), member(account, "member")
    client.force_login(admin)
    return client, account, owner, plain


def test_acc3_html_role_change_beyond_the_ceiling_is_refused(team):
    client, account, owner, plain = team
    url = f"/accounts/{account.number}/members/{plain.pk}/roles/"
    response = client.post(url, {"roles": ["owner"]}, follow=True)
    assert response.status_code == 200
    assert _messages(response, constants.ERROR)
    assert _roles(account, plain) == {"member"}
    response = client.post(
        f"/accounts/{account.number}/members/{owner.pk}/roles/", {"roles": ["admin"]}, follow=True
    )
    assert _messages(response, constants.ERROR)
    assert _roles(account, owner) == {"owner"}
    response = client.post(url, {"roles": ["technical", "billing"]}, follow=True)
    assert _messages(response, constants.SUCCESS) and not _messages(response, constants.ERROR)
    assert _roles(account, plain) == {"technical", "billing"}


def test_acc3_html_removal_respects_the_ceiling_and_the_last_owner(team):
    client, account, owner, plain = team
    response = client.post(f"/accounts/{account.number}/members/{owner.pk}/remove/", follow=True)
    assert _messages(response, constants.ERROR)
    assert _roles(account, owner) == {"owner"}
    response = client.post(f"/accounts/{account.number}/members/{plain.pk}/remove/", follow=True)
    assert _messages(response, constants.SUCCESS)
    assert _roles(account, plain) == set()
    client.force_login(owner)
    response = client.post(f"/accounts/{account.number}/members/{owner.pk}/remove/", follow=True)
    assert _messages(response, constants.ERROR)
    assert _roles(account, owner) == {"owner"}


def test_acc2_html_member_of_another_account_is_not_found(team):
    client, account, _owner, _plain = team
    stranger = member(AccountFactory(), "member")
    assert client.post(f"/accounts/{account.number}/members/{stranger.pk}/remove/").status_code == 404
    assert (
        client.post(
            f"/accounts/{account.number}/members/{stranger.pk}/roles/", {"roles": ["member"]}
        ).status_code
        == 404
    )
    assert _roles(stranger.memberships.get().account, stranger) == {"member"}


def test_acc3_html_invite_form_offers_only_grantable_roles(team):
    client, account, _owner, _plain = team
    page = client.get(f"/accounts/{account.number}/").content.decode()
    invite = page[page.index('action="/accounts/' + account.number + '/members/invite/"') :]
    assert 'value="owner" disabled' in invite
    assert 'value="admin" disabled' not in invite


@pytest.mark.django_db
def test_acc1_numberless_staging_account_is_reachable_by_its_url_key(client):
    from accounts.tests.factories import StagingAccountFactory, member

    staging = StagingAccountFactory(contact_email="staging@firma.example")
    owner = member(staging, "owner")
    client.force_login(owner)
    assert staging.url_key == f"~{staging.pk}"
    page = client.get(f"/accounts/{staging.url_key}/")
    assert page.status_code == 200
    assert b"staging@firma.example" in page.content
    assert client.get(f"/api/v1/accounts/{staging.url_key}/").json()["key"] == staging.url_key
    assert client.get(f"/api/v1/accounts/{staging.url_key}/members/").status_code == 200
    other = StagingAccountFactory(contact_email="x@other.example")
    assert client.get(f"/accounts/{other.url_key}/").status_code == 404


def test_acc2_members_without_the_right_to_manage_see_role_names_in_their_language(team):
    client, account, owner, plain = team
    client.force_login(plain)
    page = client.get(f"/accounts/{account.number}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">Inhaber</td>" in page and ">Mitglied</td>" in page and ">owner</td>" not in page
    plain.language = "en"  # the user's own language wins over the browser's
    plain.save(update_fields=["language"])
    page = client.get(f"/accounts/{account.number}/").content.decode()
    assert ">Owner</td>" in page and ">Administrator</td>" in page
