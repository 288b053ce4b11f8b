"""Every mail the portal sends, rendered one way (UI-1 §8): in the recipient's language (their setting, not
the sender's or the browser's), with a greeting, one sentence of why, the action and how long it is valid,
what to do if it was not expected, a closing line and the portal's name; dates in the recipient's format
(rendered under the recipient's language); links from SITE_URL; a one-line subject without a trailing period
or brackets.

How mails are *enqueued* is the callers' business (tasks after commit); this module only renders and hands
the message to Django's mail backend.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

_SPACES = re.compile(r"\s+")


def absolute(path: str) -> str:
    """A link into the portal for a mail: SITE_URL (which follows PORT under ``make run``) plus the path."""
    return settings.SITE_URL.rstrip("/") + path


def clean_subject(subject: str) -> str:
    """One line (no CR/LF), no trailing period, no bracketed prefix."""
    subject = _SPACES.sub(" ", str(subject)).strip()
    subject = re.sub(r"^\[+[^\]]*\]+\s*", "", subject)
    return subject.rstrip(".").strip()[:200]


def render_mail(*, language: str | None, subject, template: str, context: dict) -> tuple[str, str]:
    """(subject, body) in ``language``; ``subject`` may be lazy or a callable run under that language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        text = subject() if callable(subject) else subject
        body = render_to_string(
            template, {"PORTAL_NAME": settings.PORTAL_NAME, "SITE_URL": settings.SITE_URL, **context}
        )
        return clean_subject(str(text)), body.strip() + "\n"


def send_portal_mail(
    *, to: str, language: str | None, subject, template: str, context: dict, key: str | None = None
) -> bool:
    """Render in the recipient's language and send once per event (issue 9): ``key`` names the event; inside an
    outbox job ``None`` means "this job's mail to this address". False if it was sent already."""
    from portal.outbox import send_mail_once

    subject_text, body = render_mail(language=language, subject=subject, template=template, context=context)
    return send_mail_once(key, subject=subject_text, message=body, recipient_list=[to])
