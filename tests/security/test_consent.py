"""Consent to membership (ACC-6, issue 10 §1): making an existing user a member — an account admin's invitation,
the API, the admin, or a partner's "new customer" with an existing contact's address — takes effect only
when the user accepts. Until then: no membership, no rights, no other active account. New users keep the
sign-up by invitation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts import invitations
from accounts import services as account_services
from accounts.models import Membership, MembershipInvitation
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, UserFactory, member
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted
from portal.middleware import resolve_active_account
from portal.models import AuditEvent
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing():
    """A user with an account of its own (its active account) and a tenant there."""
    home = AccountFactory(name="Zuhause GmbH", number="K-900001")
    user = member(home, "owner", email="known@example.org")
    TenantFactory(account=home)
    return user, home


@pytest.fixture
def inviting():
    account = AccountFactory(name="Aaa Neu GmbH", number="K-000001")  # sorts first: would become active
    owner = member(account, "owner")
    TenantFactory(account=account, name="Fremder Mandant")
    return account, owner


def _unchanged(user, home, account):
    access.forget(user)
    assert not Membership.objects.filter(user=user, account=account).exists()
    assert resolve_active_account(user, None) == home
    assert not access.visible(user, Tenant).filter(account=account).exists()


def _invite_by(how, inviting, email, run_on_commit, client):
    account, owner = inviting
    with run_on_commit():
        if how == "service":
            account_services.invite_member(actor=owner, account=account, email=email, roles=["admin"])
        elif how == "html":
            client.force_login(owner)
            client.post(f"/accounts/{account.number}/members/invite/", {"email": email, "roles": ["admin"]})
        else:
            client.force_login(owner)
            response = client.post(
                f"/api/v1/accounts/{account.number}/members/",
                {"email": email.upper(), "roles": ["admin"]},
                content_type="application/json",
            )
            assert response.status_code == 202, response.content
            assert response.json()["status"] == "pending"


@pytest.mark.parametrize("how", ["service", "html", "api"])
def test_acc6_invited_existing_user_changes_nothing_until_accepting(existing, inviting, how, run_on_commit):
    user, home = existing
    account, _owner = inviting
    _invite_by(how, inviting, "Known@Example.org ", run_on_commit, Client())
    _unchanged(user, home, account)
    invitation = MembershipInvitation.objects.get(user=user, account=account)
    assert invitation.status == "pending" and invitation.roles == ["admin"]
    assert [m.to for m in mail.outbox] == [["known@example.org"]]
    assert f"/invitations/{invitation.pk}/" in mail.outbox[0].body and "/reset/" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="membership.invitation_sent", account=account).exists()
    # Accepting makes the user a member, with the invited roles; the active account stays.
    web = Client()
    web.force_login(user)
    web.get("/")  # the session's active account: the home account
    page = web.get(f"/invitations/{invitation.pk}/")
    assert page.status_code == 200 and account.name in page.content.decode()
    _unchanged(user, home, account)  # opening the page changes nothing
    response = web.post(f"/invitations/{invitation.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    assert set(Membership.objects.filter(user=user, account=account).values_list("role", flat=True)) == {
        "admin"
    }
    assert web.get("/").context["active_account"] == home
    assert AuditEvent.objects.filter(action="membership.invitation_accepted", actor=user).exists()


def test_acc6_declining_changes_nothing_and_is_audited(existing, inviting):
    user, home = existing
    account, owner = inviting
    invitation = account_services.invite_member(
        actor=owner, account=account, email=user.email, roles=["member"]
    )
    invitations.decline_invitation(actor=user, invitation=invitation)
    _unchanged(user, home, account)
    with pytest.raises(InvalidTransition):
        invitations.accept_invitation(actor=user, invitation=invitation)
    assert AuditEvent.objects.filter(action="membership.invitation_declined", account=account).exists()


def test_acc6_only_the_invited_user_answers(existing, inviting):
    user, _home = existing
    account, owner = inviting
    invitation = account_services.invite_member(
        actor=owner, account=account, email=user.email, roles=["member"]
    )
    for stranger in (UserFactory(), member(account, "admin")):
        with pytest.raises((NotFound, NotPermitted)):
            invitations.accept_invitation(actor=stranger, invitation=invitation)
    assert Client().get(f"/invitations/{invitation.pk}/").status_code == 302  # log-in first
    outsider = Client()
    outsider.force_login(UserFactory())
    assert outsider.get(f"/invitations/{invitation.pk}/").status_code == 404
    assert outsider.post(f"/invitations/{invitation.pk}/", {"decision": "accept"}).status_code == 404
    assert not Membership.objects.filter(user=user, account=account).exists()


def test_acc6_admins_withdraw_and_the_link_then_fails(existing, inviting, api):
    user, _home = existing
    account, owner = inviting
    invitation = account_services.invite_member(
        actor=owner, account=account, email=user.email, roles=["member"]
    )
    assert api(owner).post(f"/api/v1/invitations/{invitation.pk}/withdraw/").status_code == 200
    body = assert_error_shape(api(user).post(f"/api/v1/invitations/{invitation.pk}/accept/"), 409)
    assert body["code"] == "invitation_not_pending"
    assert not Membership.objects.filter(user=user, account=account).exists()


def test_acc6_api_accept_and_listing(existing, inviting, api):
    user, home = existing
    account, owner = inviting
    invitation = account_services.invite_member(
        actor=owner, account=account, email=user.email, roles=["billing"]
    )
    mine = api(user).get("/api/v1/invitations/").json()
    assert [(i["id"], i["account"], i["status"]) for i in mine] == [
        (invitation.pk, account.number, "pending")
    ]
    assert api(UserFactory()).get("/api/v1/invitations/").json() == []
    assert_error_shape(api(UserFactory()).post(f"/api/v1/invitations/{invitation.pk}/accept/"), 404)
    accepted = api(user).post(f"/api/v1/invitations/{invitation.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Membership.objects.filter(user=user, account=account, role="billing").exists()


def test_acc6_expired_invitation_cannot_be_accepted(existing, inviting):
    from datetime import timedelta

    from django.utils import timezone

    user, home = existing
    account, owner = inviting
    invitation = account_services.invite_member(
        actor=owner, account=account, email=user.email, roles=["member"]
    )
    MembershipInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvalidTransition) as caught:
        invitations.accept_invitation(actor=user, invitation=invitation)
    assert caught.value.code == "invitation_expired"
    _unchanged(user, home, account)


def test_acc6_second_invitation_while_pending_is_refused(existing, inviting):
    user, _home = existing
    account, owner = inviting
    account_services.invite_member(actor=owner, account=account, email=user.email, roles=["member"])
    with pytest.raises(InvalidTransition) as caught:
        account_services.invite_member(actor=owner, account=account, email=user.email, roles=["admin"])
    assert caught.value.code == "already_invited"


def test_acc6_new_customer_with_an_existing_contact_asks_first(existing, run_on_commit):
    user, home = existing
    partner = PartnerAccountFactory()
    sales = member(partner, "sales")
    with run_on_commit():
        account = account_services.create_customer_for_partner(
            actor=sales, partner=partner, name="Aaa Kunde", contact_email="KNOWN@example.org"
        )
    _unchanged(user, home, account)
    invitation = MembershipInvitation.objects.get(user=user, account=account)
    assert invitation.roles == ["owner"] and invitation.acting_account == partner
    assert partner.name in mail.outbox[-1].body
    invitations.accept_invitation(actor=user, invitation=invitation)
    assert Membership.objects.filter(user=user, account=account, role="owner").exists()


def test_acc6_html_new_customer_form_with_existing_contact(existing):
    from accounts.tests.factories import PartnerAccountFactory

    user, home = existing
    partner = PartnerAccountFactory()
    sales = member(partner, "sales")
    web = Client()
    web.force_login(sales)
    web.post(
        "/tenants/new/", {"new_customer_name": "Aaa Kunde", "new_customer_email": user.email, "name": "Shop"}
    )
    for account in [a for a in access.visible(user, type(home)).all() if a != home]:
        _unchanged(user, home, account)
    assert not Membership.objects.filter(user=user).exclude(account=home).exists()


def test_acc2_new_users_keep_the_sign_up_by_invitation(inviting, run_on_commit):
    account, owner = inviting
    with run_on_commit():
        account_services.invite_member(
            actor=owner, account=account, email="fresh@example.org", roles=["member"]
        )
    assert Membership.objects.filter(account=account, user__email="fresh@example.org").exists()
    assert "/reset/" in mail.outbox[0].body
    assert not MembershipInvitation.objects.exists()
