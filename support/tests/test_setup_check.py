"""CHK-1: the set-up check classifies into seed 000's cases A–F and lists what to correct; ``import_legacy``
keeps double links flagged; support resolves them (audited)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Account
from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from delegations.models import ManagedAccount
from portal.errors import NotFound, RuleViolation
from portal.models import AuditEvent
from support import services
from support.checks import setup_check
from support.models import LegacyTenantLink
from support.tests.factories import licence
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return AccountFactory(number="K-400001", name="Firma AG", contact_email="it@firma.example")


def test_chk1_case_a_standard_setup(company):
    TenantFactory(account=company)
    check = setup_check(company)
    assert check.cases == ["A"] and check.ok


def test_chk1_case_b_licence_at_hoster(company):
    hoster = PartnerAccountFactory(number="K-400009")
    tenant = TenantFactory(account=company, number="T-400001")
    licence(holder=hoster, tenant=tenant)
    check = setup_check(company)
    assert check.cases == ["B"]
    [finding] = check.findings
    assert (
        finding.code == "licence_at_hoster" and "K-400009" in finding.reason and "T-400001" in finding.reason
    )
    assert finding.fix and finding.url == "/tenants/T-400001/"


def test_chk1_case_d_staging_tenant_in_production_account(company):
    TenantFactory(account=company, number="T-400002", environment="staging")
    check = setup_check(company)
    assert check.cases == ["D"]
    assert check.findings[0].code == "staging_tenant_in_production_account"
    assert check.findings[0].url == "/support/accounts/K-400001/staging/new/"


def test_chk1_case_d_staging_account_is_fine(company):
    AccountFactory(
        number="",
        purpose="staging",
        leading_account=company,
        contact_email="staging@firma.example",
        name="Firma AG (Staging)",
    )
    check = setup_check(company)
    assert check.cases == ["D"] and check.ok


def test_chk1_case_e_foreign_domain_and_missing_simulation_name(company):
    AccountFactory(
        number="",
        purpose="simulation",
        leading_account=company,
        contact_email="x@gmail.example",
        name="Händler",
    )
    check = setup_check(company)
    assert check.cases == ["E"]
    assert {f.code for f in check.findings} == {"simulation_name", "foreign_email_domain"}
    assert 'Rename it to "Firma AG (Simulation)"' in next(
        f.fix for f in check.findings if f.code == "simulation_name"
    )


def test_chk1_case_f_managed_without_approval_and_profile_naming_partner(company):
    partner = PartnerAccountFactory(name="Firma AG", contact_email="info@agentur.example")
    ManagedAccount.objects.create(
        customer_account=company, partner_account=partner, scope="technical", status="active"
    )
    check = setup_check(company)
    assert check.cases == ["F"]
    assert {f.code for f in check.findings} == {"managed_without_approval", "profile_names_partner"}


def test_chk1_check_of_a_staging_account_is_the_companys(company):
    staging = AccountFactory(
        number="", purpose="staging", leading_account=company, contact_email="s@firma.example"
    )
    assert setup_check(staging).account == company


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_chk1_case_c_import_legacy_flags_double_link_and_support_resolves(tmp_path):
    accounts = _csv(
        tmp_path,
        "accounts.csv",
        "number,name,kind,purpose,contact_email,leading_number\n"
        "K-410001,Alt GmbH,customer,production,info@alt.example,\n"
        "K-410002,Alt GmbH Rechnungen,customer,production,rechnung@alt.example,\n",
    )
    tenants = _csv(
        tmp_path,
        "tenants.csv",
        "number,name,environment,account_number\nT-410001,Alt Wawi,production,K-410001\n",
    )
    links = _csv(
        tmp_path,
        "links.csv",
        "tenant_number,account_number\nT-410001,K-410001\nT-410001,K-410002\nT-999999,K-410001\n",
    )
    call_command("import_legacy", accounts=accounts, tenants=tenants, links=links)
    call_command("import_legacy", accounts=accounts, tenants=tenants, links=links)  # idempotent
    first, second = Account.objects.get(number="K-410001"), Account.objects.get(number="K-410002")
    tenant = Tenant.objects.get(number="T-410001")
    assert tenant.account == first
    link = LegacyTenantLink.objects.get()
    assert link.account == second
    check = setup_check(first)
    assert check.cases == ["C"]
    assert check.findings[0].code == "tenant_with_two_accounts"
    assert setup_check(second).cases == ["C"]

    owner = member(first, "owner")
    with pytest.raises(NotFound):  # owners see their links, only support resolves
        services.resolve_legacy_link(actor=UserFactory(), link=link, chosen_account=second)
    staff = member(VendorAccountFactory(), "support")
    with pytest.raises(RuleViolation):
        services.resolve_legacy_link(actor=staff, link=link, chosen_account=AccountFactory())
    services.resolve_legacy_link(actor=staff, link=link, chosen_account=second)
    tenant.refresh_from_db()
    assert tenant.account == second
    assert AuditEvent.objects.filter(action="support.legacy_link.resolved").exists()
    assert AuditEvent.objects.filter(action="support.legacy_link.tenant_moved").exists()
    assert setup_check(first).cases == ["A"]
    with pytest.raises(RuleViolation):
        services.resolve_legacy_link(actor=staff, link=link, chosen_account=second)
    assert owner


def test_chk1_import_reports_bad_rows(tmp_path, capsys):
    tenants = _csv(
        tmp_path, "tenants.csv", "number,name,environment,account_number\nT-420001,X,production,K-000404\n"
    )
    call_command("import_legacy", tenants=tenants)
    assert "unknown account" in capsys.readouterr().err
    assert not Tenant.objects.filter(number="T-420001").exists()
