"""How django-axes names the user it counts failed log-ins for (issue 10 §1, ACC-2).

E-mail log-in is case-insensitive (ACC-2), so the lock-out must be too: ``TechCare@…``, ``techcare@…`` and
`` techcare@… `` are one user with one failure count, on the HTML log-in and on the token endpoint alike.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.utils.translation import ngettext


def normalize(value) -> str:
    return str(value or "").strip().lower()


def username(request, credentials: dict | None = None) -> str:
    """``AXES_USERNAME_CALLABLE``: the normalised e-mail from the credentials or the posted form."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field) or credentials.get("email") or credentials.get("username")
    else:
        data = getattr(request, "POST", None) or {}
        value = data.get(field) or data.get("email")
    return normalize(value)


def cool_off_minutes(request) -> int:
    """The lock-out's wait in whole minutes (rounded up), as the message and ``Retry-After`` state it."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 1


def locked_out_detail(minutes: int) -> str:
    return ngettext(
        "Too many failed log-ins. This log-in is locked for %(minutes)d minute; try again then or reset "
        "your password.",
        "Too many failed log-ins. This log-in is locked for %(minutes)d minutes; try again then or reset "
        "your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 whose message and ``Retry-After`` name the same wait; the API's error
    body under /api/, the locked-out page elsewhere."""
    from django.shortcuts import render

    from portal.api import api_path, error_response

    minutes = cool_off_minutes(request)
    if api_path(request):
        response = error_response(429, "locked_out", locked_out_detail(minutes))
    else:
        response = render(
            request,
            settings.AXES_LOCKOUT_TEMPLATE,
            {"detail": locked_out_detail(minutes), "minutes": minutes},
            status=429,
        )
    response["Retry-After"] = str(minutes * 60)
    return response
