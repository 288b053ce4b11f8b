"""Helpers shared by the tenant services (not part of the public service API)."""

from __future__ import annotations


def names(items) -> str:
    """``"Mail archive, Encryption"`` for service types or booked services, for messages."""
    parts = []
    for item in items:
        service_type = getattr(item, "service_type", item)
        number = getattr(item, "number", None)
        parts.append(f"{service_type.name} ({number})" if number else service_type.name)
    return ", ".join(parts)
