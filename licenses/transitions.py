"""The licence lifecycle (LIC-3, SUB-2, SUB-3, LIC-6), one table.

    active ─cancel→ cancelled (subscriptions and NFR: runs to the period end) ─(sweep)→ expired
    active/cancelled ─void/swap→ recall_pending ─(next check-in)→ revoked
    active/cancelled ─activate/move/restore/assign→ (unchanged)
    active ─propose_move→ (unchanged)   (LIC-4)

Services lock the row, ask ``access.require`` (who) and ``LICENSE.require`` (when).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.transitions import StateMachine, Transition

_USABLE = ("active", "cancelled")
_NOT_USABLE = _("This licence is not usable any more (recalled, revoked or expired).")
_NOT_ACTIVE = _("Only an active licence can do this.")


def _is_subscription(license) -> bool:
    return license.kind in ("subscription", "nfr")


LICENSE = StateMachine(
    Transition(
        "cancel",
        ("active",),
        "cancelled",
        "license_not_active",
        _NOT_ACTIVE,
        guard=_is_subscription,
        guard_code="not_a_subscription",
        guard_detail=_("Only subscriptions and NFR licences can be cancelled."),
    ),
    Transition(
        "void",
        _USABLE,
        "recall_pending",
        "license_not_usable",
        _NOT_USABLE,
        guard=_is_subscription,
        guard_code="not_a_subscription",
        guard_detail=_("Only subscriptions and NFR licences can be voided."),
    ),
    Transition(
        "swap",
        _USABLE,
        "recall_pending",
        "license_not_usable",
        _NOT_USABLE,
        guard=_is_subscription,
        guard_code="not_a_subscription",
        guard_detail=_("Only subscriptions and NFR licences can be swapped."),
    ),
    Transition("assign", _USABLE, None, "license_not_usable", _NOT_USABLE),
    Transition("activate", _USABLE, None, "license_not_usable", _NOT_USABLE),
    Transition("move", _USABLE, None, "license_not_usable", _NOT_USABLE),
    Transition("restore", _USABLE, None, "license_not_usable", _NOT_USABLE),
    Transition(
        "propose_move",
        _USABLE,
        None,
        "license_not_usable",
        _NOT_USABLE,
        guard=lambda license: (
            license.tenant_id is not None and license.tenant.account_id != license.holder_id
        ),
        guard_code="license_not_hosted",
        guard_detail=_(
            "Only a licence held by a hoster for a customer's tenant can be moved to the customer."
        ),
    ),
    Transition("recall", ("recall_pending",), "revoked", "license_not_recall_pending", _NOT_USABLE),
)

TRANSFER = StateMachine(
    Transition(
        "accept", ("pending",), "accepted", "transfer_not_pending", _("This proposal is no longer open.")
    ),
    Transition(
        "decline", ("pending",), "declined", "transfer_not_pending", _("This proposal is no longer open.")
    ),
    Transition(
        "withdraw", ("pending",), "withdrawn", "transfer_not_pending", _("This proposal is no longer open.")
    ),
)
