"""Human-readable numbers from row-locked counters (ACC-1 K-100042, TEN-1 T-000123)."""

from __future__ import annotations

from django.db import transaction

from portal.models import Sequence

FORMATS = {
    "account": ("K-{:06d}", 100000),
    "tenant": ("T-{:06d}", 0),
    "service": ("S-{:07d}", 0),  # TEN-6 running number of a booked service
    "offer": ("O-{:06d}", 0),  # TEN-7 offers
}


def register_format(name: str, template: str, start: int = 0) -> None:
    """Apps add their own counters (support: tickets ``SUP-…``, contracts ``V-…``) in ``AppConfig.ready()``."""
    FORMATS.setdefault(name, (template, start))


@transaction.atomic
def next_number(name: str) -> str:
    template, start = FORMATS[name]
    Sequence.objects.get_or_create(name=name, defaults={"last_value": start})
    # Lock the counter row: concurrent creations must never draw the same number.
    sequence = Sequence.objects.select_for_update().get(name=name)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return template.format(sequence.last_value)


@transaction.atomic
def next_numbers(name: str, count: int) -> list[str]:
    """``count`` consecutive numbers under one lock (bulk creation)."""
    if count <= 0:
        return []
    template, start = FORMATS[name]
    Sequence.objects.get_or_create(name=name, defaults={"last_value": start})
    sequence = Sequence.objects.select_for_update().get(name=name)
    first = sequence.last_value + 1
    sequence.last_value += count
    sequence.save(update_fields=["last_value"])
    return [template.format(value) for value in range(first, first + count)]


def reserve_at_least(name: str, value: int) -> None:
    """Move a counter past numbers that were set by hand (demo data, imports)."""
    _, start = FORMATS[name]
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name, defaults={"last_value": start})
        sequence = Sequence.objects.select_for_update().get(name=name)
        if sequence.last_value < value:
            sequence.last_value = value
            sequence.save(update_fields=["last_value"])
