"""Tenant service rules. Tests TEN-1 (one owning account, relinking refused, two-sided audited transfer),
TEN-2 (environment fits the account's purpose) and TEN-3 (a partner's sales staff create tenants as reseller)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory

from accounts.models import AccountPurpose
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, StagingAccountFactory, member
from portal import access
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from tenants import services
from tenants.models import Tenant, TenantTransfer, TransferStatus
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


# --- create_tenant, TEN-2 -------------------------------------------------------------------


def test_ten1_create_tenant_generates_a_number_and_audits():
    account = AccountFactory()
    owner = member(account, "owner")
    tenant = services.create_tenant(actor=owner, account=account, name="  Webshop  ")
    assert re.fullmatch(r"T-\d{6}", tenant.number)
    assert tenant.name == "Webshop"
    assert tenant.account == account
    assert tenant.reseller is None
    second = services.create_tenant(actor=owner, account=account, name="Lager")
    assert second.number != tenant.number
    event = AuditEvent.objects.get(action="tenant.created", tenant=tenant)
    assert event.actor == owner
    assert event.account_id == account.pk


def test_ten1_create_tenant_needs_a_name():
    account = AccountFactory()
    owner = member(account, "owner")
    with pytest.raises(RuleViolation) as caught:
        services.create_tenant(actor=owner, account=account, name="   ")
    assert caught.value.code == "name_required"
    assert not Tenant.objects.exists()


@pytest.mark.parametrize(
    ("purpose", "environment", "allowed"),
    [
        (AccountPurpose.PRODUCTION, "production", True),
        (AccountPurpose.PRODUCTION, "staging", False),
        (AccountPurpose.PRODUCTION, "test", False),
        (AccountPurpose.STAGING, "staging", True),
        (AccountPurpose.STAGING, "test", True),
        (AccountPurpose.STAGING, "production", False),
        (AccountPurpose.SIMULATION, "test", True),
        (AccountPurpose.SIMULATION, "production", False),
    ],
)
def test_ten2_environment_must_fit_the_account_purpose(purpose, environment, allowed):
    if purpose == AccountPurpose.PRODUCTION:
        account = AccountFactory()
    else:
        account = StagingAccountFactory(purpose=purpose)
    owner = member(account, "owner")
    if allowed:
        tenant = services.create_tenant(actor=owner, account=account, name="T", environment=environment)
        assert tenant.environment == environment
    else:
        with pytest.raises(RuleViolation) as caught:
            services.create_tenant(actor=owner, account=account, name="T", environment=environment)
        assert caught.value.code == "environment_mismatch"
        assert "environment" in caught.value.fields
        assert not Tenant.objects.exists()


def test_ten2_unknown_environment_is_refused():
    account = AccountFactory()
    owner = member(account, "owner")
    with pytest.raises(RuleViolation) as caught:
        services.create_tenant(actor=owner, account=account, name="T", environment="qa")
    assert caught.value.code == "invalid_environment"


@pytest.mark.parametrize(("role", "allowed"), [("owner", True), ("admin", True), ("billing", False)])
def test_ten1_only_members_with_change_create_tenants_in_their_account(role, allowed):
    account = AccountFactory()
    user = member(account, role)
    if allowed:
        assert services.create_tenant(actor=user, account=account, name="T").account == account
    else:
        with pytest.raises(NotPermitted):
            services.create_tenant(actor=user, account=account, name="T")
        assert not Tenant.objects.exists()


def test_ten1_create_tenant_in_an_unseen_account_is_not_found():
    mine, other = AccountFactory(), AccountFactory()
    owner = member(mine, "owner")
    with pytest.raises(NotFound):
        services.create_tenant(actor=owner, account=other, name="T")


def test_ten3_partner_sales_creates_a_tenant_for_its_customer_as_reseller():
    partner = PartnerAccountFactory()
    customer = AccountFactory(reseller=partner)
    sales = member(partner, "sales")
    support = member(partner, "support")
    tenant = services.create_tenant(actor=sales, account=customer, name="Shop", acting_for=partner)
    assert tenant.account == customer
    assert tenant.reseller == partner
    # The partner's members reach it as reseller, each with its role's rights.
    assert {r.source for r in access.why(support, tenant)} == {"reseller"}
    assert access.can(support, "view", tenant)
    assert not access.can(support, "change", tenant)
    assert access.can(sales, "book", tenant)


def test_ten3_partner_without_sales_role_cannot_create_for_customers():
    partner = PartnerAccountFactory()
    customer = AccountFactory(reseller=partner)
    tech = member(partner, "tech")
    with pytest.raises(NotPermitted):
        services.create_tenant(actor=tech, account=customer, name="Shop", acting_for=partner)


def test_ten3_partner_cannot_create_tenants_for_customers_it_does_not_manage():
    partner = PartnerAccountFactory()
    stranger = AccountFactory()
    sales = member(partner, "sales")
    with pytest.raises(NotFound):
        services.create_tenant(actor=sales, account=stranger, name="Shop", acting_for=partner)
    assert not Tenant.objects.exists()


# --- relinking refused ------------------------------------------------------------------------


def test_ten1_save_refuses_relinking_to_another_account():
    tenant = TenantFactory()
    original = tenant.account_id
    tenant.account = AccountFactory()
    with pytest.raises(RuleViolation) as caught:
        tenant.save()
    assert caught.value.code == "tenant_relink_refused"
    assert Tenant.objects.get(pk=tenant.pk).account_id == original


def test_ten1_a_loaded_tenant_cannot_be_relinked_either():
    tenant = Tenant.objects.get(pk=TenantFactory().pk)
    tenant.account_id = AccountFactory().pk
    with pytest.raises(RuleViolation):
        tenant.save(update_fields=["account"])


def test_ten1_refresh_after_a_transfer_does_not_count_as_relinking():
    """A tenant instance refreshed after a transfer made elsewhere saves normally (regression)."""
    source, target = AccountFactory(), AccountFactory()
    source_owner, target_owner = member(source, "owner"), member(target, "owner")
    tenant = TenantFactory(account=source)
    transfer = services.request_transfer(actor=source_owner, tenant=tenant, to_account=target)
    services.approve_transfer(actor=target_owner, transfer=transfer)
    tenant.refresh_from_db()
    assert tenant.account == target
    tenant.name = "Renamed"
    tenant.save()
    assert Tenant.objects.get(pk=tenant.pk).name == "Renamed"
    # ... but refreshing only another field does not launder a relink made in memory.
    tenant.account = source
    tenant.refresh_from_db(fields=["name"])
    with pytest.raises(RuleViolation):
        tenant.save()


def test_ten1_admin_change_does_not_relink(client):
    from accounts.tests.factories import UserFactory

    superuser = UserFactory(is_superuser=True, is_staff=True)
    tenant = TenantFactory(name="Old")
    other = AccountFactory()
    model_admin = admin_site._registry[Tenant]
    request = RequestFactory().get("/")
    request.user = superuser
    assert "account" in model_admin.get_readonly_fields(request, tenant)
    client.force_login(superuser)
    response = client.post(
        f"/admin/tenants/tenant/{tenant.pk}/change/",
        {"name": "New", "account": other.pk, "environment": "production"},
    )
    assert response.status_code == 302, response.content[:2000]
    tenant.refresh_from_db()
    assert tenant.name == "New"
    assert tenant.account_id != other.pk


def test_ten1_rename_checks_rights_and_audits():
    account = AccountFactory()
    tenant = TenantFactory(account=account)
    technical, billing = member(account, "technical"), member(account, "billing")
    services.rename_tenant(actor=technical, tenant=tenant, name="Neu")
    assert Tenant.objects.get(pk=tenant.pk).name == "Neu"
    assert AuditEvent.objects.filter(action="tenant.renamed", actor=technical, tenant=tenant).exists()
    with pytest.raises(NotPermitted):
        services.rename_tenant(actor=billing, tenant=tenant, name="Nope")
    with pytest.raises(NotFound):
        services.rename_tenant(actor=member(AccountFactory(), "owner"), tenant=tenant, name="Nope")
    assert Tenant.objects.get(pk=tenant.pk).name == "Neu"


# --- transfer: both owners, moves, audited on both sides ----------------------------------


@pytest.fixture
def transfer_world():
    source, target = AccountFactory(), AccountFactory()
    return {
        "source": source,
        "target": target,
        "source_owner": member(source, "owner"),
        "source_admin": member(source, "admin"),
        "target_owner": member(target, "owner"),
        "target_admin": member(target, "admin"),
        "tenant": TenantFactory(account=source),
    }


def test_ten1_transfer_needs_both_owners_then_moves_the_tenant(transfer_world):
    w = transfer_world
    transfer = services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])
    assert transfer.status == TransferStatus.PENDING
    assert transfer.from_approved_by == w["source_owner"]
    # The requesting side approving again does not move the tenant.
    services.approve_transfer(actor=w["source_owner"], transfer=transfer)
    assert Tenant.objects.get(pk=w["tenant"].pk).account == w["source"]
    # Admins of either side are not owners.
    for admin_user in (w["source_admin"], w["target_admin"]):
        with pytest.raises(NotPermitted):
            services.approve_transfer(actor=admin_user, transfer=transfer)
    assert Tenant.objects.get(pk=w["tenant"].pk).account == w["source"]
    done = services.approve_transfer(actor=w["target_owner"], transfer=transfer)
    assert done.status == TransferStatus.COMPLETED
    assert done.completed_at is not None
    assert done.to_approved_by == w["target_owner"]
    tenant = Tenant.objects.get(pk=w["tenant"].pk)
    assert tenant.account == w["target"]
    # Audited on both sides: each account's trail has the move.
    moved = AuditEvent.objects.filter(action="tenant.transferred", tenant=tenant)
    assert set(moved.values_list("account_id", flat=True)) == {w["source"].pk, w["target"].pk}
    assert all(event.actor == w["target_owner"] for event in moved)
    for user in (w["source_owner"], w["target_owner"]):
        access.forget(user)
    assert set(access.visible(w["source_owner"], AuditEvent).filter(action="tenant.transferred")) >= {
        moved.get(account=w["source"])
    }
    # Rights follow the tenant.
    assert not access.visible(w["source_owner"], Tenant).filter(pk=tenant.pk).exists()
    assert access.visible(w["target_owner"], Tenant).filter(pk=tenant.pk).exists()
    with pytest.raises(InvalidTransition):
        services.approve_transfer(actor=w["target_owner"], transfer=transfer)


def test_ten1_only_an_owner_of_the_tenants_account_requests_a_transfer(transfer_world):
    w = transfer_world
    with pytest.raises(NotPermitted) as caught:
        services.request_transfer(actor=w["source_admin"], tenant=w["tenant"], to_account=w["target"])
    assert caught.value.code == "owner_required"
    with pytest.raises(NotFound):
        services.request_transfer(actor=w["target_owner"], tenant=w["tenant"], to_account=w["target"])
    assert not TenantTransfer.objects.exists()


def test_ten1_transfer_rules(transfer_world):
    w = transfer_world
    with pytest.raises(RuleViolation) as caught:
        services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["source"])
    assert caught.value.code == "same_account"
    staging = StagingAccountFactory(leading_account=w["target"])
    with pytest.raises(RuleViolation) as caught:
        services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=staging)
    assert caught.value.code == "environment_mismatch"
    services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])
    with pytest.raises(InvalidTransition) as caught:
        services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])
    assert caught.value.code == "transfer_pending"
    assert TenantTransfer.objects.count() == 1


def test_ten1_declined_transfer_leaves_the_tenant(transfer_world):
    w = transfer_world
    transfer = services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])
    with pytest.raises(NotPermitted):
        services.decline_transfer(actor=member(AccountFactory(), "owner"), transfer=transfer)
    services.decline_transfer(actor=w["target_owner"], transfer=transfer)
    assert TenantTransfer.objects.get(pk=transfer.pk).status == TransferStatus.DECLINED
    assert Tenant.objects.get(pk=w["tenant"].pk).account == w["source"]
    assert AuditEvent.objects.filter(action="tenant.transfer_declined", actor=w["target_owner"]).exists()
    with pytest.raises(InvalidTransition):
        services.approve_transfer(actor=w["target_owner"], transfer=transfer)
    # A new request is possible after a decline.
    services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])


def test_ten1_transfer_keeps_the_reseller_only_where_it_resells_the_new_owner():
    """The reseller relation is with the owning account (ACC-4, TEN-3): moving the tenant to a customer the
    partner also resells keeps the partner's rights; moving it to anyone else ends them, in the transfer."""
    partner = PartnerAccountFactory()
    source = AccountFactory(reseller=partner)
    sibling, stranger = AccountFactory(reseller=partner), AccountFactory()
    sales = member(partner, "sales")
    for target, keeps in ((sibling, True), (stranger, False)):
        tenant = services.create_tenant(actor=sales, account=source, name="T", acting_for=partner)
        assert access.can(sales, "book", tenant)
        transfer = services.request_transfer(actor=member(source, "owner"), tenant=tenant, to_account=target)
        services.approve_transfer(actor=member(target, "owner"), transfer=transfer)
        moved = Tenant.objects.get(pk=tenant.pk)
        assert (moved.reseller_id == partner.pk) is keeps
        assert access.can(sales, "view", moved) is keeps


def test_ten1_a_superuser_cannot_stand_in_for_the_owners(transfer_world):
    """Regression: a superuser counted as owner of both sides and moved a tenant alone."""
    from accounts.tests.factories import UserFactory

    w = transfer_world
    superuser = UserFactory(is_superuser=True, is_staff=True)
    transfer = services.request_transfer(actor=superuser, tenant=w["tenant"], to_account=w["target"])
    assert transfer.requested_by == superuser
    assert transfer.from_approved_by is None
    with pytest.raises(NotPermitted):
        services.approve_transfer(actor=superuser, transfer=transfer)
    services.approve_transfer(actor=w["target_owner"], transfer=transfer)
    assert Tenant.objects.get(pk=w["tenant"].pk).account == w["source"]  # the source owner has not approved
    done = services.approve_transfer(actor=w["source_owner"], transfer=transfer)
    assert done.status == TransferStatus.COMPLETED
    assert Tenant.objects.get(pk=w["tenant"].pk).account == w["target"]


def test_ten1_a_superuser_may_decline_a_transfer(transfer_world):
    from accounts.tests.factories import UserFactory

    w = transfer_world
    transfer = services.request_transfer(actor=w["source_owner"], tenant=w["tenant"], to_account=w["target"])
    services.decline_transfer(actor=UserFactory(is_superuser=True, is_staff=True), transfer=transfer)
    assert TenantTransfer.objects.get(pk=transfer.pk).status == TransferStatus.DECLINED
