"""LIC-3 keys (checksum, normalization) and SUB-1 period arithmetic (29th–31st, leap years)."""

from __future__ import annotations

import datetime as dt

import pytest

from licenses import keys
from licenses.periods import add_term, first_period


def test_generated_keys_are_grouped_valid_and_random():
    drawn = {keys.generate_key() for _ in range(200)}
    assert len(drawn) == 200
    for key in drawn:
        groups = key.split("-")
        assert [len(g) for g in groups] == [5, 5, 5, 5, 5, 1]
        assert keys.normalize_key(key) == key
        assert set(key.replace("-", "")) <= set(keys.ALPHABET)


def test_normalize_accepts_case_spaces_dashes_and_lookalikes():
    key = keys.format_key("0123456789ABCDEFGHJKMNPQR")
    sloppy = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert keys.normalize_key(sloppy) == key
    assert keys.normalize_key(key.replace("-", "")) == key
    assert keys.normalize_key("  " + key.replace("1", "I") + "  ") == key


@pytest.mark.parametrize("position", range(25))
def test_every_single_typo_fails_the_checksum(position):
    key = keys.generate_key()
    data = key.replace("-", "")[:-1]
    for replacement in keys.ALPHABET:
        if replacement == data[position]:
            continue
        typo = data[:position] + replacement + data[position + 1 :] + key[-1]
        assert keys.normalize_key(typo) is None


def test_swapped_neighbours_fail_the_checksum():
    data = "0123456789ABCDEFGHJKMNPQR"
    key = keys.format_key(data)
    for i in range(len(data) - 1):
        swapped = data[:i] + data[i + 1] + data[i] + data[i + 2 :]
        assert keys.normalize_key(swapped + key[-1]) is None


@pytest.mark.parametrize("text", ["", "abc", None, 12, "U" * 26, "X" * 500, "0123456789ABCDEFGHJKMNPQR"])
def test_not_a_key(text):
    assert keys.normalize_key(text) is None


@pytest.mark.parametrize(
    ("start", "ends"),
    [
        # begun on the 31st: the last day of shorter months, back to the 31st when the month has one
        (
            dt.date(2025, 1, 31),
            [dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 31)],
        ),
        (dt.date(2024, 1, 31), [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]),  # leap year
        (dt.date(2025, 1, 30), [dt.date(2025, 2, 28), dt.date(2025, 3, 30)]),
        (dt.date(2025, 1, 29), [dt.date(2025, 2, 28), dt.date(2025, 3, 29)]),
        (dt.date(2024, 1, 29), [dt.date(2024, 2, 29), dt.date(2024, 3, 29)]),
        (dt.date(2025, 12, 31), [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]),  # over the year's end
        (dt.date(2025, 2, 28), [dt.date(2025, 3, 28), dt.date(2025, 4, 28)]),  # the 28th stays the 28th
    ],
)
def test_monthly_renewal_days_are_anchored_to_the_start(start, ends):
    day = start
    for expected in ends:
        day = add_term(day, "monthly", start.day)
        assert day == expected


def test_annual_from_leap_day_returns_to_the_29th_in_leap_years():
    start = dt.date(2024, 2, 29)
    days = [start]
    for _ in range(4):
        days.append(add_term(days[-1], "annual", 29))
    assert days[1:] == [
        dt.date(2025, 2, 28),
        dt.date(2026, 2, 28),
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
    ]


def test_first_period():
    assert first_period(dt.date(2025, 1, 31), "monthly") == (dt.date(2025, 1, 31), dt.date(2025, 2, 28))
    assert first_period(dt.date(2025, 3, 15), "annual") == (dt.date(2025, 3, 15), dt.date(2026, 3, 15))
