"""SUP-4, SUP-5: the verdict table over every rule combination, and the chain of reasons.

purpose × own contract kinds × validity × leading account's contract × hoster-held licence × managed account.
The expected verdict is written out by hand below (``expected``), a second opinion on support.entitlement.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import AccountFactory, PartnerAccountFactory
from delegations.models import ManagedAccount
from support.entitlement import entitlement, reason_text
from support.tests.factories import ContractFactory, licence
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
VALIDITY = {
    "valid": (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    "expired": (dt.date(2025, 1, 1), dt.date(2026, 5, 31)),
    "future": (dt.date(2026, 7, 1), None),
}
KINDS = {
    "none": (),
    "update": ("update_service",),
    "support": ("support_contract",),
    "both": ("update_service", "support_contract"),
}


def expected(purpose, kinds, validity, leading_ok, hoster, managed) -> str:
    if purpose != "production":
        return "via_leading_account" if leading_ok else "not_entitled"
    if "support_contract" in KINDS[kinds] and validity == "valid":
        return "entitled"
    return "supported_by_partner" if hoster else "not_entitled"


CASES = [
    (purpose, kinds, validity, leading_ok, hoster, managed)
    for purpose, kinds, validity, leading_ok, hoster, managed in itertools.product(
        ["production", "staging", "simulation"], KINDS, VALIDITY, [True, False], [True, False], [True, False]
    )
    if not (purpose == "production" and not leading_ok)  # production accounts have no leading account
]


def build(purpose, kinds, validity, leading_ok, hoster, managed):
    leading = None
    if purpose != "production":
        leading = AccountFactory(contact_email="owner@firma.example")
        ContractFactory(
            account=leading,
            kind="support_contract" if leading_ok else "update_service",
            valid_from=dt.date(2026, 1, 1),
            valid_until=None,
        )
    account = AccountFactory(
        number="" if leading else "K-777001",
        purpose=purpose,
        leading_account=leading,
        contact_email="staging@firma.example" if leading else "owner@firma.example",
    )
    start, end = VALIDITY[validity]
    for kind in KINDS[kinds]:
        ContractFactory(account=account, kind=kind, valid_from=start, valid_until=end)
    if hoster:
        hosting = PartnerAccountFactory(name="Hosting Süd")
        licence(holder=hosting, tenant=TenantFactory(account=account))
    if managed:
        partner = PartnerAccountFactory(name="Agentur")
        ManagedAccount.objects.create(
            customer_account=account, partner_account=partner, scope="technical", status="active"
        )
    return account, leading


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_sup4_verdict_table(case):
    purpose, kinds, validity, leading_ok, hoster, managed = case
    account, leading = build(*case)
    result = entitlement(account=account, at=AT)
    assert result.verdict == expected(*case)
    codes = [reason.code for reason in result.reasons]
    assert codes, "every verdict has reasons"
    # The chain names the rules in order and the objects they used.
    if purpose != "production":
        assert codes[:2] == ["staging_inherits_nothing", "leading_account"]
        assert result.ticket_account == (leading if leading_ok else None)
        if leading_ok:
            assert codes[-2 if managed else -1] == "create_from_leading"
            assert result.reasons[codes.index("create_from_leading")].params == {
                "leading": leading.number,
                "reference": "staging@firma.example",
            }
    else:
        if result.verdict == "entitled":
            assert codes[0] in ("support_contract_valid", "support_contract_open_end")
            assert result.ticket_account == account
        else:
            assert result.ticket_account is None
            if kinds in ("update", "both") and validity == "valid":
                assert "update_service_only" in codes
            if kinds == "none":
                assert "no_contract" in codes
            if "support_contract" in KINDS[kinds] and validity == "expired":
                assert "contract_expired" in codes
            if "support_contract" in KINDS[kinds] and validity == "future":
                assert "contract_not_yet_valid" in codes
        if hoster:
            assert {"licence_held_by_hoster", "licence_held_by_hoster_note"} & set(codes)
    assert ("managed_by" in codes) == managed
    if managed:
        assert codes[-1] == "managed_by"
    for reason in result.reasons:
        assert "%(" not in reason.text  # every parameter is filled in


def test_sup4_reason_texts_name_contract_and_dates():
    account = AccountFactory(number="K-777002")
    contract = ContractFactory(
        account=account, valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31)
    )
    result = entitlement(account=account, at=AT)
    assert result.verdict == "entitled"
    assert contract.number in result.reasons[0].text
    assert "12/31/2026" in result.reasons[0].text or "31.12.2026" in result.reasons[0].text


def test_sup4_expired_contract_names_its_end():
    account = AccountFactory(number="K-777003")
    ContractFactory(
        account=account, number="V-1", valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2026, 3, 31)
    )
    result = entitlement(account=account, at=AT)
    assert result.verdict == "not_entitled"
    assert [r.code for r in result.reasons] == ["contract_expired", "order_support_contract"]
    assert "V-1" in result.reasons[0].text


def test_sup4_licence_held_by_hoster_is_supported_by_partner():
    customer = AccountFactory(number="K-777004")
    ContractFactory(account=customer)
    hoster = PartnerAccountFactory(number="K-777005", name="Hosting Süd")
    tenant = TenantFactory(account=customer, number="T-777001")
    held = licence(holder=hoster, tenant=tenant)
    by_licence = entitlement(licence=held, at=AT)
    assert by_licence.verdict == "supported_by_partner"
    assert by_licence.supporting_partner == hoster
    assert [r.code for r in by_licence.reasons] == ["licence_found", "licence_held_by_hoster"]
    assert "K-777005" in by_licence.reasons[1].text and "T-777001" in by_licence.reasons[1].text
    assert entitlement(tenant=tenant, at=AT).verdict == "supported_by_partner"
    # The customer's own account stays entitled; the card tells that this licence is the hoster's.
    own = entitlement(account=customer, at=AT)
    assert own.verdict == "entitled"
    assert "licence_held_by_hoster_note" in [r.code for r in own.reasons]


def test_sup4_licence_held_by_the_account_answers_for_the_holder():
    customer = AccountFactory(number="K-777006")
    ContractFactory(account=customer, kind="update_service")
    own = licence(holder=customer, tenant=TenantFactory(account=customer))
    result = entitlement(licence=own, at=AT)
    assert result.verdict == "not_entitled"
    assert [r.code for r in result.reasons][:2] == ["licence_found", "update_service_only"]


def test_sup4_stored_reason_is_translated_when_read(settings):
    from django.utils import translation

    account = AccountFactory(number="K-777007")
    result = entitlement(account=account, at=AT)
    stored = result.reasons_as_data()
    with translation.override("de"):
        german = [reason_text(r) for r in stored]
    with translation.override("en"):
        english = [reason_text(r) for r in stored]
    assert english == ["No support contract.", "Order a support contract."]
    assert german != english
