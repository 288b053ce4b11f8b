"""Service rules and refusals: LIC-2 frame, LIC-3 issue, LIC-4 moves between accounts, LIC-5 seats, LIC-6
activations/moves/restores/check-in, SUB-2 cancel, SUB-3 void and swap (atomic)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from accounts import services as account_services
from licenses import services
from licenses.models import Activation, License, LicenseTransfer, Subscription
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent

# --- Issue within the authorization (LIC-2, LIC-3) ---


def test_sales_issues_a_full_licence_for_its_customer(world, issue):
    license = issue("full", quantity=3)
    assert (
        license.status == "active" and license.issuer == world.reseller and license.holder == world.customer
    )
    assert license.group == world.group and license.expires_at is None
    assert AuditEvent.objects.filter(action="license.issued", target_id=str(license.pk)).exists()


def test_demo_uses_the_frame_default_and_limits(world, issue):
    demo = issue("demo")
    assert demo.demo_days == 30
    assert abs((demo.expires_at - demo.issued_at) - dt.timedelta(days=30)) < dt.timedelta(seconds=1)
    with pytest.raises(RuleViolation) as exc:
        issue("demo", demo_days=50)  # the group allows 60, the authorization 45
    assert exc.value.code == "demo_days_out_of_range"
    with pytest.raises(RuleViolation):
        issue("demo", demo_days=3)


def test_kind_and_term_outside_the_authorization_are_refused(world, issue):
    with pytest.raises(RuleViolation) as exc:
        issue("demo", actor=world.hoster_admin, issuer=world.hoster, holder=world.hoster)
    assert exc.value.code == "kind_not_authorized"
    with pytest.raises(RuleViolation) as exc:
        issue(
            "subscription", actor=world.hoster_admin, issuer=world.hoster, holder=world.hoster, term="monthly"
        )
    assert exc.value.code == "term_not_authorized"


def test_products_outside_the_authorized_groups_are_refused(world, issue):
    with pytest.raises(RuleViolation) as exc:
        issue("full", product=world.server)
    assert exc.value.code == "not_authorized_for_product"


def test_only_sales_of_the_reseller_issue(world, issue):
    with pytest.raises(NotPermitted):
        issue("full", actor=world.reseller_admin)  # admin without sales
    with pytest.raises(NotFound):
        issue("full", actor=world.stranger_owner)


def test_only_own_customers(world, issue):
    with pytest.raises(RuleViolation) as exc:
        issue("full", holder=world.stranger)
    assert exc.value.code == "not_your_customer"


def test_quantity_bounded_by_the_group_activation_limit(world, issue):
    with pytest.raises(RuleViolation) as exc:
        issue("full", quantity=6)
    assert exc.value.code == "quantity_out_of_range"


def test_nfr_runs_on_the_group_nfr_term_and_not_for_customers(world, issue):
    with pytest.raises(RuleViolation) as exc:
        issue("nfr", product=world.nfr)
    assert exc.value.code == "nfr_not_for_customers"
    nfr = issue("nfr", product=world.nfr, holder=world.reseller)
    assert nfr.subscription.term == "annual"
    assert set(services.entitlements(nfr.product)) == {"edit", "print", "cloud", "serve"}


def test_rights_ceiling_reseller_admin_cannot_hand_out_sales(world):
    """ACC-3: the admin's rights do not include issuing, so it cannot make someone sales (same service)."""
    from accounts.models import User

    newbie = User.objects.create_user(email="new@r.example", password="x")
    account_services.add_membership(account=world.reseller, user=newbie, roles=["support"])
    with pytest.raises(RuleViolation) as exc:
        account_services.change_roles(
            actor=world.reseller_admin, account=world.reseller, user=newbie, roles=["sales"]
        )
    assert exc.value.code == "rights_ceiling" and "sales" in str(exc.value.detail)


# --- Subscriptions: cancel, void, swap (SUB-2, SUB-3) ---


def test_cancel_runs_to_the_period_end(world, issue):
    license = issue("subscription")
    services.cancel_license(actor=world.sales, license=license)
    license.refresh_from_db()
    sub = Subscription.objects.get(license=license)
    assert license.status == "cancelled" and not sub.auto_renew and sub.cancelled_at
    assert timezone.localdate(license.expires_at) == sub.current_period_end
    with pytest.raises(InvalidTransition):
        services.cancel_license(actor=world.sales, license=license)


def test_full_licences_cannot_be_cancelled_or_voided(world, issue):
    license = issue("full")
    with pytest.raises(InvalidTransition) as exc:
        services.cancel_license(actor=world.sales, license=license)
    assert exc.value.code == "not_a_subscription"
    with pytest.raises(InvalidTransition):
        services.void_license(actor=world.sales, license=license)


def test_customer_cannot_cancel_its_subscription(world, issue):
    license = issue("subscription")
    with pytest.raises(NotPermitted):
        services.cancel_license(actor=world.owner, license=license)


def test_void_refund_is_recall_pending_at_once(world, issue):
    license = issue("subscription")
    services.void_license(actor=world.sales, license=license)
    license.refresh_from_db()
    assert license.status == "recall_pending"
    sub = license.subscription
    assert sub.void_reason == "refund" and sub.voided_at and not sub.auto_renew


def test_swap_links_both_ways(world, issue):
    old = issue("subscription")
    new = services.swap_license(actor=world.sales, license=old, product=world.other_product, term="annual")
    old.refresh_from_db()
    assert old.status == "recall_pending" and old.subscription.void_reason == "swap"
    assert new.subscription.replaces == old.subscription
    assert old.subscription.replaced_by == new.subscription
    assert (
        new.holder == old.holder and new.product == world.other_product and new.subscription.term == "annual"
    )


def test_swap_failure_leaves_neither_changed(world, issue):
    old = issue("subscription")
    before = License.objects.count()
    with pytest.raises(RuleViolation):
        services.swap_license(actor=world.sales, license=old, product=world.server)  # not authorized
    old.refresh_from_db()
    assert old.status == "active" and old.subscription.voided_at is None
    assert License.objects.count() == before


# --- Pools and seats (LIC-5) ---


def test_admin_assigns_and_takes_back(world, issue):
    license = issue("full")
    services.assign_license(actor=world.cadmin, license=license, user=world.member)
    assert access.can(world.member, "activate", license)
    services.activate_license(actor=world.member, license=license, fingerprint="pc-1")
    services.assign_license(actor=world.cadmin, license=license, user=None)
    license.refresh_from_db()
    assert license.assigned_user is None
    assert not Activation.objects.filter(license=license, deactivated_at__isnull=True).exists()
    access.forget(world.member)
    assert not access.can(world.member, "view", license)


def test_assign_only_to_members_and_only_by_admins(world, issue):
    license = issue("full")
    with pytest.raises(RuleViolation) as exc:
        services.assign_license(actor=world.cadmin, license=license, user=world.stranger_owner)
    assert exc.value.code == "not_a_member"
    with pytest.raises(NotFound):
        services.assign_license(actor=world.member, license=license, user=world.member)


# --- Activations (LIC-6) ---


def test_activation_up_to_quantity(world, issue):
    license = issue("full", quantity=2)
    services.activate_license(actor=world.owner, license=license, fingerprint="a")
    services.activate_license(actor=world.owner, license=license, fingerprint="a")  # same machine: no-op
    services.activate_license(actor=world.owner, license=license, fingerprint="b")
    with pytest.raises(RuleViolation) as exc:
        services.activate_license(actor=world.owner, license=license, fingerprint="c")
    assert exc.value.code == "activation_limit"
    with pytest.raises(RuleViolation) as exc:
        services.activate_license(actor=world.owner, license=license, fingerprint="  ")
    assert exc.value.code == "invalid_fingerprint"


def test_move_limit_names_the_next_possible_date(world, issue):
    license = issue("full")
    services.activate_license(actor=world.owner, license=license, fingerprint="m0")
    services.move_license(actor=world.owner, license=license, from_fingerprint="m0", to_fingerprint="m1")
    services.move_license(actor=world.owner, license=license, from_fingerprint="m1", to_fingerprint="m2")
    with pytest.raises(RuleViolation) as exc:
        services.move_license(actor=world.owner, license=license, from_fingerprint="m2", to_fingerprint="m3")
    assert exc.value.code == "move_limit"
    first_move = Activation.objects.filter(license=license, reason="moved").order_by("deactivated_at").first()
    expected = timezone.localtime(first_move.deactivated_at + dt.timedelta(days=30))
    assert str(expected.year) in str(exc.value.detail)
    # 31 days later the oldest move left the window
    later = timezone.now() + dt.timedelta(days=31)
    with mock.patch("django.utils.timezone.now", return_value=later):
        services.move_license(actor=world.owner, license=license, from_fingerprint="m2", to_fingerprint="m3")


def test_move_needs_a_live_activation_there(world, issue):
    license = issue("full")
    with pytest.raises(RuleViolation) as exc:
        services.move_license(actor=world.owner, license=license, from_fingerprint="x", to_fingerprint="y")
    assert exc.value.code == "not_active_there"


def test_restore_revokes_old_activations_once_per_30_days_unless_vendor_support(world, issue):
    license = issue("full")
    services.activate_license(actor=world.owner, license=license, fingerprint="lost")
    services.restore_license(actor=world.owner, license=license, fingerprint="new")
    lost = Activation.objects.get(license=license, fingerprint="lost")
    assert lost.reason == "restored" and lost.deactivated_at
    assert Activation.objects.filter(license=license, reason="moved").count() == 0  # not a move
    with pytest.raises(RuleViolation) as exc:
        services.restore_license(actor=world.owner, license=license, fingerprint="newer")
    assert exc.value.code == "restore_limit"
    services.restore_license(actor=world.vendor_support, license=license, fingerprint="newer")
    assert AuditEvent.objects.filter(action="license.restored", target_id=str(license.pk)).count() == 2


def test_recalled_licences_are_not_activated(world, issue):
    license = issue("subscription")
    services.void_license(actor=world.sales, license=license)
    with pytest.raises(InvalidTransition):
        services.activate_license(actor=world.owner, license=license, fingerprint="a")


# --- Check-in (LIC-6) ---


def test_check_in_answers_and_recalls(world, issue):
    license = issue("subscription")
    services.activate_license(actor=world.owner, license=license, fingerprint="pc")
    answer = services.check_in(key=license.key.lower().replace("-", " "), fingerprint="pc", nonce="n1")
    assert answer["valid"] and answer["status"] == "active" and answer["nonce"] == "n1"
    assert answer["entitlements"] == ["edit", "print"] and answer["next_check_in_at"]
    assert answer["activated_on_this_machine"] is True
    services.void_license(actor=world.sales, license=license)
    answer = services.check_in(key=license.key, fingerprint="pc", nonce="n2")
    assert answer["valid"] is False and answer["status"] == "revoked" and answer["reason"] == "recalled"
    license.refresh_from_db()
    assert license.status == "revoked"
    assert not Activation.objects.filter(license=license, deactivated_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="license.recalled").exists()
    again = services.check_in(key=license.key, fingerprint="pc", nonce="n3")
    assert again["reason"] == "revoked"


def test_check_in_malformed_and_unknown_keys(world):
    from licenses import keys

    assert services.check_in(key="nope", fingerprint="", nonce="x")["reason"] == "malformed_key"
    unknown = services.check_in(key=keys.generate_key(), fingerprint="", nonce="x")
    assert unknown["reason"] == "unknown_key" and unknown["valid"] is False and unknown["status"] is None


# --- LIC-4: a hoster's licence moves into the customer's account with both sides' consent ---


def test_hosted_licence_moves_after_proposal_and_acceptance(world, issue):
    license = issue("full", actor=world.hoster_admin, issuer=world.hoster, holder=world.hoster, tenant=None)
    license.tenant = world.tenant
    license.save()
    assert access.can(world.owner, "view", license)  # the tenant's owner sees it
    assert not access.can(world.owner, "assign", license)
    transfer = services.propose_move(actor=world.hoster_admin, license=license)
    assert transfer.proposed_by_account == world.hoster
    with pytest.raises(NotPermitted):
        services.answer_move(actor=world.hoster_admin, transfer=transfer, action="accept")  # not its own
    services.answer_move(actor=world.owner, transfer=transfer, action="accept")
    license.refresh_from_db()
    assert license.holder == world.customer
    assert AuditEvent.objects.filter(action="license.moved_to_account", account_id=world.hoster.pk).exists()
    assert AuditEvent.objects.filter(action="license.moved_to_account", account_id=world.customer.pk).exists()
    with pytest.raises(InvalidTransition):
        services.answer_move(actor=world.owner, transfer=transfer, action="decline")


def test_customer_may_propose_and_hoster_accepts(world, issue):
    license = issue("full", actor=world.hoster_admin, issuer=world.hoster, holder=world.hoster)
    license.tenant = world.tenant
    license.save()
    transfer = services.propose_move(actor=world.owner, license=license)
    assert transfer.proposed_by_account == world.customer
    services.answer_move(actor=world.hoster_admin, transfer=transfer, action="accept")
    assert LicenseTransfer.objects.get(pk=transfer.pk).status == "accepted"


def test_only_hosted_licences_move_between_accounts(world, issue):
    license = issue("full")
    with pytest.raises(InvalidTransition) as exc:
        services.propose_move(actor=world.owner, license=license)
    assert exc.value.code == "license_not_hosted"


def test_issue_for_a_hosted_tenant_via_the_service(world, issue):
    from tenants.models import Tenant

    Tenant.objects.filter(pk=world.tenant.pk).update(reseller=world.hoster)
    license = issue(
        "full", actor=world.hoster_admin, issuer=world.hoster, holder=world.hoster, tenant=world.tenant
    )
    assert license.is_hosted
    from licenses.selectors import hosted_by_partner

    assert hosted_by_partner(license) == world.hoster


def test_authorize_reseller_within_the_group(world):
    with pytest.raises(NotPermitted):
        services.authorize_reseller(
            actor=world.vendor_support,
            reseller=world.hoster,
            group=world.group,
            kinds=["full"],
            max_demo_days=30,
            terms=[],
        )
    with pytest.raises(RuleViolation) as exc:
        services.authorize_reseller(
            actor=world.superuser,
            reseller=world.hoster,
            group=world.other_group,
            kinds=["nfr"],
            max_demo_days=30,
            terms=[],
        )
    assert exc.value.code == "beyond_group"
    with pytest.raises(RuleViolation):
        services.authorize_reseller(
            actor=world.superuser,
            reseller=world.customer,
            group=world.group,
            kinds=["full"],
            max_demo_days=30,
            terms=[],
        )
    auth = services.authorize_reseller(
        actor=world.superuser,
        reseller=world.hoster,
        group=world.other_group,
        kinds=["full"],
        max_demo_days=30,
        terms=["annual"],
    )
    assert auth.kinds == ["full"]


def test_renewing_subscription_stays_valid_until_the_job_renews_it(world, issue):
    license = issue("subscription", started_on=timezone.localdate() - dt.timedelta(days=40))
    assert license.expires_at < timezone.now()
    assert services.check_in(key=license.key, fingerprint="", nonce="n")["valid"] is True
    services.cancel_license(actor=world.sales, license=license)
    assert services.check_in(key=license.key, fingerprint="", nonce="n")["valid"] is False
