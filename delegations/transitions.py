"""The lifecycles of caretaker grants (DEL-4) and managed-account relations (ACC-4), one table each.

    grant:     pending ─accept→ active ─revoke/resign→ revoked/resigned; active ─extend→ active
               pending ─decline/withdraw→ declined/withdrawn     (jobs: active → expired, pending → lapsed)
    relation:  pending ─approve→ active ─dissolve (owner)→ dissolved
               active ─notify_partner→ active (once) ─dissolve_on_behalf (vendor staff, after the notice)→ dissolved
               pending ─decline/withdraw→ declined/withdrawn

Services lock the row, ask ``access.require`` (who) and ``GRANT.require`` / ``RELATION.require`` (when); the
pages' buttons and the API's ``actions`` come from ``actions_for``. An active grant past its expiry that the
sweep has not reached yet is in the state ``active_past_expiry``: it gives no rights and cannot be extended,
but revoking or resigning it ends it at once (the sweep would make it ``expired``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import RuleViolation
from portal.transitions import StateMachine, Transition

_NOT_PENDING = _("This grant is no longer pending.")
_NOT_ACTIVE = _("This grant is no longer active.")

GRANT = StateMachine(
    Transition("accept", ("pending",), "active", "grant_not_pending", _NOT_PENDING),
    Transition("decline", ("pending",), "declined", "grant_not_pending", _NOT_PENDING),
    Transition("withdraw", ("pending",), "withdrawn", "grant_not_pending", _NOT_PENDING),
    Transition("revoke", ("active", "active_past_expiry"), "revoked", "grant_not_active", _NOT_ACTIVE),
    Transition("resign", ("active", "active_past_expiry"), "resigned", "grant_not_active", _NOT_ACTIVE),
    Transition("extend", ("active",), None, "grant_not_active", _NOT_ACTIVE),
    state=lambda grant: (
        "active_past_expiry"
        if grant.status == "active" and grant.effective_status == "expired"
        else grant.status
    ),
)

_RELATION_NOT_PENDING = _("This request is no longer pending.")
_RELATION_NOT_ACTIVE = _("This relation is not active.")

RELATION = StateMachine(
    Transition("approve", ("pending",), "active", "management_not_pending", _RELATION_NOT_PENDING),
    Transition("decline", ("pending",), "declined", "management_not_pending", _RELATION_NOT_PENDING),
    Transition("withdraw", ("pending",), "withdrawn", "management_not_pending", _RELATION_NOT_PENDING),
    Transition(
        "notify_partner",
        ("active",),
        None,
        "management_not_active",
        _RELATION_NOT_ACTIVE,
        guard=lambda relation: relation.partner_notified_at is None,
        guard_code="partner_already_notified",
        guard_detail=_("The partner has already been notified."),
    ),
    Transition("dissolve", ("active",), "dissolved", "management_not_active", _RELATION_NOT_ACTIVE),
    Transition(
        "dissolve_on_behalf",
        ("active",),
        "dissolved",
        "management_not_active",
        _RELATION_NOT_ACTIVE,
        guard=lambda relation: relation.partner_notified_at is not None,
        guard_code="partner_not_notified",
        guard_detail=_(
            "Notify the partner first; vendor staff dissolve on the owner's behalf only after that."
        ),
        guard_error=RuleViolation,
    ),
)
