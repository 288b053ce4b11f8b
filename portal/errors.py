"""The domain error hierarchy. Every interface maps these once: DRF in portal.api, HTML in portal.forms."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"
    default_detail = _("The request could not be processed.")

    def __init__(self, detail=None, *, code: str | None = None, fields: dict | None = None):
        self.detail = detail if detail is not None else self.default_detail
        self.code = code or self.default_code
        self.fields = fields or {}
        super().__init__(str(self.detail))


class RuleViolation(DomainError):
    """Bad input or a business rule (ACC-3 ceiling, TEN-7 missing dependency): 400."""

    status_code = 400
    default_code = "rule_violation"


class NotPermitted(DomainError):
    """The caller sees the object but may not do this: 403."""

    status_code = 403
    default_code = "not_permitted"
    default_detail = _("You are not allowed to do this.")


class NotFound(DomainError):
    """The object does not exist for this caller: 404 (never reveals existence)."""

    status_code = 404
    default_code = "not_found"
    default_detail = _("Not found.")


class InvalidTransition(DomainError):
    """The object is in a state that does not allow this: 409."""

    status_code = 409
    default_code = "invalid_transition"
    default_detail = _("This is not possible in the current state.")


class RateLimited(DomainError):
    """Too many attempts: 429. ``retry_after`` (seconds) is the wait the message names; the API sends it as
    ``Retry-After`` and HTML pages too (portal.forms.form_error)."""

    status_code = 429
    default_code = "rate_limited"
    default_detail = _("Too many requests. Please try again later.")

    def __init__(self, detail=None, *, retry_after: int | None = None, **kwargs):
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
