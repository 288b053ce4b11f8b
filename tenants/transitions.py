"""The lifecycle of a tenant transfer (TEN-1), one table (issue 8 §6):

    transfer:  pending ─approve (both sides)→ completed;  pending ─decline→ declined

``approve_transfer`` / ``decline_transfer`` lock the row and ask ``access`` (who: owners of either side) and
``TRANSFER.require`` (when); the page's buttons and the API's ``actions`` come from ``transfer_actions``.
(Booked services have theirs in tenants.services.booking.)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.transitions import StateMachine, Transition

_NOT_PENDING = _("This transfer is no longer pending.")

TRANSFER = StateMachine(
    Transition("approve", ("pending",), None, "transfer_not_pending", _NOT_PENDING),
    Transition("decline", ("pending",), "declined", "transfer_not_pending", _NOT_PENDING),
)
