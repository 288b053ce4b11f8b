"""SUP-5: the lookup recognizes every kind of key by its shape, normalizes it, and answers with one indexed
query per kind; malformed keys are refused with a clear message; several matches give a list; the card's
number of queries does not grow with the world."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from portal.errors import NotFound, RuleViolation
from support import selectors
from support.tests.factories import ContractFactory, licence
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return member(VendorAccountFactory(), "support")


@pytest.fixture
def shop():
    account = AccountFactory(number="K-100001", name="Shop GmbH", contact_email="owner@shop.example")
    ContractFactory(account=account)
    return account


@pytest.mark.parametrize(
    ("text", "kind", "normalized"),
    [
        ("K-100001", "customer_number", "K-100001"),
        (" k100001 ", "customer_number", "K-100001"),
        ("K 100001", "customer_number", "K-100001"),
        ("T-000001", "tenant_number", "T-000001"),
        ("t1", "tenant_number", "T-000001"),
        ("Owner@Shop.Example", "email", "owner@shop.example"),
        ("shop.example", "email_domain", "shop.example"),
        ("@SHOP.example", "email_domain", "shop.example"),
    ],
)
def test_sup5_classify_by_shape(text, kind, normalized):
    assert selectors.classify(text) == (kind, normalized)


def test_sup5_classify_licence_key_normalizes_case_spaces_and_lookalikes():
    from licenses.keys import generate_key

    key = generate_key()
    typed = key.lower().replace("-", " ").replace("0", "o")
    assert selectors.classify(typed) == ("licence_key", key)


@pytest.mark.parametrize("text", ["", "   ", "hello", "K-12x", "12345", "owner@", "@", "ÄÖÜ"])
def test_sup5_malformed_queries_are_refused_clearly(text):
    with pytest.raises(RuleViolation) as caught:
        selectors.classify(text)
    assert caught.value.code in ("query_required", "unrecognized_query")
    assert caught.value.fields == {"q": caught.value.fields["q"]}


def test_sup5_licence_key_with_wrong_checksum_is_not_a_valid_key():
    from licenses.keys import generate_key

    key = generate_key()
    last = key[-1]
    wrong = key[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(RuleViolation) as caught:
        selectors.classify(wrong)
    assert caught.value.code == "invalid_licence_key"


def test_sup5_search_by_every_kind(staff, shop):
    user = UserFactory(email="anna@shop.example")
    member(shop, "technical", user=user)
    staging = AccountFactory(
        number="", purpose="staging", leading_account=shop, contact_email="staging@shop.example"
    )
    tenant = TenantFactory(account=shop, number="T-000042")
    hoster = PartnerAccountFactory(number="K-100099")
    held = licence(holder=hoster, tenant=tenant)

    assert [m.account for m in selectors.search(staff, "k-100001").matches] == [shop]
    assert [m.account for m in selectors.search(staff, "ANNA@shop.example").matches] == [shop]
    assert [m.account for m in selectors.search(staff, "staging@shop.example").matches] == [staging]
    by_domain = selectors.search(staff, "shop.example")
    assert {m.account for m in by_domain.matches} == {shop, staging}
    by_tenant = selectors.search(staff, "t-42")
    assert by_tenant.matches[0].tenant == tenant and by_tenant.matches[0].account == shop
    by_key = selectors.search(staff, held.key.lower())
    assert by_key.matches[0].licence == held and by_key.matches[0].account == shop
    assert selectors.search(staff, "K-999999").matches == []
    assert selectors.search(staff, "nobody@nowhere.example").matches == []


def test_sup5_user_in_several_accounts_gives_a_list(staff, shop):
    other = AccountFactory(number="K-100002", contact_email="info@other.example")
    user = UserFactory(email="both@example.org")
    member(shop, "member", user=user)
    member(other, "owner", user=user)
    result = selectors.search(staff, "both@example.org")
    assert {m.account for m in result.matches} == {shop, other}


def test_sup5_only_vendor_staff_look_up(shop):
    owner = member(shop, "owner")
    with pytest.raises(NotFound):
        selectors.search(owner, "K-100001")
    assert not selectors.may_look_up(owner)


def _world(size: int):
    for n in range(size):
        account = AccountFactory(contact_email=f"info{n}@big.example")
        ContractFactory(account=account)
        TenantFactory(account=account)


@pytest.mark.parametrize("size", [1, 12])
def test_sup5_constant_queries_per_search_kind(staff, shop, size, django_assert_max_num_queries):
    _world(size)
    tenant = TenantFactory(account=shop, number="T-000050")
    key = licence(holder=shop, tenant=tenant).key
    for text in ["K-100001", "owner@shop.example", "big.example", "T-000050", key]:
        with CaptureQueriesContext(connection) as queries:
            selectors.search(staff, text)
        assert len(queries) <= 4, (text, [q["sql"] for q in queries])


def test_sup5_card_queries_do_not_grow(staff, shop):
    counts = []
    tenant = TenantFactory(account=shop)
    selectors.card(staff, shop)  # warm the per-request caches (the staff's memberships)
    for round_ in range(2):
        for n in range(1 if round_ == 0 else 7):
            AccountFactory(
                number="", purpose="staging", leading_account=shop, contact_email=f"s{round_}{n}@shop.example"
            )
        with CaptureQueriesContext(connection) as queries:
            card = selectors.card(staff, shop)
        counts.append(len(queries))
        assert card.entitlement.verdict == "entitled"
        assert card.tenants == [tenant]
    assert len(card.related) == 8
    assert counts[0] == counts[1], counts
