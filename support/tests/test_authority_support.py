"""Issue 8's "one rule, one answer" for support's sources (SUP-5, SUP-6, CHK-1): in random worlds with
contracts, tickets (filed by members and by partners) and legacy links, ``visible`` == ``can`` == ``rights``
== ``explain`` for SupportAccount, Ticket, Contract and LegacyTenantLink — the portal's property test with
support rows added."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal.tests.test_authority_properties import build, check_world, worlds

pytestmark = pytest.mark.django_db


def add_support_rows(world: dict, draw) -> None:
    from support.coverage import ensure_categories
    from support.models import Contract, CoverageCategory, LegacyTenantLink, Ticket

    ensure_categories()
    category = CoverageCategory.objects.first()
    accounts = list(world["accounts"].values())
    partners = [a for a in accounts if a.kind == "partner"]
    for n, account in enumerate(accounts):
        if draw(st.booleans()):
            Contract.objects.create(
                number=f"V-{800000 + n}",
                account=account,
                kind="support_contract",
                valid_from=dt.date(2026, 1, 1),
            )
        if draw(st.booleans()):
            Ticket.objects.create(
                number=f"SUP-{800000 + n}",
                account=account,
                subject_account=account,
                category=category,
                subject="x",
                verdict="entitled",
                filed_by_account=draw(st.sampled_from([None, *partners])),
            )
    for n, tenant in enumerate(world["tenants"]):
        other = draw(st.sampled_from(accounts))
        if other.pk != tenant.account_id and draw(st.booleans()):
            LegacyTenantLink.objects.create(tenant=tenant, account=other, source=f"w{n}")


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    database=None,
)
@given(spec=worlds(), extra=st.data())
def test_sup6_support_rights_agree_in_every_world(spec, extra):
    # The portal's world builder keys pending management requests by (customer_number, partner), and its
    # customers have no numbers: two pending requests to one partner would collide — not a support question.
    pending = [partner for _customer, partner, _scope, status in spec["relations"] if status == "pending"]
    assume(len(pending) == len(set(pending)))
    with transaction.atomic():
        world = build(spec)
        add_support_rows(world, extra.draw)
        check_world(world)
        transaction.set_rollback(True)
