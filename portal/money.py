"""Money in EUR: ``Decimal`` with two places, rounded half-up (offers TEN-8, statements REP-3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """``value`` rounded half-up to whole cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
