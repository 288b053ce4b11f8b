"""DEL-2: a customer grants access by e-mail; the signed, expiring, single-use link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from delegations import services, tokens
from delegations.models import CaretakerGrant, GrantInvitation, Notification
from delegations.selectors import grant_link_info
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from tenants.tests.factories import TenantFactory

from .conftest import link_token
from .factories import granted, requested


def _grant_and_token(w, run_on_commit, **kwargs):
    with run_on_commit():
        grants = granted(w, **kwargs)
    link_mails = [m for m in mail.outbox if "?token=" in m.body]
    assert len(link_mails) == 1
    return grants, link_token(link_mails[0].body)


def test_del2_grant_creates_pending_grants_and_mails_a_link(w, run_on_commit):
    today = timezone.localdate()
    grants, token = _grant_and_token(
        w, run_on_commit, tenants=[w.tenant, w.tenant2], expires_on=today + timedelta(days=10)
    )
    assert [g.status for g in grants] == ["pending", "pending"]
    assert {g.tenant for g in grants} == {w.tenant, w.tenant2}
    assert all(g.caretaker is None and g.origin == "grant" and g.requested_by == w.owner for g in grants)
    # Access ends at the end of the chosen day, Europe/Berlin.
    end = timezone.localtime(grants[0].expires_at)
    assert (end.date(), end.hour, end.minute) == (today + timedelta(days=11), 0, 0)
    link_mail = next(m for m in mail.outbox if "?token=" in m.body)
    assert link_mail.to == [w.tech.email]
    assert "Kunde Webshop" in link_mail.body and "Kunde Lager" in link_mail.body
    assert Notification.objects.filter(user=w.tech, kind="grant_offered").count() == 2
    assert grants[0].invitation == grants[1].invitation


def test_del2_link_accept_activates_every_tenant_once(w, run_on_commit):
    grants, token = _grant_and_token(w, run_on_commit, tenants=[w.tenant, w.tenant2])
    with run_on_commit():
        accepted = services.accept_grant_link(actor=w.tech, token=token)
    assert sorted(g.pk for g in accepted) == sorted(g.pk for g in grants)
    for grant in CaretakerGrant.objects.all():
        assert (grant.status, grant.caretaker, grant.partner_account, grant.decided_by) == (
            "active",
            w.tech,
            w.partner,
            w.tech,
        )
    assert GrantInvitation.objects.get().used_by == w.tech
    # The customer side learns of it.
    assert Notification.objects.filter(kind="grant_accepted", user=w.owner).count() == 2


def test_del2_reused_link_is_refused(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit)
    services.accept_grant_link(actor=w.tech, token=token)
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=token)
    assert caught.value.code == "link_used"


def test_del2_tampered_link_is_refused(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit)
    invitation = GrantInvitation.objects.get()
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", "", token + "x"):
        with pytest.raises(RuleViolation) as caught:
            services.accept_grant_link(actor=w.tech, token=bad)
        assert caught.value.code == "link_invalid"
    # A correctly signed token with another nonce (guessing) is refused too.
    from django.core import signing

    forged = signing.dumps({"i": invitation.pk, "n": "guess"}, salt=tokens.SALT)
    with pytest.raises(RuleViolation):
        services.accept_grant_link(actor=w.tech, token=forged)
    assert CaretakerGrant.objects.get().status == "pending"


def test_del2_expired_link_is_refused(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit)
    GrantInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=token)
    assert caught.value.code == "link_expired"
    assert CaretakerGrant.objects.get().status == "pending"


def test_del2_link_signature_older_than_validity_is_refused(w, run_on_commit, monkeypatch):
    _grants, token = _grant_and_token(w, run_on_commit)
    monkeypatch.setattr(tokens, "LINK_VALIDITY", timedelta(seconds=-1))
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=token)
    assert caught.value.code == "link_expired"


def test_del2_wrong_email_gets_a_clear_refusal_and_the_link_stays_usable(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit)
    with pytest.raises(NotPermitted) as caught:
        services.accept_grant_link(actor=w.sales, token=token)
    assert caught.value.code == "wrong_email"
    assert "t***@agentur.example" in str(caught.value.detail) and w.sales.email in str(caught.value.detail)
    assert CaretakerGrant.objects.get().status == "pending" and GrantInvitation.objects.get().used_at is None
    services.accept_grant_link(actor=w.tech, token=token)
    assert CaretakerGrant.objects.get().status == "active"


def test_del2_email_match_ignores_case(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit, email="TECH@Agentur.Example")
    assert CaretakerGrant.objects.get().caretaker_email == "tech@agentur.example"
    services.accept_grant_link(actor=w.tech, token=token)


def test_del2_withdrawn_grant_link_does_nothing(w, run_on_commit):
    grants, token = _grant_and_token(w, run_on_commit)
    services.withdraw_delegation(actor=w.owner, grant=grants[0])
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=token)
    assert caught.value.code == "grant_not_pending"
    assert grant_link_info(token).state == "withdrawn"


def test_del2_partly_withdrawn_link_activates_the_rest(w, run_on_commit):
    grants, token = _grant_and_token(w, run_on_commit, tenants=[w.tenant, w.tenant2])
    services.withdraw_delegation(actor=w.owner, grant=grants[0])
    accepted = services.accept_grant_link(actor=w.tech, token=token)
    assert [g.pk for g in accepted] == [grants[1].pk]
    assert CaretakerGrant.objects.get(pk=grants[0].pk).status == "withdrawn"


def test_del2_link_page_info_changes_nothing(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit, tenants=[w.tenant, w.tenant2])
    info = grant_link_info(token)
    assert (info.state, info.email, info.customer_name) == ("valid", w.tech.email, "Kunde GmbH")
    assert [g.tenant.number for g in info.grants] == ["T-100001", "T-100002"]
    assert grant_link_info("nonsense").state == "invalid"
    assert GrantInvitation.objects.get().used_at is None
    services.accept_grant_link(actor=w.tech, token=token)
    assert grant_link_info(token).state == "used"


def test_del2_sign_up_from_the_link(w, run_on_commit):
    grants, token = _grant_and_token(w, run_on_commit, email="new.caretaker@example.org")
    with pytest.raises(RuleViolation) as caught:
        services.sign_up_and_accept_grant_link(token=token, password="123")
    assert caught.value.code == "invalid_password"
    assert not User.objects.filter(email="new.caretaker@example.org").exists()
    user, accepted = services.sign_up_and_accept_grant_link(
        token=token, password="a-Long-pass-2026", name="Neu"
    )
    assert user.email == "new.caretaker@example.org" and user.check_password("a-Long-pass-2026")
    assert CaretakerGrant.objects.get().caretaker == user and accepted[0].status == "active"
    assert CaretakerGrant.objects.get().partner_account is None


def test_del2_sign_up_is_refused_when_the_user_exists(w, run_on_commit):
    _grants, token = _grant_and_token(w, run_on_commit)
    with pytest.raises(RuleViolation) as caught:
        services.sign_up_and_accept_grant_link(token=token, password="a-Long-pass-2026")
    assert caught.value.code == "user_exists"
    assert CaretakerGrant.objects.get().status == "pending"


def test_del2_resend_replaces_the_link(w, run_on_commit):
    grants, old_token = _grant_and_token(w, run_on_commit)
    mail.outbox.clear()
    with run_on_commit():
        services.resend_grant_link(actor=w.owner, grant=grants[0])
    new_token = link_token(mail.outbox[0].body)
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=old_token)
    assert caught.value.code == "link_replaced"
    services.accept_grant_link(actor=w.tech, token=new_token)
    assert CaretakerGrant.objects.get().status == "active"


def test_del2_in_app_accept_by_the_invited_user_spends_the_link(w, run_on_commit):
    grants, token = _grant_and_token(w, run_on_commit)
    services.accept_delegation(actor=w.tech, grant=grants[0])
    assert CaretakerGrant.objects.get().status == "active"
    with pytest.raises(InvalidTransition) as caught:
        services.accept_grant_link(actor=w.tech, token=token)
    assert caught.value.code == "link_used"


@pytest.mark.parametrize("who", ["billing", "technical"])
def test_del2_only_owners_and_admins_grant(w, who):
    with pytest.raises(NotPermitted):
        services.grant_caretaker_access(
            actor=getattr(w, who), tenants=[w.tenant], email="x@example.org", scope="read"
        )
    assert not CaretakerGrant.objects.exists()


def test_del2_admin_may_grant(w):
    services.grant_caretaker_access(actor=w.admin, tenants=[w.tenant], email="x@example.org", scope="read")
    assert CaretakerGrant.objects.get().requested_by == w.admin


def test_del2_foreign_tenant_is_not_found(w):
    with pytest.raises(NotFound):
        services.grant_caretaker_access(
            actor=w.owner, tenants=[w.other_tenant], email="x@example.org", scope="read"
        )


def test_del2_tenants_of_two_accounts_are_refused(w):
    from accounts.tests.factories import member

    member(w.other_customer, "owner", user=w.owner)
    with pytest.raises(RuleViolation) as caught:
        services.grant_caretaker_access(
            actor=w.owner, tenants=[w.tenant, w.other_tenant], email="x@example.org", scope="read"
        )
    assert caught.value.code == "tenants_of_several_accounts"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"email": "not-an-email"}, "invalid_email"),
        ({"email": "owner@kunde.example"}, "self_grant"),
        ({"scope": "billing"}, "invalid_scope"),
        ({"expires_on": "yesterday"}, "expiry_in_past"),
        ({"expires_on": "far"}, "expiry_too_far"),
        ({"tenants": []}, "tenants_required"),
    ],
)
def test_del2_bad_input_is_refused_and_nothing_is_stored(w, kwargs, code):
    today = timezone.localdate()
    dates = {"yesterday": today - timedelta(days=1), "far": today + timedelta(days=6 * 366)}
    if "expires_on" in kwargs:
        kwargs = {"expires_on": dates[kwargs["expires_on"]]}
    arguments = {"actor": w.owner, "tenants": [w.tenant], "email": "x@example.org", "scope": "read", **kwargs}
    with pytest.raises(RuleViolation) as caught:
        services.grant_caretaker_access(**arguments)
    assert caught.value.code == code
    assert not CaretakerGrant.objects.exists() and not GrantInvitation.objects.exists()


def test_del2_second_open_grant_for_the_same_caretaker_is_refused(w):
    granted(w, "x@example.org")
    with pytest.raises(RuleViolation) as caught:
        granted(w, "x@example.org", tenants=[w.tenant, w.tenant2])
    assert caught.value.code == "already_delegated" and "T-100001" in str(caught.value.detail)
    assert CaretakerGrant.objects.count() == 1
    # A partner's open request counts as well.
    requested(w, w.tenant2.number)
    with pytest.raises(RuleViolation):
        granted(w, w.tech.email, tenants=[w.tenant2])


def test_del2_expiry_today_is_allowed(w):
    grants = granted(w, "x@example.org", expires_on=timezone.localdate())
    assert grants[0].expires_at > timezone.now()


def test_del2_grant_on_a_staging_tenant(w):
    from accounts.tests.factories import StagingAccountFactory, member

    staging = StagingAccountFactory(leading_account=w.customer)
    member(staging, "owner", user=w.owner)
    tenant = TenantFactory(account=staging, environment="staging")
    grants = services.grant_caretaker_access(
        actor=w.owner, tenants=[tenant], email="x@example.org", scope="read"
    )
    assert grants[0].customer_account == staging
