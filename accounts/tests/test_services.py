"""Account and membership services. Tests ACC-1 (numbers, purposes, leading accounts, constraints),
ACC-2 (memberships, last owner, case-insensitive e-mail log-in), ACC-3 (rights ceiling) and ACC-5
(related accounts by e-mail domain)."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import IntegrityError, connection, transaction

from accounts import selectors, services
from accounts.access import grantable_roles
from accounts.models import Account, AccountPurpose, Membership, User
from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    StagingAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent

ACCOUNT_NUMBER = re.compile(r"K-1\d{5}")


def roles_of(account: Account, user: User) -> set[str]:
    return set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))


# --- ACC-3 rights ceiling: invite ---------------------------------------------------------------

ACCOUNT_FACTORIES = {
    "customer": AccountFactory,
    "partner": PartnerAccountFactory,
    "vendor": VendorAccountFactory,
}

# (account kind, roles the acting user holds, role handed out, expected: "ok" | "ceiling" | "forbidden")
INVITE_CASES = [
    ("customer", ["owner"], "owner", "ok"),
    ("customer", ["owner"], "admin", "ok"),
    ("customer", ["owner"], "billing", "ok"),
    ("customer", ["admin"], "owner", "ceiling"),
    ("customer", ["admin"], "admin", "ok"),
    ("customer", ["admin"], "billing", "ok"),
    ("customer", ["admin"], "technical", "ok"),
    ("customer", ["admin"], "member", "ok"),
    ("customer", ["billing"], "member", "forbidden"),
    ("customer", ["technical"], "member", "forbidden"),
    ("customer", ["member"], "member", "forbidden"),
    ("partner", ["admin"], "admin", "ok"),
    ("partner", ["admin"], "support", "ok"),
    ("partner", ["admin"], "sales", "ceiling"),  # sales may resell: the admin alone may not
    ("partner", ["admin"], "tech", "ceiling"),  # tech deploys: the admin alone may not
    ("partner", ["admin", "sales"], "sales", "ok"),
    ("partner", ["admin", "sales"], "tech", "ceiling"),
    ("partner", ["admin", "tech"], "tech", "ok"),
    ("partner", ["sales"], "support", "forbidden"),
    ("partner", ["support"], "support", "forbidden"),
    ("partner", ["tech"], "support", "forbidden"),
    ("vendor", ["admin"], "support", "ok"),
    ("vendor", ["admin"], "admin", "ok"),
    ("vendor", ["support"], "support", "forbidden"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "held", "handed_out", "expected"), INVITE_CASES)
def test_acc3_invite_never_hands_out_more_than_the_actor_holds(kind, held, handed_out, expected):
    account = ACCOUNT_FACTORIES[kind]()
    actor = member(account, *held)
    events_before = AuditEvent.objects.count()
    if expected == "ok":
        services.invite_member(actor=actor, account=account, email="new@example.org", roles=[handed_out])
        invited = User.objects.get(email="new@example.org")
        assert roles_of(account, invited) == {handed_out}
        assert AuditEvent.objects.filter(action="membership.invited", actor=actor).exists()
        return
    error = RuleViolation if expected == "ceiling" else NotPermitted
    with pytest.raises(error) as caught:
        services.invite_member(actor=actor, account=account, email="new@example.org", roles=[handed_out])
    if expected == "ceiling":
        assert caught.value.code == "rights_ceiling"
        assert handed_out in caught.value.detail
    # Nothing changed: no user, no membership, no event.
    assert not User.objects.filter(email="new@example.org").exists()
    assert Membership.objects.filter(account=account).count() == len(held)
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_acc3_ceiling_counts_every_role_of_a_combined_invitation():
    partner = PartnerAccountFactory()
    admin = member(partner, "admin", "sales")
    with pytest.raises(RuleViolation) as caught:
        services.invite_member(actor=admin, account=partner, email="x@example.org", roles=["support", "tech"])
    assert caught.value.code == "rights_ceiling"
    assert not User.objects.filter(email="x@example.org").exists()


@pytest.mark.django_db
def test_acc3_grantable_roles_match_the_ceiling():
    customer, partner = AccountFactory(), PartnerAccountFactory()
    assert grantable_roles(member(customer, "owner"), customer) == {
        "owner",
        "admin",
        "billing",
        "technical",
        "member",
    }
    assert grantable_roles(member(customer, "admin"), customer) == {
        "admin",
        "billing",
        "technical",
        "member",
    }
    assert grantable_roles(member(customer, "billing"), customer) == set()
    assert grantable_roles(member(partner, "admin"), partner) == {"admin", "support"}
    assert grantable_roles(member(partner, "admin", "sales", "tech"), partner) == {
        "admin",
        "sales",
        "support",
        "tech",
    }
    assert grantable_roles(member(partner, "sales"), partner) == set()
    # Membership elsewhere gives nothing here.
    assert grantable_roles(member(AccountFactory(), "owner"), customer) == set()


@pytest.mark.django_db
def test_acc3_invite_into_an_unseen_account_is_not_found():
    mine, other = AccountFactory(), AccountFactory()
    with pytest.raises(NotFound):
        services.invite_member(
            actor=member(mine, "owner"), account=other, email="x@example.org", roles=["member"]
        )


@pytest.mark.django_db
def test_acc3_superuser_may_hand_out_any_role():
    account = AccountFactory()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    services.invite_member(actor=superuser, account=account, email="boss@example.org", roles=["owner"])
    assert roles_of(account, User.objects.get(email="boss@example.org")) == {"owner"}


# --- ACC-3: role change and removal -----------------------------------------------------------


@pytest.mark.django_db
def test_acc3_admin_cannot_promote_to_owner_nor_demote_an_owner():
    account = AccountFactory()
    owner, admin, plain = member(account, "owner"), member(account, "admin"), member(account, "member")
    with pytest.raises(RuleViolation) as caught:
        services.change_roles(actor=admin, account=account, user=plain, roles=["owner"])
    assert caught.value.code == "rights_ceiling"
    assert roles_of(account, plain) == {"member"}
    with pytest.raises(RuleViolation):
        services.change_roles(actor=admin, account=account, user=owner, roles=["admin"])
    assert roles_of(account, owner) == {"owner"}
    services.change_roles(actor=admin, account=account, user=plain, roles=["technical", "billing"])
    assert roles_of(account, plain) == {"technical", "billing"}
    event = AuditEvent.objects.get(action="membership.roles_changed")
    assert event.actor == admin
    assert event.changes["added"] == ["billing", "technical"]
    assert event.changes["removed"] == ["member"]


@pytest.mark.django_db
def test_acc3_partner_admin_cannot_take_away_roles_it_does_not_hold():
    partner = PartnerAccountFactory()
    admin = member(partner, "admin")
    tech = member(partner, "tech", "support")
    with pytest.raises(RuleViolation):
        services.change_roles(actor=admin, account=partner, user=tech, roles=["support"])
    assert roles_of(partner, tech) == {"tech", "support"}
    with pytest.raises(RuleViolation):
        services.remove_member(actor=admin, account=partner, user=tech)
    assert roles_of(partner, tech) == {"tech", "support"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["billing", "technical", "member"])
def test_acc3_roles_without_manage_members_change_nothing(role):
    account = AccountFactory()
    actor, other = member(account, role), member(account, "member")
    with pytest.raises(NotPermitted):
        services.change_roles(actor=actor, account=account, user=other, roles=["technical"])
    with pytest.raises(NotPermitted):
        services.remove_member(actor=actor, account=account, user=other)
    assert roles_of(account, other) == {"member"}


@pytest.mark.django_db
def test_acc3_admin_removes_a_member_but_not_an_owner():
    account = AccountFactory()
    owner, admin, plain = member(account, "owner"), member(account, "admin"), member(account, "member")
    with pytest.raises(RuleViolation):
        services.remove_member(actor=admin, account=account, user=owner)
    assert roles_of(account, owner) == {"owner"}
    services.remove_member(actor=admin, account=account, user=plain)
    assert roles_of(account, plain) == set()
    assert AuditEvent.objects.filter(action="membership.removed", actor=admin).exists()
    access.forget(plain)
    assert not access.can(plain, "view", account)


@pytest.mark.django_db
def test_acc2_a_member_may_leave_on_its_own():
    account = AccountFactory()
    member(account, "owner")
    leaver = member(account, "billing")
    services.remove_member(actor=leaver, account=account, user=leaver)
    assert roles_of(account, leaver) == set()


@pytest.mark.django_db
def test_acc2_role_changes_change_rights_at_once():
    """No stored per-role permission rows: the authority reads the memberships, so a role change is the
    right change (here: support → tech deploys on the partner's resold tenant, then nothing after removal)."""
    from tenants.tests.factories import resold_tenant

    partner = PartnerAccountFactory()
    tenant = resold_tenant(AccountFactory(), partner)
    admin = member(partner, "admin", "tech")
    user = member(partner, "support")
    assert not access.can(user, "deploy", tenant)
    services.change_roles(actor=admin, account=partner, user=user, roles=["support", "tech"])
    assert access.can(user, "deploy", tenant)
    services.remove_member(actor=admin, account=partner, user=user)
    assert not access.can(user, "view", tenant)


# --- ACC-2: the last owner ---------------------------------------------------------------------


@pytest.mark.django_db
def test_acc2_last_owner_cannot_be_removed_or_demoted():
    account = AccountFactory()
    owner = member(account, "owner")
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for actor in (owner, superuser):
        with pytest.raises(InvalidTransition) as caught:
            services.remove_member(actor=actor, account=account, user=owner)
        assert caught.value.code == "last_owner"
        with pytest.raises(InvalidTransition) as caught:
            services.change_roles(actor=actor, account=account, user=owner, roles=["admin"])
        assert caught.value.code == "last_owner"
    assert roles_of(account, owner) == {"owner"}
    # Adding roles to the last owner is fine.
    services.change_roles(actor=owner, account=account, user=owner, roles=["owner", "billing"])
    assert roles_of(account, owner) == {"owner", "billing"}


@pytest.mark.django_db
def test_acc2_with_two_owners_one_may_go_then_the_other_is_the_last():
    account = AccountFactory()
    first, second = member(account, "owner"), member(account, "owner")
    services.change_roles(actor=first, account=account, user=first, roles=["admin"])
    assert roles_of(account, first) == {"admin"}
    with pytest.raises(InvalidTransition):
        services.remove_member(actor=second, account=account, user=second)
    assert roles_of(account, second) == {"owner"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["remove_each_other", "demote_themselves"])
def test_acc2_two_owners_racing_cannot_both_go(require_postgres, monkeypatch, how):
    """Two owners act at once. The account row lock serializes the last-owner check: one wins."""
    account = AccountFactory()
    first, second = member(account, "owner"), member(account, "owner")
    original = services._lock_owners

    def slow_lock_owners(locked_account):
        count = original(locked_account)
        time.sleep(0.3)  # widen the window between the check and the write
        return count

    monkeypatch.setattr(services, "_lock_owners", slow_lock_owners)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def act(actor, target):
        barrier.wait()
        try:
            actor = User.objects.get(pk=actor.pk)  # fresh role cache per thread
            if how == "remove_each_other":
                services.remove_member(actor=actor, account=account, user=User.objects.get(pk=target.pk))
            else:
                services.change_roles(actor=actor, account=account, user=actor, roles=["admin"])
            outcomes.append("ok")
        except InvalidTransition as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # anything else fails the test below with its text
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(first, second)),
        threading.Thread(target=act, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["last_owner", "ok"], outcomes
    assert Membership.objects.filter(account=account, role="owner").count() == 1


# --- ACC-2: invitations ------------------------------------------------------------------------


@pytest.mark.django_db
def test_acc2_invite_creates_the_user_and_mails_a_set_password_link(django_capture_on_commit_callbacks):
    account = AccountFactory(name="Shop GmbH")
    owner = member(account, "owner")
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(
            actor=owner, account=account, email="  New.User@Example.ORG ", roles=["member"], name="Nina"
        )
    user = User.objects.get(email="new.user@example.org")
    assert user.name == "Nina"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.user@example.org"]
    assert "Shop GmbH" in mail.outbox[0].subject
    assert "/reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_acc2_invite_finds_an_existing_user_regardless_of_case():
    account = AccountFactory()
    owner = member(account, "owner")
    existing = UserFactory(email="known@example.org")
    invitation = services.invite_member(
        actor=owner, account=account, email="KNOWN@Example.org", roles=["billing"]
    )
    assert User.objects.filter(email__iexact="known@example.org").count() == 1
    # Issue 10: an existing user joins only by accepting (accounts.invitations).
    assert roles_of(account, existing) == set() and invitation.user == existing
    with pytest.raises(InvalidTransition) as caught:
        services.invite_member(actor=owner, account=account, email="known@example.org", roles=["member"])
    assert caught.value.code == "already_invited"
    from accounts.invitations import accept_invitation

    accept_invitation(actor=existing, invitation=invitation)
    assert roles_of(account, existing) == {"billing"}
    with pytest.raises(InvalidTransition) as caught:
        services.invite_member(actor=owner, account=account, email="known@example.org", roles=["member"])
    assert caught.value.code == "already_member"
    assert roles_of(account, existing) == {"billing"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "roles", "code"),
    [
        ("ok@example.org", [], "roles_required"),
        ("ok@example.org", ["sales"], "invalid_role"),  # a partner role in a customer account
        ("not-an-address", ["member"], "invalid_email"),
    ],
)
def test_acc2_invalid_invitations_are_refused(email, roles, code):
    account = AccountFactory()
    owner = member(account, "owner")
    with pytest.raises(RuleViolation) as caught:
        services.invite_member(actor=owner, account=account, email=email, roles=roles)
    assert caught.value.code == code
    assert Membership.objects.filter(account=account).count() == 1


# --- ACC-1: account creation ------------------------------------------------------------------


@pytest.mark.django_db
def test_acc1_production_accounts_get_generated_numbers():
    first = services.create_account(actor=access.SYSTEM, name="A GmbH", contact_email="a@a.example")
    second = services.create_account(actor=access.SYSTEM, name="B GmbH")
    assert ACCOUNT_NUMBER.fullmatch(first.number), first.number
    assert ACCOUNT_NUMBER.fullmatch(second.number), second.number
    assert int(second.number[2:]) == int(first.number[2:]) + 1
    assert AuditEvent.objects.filter(action="account.created", account=first).exists()


@pytest.mark.django_db
def test_acc1_a_blank_number_for_a_production_account_is_generated():
    """Regression: number="" used to reach the database and be reported as 'number taken'."""
    account = services.create_account(
        actor=access.SYSTEM, name="A GmbH", number="", contact_email="a@a.example"
    )
    assert ACCOUNT_NUMBER.fullmatch(account.number)


@pytest.mark.django_db
def test_acc1_a_given_number_is_kept_and_must_be_unique():
    services.create_account(actor=access.SYSTEM, name="A", number="K-123456")
    with pytest.raises(RuleViolation) as caught:
        services.create_account(actor=access.SYSTEM, name="B", number="K-123456")
    assert caught.value.code == "number_taken"
    assert "number" in caught.value.fields
    assert Account.objects.filter(number="K-123456").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", [AccountPurpose.STAGING, AccountPurpose.SIMULATION])
def test_acc1_staging_and_simulation_go_without_number_identified_by_email(purpose):
    leading = services.create_account(
        actor=access.SYSTEM, name="Shop GmbH", contact_email="owner@shop.example"
    )
    account = services.create_account(
        actor=access.SYSTEM,
        name="Shop (Staging)",
        purpose=purpose,
        leading_account=leading,
        contact_email="Staging@Shop.example",
    )
    assert account.number == ""
    assert account.identifier == "staging@shop.example"
    assert "staging@shop.example" in str(account)
    # A second number-less account is fine: the uniqueness of numbers ignores blanks.
    services.create_account(
        actor=access.SYSTEM,
        name="Shop (Sim)",
        purpose=purpose,
        leading_account=leading,
        contact_email="sim@shop.example",
    )
    # With a number given, it keeps it.
    numbered = services.create_account(
        actor=access.SYSTEM, name="Shop (QA)", purpose=purpose, leading_account=leading, number="K-900001"
    )
    assert numbered.number == "K-900001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"purpose": "staging", "contact_email": "s@x.example"}, "leading_account_required", "leading_account"),
        ({"purpose": "simulation", "contact_email": "s@x.example"}, "leading_account_required", "leading_account"),
        ({"purpose": "staging", "leading": "staging", "contact_email": "s@x.example"}, "leading_account_required", "leading_account"),
        ({"purpose": "production", "leading": "production"}, "leading_account_not_allowed", "leading_account"),
        ({"purpose": "staging", "leading": "production"}, "contact_email_required", "contact_email"),
        ({"name": "  "}, "name_required", "name"),
        ({"kind": "reseller"}, "invalid_kind", "kind"),
        ({"purpose": "archive"}, "invalid_purpose", "purpose"),
        ({"contact_email": "no-at-sign"}, "invalid_email", "contact_email"),
    ],
)  # fmt: skip
def test_acc1_account_rules_are_refused_with_a_clear_error(fields, code, field):
    production = AccountFactory()
    staging = StagingAccountFactory(leading_account=production, contact_email="st@x.example")
    leading = {"production": production, "staging": staging, None: None}[fields.pop("leading", None)]
    before = Account.objects.count()
    with pytest.raises(RuleViolation) as caught:
        services.create_account(actor=access.SYSTEM, **{"name": "X", **fields}, leading_account=leading)
    assert caught.value.code == code
    assert field in caught.value.fields
    assert Account.objects.count() == before


def _save(**fields):
    with transaction.atomic():
        Account.objects.create(**{"name": "X", "contact_email": "x@x.example", **fields})


@pytest.mark.django_db
def test_acc1_database_constraints_hold_without_the_service():
    production = AccountFactory(number="K-100500")
    with pytest.raises(IntegrityError):  # production without number
        _save(number="", purpose="production")
    with pytest.raises(IntegrityError):  # staging without leading account
        _save(number="", purpose="staging")
    with pytest.raises(IntegrityError):  # production with a leading account
        _save(number="K-100501", purpose="production", leading_account=production)
    with pytest.raises(IntegrityError):  # no number and no e-mail
        _save(number="", purpose="staging", leading_account=production, contact_email="")
    with pytest.raises(IntegrityError):  # duplicate number
        _save(number="K-100500")
    staging = Account.objects.create(
        name="S", number="", purpose="staging", leading_account=production, contact_email="s@x.example"
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # its own leading account
        Account.objects.filter(pk=staging.pk).update(leading_account=staging)
    # Two number-less accounts do not collide.
    _save(number="", purpose="staging", leading_account=production)


# --- ACC-2: e-mail log-in ------------------------------------------------------------------------


@pytest.mark.django_db
def test_acc2_email_is_unique_without_regard_to_case():
    user = User.objects.create_user(email="Mixed.Case@Example.ORG", password="pw-123456789")
    assert user.email == "mixed.case@example.org"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="MIXED.case@example.org")
    # Even bypassing save()'s lower-casing, the database refuses a case variant.
    User.objects.bulk_create([User(email="Other@Example.org")])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="other@example.ORG")])


@pytest.mark.django_db
def test_acc2_login_ignores_the_case_of_the_email(client):
    user = User.objects.create_user(email="owner@shop.example", password="pw-123456789")
    assert authenticate(username="OWNER@Shop.Example", password="pw-123456789") == user
    assert authenticate(username=" owner@shop.example ", password="pw-123456789") == user
    assert authenticate(username="owner@shop.example", password="wrong") is None
    response = client.post("/login/", {"username": "Owner@SHOP.example", "password": "pw-123456789"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# --- ACC-1/ACC-2: update ------------------------------------------------------------------------


@pytest.mark.django_db
def test_acc1_update_account_checks_rights_and_fields():
    account = AccountFactory(name="Alt")
    admin, billing = member(account, "admin"), member(account, "billing")
    services.update_account(actor=admin, account=account, name="Neu", city="Kiel")
    account.refresh_from_db()
    assert (account.name, account.city) == ("Neu", "Kiel")
    event = AuditEvent.objects.get(action="account.changed")
    assert event.actor == admin
    assert event.changes["name"] == {"from": "Alt", "to": "Neu"}
    with pytest.raises(NotPermitted):
        services.update_account(actor=billing, account=account, name="Nope")
    with pytest.raises(RuleViolation) as caught:
        services.update_account(actor=admin, account=account, number="K-999999")
    assert caught.value.code == "field_not_changeable"
    with pytest.raises(NotFound):
        services.update_account(actor=member(AccountFactory(), "owner"), account=account, name="Nope")
    account.refresh_from_db()
    assert account.name == "Neu"


# --- ACC-5: related accounts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_acc5_related_accounts_share_the_contact_email_domain():
    shop = AccountFactory(contact_email="owner@shop.example")
    sub = AccountFactory(contact_email="Filiale@SHOP.example")
    staging = StagingAccountFactory(leading_account=shop, contact_email="staging@shop.example")
    AccountFactory(contact_email="info@myshop.example")  # a suffix, not the same domain
    AccountFactory(contact_email="shop.example@other.example")
    support = member(VendorAccountFactory(), "support")
    assert set(selectors.related_accounts(support, shop)) == {sub, staging}
    assert set(selectors.related_accounts(support, sub)) == {shop, staging}
    # Scoped by the authority: the shop's owner sees only the related accounts it may see.
    owner = member(shop, "owner")
    member(staging, "owner", user=owner)
    assert set(selectors.related_accounts(owner, shop)) == {staging}
    assert not selectors.related_accounts(support, AccountFactory(contact_email="")).exists()


# --- numbers under concurrency (PostgreSQL) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_acc1_concurrent_account_creation_draws_distinct_numbers(require_postgres):
    threads_count, per_thread = 6, 5
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[str] = []

    def create_some(index):
        barrier.wait()
        try:
            for n in range(per_thread):
                numbers.append(services.create_account(actor=access.SYSTEM, name=f"Firma {index}-{n}").number)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=create_some, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(numbers) == threads_count * per_thread
    assert len(set(numbers)) == len(numbers)
    assert all(ACCOUNT_NUMBER.fullmatch(number) for number in numbers)
    assert Account.objects.count() == len(numbers)
