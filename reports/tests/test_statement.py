"""REP-2 and REP-3: pro rata by day for months of 28, 29, 30 and 31 days, half-up cents, totals, annual terms in
their renewal month, voided and swapped subscriptions, NFR not billed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from reports import selectors
from reports.tests.helpers import make_world, subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("month", "days_in_month", "start_day", "expected"),
    [
        # 10.00 EUR a month (the reseller's own price), started on start_day, still running.
        ("2026-02", 28, 15, Decimal("5.00")),  # 14/28
        ("2028-02", 29, 15, Decimal("5.17")),  # 15/29 = 5.1724…
        ("2026-04", 30, 15, Decimal("5.33")),  # 16/30 = 5.333…
        ("2026-03", 31, 15, Decimal("5.48")),  # 17/31 = 5.4838…
        ("2026-03", 31, 1, Decimal("10.00")),  # whole month
        ("2026-02", 28, 1, Decimal("10.00")),
    ],
)
def test_rep3_pro_rata_by_day_at_every_month_length(month, days_in_month, start_day, expected):
    w = make_world()
    first, _after = selectors.month_bounds(month)
    subscription(w.reseller, w.customer, w.product, first.replace(day=start_day))
    stmt = selectors.statement(w.reseller, first)
    [line] = stmt.lines
    assert line.month_days == days_in_month
    assert line.days == days_in_month - start_day + 1
    assert line.unit_price == Decimal("10.00")
    assert line.amount == expected
    assert stmt.total == expected


def test_rep3_half_up_rounding_and_totals_are_sums_of_lines():
    w = make_world()
    # 31.00 list price (other reseller has no own price), 1 day of 31 = 1.00; 3 machines × 5 of 30 days.
    subscription(w.other_reseller, w.other_customer, w.product, dt.date(2026, 3, 31))
    s2 = subscription(w.other_reseller, w.other_customer, w.product, dt.date(2026, 4, 1), quantity=3)
    s2.ended_on = dt.date(2026, 4, 6)
    s2.save()
    march = selectors.statement(w.other_reseller, dt.date(2026, 3, 1))
    assert [line.amount for line in march.lines] == [Decimal("1.00")]
    april = selectors.statement(w.other_reseller, dt.date(2026, 4, 1))
    amounts = sorted(line.amount for line in april.lines)
    # 31 × 3 × 5/30 = 15.50 exactly; the one begun on 31 March runs all of April: 31.00.
    assert amounts == [Decimal("15.50"), Decimal("31.00")]
    assert april.total == Decimal("46.50")
    # 0.125 rounds half-up to 0.13 (not banker's 0.12).
    assert selectors.money(Decimal("0.125")) == Decimal("0.13")
    rows = selectors.statement_rows(april)
    assert rows[-1][13] == "46.50"


def test_rep3_annual_terms_appear_in_their_renewal_month_only_and_nfr_is_not_billed():
    w = make_world()
    subscription(w.reseller, w.customer, w.product, dt.date(2025, 5, 20), term="annual")
    subscription(w.reseller, w.customer, w.product, dt.date(2026, 1, 3), kind="nfr")
    assert selectors.statement(w.reseller, dt.date(2026, 4, 1)).lines == []
    may = selectors.statement(w.reseller, dt.date(2026, 5, 1))
    [line] = may.lines
    assert line.term == "annual" and line.start == dt.date(2026, 5, 20) and line.amount == Decimal("300.00")
    first_year = selectors.statement(w.reseller, dt.date(2025, 5, 1))
    assert [line.amount for line in first_year.lines] == [Decimal("300.00")]


def test_rep3_voided_subscription_counts_to_the_void_day_and_other_resellers_are_not_listed():
    w = make_world()
    sub = subscription(w.reseller, w.customer, w.product, dt.date(2026, 2, 1))
    sub.voided_at = timezone.make_aware(dt.datetime(2026, 2, 8, 12))
    sub.void_reason = "refund"
    sub.ended_on = dt.date(2026, 2, 8)
    sub.save()
    subscription(w.other_reseller, w.other_customer, w.product, dt.date(2026, 2, 1))
    stmt = selectors.statement(w.reseller, dt.date(2026, 2, 1))
    [line] = stmt.lines
    assert line.days == 7 and line.amount == Decimal("2.50")  # 10 × 7/28
    assert selectors.statement(w.reseller, dt.date(2026, 3, 1)).lines == []


def test_rep2_active_at_cutoff_and_per_month_with_events():
    w = make_world()
    old = subscription(w.reseller, w.customer, w.product, dt.date(2026, 1, 10))
    old.voided_at = timezone.make_aware(dt.datetime(2026, 2, 10, 12))
    old.void_reason = "swap"
    old.ended_on = dt.date(2026, 2, 10)
    old.save()
    new = subscription(w.reseller, w.customer, w.product, dt.date(2026, 2, 10), replaces=old)
    admin = w.reseller_admin
    assert list(selectors.active_at(admin, dt.date(2026, 2, 9))) == [old]
    assert list(selectors.active_at(admin, dt.date(2026, 2, 10))) == [new]
    rows = {row.subscription.pk: row for row in selectors.subscriptions_in_month(admin, dt.date(2026, 2, 1))}
    assert rows[old.pk].days == 9 and rows[old.pk].events == ["swapped_out"]
    assert rows[new.pk].days == 19 and rows[new.pk].events == ["swapped_in"]
    assert rows[old.pk].share + rows[new.pk].share == Decimal("1.0000")
    # Another reseller sees none of it (the authority decides).
    assert selectors.subscriptions_in_month(w.other_admin, dt.date(2026, 2, 1)) == []
    assert list(selectors.active_at(w.other_admin, dt.date(2026, 2, 9))) == []
