"""Single-line text: names that end up in mail headers, PDFs and CSV cells (issue 10 §2: CR/LF in names).

Names are checked where they are written (``clean_single_line``: a clear 400 naming the field) and made safe
where they are used in a header (``single_line``), for rows written before the check or by an import.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from portal.errors import RuleViolation

# C0 and C1 control characters and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value or ""))


def single_line(value) -> str:
    """``value`` as one line: every control character (CR, LF, tab, ...) becomes a space, runs collapse."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(value or "")).split())


def clean_single_line(value: str | None, field: str = "name") -> str:
    """Strip ``value``; refuse line breaks and other control characters with a RuleViolation on ``field``."""
    value = (value or "").strip()
    if has_control_characters(value):
        raise RuleViolation(
            _("Line breaks and control characters are not allowed here."),
            code="invalid_characters",
            fields={field: [_("Line breaks and control characters are not allowed.")]},
        )
    return value
